"""The escalation ladder of an unknown whereabouts, as pure functions: which step is due, overdue, acknowledged or
not needed as of `now`, and who may acknowledge a step. Nothing here touches the database or the clock.
Defaults (DOMAIN): head teacher at once, duty leader +30 min, school leadership +60 min (settings give the minutes).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from kiosk.services import acting_roles

# Escalation ladder roles, step by step (settings give the minutes).
ESCALATION_ROLES = ("head_teacher", "duty_leader", "principal")


@dataclass(frozen=True)
class Acknowledgement:
    step: int
    staff_id: str
    staff_name: str
    at: datetime


@dataclass(frozen=True)
class LadderStep:
    index: int
    role: str
    due_at: datetime
    state: str  # waiting | due | overdue | acknowledged | not_needed
    ack: Acknowledgement | None = None


def step_roles(count: int, roles: tuple[str, ...] = ESCALATION_ROLES) -> tuple[str, ...]:
    """The role for each step; extra steps in the settings go to school leadership."""
    return tuple(roles[min(i, len(roles) - 1)] for i in range(count))


def escalation_ladder(opened_at: datetime, now: datetime, minutes: Iterable[int], *,
                      acks: Iterable[Acknowledgement] = (), closed_at: datetime | None = None,
                      overdue_minutes: int = 15) -> tuple[LadderStep, ...]:
    """Each step of an unknown-whereabouts escalation as of `now`.

    A step is due `minutes[i]` after the incident opened; unacknowledged for `overdue_minutes` after
    that it is overdue. Steps that came due before the incident closed still need their acknowledgement
    (the record shows who was told); steps not yet due when it closed are not needed.
    """
    minutes = sorted(int(m) for m in minutes)
    if closed_at is not None:
        now = min(now, closed_at)  # a closed incident's ladder stays as it was when it closed
    by_step = {}
    for ack in sorted(acks, key=lambda a: a.at):
        by_step.setdefault(ack.step, ack)
    steps = []
    for index, role in enumerate(step_roles(len(minutes))):
        due_at = opened_at + timedelta(minutes=minutes[index])
        ack = by_step.get(index)
        if ack is not None:
            state = "acknowledged"
        elif closed_at is not None and closed_at < due_at:
            state = "not_needed"
        elif now < due_at:
            state = "waiting"
        elif now < due_at + timedelta(minutes=overdue_minutes):
            state = "due"
        else:
            state = "overdue"
        steps.append(LadderStep(index, role, due_at, state, ack))
    return tuple(steps)


def can_acknowledge(step: LadderStep, roles: frozenset[str], staff_class: str = "",
                    student_class: str | None = None) -> bool:
    """The step's role for this student (the head teacher step: only the student's own head teacher), or a
    role above it on the ladder (kiosk.services.acting_roles is the one home of that rule)."""
    return acting_roles.may_act_as(step.role, roles, staff_class, student_class)
