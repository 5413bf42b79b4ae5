"""A slip used at two gates while both were offline: after both sync, one exit stands and the other is a
conflict the office lists for a person to review (SYNC.md, "Conflicts"); the review syncs back to the gates."""
from __future__ import annotations

from datetime import timedelta

from kiosk import clock
from kiosk.ids import new_id
from kiosk.models import Student
from kiosk.models.slips import GateCrossing
from kiosk.services.facts import record
from kiosk.config import Settings
from kiosk.services.slip_conflicts import DOUBLE_USE, review_conflict, slip_conflicts, unreviewed_count
from kiosk.services.stations import announce_station, station_names

ALL = dict(pull_tables=())  # each station kind pulls what it pulls in production


def test_two_gates_offline_then_one_conflict_at_the_office(make_station, frozen_now):
    from dataclasses import replace

    office = make_station("office", "office")
    gate_a = make_station("gate-a", "gate")
    gate_b = make_station("gate-b", "gate")
    school = office.school
    with office.use():
        student_id = new_id()
        with record(office.actor(), "test.roster") as w:
            w.insert(Student(id=student_id, school_id=school, number="20260101", name="张华丽", initials="zhl",
                             gender="F", grade="高一", class_name="高一(1)班", boarder=True, active=True,
                             updated_at=clock.now()))
    for station, name in ((gate_a, "east-gate"), (gate_b, "")):  # gate-b was installed without a name
        with station.use():
            station_settings = Settings()
            station_settings.school.id, station_settings.station.name = school, name
            assert announce_station(station_settings, station.station_id)
    office.sync(**ALL)
    gate_a.sync(**ALL)
    gate_b.sync(**ALL)

    slip_id = new_id()  # the slip verified by signature at both gates (its row need not be there)
    ids = {}
    for station, minutes in ((gate_b, 3), (gate_a, 0)):  # both offline: neither sees the other's exit
        with station.use():
            at = frozen_now + timedelta(minutes=minutes)
            actor = station.actor()
            crossing_id = new_id()
            with record(actor, "gate.exit", entity="gate_crossing", entity_id=crossing_id, at=at) as w:
                w.insert(GateCrossing(id=crossing_id, school_id=school, station_id=actor.station_id, staff_id=None,
                                      recorded_at=at, student=student_id, direction="exit", kind="slip",
                                      slip_id=slip_id, at=at, return_by=at + timedelta(hours=6)))
            ids[station.name] = crossing_id
            assert slip_conflicts(school) == []  # alone, each gate sees one normal exit

    for station in (gate_a, gate_b, office, gate_a):
        station.sync(**ALL)
    with office.use():
        rows = slip_conflicts(school)
        assert [(r.kind, r.crossing_id, r.student_name, r.station_id, r.standing_station_id) for r in rows] == [
            (DOUBLE_USE, ids["gate-b"], "张华丽", gate_b.station_id, gate_a.station_id)]
        assert GateCrossing.select().count() == 2  # both facts kept, nothing merged
        names = station_names(school)  # the office shows stations by name, not by id
        assert names[gate_a.station_id] == "east-gate"
        assert str(names[gate_b.station_id]) == f"门卫室 {gate_b.station_id[-4:]}"
        review_conflict(replace(office.actor(), roles=frozenset({"discipline"})), DOUBLE_USE, ids["gate-b"],
                        "东门先放行 西门重复扫码")
        assert unreviewed_count(school) == 0
    with gate_a.use():
        assert unreviewed_count(school) == 1  # the review has not reached this gate yet
    office.sync(**ALL)
    gate_a.sync(**ALL)
    with gate_a.use():
        assert unreviewed_count(school) == 0
        assert [r.review_note for r in slip_conflicts(school, include_reviewed=True)] == ["东门先放行 西门重复扫码"]


import pytest  # noqa: E402


@pytest.mark.parametrize("skew_minutes", [-10, 10])
def test_exit_on_a_revoked_slip_by_an_offline_gate_with_a_wrong_clock_is_listed(make_station, skew_minutes):
    """Issue 13: the office revokes a slip; 20 s later a gate 10 minutes slow (or fast), offline since a minute
    before, lets the student out. After sync the office lists the exit as used after revocation (the slow gate
    used to hide it: its wall clock said 9:40 before the revocation), and says when the gate's clock was off."""
    from datetime import datetime, timezone

    from kiosk.models.slips import PassSlip, SlipRevocation
    from kiosk.services.slip_conflicts import AFTER_REVOCATION

    office, gate = make_station("office", "office"), make_station("gate", "gate")
    school = office.school
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=5)
    clock.freeze(start)
    try:
        with office.use():
            student_id, slip_id = new_id(), new_id()
            with record(office.actor(), "test.slip") as w:
                w.insert(Student(id=student_id, school_id=school, number="20260101", name="张华丽", initials="zhl",
                                 gender="F", grade="高一", class_name="高一(1)班", boarder=True, active=True,
                                 updated_at=clock.now()))
                w.insert(PassSlip(id=slip_id, school_id=school, station_id=office.station_id, recorded_at=clock.now(),
                                  student=student_id, student_number="20260101", reason_kind="sick",
                                  leave_from=clock.now(), leave_to=clock.now() + timedelta(hours=3),
                                  return_by=clock.now() + timedelta(hours=8), required_roles="", key_id=1, code="x"))
        office.sync(**ALL)
        gate.sync(**ALL)  # the gate has the slip; then its network goes down
        clock.freeze(start + timedelta(minutes=1))
        with office.use():
            with record(office.actor(), "slip.revoke") as w:
                w.insert(SlipRevocation(school_id=school, station_id=office.station_id, recorded_at=clock.now(),
                                        slip=slip_id, reason="家长来电取消"))
        office.sync(**ALL)
        at = start + timedelta(minutes=1, seconds=20) + timedelta(minutes=skew_minutes)  # the gate's wall clock
        clock.freeze(at)
        with gate.use():
            actor = gate.actor()
            with record(actor, "gate.exit", at=at) as w:
                crossing = w.insert(GateCrossing(school_id=school, station_id=actor.station_id, recorded_at=at,
                                                 student=student_id, direction="exit", kind="slip", slip_id=slip_id,
                                                 at=at, return_by=at + timedelta(hours=6)))
        gate.sync(**ALL)
        clock.freeze(start + timedelta(minutes=2))
        office.sync(**ALL)
    finally:
        clock.freeze(None)
    with office.use():
        rows = slip_conflicts(school)
    assert [(r.kind, r.crossing_id, r.clock_off) for r in rows] == [(AFTER_REVOCATION, crossing.id, skew_minutes < 0)]
