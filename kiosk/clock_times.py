"""Clock times in settings, read once into typed values: `HH:MM`, a daily window `HH:MM-HH:MM` (may cross
midnight) and a weekly window of `weekday HH:MM` pairs. The one home of their parsing: config validates
settings with these at start-up, and the rules read the typed values (settings.gate.closed_window, ...).
Parsing is cached per text, so reading a setting on every scan costs a dictionary look-up. The other way round,
`hhmm` and `mmdd_hhmm` show a stored moment as a clock time in the school's zone (one home for every screen)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, tzinfo
from functools import lru_cache

_HHMM = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")  # seconds, if given, are kept
MINUTES_PER_WEEK = 7 * 1440


def hhmm(at: datetime | None, zone: tzinfo) -> str:
    """A stored (UTC) moment as `21:35` in the school's zone; "" for no moment (a step not yet acknowledged)."""
    return at.astimezone(zone).strftime("%H:%M") if at else ""


def mmdd_hhmm(at: datetime | None, zone: tzinfo) -> str:
    """`11-18 21:35` in the school's zone, for moments that may be on another day (deadlines, closed incidents)."""
    return at.astimezone(zone).strftime("%m-%d %H:%M") if at else ""


@lru_cache(maxsize=256)
def parse_hhmm(text: str) -> time | None:
    """`7:05` or `07:05` -> time(7, 5); None if it is not a clock time (25:00, 07:99, a 20-digit hour)."""
    match = _HHMM.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        return None
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    return time(hour, minute, second) if hour < 24 and minute < 60 and second < 60 else None


def _required_hhmm(text: str, what: str) -> time:
    moment = parse_hhmm(text)
    if moment is None:
        raise ValueError(f"{what} {text!r}: expected HH:MM")
    return moment


@dataclass(frozen=True)
class DailyWindow:
    """From `start` to `end` every day; a window whose end is before its start crosses midnight."""

    start: time
    end: time

    def contains(self, moment: time, *, include_end: bool = False) -> bool:
        moment = moment.replace(tzinfo=None, second=0, microsecond=0) if include_end else moment.replace(tzinfo=None)
        before_end = moment <= self.end if include_end else moment < self.end
        if self.start <= self.end:
            return self.start <= moment and before_end
        return moment >= self.start or before_end


@lru_cache(maxsize=256)
def parse_daily_window(text: str) -> DailyWindow:
    """`07:00-21:00` -> DailyWindow; ValueError naming the expected form."""
    parts = text.split("-") if isinstance(text, str) else []
    if len(parts) != 2:
        raise ValueError(f"{text!r}: expected HH:MM-HH:MM")
    return DailyWindow(_required_hhmm(parts[0], "start"), _required_hhmm(parts[1], "end"))


@lru_cache(maxsize=256)
def parse_week_minute(text: str) -> int:
    """`1 07:00` (ISO weekday 1-7, HH:MM) -> minutes since Monday 00:00; ValueError otherwise."""
    parts = text.split() if isinstance(text, str) else []
    if len(parts) != 2 or len(parts[0]) != 1 or parts[0] not in "1234567":
        raise ValueError(f"{text!r}: expected 'weekday HH:MM' (weekday 1-7)")
    moment = _required_hhmm(parts[1], "time")
    return (int(parts[0]) - 1) * 1440 + moment.hour * 60 + moment.minute


@dataclass(frozen=True)
class WeekWindow:
    """From one weekday and time to another (Monday drop-off to Friday dismissal); may wrap over Sunday."""

    start_minute: int
    end_minute: int

    def contains(self, local: datetime) -> bool:
        position = (local.isoweekday() - 1) * 1440 + local.hour * 60 + local.minute
        if self.start_minute <= self.end_minute:
            return self.start_minute <= position < self.end_minute
        return position >= self.start_minute or position < self.end_minute


def week_window(start_text: str, end_text: str) -> WeekWindow:
    return WeekWindow(parse_week_minute(start_text), parse_week_minute(end_text))


@dataclass(frozen=True)
class WeekSchedule:
    """Daily windows by ISO weekday (1 = Monday): when day students may pass. A weekday with no windows has
    none (a weekend). A window that crosses midnight counts on the weekday it starts and the early hours of
    that same weekday, as a DailyWindow does."""

    days: tuple[tuple[DailyWindow, ...], ...]  # index 0 = Monday

    def windows_on(self, isoweekday: int) -> tuple[DailyWindow, ...]:
        return self.days[isoweekday - 1]

    def contains(self, local: datetime) -> bool:
        moment = local.time()
        return any(window.contains(moment, include_end=True) for window in self.windows_on(local.isoweekday()))

    def describe(self, isoweekday: int) -> str:
        """`06:30-07:50, 16:30-22:00`: the day's windows as a person reads them ("" when there are none)."""
        return ", ".join(f"{w.start:%H:%M}-{w.end:%H:%M}" for w in self.windows_on(isoweekday))


def _weekdays(text: str) -> list[int]:
    """`1-5` -> [1, 2, 3, 4, 5]; `6` -> [6]; `1,3` is written as two entries (`1 ...; 3 ...`)."""
    first, _, last = text.partition("-")
    if not (first.isdigit() and len(first) == 1 and (not last or (last.isdigit() and len(last) == 1))):
        raise ValueError(f"{text!r}: expected a weekday 1-7 or a range like 1-5")
    start, end = int(first), int(last or first)
    if not 1 <= start <= end <= 7:
        raise ValueError(f"{text!r}: expected a weekday 1-7 or a range like 1-5")
    return list(range(start, end + 1))


@lru_cache(maxsize=64)
def parse_week_schedule(text: str) -> WeekSchedule:
    """Day students' hours. Either windows for every day: `06:30-22:00` or `06:30-07:50,16:30-22:00`;
    or by weekday, entries separated by `;`: `1-5 06:30-07:50,11:40-14:10,16:30-22:00; 7 17:00-21:00`
    (ISO weekdays 1-7; a weekday not named has no hours; a day named twice is an error)."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{text!r}: expected HH:MM-HH:MM, or 'weekdays HH:MM-HH:MM,...; ...'")
    entries = [entry.strip() for entry in text.split(";") if entry.strip()]
    days: list[tuple[DailyWindow, ...] | None] = [None] * 7
    if len(entries) == 1 and " " not in entries[0]:
        windows = tuple(parse_daily_window(part.strip()) for part in entries[0].split(","))
        return WeekSchedule((windows,) * 7)
    for entry in entries:
        weekdays, _, spans = entry.partition(" ")
        windows = tuple(parse_daily_window(part.strip()) for part in spans.split(",") if part.strip())
        if not windows:
            raise ValueError(f"{entry!r}: expected 'weekdays HH:MM-HH:MM,...'")
        for day in _weekdays(weekdays):
            if days[day - 1] is not None:
                raise ValueError(f"{entry!r}: weekday {day} is named twice")
            days[day - 1] = windows
    return WeekSchedule(tuple(day or () for day in days))
