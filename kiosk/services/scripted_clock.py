"""A clock for scripted runs and demos: `KIOSK_CLOCK` runs the station at another time.

    KIOSK_CLOCK="2026-11-18 22:30"   the school's local time to start from (the clock then runs on)
    KIOSK_CLOCK="+49h"               shifted from now (h, m or d; + or -)

Refused unless the database is a demo or test one (made by `kiosk demo` or a test's setup): a real school's
records must carry real times. The status bar shows the scripted time (kiosk.widgets.bars).
"""
from __future__ import annotations

import logging
import os
import re
from datetime import datetime, timedelta
from typing import Mapping
from zoneinfo import ZoneInfo

from kiosk import clock
from kiosk.i18n import UserError

ENVIRONMENT_VARIABLE = "KIOSK_CLOCK"
# The audit actions that only a demo or a test database has (the first record of its school).
DEMO_OR_TEST_ACTIONS = ("demo.create", "test.setup")
_SHIFT = re.compile(r"^([+-])\s*(\d+(?:\.\d+)?)\s*([dhm])$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}

log = logging.getLogger(__name__)


def parse(text: str, now: datetime, zone: ZoneInfo) -> timedelta:
    """The offset from `now` that `text` asks for: a shift (+49h, -30m, +2d) or a local time. ValueError if neither."""
    text = text.strip()
    shift = _SHIFT.match(text.lower())
    if shift:
        sign, amount, unit = shift.groups()
        delta = timedelta(**{_UNITS[unit]: float(amount)})
        return delta if sign == "+" else -delta
    return clock.parse_local(text.replace("T", " "), zone) - now


def is_demo_or_test_database() -> bool:
    from kiosk.models import AuditEntry

    return AuditEntry.select().where(AuditEntry.action.in_(DEMO_OR_TEST_ACTIONS)).exists()


def apply_environment(zone: ZoneInfo, environ: Mapping[str, str] = os.environ) -> timedelta | None:
    """Set the clock's offset from KIOSK_CLOCK (nothing when unset). UserError when the database is a real
    school's, or the value cannot be read; nothing is changed then."""
    text = environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if not text:
        return None
    if not is_demo_or_test_database():
        raise UserError("core.clock_refused", variable=ENVIRONMENT_VARIABLE)
    try:
        delta = parse(text, datetime.now(clock.UTC), zone)
    except ValueError:
        raise UserError("core.clock_unreadable", variable=ENVIRONMENT_VARIABLE, value=text[:40]) from None
    clock.set_offset(delta)
    log.warning("scripted clock: %s=%r, running %s from the wall clock", ENVIRONMENT_VARIABLE, text, delta)
    return delta
