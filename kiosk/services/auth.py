"""Staff PINs and log-in: scrypt hashes, lock-out after repeated wrong PINs, station roles."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from kiosk import clock
from kiosk.models import LoginState, Staff, database_proxy
from kiosk.services.actor import Actor
from kiosk.services.facts import audit_only

# scrypt cost: ~50 ms on a station PC; slow enough that a stolen database's PINs resist guessing
# far better than a plain hash, fast enough for a log-in.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1

STATION_ROLES: dict[str, frozenset[str]] = {
    "gate": frozenset({"gatekeeper"}),
    "dorm": frozenset({"dorm_supervisor", "dorm_manager"}),
    "canteen": frozenset({"canteen", "food_safety"}),
    "office": frozenset({"head_teacher", "discipline", "principal", "duty_leader"}),
}


def hash_pin(pin: str, *, n: int | None = None) -> str:
    n = n or SCRYPT_N
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def check_pin(pin: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        candidate = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate.hex(), digest)


def valid_new_pin(pin: str) -> bool:
    return pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 8  # not '²³⁴⁵' or '፩፪፫፬'


@dataclass(frozen=True)
class StaffSession:
    staff_id: str
    number: str
    name: str
    roles: frozenset[str]
    class_name: str

    def is_admin(self) -> bool:
        return "admin" in self.roles


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    reason: str = ""  # i18n key under core.login_* when not ok
    session: StaffSession | None = None
    locked_minutes: int = 0
    tries_left: int = 0


def find_staff(code: str, school_id: str) -> Staff | None:
    """A staff member by staff number or by what their card's barcode types."""
    code = code.strip()
    if not code:
        return None
    return (Staff.select()
            .where((Staff.school_id == school_id) & ((Staff.number == code) | ((Staff.card_code == code) & (Staff.card_code != ""))))
            .first())


def allowed_at(roles: frozenset[str], station_kind: str) -> bool:
    return "admin" in roles or bool(roles & STATION_ROLES.get(station_kind, frozenset()))


def session_for(staff: Staff) -> StaffSession:
    return StaffSession(staff.id, staff.number, staff.name, staff.role_set(), staff.class_name)


def _save_login_state(state: LoginState) -> None:
    LoginState.insert(staff_id=state.staff_id, failures=state.failures,
                      locked_until=state.locked_until).on_conflict_replace().execute()


def login(code: str, pin: str, *, school_id: str, station_id: str, station_kind: str,
          max_tries: int = 5, lockout_minutes: int = 15) -> LoginResult:
    """Check staff number/card + PIN. Wrong PINs count per staff; `max_tries` wrong ones lock for a while."""
    now = clock.now()
    staff = find_staff(code, school_id)
    system = Actor(school_id=school_id, station_id=station_id)
    if staff is None or not staff.active:
        # Same message as a wrong PIN would give away nothing about which staff numbers exist.
        audit_only(system, "auth.unknown_staff", detail={"code_length": len(code.strip())})
        return LoginResult(False, "core.login_failed")
    with database_proxy.atomic("IMMEDIATE"):
        state = LoginState.get_or_none(LoginState.staff_id == staff.id) or LoginState(staff_id=staff.id, failures=0)
        actor = Actor(school_id=school_id, station_id=station_id, staff_id=staff.id, staff_number=staff.number,
                      staff_name=staff.name, roles=staff.role_set())
        if state.locked_until is not None and state.locked_until > now:
            minutes = max(1, int((state.locked_until - now).total_seconds() // 60) + 1)
            return LoginResult(False, "core.login_locked", locked_minutes=minutes)
        if not check_pin(pin, staff.pin_hash):
            state.failures += 1
            if state.failures >= max_tries:
                state.locked_until = now + timedelta(minutes=lockout_minutes)
                state.failures = 0
                _save_login_state(state)
                audit_only(actor, "auth.locked", entity="staff", entity_id=staff.id)
                return LoginResult(False, "core.login_locked", locked_minutes=lockout_minutes)
            _save_login_state(state)
            audit_only(actor, "auth.wrong_pin", entity="staff", entity_id=staff.id)
            return LoginResult(False, "core.login_failed", tries_left=max_tries - state.failures)
        if not allowed_at(staff.role_set(), station_kind):
            audit_only(actor, "auth.wrong_station", entity="staff", entity_id=staff.id, detail={"station": station_kind})
            return LoginResult(False, "core.login_wrong_station")
        LoginState.delete().where(LoginState.staff_id == staff.id).execute()
        audit_only(actor, "auth.login", entity="staff", entity_id=staff.id, detail={"station": station_kind})
    return LoginResult(True, session=session_for(staff))


def verify_admin_pin(code: str, pin: str, school_id: str) -> StaffSession | None:
    """For the quit guard and admin-only actions: an active admin's own number (or card) and PIN."""
    staff = find_staff(code, school_id)
    if staff is None or not staff.active or "admin" not in staff.role_set():
        return None
    return session_for(staff) if check_pin(pin, staff.pin_hash) else None


def session_for_pin(code: str, pin: str, school_id: str, *, admin_only: bool = False) -> StaffSession | None:
    """Who confirms with this staff number (or card) and PIN: an active staff member, or only an admin."""
    if admin_only:
        return verify_admin_pin(code, pin, school_id)
    staff = find_staff(code, school_id)
    return session_for(staff) if staff and staff.active and check_pin(pin, staff.pin_hash) else None


def confirm_pin(staff_id: str, pin: str) -> bool:
    staff = Staff.get_or_none(Staff.id == staff_id)
    return staff is not None and staff.active and check_pin(pin, staff.pin_hash)

