"""Overnight guests 陪宿 registered at the dorm on arrival: with the office's approval covering tonight (the ID card
must match the approved masked number; the dorm manager's PIN only), or by the exception path (the student's head
teacher and the dorm manager, both with their PIN). Approvals: kiosk.services.headcount_guest_approvals."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kiosk import clock
from kiosk.models import Room, Staff, Student
from kiosk.models.dorm import GuestApproval, OvernightGuest
from kiosk.services import acting_roles, guest_rules
from kiosk.services.actor import Actor
from kiosk.services.auth import StaffSession
from kiosk.services.facts import record
from kiosk.services.headcount_common import HeadcountError, current_staff, require_login
from kiosk.services.headcount_guest_approvals import approval_views
from kiosk.services.names import clean_identifier, clean_text
from kiosk.services.visitor_rules import mask_id, normalise_id


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


def _approver(session: StaffSession, role: str, student: Student | None = None) -> Staff:
    """The PIN-verified person acting as `role` (for `student` when the role is their head teacher)."""
    staff = current_staff(session)
    student_class = student.class_name if student is not None else None
    if not acting_roles.may_act_as(role, staff.role_set(), staff.class_name, student_class):
        raise HeadcountError(f"dorm.err_role_{role}", klass=student_class or "")
    return staff


def register_guest(actor: Actor, room_id: str, night: date, name: str, id_number: str, relation: str,
                   student_id: str | None, teacher: StaffSession, manager: StaffSession) -> GuestView:
    """陪宿: a relative staying the night, approved by a head teacher and the dorm manager (both PIN-verified)."""
    require_login(actor)
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
    head = _approver(teacher, "head_teacher", student)
    mgr = _approver(manager, "dorm_manager")
    if head.id == mgr.id:
        raise HeadcountError("dorm.err_same_approver")
    now = clock.now()
    row = OvernightGuest(recorded_at=now, room=room.id, night=night.isoformat(), name=name,
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
    room = Room.get_or_none((Room.building == building_id) & (Room.number == clean_identifier(room_number)))
    if room is None:
        raise HeadcountError("dorm.err_room_unknown")
    student_id = None
    if clean_identifier(student_number):
        student = Student.get_or_none((Student.school_id == actor.school_id)
                                      & (Student.number == clean_identifier(student_number)))
        if student is None:
            raise HeadcountError("dorm.err_student_not_here")
        student_id = student.id
    return register_guest(actor, room.id, night, name, id_number, relation, student_id, teacher, manager)


def approved_id_problem(approval_id: str, id_number: str) -> HeadcountError | None:
    """The ID card typed at the dorm against the approval, before anyone is asked for a PIN (None: it matches)."""
    row = GuestApproval.get_or_none(GuestApproval.id == approval_id)
    if row is None:
        return HeadcountError("dorm.err_ga_unknown")
    if not guest_rules.id_matches(mask_id(normalise_id(id_number)), row.id_masked):
        return HeadcountError("dorm.err_ga_id_mismatch", masked=row.id_masked)
    return None


def register_approved_guest(actor: Actor, building_id: str, approval_id: str, night: date, id_number: str,
                            manager: StaffSession) -> GuestView:
    """The guest arrives at the dorm with an approval covering tonight: the supervisor types (or reads) the ID card,
    which must match the approved masked number, and the dorm manager confirms with a PIN."""
    require_login(actor)
    row = GuestApproval.get_or_none((GuestApproval.id == approval_id) & (GuestApproval.school_id == actor.school_id))
    if row is None:
        raise HeadcountError("dorm.err_ga_unknown")
    view = approval_views([row])[0]
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
    guest = OvernightGuest(recorded_at=clock.now(), room=room.id, night=night.isoformat(), name=row.guest_name,
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
