"""Sync between a station's SQLite database and the shared PostgreSQL (see kiosk/sync/DESIGN.md)."""
