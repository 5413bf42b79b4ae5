"""The gate's rules for slips and student cards: pure functions of `now` and data, returning dataclasses.

- `slip_verdict(now, decoded, slip_state, student, crossings, settings)`: a scanned slip code.
- `card_verdict(now, student, crossings, settings, direction)`: a student card (or a typed number without a slip).
- `card_direction(now, student, crossings, settings)`: which way a card is going when the gatekeeper has not said.
- `typed(verdict)`, `needs_confirmation(verdict)`: a number typed, not scanned; flags only a key may confirm.
- `required_roles(leave_from, return_by, settings)`: the approval ladder.
- `slip_status(now, state, payload)`: issued / pending / out / returned / overdue / revoked / expired.
- `in_closed_management(now, settings)`, `overdue_minutes(...)`.

Nothing here reads the database or the clock.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from datetime import datetime, timedelta
from typing import Mapping, Sequence
from zoneinfo import ZoneInfo

from kiosk.config import Settings
from kiosk.services.slip_codec import CodecError, DecodeResult, SlipPayload

class Direction(StrEnum):
    EXIT = "exit"
    RETURN = "return"


class VerdictKind(StrEnum):
    EXIT = "exit"
    RETURN = "return"
    REFUSE = "refuse"


EXIT, RETURN, REFUSE = VerdictKind.EXIT, VerdictKind.RETURN, VerdictKind.REFUSE


class SlipPhase(StrEnum):
    """Where a slip is in its one use: issued -> out -> returned; or pending approval, revoked, expired.
    Overdue is `out` past the return deadline. The one home of "one exit and one return per slip"."""

    PENDING = "pending"
    ISSUED = "issued"
    OUT = "out"
    OVERDUE = "overdue"
    RETURNED = "returned"
    REVOKED = "revoked"
    EXPIRED = "expired"

# Refusal reason codes (i18n: slips.reason_<code>).
REFUSALS = (
    "damaged", "forged", "unknown_key", "expired", "not_yet_valid", "revoked", "already_used", "inactive",
    "not_boarder", "waiting_approval", "outside_hours", "no_day_hours", "unknown_student", "boarder_no_slip",
    "just_exited",
)
# Flags an Enter pressed out of habit must not confirm: the gatekeeper answers them with the confirmation key.
CONFIRM_FLAGS = ("typed", "outside_hours")
_CODEC_REASONS = {"damaged": "damaged", "unknown_key": "unknown_key", "bad_signature": "forged"}


@dataclass(frozen=True)
class StudentInfo:
    id: str
    number: str
    name: str
    class_name: str
    boarder: bool
    active: bool
    dorm: str = ""  # "男生1号楼 305" or ""
    guardian_phone: str = ""


@dataclass(frozen=True)
class Crossing:
    direction: str  # exit | return
    kind: str  # slip | day_card | verbal_exception
    at: datetime
    slip_id: str | None = None


@dataclass(frozen=True)
class SlipState:
    """What this station's database knows about a slip; None when the row has not synced here yet."""

    slip_id: str
    approved: bool
    revoked: bool
    required_roles: tuple[str, ...] = ()
    approvals: tuple[str, ...] = ()  # roles that have approved


@dataclass(frozen=True)
class Verdict:
    kind: str  # exit | return | refuse
    reason_code: str
    args: Mapping[str, object] = field(default_factory=dict)
    flags: tuple[str, ...] = ()  # e.g. ("card_lending",), ("late",)
    slip_id: str | None = None  # a return by card that closes an open slip names it here

    @property
    def allowed(self) -> bool:
        return self.kind != REFUSE


def _local(at: datetime, settings: Settings) -> datetime:
    return at.astimezone(ZoneInfo(settings.school.timezone))


def _fmt(at: datetime, settings: Settings) -> str:
    return _local(at, settings).strftime("%m-%d %H:%M")


def in_closed_management(now: datetime, settings: Settings) -> bool:
    """Between Monday drop-off and Friday dismissal (settings.gate.closed_from / closed_until, school time)."""
    return settings.gate.closed_window.contains(_local(now, settings))


def within_day_hours(now: datetime, settings: Settings) -> bool:
    return settings.gate.day_student_schedule.contains(_local(now, settings))


