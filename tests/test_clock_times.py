"""Clock times in settings are read in one place (kiosk.clock_times) into typed values (issue 12)."""
from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from kiosk import clock_times
from kiosk.config import Settings


@pytest.mark.parametrize("text, expected", [("7:05", time(7, 5)), ("07:05", time(7, 5)), (" 22:00 ", time(22)),
                                            ("07:00:30", time(7, 0, 30)), ("25:00", None), ("07:99", None),
                                            ("2" * 20 + ":00", None), ("0700", None), ("", None), ("७:००", None)])
def test_parse_hhmm(text, expected):
    assert clock_times.parse_hhmm(text) == expected


def test_daily_window_crossing_midnight_and_its_end():
    window = clock_times.parse_daily_window("20:00-02:00")
    assert window.contains(time(23)) and window.contains(time(1, 59)) and not window.contains(time(2))
    assert clock_times.parse_daily_window("06:30-22:00").contains(time(22), include_end=True)
    with pytest.raises(ValueError):
        clock_times.parse_daily_window("7-21")


def test_week_window():
    shanghai = ZoneInfo("Asia/Shanghai")
    window = clock_times.week_window("1 07:00", "5 16:30")
    assert window.contains(datetime(2026, 11, 18, 10, 0, tzinfo=shanghai))  # Wednesday
    assert not window.contains(datetime(2026, 11, 20, 16, 30, tzinfo=shanghai))  # Friday dismissal
    assert not window.contains(datetime(2026, 11, 22, 12, 0, tzinfo=shanghai))  # Sunday
    with pytest.raises(ValueError):
        clock_times.parse_week_minute("8 07:00")


def test_settings_expose_typed_times_and_config_needs_no_rule_module():
    settings = Settings()
    assert settings.dorm.lights_out_time == time(22)
    assert settings.gate.visiting_window == clock_times.DailyWindow(time(7), time(21))
    import ast
    import inspect

    from kiosk import config

    imported = {node.module for node in ast.walk(ast.parse(inspect.getsource(config)))
                if isinstance(node, ast.ImportFrom) and node.module}
    assert not any(name.startswith("kiosk.services") for name in imported)
