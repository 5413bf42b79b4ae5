"""The gate's verdict readable from two metres (big word, centred, colour plus text, reason under it; a flag
turns it amber with the flag as the big word), in Chinese and English at 80x24 and 120x36. (The on-site list's
snapshots are in test_gate_forms.py.)"""
from __future__ import annotations

from datetime import timedelta

import pytest

from kiosk import clock, i18n
from kiosk.models import Staff
from kiosk.services import slips_gate
from kiosk.services.actor import Actor
from tests.ui.test_slips_ui import _snapshot_app, issue, open_check, scan, tiny  # noqa: F401  (fixture)

SIZES = [(80, 24), (120, 36)]
LANGUAGES = ["zh-CN", "en"]


def gatekeeper() -> Actor:
    return Actor(school_id="demo", station_id="st-gate", staff_id=Staff.get(Staff.number == "G001").id,
                 roles=frozenset({"gatekeeper"}))


def prepare(case: str, settings) -> str:
    """Set up the school for one verdict and return the code to scan."""
    if case == "allow":
        return issue().code
    if case == "return":
        code = issue().code
        slips_gate.record_crossing(gatekeeper(), settings, slips_gate.check_at_gate(gatekeeper(), settings, code), code)
        clock.advance(timedelta(hours=1))
        return code
    if case == "flagged":  # a day student's card twice in the same direction (the second by F3): card lending?
        check = slips_gate.check_at_gate(gatekeeper(), settings, "20260102", direction="return")
        slips_gate.record_crossing(gatekeeper(), settings, check, "20260102")
        clock.advance(timedelta(minutes=20))
        return "20260102"
    return "NOSUCHCODE"


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case", ["allow", "return", "refuse", "flagged"])
def test_verdict_banner(tiny, snap_compare, case, language, size):
    code = prepare(case, tiny)
    tiny.language = language

    async def run_before(pilot):
        i18n.set_language(language)
        await pilot.pause()
        await open_check(pilot.app, pilot)
        if case == "flagged":
            await pilot.press("f3", "f3")  # the gatekeeper says: this card comes in (again)
        await scan(pilot.app, pilot, code)

    assert snap_compare(_snapshot_app(tiny), terminal_size=size, run_before=run_before)
