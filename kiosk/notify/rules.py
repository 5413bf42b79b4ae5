"""Pure rules: who is told of what, on which channels, when a step is due, backoff and rate limit.

Everything here takes `now` and plain data and returns plain data; tests need no database.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from kiosk.services.escalation_rules import Acknowledgement, escalation_ladder

GROUP_CHANNELS = ("wecom", "dingtalk", "smtp")  # one message to a staff group, naming who must act
PERSON_CHANNELS = ("sms",)  # one message per person, to their phone
DEDUPE_NAMESPACE = uuid.UUID("6f1d3c52-52a4-4d0e-9a4b-17a0c2f0b817")



def event_steps(event: str, notify) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """(step, roles told) for an event, from the [notify] settings (`notify`). The missing-student ladder's
    steps come from [dorm] escalation_minutes (see ladder_steps_due), not from here."""
    steps = {
        "slip_exit": ((0, ("guardian",)),),
        "slip_return": ((0, ("guardian",)),),
        "overdue": ((0, tuple(notify.overdue_roles)), (1, tuple(notify.overdue_later_roles))),
        "watchlist_deny": ((0, tuple(notify.watchlist_deny_roles)),),
        "sample_missing": ((0, tuple(notify.sample_missing_roles)),),
    }[event]
    return tuple((step, roles) for step, roles in steps if roles)


@dataclass(frozen=True)
class StaffContact:
    id: str
    name: str
    roles: frozenset[str]
    class_name: str
    phone: str


@dataclass(frozen=True)
class GuardianContact:
    student_id: str
    name: str
    phone: str
    opted_out: bool


@dataclass(frozen=True)
class Draft:
    """One notification to write: who, which channel, when; the ids follow from the dedupe key."""

    event: str
    subject_id: str
    step: int
    recipient_role: str
    recipient_id: str
    recipient_name: str
    address: str
    channel: str
    due_at: datetime
    params: dict = field(default_factory=dict)

    @property
    def dedupe_key(self) -> str:
        who = self.recipient_id or self.recipient_role
        return f"{self.event}:{self.subject_id}:{self.step}:{who}:{self.channel}"

    def id_for(self, school_id: str) -> str:
        return str(uuid.uuid5(DEDUPE_NAMESPACE, f"{school_id}:{self.dedupe_key}"))


def guardian_told(policy: str, direction: str) -> bool:
    """Is the guardian told of this crossing? policy: off | return_only | exit_and_return."""
    if policy == "exit_and_return":
        return direction in ("exit", "return")
    if policy == "return_only":
        return direction == "return"
    return False


def staff_for(role: str, staff: list[StaffContact], class_name: str) -> list[StaffContact]:
    """The people who hold `role` for this student: the head teacher of the student's own class only."""
    holders = [s for s in staff if role in s.roles]
    if role == "head_teacher":
        holders = [s for s in holders if class_name and s.class_name == class_name]
    return sorted(holders, key=lambda s: s.name)


def drafts_for_step(event: str, subject_id: str, step: int, roles: tuple[str, ...], due_at: datetime, *,
                    channels: list[str], staff: list[StaffContact], class_name: str = "",
                    guardian: GuardianContact | None = None, params: dict | None = None) -> list[Draft]:
    """The notifications for one step: SMS to each person with a phone (guardians only by SMS, never to a
    staff group), and one message per group channel naming the staff who must act."""
    params = dict(params or {})
    drafts: list[Draft] = []
    staff_roles = [role for role in roles if role != "guardian"]
    people = []
    for role in staff_roles:
        people.extend((role, person) for person in staff_for(role, staff, class_name))
    if "guardian" in roles and guardian is not None and guardian.phone and not guardian.opted_out and "sms" in channels:
        drafts.append(Draft(event, subject_id, step, "guardian", guardian.student_id, guardian.name, guardian.phone,
                            "sms", due_at, params))
    if "sms" in channels:
        for role, person in people:
            if person.phone:
                drafts.append(Draft(event, subject_id, step, role, person.id, person.name, person.phone, "sms",
                                    due_at, params))
    if staff_roles:
        names = "、".join(dict.fromkeys(person.name for _, person in people))
        for channel in channels:
            if channel in GROUP_CHANNELS:
                drafts.append(Draft(event, subject_id, step, ",".join(staff_roles), "", names, "", channel, due_at,
                                    {**params, "to": names}))
    return drafts


def ladder_steps_due(opened_at: datetime, now: datetime, minutes: list[int], *,
                     acks: list[Acknowledgement], closed_at: datetime | None) -> list[tuple[int, str, datetime]]:
    """Missing-student ladder steps to tell now: (step, role, due_at) for every step already due, none once
    anyone acknowledged or the incident closed (someone is on it: the next rung is not woken)."""
    if acks or closed_at is not None:
        return []
    steps = escalation_ladder(opened_at, now, minutes, acks=acks, closed_at=closed_at)
    return [(s.index, s.role, s.due_at) for s in steps if s.state in ("due", "overdue")]


def cancel_reason(event: str, *, returned: bool = False, resolved: bool = False, acknowledged: bool = False,
                  closed: bool = False) -> str:
    """Why a queued notification must not go out after all ("" = send it). Checked right before sending:
    an overdue notice after the student came back, or a ladder step after someone acknowledged, is noise."""
    if event == "overdue" and (returned or resolved):
        return "returned" if returned else "resolved"
    if event == "missing" and (acknowledged or closed):
        return "acknowledged" if acknowledged else "closed"
    return ""


BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(minutes=15)


def backoff(attempt: int) -> timedelta:
    """Wait after the n-th failed attempt: 30 s, 1 min, 2 min ... at most 15 min."""
    return min(BACKOFF_MAX, BACKOFF_FIRST * (2 ** max(0, attempt - 1)))


def rate_limit_until(sent_times: list[datetime], now: datetime, per_hour: int) -> datetime | None:
    """None if one more message may go to this recipient now; else when the hour's window frees a slot."""
    window = [at for at in sent_times if now - timedelta(hours=1) < at <= now]
    if per_hour <= 0 or len(window) < per_hour:
        return None
    return sorted(window)[len(window) - per_hour] + timedelta(hours=1)


def after_failure(attempts: int, code: str, give_up: bool, now: datetime, due_at: datetime, *,
                  max_attempts: int, expire_hours: int) -> tuple[str, datetime | None]:
    """After an attempt that did not deliver: ("queued", next try) or ("failed", None).

    A network failure (code "network") is retried until the message is stale, however many tries that
    takes (the network comes back); a provider's refusal worth retrying counts toward max_attempts."""
    if give_up:
        return "failed", None
    if now - due_at >= timedelta(hours=expire_hours):
        return "failed", None
    if code != "network" and attempts >= max_attempts:
        return "failed", None
    return "queued", now + backoff(attempts)
