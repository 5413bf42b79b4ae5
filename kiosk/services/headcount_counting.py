"""Counting a room or marking a student in an open round: Enter on a room (everyone not yet marked is present) and
its undo, a typed count (naming who is missing or extra), a tick, a student card, an absence with its reason (an
unknown one opens an incident), an extra person found in a room."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Mapping

from kiosk import clock
from kiosk.models import Room, Student
from kiosk.models.dorm import ExtraPerson, HeadcountRound, RoomConfirm, RoomMark
from kiosk.services import headcount_rules as rules
from kiosk.services.actor import Actor
from kiosk.services.facts import FactWriter, record
from kiosk.services.headcount_common import Contact, HeadcountError, contacts, require_login
from kiosk.services.headcount_facts import UNDO, marks_of, reconcile, reconciliation_inputs, slip_facts
from kiosk.services.headcount_incidents import open_incident
from kiosk.services.headcount_rounds import get_round, unsubmitted_round
from kiosk.services.names import clean_identifier, clean_text

METHODS = ("all", "count", "tick", "scan")


@dataclass(frozen=True)
class CountResult:
    outcome: rules.CountOutcome
    room: rules.RoomResult
    contacts: Mapping[str, Contact] = field(default_factory=dict)  # whom to call about each unknown whereabouts


@dataclass(frozen=True)
class MarkResult:
    student_name: str
    student_number: str
    room_number: str
    incident_id: str | None = None
    contact: Contact | None = None  # whom to call, when an incident was opened


def _room_of_round(row: HeadcountRound, room_id: str) -> Room:
    room = Room.get_or_none((Room.id == room_id) & (Room.building == row.building_id))
    if room is None:
        raise HeadcountError("dorm.err_room_unknown")
    return room


def _set_marks(w: FactWriter, row: HeadcountRound, room_id: str, marks: list[tuple[str, bool, str, str]],
               method: str, at: datetime) -> None:
    """Insert or update the marks (student_id, present, reason, note) of one room in one transaction."""
    existing = {m.student_id: m for m in RoomMark.select().where(
        (RoomMark.round == row.id) & RoomMark.student.in_([sid for sid, *_ in marks]))}
    for student_id, present, reason, note in marks:
        mark = existing.get(student_id)
        if mark is None:
            w.insert(RoomMark(recorded_at=at, round=row.id, room=room_id, student=student_id, present=present,
                              reason=reason, note=note, method=method))
        elif (mark.present, mark.reason, mark.note) != (present, reason, note):
            mark.present, mark.reason, mark.note, mark.method = present, reason, note, method
            # A changed mark is now the updater's: who, where and when move with it.
            mark.staff_id, mark.station_id, mark.recorded_at, mark.room = w.actor.staff_id, w.actor.station_id, at, room_id
            w.update(mark, RoomMark.present, RoomMark.reason, RoomMark.note, RoomMark.method, RoomMark.staff_id,
                     RoomMark.station_id, RoomMark.recorded_at, RoomMark.room)


def _room_now(row: HeadcountRound, room_id: str, now: datetime) -> rules.RoomResult:
    for room in reconcile(row.building_id, date.fromisoformat(row.night), now, row.id, room_id):
        if room.room_id == room_id:
            return room
    raise HeadcountError("dorm.err_room_unknown")


def room_result(round_id: str, room_id: str) -> rules.RoomResult:
    """One room of a round as it stands now (cheap: only that room's facts)."""
    row = get_round(round_id)
    return _room_now(row, room_id, clock.now())


def confirm_room(actor: Actor, round_id: str, room_id: str) -> rules.RoomResult:
    """One key: everyone expected in the room and not yet marked is present (recorded absences stay)."""
    require_login(actor)
    now = clock.now()
    row = unsubmitted_round(round_id)
    room_row = _room_of_round(row, room_id)
    facts = reconciliation_inputs(row.building_id, date.fromisoformat(row.night), now, row.id, room_id)
    (room,) = rules.reconcile_building(**facts)
    # Only students not yet marked: an Enter on the room must not overwrite an absence someone recorded
    # (an unknown whereabouts with its incident, a sick-bay note) with "present".
    todo = [line.student_id for line in room.unmarked]
    if not todo:
        return room
    with record(actor, "dorm.room_all_present", entity="headcount_round", entity_id=row.id,
                detail={"room": room_row.number, "students": len(todo), "expected": room.expected_count}) as w:
        w.insert(_confirm_row(row, room, todo, "all", now))
    # The same facts plus the marks just written: no second round of queries on every key.
    facts["marks"] = {**facts["marks"], **{sid: rules.Mark(sid, True, method="all") for sid in todo}}
    (room,) = rules.reconcile_building(**facts)
    return room


def undo_confirm(actor: Actor, round_id: str, room_id: str) -> rules.RoomResult:
    """Take back the room's latest confirmation (an Enter pressed by accident): the students it marked present,
    and not marked again since, are to be counted again. The confirmation and the undo both stay on the record."""
    require_login(actor)
    now = clock.now()
    row = unsubmitted_round(round_id)
    room_row = _room_of_round(row, room_id)
    last = (RoomConfirm.select().where((RoomConfirm.round == row.id) & (RoomConfirm.room == room_id))
            .order_by(RoomConfirm.recorded_at.desc(), RoomConfirm.id.desc()).first())
    if last is None:
        raise HeadcountError("dorm.err_nothing_to_undo", room=room_row.number)
    marks = marks_of(row.id)
    undone = [sid for sid in last.students if marks.get(sid) is not None and marks[sid].method == last.method
              and marks[sid].present]
    if not undone:
        raise HeadcountError("dorm.err_nothing_to_undo", room=room_row.number)
    with record(actor, "dorm.room_undo", entity="headcount_round", entity_id=row.id,
                detail={"room": room_row.number, "confirm": last.id, "students": len(undone)}) as w:
        _set_marks(w, row, room_id, [(sid, False, "", "") for sid in undone], UNDO, now)
    return _room_now(row, room_id, now)


def _confirm_row(row: HeadcountRound, room: rules.RoomResult, student_ids: list[str], method: str, at: datetime,
                 counted: int | None = None) -> RoomConfirm:
    return RoomConfirm(recorded_at=at, round=row.id, room=room.room_id, method=method, students=sorted(student_ids),
                       counted=counted, expected=room.expected_count)


def confirm_rooms(actor: Actor, round_id: str, room_ids: list[str]) -> int:
    """Mark every expected student of several rooms present in one transaction (demo history and the
    benchmark fill years of nights this way; the station confirms room by room). Returns rooms confirmed."""
    require_login(actor)
    now = clock.now()
    row = unsubmitted_round(round_id)
    wanted = set(room_ids)
    rooms = [room for room in reconcile(row.building_id, date.fromisoformat(row.night), now, row.id)
             if room.room_id in wanted]
    written = 0
    with record(actor, "dorm.rooms_all_present", entity="headcount_round", entity_id=row.id,
                detail={"rooms": [room.number for room in rooms]}) as w:
        for room in rooms:
            todo = [line.student_id for line in room.unmarked]
            if todo:
                w.insert(_confirm_row(row, room, todo, "all", now))
                written += 1
    return written


def count_room(actor: Actor, round_id: str, room_id: str, counted: int, *,
               missing: dict[str, tuple[str, str]] | None = None,
               extras: list[tuple[str, str]] | None = None) -> CountResult:
    """A typed count. Equal to expected: everyone present. Fewer: `missing` must name exactly who is absent
    (student_id -> (reason, note)); more: `extras` must name who is extra ((name, note)). Otherwise the
    outcome is returned and nothing is written, so the screen can ask."""
    require_login(actor)
    now = clock.now()
    row = unsubmitted_round(round_id)
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
        _check_reason(reason, note, slips.get(sid), now)
    present_ids = [sid for sid in expected_ids if sid not in missing]
    absent_marks = [(sid, False, reason, clean_text(note)) for sid, (reason, note) in missing.items()]
    detail = {"room": room_row.number, "counted": counted, "expected": room.expected_count,
              "missing": sorted(missing), "extras": [name for name, _ in extras]}
    with record(actor, "dorm.room_count", entity="headcount_round", entity_id=row.id, detail=detail) as w:
        w.insert(_confirm_row(row, room, present_ids, "count", now, counted))
        if absent_marks:
            _set_marks(w, row, room_id, absent_marks, "count", now)
        for name, note in extras:
            w.insert(ExtraPerson(recorded_at=now, round=row.id, room=room_id, name=name, note=note))
        for sid, (reason, note) in missing.items():
            if reason == "unknown":
                open_incident(w, row, room_id, sid, now, clean_text(note))
    unknown = [sid for sid, (reason, _) in missing.items() if reason == "unknown"]
    return CountResult(outcome, _room_now(row, room_id, now), contacts(actor.school_id, unknown))


def _check_reason(reason: str, note: str, slip: rules.SlipFact | None, now: datetime) -> None:
    if reason not in rules.REASONS:
        raise HeadcountError("dorm.err_reason")
    if reason == "on_leave" and (refusal := rules.leave_refusal(slip, now)):
        raise HeadcountError(f"dorm.err_on_leave_{refusal}")
    if reason == "other" and not clean_text(note):
        raise HeadcountError("dorm.err_note_needed")


def reason_problem(round_id: str, student_id: str, reason: str, note: str = "") -> HeadcountError | None:
    """Why this absence reason cannot be recorded for the student now (None when it can): the screen asks again
    for that one student instead of throwing away the whole room's count."""
    now = clock.now()
    row = get_round(round_id)
    student = _student_in_building(row, student_id)
    try:
        _check_reason(reason, note, slip_facts(row.building_id, now, student.room_id).get(student.id), now)
    except HeadcountError as error:
        return error
    return None


def _student_in_building(row: HeadcountRound, student_id: str) -> Student:
    student = (Student.select(Student, Room).join(Room)
               .where((Student.id == student_id) & (Room.building == row.building_id)).first())
    if student is None or not student.active or not student.boarder:
        raise HeadcountError("dorm.err_student_not_here")
    return student


def tick(actor: Actor, round_id: str, student_id: str, present: bool = True, *, method: str = "tick") -> MarkResult:
    """Mark one student present (or undo to absent-unknown is not allowed here: use mark_absent)."""
    require_login(actor)
    if method not in METHODS:
        raise HeadcountError("dorm.err_reason")
    now = clock.now()
    row = unsubmitted_round(round_id)
    student = _student_in_building(row, student_id)
    with record(actor, f"dorm.mark_{method}", entity="student", entity_id=student.id,
                detail={"round": row.id, "room": student.room.number, "present": True}) as w:
        _set_marks(w, row, student.room_id, [(student.id, True, "", "")], method, now)
    return MarkResult(student.name, student.number, student.room.number)


def scan_card(actor: Actor, round_id: str, code: str) -> MarkResult:
    """A student's card scanned at the dorm station: marked present in their own room."""
    code = clean_identifier(code)
    if not code:
        raise HeadcountError("dorm.err_card_unknown", code="")
    row = unsubmitted_round(round_id)
    student = Student.get_or_none((Student.school_id == actor.school_id) & (Student.number == code[:40]))
    if student is None:
        raise HeadcountError("dorm.err_card_unknown", code=code[:20])
    if student.room_id is None or student.room.building_id != row.building_id or not student.boarder or not student.active:
        raise HeadcountError("dorm.err_card_other_building", name=student.name)
    return tick(actor, row.id, student.id, method="scan")


def mark_absent(actor: Actor, round_id: str, student_id: str, reason: str, note: str = "") -> MarkResult:
    """Absent with a reason. `unknown` opens an incident at once (one open incident per student)."""
    require_login(actor)
    now = clock.now()
    row = unsubmitted_round(round_id)
    student = _student_in_building(row, student_id)
    note = clean_text(note)
    _check_reason(reason, note, slip_facts(row.building_id, now, student.room_id).get(student.id), now)
    incident_id = None
    with record(actor, "dorm.mark_absent", entity="student", entity_id=student.id,
                detail={"round": row.id, "room": student.room.number, "reason": reason, "note": note}) as w:
        _set_marks(w, row, student.room_id, [(student.id, False, reason, note)], "tick", now)
        if reason == "unknown":
            incident_id = open_incident(w, row, student.room_id, student.id, now, note)
    contact = contacts(actor.school_id, [student.id]).get(student.id) if incident_id else None
    return MarkResult(student.name, student.number, student.room.number, incident_id, contact)


def add_extra(actor: Actor, round_id: str, room_id: str, name: str, note: str = "") -> rules.RoomResult:
    """非本室人员 found in a room. A student number as the name links the student."""
    require_login(actor)
    now = clock.now()
    row = unsubmitted_round(round_id)
    room_row = _room_of_round(row, room_id)
    name, note = clean_text(name), clean_text(note)
    if not name:
        raise HeadcountError("dorm.err_name_needed")
    student = Student.get_or_none((Student.school_id == actor.school_id) & (Student.number == clean_identifier(name)))
    with record(actor, "dorm.extra_person", entity="headcount_round", entity_id=row.id,
                detail={"room": room_row.number, "name": student.name if student else name}) as w:
        w.insert(ExtraPerson(recorded_at=now, round=row.id, room=room_id, name=student.name if student else name,
                             note=note, student=student.id if student else None))
    return _room_now(row, room_id, now)
