"""Nightly headcount services for the dorm station. Screens and the CLI call these; they return frozen
dataclasses (never peewee rows) and write only through kiosk.services.facts.record.

Expected occupants are computed here from the roster, the gate crossings (kiosk.models.slips), the
whereabouts records and the approved overnight guests, then reconciled by the pure rules in
kiosk.services.headcount_rules. User errors raise HeadcountError(i18n key) and change nothing.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import peewee

from kiosk import clock
from kiosk.config import DormSettings
from kiosk.i18n import UserError
from kiosk.models import Building, Room, Staff, Student, database_proxy
from kiosk.models.base import UtcDateTimeField, utc_text
from kiosk.models.dorm import (ExtraPerson, GuestApproval, GuestApprovalRevocation, HeadcountRound, Incident, IncidentAck,
                               OvernightGuest, RoomConfirm, RoomMark, Whereabouts)
from kiosk.models.slips import SlipRevocation
from kiosk.services.visitor_rules import mask_id, normalise_id
from kiosk.services import guest_rules
from kiosk.services import headcount_rules as rules
from kiosk.services.actor import Actor
from kiosk.services.auth import StaffSession, check_pin, find_staff, session_for
from kiosk.services.facts import record
from kiosk.services.names import clean_text

# A gate return older than this is ordinary history, not a fact about tonight.
RETURN_RELEVANT_HOURS = 24
METHODS = ("all", "count", "tick", "scan")
_TIME = UtcDateTimeField()


class HeadcountError(UserError):
    """A user error: `key` is an i18n key under dorm.*, `values` its placeholders. Nothing was changed."""

    text = UserError.message  # the dorm screens' name for it


# ---------------------------------------------------------------- views handed to screens and the CLI

@dataclass(frozen=True)
class BuildingInfo:
    building_id: str
    name: str
    rooms: int
    beds: int


@dataclass(frozen=True)
class RoundView:
    round_id: str
    building_id: str
    building_name: str
    night: date
    seq: int
    started_at: datetime
    started_by: str
    submitted_at: datetime | None
    submitted_name: str
    summary_hash: str
    rooms: tuple[rules.RoomResult, ...]
    totals: rules.BuildingTotals
    open_incidents: int
    as_of: datetime

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None

    def room(self, room_id: str) -> rules.RoomResult:
        for room in self.rooms:
            if room.room_id == room_id:
                return room
        raise HeadcountError("dorm.err_room_unknown")


@dataclass(frozen=True)
class CountResult:
    outcome: rules.CountOutcome
    room: rules.RoomResult


@dataclass(frozen=True)
class MarkResult:
    student_name: str
    student_number: str
    room_number: str
    incident_id: str | None = None


@dataclass(frozen=True)
class IncidentView:
    incident_id: str
    student_id: str
    student_name: str
    student_number: str
    class_name: str
    room_number: str
    building_name: str
    night: date
    opened_at: datetime
    opened_by: str
    note: str
    gate_return_at: datetime | None
    closed_at: datetime | None
    whereabouts: str
    confirmed_name: str
    steps: tuple[rules.LadderStep, ...]

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True)
class GuestView:
    guest_id: str
    room_number: str
    night: date
    name: str
    id_masked: str
    relation: str
    student_name: str
    teacher_name: str
    manager_name: str


@dataclass(frozen=True)
class ApprovalView:
    """A head teacher's approval of an overnight guest, as the office list and the dorm's guest form show it."""

    id: str
    student_id: str
    student_number: str
    student_name: str
    class_name: str
    building_name: str
    room_number: str
    guest_name: str
    id_masked: str
    relation: str
    first_night: date
    last_night: date
    note: str
    teacher_name: str
    revoked: bool
    revoke_reason: str
    nights_used: tuple[date, ...]

    def covers(self, night: date) -> bool:
        return guest_rules.covers(self.range(), night)

    def range(self) -> guest_rules.ApprovalRange:
        return guest_rules.ApprovalRange(self.first_night, self.last_night, self.revoked)


@dataclass(frozen=True)
class NightSummary:
    round_id: str
    building_name: str
    night: date
    seq: int
    submitted_at: datetime | None
    submitted_name: str
    expected: int
    present: int
    on_leave: int
    sick_bay: int
    with_parent: int
    other: int
    unknown: int
    guests: int
    disagreements: int


# ---------------------------------------------------------------- small helpers

def night_of(at: datetime, zone: ZoneInfo) -> date:
    return rules.night_of(at, zone)


def _actor_check(actor: Actor) -> None:
    if actor.staff_id is None:
        raise HeadcountError("dorm.err_login")


def verify_staff(school_id: str, number: str, pin: str) -> StaffSession:
    """A named person's staff number (or card) and PIN, checked; the same check the PIN dialog makes."""
    staff = find_staff(number, school_id)
    if staff is None or not staff.active or not check_pin(pin, staff.pin_hash):
        raise HeadcountError("dorm.err_pin")
    return session_for(staff)


def _current_staff(session: StaffSession) -> Staff:
    """The verified person as the database has them now (still active, current roles)."""
    staff = Staff.get_or_none(Staff.id == session.staff_id)
    if staff is None or not staff.active:
        raise HeadcountError("dorm.err_pin")
    return staff


def buildings(school_id: str) -> list[BuildingInfo]:
    rows = (Building.select(Building.id, Building.name, peewee.fn.COUNT(Room.id).alias("rooms"),
                            peewee.fn.COALESCE(peewee.fn.SUM(Room.beds), 0).alias("beds"))
            .join(Room, peewee.JOIN.LEFT_OUTER).where(Building.school_id == school_id)
            .group_by(Building.id).order_by(Building.name).dicts())
    return [BuildingInfo(row["id"], row["name"], row["rooms"], row["beds"]) for row in rows]


def find_building(school_id: str, name_or_id: str) -> BuildingInfo:
    for info in buildings(school_id):
        if name_or_id in (info.building_id, info.name):
            return info
    raise HeadcountError("dorm.err_building_unknown", name=name_or_id)


def _room_facts(building_id: str, room_id: str | None = None) -> list[rules.RoomFact]:
    query = Room.select(Room.id, Room.number, Room.beds).where(Room.building == building_id)
    if room_id is not None:
        query = query.where(Room.id == room_id)
    rows = query.tuples()
    return [rules.RoomFact(room_id, number, beds) for room_id, number, beds in rows]


def _boarders(building_id: str, room_id: str | None = None) -> list[rules.BoarderFact]:
    query = (Student.select(Student.id, Student.number, Student.name, Student.class_name, Student.room,
                            Student.active, Student.boarder)
             .join(Room).where(Room.building == building_id))
    if room_id is not None:
        query = query.where(Student.room == room_id)
    rows = query.tuples()
    return [rules.BoarderFact(sid, number, name, class_name, room_id, bool(active), bool(boarder))
            for sid, number, name, class_name, room_id, active, boarder in rows]


