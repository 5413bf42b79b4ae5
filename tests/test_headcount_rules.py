"""The headcount's pure rules: reconciliation with the gate and dorm records, counting, escalation timers."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from kiosk.services import escalation_rules as esc
from kiosk.services import headcount_rules as r

NOW = datetime(2026, 11, 18, 13, 30, tzinfo=timezone.utc)  # 21:30 in Shanghai
ROOM = r.RoomFact("room-1", "101")
OTHER = r.RoomFact("room-2", "102")


def boarder(n: int, room: str = "room-1", **kw) -> r.BoarderFact:
    return r.BoarderFact(f"s{n}", f"2026{n:04d}", f"学生{n}", "高一(1)班", room, **kw)


def six(room: str = "room-1") -> list[r.BoarderFact]:
    return [boarder(n, room) for n in range(1, 7)]


def present(*ids: str, method: str = "tick") -> dict[str, r.Mark]:
    return {sid: r.Mark(sid, True, method=method) for sid in ids}


def test_plain_room_expects_its_six_boarders_and_is_done_when_all_present():
    result = r.reconcile_room(ROOM, six(), NOW)
    assert result.expected_count == 6 and result.status == "open" and len(result.unmarked) == 6
    done = r.reconcile_room(ROOM, six(), NOW, marks=present(*(f"s{n}" for n in range(1, 7))))
    assert done.present_count == 6 and done.status == "done" and not done.disagreements


def test_slip_exit_not_returned_is_expected_absent_with_slip_and_exit_time():
    exit_at = NOW - timedelta(hours=5)
    slips = {"s2": r.SlipFact("s2", "slip-9", exit_at, None, NOW + timedelta(days=1), slip_code="ABC")}
    result = r.reconcile_room(ROOM, six(), NOW, slips=slips)
    assert result.expected_count == 5
    (absence,) = result.expected_absent
    assert (absence.student_id, absence.reason, absence.slip_id, absence.exited_at) == ("s2", "on_leave", "slip-9", exit_at)
    assert result.absent_by_reason()["on_leave"] == 1


def test_returned_late_is_expected_in_room_with_a_late_hint():
    slips = {"s3": r.SlipFact("s3", "slip-1", NOW - timedelta(days=2), NOW - timedelta(hours=1), NOW - timedelta(hours=3))}
    result = r.reconcile_room(ROOM, six(), NOW, slips=slips)
    assert result.expected_count == 6 and not result.expected_absent
    line = next(line for line in result.expected if line.student_id == "s3")
    assert line.gate == r.GATE_RETURNED_LATE and line.gate_at == NOW - timedelta(hours=1)
    on_time = {"s3": r.SlipFact("s3", "slip-1", NOW - timedelta(days=2), NOW - timedelta(hours=4), NOW - timedelta(hours=3))}
    line = next(line for line in r.reconcile_room(ROOM, six(), NOW, slips=on_time).expected if line.student_id == "s3")
    assert line.gate == r.GATE_RETURNED


def test_revoked_slip_is_not_a_legitimate_absence():
    slips = {"s4": r.SlipFact("s4", "slip-2", NOW - timedelta(hours=2), None, None, revoked=True)}
    result = r.reconcile_room(ROOM, six(), NOW, slips=slips)
    assert result.expected_count == 6 and not result.expected_absent
    line = next(line for line in result.expected if line.student_id == "s4")
    assert line.gate == r.GATE_REVOKED_OUT
    # If the supervisor finds them in the room anyway, gate and dorm disagree: flagged.
    marked = r.reconcile_room(ROOM, six(), NOW, slips=slips, marks=present("s4"))
    assert [d.kind for d in marked.disagreements] == [r.OUT_BUT_PRESENT]


def test_exit_without_slip_keeps_student_expected():
    slips = {"s1": r.SlipFact("s1", "", NOW - timedelta(hours=2))}
    result = r.reconcile_room(ROOM, six(), NOW, slips=slips)
    assert result.expected_count == 6
    assert result.expected[0].gate == r.GATE_OUT_NO_SLIP


def test_sick_bay_and_with_parent_records_are_expected_absent_with_note():
    records = [
        r.WhereaboutsFact("w1", "s5", "sick_bay", "发烧 38.5", NOW - timedelta(hours=3)),
        r.WhereaboutsFact("w2", "s6", "with_parent", "父亲接走", NOW - timedelta(hours=1)),
        r.WhereaboutsFact("w3", "s1", "sick_bay", "已回", NOW - timedelta(days=1), until=NOW - timedelta(hours=2)),
        r.WhereaboutsFact("w4", "s2", "sick_bay", "later", NOW + timedelta(hours=1)),
    ]
    result = r.reconcile_room(ROOM, six(), NOW, whereabouts=records)
    assert {(a.student_id, a.reason, a.note) for a in result.expected_absent} == {
        ("s5", "sick_bay", "发烧 38.5"), ("s6", "with_parent", "父亲接走")}
    assert result.expected_count == 4
    counts = result.absent_by_reason()
    assert counts["sick_bay"] == 1 and counts["with_parent"] == 1


def test_approved_guest_adds_to_expected_and_unapproved_does_not():
    guests = [r.GuestFact("g1", "room-1", "王母", "母亲"), r.GuestFact("g2", "room-1", "x", "舅舅", approved=False),
              r.GuestFact("g3", "room-2", "y", "父亲")]
    result = r.reconcile_room(ROOM, six(), NOW, guests=guests)
    assert result.expected_count == 7 and [g.guest_id for g in result.guests] == ["g1"]


def test_student_moved_room_is_expected_in_the_new_room_only():
    roster = six() + [boarder(7, "room-2")]
    moved = [b if b.student_id != "s3" else boarder(3, "room-2") for b in roster]
    rooms = r.reconcile_building([ROOM, OTHER], moved, NOW)
    assert rooms[0].expected_count == 5 and rooms[1].expected_count == 2
    assert "s3" in {line.student_id for line in rooms[1].expected}


def test_inactive_students_and_day_students_are_not_expected():
    roster = six()[:4] + [boarder(5, active=False), boarder(6, boarder=False)]
    result = r.reconcile_room(ROOM, roster, NOW)
    assert result.residents == 4 and result.expected_count == 4


def test_returned_at_gate_but_not_in_room_is_a_disagreement_whatever_the_reason():
    slips = {"s2": r.SlipFact("s2", "slip-3", NOW - timedelta(days=1), NOW - timedelta(minutes=40), NOW)}
    marks = present("s1", "s3", "s4", "s5", "s6") | {"s2": r.Mark("s2", False, "other", "在教室")}
    result = r.reconcile_room(ROOM, six(), NOW, slips=slips, marks=marks)
    (d,) = result.disagreements
    assert (d.kind, d.student_id, d.slip_id, d.room_number) == (r.RETURNED_NOT_IN_ROOM, "s2", "slip-3", "101")
    assert result.status == "problem"


def test_out_on_slip_but_present_in_room_is_counted_present_and_flagged():
    slips = {"s2": r.SlipFact("s2", "slip-3", NOW - timedelta(hours=3), None, NOW + timedelta(days=1))}
    marks = present(*(f"s{n}" for n in range(1, 7)))
    result = r.reconcile_room(ROOM, six(), NOW, slips=slips, marks=marks)
    assert result.present_count == 6 and result.expected_count == 5
    assert [d.kind for d in result.disagreements] == [r.OUT_BUT_PRESENT]
    assert result.absent_by_reason()["on_leave"] == 0


def test_unknown_absence_makes_the_room_a_problem():
    marks = present("s1", "s2", "s3", "s4", "s5") | {"s6": r.Mark("s6", False, "unknown")}
    result = r.reconcile_room(ROOM, six(), NOW, marks=marks)
    assert result.unknown_count == 1 and result.status == "problem"
    assert result.absent_by_reason()["unknown"] == 1 and result.present_count == 5


def test_extras_are_listed_in_their_room():
    extras = [r.ExtraFact("room-1", "李某", "外班学生"), r.ExtraFact("room-2", "x")]
    result = r.reconcile_room(ROOM, six(), NOW, extras=extras)
    assert [e.name for e in result.extras] == ["李某"]


def test_building_totals_add_up():
    slips = {"s2": r.SlipFact("s2", "slip-3", NOW - timedelta(hours=3))}
    roster = six() + [boarder(n, "room-2") for n in range(7, 10)]
    marks = present("s1", "s3", "s4", "s5", "s6", "s7", "s8") | {"s9": r.Mark("s9", False, "unknown")}
    rooms = r.reconcile_building([OTHER, ROOM], roster, NOW, slips=slips, marks=marks)
    assert [room.number for room in rooms] == ["101", "102"]
    total = r.totals(rooms)
    assert (total.residents, total.expected, total.present, total.unmarked) == (9, 8, 7, 0)
    assert total.absent["on_leave"] == 1 and total.absent["unknown"] == 1 and total.rooms_done == 1


@pytest.mark.parametrize("expected,counted,kind,diff", [(6, 6, "all_present", 0), (6, 4, "missing", 2), (5, 7, "extra", 2)])
def test_count_outcome(expected, counted, kind, diff):
    assert r.count_outcome(expected, counted) == r.CountOutcome(kind, diff)


def test_count_outcome_rejects_negative():
    with pytest.raises(ValueError):
        r.count_outcome(6, -1)


def test_on_leave_needs_a_slip_that_covers_the_absence():
    assert r.leave_refusal(None, NOW) == "no_slip"
    assert r.leave_refusal(r.SlipFact("s", "slip", NOW, NOW), NOW) == "no_slip"  # back through the gate
    assert r.leave_refusal(r.SlipFact("s", "", NOW), NOW) == "no_slip"  # left without a slip
    assert r.leave_refusal(r.SlipFact("s", "slip", NOW), NOW) == ""
    # Left on a slip revoked afterwards: not a legitimate absence, so not leave either (it used to be accepted).
    assert r.leave_refusal(r.SlipFact("s", "slip", NOW, revoked=True), NOW) == "slip_revoked"


def test_every_line_carries_why_it_cannot_be_on_leave_for_the_reason_picker():
    """Dorm defect: the picker offered 请假离校 to every student and the service refused it afterwards."""
    slips = {"s1": r.SlipFact("s1", "", NOW - timedelta(hours=2)),
             "s2": r.SlipFact("s2", "slip-1", NOW - timedelta(days=1), NOW - timedelta(hours=1)),
             "s3": r.SlipFact("s3", "slip-2", NOW - timedelta(hours=2), revoked=True),
             "s4": r.SlipFact("s4", "slip-3", NOW - timedelta(hours=2), None, NOW + timedelta(hours=1)),
             "s5": r.SlipFact("s5", "slip-4", NOW - timedelta(days=1), None, NOW - timedelta(hours=1))}
    result = r.reconcile_room(ROOM, six(), NOW, slips=slips)
    assert {line.student_id: line.leave_refusal for line in result.expected} == {
        "s1": "no_slip", "s2": "no_slip", "s3": "slip_revoked", "s6": "no_slip"}
    assert {a.student_id: (a.reason, a.leave_refusal) for a in result.expected_absent} == {
        "s4": ("on_leave", ""), "s5": (r.OVERDUE, "overdue")}


def test_night_of_counts_small_hours_as_the_previous_night():
    zone = ZoneInfo("Asia/Shanghai")
    assert r.night_of(NOW, zone) == date(2026, 11, 18)
    assert r.night_of(datetime(2026, 11, 18, 17, 30, tzinfo=timezone.utc), zone) == date(2026, 11, 18)  # 01:30 on 19th
    assert r.night_of(datetime(2026, 11, 19, 4, 0, tzinfo=timezone.utc), zone) == date(2026, 11, 19)  # 12:00


class TestEscalation:
    OPENED = NOW

    def states(self, at, **kw):
        return [step.state for step in esc.escalation_ladder(self.OPENED, at, [0, 30, 60], **kw)]

    def test_head_teacher_due_at_once_then_duty_leader_then_leadership(self):
        steps = esc.escalation_ladder(self.OPENED, self.OPENED, [0, 30, 60])
        assert [s.role for s in steps] == ["head_teacher", "duty_leader", "principal"]
        assert [s.due_at - self.OPENED for s in steps] == [timedelta(0), timedelta(minutes=30), timedelta(minutes=60)]
        assert self.states(self.OPENED) == ["due", "waiting", "waiting"]
        assert self.states(self.OPENED + timedelta(minutes=29)) == ["overdue", "waiting", "waiting"]
        assert self.states(self.OPENED + timedelta(minutes=30)) == ["overdue", "due", "waiting"]
        assert self.states(self.OPENED + timedelta(minutes=75)) == ["overdue", "overdue", "overdue"]

    def test_acknowledgements_stop_the_step(self):
        acks = [esc.Acknowledgement(0, "t1", "王老师", self.OPENED + timedelta(minutes=2)),
                esc.Acknowledgement(1, "l1", "李主任", self.OPENED + timedelta(minutes=31))]
        steps = esc.escalation_ladder(self.OPENED, self.OPENED + timedelta(minutes=61), [0, 30, 60], acks=acks)
        assert [s.state for s in steps] == ["acknowledged", "acknowledged", "due"]
        assert steps[0].ack.staff_name == "王老师"

    def test_closing_before_a_step_is_due_makes_it_not_needed(self):
        closed = self.OPENED + timedelta(minutes=20)
        acks = [esc.Acknowledgement(0, "t1", "王老师", self.OPENED + timedelta(minutes=1))]
        assert self.states(self.OPENED + timedelta(hours=3), acks=acks, closed_at=closed) == [
            "acknowledged", "not_needed", "not_needed"]

    def test_custom_minutes_and_extra_steps_go_to_leadership(self):
        steps = esc.escalation_ladder(self.OPENED, self.OPENED, [0, 10, 20, 40])
        assert [s.role for s in steps] == ["head_teacher", "duty_leader", "principal", "principal"]

    def test_who_may_acknowledge(self):
        head, duty, lead = esc.escalation_ladder(self.OPENED, self.OPENED, [0, 30, 60])
        assert esc.can_acknowledge(head, frozenset({"head_teacher"}), "高一(1)班", "高一(1)班")
        assert esc.can_acknowledge(head, frozenset({"principal"}))
        assert esc.can_acknowledge(head, frozenset({"duty_leader"}), "", "高一(3)班")
        assert not esc.can_acknowledge(lead, frozenset({"head_teacher"}))
        assert not esc.can_acknowledge(duty, frozenset({"dorm_supervisor"}))
        assert esc.can_acknowledge(lead, frozenset({"admin"}))

    def test_a_head_teacher_of_another_class_cannot_acknowledge_the_head_teacher_step(self):
        """Defect 2: any head teacher acknowledged the step for any student."""
        head, duty, _ = esc.escalation_ladder(self.OPENED, self.OPENED, [0, 30, 60])
        assert not esc.can_acknowledge(head, frozenset({"head_teacher"}), "高一(1)班", "高一(3)班")
        assert not esc.can_acknowledge(head, frozenset({"head_teacher"}), "", "")  # a head teacher without a class
        assert not esc.can_acknowledge(duty, frozenset({"head_teacher"}), "高一(3)班", "高一(3)班")


def test_verbal_exception_exit_is_on_leave_with_its_exception_id():
    slips = {"s1": r.SlipFact("s1", "", NOW - timedelta(hours=1), exception_id="ex-1")}
    result = r.reconcile_room(ROOM, six(), NOW, slips=slips)
    (absence,) = result.expected_absent
    assert (absence.reason, absence.exception_id, absence.slip_id) == ("on_leave", "ex-1", "")
    assert r.leave_refusal(slips["s1"], NOW) == "" and absence.leave_refusal == ""


def test_overdue_is_not_leave_and_is_a_problem_until_someone_records_where_the_student_is():
    """Defect 1: a boarder past the slip's return deadline showed as 请假离校 like one still within it."""
    due = NOW - timedelta(minutes=95)
    slips = {"s2": r.SlipFact("s2", "slip-9", NOW - timedelta(days=1), None, due, slip_code="ABC")}
    everyone_else = present("s1", "s3", "s4", "s5", "s6")
    result = r.reconcile_room(ROOM, six(), NOW, slips=slips, marks=everyone_else)
    (absence,) = result.expected_absent
    assert (absence.reason, absence.minutes_late, absence.return_due) == (r.OVERDUE, 95, due)
    assert absence.needs_whereabouts and result.overdue == (absence,)
    assert result.status == "problem" and result.unknown_count == 1  # like an unknown whereabouts
    assert result.absent_by_reason()["on_leave"] == 0 and result.absent_by_reason()[r.OVERDUE] == 1
    assert r.totals([result]).absent[r.OVERDUE] == 1
    assert absence.leave_refusal == "overdue"  # nobody may call it leave by hand either
    # Someone records where the student is: still counted overdue, no longer unknown.
    marks = {**everyone_else, "s2": r.Mark("s2", False, "other", "家长来电：路上堵车，23:00前返校")}
    recorded = r.reconcile_room(ROOM, six(), NOW, slips=slips, marks=marks)
    (absence,) = recorded.expected_absent
    assert (absence.reason, absence.whereabouts, absence.note) == (r.OVERDUE, "other", "家长来电：路上堵车，23:00前返校")
    assert recorded.status == "done" and recorded.unknown_count == 0
    # Recorded as unknown: still a problem (the incident carries it on).
    marks["s2"] = r.Mark("s2", False, "unknown")
    assert r.reconcile_room(ROOM, six(), NOW, slips=slips, marks=marks).status == "problem"
    # Before the deadline the same slip is plain leave.
    early = r.reconcile_room(ROOM, six(), due - timedelta(minutes=1), slips=slips, marks=everyone_else)
    assert early.expected_absent[0].reason == "on_leave" and early.status == "done"
