"""Dorm station: nightly headcount reconciled with the gate, unknown-whereabouts incidents, overnight guests.

Registered in kiosk.features (after slips: the dorm reads gate crossings). Tables: kiosk/models/dorm.py;
rules: kiosk/services/headcount_rules.py; services: kiosk/services/headcount.py.
"""
from __future__ import annotations

from kiosk.models.dorm import DORM_MODELS

MODELS = list(DORM_MODELS)