_LATEST_CROSSING_SQL = """
SELECT s.id, (SELECT c.id FROM gate_crossing c
              WHERE c.student_id = s.id AND c.kind IN ('slip', 'verbal_exception') AND c.at <= ?
              ORDER BY c.at DESC LIMIT 1)
FROM student s JOIN room r ON r.id = s.room_id
WHERE r.building_id = ? AND s.active = 1 AND s.boarder = 1 AND (? IS NULL OR r.id = ?)
"""


def slip_facts(building_id: str, now: datetime, room_id: str | None = None) -> dict[str, rules.SlipFact]:
    """Each boarder's latest slip (or verbal-exception) crossing at the gate as of `now`, as a SlipFact.

    A return is kept only when it happened in the last RETURN_RELEVANT_HOURS (a fact about tonight).
    Uses the index gate_crossing(student_id, at): one probe per boarder, whatever the years of history.
    """
    stamp = utc_text(now)
    latest = [row[1] for row in database_proxy.execute_sql(_LATEST_CROSSING_SQL, (stamp, building_id, room_id, room_id)) if row[1]]
    if not latest:
        return {}
    crossings = []
    for chunk in _chunks(latest, 500):
        marks = ",".join("?" * len(chunk))
        crossings.extend(database_proxy.execute_sql(
            f"SELECT id, student_id, direction, slip_id, exception_id, at, return_by FROM gate_crossing WHERE id IN ({marks})",
            chunk).fetchall())
    relevant_since = now - timedelta(hours=RETURN_RELEVANT_HOURS)
    outs: dict[str, tuple] = {}
    returns: dict[str, tuple] = {}
    for cid, student_id, direction, slip_id, exception_id, at, return_by in crossings:
        at = _TIME.python_value(at)
        if direction == "exit":
            outs[student_id] = (slip_id or "", exception_id or "", at, _TIME.python_value(return_by))
        elif at >= relevant_since:
            returns[student_id] = (slip_id or "", exception_id or "", at)
    # For returns: the exit of the same slip (its time and deadline).
    exits_of: dict[str, tuple] = {}
    returned_slips = [value[0] for value in returns.values() if value[0]]
    for chunk in _chunks(returned_slips, 500):
        marks = ",".join("?" * len(chunk))
        for slip_id, at, return_by in database_proxy.execute_sql(
                f"SELECT slip_id, at, return_by FROM gate_crossing WHERE slip_id IN ({marks}) AND direction = 'exit'", chunk):
            exits_of[slip_id] = (_TIME.python_value(at), _TIME.python_value(return_by))
    slip_ids = [value[0] for value in outs.values() if value[0]] + returned_slips
    revoked: set[str] = set()
    for chunk in _chunks(slip_ids, 500):
        revoked.update(row[0] for row in SlipRevocation.select(SlipRevocation.slip)
                       .where(SlipRevocation.slip.in_(chunk) & (SlipRevocation.recorded_at <= now)).tuples())
    facts: dict[str, rules.SlipFact] = {}
    for student_id, (slip_id, exception_id, exited_at, return_by) in outs.items():
        facts[student_id] = rules.SlipFact(student_id, slip_id, exited_at, None, return_by, slip_id in revoked,
                                           _short(slip_id), exception_id)
    for student_id, (slip_id, exception_id, returned_at) in returns.items():
        exited_at, return_by = exits_of.get(slip_id, (None, None))
        facts[student_id] = rules.SlipFact(student_id, slip_id, exited_at or returned_at, returned_at, return_by,
                                           slip_id in revoked, _short(slip_id), exception_id)
    return facts


def _short(row_id: str) -> str:
    from kiosk.ids import short_code

    return short_code(row_id) if row_id else ""


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _whereabouts_facts(building_id: str, now: datetime, room_id: str | None = None) -> list[rules.WhereaboutsFact]:
    rows = (Whereabouts.select(Whereabouts.id, Whereabouts.student, Whereabouts.kind, Whereabouts.note,
                               Whereabouts.since, Whereabouts.until)
            .join(Student).join(Room)
            .where((Room.building == building_id) & (Whereabouts.since <= now)
                   & (Whereabouts.until.is_null() | (Whereabouts.until > now))))
    if room_id is not None:
        rows = rows.where(Room.id == room_id)
    return [rules.WhereaboutsFact(w.id, w.student_id, w.kind, w.note, w.since, w.until) for w in rows]


def _guest_facts(building_id: str, night: date) -> list[rules.GuestFact]:
    rows = (OvernightGuest.select().join(Room)
            .where((Room.building == building_id) & (OvernightGuest.night == night.isoformat())))
    return [rules.GuestFact(g.id, g.room_id, g.name, g.relation, True) for g in rows]


def _marks(round_id: str) -> dict[str, rules.Mark]:
    """Each student's latest mark in the round: an individual RoomMark or a room confirmation listing them."""
    facts: list[tuple[str, str, rules.Mark]] = []
    for sid, present, reason, note, method, at, row_id in (
            RoomMark.select(RoomMark.student, RoomMark.present, RoomMark.reason, RoomMark.note, RoomMark.method,
                            RoomMark.recorded_at, RoomMark.id).where(RoomMark.round == round_id).tuples()):
        facts.append((_TIME.db_value(at) if isinstance(at, datetime) else at, row_id,
                      rules.Mark(sid, bool(present), reason, note, method)))
    for students, method, at, row_id in (
            RoomConfirm.select(RoomConfirm.students, RoomConfirm.method, RoomConfirm.recorded_at, RoomConfirm.id)
            .where(RoomConfirm.round == round_id).tuples()):
        stamp = _TIME.db_value(at) if isinstance(at, datetime) else at
        facts.extend((stamp, row_id, rules.Mark(sid, True, method=method)) for sid in students)
    # Fixed-width UTC text and UUIDv7 ids: text order is time order, ties broken by creation order.
    facts.sort(key=lambda fact: (fact[0], fact[1]))
    return {mark.student_id: mark for _, _, mark in facts}


def _extras(round_id: str) -> list[rules.ExtraFact]:
    rows = ExtraPerson.select().where(ExtraPerson.round == round_id).order_by(ExtraPerson.recorded_at)
    return [rules.ExtraFact(e.room_id, e.name, e.note, e.student_id) for e in rows]


def _facts(building_id: str, night: date, now: datetime, round_id: str | None = None,
           room_id: str | None = None) -> dict:
    """The inputs of the reconciliation, read once (so a caller can reconcile again after a write)."""
    return dict(rooms=_room_facts(building_id, room_id), boarders=_boarders(building_id, room_id), now=now,
                slips=slip_facts(building_id, now, room_id), whereabouts=_whereabouts_facts(building_id, now, room_id),
                guests=_guest_facts(building_id, night),
                marks=_marks(round_id) if round_id else {}, extras=_extras(round_id) if round_id else ())


