"""Phone numbers: the visitor register's check_phone (mainland mobiles; international numbers for
visitors with a passport or permit), the roster importer's normalise_phone, and mask_phone.

Input: the first byte picks the path (bit 0: international numbers allowed; bit 7: build the text from
a valid mobile with prefixes, separators and a few changed characters instead of taking the bytes as
they are); the rest is the typed text (UTF-8, undecodable bytes as surrogates).

Contract: nothing raises; an accepted phone is exactly 11 ASCII digits `1[3-9]…` (or, where allowed,
`+` and 8-15 ASCII digits): what the register stores must be dialable and searchable, so digits from
other scripts are not accepted as digits. A rejection carries a known i18n key. Both places agree: a
number the roster importer accepts is accepted by the visitor register as the same 11 digits.
"""
from __future__ import annotations

import re

from fuzz.data import Data
from kiosk.i18n import t_in
from kiosk.services import roster_import, visitor_rules

MOBILE = re.compile(r"1[3-9][0-9]{9}")
INTERNATIONAL = re.compile(r"\+[0-9]{8,15}")
VALID = "13800138000"
PREFIXES = ("", "+86", "0086", "86", "+86 ", "+852", "+")
SEPARATORS = ("", " ", "-", "(", ")", "\u3000", "\t", "–")
CHANGES = "0123456789０１２３４５６７８９٣۳߃३+-() \u3000"


def mobile_like(data: Data) -> str:
    chars = list(VALID)
    for _ in range(data.int_in(0, 3)):
        position = data.int_in(0, len(chars) - 1)
        if data.flag():
            chars[position] = data.choice(CHANGES)
        else:
            chars.insert(position, data.choice(SEPARATORS))
    return data.choice(PREFIXES) + "".join(chars) + data.choice(SEPARATORS)


def TestOneInput(data: bytes) -> None:
    source = Data(data)
    selector = source.uint(1)
    international_ok = bool(selector & 1)
    text = mobile_like(source) if selector & 0x80 else source.text()

    phone, error = visitor_rules.check_phone(text, international_ok=international_ok)
    if error:
        key = f"gate.{error}"
        assert t_in("zh-CN", key) != key and t_in("en", key) != key, f"no text for {key}"
    else:
        assert MOBILE.fullmatch(phone) or (international_ok and INTERNATIONAL.fullmatch(phone)), (text, phone)

    roster_phone = roster_import.normalise_phone(roster_import.cell_text(text))  # cells are cleaned when read
    if roster_phone is not None:
        assert MOBILE.fullmatch(roster_phone), (text, roster_phone)
        assert visitor_rules.check_phone(text) == (roster_phone, ""), (text, roster_phone)

    masked = visitor_rules.mask_phone(phone)
    assert len(masked) == len(phone), (phone, masked)
    if len(phone) >= 8:  # the middle is hidden, the first 3 and last 4 stay (the phone itself may hold '*')
        assert set(masked[3:-4]) == {"*"} and masked[:3] + masked[-4:] == phone[:3] + phone[-4:], (phone, masked)
