"""The nightly headcount's rules as pure functions: who is expected in each room, who is legitimately
out and why, how the supervisor's marks compare and where gate and dorm disagree (the escalation ladder of an
unknown whereabouts: kiosk.services.escalation_rules).

Nothing here touches the database or the clock: callers pass `now` and plain frozen facts
(kiosk.services.headcount_facts builds them from the roster, the gate and the dorm records).

Expected in a room = its active boarders
                     - those legitimately out (exited the gate on a valid slip and not returned; sick bay; with parent)
                     + approved overnight guests.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Iterable, Mapping
from zoneinfo import ZoneInfo

from kiosk.services.slip_rules import overdue_minutes

# Absence reasons, in the order the picker shows them.
REASONS = ("on_leave", "sick_bay", "with_parent", "other", "unknown")
# Past the slip's return deadline and not back: never chosen by hand, the gate record says it (DOMAIN: overdue is
# not leave). Counted apart from on_leave; until someone records where the student is, it is as grave as unknown.
OVERDUE = "overdue"
# Every reason an absence can carry in the totals and the signed record.
ABSENCE_REASONS = ("on_leave", OVERDUE, "sick_bay", "with_parent", "other", "unknown")
# Reasons that a dorm record (not the gate) makes legitimate in advance.
WHEREABOUTS_KINDS = ("sick_bay", "with_parent")
# Disagreements between gate and dorm; flagged, never resolved silently.
RETURNED_NOT_IN_ROOM = "returned_not_in_room"
OUT_BUT_PRESENT = "out_but_present"
# What the gate says about a student who is expected in the room (a hint on the screen).
GATE_RETURNED = "returned"
GATE_RETURNED_LATE = "returned_late"
GATE_REVOKED_OUT = "revoked_out"  # left on a slip that was revoked afterwards: not a legitimate absence
GATE_OUT_NO_SLIP = "out_no_slip"  # an exit not backed by a valid slip (exception record)


# ---------------------------------------------------------------- inputs

@dataclass(frozen=True)
class BoarderFact:
    student_id: str
    number: str
    name: str
    class_name: str
    room_id: str | None
    active: bool = True
    boarder: bool = True


@dataclass(frozen=True)
class RoomFact:
    room_id: str
    number: str
    beds: int = 6


@dataclass(frozen=True)
class SlipFact:
    """A student's latest slip at the gate, as of now: exit and return times, revoked or not."""

    student_id: str
    slip_id: str  # "" when the exit was not on a slip
    exited_at: datetime | None
    returned_at: datetime | None = None
    return_due: datetime | None = None
    revoked: bool = False
    slip_code: str = ""
    exception_id: str = ""  # a head teacher's verbal permission recorded at the gate (flagged until confirmed)

    @property
    def out(self) -> bool:
        return self.exited_at is not None and self.returned_at is None

    @property
    def authorised(self) -> bool:
        return bool(self.slip_id or self.exception_id)

    @property
    def legitimately_out(self) -> bool:
        return self.out and self.authorised and not self.revoked

    def minutes_late(self, now: datetime) -> int:
        """Minutes past the return deadline while still out (the slip rules' count); 0 when not overdue."""
        if not self.out or self.return_due is None:
            return 0
        return overdue_minutes(now, self.return_due)


@dataclass(frozen=True)
class WhereaboutsFact:
    """A dorm-side record that a student is elsewhere tonight: sick bay or collected by a parent."""

    record_id: str
    student_id: str
    kind: str  # sick_bay | with_parent
    note: str
    since: datetime
    until: datetime | None = None

    def active_at(self, now: datetime) -> bool:
        return self.since <= now and (self.until is None or self.until > now)


@dataclass(frozen=True)
class GuestFact:
    guest_id: str
    room_id: str
    name: str
    relation: str
    approved: bool = True


@dataclass(frozen=True)
class Mark:
    """The supervisor's latest mark for one student in this round."""

    student_id: str
    present: bool
    reason: str = ""  # when absent: one of REASONS
    note: str = ""
    method: str = ""  # all | count | tick | scan


@dataclass(frozen=True)
class Resolution:
    """An unknown-whereabouts incident of this round, closed: where the student was and who confirmed it."""

    student_id: str
    whereabouts: str
    confirmed_name: str
    closed_at: datetime


@dataclass(frozen=True)
class ExtraFact:
    room_id: str
    name: str
    note: str = ""
    student_id: str | None = None  # a boarder of another room found here


