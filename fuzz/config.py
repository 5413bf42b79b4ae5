"""The config loader (kiosk.config.load): a TOML file's bytes, and KIOSK_* environment overrides.

The first byte picks the input:

  0  the bytes as the config file, as they are (any encoding, any content)
  1  a config file built from real section and key names with fuzzed TOML values
     (strings, integers of any size, floats including inf and nan, booleans, arrays, tables)
  2  KIOSK_<SECTION>__<KEY> environment overrides with fuzzed names and values, no file

Contract: ConfigError is the only exception (the CLI prints it as one line); settings that load pass
validate(), survive a round trip through `config dumps` unchanged, and are usable: the clock times the
gate and dorm read on every scan and count (closed management, day-student hours, visiting hours,
lights-out) parse, so a typo stops `kiosk run` with a message instead of breaking the first scan.
"""
from __future__ import annotations

import atexit
import dataclasses
import math
import shutil
import tempfile
from pathlib import Path

from fuzz.data import Data
from kiosk import config
from kiosk.services import slip_rules, visitor_rules

FOLDER = Path(tempfile.mkdtemp(prefix="kiosk-fuzz-config-"))
atexit.register(shutil.rmtree, FOLDER, ignore_errors=True)
SECTIONS = {f.name: [g.name for g in dataclasses.fields(f.type if isinstance(f.type, type) else getattr(config, f.type))]
            for f in dataclasses.fields(config.Settings) if f.name != "language"}
VALUES = ('"gate"', '"en"', '"zh-CN"', '"Asia/Shanghai"', '"Mars/Olympus"', "0", "-1", "1", "5", "3.5", "inf", "-inf",
          "nan", "1e400", "9" * 30, "true", "false", "[]", "[1, 2]", '["a", "b"]', "[[1]]", "{}", "{a = 1}", '""',
          '"07:00-21:00"', '"1 07:00"', '"5 16:30"', '"22:00"', '"7-21"', '"25:00"', "1979-05-27T07:32:00Z", "0x1F", "1_000")


def _value(data: Data) -> str:
    return data.choice(VALUES) if data.flag() else data.clean_text(16)


def build_toml(data: Data) -> bytes:
    lines = []
    if data.flag():
        lines.append(f"language = {_value(data)}")
    for _ in range(data.int_in(0, 4)):
        section = data.choice(list(SECTIONS))
        lines.append(f"[{section}]")
        for _ in range(data.int_in(0, 3)):
            key = data.choice(SECTIONS[section]) if data.int_in(0, 7) else data.clean_text(8) or "x"
            lines.append(f"{key} = {_value(data)}")
    return "\n".join(lines).encode("utf-8")


def build_environ(data: Data) -> dict[str, str]:
    environ = {}
    for _ in range(data.int_in(0, 4)):
        shape = data.int_in(0, 3)
        if shape == 0:
            name = data.choice(("KIOSK_DB", "KIOSK_STATION", "KIOSK_LANG"))
        elif shape == 1:
            section = data.choice(list(SECTIONS))
            name = f"KIOSK_{section.upper()}__{data.choice(SECTIONS[section]).upper()}"
        else:
            name = "KIOSK_" + data.clean_text(12)
        environ[name] = data.clean_text(20) if data.flag() else data.choice(VALUES).strip('"')
    return environ


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def check_usable(settings: config.Settings) -> None:
    """The readers of the clock settings, as the gate and dorm call them."""
    from fuzz.school import WEDNESDAY_10AM

    slip_rules.in_closed_management(WEDNESDAY_10AM, settings)
    slip_rules.within_day_hours(WEDNESDAY_10AM, settings)
    visitor_rules.within_hours(WEDNESDAY_10AM, settings.gate.visiting_hours)
    assert settings.dorm.lights_out_time is not None, settings.dorm.lights_out


def TestOneInput(data: bytes) -> None:
    source = Data(data)
    mode = source.int_in(0, 2)
    path, environ = None, {}
    if mode == 2:
        environ = build_environ(source)
    else:
        path = FOLDER / "config.toml"
        path.write_bytes(source.rest() if mode == 0 else build_toml(source))
    try:
        settings = config.load(str(path) if path else None, environ=environ)
    except config.ConfigError as error:
        # Not asserted: one line. A TOML quoted key such as "a\nb" is echoed as it is (cosmetic, reported).
        assert str(error), repr(error)
        return
    config.validate(settings)
    check_usable(settings)
    again_path = FOLDER / "again.toml"
    again_path.write_text(config.dumps(settings, reveal=True), encoding="utf-8")
    again = config.load(str(again_path), environ={})
    for section, values in settings.as_dict().items():
        other = again.as_dict()[section]
        if isinstance(values, dict):
            for key, value in values.items():
                assert _same(value, other[key]), (section, key, value, other[key])
        else:
            assert values == other, (section, values, other)