def reconcile(building_id: str, night: date, now: datetime, round_id: str | None = None,
              room_id: str | None = None) -> tuple[rules.RoomResult, ...]:
    """Every room of the building (or just `room_id`) as of `now`, with the round's marks if a round is given."""
    return rules.reconcile_building(**_facts(building_id, night, now, round_id, room_id))


# ---------------------------------------------------------------- rounds

def _get_round(round_id: str) -> HeadcountRound:
    row = HeadcountRound.get_or_none(HeadcountRound.id == round_id)
    if row is None:
        raise HeadcountError("dorm.err_round_unknown")
    return row


def _open_round(round_id: str) -> HeadcountRound:
    row = _get_round(round_id)
    if row.submitted_at is not None:
        raise HeadcountError("dorm.err_round_submitted")
    return row


def round_view(round_id: str, now: datetime | None = None) -> RoundView:
    now = now or clock.now()
    row = _get_round(round_id)
    night = date.fromisoformat(row.night)
    rooms = reconcile(row.building_id, night, now, row.id)
    starter = Staff.get_or_none(Staff.id == row.staff_id)
    return RoundView(
        round_id=row.id, building_id=row.building_id, building_name=row.building.name, night=night, seq=row.seq,
        started_at=row.started_at, started_by=starter.name if starter else "", submitted_at=row.submitted_at,
        submitted_name=row.submitted_name, summary_hash=row.summary_hash, rooms=rooms, totals=rules.totals(rooms),
        open_incidents=open_incident_count(row.school_id), as_of=now)


def open_headcount(actor: Actor, building_id: str, zone: ZoneInfo, *, new_round: bool = False) -> RoundView:
    """Tonight's round for the building: the open one; else the last submitted one; a new round is started
    when there is none yet tonight, or when `new_round` is asked for after a submission."""
    _actor_check(actor)
    now = clock.now()
    night = night_of(now, zone).isoformat()
    building = Building.get_or_none((Building.id == building_id) & (Building.school_id == actor.school_id))
    if building is None:
        raise HeadcountError("dorm.err_building_unknown", name=building_id)
    rounds = list(HeadcountRound.select().where((HeadcountRound.building == building_id) & (HeadcountRound.night == night))
                  .order_by(HeadcountRound.seq))
    current = next((r for r in reversed(rounds) if r.submitted_at is None), None)
    if current is None and rounds and not new_round:
        return round_view(rounds[-1].id, now)  # tonight's submitted round; a new round only when asked
    if current is None or new_round:
        if current is not None:
            raise HeadcountError("dorm.err_round_still_open")
        seq = (rounds[-1].seq + 1) if rounds else 1
        current = HeadcountRound(school_id=actor.school_id, station_id=actor.station_id, staff_id=actor.staff_id,
                                 recorded_at=now, building=building_id, night=night, seq=seq, started_at=now)
        with record(actor, "dorm.round_open", entity="headcount_round", entity_id=current.id,
                    detail={"building": building.name, "night": night, "seq": seq}) as w:
            w.insert(current)
    return round_view(current.id, now)


def current_round_id(building_id: str, zone: ZoneInfo) -> str | None:
    night = night_of(clock.now(), zone).isoformat()
    row = (HeadcountRound.select(HeadcountRound.id)
           .where((HeadcountRound.building == building_id) & (HeadcountRound.night == night)
                  & HeadcountRound.submitted_at.is_null())
           .order_by(HeadcountRound.seq.desc()).first())
    return row.id if row else None


def _room_of_round(row: HeadcountRound, room_id: str) -> Room:
    room = Room.get_or_none((Room.id == room_id) & (Room.building == row.building_id))
    if room is None:
        raise HeadcountError("dorm.err_room_unknown")
    return room


def _set_marks(w, actor: Actor, row: HeadcountRound, room_id: str, marks: list[tuple[str, bool, str, str]],
               method: str, at: datetime) -> None:
    """Insert or update the marks (student_id, present, reason, note) of one room in one transaction."""
    existing = {m.student_id: m for m in RoomMark.select().where(
        (RoomMark.round == row.id) & RoomMark.student.in_([sid for sid, *_ in marks]))}
    for student_id, present, reason, note in marks:
        mark = existing.get(student_id)
        if mark is None:
            w.insert(RoomMark(school_id=actor.school_id, station_id=actor.station_id, staff_id=actor.staff_id,
                              recorded_at=at, round=row.id, room=room_id, student=student_id, present=present,
                              reason=reason, note=note, method=method))
        elif (mark.present, mark.reason, mark.note) != (present, reason, note):
            mark.present, mark.reason, mark.note, mark.method = present, reason, note, method
            mark.staff_id, mark.station_id, mark.recorded_at, mark.room = actor.staff_id, actor.station_id, at, room_id
            w.update(mark, RoomMark.present, RoomMark.reason, RoomMark.note, RoomMark.method, RoomMark.staff_id,
                     RoomMark.station_id, RoomMark.recorded_at, RoomMark.room)


def _room_now(row: HeadcountRound, room_id: str, now: datetime) -> rules.RoomResult:
    for room in reconcile(row.building_id, date.fromisoformat(row.night), now, row.id, room_id):
        if room.room_id == room_id:
            return room
    raise HeadcountError("dorm.err_room_unknown")


def room_result(round_id: str, room_id: str) -> rules.RoomResult:
    """One room of a round as it stands now (cheap: only that room's facts)."""
    row = _get_round(round_id)
    return _room_now(row, room_id, clock.now())


def confirm_room(actor: Actor, round_id: str, room_id: str) -> rules.RoomResult:
    """One key: everyone expected in the room is present (marks the expected students not yet present)."""
    _actor_check(actor)
    now = clock.now()
    row = _open_round(round_id)
    room_row = _room_of_round(row, room_id)
    facts = _facts(row.building_id, date.fromisoformat(row.night), now, row.id, room_id)
    (room,) = rules.reconcile_building(**facts)
    todo = [line.student_id for line in room.expected if line.state != "present"]
    if not todo:
        return room
    with record(actor, "dorm.room_all_present", entity="headcount_round", entity_id=row.id,
                detail={"room": room_row.number, "students": len(todo), "expected": room.expected_count}) as w:
        w.insert(_confirm_row(actor, row, room, todo, "all", now))
    # The same facts plus the marks just written: no second round of queries on every key.
    facts["marks"] = {**facts["marks"], **{sid: rules.Mark(sid, True, method="all") for sid in todo}}
    (room,) = rules.reconcile_building(**facts)
    return room


def _confirm_row(actor: Actor, row: HeadcountRound, room: rules.RoomResult, student_ids: list[str], method: str,
                 at: datetime, counted: int | None = None) -> RoomConfirm:
    return RoomConfirm(school_id=actor.school_id, station_id=actor.station_id, staff_id=actor.staff_id, recorded_at=at,
                       round=row.id, room=room.room_id, method=method, students=sorted(student_ids), counted=counted,
                       expected=room.expected_count)


