"""Pass slips at the office: issue, approve, revoke and list; confirm verbal exceptions; the refusal list.
Every write goes through kiosk.services.facts.record."""
from __future__ import annotations

from pathlib import Path
from dataclasses import dataclass
from datetime import datetime

from kiosk import clock
from kiosk.config import Settings
from kiosk.i18n import Msg, MsgList
from kiosk.ids import new_id
from kiosk.models import Student
from kiosk.models.slips import (
    REASON_KINDS, GateCrossing, GateScan, PassSlip, SlipApproval, SlipRevocation, VerbalException,
)
from kiosk.services.acting_roles import may_act_as_head_teacher
from kiosk.services import slip_codec, slip_rules
from kiosk.services.actor import Actor
from kiosk.services.facts import record
from kiosk.services.names import clean_text
from kiosk.services.slip_keys import SlipKeyError, signing_key
from kiosk.services.slip_revoke import revoke_refusal
from kiosk.services.slips import (
    ExceptionRow, SlipError, SlipView, exception_row, find_student, get_slip, is_head_teacher_of, slip_state,
    staff_name, staff_row, stored_reason, view_of,
)


@dataclass(frozen=True)
class IssuedSlip:
    slip: SlipView
    code: str


@dataclass(frozen=True)
class ScanRow:
    id: str
    at: datetime
    raw: str
    verdict: str
    reason_code: str
    reason: Msg
    student_name: str
    station_id: str
    staff_name: str


def issue_slip(actor: Actor, settings: Settings, *, student_number: str, reason_kind: str, reason_note: str = "",
               leave_from: datetime, leave_to: datetime, return_by: datetime, companion_name: str = "",
               companion_relation: str = "", companion_phone: str = "") -> IssuedSlip:
    """A head teacher (own class) or an admin issues a signed slip; the issuer's approval is given at once."""
    now = clock.now()
    student = find_student(actor.school_id, student_number)
    if student is None:
        raise SlipError("slips.err_unknown_student", number=student_number)
    if not student.active:
        raise SlipError("slips.err_inactive", name=student.name)
    if not student.boarder:
        raise SlipError("slips.err_not_boarder", name=student.name)
    if "admin" not in actor.roles and not is_head_teacher_of(actor, student.class_name):
        raise SlipError("slips.err_not_your_class", class_name=student.class_name)
    if reason_kind not in REASON_KINDS:
        raise SlipError("slips.err_reason_kind")
    reason_note = clean_text(reason_note)[:200]
    if reason_kind == "other" and not reason_note:
        raise SlipError("slips.err_reason_note")
    leave_from, leave_to, return_by = (slip_codec.floor_minute(x) for x in (leave_from, leave_to, return_by))
    if not leave_from < leave_to <= return_by:
        raise SlipError("slips.err_window")
    if leave_to < slip_codec.floor_minute(now):
        raise SlipError("slips.err_window_past")
    companion_name, companion_relation = clean_text(companion_name)[:40], clean_text(companion_relation)[:20]
    companion_phone = "".join(ch for ch in companion_phone if ch in "0123456789+-")[:20]
    slip = write_slip(actor, settings, student, reason_kind=reason_kind, reason_note=reason_note,
                      leave_from=leave_from, leave_to=leave_to, return_by=return_by, companion_name=companion_name,
                      companion_relation=companion_relation, companion_phone=companion_phone, at=now)
    return IssuedSlip(view_of(slip, now, student), slip.code)