def _outside_day_hours(now: datetime, settings: Settings, direction: str, flags: tuple[str, ...]) -> Verdict:
    """A day student's card outside their hours: refused with today's hours, or (gate.day_student_outside_hours
    = "confirm") allowed with a flag the gatekeeper must confirm."""
    weekday = _local(now, settings).isoweekday()
    hours = settings.gate.day_student_schedule.describe(weekday)
    args = {"weekday_key": f"slips.weekday_{weekday}", **({"hours": hours} if hours else {})}
    if settings.gate.day_student_outside_hours != "confirm":
        return Verdict(REFUSE, "outside_hours" if hours else "no_day_hours", args)
    return Verdict(direction, "card_outside_hours" if hours else "card_no_day_hours", args,
                   flags=("outside_hours", *flags))


def required_roles(leave_from: datetime, return_by: datetime, settings: Settings) -> tuple[str, ...]:
    """Ladder: up to head_teacher_max_days the head teacher; up to discipline_max_days also discipline; beyond, also the principal."""
    days = (return_by - leave_from) / timedelta(days=1)
    if days <= settings.slips.head_teacher_max_days:
        return ("head_teacher",)
    if days <= settings.slips.discipline_max_days:
        return ("head_teacher", "discipline")
    return ("head_teacher", "discipline", "principal")


