"""The inputs of the nightly reconciliation, read from the database as the frozen facts of
kiosk.services.headcount_rules: rooms, boarders, each boarder's latest slip at the gate, dorm whereabouts records,
guests, and a round's marks, extra persons and closed incidents. `reconcile` runs the rules on them."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from kiosk.models import Room, Student, database_proxy
from kiosk.models.base import UtcDateTimeField, utc_text
from kiosk.models.dorm import ExtraPerson, Incident, OvernightGuest, RoomConfirm, RoomMark, Whereabouts
from kiosk.models.slips import SlipRevocation
from kiosk.services import headcount_rules as rules
from kiosk.services.headcount_common import chunks, short_code_of

# A gate return older than this is ordinary history, not a fact about tonight.
RETURN_RELEVANT_HOURS = 24
UNDO = "undo"  # a mark that takes back a room confirmation (the confirmation itself stays on the record)
_TIME = UtcDateTimeField()


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
    for chunk in chunks(latest, 500):
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
    for chunk in chunks(returned_slips, 500):
        marks = ",".join("?" * len(chunk))
        for slip_id, at, return_by in database_proxy.execute_sql(
                f"SELECT slip_id, at, return_by FROM gate_crossing WHERE slip_id IN ({marks}) AND direction = 'exit'", chunk):
            exits_of[slip_id] = (_TIME.python_value(at), _TIME.python_value(return_by))
    slip_ids = [value[0] for value in outs.values() if value[0]] + returned_slips
    revoked: set[str] = set()
    for chunk in chunks(slip_ids, 500):
        revoked.update(row[0] for row in SlipRevocation.select(SlipRevocation.slip)
                       .where(SlipRevocation.slip.in_(chunk) & (SlipRevocation.recorded_at <= now)).tuples())
    facts: dict[str, rules.SlipFact] = {}
    for student_id, (slip_id, exception_id, exited_at, return_by) in outs.items():
        facts[student_id] = rules.SlipFact(student_id, slip_id, exited_at, None, return_by, slip_id in revoked,
                                           short_code_of(slip_id), exception_id)
    for student_id, (slip_id, exception_id, returned_at) in returns.items():
        exited_at, return_by = exits_of.get(slip_id, (None, None))
        facts[student_id] = rules.SlipFact(student_id, slip_id, exited_at or returned_at, returned_at, return_by,
                                           slip_id in revoked, short_code_of(slip_id), exception_id)
    return facts


def whereabouts_facts(building_id: str, now: datetime, room_id: str | None = None) -> list[rules.WhereaboutsFact]:
    rows = (Whereabouts.select(Whereabouts.id, Whereabouts.student, Whereabouts.kind, Whereabouts.note,
                               Whereabouts.since, Whereabouts.until)
            .join(Student).join(Room)
            .where((Room.building == building_id) & (Whereabouts.since <= now)
                   & (Whereabouts.until.is_null() | (Whereabouts.until > now))))
    if room_id is not None:
        rows = rows.where(Room.id == room_id)
    return [rules.WhereaboutsFact(w.id, w.student_id, w.kind, w.note, w.since, w.until) for w in rows]


def guest_facts(building_id: str, night: date) -> list[rules.GuestFact]:
    rows = (OvernightGuest.select().join(Room)
            .where((Room.building == building_id) & (OvernightGuest.night == night.isoformat())))
    return [rules.GuestFact(g.id, g.room_id, g.name, g.relation, True) for g in rows]


def marks_of(round_id: str) -> dict[str, rules.Mark]:
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
    marks: dict[str, rules.Mark] = {}
    for _, _, mark in facts:
        if mark.method == UNDO:  # an undone confirmation: the student is to be counted again
            marks.pop(mark.student_id, None)
        else:
            marks[mark.student_id] = mark
    return marks


def extra_facts(round_id: str) -> list[rules.ExtraFact]:
    rows = ExtraPerson.select().where(ExtraPerson.round == round_id).order_by(ExtraPerson.recorded_at)
    return [rules.ExtraFact(e.room_id, e.name, e.note, e.student_id) for e in rows]


def reconciliation_inputs(building_id: str, night: date, now: datetime, round_id: str | None = None,
                          room_id: str | None = None) -> dict:
    """The inputs of the reconciliation, read once (so a caller can reconcile again after a write)."""
    return dict(rooms=room_facts(building_id, room_id), boarders=boarder_facts(building_id, room_id), now=now,
                slips=slip_facts(building_id, now, room_id), whereabouts=whereabouts_facts(building_id, now, room_id),
                guests=guest_facts(building_id, night),
                marks=marks_of(round_id) if round_id else {}, extras=extra_facts(round_id) if round_id else (),
                resolutions=resolutions(round_id) if round_id else {})


def resolutions(round_id: str) -> dict[str, rules.Resolution]:
    """The round's unknown-whereabouts incidents closed since: where the student was, who confirmed it."""
    rows = Incident.select().where((Incident.round == round_id) & Incident.closed_at.is_null(False))
    return {inc.student_id: rules.Resolution(inc.student_id, inc.whereabouts, inc.confirmed_name, inc.closed_at)
            for inc in rows.order_by(Incident.closed_at)}


def reconcile(building_id: str, night: date, now: datetime, round_id: str | None = None,
              room_id: str | None = None) -> tuple[rules.RoomResult, ...]:
    """Every room of the building (or just `room_id`) as of `now`, with the round's marks if a round is given."""
    return rules.reconcile_building(**reconciliation_inputs(building_id, night, now, round_id, room_id))


def room_facts(building_id: str, room_id: str | None = None) -> list[rules.RoomFact]:
    query = Room.select(Room.id, Room.number, Room.beds).where(Room.building == building_id)
    if room_id is not None:
        query = query.where(Room.id == room_id)
    rows = query.tuples()
    return [rules.RoomFact(room_id, number, beds) for room_id, number, beds in rows]


def boarder_facts(building_id: str, room_id: str | None = None) -> list[rules.BoarderFact]:
    query = (Student.select(Student.id, Student.number, Student.name, Student.class_name, Student.room,
                            Student.active, Student.boarder)
             .join(Room).where(Room.building == building_id))
    if room_id is not None:
        query = query.where(Student.room == room_id)
    rows = query.tuples()
    return [rules.BoarderFact(sid, number, name, class_name, room_id, bool(active), bool(boarder))
            for sid, number, name, class_name, room_id, active, boarder in rows]