def confirm_rooms(actor: Actor, round_id: str, room_ids: list[str]) -> int:
    """Mark every expected student of several rooms present in one transaction (demo history and the
    benchmark fill years of nights this way; the station confirms room by room). Returns rooms confirmed."""
    _actor_check(actor)
    now = clock.now()
    row = _open_round(round_id)
    wanted = set(room_ids)
    rooms = [room for room in reconcile(row.building_id, date.fromisoformat(row.night), now, row.id)
             if room.room_id in wanted]
    written = 0
    with record(actor, "dorm.rooms_all_present", entity="headcount_round", entity_id=row.id,
                detail={"rooms": [room.number for room in rooms]}) as w:
        for room in rooms:
            todo = [line.student_id for line in room.expected if line.state != "present"]
            if todo:
                w.insert(_confirm_row(actor, row, room, todo, "all", now))
                written += 1
    return written


def count_room(actor: Actor, round_id: str, room_id: str, counted: int, *,
               missing: dict[str, tuple[str, str]] | None = None,
               extras: list[tuple[str, str]] | None = None) -> CountResult:
    """A typed count. Equal to expected: everyone present. Fewer: `missing` must name exactly who is absent
    (student_id -> (reason, note)); more: `extras` must name who is extra ((name, note)). Otherwise the
    outcome is returned and nothing is written, so the screen can ask."""
    _actor_check(actor)
    now = clock.now()
    row = _open_round(round_id)
    room_row = _room_of_round(row, room_id)
    room = _room_now(row, room_id, now)
    try:
        outcome = rules.count_outcome(room.expected_count, counted)
    except ValueError:
        raise HeadcountError("dorm.err_count") from None
    missing = missing or {}
    extras = [(clean_text(name), clean_text(note)) for name, note in (extras or [])]
    expected_ids = {line.student_id for line in room.expected}
    if outcome.kind == "missing" and len(missing) != outcome.difference:
        return CountResult(outcome, room)
    if outcome.kind == "extra" and len(extras) != outcome.difference:
        return CountResult(outcome, room)
    if any(sid not in expected_ids for sid in missing) or any(not name for name, _ in extras):
        raise HeadcountError("dorm.err_count_names")
    slips = slip_facts(row.building_id, now, room_id)
    for sid, (reason, note) in missing.items():
        _check_reason(reason, note, slips.get(sid))
    present_ids = [sid for sid in expected_ids if sid not in missing]
    absent_marks = [(sid, False, reason, clean_text(note)) for sid, (reason, note) in missing.items()]
    detail = {"room": room_row.number, "counted": counted, "expected": room.expected_count,
              "missing": sorted(missing), "extras": [name for name, _ in extras]}
    with record(actor, "dorm.room_count", entity="headcount_round", entity_id=row.id, detail=detail) as w:
        w.insert(_confirm_row(actor, row, room, present_ids, "count", now, counted))
        if absent_marks:
            _set_marks(w, actor, row, room_id, absent_marks, "count", now)
        for name, note in extras:
            w.insert(ExtraPerson(school_id=actor.school_id, station_id=actor.station_id, staff_id=actor.staff_id,
                                 recorded_at=now, round=row.id, room=room_id, name=name, note=note))
        for sid, (reason, note) in missing.items():
            if reason == "unknown":
                _open_incident(w, actor, row, room_id, sid, now, clean_text(note))
    return CountResult(outcome, _room_now(row, room_id, now))


def _check_reason(reason: str, note: str, slip: rules.SlipFact | None) -> None:
    if reason not in rules.REASONS:
        raise HeadcountError("dorm.err_reason")
    if not rules.reason_allowed(reason, slip):
        raise HeadcountError("dorm.err_on_leave_no_slip")
    if reason == "other" and not clean_text(note):
        raise HeadcountError("dorm.err_note_needed")


def _student_in_building(row: HeadcountRound, student_id: str) -> Student:
    student = (Student.select(Student, Room).join(Room)
               .where((Student.id == student_id) & (Room.building == row.building_id)).first())
    if student is None or not student.active or not student.boarder:
        raise HeadcountError("dorm.err_student_not_here")
    return student


def tick(actor: Actor, round_id: str, student_id: str, present: bool = True, *, method: str = "tick") -> MarkResult:
    """Mark one student present (or undo to absent-unknown is not allowed here: use mark_absent)."""
    _actor_check(actor)
    if method not in METHODS:
        raise HeadcountError("dorm.err_reason")
    now = clock.now()
    row = _open_round(round_id)
    student = _student_in_building(row, student_id)
    with record(actor, f"dorm.mark_{method}", entity="student", entity_id=student.id,
                detail={"round": row.id, "room": student.room.number, "present": True}) as w:
        _set_marks(w, actor, row, student.room_id, [(student.id, True, "", "")], method, now)
    return MarkResult(student.name, student.number, student.room.number)


def scan_card(actor: Actor, round_id: str, code: str) -> MarkResult:
    """A student's card scanned at the dorm station: marked present in their own room."""
    code = clean_text(code)
    if not code:
        raise HeadcountError("dorm.err_card_unknown", code="")
    row = _open_round(round_id)
    student = Student.get_or_none((Student.school_id == actor.school_id) & (Student.number == code[:40]))
    if student is None:
        raise HeadcountError("dorm.err_card_unknown", code=code[:20])
    if student.room_id is None or student.room.building_id != row.building_id or not student.boarder or not student.active:
        raise HeadcountError("dorm.err_card_other_building", name=student.name)
    return tick(actor, row.id, student.id, method="scan")


def mark_absent(actor: Actor, round_id: str, student_id: str, reason: str, note: str = "") -> MarkResult:
    """Absent with a reason. `unknown` opens an incident at once (one open incident per student)."""
    _actor_check(actor)
    now = clock.now()
    row = _open_round(round_id)
    student = _student_in_building(row, student_id)
    note = clean_text(note)
    _check_reason(reason, note, slip_facts(row.building_id, now, student.room_id).get(student.id))
    incident_id = None
    with record(actor, "dorm.mark_absent", entity="student", entity_id=student.id,
                detail={"round": row.id, "room": student.room.number, "reason": reason, "note": note}) as w:
        _set_marks(w, actor, row, student.room_id, [(student.id, False, reason, note)], "tick", now)
        if reason == "unknown":
            incident_id = _open_incident(w, actor, row, student.room_id, student.id, now, note)
    return MarkResult(student.name, student.number, student.room.number, incident_id)