def overdue_minutes(now: datetime, return_by: datetime, returned_at: datetime | None = None) -> int:
    """Minutes past the deadline (0 if not late); a return after the deadline counts until it happened."""
    end = returned_at or now
    return max(0, int((end - return_by).total_seconds() // 60))


@dataclass(frozen=True)
class SlipUse:
    phase: SlipPhase
    exited: Crossing | None = None
    returned: Crossing | None = None


def slip_use(now: datetime, state: SlipState | None, payload: SlipPayload, crossings: Sequence[Crossing]) -> SlipUse:
    """The slip's phase as of `now` from what this station knows: its crossings (any student's, any order),
    its approval and revocation (`state`, None when the row has not synced here: the signed code decides).
    A slip that has been used to leave stays usable to come back, revoked or late."""
    exited = next((c for c in crossings if c.slip_id == payload.slip_id and c.direction == Direction.EXIT), None)
    returned = next((c for c in crossings if c.slip_id == payload.slip_id and c.direction == Direction.RETURN), None)
    if returned is not None:
        return SlipUse(SlipPhase.RETURNED, exited, returned)
    if exited is not None:
        return SlipUse(SlipPhase.OVERDUE if now > payload.return_by else SlipPhase.OUT, exited)
    if state is not None and state.revoked:
        return SlipUse(SlipPhase.REVOKED)
    approved = state.approved if state is not None else not payload.needs_approval
    if now > payload.leave_to:
        return SlipUse(SlipPhase.EXPIRED)
    return SlipUse(SlipPhase.ISSUED if approved else SlipPhase.PENDING)


def slip_status(now: datetime, state: SlipState | None, payload: SlipPayload, crossings: Sequence[Crossing]) -> str:
    """issued | pending | out | returned | overdue | revoked | expired (the phase, as the office lists show it)."""
    return slip_use(now, state, payload, crossings).phase.value


def _student_refusal(student: StudentInfo | None) -> Verdict | None:
    if student is None:
        return Verdict(REFUSE, "unknown_student")
    if not student.active:
        return Verdict(REFUSE, "inactive")
    return None


def slip_verdict(now: datetime, decoded: DecodeResult, slip_state: SlipState | None, student: StudentInfo | None,
                 crossings: Sequence[Crossing], settings: Settings) -> Verdict:
    """The gate's answer to a scanned slip. `crossings` are the student's crossings (any order)."""
    if isinstance(decoded, CodecError):
        return Verdict(REFUSE, _CODEC_REASONS.get(decoded.reason, "damaged"))
    payload = decoded.payload
    refusal = _student_refusal(student)
    if refusal is not None:
        return Verdict(refusal.kind, refusal.reason_code, {"number": payload.student_number}, slip_id=payload.slip_id)
    if not student.boarder:
        return Verdict(REFUSE, "not_boarder", slip_id=payload.slip_id)
    use = slip_use(now, slip_state, payload, crossings)
    if use.phase == SlipPhase.RETURNED:
        return Verdict(REFUSE, "already_used", {"at": _fmt(use.returned.at, settings)}, slip_id=payload.slip_id)
    if use.phase in (SlipPhase.OUT, SlipPhase.OVERDUE) and now - use.exited.at < timedelta(
            minutes=settings.gate.slip_rescan_minutes):
        return Verdict(REFUSE, "just_exited", {"at": _fmt(use.exited.at, settings),
                                                "minutes": settings.gate.slip_rescan_minutes}, slip_id=payload.slip_id)
    if use.phase in (SlipPhase.OUT, SlipPhase.OVERDUE):
        # Out on this slip: always let them back in (even revoked or late); lateness is shown and flagged.
        late = overdue_minutes(now, payload.return_by)
        if late:
            return Verdict(RETURN, "slip_return_late", {"minutes": late}, ("late",), slip_id=payload.slip_id)
        return Verdict(RETURN, "slip_return", {"until": _fmt(payload.return_by, settings)}, slip_id=payload.slip_id)
    if use.phase == SlipPhase.REVOKED:
        return Verdict(REFUSE, "revoked", slip_id=payload.slip_id)
    if use.phase == SlipPhase.PENDING:
        return Verdict(REFUSE, "waiting_approval", slip_id=payload.slip_id)
    if use.phase == SlipPhase.EXPIRED:
        approved = slip_state.approved if slip_state is not None else not payload.needs_approval
        if not approved:
            return Verdict(REFUSE, "waiting_approval", slip_id=payload.slip_id)
        return Verdict(REFUSE, "expired", {"at": _fmt(payload.leave_to, settings)}, slip_id=payload.slip_id)
    if now < payload.leave_from:
        return Verdict(REFUSE, "not_yet_valid", {"at": _fmt(payload.leave_from, settings)}, slip_id=payload.slip_id)
    return Verdict(EXIT, "slip_exit", {"until": _fmt(payload.return_by, settings)}, slip_id=payload.slip_id)


def weekday_key(now: datetime, settings: Settings) -> str:
    return f"slips.weekday_{_local(now, settings).isoweekday()}"


def _last(crossings: Sequence[Crossing]) -> Crossing | None:
    return max(crossings, key=lambda c: c.at, default=None)


def card_verdict(now: datetime, student: StudentInfo | None, crossings: Sequence[Crossing], settings: Settings,
                 direction: str) -> Verdict:
    """A student card (or typed number) with no slip, in the gate lane's `direction` (exit | return)."""
    refusal = _student_refusal(student)
    if refusal is not None:
        return refusal
    last = _last([c for c in crossings if c.at <= now])
    if student.boarder:
        if direction == RETURN:
            if last is not None and last.direction == EXIT and last.kind == "slip" and last.slip_id:
                return Verdict(RETURN, "slip_return_card", slip_id=last.slip_id)
            return Verdict(RETURN, "card_return")
        if in_closed_management(now, settings):
            return Verdict(REFUSE, "boarder_no_slip", {"weekday_key": weekday_key(now, settings)})
        return Verdict(EXIT, "card_exit_open")
    flags: tuple[str, ...] = ()
    last_card = _last([c for c in crossings if c.kind == "day_card" and c.at <= now])
    if last_card is not None and last_card.direction == direction:
        flags = ("card_lending",)
    elif last_card is not None and now - last_card.at < timedelta(minutes=settings.gate.card_turnaround_minutes):
        flags = ("card_turnaround",)  # in, then out minutes later (or the reverse): handed to someone else?
    if not within_day_hours(now, settings):
        return _outside_day_hours(now, settings, direction, flags)
    return Verdict(direction, "card_exit" if direction == EXIT else "card_return", flags=flags)


def card_direction(now: datetime, student: StudentInfo | None, crossings: Sequence[Crossing],
                   settings: Settings) -> str:
    """Which way a student is going when the gatekeeper has not said (F3): the opposite of the last crossing.
    With none to go by, where the student lives decides: a day student with no crossing today is coming in
    from home (yesterday's last scan, even a missed one, does not count); a boarder never seen at the gate is
    inside, so going out. Replaces a lane toggle that, forgotten at dismissal, flagged every day student."""
    last = _last([c for c in crossings if c.at <= now])
    if student is not None and not student.boarder:
        if last is None or _local(last.at, settings).date() != _local(now, settings).date():
            return RETURN
    elif last is None:
        return EXIT
    return RETURN if last.direction == EXIT else EXIT


def typed(verdict: Verdict) -> Verdict:
    """The verdict for a number typed by hand, not scanned: an allowed one is flagged "typed" (first, so the
    banner says so) and waits for the confirmation key; a refusal stays a refusal."""
    if not verdict.allowed or "typed" in verdict.flags:
        return verdict
    return Verdict(verdict.kind, verdict.reason_code, verdict.args, ("typed", *verdict.flags), verdict.slip_id)


def needs_confirmation(verdict: Verdict) -> bool:
    """An allowed verdict that Enter alone does not record (see CONFIRM_FLAGS)."""
    return verdict.allowed and any(flag in CONFIRM_FLAGS for flag in verdict.flags)
