"""The visitor register form as typed, read and checked as a whole: every problem at once, each with the field
to fix, in form order (a pure function: no database, no Textual). The screen shows them all under their fields
and checks again as the gatekeeper types, so each note goes away once its field is right."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping

from kiosk.services import visitor_rules as rules
from kiosk.services.visitor_rules import FieldError, HostRef, VisitForm

# The fields in the order the form shows them (kiosk.screens.gate_form.FIELDS): the first problem is fixed first.
FORM_ORDER = ("id_type", "id_number", "name", "phone", "category", "unit", "reason", "host", "companions",
              "companion_names", "vehicle_plate", "items", "expected_leave", "duty_leader")
NIGHT_LEADER_MISSING = "night_needs_duty_leader"  # not a typing mistake: the screen asks a duty leader's PIN


@dataclass(frozen=True)
class FormRules:
    """What the checks need besides the form: the time, the school's zone and the gate settings."""

    now: datetime
    zone: object
    visiting_hours: str
    stay_minutes: int


def check_form(typed: Mapping[str, str], host: HostRef | None, duty_leader_id: str, sex: str,
               when: FormRules, *, refusing: bool = False) -> tuple[VisitForm | None, list[FieldError]]:
    """(the form, every problem of it). The form is None only when a field could not be read at all
    (companions not a number, a leave time not a time); problems hold one entry per field at most.
    `refusing`: a watchlisted person turned away, recorded with who it was only (visitor_rules.validate_visit)."""
    errors: list[FieldError] = []
    companions = rules.parse_companions(typed.get("companions", ""))
    if companions is None:
        errors.append(FieldError("companions", "companions_bad"))
    try:
        leave = rules.parse_leave_time(typed.get("expected_leave", ""), when.now.astimezone(when.zone))
    except ValueError:
        leave = None
        errors.append(FieldError("expected_leave", "leave_bad"))
    form = VisitForm(
        id_type=typed.get("id_type", "resident"), id_number=typed.get("id_number", ""), name=typed.get("name", ""),
        phone=typed.get("phone", ""), category=typed.get("category", ""), reason=typed.get("reason", ""),
        unit=typed.get("unit", ""), host=host, companions=companions or 0,
        companion_names=typed.get("companion_names", ""), vehicle_plate=typed.get("vehicle_plate", ""),
        items=typed.get("items", ""), expected_leave_at=leave, duty_leader=typed.get("duty_leader", ""),
        duty_leader_id=duty_leader_id, sex=sex)
    _, checked = rules.validate_visit(form, when.now, when.zone, when.visiting_hours, when.stay_minutes,
                                      refusing=refusing)
    if refusing:  # what the visitor came for is not asked; a field that cannot be read is simply not kept
        return form, one_per_field(checked)
    errors = one_per_field(errors + checked)
    return (None if any(e.key in ("companions_bad", "leave_bad") for e in errors) else form), errors


def one_per_field(errors: list[FieldError]) -> list[FieldError]:
    """The first problem of each field, in form order (a field the form does not show goes last)."""
    first: dict[str, FieldError] = {}
    for error in errors:
        first.setdefault(error.field, error)
    order = {name: index for index, name in enumerate(FORM_ORDER)}
    return sorted(first.values(), key=lambda error: order.get(error.field, len(order)))


def only_the_night_leader_missing(errors: list[FieldError]) -> bool:
    """Nothing to fix but the duty leader's confirmation of a night visit: ask for it now."""
    return bool(errors) and all(error.key == NIGHT_LEADER_MISSING for error in errors)
