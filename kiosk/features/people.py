"""Core feature: roster and staff (import, export, search). Registered in kiosk.features."""
from __future__ import annotations
