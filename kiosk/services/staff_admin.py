"""Admin actions on staff accounts: reset a PIN, deactivate or reactivate, unlock. Each is an audited fact."""
from __future__ import annotations

from dataclasses import dataclass

from kiosk.i18n import UserError
from kiosk import clock
from kiosk.models import LoginState, Staff
from kiosk.services.actor import Actor
from kiosk.services.auth import hash_pin, valid_new_pin
from kiosk.services.facts import record


class StaffAdminError(UserError, ValueError):
    """Refused; `key` is the i18n key of the reason. Nothing was changed."""


@dataclass(frozen=True)
class StaffAccount:
    id: str
    number: str
    name: str
    roles: str
    active: bool
    locked: bool


def _require_admin(actor: Actor) -> None:
    if "admin" not in actor.roles:
        raise StaffAdminError("core.people_admin_only")


def _staff(staff_id: str) -> Staff:
    staff = Staff.get_or_none(Staff.id == staff_id)
    if staff is None:
        raise StaffAdminError("core.people_staff_not_found")
    return staff


def account(staff_id: str) -> StaffAccount:
    staff = _staff(staff_id)
    state = LoginState.get_or_none(LoginState.staff_id == staff_id)
    locked = bool(state and state.locked_until and state.locked_until > clock.now())
    return StaffAccount(staff.id, staff.number, staff.name, staff.roles, staff.active, locked)


def reset_pin(actor: Actor, staff_id: str, new_pin: str) -> StaffAccount:
    """Set a new PIN (4-8 digits) and clear any lock-out. The PIN itself is never logged."""
    _require_admin(actor)
    if not valid_new_pin(new_pin):
        raise StaffAdminError("core.people_pin_invalid")
    staff = _staff(staff_id)
    staff.pin_hash = hash_pin(new_pin)
    staff.updated_at = clock.now()
    with record(actor, "staff.reset_pin", entity="staff", entity_id=staff.id, detail={"number": staff.number}) as w:
        w.update(staff, Staff.pin_hash, Staff.updated_at)
        LoginState.delete().where(LoginState.staff_id == staff.id).execute()
    return account(staff_id)


def set_active(actor: Actor, staff_id: str, active: bool) -> StaffAccount:
    """Deactivate (a leaver: can no longer log in, history stays) or reactivate a staff account."""
    _require_admin(actor)
    staff = _staff(staff_id)
    if staff.id == actor.staff_id and not active:
        raise StaffAdminError("core.people_cannot_deactivate_self")
    staff.active = active
    staff.updated_at = clock.now()
    action = "staff.activate" if active else "staff.deactivate"
    with record(actor, action, entity="staff", entity_id=staff.id, detail={"number": staff.number}) as w:
        w.update(staff, Staff.active, Staff.updated_at)
    return account(staff_id)