# ---------------------------------------------------------------- outputs

@dataclass(frozen=True)
class ExpectedAbsence:
    student_id: str
    number: str
    name: str
    class_name: str
    reason: str  # on_leave | overdue | sick_bay | with_parent
    slip_id: str = ""
    slip_code: str = ""
    exited_at: datetime | None = None
    return_due: datetime | None = None
    note: str = ""
    record_id: str = ""
    exception_id: str = ""
    minutes_late: int = 0  # overdue: how late, as of now
    whereabouts: str = ""  # overdue: the reason the supervisor recorded (sick_bay | with_parent | other | unknown)
    resolution: Resolution | None = None  # recorded as unknown, and the incident was closed since
    leave_refusal: str = ""  # why the picker may not record this student as on leave now (see leave_refusal)

    @property
    def needs_whereabouts(self) -> bool:
        """An overdue student whose whereabouts nobody recorded yet (or recorded as unknown, incident still open)."""
        return self.reason == OVERDUE and (self.whereabouts == "" or (self.whereabouts == "unknown"
                                                                      and self.resolution is None))


@dataclass(frozen=True)
class StudentLine:
    student_id: str
    number: str
    name: str
    class_name: str
    state: str  # present | absent | unmarked
    reason: str = ""
    note: str = ""
    gate: str = ""  # "" or one of the GATE_* hints
    gate_at: datetime | None = None
    slip_id: str = ""
    resolution: Resolution | None = None  # absent as unknown, and the incident was closed since
    leave_refusal: str = ""  # why the picker may not record this student as on leave now (see leave_refusal)


@dataclass(frozen=True)
class Disagreement:
    student_id: str
    number: str
    name: str
    room_id: str
    room_number: str
    kind: str  # returned_not_in_room | out_but_present
    slip_id: str
    at: datetime | None  # the gate time (return or exit)


@dataclass(frozen=True)
class RoomResult:
    room_id: str
    number: str
    residents: int  # active boarders assigned to the room
    expected: tuple[StudentLine, ...]  # students who should sleep here tonight, with their marks
    expected_absent: tuple[ExpectedAbsence, ...]  # legitimately out, with why
    present_absentees: tuple[StudentLine, ...]  # expected out but marked present (a disagreement)
    guests: tuple[GuestFact, ...]
    extras: tuple[ExtraFact, ...]
    disagreements: tuple[Disagreement, ...]

    @property
    def expected_count(self) -> int:
        return len(self.expected) + len(self.guests)

    @property
    def present_count(self) -> int:
        marked = sum(1 for line in self.expected if line.state == "present")
        return marked + len(self.present_absentees) + len(self.guests)

    @property
    def unmarked(self) -> tuple[StudentLine, ...]:
        return tuple(line for line in self.expected if line.state == "unmarked")

    @property
    def absent(self) -> tuple[StudentLine, ...]:
        return tuple(line for line in self.expected if line.state == "absent")

    def absent_by_reason(self) -> dict[str, int]:
        counts = {reason: 0 for reason in ABSENCE_REASONS}
        for absence in self.expected_absent:
            if absence.student_id not in {line.student_id for line in self.present_absentees}:
                counts[absence.reason] += 1
        for line in self.absent:
            counts[line.reason] += 1
        return counts

    @property
    def unknown_count(self) -> int:
        """Absences nobody can place: unknown marks and overdue students without recorded whereabouts."""
        return (sum(1 for line in self.absent if line.reason == "unknown" and line.resolution is None)
                + sum(1 for absence in self.expected_absent if absence.needs_whereabouts))

    @property
    def overdue(self) -> tuple[ExpectedAbsence, ...]:
        return tuple(absence for absence in self.expected_absent if absence.reason == OVERDUE)

    @property
    def status(self) -> str:
        """done: everyone expected accounted for; problem: unknown or disagreement; open: still to count."""
        if self.unknown_count or self.disagreements:
            return "problem"
        if self.unmarked:
            return "open"
        return "done"


