"""Gate visitor rules as pure functions: ID number checks, phone check, masking, visiting hours,
overstay, watchlist matching, retention. No database, no Textual; every function takes its data
(and `now` where time matters) and returns plain values or frozen dataclasses.

Reasons are i18n keys under `gate.` so screens and the CLI can show them in either language.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Iterable, Sequence

from kiosk.clock_times import parse_daily_window
from kiosk.i18n import Msg
from kiosk.services.names import clean_identifier, clean_text

ID_TYPES = ("resident", "passport", "hk_macau", "taiwan", "none")
CATEGORIES = ("parent", "contractor", "delivery", "official", "other")
WATCH_LEVELS = ("warn", "deny")
SEXES = ("male", "female", "unknown", "unstated")  # GB/T 2261.1 as read from an ID card

# GB 11643-1999: weights for the 17 body digits; remainder mod 11 -> check character.
RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RIC_CHECK = "10X98765432"


@dataclass(frozen=True)
class IdCheck:
    """The result of checking an ID number: `error` (i18n key) is a hard stop, `warning` is not."""

    id_type: str
    number: str  # normalised: upper case, no spaces or separators
    error: str = ""
    error_values: dict = field(default_factory=dict)
    warning: str = ""
    birth_date: date | None = None

    @property
    def ok(self) -> bool:
        return not self.error


def normalise_id(text: str) -> str:
    """Upper case, full-width folded, spaces and separators (`-`, `(`, `)`) removed."""
    return re.sub(r"[\s\-()]", "", clean_identifier(text)).upper()


def ric_check_character(body17: str) -> str:
    """ISO 7064 MOD 11-2 check character for the 17-digit body of a resident ID number."""
    total = sum(int(digit) * weight for digit, weight in zip(body17, RIC_WEIGHTS))
    return RIC_CHECK[total % 11]


@lru_cache(maxsize=4096)
def _known_region(number: str) -> bool:
    from stdnum.cn import ric
    from stdnum.exceptions import ValidationError

    try:
        ric.get_birth_place(number)
    except (ValidationError, KeyError, ValueError):
        return False
    return True


def check_resident_id(text: str, today: date) -> IdCheck:
    """GB 11643 resident ID: 18 characters, 17 digits + check character, a real birth date.

    Hard errors: wrong length, bad characters, impossible or future birth date, wrong check
    character. An unknown region code is only a warning (region tables go out of date).
    """
    from stdnum.cn import ric

    number = ric.compact(normalise_id(text))
    if not number:
        return IdCheck("resident", number, "id_required")
    if len(number) != 18:
        return IdCheck("resident", number, "id_wrong_length", {"length": len(number)})
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X") or not number.isascii():
        return IdCheck("resident", number, "id_bad_characters")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return IdCheck("resident", number, "id_bad_birth_date")
    if born > today or born.year < 1900:
        return IdCheck("resident", number, "id_bad_birth_date")
    if number[17] != ric_check_character(number[:17]):
        return IdCheck("resident", number, "id_bad_check_character")
    warning = "" if _known_region(number) else "id_unknown_region"
    return IdCheck("resident", number, warning=warning, birth_date=born)


_PASSPORT = re.compile(r"^[A-Z0-9]{5,17}$")
_HK_MACAU = re.compile(r"^[HM](\d{8}|\d{10})$")  # 港澳居民来往内地通行证: H/M + 8 digits (old: 10)
_TAIWAN = re.compile(r"^(\d{8}|\d{10}[A-Z]?)$")  # 台湾居民来往大陆通行证: 8 digits (old: 10 + letter)


def check_id(id_type: str, text: str, today: date) -> IdCheck:
    """Check an ID number of any accepted type."""
    if id_type not in ID_TYPES:
        return IdCheck(id_type, "", "id_bad_type")
    if id_type == "resident":
        return check_resident_id(text, today)
    number = normalise_id(text)
    if id_type == "none":
        return IdCheck("none", "")  # no document: the name and phone carry the record
    if not number:
        return IdCheck(id_type, number, "id_required")
    if not number.isascii():
        return IdCheck(id_type, number, "id_bad_characters")
    if id_type == "passport":
        if not _PASSPORT.match(number):
            return IdCheck(id_type, number, "id_bad_passport")
        if not any(ch.isdigit() for ch in number):
            return IdCheck(id_type, number, "id_bad_passport")
    elif id_type == "hk_macau" and not _HK_MACAU.match(number):
        return IdCheck(id_type, number, "id_bad_hk_macau")
    elif id_type == "taiwan" and not _TAIWAN.match(number):
        return IdCheck(id_type, number, "id_bad_taiwan")
    return IdCheck(id_type, number)


def guess_id_type(text: str) -> str:
    """What a scanned or typed number most likely is, to pre-select the ID type."""
    number = normalise_id(text)
    if len(number) == 18 and number[:17].isdigit():
        return "resident"
    if _HK_MACAU.match(number):
        return "hk_macau"
    if number.isdigit() and len(number) == 8:
        return "taiwan"
    if number and _PASSPORT.match(number):
        return "passport"
    return "resident"


# [0-9], not \d: \d also matches Arabic-Indic and other decimal digits, which NFKC leaves unfolded.
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")


def normalise_phone(text: str) -> str:
    phone = re.sub(r"[\s\-()]", "", clean_identifier(text))
    for prefix in ("+86", "0086"):
        if phone.startswith(prefix):
            return phone[len(prefix):]
    if len(phone) == 13 and phone.startswith("86"):
        return phone[2:]
    return phone


def check_phone(text: str, *, international_ok: bool = False) -> tuple[str, str]:
    """(normalised phone, error key or ""). Mainland mobiles: 11 digits, 1[3-9]xxxxxxxxx.

    Visitors with a passport or HK/Macau/Taiwan permit may give an international number (+ and 8-15 digits).
    """
    raw = clean_identifier(text)
    phone = normalise_phone(raw)
    if not phone:
        return "", "phone_required"
    if _MOBILE.match(phone):
        return phone, ""
    if international_ok and re.fullmatch(r"\+[0-9]{8,15}", re.sub(r"[\s\-()]", "", raw)):
        return re.sub(r"[\s\-()]", "", raw), ""
    return phone, "phone_bad"


def mask_id(number: str) -> str:
    """First 6 and last 4 characters visible (GB 11643 practice). Shorter numbers (passports,
    permits) keep only the first 2 and last 2, so masking never shows a whole number."""
    if not number:
        return ""
    if len(number) >= 14:
        return number[:6] + "*" * (len(number) - 10) + number[-4:]
    if len(number) <= 4:
        return "*" * len(number)
    return number[:2] + "*" * (len(number) - 4) + number[-2:]


def mask_phone(phone: str) -> str:
    if len(phone) < 7:
        return phone
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


# ---------------------------------------------------------------- visiting hours, overstay

def within_hours(local: datetime, hours: str) -> bool:
    """Inside a daily window such as `07:00-21:00` (the end excluded; may cross midnight)."""
    return parse_daily_window(hours).contains(local.time())


def is_night_visit(local: datetime, visiting_hours: str) -> bool:
    """A visit outside the visiting hours is a night visit: it needs the duty leader's name."""
    return not within_hours(local, visiting_hours)


