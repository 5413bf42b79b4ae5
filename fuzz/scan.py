"""The gate's scan field: whatever is scanned or typed, through check_at_gate (decode, look-up, verdict,
and the scan log row), on a demo school database (fuzz/school.py).

The first byte picks the input:

  0  typed or scanned text, through the scan field's own clean-up (ScanInput: clean_code)
  1  one of the demo's real slip codes with up to 4 characters changed, re-cased or padded
  2  a demo student number (a card scan) with noise around it
  3  a demo slip re-signed by another school's key (same key id, same payload)
  4  `kiosk gate check CODE`: the raw argument, undecodable bytes kept as surrogates, no clean-up
  5  a huge input (up to 200 kB) of a repeated chunk, to the field and to the command line

Contract: check_at_gate never raises; the verdict is exit, return or refuse with a translated reason;
the logged `raw` is printable ASCII of at most 80 characters and the scan row is there; the JSON the CLI
prints can be written; an allowed slip verdict needs a code that decodes with this school's keys, and a
foreign slip is refused as forged. (A typed student number may stand for the slip the student holds.)
"""
from __future__ import annotations

import json
from datetime import timedelta

from fuzz.data import Data
from fuzz.school import WEDNESDAY_10AM, school
from fuzz.slip import _damage
from kiosk.models.slips import GateScan
from kiosk.services import slip_codec, slip_rules
from kiosk.services.slip_keys import public_keys
from kiosk.services.slips import RAW_KEEP
from kiosk.services.slips_gate import check_at_gate
from kiosk.widgets.scan_input import clean_code

NOISE = ("", " ", "\t", "\r", "\x1b[A", "0", "X", "S1:", "LY", "\u3000", "\ufeff", "；")


def make_code(data: Data) -> tuple[str, int]:
    place = school()
    mode = data.int_in(0, 5)
    if mode == 0:
        return clean_code(data.clean_text()), mode
    if mode == 1:
        return clean_code(_damage(data.choice(place.slip_codes), data)), mode
    if mode == 2:
        number = data.choice(place.student_numbers)
        return clean_code(data.choice(NOISE) + number + data.choice(NOISE)), mode
    if mode == 3:
        return data.choice(place.foreign_codes), mode
    if mode == 4:
        return data.text(), mode
    chunk = data.text(64) or "S1:"
    huge = chunk * (data.int_in(1, 200_000) // len(chunk) + 1)
    return (clean_code(huge) if data.flag() else huge), mode


prepare = school  # fuzz.run builds the demo school before the clock starts


def TestOneInput(data: bytes) -> None:
    place = school()
    source = Data(data)
    code, mode = make_code(source)
    if not code:
        return  # the scan field submits nothing for an empty or all-control-character value
    direction = source.choice(("exit", "return", None))
    now = WEDNESDAY_10AM + timedelta(minutes=source.int_in(-3 * 1440, 7 * 1440))
    check = check_at_gate(place.actor, place.settings, code, now, direction)

    verdict = check.verdict
    assert verdict.kind in (slip_rules.EXIT, slip_rules.RETURN, slip_rules.REFUSE), verdict
    assert verdict.kind != slip_rules.REFUSE or verdict.reason_code in slip_rules.REFUSALS, verdict
    reason = str(check.reason)
    assert reason and not reason.startswith("slips."), f"untranslated reason {reason!r}"
    assert check.source in ("slip", "card"), check.source
    assert check.direction in ("exit", "return"), check.direction
    assert check.raw.isascii() and check.raw.isprintable() and len(check.raw) <= RAW_KEEP, check.raw
    assert GateScan.get_or_none(GateScan.id == check.scan_id) is not None, "scan not logged"
    json.dumps(check.as_json(), ensure_ascii=False)
    if check.source == "slip" and verdict.allowed:
        # A slip code must check out; a typed student number may stand for the slip the student holds.
        if slip_codec.looks_like_slip(code):
            assert slip_codec.decode(code, public_keys(place.settings.school.id)).ok, (code, verdict)
        assert check.slip is not None and check.slip.code and check.student is not None, check
    if mode == 3 and check.source == "slip":
        assert verdict.reason_code == "forged", (code, verdict)
