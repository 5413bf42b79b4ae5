"""ID numbers at the visitor register: kiosk.services.visitor_rules.check_id (GB 11643 resident IDs,
passports, Hong Kong/Macau and Taiwan permits), guess_id_type and mask_id.

Input: the first byte picks the ID type (the five accepted ones or an unknown one), the next two the
day the check runs, the rest is what was typed, read as UTF-8 (undecodable bytes become surrogates).
With the type byte's high bit set, the text is built instead from a valid resident ID with a few
characters changed and separators added, so the fuzzer reaches the date and check-character paths.

Contract: nothing raises; the result is an IdCheck whose error, when set, is a known i18n key; an
accepted number is ASCII, upper case and matches its type's format (for a resident ID: 17 digits and
the right check character, a real birth date not after the day of the check); mask_id never shows a
number of five or more characters whole, and keeps its length.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

from fuzz.data import Data
from kiosk.i18n import t_in
from kiosk.services import visitor_rules as rules

TYPES = (*rules.ID_TYPES, "driver_licence")
VALID_RESIDENT = "11010519491231002X"  # the GB 11643 standard's own example
FORMATS = {
    "passport": re.compile(r"[A-Z0-9]{5,17}", re.ASCII),
    "hk_macau": re.compile(r"[HM](\d{8}|\d{10})", re.ASCII),
    "taiwan": re.compile(r"(\d{8}|\d{10}[A-Z]?)", re.ASCII),
    "resident": re.compile(r"\d{17}[\dX]", re.ASCII),
}
FIRST_DAY = date(2000, 1, 1)
CHANGES = "0123456789Xx -()（）\u3000０１２３４５６７８９Ｘ"


def resident_like(data: Data) -> str:
    chars = list(VALID_RESIDENT)
    for _ in range(data.int_in(0, 4)):
        position = data.int_in(0, len(chars) - 1)
        action = data.int_in(0, 2)
        if action == 0:
            chars[position] = data.choice(CHANGES)
        elif action == 1:
            del chars[position]
        else:
            chars.insert(position, data.choice(CHANGES))
    return "".join(chars)


def check_accepted(result: rules.IdCheck, id_type: str, today: date) -> None:
    number = result.number
    if id_type == "none":
        assert number == "", result
        return
    assert number and number.isascii() and number == number.upper(), result
    assert FORMATS[id_type].fullmatch(number), result
    if id_type == "resident":
        assert number[17] == rules.ric_check_character(number[:17]), result
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        assert result.birth_date == born and date(1900, 1, 1) <= born <= today, result


def TestOneInput(data: bytes) -> None:
    source = Data(data)
    selector = source.uint(1)
    id_type = TYPES[(selector & 0x7F) % len(TYPES)]
    today = FIRST_DAY + timedelta(days=source.uint(2))
    text = resident_like(source) if selector & 0x80 else source.text()

    result = rules.check_id(id_type, text, today)
    assert isinstance(result, rules.IdCheck) and result.id_type == id_type, result
    if result.ok:
        check_accepted(result, id_type, today)
    else:
        key = f"gate.{result.error}"
        for language in ("zh-CN", "en"):
            assert t_in(language, key, **result.error_values) != key, f"no {language} text for {key}"
    if result.warning:
        assert t_in("en", f"gate.{result.warning}") != f"gate.{result.warning}", result.warning

    assert rules.guess_id_type(text) in rules.ID_TYPES
    normalised = rules.normalise_id(text)
    masked = rules.mask_id(normalised)
    assert len(masked) == len(normalised), (normalised, masked)
    if len(normalised) >= 5:
        hidden = masked[6:-4] if len(normalised) >= 14 else masked[2:-2]
        assert hidden and set(hidden) == {"*"}, (normalised, masked)
