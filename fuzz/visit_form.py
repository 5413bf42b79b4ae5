"""The visitor register form (screens/gate_register.py build_form + visitor_rules.validate_visit): every
typed field at once, as the gatekeeper saves it.

The input is read field by field (length-prefixed UTF-8): ID type, ID number, name, phone, category,
reason, companions, expected leave time, vehicle plate, duty leader; then whether a host was picked and
the minute of the week the form is saved.

Contract, as the screen relies on it: parse_companions returns a count or None and never raises;
parse_leave_time returns a time or None, or raises ValueError (the screen shows "leave_bad");
validate_visit never raises and returns either a clean visit or field errors with known i18n keys;
a clean visit has a checked ID, a dialable phone, a plate of 6-9 characters or none, and a leave time
after `now`.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from fuzz.data import Data
from kiosk.i18n import t_in
from kiosk.services import visitor_rules as rules

ZONE = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 16, 0, 0, tzinfo=ZONE)
VISITING_HOURS = "07:00-21:00"
STAY_MINUTES = 120
PHONE = re.compile(r"1[3-9][0-9]{9}|\+[0-9]{8,15}")
SAMPLES = {
    "id": ("11010519491231002X", "E12345678", "H12345678", "12345678", ""),
    "phone": ("13800138000", "+85291234567", "138"),
    "companions": ("", "0", "3", "51", "-1", "３", "፩", "99999999999999999999"),
    "leave": ("", "18:30", "11-20 09:00", "25:00", "13-40 10:00", "18：30", "٣:٣٠"),
}


def _field(data: Data, samples: tuple[str, ...] = ()) -> str:
    if samples and data.flag():
        return data.choice(samples)
    return data.text(40)


def TestOneInput(data: bytes) -> None:
    source = Data(data)
    id_type = source.choice((*rules.ID_TYPES, "bogus"))
    id_number = _field(source, SAMPLES["id"])
    name, phone = _field(source, ("张三", "")), _field(source, SAMPLES["phone"])
    category = source.choice((*rules.CATEGORIES, ""))
    reason = _field(source, ("送东西", ""))
    companions_text, leave_text = _field(source, SAMPLES["companions"]), _field(source, SAMPLES["leave"])
    plate, duty_leader = _field(source, ("京A·12345", "")), _field(source, ("李主任", ""))
    host = rules.HostRef("staff", "s1", "王老师") if source.flag() else None
    now = (MONDAY + timedelta(minutes=source.int_in(0, 7 * 1440))).astimezone(timezone.utc)

    companions = rules.parse_companions(companions_text)
    assert companions is None or (isinstance(companions, int) and companions >= 0), companions
    try:
        leave = rules.parse_leave_time(leave_text, now.astimezone(ZONE))
    except ValueError:
        return  # the screen says "leave_bad" and focuses the field
    if companions is None:
        return  # the screen says "companions_bad"
    form = rules.VisitForm(id_type=id_type, id_number=id_number, name=name, phone=phone, category=category,
                           reason=reason, host=host, companions=companions, vehicle_plate=plate,
                           expected_leave_at=leave, duty_leader=duty_leader)
    clean, errors = rules.validate_visit(form, now, ZONE, VISITING_HOURS, STAY_MINUTES)
    assert (clean is None) == bool(errors), (clean, errors)
    for error in errors:
        key = f"gate.{error.key}"
        assert t_in("en", key, **error.values) != key, f"no text for {key}"
    if clean is not None:
        assert clean.expected_leave_at > now, clean
        assert PHONE.fullmatch(clean.phone), clean.phone
        assert clean.vehicle_plate == "" or 6 <= len(clean.vehicle_plate) <= 9, clean.vehicle_plate
        assert id_type == "none" or clean.id_number, clean
        assert 0 <= clean.form.companions <= 50 and clean.form.host is not None, clean
