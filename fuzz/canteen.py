"""Canteen inputs: a scanned sample label at the disposal screen (canteen.check_disposal, which reads the
code with find_sample), and the typed weight, fridge temperature and service time of a sample or meal.

The first byte picks the input:

  0  scanned or typed text, through the scan field's clean-up (ScanInput: clean_code)
  1  a demo sample's label (`LY` + code) with up to 4 characters changed, re-cased or padded
  2  typed weight / temperature / `HH:MM` text (sample_rules.parse_grams, canteen.parse_temperature,
     sample_rules.parse_hhmm)

Label look-ups run against the demo school (fuzz/school.py) and write nothing.

Contract: CanteenError is the only exception a scan or a typed temperature may raise; a found sample
is one whose label code or id is what was scanned; a weight is None or 0-100000 g; a temperature is
None or a number within -40..60 °C; a time is None or a valid time of day.
"""
from __future__ import annotations

import math
from datetime import time

from fuzz.data import Data
from fuzz.school import school
from fuzz.slip import _damage
from kiosk.services import sample_rules
from kiosk.services.canteen.core import LABEL_PREFIX, CanteenError
from kiosk.services.canteen.disposal import check_disposal
from kiosk.services.canteen.samples import parse_temperature
from kiosk.widgets.scan_input import clean_code


def check_scan(code: str) -> None:
    place = school()
    if not code:
        return  # the scan field submits nothing
    try:
        outcome = check_disposal(place.settings, code)
    except CanteenError as error:
        assert error.key and error.message(), error
        return
    assert outcome.reason in ("ok", "too_early", "held", "already_disposed"), outcome
    assert outcome.done == (outcome.reason == "ok"), outcome
    scanned = code.strip()
    bare = scanned[len(LABEL_PREFIX):] if scanned.upper().startswith(LABEL_PREFIX) else scanned
    assert outcome.sample.label_code == bare.upper() or outcome.sample.id == bare, (code, outcome.sample.label_code)


def check_typed(data: Data) -> None:
    text = data.text()
    grams = sample_rules.parse_grams(text)
    assert grams is None or (isinstance(grams, int) and 0 <= grams <= 100_000), (text, grams)
    try:
        celsius = parse_temperature(text)
    except CanteenError as error:
        assert error.key == "canteen.err_temperature", error
    else:
        assert celsius is None or (math.isfinite(celsius) and -40 <= celsius <= 60), (text, celsius)
    at = sample_rules.parse_hhmm(text)
    assert at is None or isinstance(at, time), (text, at)


prepare = school  # fuzz.run builds the demo school before the clock starts


def TestOneInput(data: bytes) -> None:
    source = Data(data)
    mode = source.int_in(0, 2)
    if mode == 0:
        check_scan(clean_code(source.clean_text()))
    elif mode == 1:
        label = LABEL_PREFIX + source.choice(school().sample_codes)
        check_scan(clean_code(_damage(label, source)))
    else:
        check_typed(source)
