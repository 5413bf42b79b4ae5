"""Pass slips, what the office and the gate share: the error type, the slip and exception views, and the
look-ups behind them. The office's writes live in slips_office, the gate's in slips_gate, the overdue board
in slips_overdue; the rules themselves in slip_rules (pure). Every function returns frozen dataclasses.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from kiosk import clock
from kiosk.i18n import Msg, UserError
from kiosk.ids import short_code
from kiosk.models import Building, Room, Staff, Student
from kiosk.models.slips import GateCrossing, PassSlip, SlipApproval, SlipRevocation, VerbalException
from kiosk.services import slip_codec, slip_rules
from kiosk.services.actor import Actor
from kiosk.services.slip_rules import Crossing, SlipState, StudentInfo, Verdict


RAW_KEEP = 80


class SlipError(UserError):
    """A user error about a slip (bad input, no permission). Nothing was changed."""


@dataclass(frozen=True)
class SlipView:
    id: str
    short: str
    student_number: str
    student_name: str
    class_name: str
    reason_kind: str
    reason_note: str
    leave_from: datetime
    leave_to: datetime
    return_by: datetime
    companion_name: str
    companion_relation: str
    companion_phone: str
    issuer_name: str
    required_roles: tuple[str, ...]
    approvals: tuple[str, ...]
    status: str  # issued | pending | out | returned | overdue | revoked | expired
    exited_at: datetime | None = None
    returned_at: datetime | None = None
    code: str = ""


@dataclass(frozen=True)
class ExceptionRow:
    id: str
    at: datetime
    student: StudentInfo
    direction: str
    teacher_name: str
    teacher_phone: str
    gatekeeper: str
    note: str
    confirmed_at: datetime | None
    confirmed_by: str


def sanitize_raw(code: str) -> str:
    """Printable ASCII only, bounded: what a scan log may keep of whatever was typed."""
    text = str(code)
    if not (text.isascii() and text.isprintable()):
        text = "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)
    text = text.strip()
    return text if len(text) <= RAW_KEEP else text[:RAW_KEEP - 3] + "..."


def student_info(row: Student) -> StudentInfo:
    dorm = ""
    if row.room_id:
        room = Room.select(Room, Building).join(Building).where(Room.id == row.room_id).first()
        if room is not None:
            dorm = f"{room.building.name} {room.number}"
    return StudentInfo(row.id, row.number, row.name, row.class_name, bool(row.boarder), bool(row.active), dorm,
                       row.guardian_phone)


def find_student(school_id: str, number: str) -> Student | None:
    return Student.get_or_none((Student.school_id == school_id) & (Student.number == number.strip()))


def staff_row(staff_id: str | None) -> Staff | None:
    return Staff.get_or_none(Staff.id == staff_id) if staff_id else None


def staff_name(staff_id: str | None) -> str:
    staff = staff_row(staff_id)
    return staff.name if staff else ""


def slip_state(slip: PassSlip | None) -> SlipState | None:
    if slip is None:
        return None
    revoked = SlipRevocation.select().where(SlipRevocation.slip == slip.id).exists()
    approvals = tuple(a.role for a in SlipApproval.select(SlipApproval.role).where(SlipApproval.slip == slip.id))
    return SlipState(slip.id, slip.approved_at is not None, revoked, tuple(slip.required_role_list()), approvals)


def _payload_of(slip: PassSlip) -> slip_codec.SlipPayload:
    return slip_codec.SlipPayload(slip.key_id, slip.id, slip.student_number, slip.leave_from, slip.leave_to,
                                  slip.return_by, slip_codec.FLAG_NEEDS_APPROVAL if len(slip.required_role_list()) > 1 else 0)


def view_of(slip: PassSlip, now: datetime, student: Student | None = None) -> SlipView:
    student = student or slip.student
    state = slip_state(slip)
    crossings = [Crossing(c.direction, c.kind, c.at, c.slip_id)
                 for c in GateCrossing.select().where(GateCrossing.slip_id == slip.id)]
    exit_ = next((c.at for c in crossings if c.direction == "exit"), None)
    back = next((c.at for c in crossings if c.direction == "return"), None)
    return SlipView(
        id=slip.id, short=short_code(slip.id), student_number=slip.student_number, student_name=student.name,
        class_name=student.class_name, reason_kind=slip.reason_kind, reason_note=slip.reason_note,
        leave_from=slip.leave_from, leave_to=slip.leave_to, return_by=slip.return_by,
        companion_name=slip.companion_name, companion_relation=slip.companion_relation,
        companion_phone=slip.companion_phone, issuer_name=staff_name(slip.staff_id),
        required_roles=tuple(slip.required_role_list()), approvals=state.approvals if state else (),
        status=slip_rules.slip_status(now, state, _payload_of(slip), crossings), exited_at=exit_, returned_at=back,
        code=slip.code,
    )


def reason_message(verdict: Verdict) -> Msg:
    """The verdict's reason as a catalog message, translated where it is shown (the gate's banner, the office's
    refusal list and exports), so F9 and the reader's language decide, not the scan's."""
    args = dict(verdict.args)
    if "weekday_key" in args:
        args["weekday"] = Msg(str(args.pop("weekday_key")))
    return Msg(f"slips.reason_{verdict.reason_code}", **args)


def stored_reason(reason_code: str, detail: dict | None) -> Msg:
    """The reason of a stored scan; a code this version cannot word (a newer station's) shows as the code."""
    args = {k: v for k, v in (detail or {}).items() if k not in ("flags", "source", "direction")}
    message = reason_message(Verdict("refuse", reason_code, args))
    try:
        str(message)
    except (KeyError, IndexError, ValueError):
        return Msg("core.verbatim", text=reason_code)
    return message


def is_head_teacher_of(actor: Actor, class_name: str) -> bool:
    if "head_teacher" not in actor.roles:
        return False
    staff = staff_row(actor.staff_id)
    return staff is not None and staff.class_name == class_name


def get_slip(school_id: str, slip_id: str) -> PassSlip:
    slip_id = slip_id.strip()
    slip = PassSlip.get_or_none((PassSlip.school_id == school_id) & (PassSlip.id == slip_id))
    if slip is None and len(slip_id) == 12:  # the short code printed on the slip
        slip = (PassSlip.select().where((PassSlip.school_id == school_id)
                                        & PassSlip.id.endswith(f"{slip_id[:4]}-{slip_id[4:]}".lower())).first())
    if slip is None:
        raise SlipError("slips.err_unknown_slip", slip_id=slip_id)
    return slip


def slip_view(school_id: str, slip_id: str, now: datetime | None = None) -> SlipView:
    return view_of(get_slip(school_id, slip_id), now or clock.now())


def exception_row(row: VerbalException) -> ExceptionRow:
    return ExceptionRow(row.id, row.recorded_at, student_info(row.student), row.direction, row.teacher_name,
                        row.teacher_phone, staff_name(row.staff_id), row.note, row.confirmed_at,
                        staff_name(row.confirmed_by))


def to_plain(value: Any) -> Any:
    """A dataclass view as JSON-ready data (datetimes as ISO text)."""
    if hasattr(value, "__dataclass_fields__"):
        value = asdict(value)
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Msg):
        return str(value)
    return value
