"""Sync between a station's SQLite database and the shared PostgreSQL (the design is in README.md, "Sync")."""