def add_extra(actor: Actor, round_id: str, room_id: str, name: str, note: str = "") -> rules.RoomResult:
    """非本室人员 found in a room. A student number as the name links the student."""
    _actor_check(actor)
    now = clock.now()
    row = _open_round(round_id)
    room_row = _room_of_round(row, room_id)
    name, note = clean_text(name), clean_text(note)
    if not name:
        raise HeadcountError("dorm.err_name_needed")
    student = Student.get_or_none((Student.school_id == actor.school_id) & (Student.number == name))
    with record(actor, "dorm.extra_person", entity="headcount_round", entity_id=row.id,
                detail={"room": room_row.number, "name": student.name if student else name}) as w:
        w.insert(ExtraPerson(school_id=actor.school_id, station_id=actor.station_id, staff_id=actor.staff_id,
                             recorded_at=now, round=row.id, room=room_id, name=student.name if student else name,
                             note=note, student=student.id if student else None))
    return _room_now(row, room_id, now)


def summary_payload(view: RoundView, actor: Actor, at: datetime) -> dict:
    """The signed record: who, when, where, and per room expected / present / absent by reason with names."""
    open_ids = [i.id for i in Incident.select(Incident.id).where(
        (Incident.round == view.round_id) & Incident.closed_at.is_null())]
    rooms = []
    for room in view.rooms:
        rooms.append({
            "room": room.number,
            "residents": room.residents,
            "expected": room.expected_count,
            "present": room.present_count,
            "absent": room.absent_by_reason(),
            "expected_absent": [
                {"number": a.number, "name": a.name, "class": a.class_name, "reason": a.reason, "slip": a.slip_code,
                 "exited_at": utc_text(a.exited_at) if a.exited_at else "", "note": a.note}
                for a in room.expected_absent],
            "absent_students": [{"number": l.number, "name": l.name, "reason": l.reason, "note": l.note}
                                for l in room.absent],
            "guests": [g.name for g in room.guests],
            "extras": [e.name for e in room.extras],
            "disagreements": [{"number": d.number, "name": d.name, "kind": d.kind, "slip": _short(d.slip_id),
                               "at": utc_text(d.at) if d.at else ""} for d in room.disagreements],
        })
    totals = view.totals
    return {
        "round_id": view.round_id, "building": view.building_name, "night": view.night.isoformat(), "seq": view.seq,
        "started_at": utc_text(view.started_at), "submitted_at": utc_text(at), "station_id": actor.station_id,
        "staff_id": actor.staff_id, "staff_number": actor.staff_number, "staff_name": actor.staff_name,
        "totals": {"rooms": totals.rooms, "residents": totals.residents, "expected": totals.expected,
                   "present": totals.present, "guests": totals.guests, "extras": totals.extras,
                   "disagreements": totals.disagreements, "absent": dict(totals.absent)},
        "rooms": rooms, "open_incidents": open_ids,
    }


def summary_hash(payload: dict) -> str:
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def submit_round(actor: Actor, round_id: str, signer: StaffSession) -> RoundView:
    """Submit the round as a signed record (the logged-in supervisor confirms with their PIN: `signer`).
    Open incidents stay open. Every expected student must be marked first; the submitted round is never
    changed afterwards (a later round the same night is a new record)."""
    _actor_check(actor)
    now = clock.now()
    row = _open_round(round_id)
    if signer.staff_id != actor.staff_id:
        raise HeadcountError("dorm.err_signer")
    _current_staff(signer)
    view = round_view(round_id, now)
    if view.totals.unmarked:
        raise HeadcountError("dorm.err_unmarked", count=view.totals.unmarked)
    payload = summary_payload(view, actor, now)
    digest = summary_hash(payload)
    row.submitted_at, row.submitted_by, row.submitted_name = now, actor.staff_id, actor.staff_name
    row.summary, row.summary_hash = payload, digest
    with record(actor, "dorm.round_submit", entity="headcount_round", entity_id=row.id,
                detail={"building": view.building_name, "night": view.night.isoformat(), "seq": view.seq,
                        "hash": digest, "expected": view.totals.expected, "present": view.totals.present,
                        "open_incidents": len(payload["open_incidents"])}) as w:
        w.update(row, HeadcountRound.submitted_at, HeadcountRound.submitted_by, HeadcountRound.submitted_name,
                 HeadcountRound.summary, HeadcountRound.summary_hash)
    return replace(view, submitted_at=now, submitted_name=actor.staff_name, summary_hash=digest)


def verify_summary(round_id: str) -> bool:
    """True when the submitted summary still matches its hash (nobody edited the stored record)."""
    row = _get_round(round_id)
    return row.summary is not None and summary_hash(row.summary) == row.summary_hash


# ---------------------------------------------------------------- whereabouts and guests

def record_whereabouts(actor: Actor, student_id: str, kind: str, note: str) -> str:
    """Sick bay or collected by a parent, from now until ended."""
    _actor_check(actor)
    if kind not in rules.WHEREABOUTS_KINDS:
        raise HeadcountError("dorm.err_reason")
    note = clean_text(note)
    if not note:
        raise HeadcountError("dorm.err_note_needed")
    student = Student.get_or_none((Student.id == student_id) & (Student.school_id == actor.school_id))
    if student is None:
        raise HeadcountError("dorm.err_student_not_here")
    now = clock.now()
    row = Whereabouts(school_id=actor.school_id, station_id=actor.station_id, staff_id=actor.staff_id,
                      recorded_at=now, student=student.id, kind=kind, note=note, since=now)
    with record(actor, f"dorm.{kind}", entity="student", entity_id=student.id, detail={"note": note}) as w:
        w.insert(row)
    return row.id


def end_whereabouts(actor: Actor, record_id: str) -> None:
    _actor_check(actor)
    row = Whereabouts.get_or_none(Whereabouts.id == record_id)
    if row is None or row.until is not None:
        raise HeadcountError("dorm.err_record_unknown")
    row.until, row.ended_by = clock.now(), actor.staff_id
    with record(actor, "dorm.whereabouts_end", entity="student", entity_id=row.student_id, detail={"kind": row.kind}) as w:
        w.update(row, Whereabouts.until, Whereabouts.ended_by)


def _approver(session: StaffSession, role: str) -> Staff:
    staff = _current_staff(session)
    if role not in staff.role_set() and "admin" not in staff.role_set():
        raise HeadcountError("dorm.err_role", role=role)
    return staff


def register_guest(actor: Actor, room_id: str, night: date, name: str, id_number: str, relation: str,
                   student_id: str | None, teacher: StaffSession, manager: StaffSession) -> GuestView:
    """陪宿: a relative staying the night, approved by a head teacher and the dorm manager (both PIN-verified)."""
    _actor_check(actor)
    name, relation = clean_text(name), clean_text(relation)
    if not name or not relation:
        raise HeadcountError("dorm.err_name_needed")
    room = Room.get_or_none((Room.id == room_id) & (Room.school_id == actor.school_id))
    if room is None:
        raise HeadcountError("dorm.err_room_unknown")
    student = None
    if student_id:
        student = Student.get_or_none((Student.id == student_id) & (Student.room == room_id))
        if student is None:
            raise HeadcountError("dorm.err_student_not_here")
    head = _approver(teacher, "head_teacher")
    mgr = _approver(manager, "dorm_manager")
    if head.id == mgr.id:
        raise HeadcountError("dorm.err_same_approver")
    now = clock.now()
    row = OvernightGuest(school_id=actor.school_id, station_id=actor.station_id, staff_id=actor.staff_id,
                         recorded_at=now, room=room.id, night=night.isoformat(), name=name,
                         id_masked=mask_id(normalise_id(id_number)), relation=relation,
                         student=student.id if student else None, teacher_id=head.id, teacher_name=head.name,
                         manager_id=mgr.id, manager_name=mgr.name)
    with record(actor, "dorm.guest_register", entity="overnight_guest", entity_id=row.id,
                detail={"room": room.number, "night": night.isoformat(), "relation": relation,
                        "teacher": head.number, "manager": mgr.number}) as w:
        w.insert(row)
    return _guest_view(row)