def write_slip(actor: Actor, settings: Settings, student: Student, *, reason_kind: str, reason_note: str,
               leave_from: datetime, leave_to: datetime, return_by: datetime, companion_name: str,
               companion_relation: str, companion_phone: str, at: datetime) -> PassSlip:
    """Sign and store a validated slip (issue_slip checks; the demo seeds history through here)."""
    now = at
    roles = slip_rules.required_roles(leave_from, return_by, settings)
    try:
        key_id, private = signing_key(actor.school_id, Path(settings.slips.key_dir) if settings.slips.key_dir else None)
    except SlipKeyError:
        raise SlipError("slips.err_no_key") from None
    slip_id = new_id()
    payload = slip_codec.SlipPayload(key_id, slip_id, student.number, leave_from, leave_to, return_by,
                                     slip_codec.FLAG_NEEDS_APPROVAL if len(roles) > 1 else 0)
    try:
        code = slip_codec.sign(payload, private)
    except ValueError:
        raise SlipError("slips.err_number_unusable", number=student.number) from None
    approved_at = now if len(roles) == 1 else None
    detail = {"student": student.number, "reason": reason_kind, "from": leave_from, "to": leave_to,
              "return_by": return_by, "required": list(roles), "key_id": key_id}
    with record(actor, "slip.issue", entity="pass_slip", entity_id=slip_id, detail=detail, at=now) as w:
        slip = w.insert(PassSlip(
            id=slip_id, school_id=actor.school_id, station_id=actor.station_id, staff_id=actor.staff_id,
            recorded_at=now, student=student, student_number=student.number, reason_kind=reason_kind,
            reason_note=reason_note, leave_from=leave_from, leave_to=leave_to, return_by=return_by,
            companion_name=companion_name, companion_relation=companion_relation, companion_phone=companion_phone,
            required_roles=",".join(roles), approved_at=approved_at, key_id=key_id, code=code,
        ))
        w.insert(SlipApproval(recorded_at=now, slip=slip, role="head_teacher"))
    return slip


def approve_slip(actor: Actor, slip_id: str, note: str = "") -> SlipView:
    """Give the next approval the ladder needs that this person may give (discipline, then principal)."""
    now = clock.now()
    slip = get_slip(actor.school_id, slip_id)
    state = slip_state(slip)
    if state.revoked:
        raise SlipError("slips.err_revoked")
    missing = [role for role in state.required_roles if role not in state.approvals]
    if not missing:
        raise SlipError("slips.err_already_approved")
    role = next((r for r in missing if r in actor.roles or "admin" in actor.roles), None)
    if role is None:
        raise SlipError("slips.err_cannot_approve", roles=MsgList(Msg(f"slips.role_{r}") for r in missing))
    with record(actor, "slip.approve", entity="pass_slip", entity_id=slip.id, detail={"role": role}, at=now) as w:
        w.insert(SlipApproval(recorded_at=now, slip=slip, role=role, note=clean_text(note)[:200]))
        if len(missing) == 1:
            slip.approved_at = now
            w.update(slip, PassSlip.approved_at)
    return view_of(slip, now)


def revoke_slip(actor: Actor, slip_id: str, reason: str) -> SlipView:
    now = clock.now()
    slip = get_slip(actor.school_id, slip_id)
    reason = clean_text(reason)[:200]
    if not reason:
        raise SlipError("slips.err_revoke_reason")
    student = slip.student
    if not (actor.has_role("discipline", "principal") or is_head_teacher_of(actor, student.class_name)):
        raise SlipError("slips.err_not_your_class", class_name=student.class_name)
    state = slip_state(slip)
    if state.revoked:
        raise SlipError("slips.err_revoked")
    if GateCrossing.select().where((GateCrossing.slip_id == slip.id) & (GateCrossing.direction == "return")).exists():
        raise SlipError("slips.err_already_returned")
    refusal = revoke_refusal(view_of(slip, now).status)  # expired, or already used to go out
    if refusal is not None:
        raise SlipError(refusal, name=student.name)
    with record(actor, "slip.revoke", entity="pass_slip", entity_id=slip.id, detail={"reason": reason}, at=now) as w:
        w.insert(SlipRevocation(recorded_at=now, slip=slip, reason=reason))
    return view_of(slip, now)


