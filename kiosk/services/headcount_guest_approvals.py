"""Overnight guests 陪宿 approved ahead: by day the student's head teacher (or a role above) approves at the office,
for 1-7 nights, keeping only the masked ID number; an approval can be withdrawn with a reason. At night the dorm
finds the approvals covering tonight (kiosk.services.headcount_guests registers the guest). Rules:
kiosk.services.guest_rules."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from kiosk import clock
from kiosk.models import Room, Staff, Student
from kiosk.models.dorm import GuestApproval, GuestApprovalRevocation, OvernightGuest
from kiosk.services import guest_rules
from kiosk.services.actor import Actor
from kiosk.services.facts import record
from kiosk.services.headcount_common import HeadcountError, chunks, require_login
from kiosk.services.names import clean_identifier, clean_text
from kiosk.services.visitor_rules import check_id, guess_id_type, mask_id


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


def approval_views(rows: list[GuestApproval]) -> list[ApprovalView]:
    """Views of approval rows, with their revocations and the nights a guest was registered on them."""
    ids = [row.id for row in rows]
    revoked: dict[str, str] = {}
    used: dict[str, list[date]] = {}
    for part in chunks(ids, 500):
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
    require_login(actor)
    staff = Staff.get_or_none(Staff.id == actor.staff_id)
    if staff is None or not staff.active:
        raise HeadcountError("dorm.err_login")
    if not clean_identifier(student_number):
        raise HeadcountError("dorm.err_ga_student_needed")
    student = Student.get_or_none((Student.school_id == actor.school_id) & (Student.number == clean_identifier(student_number))
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
    row = GuestApproval(recorded_at=clock.now(), student=student.id, guest_name=guest_name,
                        id_masked=mask_id(checked.number), relation=relation,
                        first_night=first_night.isoformat(), last_night=last_night.isoformat(), note=note,
                        teacher_id=staff.id, teacher_name=staff.name)
    with record(actor, "dorm.guest_approve", entity="guest_approval", entity_id=row.id,
                detail={"student": student.number, "relation": relation, "first_night": row.first_night,
                        "last_night": row.last_night}) as w:
        w.insert(row)
    return approval_views([row])[0]


def revoke_guest_approval(actor: Actor, approval_id: str, reason: str) -> ApprovalView:
    """Withdraw an approval (never undone): the dorm falls back to both PINs for that guest."""
    require_login(actor)
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
    revocation = GuestApprovalRevocation(recorded_at=clock.now(), approval=row.id, reason=reason)
    with record(actor, "dorm.guest_approval_revoke", entity="guest_approval", entity_id=row.id,
                detail={"reason": reason}) as w:
        w.insert(revocation)
    return approval_views([row])[0]


def class_approvals(school_id: str, class_name: str | None, today: date) -> list[ApprovalView]:
    """Current and upcoming approvals (last night tonight or later), of one class or (None) of the school."""
    query = (GuestApproval.select(GuestApproval, Student).join(Student)
             .where((GuestApproval.school_id == school_id) & (GuestApproval.last_night >= today.isoformat())))
    if class_name is not None:
        query = query.where(Student.class_name == class_name)
    rows = list(query.order_by(GuestApproval.first_night, Student.number))
    return [view for view in approval_views(rows) if guest_rules.is_current(view.range(), today)]


def night_approvals(building_id: str, night: date, room_number: str | None = None) -> list[ApprovalView]:
    """Unrevoked approvals covering `night` for boarders of the building (optionally of one room)."""
    text = night.isoformat()
    query = (GuestApproval.select(GuestApproval, Student).join(Student).join(Room)
             .where((Room.building == building_id) & (GuestApproval.first_night <= text)
                    & (GuestApproval.last_night >= text) & Student.active))
    if room_number is not None:
        query = query.where(Room.number == clean_identifier(room_number))
    rows = list(query.order_by(Room.number, Student.number))
    return [view for view in approval_views(rows) if view.covers(night)]
