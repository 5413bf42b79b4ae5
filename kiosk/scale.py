"""The sample scale on a serial port: read one settled weight in grams.

Kitchen and counting scales with an RS-232 or USB-serial port can be set to send their display as
ASCII lines, continuously or when their PRINT key is pressed. The lines seen in Chinese kitchens
take a few shapes, all handled by `parse_reading`:

    ST,GS,+0000.132kg    A&D-style: ST stable / US unstable / OL overload, GS gross / NT net
    US,NT,-   12.5 g
    wn0000.132kg         Yaohua-style: w + function letter (w gross, n net, t tare)
    132 g  /  0.132kg    the bare display

A line without a stability mark counts as settled once the same weight arrives `SETTLE_READINGS`
times in a row, so a sample still being put down is never recorded at a passing value.

The rules are pure functions; `read_weight` is the only part that touches the port (pyserial).
A scale that is unplugged, silent, garbled, overloaded or empty raises ScaleError with a message
that says what to do; the weight can always be typed instead.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Iterable

from kiosk.i18n import UserError

SETTLE_READINGS = 3  # identical unmarked readings in a row that count as settled
READ_SECONDS = 6.0  # how long to wait for a settled reading before giving up
MAX_LINE_BYTES = 64  # a weight line is short; longer data is noise (wrong baud rate)

_LINE = re.compile(
    r"""^\s*
    (?:(?P<stability>ST|US|OL)\s*,\s*)?         # A&D-style stability
    (?:(?P<kind>GS|NT|TR|GW|NW|TW)\s*,\s*)?     # gross / net / tare
    (?:w[wnt]\s*)?                              # Yaohua-style function letters
    (?P<number>[+-]?\s*[0-9]+(?:\.[0-9]+)?)\s*
    (?P<unit>kg|g)?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)


class ScaleError(UserError):
    """The scale gave no usable weight; nothing was recorded. `message()` is in the current language."""


@dataclass(frozen=True)
class Reading:
    grams: int
    stable: bool | None  # None: the scale does not say
    overload: bool = False


def parse_reading(line: bytes | str, default_unit: str = "g") -> Reading | None:
    """One line from the scale as a Reading, or None when it is not a weight line (noise, a header)."""
    if isinstance(line, bytes):
        if len(line) > MAX_LINE_BYTES:
            return None
        line = line.decode("ascii", errors="replace")
    line = line.strip().strip("\x02\x03")  # some scales frame lines with STX/ETX
    if line.upper().startswith("OL"):
        return Reading(0, stable=False, overload=True)
    match = _LINE.match(line)
    if match is None:
        return None
    try:
        value = Decimal(match["number"].replace(" ", ""))
    except InvalidOperation:
        return None
    unit = (match["unit"] or default_unit).lower()
    grams = int((value * 1000 if unit == "kg" else value).to_integral_value())
    stability = (match["stability"] or "").upper()
    return Reading(grams, stable={"ST": True, "US": False}.get(stability))


def settled(readings: Iterable[Reading], needed: int = SETTLE_READINGS) -> Reading | None:
    """The weight to record from the readings so far (oldest first), or None while it still moves.

    A reading the scale marks stable is taken at once; unmarked readings must repeat `needed` times."""
    run_grams, run_length = None, 0
    for reading in readings:
        if reading.overload or reading.stable is False:
            run_grams, run_length = None, 0
        elif reading.stable:
            return reading
        elif reading.grams == run_grams:
            run_length += 1
        else:
            run_grams, run_length = reading.grams, 1
        if run_length >= needed:
            return reading
    return None


def weight_verdict(readings: list[Reading], lines_seen: int) -> Reading:
    """The settled weight, or the ScaleError that says why there is none (after the time ran out)."""
    result = settled(readings)
    if result is not None:
        if result.grams <= 0:
            raise ScaleError("scale.err_empty")
        return result
    if lines_seen == 0:
        raise ScaleError("scale.err_silent")
    if not readings:
        raise ScaleError("scale.err_garbled")
    if readings[-1].overload:
        raise ScaleError("scale.err_overload")
    raise ScaleError("scale.err_unsteady")


def read_weight(port: str, baud: int = 9600, default_unit: str = "g", seconds: float = READ_SECONDS) -> int:
    """Open the port, read lines until one weight settles (or `seconds` pass), return grams."""
    import os

    import serial  # pyserial, loaded only at a station with a scale

    if not os.path.exists(port) and "://" not in port:
        raise ScaleError("scale.err_missing", port=port)
    readings: list[Reading] = []
    lines_seen = 0
    try:
        with serial.serial_for_url(port, baudrate=baud, timeout=0.2) as connection:
            connection.reset_input_buffer()  # an old line is not today's sample
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                line = connection.readline(MAX_LINE_BYTES + 1)
                if not line.strip():
                    continue
                lines_seen += 1
                reading = parse_reading(line, default_unit)
                if reading is not None:
                    readings.append(reading)
                    if settled(readings) is not None:
                        break
    except (serial.SerialException, OSError, ValueError) as error:
        raise ScaleError("scale.err_unreachable", port=port, reason=str(error)) from None
    return weight_verdict(readings, lines_seen).grams