def register_guest_by_numbers(actor: Actor, building_id: str, night: date, room_number: str, name: str,
                              id_number: str, relation: str, student_number: str, teacher: StaffSession,
                              manager: StaffSession) -> GuestView:
    """The guest form as typed at the station: a room number of this building and an optional student number."""
    room = Room.get_or_none((Room.building == building_id) & (Room.number == clean_text(room_number)))
    if room is None:
        raise HeadcountError("dorm.err_room_unknown")
    student_id = None
    if clean_text(student_number):
        student = Student.get_or_none((Student.school_id == actor.school_id)
                                      & (Student.number == clean_text(student_number)))
        if student is None:
            raise HeadcountError("dorm.err_student_not_here")
        student_id = student.id
    return register_guest(actor, room.id, night, name, id_number, relation, student_id, teacher, manager)


# ---------------------------------------------------------------- guests approved ahead (office by day, dorm at night)

def _approval_views(rows: list[GuestApproval]) -> list[ApprovalView]:
    """Views of approval rows, with their revocations and the nights a guest was registered on them."""
    ids = [row.id for row in rows]
    revoked: dict[str, str] = {}
    used: dict[str, list[date]] = {}
    for part in _chunks(ids, 500):
        for rev in GuestApprovalRevocation.select().where(GuestApprovalRevocation.approval.in_(part)):
            revoked.setdefault(rev.approval_id, rev.reason)
        for guest in (OvernightGuest.select(OvernightGuest.approval, OvernightGuest.night)
                      .where(OvernightGuest.approval.in_(part))):
            used.setdefault(guest.approval_id, []).append(date.fromisoformat(guest.night))
    views = []
    for row in rows:
        student = row.student
        room = student.room if student.room_id else None
        views.append(ApprovalView(
            row.id, student.id, student.number, student.name, student.class_name,
            room.building.name if room else "", room.number if room else "", row.guest_name, row.id_masked,
            row.relation, date.fromisoformat(row.first_night), date.fromisoformat(row.last_night), row.note,
            row.teacher_name, row.id in revoked, revoked.get(row.id, ""), tuple(sorted(used.get(row.id, ())))))
    return views


def approval_today(at: datetime, zone: ZoneInfo) -> date:
    """The earliest first night an approval may have: the school's calendar date. At the office by day that is
    tonight (night_of would still say last night before noon)."""
    return at.astimezone(zone).date()


def _may_approve_for(staff: Staff, student: Student) -> None:
    if not guest_rules.may_approve(staff.role_set(), staff.class_name, student.class_name):
        raise HeadcountError("dorm.err_ga_not_your_class", klass=student.class_name)


def approve_guest(actor: Actor, zone: ZoneInfo, student_number: str, guest_name: str, id_number: str, relation: str,
                  first_night: date, nights: int, note: str = "") -> ApprovalView:
    """陪宿 approved ahead by the student's head teacher (or an admin), logged in at the office, for
    `nights` nights from `first_night`. Only the masked ID number is kept."""
    from kiosk.services.visitor_rules import check_id, guess_id_type

    _actor_check(actor)
    staff = Staff.get_or_none(Staff.id == actor.staff_id)
    if staff is None or not staff.active:
        raise HeadcountError("dorm.err_login")
    student = Student.get_or_none((Student.school_id == actor.school_id) & (Student.number == clean_text(student_number))
                                  & Student.active)
    if student is None:
        raise HeadcountError("dorm.err_ga_student_unknown")
    _may_approve_for(staff, student)
    if not student.boarder or student.room_id is None:
        raise HeadcountError("dorm.err_ga_not_boarder", name=student.name)
    guest_name, relation, note = clean_text(guest_name), clean_text(relation), clean_text(note)
    if not guest_name or not relation:
        raise HeadcountError("dorm.err_name_needed")
    today = approval_today(clock.now(), zone)
    checked = check_id(guess_id_type(id_number), id_number, today)
    if not checked.ok:
        raise HeadcountError(f"gate.{checked.error}", **checked.error_values)
    if len(checked.number) <= 10:  # the mask would hide every character: nothing for the dorm to compare
        raise HeadcountError("dorm.err_ga_id_short")
    problem = guest_rules.range_error(first_night, nights, today)
    if problem:
        raise HeadcountError(problem, most=guest_rules.MAX_GUEST_NIGHTS)
    last_night = guest_rules.last_night_of(first_night, nights)
    row = GuestApproval(school_id=actor.school_id, station_id=actor.station_id, staff_id=actor.staff_id,
                        recorded_at=clock.now(), student=student.id, guest_name=guest_name,
                        id_masked=mask_id(checked.number), relation=relation,
                        first_night=first_night.isoformat(), last_night=last_night.isoformat(), note=note,
                        teacher_id=staff.id, teacher_name=staff.name)
    with record(actor, "dorm.guest_approve", entity="guest_approval", entity_id=row.id,
                detail={"student": student.number, "relation": relation, "first_night": row.first_night,
                        "last_night": row.last_night}) as w:
        w.insert(row)
    return _approval_views([row])[0]


def revoke_guest_approval(actor: Actor, approval_id: str, reason: str) -> ApprovalView:
    """Withdraw an approval (never undone): the dorm falls back to both PINs for that guest."""
    _actor_check(actor)
    reason = clean_text(reason)
    if not reason:
        raise HeadcountError("dorm.err_ga_reason")
    row = GuestApproval.get_or_none((GuestApproval.id == approval_id) & (GuestApproval.school_id == actor.school_id))
    if row is None:
        raise HeadcountError("dorm.err_ga_unknown")
    staff = Staff.get_or_none(Staff.id == actor.staff_id)
    if staff is None or not staff.active:
        raise HeadcountError("dorm.err_login")
    _may_approve_for(staff, row.student)
    if GuestApprovalRevocation.select().where(GuestApprovalRevocation.approval == row.id).exists():
        raise HeadcountError("dorm.err_ga_revoked")
    revocation = GuestApprovalRevocation(school_id=actor.school_id, station_id=actor.station_id,
                                         staff_id=actor.staff_id, recorded_at=clock.now(), approval=row.id,
                                         reason=reason)
    with record(actor, "dorm.guest_approval_revoke", entity="guest_approval", entity_id=row.id,
                detail={"reason": reason}) as w:
        w.insert(revocation)
    return _approval_views([row])[0]


