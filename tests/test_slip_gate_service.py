"""Issue 14 at the service: a card's direction inferred from the student's last crossing, a typed number
marked on the scan log and the crossing and recorded only when confirmed, a boarder's typed number logged
as typed (not as the slip code it stands for)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from kiosk import clock
from kiosk.models import Staff
from kiosk.models.slips import GateCrossing, GateScan
from kiosk.services import slips_gate
from kiosk.services.actor import Actor
from kiosk.services.slips import SlipError
from tests.ui.test_slips_ui import issue, tiny  # noqa: F401  (fixture)


def gatekeeper() -> Actor:
    return Actor(school_id="demo", station_id="st-gate", staff_id=Staff.get(Staff.number == "G001").id,
                 roles=frozenset({"gatekeeper"}))


def through(settings, code: str, **kwargs):
    check = slips_gate.check_at_gate(gatekeeper(), settings, code, **kwargs)
    slips_gate.record_crossing(gatekeeper(), settings, check, code)
    return check


def test_a_day_student_leaving_mid_morning_goes_out_without_a_card_lending_flag(tiny):
    """The defect: the lane's direction (进校 before noon) made a day student leaving at 10:30 a second
    进校, flagged as card lending; the direction now comes from the student's own last crossing."""
    start = clock.now()
    clock.freeze(start - timedelta(hours=2))  # 08:00: in
    assert through(tiny, "20260102").verdict.kind == "return"
    clock.freeze(start + timedelta(minutes=30))  # 10:30: out to the dentist
    check = through(tiny, "20260102")
    assert (check.verdict.kind, check.verdict.flags, check.direction) == ("exit", (), "exit")
    assert [(c.direction, c.flags) for c in GateCrossing.select().order_by(GateCrossing.at)] == [
        ("return", ""), ("exit", "")]
    clock.advance(timedelta(hours=1))
    assert slips_gate.check_code(tiny, "20260102").verdict.kind == "return"


def test_the_gatekeepers_direction_overrides_the_inferred_one(tiny):
    through(tiny, "20260102")  # in
    overridden = slips_gate.check_code(tiny, "20260102", direction="return")  # a second 进校: lent card?
    assert (overridden.verdict.kind, overridden.verdict.flags) == ("return", ("card_lending",))
    slip = issue()
    assert slips_gate.check_code(tiny, slip.code).direction == "exit"  # a slip's verdict says its way


def test_a_typed_number_is_marked_and_recorded_only_when_confirmed(tiny):
    check = slips_gate.check_at_gate(gatekeeper(), tiny, "20260102", typed=True)
    assert check.typed and check.verdict.flags == ("typed",) and check.needs_confirmation
    assert GateScan.get().typed is True
    with pytest.raises(SlipError) as refused:
        slips_gate.record_crossing(gatekeeper(), tiny, check, "20260102")  # a habitual Enter
    assert refused.value.key == "slips.err_needs_confirmation"
    assert GateCrossing.select().count() == 0
    done = slips_gate.record_crossing(gatekeeper(), tiny, check, "20260102", confirmed=True)
    crossing = GateCrossing.get()
    assert crossing.typed is True and "typed" in crossing.flags.split(",") and done.flags == ("typed",)
    scanned = slips_gate.check_at_gate(gatekeeper(), tiny, "20260102")
    assert not scanned.typed and not scanned.needs_confirmation
    assert GateScan.get(GateScan.id == scanned.scan_id).typed is False


def test_a_boarders_typed_number_stands_for_the_slip_and_is_logged_as_typed(tiny):
    slip = issue()
    check = slips_gate.check_at_gate(gatekeeper(), tiny, "20260101", typed=True)
    assert (check.source, check.verdict.kind, check.verdict.slip_id, check.raw) == (
        "slip", "exit", slip.slip.id, "20260101")
    assert check.as_json()["typed"] is True and check.as_json()["needs_confirmation"] is True
    row = GateScan.get()
    assert (row.raw, row.typed, row.slip_id) == ("20260101", True, slip.slip.id)
    slips_gate.record_crossing(gatekeeper(), tiny, check, "20260101", confirmed=True)
    assert (GateCrossing.get().slip_id, GateCrossing.get().typed) == (slip.slip.id, True)


def test_the_gate_export_shows_typed_scans_flags_in_words_and_station_names(tiny, tmp_path):
    from kiosk.cli import main
    from kiosk.services.stations import announce_station

    tiny.station.kind, tiny.station.name = "gate", "南门岗亭"
    announce_station(tiny, "st-gate")
    check = slips_gate.check_at_gate(gatekeeper(), tiny, "20260102", typed=True)
    slips_gate.record_crossing(gatekeeper(), tiny, check, "20260102", confirmed=True)
    out = tmp_path / "gate.csv"
    assert main(["export", "gate", "--db", tiny.database.path, "--format", "csv", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8-sig")
    scan_row, crossing_row = (next(line for line in text.splitlines() if kind in line) for kind in ("扫码", "出入"))
    assert "（手动输入）" in scan_row and "南门岗亭" in scan_row
    assert "手动输入" in crossing_row and "typed" not in crossing_row and "南门岗亭" in crossing_row
    assert "st-gate" not in text