def default_leave_time(time_in: datetime, stay_minutes: int) -> datetime:
    return time_in + timedelta(minutes=stay_minutes)


def overstay_minutes(expected_leave: datetime | None, time_out: datetime | None, now: datetime) -> int:
    """Whole minutes past the expected leave time for someone still on site; 0 if not overstaying."""
    if expected_leave is None or time_out is not None or now <= expected_leave:
        return 0
    return max(1, int((now - expected_leave).total_seconds() // 60))


# ---------------------------------------------------------------- watchlist

@dataclass(frozen=True)
class WatchEntry:
    id: str
    id_number: str
    name: str
    level: str  # warn | deny
    reason: str
    expires_at: datetime | None
    active: bool = True


@dataclass(frozen=True)
class WatchHit:
    entry_id: str
    level: str
    match: str  # "id" (same ID number) or "name" (same name; ID not comparable)
    reason: str
    entry_name: str


def _name_key(name: str) -> str:
    return clean_identifier(name).replace(" ", "").casefold()


def entry_in_force(entry: WatchEntry, now: datetime) -> bool:
    return entry.active and (entry.expires_at is None or entry.expires_at > now)


def match_watchlist(entries: Iterable[WatchEntry], id_number: str, name: str, now: datetime) -> list[WatchHit]:
    """Entries in force that match the visitor, deny before warn.

    Same ID number: a hit. Same name: a hit when the entry has no ID number or the visitor
    shows none; an entry with an ID number that differs from the visitor's is a namesake, not a hit.
    """
    number = normalise_id(id_number)
    key = _name_key(name)
    hits: list[WatchHit] = []
    for entry in entries:
        if not entry_in_force(entry, now):
            continue
        entry_number = normalise_id(entry.id_number)
        if entry_number and number and entry_number == number:
            hits.append(WatchHit(entry.id, entry.level, "id", entry.reason, entry.name))
        elif key and entry.name and _name_key(entry.name) == key and (not entry_number or not number):
            hits.append(WatchHit(entry.id, entry.level, "name", entry.reason, entry.name))
    hits.sort(key=lambda hit: (hit.level != "deny", hit.match != "id"))
    return hits


def worst_level(hits: Sequence[WatchHit]) -> str:
    if any(hit.level == "deny" for hit in hits):
        return "deny"
    return "warn" if hits else ""


OVERRIDE_ROLES = frozenset({"duty_leader", "principal", "admin"})
NIGHT_LEADER_ROLES = frozenset({"duty_leader", "principal"})  # who may let a visitor in outside visiting hours


def decision_problem(level: str, decision: str, reason: str, approver_roles: frozenset[str] | None) -> str:
    """Why a watchlist decision cannot be recorded ("" if it can).

    Refusing always works. Allowing needs a written reason; allowing past a `deny` entry also needs
    an approver (duty leader, principal or admin) who confirmed with their PIN.
    """
    if decision == "refuse":
        return ""
    if decision != "allow":
        return "decision_bad"
    if len(clean_text(reason)) < 2:
        return "decision_reason_required"
    if level == "deny" and not (approver_roles and approver_roles & OVERRIDE_ROLES):
        return "decision_needs_approver"
    return ""


# ---------------------------------------------------------------- retention

def retention_cutoff(now: datetime, retention_days: int) -> datetime:
    """Visitor personal data recorded before this moment is anonymised."""
    return now - timedelta(days=retention_days)


def due_for_purge(time_in: datetime, purged_at: datetime | None, now: datetime, retention_days: int) -> bool:
    return purged_at is None and time_in < retention_cutoff(now, retention_days)


def check_plate(text: str) -> tuple[str, str]:
    """Vehicle plate: optional; normalised to upper case without spaces. (plate, error key)."""
    plate = clean_identifier(text).replace(" ", "").replace("·", "").upper()
    if not plate:
        return "", ""
    if not 6 <= len(plate) <= 9:
        return plate, "plate_bad"
    return plate, ""


# ---------------------------------------------------------------- the whole form

@dataclass(frozen=True)
class HostRef:
    kind: str  # staff | student
    id: str
    name: str
    detail: Msg | str = ""  # number and class or roles, translated when shown


@dataclass(frozen=True)
class VisitForm:
    """What the gatekeeper typed; validated by `validate_visit`, never trusted before."""

    id_type: str
    id_number: str
    name: str
    phone: str
    category: str
    reason: str = ""
    unit: str = ""
    host: HostRef | None = None
    companions: int = 0
    companion_names: str = ""
    vehicle_plate: str = ""
    items: str = ""
    expected_leave_at: datetime | None = None
    duty_leader: str = ""
    duty_leader_id: str = ""  # a staff member with a NIGHT_LEADER_ROLES role, confirmed with their PIN at the screen
    sex: str = ""  # only from an ID card (kiosk.idcard.card.SEXES values); the form has no field for it


@dataclass(frozen=True)
class FieldError:
    field: str  # the form field to focus
    key: str  # i18n key under gate.
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CleanVisit:
    """A validated form, normalised, plus what the rules derived from it."""

    form: VisitForm
    id_number: str
    phone: str
    vehicle_plate: str
    night: bool
    expected_leave_at: datetime
    warnings: tuple[str, ...] = ()


def validate_visit(form: VisitForm, now: datetime, zone, visiting_hours: str, stay_minutes: int,
                   *, refusing: bool = False) -> tuple[CleanVisit | None, list[FieldError]]:
    """All checks of the register form, in form order: the first error is the field to fix.

    `refusing`: the gatekeeper turns a watchlisted person away. The record needs who it was (a valid ID number;
    the name as far as known), not what they came for: phone, category, reason, host and a night visit's duty
    leader are not asked for, and a phone or plate that does not check out is left out instead of refused."""
    errors: list[FieldError] = []
    local = now.astimezone(zone)
    checked = check_id(form.id_type, form.id_number, local.date())
    if not checked.ok:
        errors.append(FieldError("id_number", checked.error, checked.error_values))
    name = clean_text(form.name)
    if not name and not refusing:
        errors.append(FieldError("name", "name_required"))
    elif len(name) > 40:
        errors.append(FieldError("name", "name_too_long"))
    phone, phone_error = check_phone(form.phone, international_ok=form.id_type in ("passport", "hk_macau", "taiwan"))
    if refusing:
        if errors:
            return None, errors
        plate, plate_error = check_plate(form.vehicle_plate)
        night = is_night_visit(local, visiting_hours)
        return CleanVisit(form, checked.number, "" if phone_error else phone, "" if plate_error else plate, night,
                          default_leave_time(now, stay_minutes),
                          (checked.warning,) if checked.warning else ()), []
    if phone_error:
        errors.append(FieldError("phone", phone_error))
    if form.category not in CATEGORIES:
        errors.append(FieldError("category", "category_required"))
    if not clean_text(form.reason):
        errors.append(FieldError("reason", "reason_required"))
    if form.host is None:
        errors.append(FieldError("host", "host_required"))
    if not 0 <= form.companions <= 50:
        errors.append(FieldError("companions", "companions_bad"))
    plate, plate_error = check_plate(form.vehicle_plate)
    if plate_error:
        errors.append(FieldError("vehicle_plate", plate_error))
    leave = form.expected_leave_at or default_leave_time(now, stay_minutes)
    if leave <= now:
        errors.append(FieldError("expected_leave", "leave_in_past"))
    night = is_night_visit(local, visiting_hours)
    if night and not form.duty_leader_id:  # a name alone (`某某`) is not a duty leader
        errors.append(FieldError("duty_leader", "night_needs_duty_leader", {"hours": visiting_hours}))
    if errors:
        return None, errors
    warnings = (checked.warning,) if checked.warning else ()
    return CleanVisit(form, checked.number, phone, plate, night, leave, warnings), []


def parse_leave_time(text: str, now_local: datetime) -> datetime | None:
    """The expected leave time typed as `HH:MM` (today) or `MM-DD HH:MM` (this year), school time.

    Empty -> None (the default stay applies). Raises ValueError when it cannot be read.
    """
    text = clean_identifier(text).replace("：", ":")
    if not text:
        return None
    match = re.fullmatch(r"(?:(\d{1,2})-(\d{1,2})\s+)?(\d{1,2}):(\d{2})", text)
    if not match:
        raise ValueError(text)
    month, day, hour, minute = match.groups()
    base = now_local.date() if month is None else date(now_local.year, int(month), int(day))
    return datetime.combine(base, time(int(hour), int(minute)), now_local.tzinfo)


def parse_companions(text: str) -> int | None:
    """Companions as typed: empty = 0; None if not a whole number."""
    text = clean_identifier(text)
    if not text:
        return 0
    return int(text) if text.isdecimal() else None  # isdigit() would let '፩' through to int() and raise