def class_approvals(school_id: str, class_name: str | None, today: date) -> list[ApprovalView]:
    """Current and upcoming approvals (last night tonight or later), of one class or (None) of the school."""
    query = (GuestApproval.select(GuestApproval, Student).join(Student)
             .where((GuestApproval.school_id == school_id) & (GuestApproval.last_night >= today.isoformat())))
    if class_name is not None:
        query = query.where(Student.class_name == class_name)
    rows = list(query.order_by(GuestApproval.first_night, Student.number))
    return [view for view in _approval_views(rows) if guest_rules.is_current(view.range(), today)]


def night_approvals(building_id: str, night: date, room_number: str | None = None) -> list[ApprovalView]:
    """Unrevoked approvals covering `night` for boarders of the building (optionally of one room)."""
    text = night.isoformat()
    query = (GuestApproval.select(GuestApproval, Student).join(Student).join(Room)
             .where((Room.building == building_id) & (GuestApproval.first_night <= text)
                    & (GuestApproval.last_night >= text) & Student.active))
    if room_number is not None:
        query = query.where(Room.number == clean_text(room_number))
    rows = list(query.order_by(Room.number, Student.number))
    return [view for view in _approval_views(rows) if view.covers(night)]


def register_approved_guest(actor: Actor, building_id: str, approval_id: str, night: date, id_number: str,
                            manager: StaffSession) -> GuestView:
    """The guest arrives at the dorm with an approval covering tonight: the supervisor types (or reads) the ID card,
    which must match the approved masked number, and the dorm manager confirms with a PIN."""
    _actor_check(actor)
    row = GuestApproval.get_or_none((GuestApproval.id == approval_id) & (GuestApproval.school_id == actor.school_id))
    if row is None:
        raise HeadcountError("dorm.err_ga_unknown")
    view = _approval_views([row])[0]
    if view.revoked:
        raise HeadcountError("dorm.err_ga_revoked")
    if not view.covers(night):
        raise HeadcountError("dorm.err_ga_not_tonight")
    if night in view.nights_used:
        raise HeadcountError("dorm.err_ga_used", name=view.guest_name)
    student = row.student
    room = student.room if student.room_id else None
    if room is None or room.building_id != building_id or not student.active:
        raise HeadcountError("dorm.err_student_not_here")
    if not guest_rules.id_matches(mask_id(normalise_id(id_number)), row.id_masked):
        raise HeadcountError("dorm.err_ga_id_mismatch", masked=row.id_masked)
    mgr = _approver(manager, "dorm_manager")
    guest = OvernightGuest(school_id=actor.school_id, station_id=actor.station_id, staff_id=actor.staff_id,
                           recorded_at=clock.now(), room=room.id, night=night.isoformat(), name=row.guest_name,
                           id_masked=row.id_masked, relation=row.relation, student=student.id,
                           teacher_id=row.teacher_id, teacher_name=row.teacher_name, manager_id=mgr.id,
                           manager_name=mgr.name, approval=row.id)
    with record(actor, "dorm.guest_register", entity="overnight_guest", entity_id=guest.id,
                detail={"room": room.number, "night": night.isoformat(), "relation": row.relation,
                        "approval": row.id, "manager": mgr.number}) as w:
        w.insert(guest)
    return _guest_view(guest)


def _guest_view(g: OvernightGuest) -> GuestView:
    return GuestView(g.id, g.room.number, date.fromisoformat(g.night), g.name, g.id_masked, g.relation,
                     g.student.name if g.student_id else "", g.teacher_name, g.manager_name)


def guests(building_id: str, night: date) -> list[GuestView]:
    rows = (OvernightGuest.select().join(Room)
            .where((Room.building == building_id) & (OvernightGuest.night == night.isoformat()))
            .order_by(Room.number))
    return [_guest_view(g) for g in rows]


# ---------------------------------------------------------------- incidents

def _open_incident(w, actor: Actor, row: HeadcountRound, room_id: str, student_id: str, at: datetime, note: str) -> str:
    existing = Incident.get_or_none((Incident.student == student_id) & Incident.closed_at.is_null())
    if existing is not None:
        return existing.id
    incident = Incident(school_id=actor.school_id, station_id=actor.station_id, staff_id=actor.staff_id,
                        recorded_at=at, student=student_id, room=room_id, round=row.id, night=row.night,
                        opened_at=at, note=note)
    w.insert(incident)
    return incident.id


def open_incident_count(school_id: str) -> int:
    """Open unknown-whereabouts incidents of the school (for every station's status bar)."""
    return Incident.select().where((Incident.school_id == school_id) & Incident.closed_at.is_null()).count()


def incident_view(incident_id: str, settings: DormSettings, now: datetime | None = None) -> IncidentView:
    now = now or clock.now()
    inc = Incident.get_or_none(Incident.id == incident_id)
    if inc is None:
        raise HeadcountError("dorm.err_incident_unknown")
    acks = [rules.Acknowledgement(a.step, a.ack_staff_id, a.ack_name, a.recorded_at)
            for a in IncidentAck.select().where(IncidentAck.incident == inc.id)]
    steps = rules.escalation_ladder(inc.opened_at, now, settings.escalation_minutes, acks=acks,
                                    closed_at=inc.closed_at, overdue_minutes=settings.escalation_overdue_minutes)
    opener = Staff.get_or_none(Staff.id == inc.staff_id)
    room = inc.room if inc.room_id else None
    return IncidentView(
        incident_id=inc.id, student_id=inc.student_id, student_name=inc.student.name, student_number=inc.student.number,
        class_name=inc.student.class_name, room_number=room.number if room else "",
        building_name=room.building.name if room else "", night=date.fromisoformat(inc.night),
        opened_at=inc.opened_at, opened_by=opener.name if opener else "", note=inc.note,
        gate_return_at=inc.gate_return_at, closed_at=inc.closed_at, whereabouts=inc.whereabouts,
        confirmed_name=inc.confirmed_name, steps=steps)


def incidents(school_id: str, settings: DormSettings, *, open_only: bool = True, night: date | None = None,
              now: datetime | None = None) -> list[IncidentView]:
    query = Incident.select(Incident.id).where(Incident.school_id == school_id)
    if open_only:
        query = query.where(Incident.closed_at.is_null())
    if night is not None:
        query = query.where(Incident.night == night.isoformat())
    return [incident_view(row.id, settings, now) for row in query.order_by(Incident.opened_at)]


