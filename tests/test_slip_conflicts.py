"""Slip conflicts (SYNC.md): a slip used at two gates offline leaves one standing exit and one conflict;
a crossing after the slip's revocation is a conflict; a person marks each reviewed with a note."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from textual.widgets import DataTable, Static

from kiosk import clock
from kiosk.ids import new_id
from kiosk.models import Staff, Student
from kiosk.models.slip_review import SlipConflictReview
from kiosk.models.slips import GateCrossing
from kiosk.services import slips, slips_gate, slips_office
from kiosk.services.actor import Actor
from kiosk.services.facts import record, verify_audit_chain
from kiosk.services.slip_conflicts import (
    AFTER_REVOCATION, DOUBLE_USE, ConflictError, CrossingFact, RevocationFact, find_conflicts, review_conflict,
    slip_conflicts, unreviewed_count)

T0 = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)


def crossing(id_, direction="exit", minutes=0, station="gate-a", slip="s1"):
    return CrossingFact(id_, slip, "stu1", direction, T0 + timedelta(minutes=minutes), station, "g1")


# ---------------------------------------------------------------- pure rule


def test_two_exits_at_two_gates_one_stands():
    late = crossing("c2", minutes=3, station="gate-b")
    early = crossing("c1", minutes=1, station="gate-a")
    found = find_conflicts([late, early], [])
    assert [(c.kind, c.conflicting.id, c.standing.id) for c in found] == [(DOUBLE_USE, "c2", "c1")]


def test_same_minute_ties_break_by_station_id():
    found = find_conflicts([crossing("c1", station="gate-b"), crossing("c2", station="gate-a")], [])
    assert [(c.conflicting.station_id, c.standing.station_id) for c in found] == [("gate-b", "gate-a")]


def test_three_exits_give_two_conflicts_against_the_first():
    found = find_conflicts([crossing("c3", minutes=5, station="c"), crossing("c1", station="a"),
                            crossing("c2", minutes=2, station="b")], [])
    assert [(c.conflicting.id, c.standing.id) for c in found] == [("c2", "c1"), ("c3", "c1")]


def test_two_returns_conflict_too():
    found = find_conflicts([crossing("c1"), crossing("r1", "return", 60, "a"), crossing("r2", "return", 61, "b")], [])
    assert [(c.kind, c.conflicting.id, c.standing.id) for c in found] == [(DOUBLE_USE, "r2", "r1")]


def test_exit_then_return_is_normal():
    assert find_conflicts([crossing("c1"), crossing("r1", "return", 90, "gate-b")], []) == []


def test_different_slips_do_not_conflict():
    assert find_conflicts([crossing("c1", slip="s1"), crossing("c2", slip="s2", station="b")], []) == []


def test_use_after_revocation_is_a_conflict():
    revoked = RevocationFact("s1", T0 + timedelta(minutes=5), "office")
    found = find_conflicts([crossing("c1", minutes=10)], [revoked])
    assert [(c.kind, c.conflicting.id, c.standing, c.revocation) for c in found] == [
        (AFTER_REVOCATION, "c1", None, revoked)]


def test_use_before_revocation_is_fine():
    revoked = RevocationFact("s1", T0 + timedelta(minutes=5), "office")
    assert find_conflicts([crossing("c1", minutes=4)], [revoked]) == []
    assert find_conflicts([crossing("c1", minutes=5)], [revoked]) == []  # at the same instant: not after


def test_the_first_revocation_counts():
    later = RevocationFact("s1", T0 + timedelta(minutes=30), "office")
    first = RevocationFact("s1", T0 + timedelta(minutes=5), "office")
    found = find_conflicts([crossing("c1", minutes=10)], [later, first])
    assert [c.revocation for c in found] == [first]


def test_double_use_after_revocation_reports_both_kinds():
    revoked = RevocationFact("s1", T0, "office")
    found = find_conflicts([crossing("c1", minutes=1, station="a"), crossing("c2", minutes=2, station="b")], [revoked])
    assert sorted(c.key for c in found) == [(AFTER_REVOCATION, "c1"), (AFTER_REVOCATION, "c2"), (DOUBLE_USE, "c2")]


# ---------------------------------------------------------------- database


@pytest.fixture
def tiny(db, settings, frozen_now):
    from tests.ui import test_slips_ui as ui

    ui.svc_settings["s"] = settings
    yield ui.make_tiny_school(settings)
    ui.svc_settings.clear()


def gate_actor(station: str) -> Actor:
    staff = Staff.get(Staff.number == "G001")
    return Actor(school_id="demo", station_id=station, staff_id=staff.id, staff_number="G001",
                 staff_name=staff.name, roles=staff.role_set())


def office_actor(number: str = "T001") -> Actor:
    staff = Staff.get(Staff.number == number)
    return Actor(school_id="demo", station_id="st-office", staff_id=staff.id, staff_number=number,
                 staff_name=staff.name, roles=staff.role_set())


def write_crossing(station: str, slip_id: str, direction: str, at: datetime) -> str:
    """A crossing as a gate station writes it (its own station id and gatekeeper), through the write path."""
    actor = gate_actor(station)
    student = Student.get(Student.number == "20260101")
    crossing_id = new_id()
    with record(actor, f"gate.{direction}", entity="gate_crossing", entity_id=crossing_id, at=at) as w:
        w.insert(GateCrossing(id=crossing_id, school_id="demo", station_id=station, staff_id=actor.staff_id,
                              recorded_at=at, student=student.id, direction=direction, kind="slip", slip_id=slip_id,
                              at=at, return_by=at + timedelta(hours=8) if direction == "exit" else None))
    return crossing_id


def issue_slip(settings):
    now = clock.now()
    return slips_office.issue_slip(office_actor(), settings, student_number="20260101", reason_kind="sick", reason_note="发烧",
                          leave_from=now - timedelta(minutes=10), leave_to=now + timedelta(hours=3),
                          return_by=now + timedelta(hours=8)).slip


def test_two_gates_then_review(tiny):
    slip = issue_slip(tiny)
    now = clock.now()
    first = write_crossing("gate-east", slip.id, "exit", now)
    second = write_crossing("gate-west", slip.id, "exit", now + timedelta(minutes=2))
    write_crossing("gate-east", slip.id, "return", now + timedelta(hours=2))  # normal: no conflict
    rows = slip_conflicts("demo")
    assert [(r.kind, r.crossing_id, r.station_id, r.standing_station_id, r.standing_at) for r in rows] == [
        (DOUBLE_USE, second, "gate-west", "gate-east", now)]
    assert rows[0].student_name == "张华丽" and rows[0].gatekeeper == "门卫甲"
    assert unreviewed_count("demo") == 1
    with pytest.raises(ConflictError):
        review_conflict(office_actor(), DOUBLE_USE, second, "   ")
    with pytest.raises(ConflictError):
        review_conflict(gate_actor("gate-east"), DOUBLE_USE, second, "门卫不能核查")
    with pytest.raises(ConflictError):
        review_conflict(office_actor(), DOUBLE_USE, first, "这条不是冲突")
    done = review_conflict(office_actor(), DOUBLE_USE, second, "西门误扫 学生只出校一次")
    assert done.reviewed_by == "班主任乙" and done.review_note == "西门误扫 学生只出校一次"
    review = SlipConflictReview.get()
    assert (review.station_id, review.recorded_at, review.slip_id) == ("st-office", now, slip.id)
    assert slip_conflicts("demo") == [] and unreviewed_count("demo") == 0
    assert len(slip_conflicts("demo", include_reviewed=True)) == 1
    with pytest.raises(ConflictError):
        review_conflict(office_actor(), DOUBLE_USE, second, "再核查一次")
    assert verify_audit_chain() is None


def test_same_station_cannot_record_a_second_exit(tiny):
    slip = issue_slip(tiny)
    gate = gate_actor("gate-east")
    check = slips_gate.check_at_gate(gate, tiny, slip.code)
    slips_gate.record_crossing(gate, tiny, check, slip.code)
    assert slips_gate.check_at_gate(gate, tiny, slip.code).verdict.reason_code == "just_exited"  # scanned twice
    clock.advance(timedelta(minutes=tiny.gate.slip_rescan_minutes))
    again = slips_gate.check_at_gate(gate, tiny, slip.code)
    assert again.verdict.kind == "return"  # the same slip scanned again later is the way back in, never a second exit
    with pytest.raises(slips.SlipError):
        slips_gate.record_crossing(gate, tiny, check, slip.code)  # the stale exit verdict is re-checked and refused
    slips_gate.record_crossing(gate, tiny, again, slip.code)
    assert GateCrossing.select().count() == 2
    assert slip_conflicts("demo") == []


def test_use_after_revocation_found_in_database(tiny):
    slip = issue_slip(tiny)
    now = clock.now()
    write_crossing("gate-east", slip.id, "exit", now - timedelta(minutes=5))  # before the revocation: fine
    clock.advance(timedelta(minutes=1))
    slips_office.revoke_slip(office_actor(), slip.id, "家长取消")
    late_return = write_crossing("gate-west", slip.id, "return", now + timedelta(minutes=30))
    rows = slip_conflicts("demo")
    assert [(r.kind, r.crossing_id, r.revoked_at) for r in rows] == [
        (AFTER_REVOCATION, late_return, now + timedelta(minutes=1))]


def test_status_alert_counts_unreviewed(tiny):
    from kiosk.features.slips import status_alerts
    from kiosk.i18n import t

    class Ctx:
        school_id = "demo"
        station_kind = "gate"

    slip = issue_slip(tiny)
    now = clock.now()
    write_crossing("gate-east", slip.id, "exit", now)
    assert t("slips.alert_conflicts", count=1) not in status_alerts(Ctx())
    write_crossing("gate-west", slip.id, "exit", now + timedelta(minutes=1))
    assert t("slips.alert_conflicts", count=1) in status_alerts(Ctx())


# ---------------------------------------------------------------- office screen


async def test_office_screen_lists_and_reviews(tiny):
    from kiosk.screens.slip_conflicts import ConflictsScreen
    from tests.ui_helpers import login, start_app, type_text

    slip = issue_slip(tiny)
    now = clock.now()
    write_crossing("gate-east", slip.id, "exit", now)
    second = write_crossing("gate-west", slip.id, "exit", now + timedelta(minutes=2))
    from dataclasses import replace

    from kiosk.services.stations import announce_station

    announce_station(replace(tiny, station=replace(tiny.station, kind="gate", name="西门")), "gate-west")
    async with start_app(tiny, "office") as (app, pilot):
        await login(pilot, "T001", "444444")
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, ConflictsScreen)
        screen = app.screen
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = screen.query_one(DataTable)
        assert table.row_count == 1
        row = [str(cell) for cell in table.get_row_at(0)]
        assert "张华丽" in row
        assert "西门" in row  # the conflicting gate by its name (it announced it, sync brought it here)
        assert any("gate-east" in cell for cell in row)  # a station whose name has not arrived: its id
        await pilot.press("enter")
        await pilot.pause()
        await type_text(pilot, "西门误扫")
        await pilot.press("enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is screen
        assert table.row_count == 0
        assert "张华丽" in str(screen.query_one(".table-message", Static).render())
    review = SlipConflictReview.get()
    assert (review.crossing_id, review.note, review.kind) == (second, "西门误扫", DOUBLE_USE)


def test_status_count_is_recomputed_only_when_the_facts_grow(tiny, monkeypatch):
    import kiosk.services.slip_conflicts as conflicts

    calls = []
    real = conflicts.slip_conflicts
    monkeypatch.setattr(conflicts, "slip_conflicts", lambda school_id, **kw: calls.append(1) or real(school_id, **kw))
    slip = issue_slip(tiny)
    now = clock.now()
    write_crossing("gate-east", slip.id, "exit", now)
    assert conflicts.unreviewed_count("demo") == 0
    assert conflicts.unreviewed_count("demo") == 0
    assert len(calls) == 1  # nothing new: the cached count
    second = write_crossing("gate-west", slip.id, "exit", now + timedelta(minutes=2))
    assert conflicts.unreviewed_count("demo") == 1 and len(calls) == 2  # a crossing arrived
    review_conflict(office_actor(), DOUBLE_USE, second, "西门误扫")  # (it looks the conflicts up itself)
    calls.clear()
    assert conflicts.unreviewed_count("demo") == 0 and len(calls) == 1  # a review arrived: recomputed
    assert conflicts.unreviewed_count("demo") == 0 and len(calls) == 1


async def test_office_reviews_a_conflict_on_screen_and_sees_it_said(tiny):
    """The conflicts screen on the seam: Enter on a row asks a note, the review is recorded and said."""
    from tests.ui_helpers import login, settle, start_app, type_text

    slip = issue_slip(tiny)
    now = clock.now()
    write_crossing("gate-east", slip.id, "exit", now)
    write_crossing("gate-west", slip.id, "exit", now + timedelta(minutes=2))
    async with start_app(tiny, "office") as (app, pilot):
        await login(pilot, "A001", "888888")
        await pilot.press("k")
        await settle(pilot)
        screen = app.screen
        await pilot.press("enter")
        await settle(pilot)
        await type_text(pilot, "西门误扫")
        await pilot.press("enter")
        await settle(pilot)
        assert SlipConflictReview.select().count() == 1
        assert "张华丽" in screen.message_text()  # 已核查 … stays, although the list is now empty
        assert unreviewed_count("demo") == 0


# ---------------------------------------------------------------- causal order, not wall clocks (issue 13)

def _gate_crossing_with_clock(skew: timedelta, real_at: datetime, last_pulled: datetime) -> CrossingFact:
    """A crossing written offline by a gate whose wall clock is `skew` off, stamped as its HLC would
    (the gate last pulled at `last_pulled`, taking the stamps it saw then)."""
    from kiosk.sync import hlc

    wall = real_at + skew
    stamp = hlc.advance(hlc.pack(hlc.to_ms(last_pulled), 3), hlc.to_ms(wall))
    return CrossingFact("c1", "s1", "stu1", "exit", wall, "gate-a", "g1", stamp)


@pytest.mark.parametrize("skew", [timedelta(minutes=-10), timedelta(0), timedelta(minutes=10)])
def test_an_exit_20_s_after_the_revocation_is_listed_whatever_the_gate_clock(skew):
    """The office revoked at T; the gate (last pulled a minute before, then offline) let the student out at
    T + 20 s. A gate 10 minutes slow used to hide it (its wall clock said T - 9:40)."""
    from kiosk.sync import hlc

    revoked = RevocationFact("s1", T0, "office", hlc.pack(hlc.to_ms(T0)))
    crossing = _gate_crossing_with_clock(skew, T0 + timedelta(seconds=20), T0 - timedelta(minutes=1))
    found = find_conflicts([crossing], [revoked])
    assert [c.kind for c in found] == [AFTER_REVOCATION]
    assert found[0].conflicting.clock_off is (skew < timedelta(0))  # shown when the gate's clock was off


def test_an_exit_20_s_before_the_revocation_on_a_good_clock_is_fine():
    from kiosk.sync import hlc

    revoked = RevocationFact("s1", T0, "office", hlc.pack(hlc.to_ms(T0)))
    crossing = _gate_crossing_with_clock(timedelta(0), T0 - timedelta(seconds=20), T0 - timedelta(minutes=1))
    assert find_conflicts([crossing], [revoked]) == []


def test_a_gate_that_had_pulled_the_revocation_is_after_it_in_causal_order_even_with_a_slow_clock():
    from kiosk.sync import hlc

    revoked = RevocationFact("s1", T0, "office", hlc.pack(hlc.to_ms(T0)))
    crossing = _gate_crossing_with_clock(timedelta(seconds=-90), T0 + timedelta(seconds=30), T0 + timedelta(seconds=5))
    assert not crossing.clock_off and crossing.at < revoked.at  # its wall clock alone says "before"
    assert [c.kind for c in find_conflicts([crossing], [revoked])] == [AFTER_REVOCATION]


def test_a_head_teacher_reviews_only_conflicts_of_their_own_class(tiny):
    slip = issue_slip(tiny)
    now = clock.now()
    write_crossing("gate-east", slip.id, "exit", now)
    second = write_crossing("gate-west", slip.id, "exit", now + timedelta(minutes=2))
    other = Staff.get(Staff.number == "T001")
    with record(office_actor(), "staff.add") as w:  # the head teacher of another class
        w.insert(Staff(school_id="demo", number="T002", name="班主任丁", initials="", roles="head_teacher",
                       class_name="高一(2)班", phone="", card_code="", pin_hash=other.pin_hash, active=True,
                       updated_at=now))
    with pytest.raises(ConflictError) as refused:
        review_conflict(office_actor("T002"), DOUBLE_USE, second, "不是我班的学生")
    assert refused.value.key == "slips.err_review_class"
    assert SlipConflictReview.select().count() == 0
    assert review_conflict(office_actor("T001"), DOUBLE_USE, second, "西门误扫").review_note == "西门误扫"
