"""The gate's verdict readable from two metres (big word, centred, colour plus text, reason under it; a flag
turns it amber with the flag as the big word) and the on-site list, in Chinese and English at 80x24 and
120x36."""
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


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
@pytest.mark.parametrize("language", LANGUAGES)
def test_onsite_list(gate_school_for_snapshots, snap_compare, monkeypatch, language, size):
    from itertools import count

    from kiosk.app import KioskApp
    from kiosk.services import visitors
    from tests.test_gate_services import actor_for, form
    from tests.ui_helpers import login, settle

    settings = gate_school_for_snapshots
    serial = count(1)  # visitor codes come from random id bits: fixed for the picture
    monkeypatch.setattr(visitors, "short_code", lambda row_id: f"SNAPV{next(serial):07d}")
    visitors.register_visit(actor_for("G002"), form(), settings)
    clock.advance(timedelta(minutes=100))
    visitors.register_visit(actor_for("G002"), form(id_number="360426199101010071", name="李四"), settings)
    clock.advance(timedelta(minutes=50))  # the first has overstayed 30 minutes
    settings.station.kind, settings.station.name, settings.language = "gate", "gate-1", language

    async def run_before(pilot):
        i18n.set_language(language)
        await pilot.pause()
        await login(pilot, "G001", "111111")
        await pilot.press("o")
        await settle(pilot)
        for field in pilot.app.screen.query("Input"):
            field.cursor_blink = False
        await settle(pilot)

    assert snap_compare(KioskApp(settings, station_id="st-snapshot"), terminal_size=size, run_before=run_before)


@pytest.fixture
def gate_school_for_snapshots(db, settings, frozen_now):
    from tests.test_gate_services import make_school

    return make_school(settings)
