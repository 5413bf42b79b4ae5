"""Pass slips at the gate: check a scanned or typed code, log the scan, record the crossing or its
dismissal, and record a verbal exception. Every write goes through kiosk.services.facts.record."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from kiosk import clock
from kiosk.config import Settings
from kiosk.i18n import Msg
from kiosk.ids import new_id, short_code
from kiosk.models import Staff, Student
from kiosk.models.slips import GateCrossing, GateScan, PassSlip, VerbalException
from kiosk.services import slip_codec, slip_rules
from kiosk.services.actor import Actor
from kiosk.services.facts import audit_only, record
from kiosk.services.names import clean_text
from kiosk.services.slip_keys import public_keys
from kiosk.services.slip_rules import Crossing, SlipState, StudentInfo, Verdict
from kiosk.services.slips import (
    ExceptionRow, SlipError, SlipView, exception_row, find_student, reason_message, sanitize_raw, student_info,
    view_of,
)


@dataclass(frozen=True)
class GateCheck:
    """One scan's verdict with everything the gatekeeper needs to see."""

    verdict: Verdict
    reason: Msg  # translated where shown
    source: str  # slip | card
    raw: str  # sanitised, truncated
    direction: str  # the way a card goes: inferred from the last crossing, or the gatekeeper's F3 override
    student: StudentInfo | None = None
    slip: SlipView | None = None
    scan_id: str | None = None
    typed: bool = False  # typed by hand, not scanned (the verdict is flagged "typed" when allowed)

    @property
    def needs_confirmation(self) -> bool:
        """Allowed, but recorded only with the confirmation key, not a habitual Enter."""
        return slip_rules.needs_confirmation(self.verdict)

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
                "flags": list(self.verdict.flags), "needs_confirmation": self.needs_confirmation, "typed": self.typed,
                "student": student, "slip": slip, "scan_id": self.scan_id}


@dataclass(frozen=True)
class CrossingRecorded:
    crossing_id: str
    direction: str
    at: datetime
    flags: tuple[str, ...] = ()


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


def check_code(settings: Settings, code: str, now: datetime | None = None, direction: str | None = None, *,
               typed: bool = False) -> GateCheck:
    """Decode + look up + verdict for whatever was scanned or typed; reads only, records nothing.
    `direction` (exit | return) is the gatekeeper's override for a card; None: inferred from the student's
    last crossing (slip_rules.card_direction). `typed`: keyed in by hand, not scanned."""
    check = _check(settings, code, now or clock.now(), direction if direction in ("exit", "return") else None)
    if not typed:
        return check
    return replace(check, verdict=slip_rules.typed(check.verdict), typed=True)


def _check(settings: Settings, code: str, now: datetime, direction: str | None) -> GateCheck:
    school_id = settings.school.id
    raw = sanitize_raw(code)
    if slip_codec.looks_like_slip(code if isinstance(code, str) else ""):
        decoded = slip_codec.decode(code, public_keys(school_id))
        if not decoded.ok:
            verdict = slip_rules.slip_verdict(now, decoded, None, None, [], settings)
            return GateCheck(verdict, reason_message(verdict), "slip", raw, direction or "")
        return _check_decoded(settings, decoded, now, raw, direction)
    number = raw.strip()
    row = find_student(school_id, number) if number else None
    student = student_info(row) if row else None
    crossings = _crossings_for(row.id) if row else []
    direction = direction or slip_rules.card_direction(now, student, crossings, settings)
    if row is not None and row.boarder and row.active:
        slip = _current_slip(row, now)
        if slip is not None and (direction == "exit" or _is_out_on(slip)):
            # A boarder's number stands for the slip on file; the log keeps what was scanned or typed.
            return replace(_check(settings, slip.code, now, direction), raw=raw)
    verdict = slip_rules.card_verdict(now, student, crossings, settings, direction)
    view = None
    if verdict.slip_id:
        slip = PassSlip.get_or_none(PassSlip.id == verdict.slip_id)
        view = view_of(slip, now, row) if slip is not None else None
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
                   direction: str | None) -> GateCheck:
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
    # A slip's verdict says which way it goes; the card direction matters only for a refusal's record.
    direction = verdict.kind if verdict.allowed else (direction or "")
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
                  direction: str | None = None, *, typed: bool = False) -> GateCheck:
    """check_code, and log the scan (every scan is logged, refusals and forgeries included, typed ones marked)."""
    now = now or clock.now()
    check = check_code(settings, code, now, direction, typed=typed)
    scan_id = new_id()
    detail = {"flags": list(check.verdict.flags), "source": check.source, "direction": check.direction,
              **{k: str(v) for k, v in check.verdict.args.items()}}
    with record(actor, "gate.scan", entity="gate_scan", entity_id=scan_id,
                detail={"verdict": check.verdict.kind, "reason": check.verdict.reason_code}, at=now) as w:
        w.insert(GateScan(id=scan_id, recorded_at=now, raw=check.raw, verdict=check.verdict.kind,
                          reason_code=check.verdict.reason_code,
                          student=check.student.id if check.student else None,
                          slip_id=check.slip.id if check.slip else check.verdict.slip_id, detail=detail,
                          typed=check.typed))
    return replace(check, scan_id=scan_id)


def record_crossing(actor: Actor, settings: Settings, check: GateCheck, code: str,
                    now: datetime | None = None, *, confirmed: bool = False) -> CrossingRecorded:
    """The gatekeeper confirmed an allowed verdict: record the exit or return. Re-checked inside the
    write transaction, so a slip cannot be used twice at this station even by two quick confirms.
    A verdict that needs confirmation (typed number, outside hours) is recorded only with `confirmed`."""
    now = now or clock.now()
    if not check.verdict.allowed or check.student is None:
        raise SlipError("slips.err_not_allowed")
    if check.needs_confirmation and not confirmed:
        raise SlipError("slips.err_needs_confirmation")
    crossing_id = new_id()
    with record(actor, f"gate.{check.verdict.kind}", entity="gate_crossing", entity_id=crossing_id,
                detail={"student": check.student.number, "reason": check.verdict.reason_code}, at=now) as w:
        fresh = check_code(settings, code, now, check.direction, typed=check.typed)
        if (fresh.verdict.kind != check.verdict.kind or fresh.verdict.slip_id != check.verdict.slip_id
                or fresh.student is None or fresh.student.id != check.student.id):
            raise SlipError("slips.err_changed", reason=fresh.reason)
        verdict = fresh.verdict
        slip_id = verdict.slip_id
        kind = "slip" if slip_id else "day_card"
        return_by = fresh.slip.return_by if (fresh.slip is not None and verdict.kind == "exit" and slip_id) else None
        w.insert(GateCrossing(id=crossing_id, recorded_at=now, student=check.student.id,
                              direction=verdict.kind, kind=kind, slip_id=slip_id, at=now, return_by=return_by,
                              flags=",".join(verdict.flags), typed=check.typed))
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
        w.insert(GateCrossing(recorded_at=now, student=student, direction=direction, kind="verbal_exception",
                              exception_id=exception_id, at=now, flags="verbal_exception"))
    return exception_row(row)