def class_slips(school_id: str, class_name: str | None, now: datetime | None = None, limit: int = 200) -> list[SlipView]:
    """A class's slips (all classes when class_name is None), newest first, each with its current state."""
    now = now or clock.now()
    query = PassSlip.select(PassSlip, Student).join(Student).where(PassSlip.school_id == school_id)
    if class_name:
        query = query.where(Student.class_name == class_name)
    return [view_of(slip, now, slip.student) for slip in query.order_by(PassSlip.leave_from.desc()).limit(limit)]


def slips_waiting_for(actor: Actor, now: datetime | None = None) -> list[SlipView]:
    """Slips whose ladder still needs a role this person holds."""
    now = now or clock.now()
    result = []
    for slip in PassSlip.select().where((PassSlip.school_id == actor.school_id) & PassSlip.approved_at.is_null()):
        view = view_of(slip, now)
        missing = [r for r in view.required_roles if r not in view.approvals]
        if view.status == "pending" and any(r in actor.roles or "admin" in actor.roles for r in missing):
            result.append(view)
    return result


def verbal_exceptions(school_id: str, *, unconfirmed_only: bool = True, class_name: str | None = None) -> list[ExceptionRow]:
    query = VerbalException.select(VerbalException, Student).join(Student).where(VerbalException.school_id == school_id)
    if unconfirmed_only:
        query = query.where(VerbalException.confirmed_at.is_null())
    if class_name:
        query = query.where(Student.class_name == class_name)
    return [exception_row(row) for row in query.order_by(VerbalException.recorded_at.desc()).limit(500)]


def confirm_verbal_exception(actor: Actor, exception_id: str, note: str = "") -> ExceptionRow:
    now = clock.now()
    row = VerbalException.get_or_none((VerbalException.school_id == actor.school_id) & (VerbalException.id == exception_id))
    if row is None:
        raise SlipError("slips.err_unknown_exception")
    if row.confirmed_at is not None:
        raise SlipError("slips.err_already_confirmed")
    staff = staff_row(actor.staff_id)
    # The student's own head teacher or a role above on the ladder (acting_roles), or the discipline office.
    if not (actor.has_role("discipline") or may_act_as_head_teacher(
            actor.roles, staff.class_name if staff else "", row.student.class_name)):
        raise SlipError("slips.err_not_your_class", class_name=row.student.class_name)
    row.confirmed_by, row.confirmed_at, row.confirm_note = actor.staff_id, now, clean_text(note)[:200]
    with record(actor, "slip.verbal_confirm", entity="verbal_exception", entity_id=row.id, at=now) as w:
        w.update(row, VerbalException.confirmed_by, VerbalException.confirmed_at, VerbalException.confirm_note)
    return exception_row(row)


def scans(school_id: str, start: datetime | None = None, end: datetime | None = None, *,
          refusals_only: bool = False, class_name: str | None = None, limit: int = 500) -> list[ScanRow]:
    """Scans at the gate, newest first. `class_name` (acting_roles.listing_class): only scans of that class's
    students (a scan names no class: it is the student's, read at query time, so a scan naming no student, such
    as a forged or unreadable code, is in no class's list); None for every scan."""
    query = GateScan.select().where(GateScan.school_id == school_id)
    if class_name is not None:
        query = query.join(Student, on=(GateScan.student == Student.id)).where(Student.class_name == class_name)
    if refusals_only:
        query = query.where(GateScan.verdict == "refuse")
    if start is not None:
        query = query.where(GateScan.recorded_at >= start)
    if end is not None:
        query = query.where(GateScan.recorded_at < end)
    result = []
    names: dict[str, str] = {}
    for row in query.order_by(GateScan.recorded_at.desc()).limit(limit):
        student = ""
        if row.student_id:
            if row.student_id not in names:
                found = Student.get_or_none(Student.id == row.student_id)
                names[row.student_id] = found.name if found else ""
            student = names[row.student_id]
        result.append(ScanRow(row.id, row.recorded_at, row.raw, row.verdict, row.reason_code,
                              stored_reason(row.reason_code, row.detail), student,
                              row.station_id, staff_name(row.staff_id)))
    return result
