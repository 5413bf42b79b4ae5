"""Pass slips and day students: the office issues and revokes signed slips, the gate checks them offline.

Registered in kiosk.features. See kiosk/models/slips.py for the tables and kiosk/services/slip_*.py for the rules.
"""
from __future__ import annotations

from kiosk.models.slips import SLIP_MODELS

MODELS = list(SLIP_MODELS)
