"""Unknown whereabouts: an incident opened when a student cannot be placed, its escalation ladder (each step
acknowledged by a named person with a PIN), gate returns noted on it, and closing it with a recorded whereabouts
and who confirmed it. The ladder's rules: kiosk.services.escalation_rules."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kiosk import clock
from kiosk.config import DormSettings
from kiosk.models import Building, Room, Staff, Student, database_proxy
from kiosk.models.base import UtcDateTimeField, utc_text
from kiosk.models.dorm import HeadcountRound, Incident, IncidentAck
from kiosk.services import escalation_rules
from kiosk.services import headcount_rules as rules
from kiosk.services.actor import Actor
from kiosk.services.auth import StaffSession
from kiosk.services.facts import FactWriter, record
from kiosk.services.headcount_common import Contact, HeadcountError, contacts, current_staff, require_login
from kiosk.services.names import clean_text
from kiosk.services.slip_queries import students_out

_TIME = UtcDateTimeField()


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
    steps: tuple[escalation_rules.LadderStep, ...]
    contact: Contact | None = None  # whom to call: the head teacher and the guardian

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


def open_incident(w: FactWriter, row: HeadcountRound, room_id: str, student_id: str, at: datetime, note: str) -> str:
    """Inside the fact that marks the student absent as unknown: one open incident per student."""
    existing = Incident.get_or_none((Incident.student == student_id) & Incident.closed_at.is_null())
    if existing is not None:
        return existing.id
    incident = Incident(recorded_at=at, student=student_id, room=room_id, round=row.id, night=row.night,
                        opened_at=at, note=note)
    w.insert(incident)
    return incident.id


def overdue_count(school_id: str, now: datetime, building: str = "") -> int:
    """Boarders out on a slip past its return deadline (请假未归), the same count the gate's overdue board starts from;
    with `building` (its name or id: a dorm station's station.building) only those who sleep there."""
    late = {out.student_id for out in students_out(school_id, now)
            if out.slip_id and out.return_by is not None and rules.SlipFact(
                out.student_id, out.slip_id, out.exited_at, return_due=out.return_by).minutes_late(now)}
    if not building or not late:
        return len(late)
    sleeping_there = (Student.select(Student.id).join(Room).join(Building)
                      .where(Student.id.in_(list(late)) & ((Building.name == building) | (Building.id == building))))
    return sleeping_there.count()


def open_incident_count(school_id: str) -> int:
    """Open unknown-whereabouts incidents of the school (for every station's status bar)."""
    return Incident.select().where((Incident.school_id == school_id) & Incident.closed_at.is_null()).count()


def incident_view(incident_id: str, settings: DormSettings, now: datetime | None = None) -> IncidentView:
    now = now or clock.now()
    inc = Incident.get_or_none(Incident.id == incident_id)
    if inc is None:
        raise HeadcountError("dorm.err_incident_unknown")
    acks = [escalation_rules.Acknowledgement(a.step, a.ack_staff_id, a.ack_name, a.recorded_at)
            for a in IncidentAck.select().where(IncidentAck.incident == inc.id)]
    steps = escalation_rules.escalation_ladder(inc.opened_at, now, settings.escalation_minutes, acks=acks,
                                    closed_at=inc.closed_at, overdue_minutes=settings.escalation_overdue_minutes)
    opener = Staff.get_or_none(Staff.id == inc.staff_id)
    room = inc.room if inc.room_id else None
    return IncidentView(
        incident_id=inc.id, student_id=inc.student_id, student_name=inc.student.name, student_number=inc.student.number,
        class_name=inc.student.class_name, room_number=room.number if room else "",
        building_name=room.building.name if room else "", night=date.fromisoformat(inc.night),
        opened_at=inc.opened_at, opened_by=opener.name if opener else "", note=inc.note,
        gate_return_at=inc.gate_return_at, closed_at=inc.closed_at, whereabouts=inc.whereabouts,
        confirmed_name=inc.confirmed_name, steps=steps,
        contact=contacts(inc.school_id, [inc.student_id]).get(inc.student_id))


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
    require_login(actor)
    now = clock.now()
    view = incident_view(incident_id, settings, now)
    if not view.is_open:
        raise HeadcountError("dorm.err_incident_closed")
    if not 0 <= step < len(view.steps):
        raise HeadcountError("dorm.err_step")
    ladder_step = view.steps[step]
    if ladder_step.ack is not None:
        raise HeadcountError("dorm.err_step_done")
    staff = current_staff(by)
    student = Student.get_by_id(view.student_id)
    if not escalation_rules.can_acknowledge(ladder_step, staff.role_set(), staff.class_name, student.class_name):
        raise HeadcountError(f"dorm.err_role_{ladder_step.role}", klass=student.class_name)
    ack = IncidentAck(recorded_at=now, incident=incident_id, step=step, role=ladder_step.role, ack_staff_id=staff.id,
                      ack_name=staff.name, note=clean_text(note))
    with record(actor, "dorm.incident_ack", entity="incident", entity_id=incident_id,
                detail={"step": step, "role": ladder_step.role, "by": staff.number,
                        "state": ladder_step.state}) as w:
        w.insert(ack)
    return incident_view(incident_id, settings, now)


def close_incident(actor: Actor, incident_id: str, whereabouts: str, confirmer: StaffSession,
                   settings: DormSettings) -> IncidentView:
    """Closes only with a recorded whereabouts and a named confirmer (PIN-verified)."""
    require_login(actor)
    whereabouts = clean_text(whereabouts)
    if not whereabouts:
        raise HeadcountError("dorm.err_whereabouts_needed")
    inc = Incident.get_or_none(Incident.id == incident_id)
    if inc is None:
        raise HeadcountError("dorm.err_incident_unknown")
    if inc.closed_at is not None:
        raise HeadcountError("dorm.err_incident_closed")
    staff = current_staff(confirmer)
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