def acknowledge(actor: Actor, incident_id: str, step: int, by: StaffSession, settings: DormSettings,
                note: str = "") -> IncidentView:
    """A named person (PIN-verified: `by`) acknowledges one escalation step."""
    _actor_check(actor)
    now = clock.now()
    view = incident_view(incident_id, settings, now)
    if not view.is_open:
        raise HeadcountError("dorm.err_incident_closed")
    if not 0 <= step < len(view.steps):
        raise HeadcountError("dorm.err_step")
    ladder_step = view.steps[step]
    if ladder_step.ack is not None:
        raise HeadcountError("dorm.err_step_done")
    staff = _current_staff(by)
    if not rules.can_acknowledge(ladder_step, staff.role_set()):
        raise HeadcountError("dorm.err_role", role=ladder_step.role)
    ack = IncidentAck(school_id=actor.school_id, station_id=actor.station_id, staff_id=actor.staff_id, recorded_at=now,
                      incident=incident_id, step=step, role=ladder_step.role, ack_staff_id=staff.id,
                      ack_name=staff.name, note=clean_text(note))
    with record(actor, "dorm.incident_ack", entity="incident", entity_id=incident_id,
                detail={"step": step, "role": ladder_step.role, "by": staff.number,
                        "state": ladder_step.state}) as w:
        w.insert(ack)
    return incident_view(incident_id, settings, now)


def close_incident(actor: Actor, incident_id: str, whereabouts: str, confirmer: StaffSession,
                   settings: DormSettings) -> IncidentView:
    """Closes only with a recorded whereabouts and a named confirmer (PIN-verified)."""
    _actor_check(actor)
    whereabouts = clean_text(whereabouts)
    if not whereabouts:
        raise HeadcountError("dorm.err_whereabouts_needed")
    inc = Incident.get_or_none(Incident.id == incident_id)
    if inc is None:
        raise HeadcountError("dorm.err_incident_unknown")
    if inc.closed_at is not None:
        raise HeadcountError("dorm.err_incident_closed")
    staff = _current_staff(confirmer)
    now = clock.now()
    inc.closed_at, inc.closed_by, inc.whereabouts = now, actor.staff_id, whereabouts
    inc.confirmed_by, inc.confirmed_name = staff.id, staff.name
    with record(actor, "dorm.incident_close", entity="incident", entity_id=inc.id,
                detail={"whereabouts": whereabouts, "confirmed_by": staff.number}) as w:
        w.update(inc, Incident.closed_at, Incident.closed_by, Incident.whereabouts, Incident.confirmed_by,
                 Incident.confirmed_name)
    return incident_view(incident_id, settings, now)


def note_gate_returns(actor: Actor) -> int:
    """Open incidents whose student has since come back through the gate get the return time (the incident
    is updated, the submitted round is not). Returns how many incidents were updated."""
    now = clock.now()
    updated = 0
    for inc in Incident.select().where((Incident.school_id == actor.school_id) & Incident.closed_at.is_null()
                                       & Incident.gate_return_at.is_null()):
        row = database_proxy.execute_sql(
            "SELECT MIN(at) FROM gate_crossing WHERE student_id = ? AND direction = 'return' AND at > ? AND at <= ?",
            (inc.student_id, utc_text(inc.opened_at), utc_text(now))).fetchone()
        if row and row[0]:
            inc.gate_return_at = _TIME.python_value(row[0])
            with record(actor, "dorm.incident_gate_return", entity="incident", entity_id=inc.id,
                        detail={"returned_at": row[0]}) as w:
                w.update(inc, Incident.gate_return_at)
            updated += 1
    return updated


# ---------------------------------------------------------------- summaries, history, report

def _night_summary(row: HeadcountRound, view: RoundView | None = None) -> NightSummary:
    if row.summary is not None:
        totals = row.summary["totals"]
        absent = totals["absent"]
        expected, present, guests_n, disagreements = (totals["expected"], totals["present"], totals["guests"],
                                                      totals["disagreements"])
    else:
        view = view or round_view(row.id)
        absent = view.totals.absent
        expected, present, guests_n, disagreements = (view.totals.expected, view.totals.present, view.totals.guests,
                                                      view.totals.disagreements)
    return NightSummary(row.id, row.building.name, date.fromisoformat(row.night), row.seq, row.submitted_at,
                        row.submitted_name, expected, present, absent.get("on_leave", 0), absent.get("sick_bay", 0),
                        absent.get("with_parent", 0), absent.get("other", 0), absent.get("unknown", 0), guests_n,
                        disagreements)


def history(building_id: str, *, limit: int = 14, before: date | None = None) -> list[NightSummary]:
    """Previous nights' submitted rounds of a building, newest first."""
    query = (HeadcountRound.select().where((HeadcountRound.building == building_id)
                                           & HeadcountRound.submitted_at.is_null(False)))
    if before is not None:
        query = query.where(HeadcountRound.night < before.isoformat())
    rows = query.order_by(HeadcountRound.night.desc(), HeadcountRound.seq.desc()).limit(limit)
    return [_night_summary(row) for row in rows]


@dataclass(frozen=True)
class BuildingNight:
    building_name: str
    source: str  # submitted | open | computed
    round_id: str
    submitted_name: str
    submitted_at: datetime | None
    summary: dict  # same shape as a submitted summary
    summary_hash: str = ""  # the stored signature (submitted rounds)


def night_report(school_id: str, night: date, zone: ZoneInfo, dorm: DormSettings,
                 building: str | None = None) -> list[BuildingNight]:
    """Each building's night: the latest submitted round's signed summary, else the open round as it stands,
    else the expected list (请假名单) computed as of lights-out."""
    chosen = [find_building(school_id, building)] if building else buildings(school_id)
    result = []
    for info in chosen:
        rows = list(HeadcountRound.select().where((HeadcountRound.building == info.building_id)
                                                  & (HeadcountRound.night == night.isoformat()))
                    .order_by(HeadcountRound.seq.desc()))
        submitted = next((r for r in rows if r.submitted_at is not None), None)
        if submitted is not None:
            result.append(BuildingNight(info.name, "submitted", submitted.id, submitted.submitted_name,
                                        submitted.submitted_at, submitted.summary, submitted.summary_hash))
            continue
        now = clock.now()
        lights_out = _lights_out(night, zone, dorm)
        at = min(now, lights_out)
        actor = Actor(school_id=school_id, station_id="report")
        if rows:
            view = round_view(rows[0].id, at)
            result.append(BuildingNight(info.name, "open", rows[0].id, "", None, summary_payload(view, actor, at)))
        else:
            rooms = reconcile(info.building_id, night, at)
            view = RoundView("", info.building_id, info.name, night, 0, at, "", None, "", "", rooms,
                             rules.totals(rooms), 0, at)
            payload = summary_payload(view, actor, at)
            result.append(BuildingNight(info.name, "computed", "", "", None, payload))
    return result


def _lights_out(night: date, zone: ZoneInfo, dorm: DormSettings) -> datetime:
    moment = dorm.lights_out_time
    local = datetime.combine(night, moment, zone)
    if moment.hour < 12:  # lights-out after midnight belongs to the next calendar day
        local += timedelta(days=1)
    return local.astimezone(ZoneInfo("UTC"))