@dataclass(frozen=True)
class BuildingTotals:
    rooms: int
    rooms_done: int
    residents: int
    expected: int
    present: int
    unmarked: int
    guests: int
    extras: int
    disagreements: int
    absent: Mapping[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------- reconciliation

def reconcile_room(room: RoomFact, boarders: Iterable[BoarderFact], now: datetime, *,
                   slips: Mapping[str, SlipFact] | None = None,
                   whereabouts: Iterable[WhereaboutsFact] = (),
                   guests: Iterable[GuestFact] = (),
                   marks: Mapping[str, Mark] | None = None,
                   extras: Iterable[ExtraFact] = (),
                   resolutions: Mapping[str, Resolution] | None = None) -> RoomResult:
    """One room tonight: expected occupants, legitimate absences with why, marks and disagreements.
    `resolutions`: closed incidents of this round by student (the round shows them; the marks stay as made)."""
    slips = slips or {}
    marks = marks or {}
    resolutions = resolutions or {}
    active_records: dict[str, WhereaboutsFact] = {}
    for record in sorted(whereabouts, key=lambda r: r.since):
        if record.kind in WHEREABOUTS_KINDS and record.active_at(now):
            active_records[record.student_id] = record
    residents = sorted((b for b in boarders if b.active and b.boarder and b.room_id == room.room_id),
                       key=lambda b: b.number)
    expected: list[StudentLine] = []
    expected_absent: list[ExpectedAbsence] = []
    present_absentees: list[StudentLine] = []
    disagreements: list[Disagreement] = []

    def disagreement(b: BoarderFact, kind: str, slip: SlipFact, at: datetime | None) -> Disagreement:
        return Disagreement(b.student_id, b.number, b.name, room.room_id, room.number, kind, slip.slip_id, at)

    for b in residents:
        slip = slips.get(b.student_id)
        record = active_records.get(b.student_id)
        mark = marks.get(b.student_id)
        refusal = leave_refusal(slip, now)
        if slip is not None and slip.legitimately_out:
            late = slip.minutes_late(now)
            recorded = mark.reason if late and mark is not None and not mark.present else ""
            expected_absent.append(ExpectedAbsence(
                b.student_id, b.number, b.name, b.class_name, OVERDUE if late else "on_leave", slip.slip_id,
                slip.slip_code, slip.exited_at, slip.return_due, note=mark.note if recorded else "",
                exception_id=slip.exception_id, minutes_late=late, whereabouts=recorded,
                resolution=resolutions.get(b.student_id) if recorded == "unknown" else None, leave_refusal=refusal))
            if mark is not None and mark.present:
                present_absentees.append(StudentLine(b.student_id, b.number, b.name, b.class_name, "present",
                                                     gate="out", gate_at=slip.exited_at, slip_id=slip.slip_id,
                                                     leave_refusal=refusal))
                disagreements.append(disagreement(b, OUT_BUT_PRESENT, slip, slip.exited_at))
            continue
        if record is not None:
            expected_absent.append(ExpectedAbsence(
                b.student_id, b.number, b.name, b.class_name, record.kind, note=record.note, record_id=record.record_id,
                leave_refusal=refusal))
            if mark is not None and mark.present:
                present_absentees.append(StudentLine(b.student_id, b.number, b.name, b.class_name, "present",
                                                     leave_refusal=refusal))
            continue
        gate, gate_at, slip_id = "", None, ""
        if slip is not None:
            slip_id = slip.slip_id
            if slip.returned_at is not None:
                late = slip.return_due is not None and slip.returned_at > slip.return_due
                gate, gate_at = (GATE_RETURNED_LATE if late else GATE_RETURNED), slip.returned_at
            elif slip.out:
                gate, gate_at = (GATE_REVOKED_OUT if slip.authorised else GATE_OUT_NO_SLIP), slip.exited_at
        if mark is None:
            state, reason, note = "unmarked", "", ""
        elif mark.present:
            state, reason, note = "present", "", ""
            if gate in (GATE_REVOKED_OUT, GATE_OUT_NO_SLIP):
                disagreements.append(disagreement(b, OUT_BUT_PRESENT, slip, slip.exited_at))
        else:
            state, reason, note = "absent", mark.reason or "unknown", mark.note
            if gate in (GATE_RETURNED, GATE_RETURNED_LATE):
                disagreements.append(disagreement(b, RETURNED_NOT_IN_ROOM, slip, slip.returned_at))
        resolution = resolutions.get(b.student_id) if state == "absent" and reason == "unknown" else None
        expected.append(StudentLine(b.student_id, b.number, b.name, b.class_name, state, reason, note,
                                    gate, gate_at, slip_id, resolution, refusal))
    return RoomResult(
        room_id=room.room_id, number=room.number, residents=len(residents), expected=tuple(expected),
        expected_absent=tuple(expected_absent), present_absentees=tuple(present_absentees),
        guests=tuple(g for g in guests if g.approved and g.room_id == room.room_id),
        extras=tuple(e for e in extras if e.room_id == room.room_id),
        disagreements=tuple(disagreements),
    )


def reconcile_building(rooms: Iterable[RoomFact], boarders: Iterable[BoarderFact], now: datetime, *,
                       slips: Mapping[str, SlipFact] | None = None,
                       whereabouts: Iterable[WhereaboutsFact] = (),
                       guests: Iterable[GuestFact] = (),
                       marks: Mapping[str, Mark] | None = None,
                       extras: Iterable[ExtraFact] = (),
                       resolutions: Mapping[str, Resolution] | None = None) -> tuple[RoomResult, ...]:
    """Every room of a building, in room-number order (grouping inputs once, not per room)."""
    by_room: dict[str | None, list[BoarderFact]] = {}
    for b in boarders:
        by_room.setdefault(b.room_id, []).append(b)
    records = list(whereabouts)
    guests_by_room: dict[str, list[GuestFact]] = {}
    for g in guests:
        guests_by_room.setdefault(g.room_id, []).append(g)
    extras_by_room: dict[str, list[ExtraFact]] = {}
    for e in extras:
        extras_by_room.setdefault(e.room_id, []).append(e)
    results = []
    for room in sorted(rooms, key=lambda r: room_sort_key(r.number)):
        members = by_room.get(room.room_id, [])
        member_ids = {b.student_id for b in members}
        results.append(reconcile_room(
            room, members, now, slips=slips,
            whereabouts=[r for r in records if r.student_id in member_ids],
            guests=guests_by_room.get(room.room_id, ()), marks=marks,
            extras=extras_by_room.get(room.room_id, ()), resolutions=resolutions))
    return tuple(results)


def totals(results: Iterable[RoomResult]) -> BuildingTotals:
    results = list(results)
    absent = {reason: 0 for reason in ABSENCE_REASONS}
    for room in results:
        for reason, count in room.absent_by_reason().items():
            absent[reason] += count
    return BuildingTotals(
        rooms=len(results), rooms_done=sum(1 for r in results if r.status == "done"),
        residents=sum(r.residents for r in results), expected=sum(r.expected_count for r in results),
        present=sum(r.present_count for r in results), unmarked=sum(len(r.unmarked) for r in results),
        guests=sum(len(r.guests) for r in results), extras=sum(len(r.extras) for r in results),
        disagreements=sum(len(r.disagreements) for r in results), absent=absent,
    )


def room_sort_key(number: str) -> tuple:
    digits = "".join(ch for ch in number if ch in "0123456789")  # isdigit() lets '፩' through to int()
    return (int(digits) if digits else 0, number)


# ---------------------------------------------------------------- counting a room

@dataclass(frozen=True)
class CountOutcome:
    kind: str  # all_present | missing | extra
    difference: int  # how many are missing or extra (0 when all present)


def count_outcome(expected: int, counted: int) -> CountOutcome:
    """A typed room count against the expected number: all present, or how many to name."""
    if counted < 0:
        raise ValueError("count must not be negative")
    if counted == expected:
        return CountOutcome("all_present", 0)
    if counted < expected:
        return CountOutcome("missing", expected - counted)
    return CountOutcome("extra", counted - expected)


def leave_refusal(slip: SlipFact | None, now: datetime) -> str:
    """Why an absent student cannot be recorded as `on_leave` as of `now` ("" when they can), given their latest
    slip at the gate. On leave comes from the gate record: a slip (or a recorded permission) the student left on,
    has not returned from, that was not revoked since, and whose return deadline has not passed (overdue is not
    leave). The reason picker shows this beside the option and the service refuses with it: one rule for both."""
    if slip is None or not slip.out or not slip.authorised:
        return "no_slip"
    if slip.revoked:
        return "slip_revoked"
    if slip.minutes_late(now):
        return "overdue"
    return ""


# ---------------------------------------------------------------- the night

def night_of(at: datetime, zone: ZoneInfo) -> date:
    """The night a moment belongs to: the evening's date; until noon it is still the previous night."""
    local = at.astimezone(zone)
    return local.date() if local.hour >= 12 else local.date() - timedelta(days=1)
