"""Pass-slip services: issue, approve, revoke and list at the office; check, record, verbal exceptions,
overdue board and refusals at the gate. Every write goes through kiosk.services.facts.record;
every function returns frozen dataclasses. The rules themselves live in slip_rules (pure).
"""
from __future__ import annotations

import uuid
from pathlib import Path
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from kiosk import clock
from kiosk.config import Settings
from kiosk.i18n import Msg, UserError, t
from kiosk.ids import new_id, short_code
from kiosk.models import Building, Room, Staff, Student
from kiosk.models.slips import (
    REASON_KINDS, GateCrossing, GateScan, OverdueAlert, PassSlip, SlipApproval, SlipRevocation, VerbalException,
)
from kiosk.services.acting_roles import may_act_as_head_teacher
from kiosk.services import slip_codec, slip_rules
from kiosk.services.actor import Actor
from kiosk.services.facts import audit_only, record
from kiosk.services.names import clean_text
from kiosk.services.slip_keys import SlipKeyError, public_keys, signing_key
from kiosk.services.slip_rules import Crossing, SlipState, StudentInfo, Verdict

ALERT_NAMESPACE = uuid.UUID("7d0c4c52-3f4e-4d0a-9a55-5c1e0c0f5a11")
RAW_KEEP = 80


class SlipError(UserError):
    """A user error about a slip (bad input, no permission). Nothing was changed."""


# ---------------------------------------------------------------- views handed to screens and the CLI


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
class IssuedSlip:
    slip: SlipView
    code: str


@dataclass(frozen=True)
class GateCheck:
    """One scan's verdict with everything the gatekeeper needs to see."""

    verdict: Verdict
    reason: Msg  # translated where shown
    source: str  # slip | card
    raw: str  # sanitised, truncated
    direction: str  # the lane direction used for cards
    student: StudentInfo | None = None
    slip: SlipView | None = None
    scan_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        student = None
        if self.student is not None:
            student = {"number": self.student.number, "name": self.student.name, "class": self.student.class_name,
                       "dorm": self.student.dorm, "boarder": self.student.boarder}
        slip = None
        if self.slip is not None:
            slip = {"id": self.slip.id, "leave_from": self.slip.leave_from.isoformat(),
                    "leave_to": self.slip.leave_to.isoformat(), "return_by": self.slip.return_by.isoformat(),
                    "companion": {"name": self.slip.companion_name, "relation": self.slip.companion_relation,
                                  "phone": self.slip.companion_phone}, "status": self.slip.status}
        return {"verdict": self.verdict.kind, "reason_code": self.verdict.reason_code, "reason": str(self.reason),
                "flags": list(self.verdict.flags), "student": student, "slip": slip, "scan_id": self.scan_id}


@dataclass(frozen=True)
class CrossingRecorded:
    crossing_id: str
    direction: str
    at: datetime
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class OverdueRow:
    alert_id: str | None
    slip_id: str
    student: StudentInfo
    exited_at: datetime
    return_by: datetime
    minutes_late: int
    head_teacher: str
    head_teacher_phone: str
    guardian_phone: str
    resolved: bool = False
    resolution: str = ""
    returned_at: datetime | None = None  # came back late, alert still open until someone records what happened


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


# ---------------------------------------------------------------- helpers


def _zone(settings: Settings) -> ZoneInfo:
    return ZoneInfo(settings.school.timezone)


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


def _staff(staff_id: str | None) -> Staff | None:
    return Staff.get_or_none(Staff.id == staff_id) if staff_id else None


def _staff_name(staff_id: str | None) -> str:
    staff = _staff(staff_id)
    return staff.name if staff else ""


def _crossings_for(student_id: str, slip_id: str | None = None) -> list[Crossing]:
    recent = list(GateCrossing.select(GateCrossing.direction, GateCrossing.kind, GateCrossing.at, GateCrossing.slip_id)
                  .where(GateCrossing.student == student_id).order_by(GateCrossing.at.desc()).limit(20))
    rows = recent
    if slip_id:
        rows = rows + list(GateCrossing.select(GateCrossing.direction, GateCrossing.kind, GateCrossing.at,
                                               GateCrossing.slip_id).where(GateCrossing.slip_id == slip_id))
    seen: set[tuple] = set()
    result = []
    for row in rows:
        item = Crossing(row.direction, row.kind, row.at, row.slip_id)
        if item not in seen:
            seen.add(item)
            result.append(item)
    return result


