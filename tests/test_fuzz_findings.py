"""Regression tests for what fuzzing (fuzz/, issue 8) found, one readable case per bug.

The crashing inputs themselves are in fuzz/corpus/<harness>/crash-*, replayed by test_fuzz_corpus.py.
"""
from __future__ import annotations

import pytest

from kiosk import config


@pytest.mark.parametrize("text", [
    "[security]\nidle_lock_minutes = inf\n",  # int(inf): OverflowError
    "[slips]\nhead_teacher_max_days = 1" + "0" * 400 + "\n",  # float(10**400): OverflowError
])
def test_config_number_out_of_range_is_a_config_error(tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(config.ConfigError, match="is not a valid"):
        config.load(str(path), environ={})


@pytest.mark.parametrize("name, value", [
    ("KIOSK_DORM__LIGHTS_OUT", "22.00"),
    ("KIOSK_GATE__CLOSED_FROM", "Monday 07:00"),
    ("KIOSK_GATE__CLOSED_UNTIL", "5"),
    ("KIOSK_GATE__DAY_STUDENT_HOURS", "06:30"),
    ("KIOSK_GATE__VISITING_HOURS", "7-21"),
])
def test_a_clock_setting_that_cannot_be_read_stops_loading(name, value):
    # Before: these loaded, and the gate's first scan (or the dorm's first count) raised ValueError.
    with pytest.raises(config.ConfigError, match="cannot be read as a time"):
        config.load(None, environ={name: value})


def test_default_and_reformatted_clock_settings_still_load():
    settings = config.load(None, environ={"KIOSK_GATE__VISITING_HOURS": "07:00 - 21:30",
                                          "KIOSK_GATE__CLOSED_FROM": "7 18:00", "KIOSK_DORM__LIGHTS_OUT": "23:15"})
    assert settings.gate.visiting_hours == "07:00 - 21:30" and settings.dorm.lights_out == "23:15"