def _slip_state(slip: PassSlip | None) -> SlipState | None:
    if slip is None:
        return None
    revoked = SlipRevocation.select().where(SlipRevocation.slip == slip.id).exists()
    approvals = tuple(a.role for a in SlipApproval.select(SlipApproval.role).where(SlipApproval.slip == slip.id))
    return SlipState(slip.id, slip.approved_at is not None, revoked, tuple(slip.required_role_list()), approvals)


def _payload_of(slip: PassSlip) -> slip_codec.SlipPayload:
    return slip_codec.SlipPayload(slip.key_id, slip.id, slip.student_number, slip.leave_from, slip.leave_to,
                                  slip.return_by, slip_codec.FLAG_NEEDS_APPROVAL if len(slip.required_role_list()) > 1 else 0)


def _view(slip: PassSlip, now: datetime, student: Student | None = None) -> SlipView:
    student = student or slip.student
    state = _slip_state(slip)
    crossings = [Crossing(c.direction, c.kind, c.at, c.slip_id)
                 for c in GateCrossing.select().where(GateCrossing.slip_id == slip.id)]
    exit_ = next((c.at for c in crossings if c.direction == "exit"), None)
    back = next((c.at for c in crossings if c.direction == "return"), None)
    return SlipView(
        id=slip.id, short=short_code(slip.id), student_number=slip.student_number, student_name=student.name,
        class_name=student.class_name, reason_kind=slip.reason_kind, reason_note=slip.reason_note,
        leave_from=slip.leave_from, leave_to=slip.leave_to, return_by=slip.return_by,
        companion_name=slip.companion_name, companion_relation=slip.companion_relation,
        companion_phone=slip.companion_phone, issuer_name=_staff_name(slip.staff_id),
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


def _is_head_teacher_of(actor: Actor, class_name: str) -> bool:
    if "head_teacher" not in actor.roles:
        return False
    staff = _staff(actor.staff_id)
    return staff is not None and staff.class_name == class_name


# ---------------------------------------------------------------- office: issue, approve, revoke, list


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
    if "admin" not in actor.roles and not _is_head_teacher_of(actor, student.class_name):
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
    return IssuedSlip(_view(slip, now, student), slip.code)


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
        w.insert(SlipApproval(school_id=actor.school_id, station_id=actor.station_id, staff_id=actor.staff_id,
                              recorded_at=now, slip=slip, role="head_teacher"))
    return slip


def _get_slip(school_id: str, slip_id: str) -> PassSlip:
    slip_id = slip_id.strip()
    slip = PassSlip.get_or_none((PassSlip.school_id == school_id) & (PassSlip.id == slip_id))
    if slip is None and len(slip_id) == 12:  # the short code printed on the slip
        slip = (PassSlip.select().where((PassSlip.school_id == school_id)
                                        & PassSlip.id.endswith(f"{slip_id[:4]}-{slip_id[4:]}".lower())).first())
    if slip is None:
        raise SlipError("slips.err_unknown_slip", slip_id=slip_id)
    return slip


def slip_view(school_id: str, slip_id: str, now: datetime | None = None) -> SlipView:
    return _view(_get_slip(school_id, slip_id), now or clock.now())


def approve_slip(actor: Actor, slip_id: str, note: str = "") -> SlipView:
    """Give the next approval the ladder needs that this person may give (discipline, then principal)."""
    now = clock.now()
    slip = _get_slip(actor.school_id, slip_id)
    state = _slip_state(slip)
    if state.revoked:
        raise SlipError("slips.err_revoked")
    missing = [role for role in state.required_roles if role not in state.approvals]
    if not missing:
        raise SlipError("slips.err_already_approved")
    role = next((r for r in missing if r in actor.roles or "admin" in actor.roles), None)
    if role is None:
        raise SlipError("slips.err_cannot_approve", roles=", ".join(t(f"slips.role_{r}") for r in missing))
    with record(actor, "slip.approve", entity="pass_slip", entity_id=slip.id, detail={"role": role}, at=now) as w:
        w.insert(SlipApproval(school_id=actor.school_id, station_id=actor.station_id, staff_id=actor.staff_id,
                              recorded_at=now, slip=slip, role=role, note=clean_text(note)[:200]))
        if len(missing) == 1:
            slip.approved_at = now
            w.update(slip, PassSlip.approved_at)
    return _view(slip, now)


def revoke_slip(actor: Actor, slip_id: str, reason: str) -> SlipView:
    now = clock.now()
    slip = _get_slip(actor.school_id, slip_id)
    reason = clean_text(reason)[:200]
    if not reason:
        raise SlipError("slips.err_revoke_reason")
    student = slip.student
    if not (actor.has_role("discipline", "principal") or _is_head_teacher_of(actor, student.class_name)):
        raise SlipError("slips.err_not_your_class", class_name=student.class_name)
    state = _slip_state(slip)
    if state.revoked:
        raise SlipError("slips.err_revoked")
    if GateCrossing.select().where((GateCrossing.slip_id == slip.id) & (GateCrossing.direction == "return")).exists():
        raise SlipError("slips.err_already_returned")
    with record(actor, "slip.revoke", entity="pass_slip", entity_id=slip.id, detail={"reason": reason}, at=now) as w:
        w.insert(SlipRevocation(school_id=actor.school_id, station_id=actor.station_id, staff_id=actor.staff_id,
                                recorded_at=now, slip=slip, reason=reason))
    return _view(slip, now)


def class_slips(school_id: str, class_name: str | None, now: datetime | None = None, limit: int = 200) -> list[SlipView]:
    """A class's slips (all classes when class_name is None), newest first, each with its current state."""
    now = now or clock.now()
    query = PassSlip.select(PassSlip, Student).join(Student).where(PassSlip.school_id == school_id)
    if class_name:
        query = query.where(Student.class_name == class_name)
    return [_view(slip, now, slip.student) for slip in query.order_by(PassSlip.leave_from.desc()).limit(limit)]


def slips_waiting_for(actor: Actor, now: datetime | None = None) -> list[SlipView]:
    """Slips whose ladder still needs a role this person holds."""
    now = now or clock.now()
    result = []
    for slip in PassSlip.select().where((PassSlip.school_id == actor.school_id) & PassSlip.approved_at.is_null()):
        view = _view(slip, now)
        missing = [r for r in view.required_roles if r not in view.approvals]
        if view.status == "pending" and any(r in actor.roles or "admin" in actor.roles for r in missing):
            result.append(view)
    return result


# ---------------------------------------------------------------- gate: check, record


def check_code(settings: Settings, code: str, now: datetime | None = None, direction: str | None = None) -> GateCheck:
    """Decode + look up + verdict for whatever was scanned or typed; reads only, records nothing."""
    now = now or clock.now()
    school_id = settings.school.id
    raw = sanitize_raw(code)
    direction = direction if direction in ("exit", "return") else slip_rules.default_direction(now, settings)
    if slip_codec.looks_like_slip(code if isinstance(code, str) else ""):
        decoded = slip_codec.decode(code, public_keys(school_id))
        if not decoded.ok:
            verdict = slip_rules.slip_verdict(now, decoded, None, None, [], settings)
            return GateCheck(verdict, reason_message(verdict), "slip", raw, direction)
        return _check_decoded(settings, decoded, now, raw, direction)
    number = raw.strip()
    row = find_student(school_id, number) if number else None
    if row is not None and row.boarder and row.active:
        slip = _current_slip(row, now)
        if slip is not None and (direction == "exit" or _is_out_on(slip)):
            return check_code(settings, slip.code, now, direction)
    student = student_info(row) if row else None
    crossings = _crossings_for(row.id) if row else []
    verdict = slip_rules.card_verdict(now, student, crossings, settings, direction)
    view = None
    if verdict.slip_id:
        slip = PassSlip.get_or_none(PassSlip.id == verdict.slip_id)
        view = _view(slip, now, row) if slip is not None else None
    return GateCheck(verdict, reason_message(verdict), "card", raw, direction, student, view)


# The scan hot path: four indexed raw queries instead of a dozen ORM round trips (see bench/bench_slips.py).
_STUDENT_SQL = """
SELECT s.id, s.number, s.name, s.class_name, s.boarder, s.active, s.guardian_phone, b.name, r.number
FROM student s LEFT JOIN room r ON r.id = s.room_id LEFT JOIN building b ON b.id = r.building_id
WHERE s.school_id = ? AND s.number = ?
"""
_SLIP_SQL = """
SELECT p.reason_kind, p.reason_note, p.companion_name, p.companion_relation, p.companion_phone, p.required_roles,
       p.approved_at IS NOT NULL, p.code, st.name,
       EXISTS (SELECT 1 FROM slip_revocation v WHERE v.slip_id = p.id),
       (SELECT group_concat(a.role) FROM slip_approval a WHERE a.slip_id = p.id)
FROM pass_slip p LEFT JOIN staff st ON st.id = p.staff_id
WHERE p.id = ?
"""
_CROSSINGS_SQL = """
SELECT direction, kind, at, slip_id FROM (
  SELECT direction, kind, at, slip_id FROM gate_crossing WHERE student_id = ? ORDER BY at DESC LIMIT 20)
UNION
SELECT direction, kind, at, slip_id FROM gate_crossing WHERE slip_id = ?
"""


def _check_decoded(settings: Settings, decoded: slip_codec.DecodedSlip, now: datetime, raw: str,
                   direction: str) -> GateCheck:
    from kiosk.models import database_proxy

    payload = decoded.payload
    stamp = datetime.fromisoformat  # fixed-width UTC text ending in Z; much faster than strptime
    row = database_proxy.execute_sql(_STUDENT_SQL, (settings.school.id, payload.student_number)).fetchone()
    student = None
    crossings: list[Crossing] = []
    if row is not None:
        dorm = f"{row[7]} {row[8]}" if row[7] else ""
        student = StudentInfo(row[0], row[1], row[2], row[3], bool(row[4]), bool(row[5]), dorm, row[6])
        crossings = [Crossing(d, k, stamp(at), sid) for d, k, at, sid in
                     database_proxy.execute_sql(_CROSSINGS_SQL, (row[0], payload.slip_id)).fetchall()]
    slip = database_proxy.execute_sql(_SLIP_SQL, (payload.slip_id,)).fetchone()
    state = None
    if slip is not None:
        approvals = tuple(sorted(set((slip[10] or "").split(",")) - {""}))
        state = SlipState(payload.slip_id, bool(slip[6]), bool(slip[9]),
                          tuple(r for r in slip[5].split(",") if r), approvals)
    verdict = slip_rules.slip_verdict(now, decoded, state, student, crossings, settings)
    exit_ = next((c.at for c in crossings if c.slip_id == payload.slip_id and c.direction == "exit"), None)
    back = next((c.at for c in crossings if c.slip_id == payload.slip_id and c.direction == "return"), None)
    view = SlipView(
        id=payload.slip_id, short=short_code(payload.slip_id), student_number=payload.student_number,
        student_name=student.name if student else "", class_name=student.class_name if student else "",
        reason_kind=slip[0] if slip else "", reason_note=slip[1] if slip else "", leave_from=payload.leave_from,
        leave_to=payload.leave_to, return_by=payload.return_by, companion_name=slip[2] if slip else "",
        companion_relation=slip[3] if slip else "", companion_phone=slip[4] if slip else "",
        issuer_name=(slip[8] or "") if slip else "", required_roles=state.required_roles if state else (),
        approvals=state.approvals if state else (), status=slip_rules.slip_status(now, state, payload, crossings),
        exited_at=exit_, returned_at=back, code=slip[7] if slip else "",
    )
    return GateCheck(verdict, reason_message(verdict), "slip", raw, direction, student, view)


def _is_out_on(slip: PassSlip) -> bool:
    return GateCrossing.select().where((GateCrossing.slip_id == slip.id) & (GateCrossing.direction == "exit")).exists()


def _current_slip(student: Student, now: datetime) -> PassSlip | None:
    """For a typed number: the slip the student is out on, else one whose exit window is open now."""
    for slip in PassSlip.select().where(PassSlip.student == student).order_by(PassSlip.leave_from.desc()).limit(20):
        crossings = [c.direction for c in GateCrossing.select(GateCrossing.direction).where(GateCrossing.slip_id == slip.id)]
        if "exit" in crossings and "return" not in crossings:
            return slip
    candidates = (PassSlip.select().where((PassSlip.student == student) & (PassSlip.leave_from <= now)
                                          & (PassSlip.leave_to >= now)).order_by(PassSlip.leave_from.desc()))
    for slip in candidates:
        if not GateCrossing.select().where(GateCrossing.slip_id == slip.id).exists():
            return slip
    return None


def check_at_gate(actor: Actor, settings: Settings, code: str, now: datetime | None = None,
                  direction: str | None = None) -> GateCheck:
    """check_code, and log the scan (every scan is logged, refusals and forgeries included)."""
    now = now or clock.now()
    check = check_code(settings, code, now, direction)
    scan_id = new_id()
    detail = {"flags": list(check.verdict.flags), "source": check.source, "direction": check.direction,
              **{k: str(v) for k, v in check.verdict.args.items()}}
    with record(actor, "gate.scan", entity="gate_scan", entity_id=scan_id,
                detail={"verdict": check.verdict.kind, "reason": check.verdict.reason_code}, at=now) as w:
        w.insert(GateScan(id=scan_id, school_id=actor.school_id, station_id=actor.station_id, staff_id=actor.staff_id,
                          recorded_at=now, raw=check.raw, verdict=check.verdict.kind,
                          reason_code=check.verdict.reason_code,
                          student=check.student.id if check.student else None,
                          slip_id=check.slip.id if check.slip else check.verdict.slip_id, detail=detail))
    return GateCheck(check.verdict, check.reason, check.source, check.raw, check.direction, check.student, check.slip,
                     scan_id)


def record_crossing(actor: Actor, settings: Settings, check: GateCheck, code: str,
                    now: datetime | None = None) -> CrossingRecorded:
    """The gatekeeper confirmed an allowed verdict: record the exit or return. Re-checked inside the
    write transaction, so a slip cannot be used twice at this station even by two quick confirms."""
    now = now or clock.now()
    if not check.verdict.allowed or check.student is None:
        raise SlipError("slips.err_not_allowed")
    crossing_id = new_id()
    with record(actor, f"gate.{check.verdict.kind}", entity="gate_crossing", entity_id=crossing_id,
                detail={"student": check.student.number, "reason": check.verdict.reason_code}, at=now) as w:
        fresh = check_code(settings, code, now, check.direction)
        if (fresh.verdict.kind != check.verdict.kind or fresh.verdict.slip_id != check.verdict.slip_id
                or fresh.student is None or fresh.student.id != check.student.id):
            raise SlipError("slips.err_changed", reason=fresh.reason)
        verdict = fresh.verdict
        slip_id = verdict.slip_id
        kind = "slip" if slip_id else "day_card"
        return_by = fresh.slip.return_by if (fresh.slip is not None and verdict.kind == "exit" and slip_id) else None
        w.insert(GateCrossing(id=crossing_id, school_id=actor.school_id, station_id=actor.station_id,
                              staff_id=actor.staff_id, recorded_at=now, student=check.student.id,
                              direction=verdict.kind, kind=kind, slip_id=slip_id, at=now, return_by=return_by,
                              flags=",".join(verdict.flags)))
        from kiosk.notify import events as notify_events  # the guardian's notice commits with the crossing
        notify_events.slip_crossing(w, settings, GateCrossing.get_by_id(crossing_id))
    return CrossingRecorded(crossing_id, verdict.kind, now, verdict.flags)


def dismiss_verdict(actor: Actor, check: GateCheck, now: datetime | None = None) -> None:
    """The gatekeeper let an allowed verdict go unrecorded (Esc): on the audit log, next to the scan it answers."""
    if check.student is None:
        return
    audit_only(actor, "gate.verdict_dismissed", entity="gate_scan", entity_id=check.scan_id or "",
               detail={"student": check.student.number, "verdict": check.verdict.kind,
                       "slip": check.verdict.slip_id or ""}, at=now or clock.now())


# ---------------------------------------------------------------- verbal exceptions


def record_verbal_exception(actor: Actor, *, student_number: str, direction: str, teacher_name: str,
                            teacher_phone: str, note: str = "", now: datetime | None = None) -> ExceptionRow:
    """班主任口头同意: a crossing on a teacher's word, flagged until that teacher confirms it."""
    now = now or clock.now()
    student = find_student(actor.school_id, student_number)
    if student is None:
        raise SlipError("slips.err_unknown_student", number=student_number)
    if direction not in ("exit", "return"):
        raise SlipError("slips.err_direction")
    teacher_name = clean_text(teacher_name)[:40]
    teacher_phone = "".join(ch for ch in teacher_phone if ch in "0123456789+-")[:20]
    if not teacher_name or len(teacher_phone) < 5:
        raise SlipError("slips.err_teacher")
    teacher = (Staff.select().where((Staff.school_id == actor.school_id) & (Staff.name == teacher_name)).first())
    exception_id = new_id()
    with record(actor, "gate.verbal_exception", entity="verbal_exception", entity_id=exception_id,
                detail={"student": student.number, "direction": direction, "teacher": teacher_name}, at=now) as w:
        row = w.insert(VerbalException(
            id=exception_id, school_id=actor.school_id, station_id=actor.station_id, staff_id=actor.staff_id,
            recorded_at=now, student=student, direction=direction, teacher_name=teacher_name,
            teacher_phone=teacher_phone, teacher_staff_id=teacher.id if teacher else None, note=clean_text(note)[:200],
        ))
        w.insert(GateCrossing(school_id=actor.school_id, station_id=actor.station_id, staff_id=actor.staff_id,
                              recorded_at=now, student=student, direction=direction, kind="verbal_exception",
                              exception_id=exception_id, at=now, flags="verbal_exception"))
    return _exception_row(row)


def _exception_row(row: VerbalException) -> ExceptionRow:
    return ExceptionRow(row.id, row.recorded_at, student_info(row.student), row.direction, row.teacher_name,
                        row.teacher_phone, _staff_name(row.staff_id), row.note, row.confirmed_at,
                        _staff_name(row.confirmed_by))


def verbal_exceptions(school_id: str, *, unconfirmed_only: bool = True, class_name: str | None = None) -> list[ExceptionRow]:
    query = VerbalException.select(VerbalException, Student).join(Student).where(VerbalException.school_id == school_id)
    if unconfirmed_only:
        query = query.where(VerbalException.confirmed_at.is_null())
    if class_name:
        query = query.where(Student.class_name == class_name)
    return [_exception_row(row) for row in query.order_by(VerbalException.recorded_at.desc()).limit(500)]


def confirm_verbal_exception(actor: Actor, exception_id: str, note: str = "") -> ExceptionRow:
    now = clock.now()
    row = VerbalException.get_or_none((VerbalException.school_id == actor.school_id) & (VerbalException.id == exception_id))
    if row is None:
        raise SlipError("slips.err_unknown_exception")
    if row.confirmed_at is not None:
        raise SlipError("slips.err_already_confirmed")
    staff = _staff(actor.staff_id)
    # The student's own head teacher or a role above on the ladder (acting_roles), or the discipline office.
    if not (actor.has_role("discipline") or may_act_as_head_teacher(
            actor.roles, staff.class_name if staff else "", row.student.class_name)):
        raise SlipError("slips.err_not_your_class", class_name=row.student.class_name)
    row.confirmed_by, row.confirmed_at, row.confirm_note = actor.staff_id, now, clean_text(note)[:200]
    with record(actor, "slip.verbal_confirm", entity="verbal_exception", entity_id=row.id, at=now) as w:
        w.update(row, VerbalException.confirmed_by, VerbalException.confirmed_at, VerbalException.confirm_note)
    return _exception_row(row)


# ---------------------------------------------------------------- overdue


def _head_teacher(school_id: str, class_name: str) -> Staff | None:
    return (Staff.select().where((Staff.school_id == school_id) & (Staff.class_name == class_name)
                                 & Staff.roles.contains("head_teacher")).first())


def overdue_board(settings: Settings, now: datetime | None = None, *, include_resolved: bool = False) -> list[OverdueRow]:
    """Everyone out on a slip past return_by (not returned), latest deadline last; with alert state.

    A student still out stays on the board after an outcome is recorded ("明天返校" does not bring her
    back); `include_resolved` adds those who came back and whose alert is closed."""
    from kiosk.services.slip_queries import students_out

    now = now or clock.now()
    school_id = settings.school.id
    rows = []
    alerts = {a.slip_id: a for a in OverdueAlert.select().where(OverdueAlert.school_id == school_id)}
    for out in students_out(school_id, now):
        if not out.overdue or out.slip_id is None:
            continue
        student = Student.get_by_id(out.student_id)
        teacher = _head_teacher(school_id, student.class_name)
        alert = alerts.get(out.slip_id)
        rows.append(OverdueRow(
            alert.id if alert else None, out.slip_id, student_info(student), out.exited_at, out.return_by,
            slip_rules.overdue_minutes(now, out.return_by), teacher.name if teacher else "",
            teacher.phone if teacher else "", student.guardian_phone,
            alert is not None and alert.resolved_at is not None, alert.resolution if alert else "",
        ))
    shown = {row.slip_id for row in rows}
    for alert in alerts.values():
        if alert.slip_id in shown or (alert.resolved_at is not None and not include_resolved):
            continue
        back = (GateCrossing.select().where((GateCrossing.slip_id == alert.slip_id) & (GateCrossing.direction == "return"))
                .order_by(GateCrossing.at).first())
        exited = (GateCrossing.select().where((GateCrossing.slip_id == alert.slip_id) & (GateCrossing.direction == "exit"))
                  .order_by(GateCrossing.at).first())
        if exited is None:
            continue
        student = Student.get_by_id(alert.student_id)
        teacher = _head_teacher(school_id, student.class_name)
        returned = back.at if back is not None else None
        rows.append(OverdueRow(
            alert.id, alert.slip_id, student_info(student), exited.at, alert.return_by,
            slip_rules.overdue_minutes(now, alert.return_by, returned), teacher.name if teacher else "",
            teacher.phone if teacher else "", student.guardian_phone, alert.resolved_at is not None, alert.resolution,
            returned,
        ))
    return sorted(rows, key=lambda r: r.return_by)


def alert_id_for(slip_id: str) -> str:
    return str(uuid.uuid5(ALERT_NAMESPACE, slip_id))


def raise_overdue_alerts(actor: Actor, settings: Settings, now: datetime | None = None) -> int:
    """Open an alert for every newly overdue slip (one per slip, same id on every station); returns how many."""
    now = now or clock.now()
    raised = 0
    for row in overdue_board(settings, now, include_resolved=True):
        if row.alert_id is not None:
            continue
        alert_id = alert_id_for(row.slip_id)
        with record(actor, "slip.overdue_alert", entity="overdue_alert", entity_id=alert_id,
                    detail={"student": row.student.number, "return_by": row.return_by}, at=now) as w:
            if OverdueAlert.get_or_none(OverdueAlert.id == alert_id) is None:
                w.insert(OverdueAlert(id=alert_id, school_id=actor.school_id, station_id=actor.station_id,
                                      staff_id=actor.staff_id, recorded_at=now, slip_id=row.slip_id,
                                      student=row.student.id, return_by=row.return_by))
                from kiosk.notify import events as notify_events  # told with the alert, in its transaction
                notify_events.overdue_raised(w, settings, OverdueAlert.get_by_id(alert_id))
                raised += 1
    return raised


def open_alerts(school_id: str) -> list[tuple[str, str, datetime]]:
    """(alert id, student name, return_by) of every unresolved alert, even if the student has come back."""
    query = (OverdueAlert.select(OverdueAlert, Student).join(Student)
             .where((OverdueAlert.school_id == school_id) & OverdueAlert.resolved_at.is_null())
             .order_by(OverdueAlert.return_by))
    return [(a.id, a.student.name, a.return_by) for a in query]


def resolve_alert(actor: Actor, alert_id: str, note: str) -> None:
    now = clock.now()
    note = clean_text(note)[:200]
    if not note:
        raise SlipError("slips.err_resolution")
    alert = OverdueAlert.get_or_none((OverdueAlert.school_id == actor.school_id) & (OverdueAlert.id == alert_id))
    if alert is None:
        raise SlipError("slips.err_unknown_alert")
    if alert.resolved_at is not None:
        raise SlipError("slips.err_already_resolved")
    alert.resolved_at, alert.resolved_by, alert.resolution = now, actor.staff_id, note
    with record(actor, "slip.overdue_resolve", entity="overdue_alert", entity_id=alert.id, detail={"note": note}, at=now) as w:
        w.update(alert, OverdueAlert.resolved_at, OverdueAlert.resolved_by, OverdueAlert.resolution)


# ---------------------------------------------------------------- scans, refusals, export


def scans(school_id: str, start: datetime | None = None, end: datetime | None = None, *,
          refusals_only: bool = False, limit: int = 500) -> list[ScanRow]:
    query = GateScan.select().where(GateScan.school_id == school_id)
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
                              row.station_id, _staff_name(row.staff_id)))
    return result


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


