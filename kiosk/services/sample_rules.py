"""Food sample retention rules (DOMAIN.md "Canteen: food sample retention"): pure functions.

Every function takes the time and the data it needs and returns a frozen dataclass; nothing here
reads the clock or the database, so the rules are tested with plain values.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Iterable
from zoneinfo import ZoneInfo

from kiosk.clock_times import parse_hhmm  # service times are read with it

MEAL_KINDS = ("breakfast", "lunch", "dinner", "extra", "event")
DEFAULT_SERVICE_TIMES = {"breakfast": "07:00", "lunch": "11:50", "dinner": "17:30", "extra": "21:00", "event": "12:00"}


# ---- weight -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WeightCheck:
    ok: bool
    grams: int
    minimum: int
    shortfall: int  # grams missing; 0 when ok


def check_weight(grams: int, minimum: int) -> WeightCheck:
    """At least `minimum` grams per dish (default 125 g; some localities 100/150/200)."""
    shortfall = max(0, minimum - grams)
    return WeightCheck(ok=grams > 0 and shortfall == 0, grams=grams, minimum=minimum, shortfall=shortfall)


def parse_grams(text: str) -> int | None:
    """Typed weight: digits with an optional 'g' / '克'; decimals are rounded down. None if unreadable."""
    cleaned = text.strip().lower().removesuffix("g").removesuffix("克").strip()
    try:
        value = float(cleaned)
    except ValueError:
        return None
    if value != value or value < 0 or value > 100_000:  # NaN, negative, absurd
        return None
    return int(value)


# ---- temperature --------------------------------------------------------------------------------

@dataclass(frozen=True)
class TemperatureCheck:
    ok: bool
    state: str  # ok | too_cold | too_warm | not_taken
    celsius: float | None
    low: float
    high: float


def check_temperature(celsius: float | None, low: float, high: float) -> TemperatureCheck:
    """The fridge must hold the band (default 0-8 °C). Not taken is allowed (optional field)."""
    if celsius is None:
        return TemperatureCheck(True, "not_taken", None, low, high)
    if celsius < low:
        return TemperatureCheck(False, "too_cold", celsius, low, high)
    if celsius > high:
        return TemperatureCheck(False, "too_warm", celsius, low, high)
    return TemperatureCheck(True, "ok", celsius, low, high)


# ---- retention and disposal ---------------------------------------------------------------------

def disposable_at(sampled_at: datetime, retention_hours: int) -> datetime:
    """The earliest disposal time: sampled + retention, rounded UP to the whole minute.

    The label shows minutes, so a label that says 10:01 must never be refused at 10:01:00.
    """
    at = sampled_at + timedelta(hours=retention_hours)
    if at.second or at.microsecond:
        at = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return at


@dataclass(frozen=True)
class HoldSpan:
    """An incident hold 封存: samples of meals dated start..end (inclusive) are evidence."""

    id: str
    start: date
    end: date
    reason: str
    released: bool = False

    def covers(self, meal_date: date) -> bool:
        return not self.released and self.start <= meal_date <= self.end


def holds_for(meal_date: date, holds: Iterable[HoldSpan]) -> list[HoldSpan]:
    return [hold for hold in holds if hold.covers(meal_date)]


@dataclass(frozen=True)
class DisposalVerdict:
    allowed: bool
    reason: str  # ok | too_early | held | already_disposed
    disposable_at: datetime
    remaining: timedelta  # time left before disposal is allowed (zero when allowed or past)
    hold_reasons: tuple[str, ...] = ()


def disposal_verdict(now: datetime, *, sampled_at: datetime, retention_hours: int, meal_date: date,
                     holds: Iterable[HoldSpan] = (), disposed: bool = False) -> DisposalVerdict:
    """May this sample be disposed of now? Already disposed, then held, then too early, in that order."""
    due = disposable_at(sampled_at, retention_hours)
    remaining = max(timedelta(0), due - now)
    active = holds_for(meal_date, holds)
    if disposed:
        return DisposalVerdict(False, "already_disposed", due, remaining)
    if active:
        return DisposalVerdict(False, "held", due, remaining, tuple(hold.reason for hold in active))
    if now < due:
        return DisposalVerdict(False, "too_early", due, remaining)
    return DisposalVerdict(True, "ok", due, timedelta(0))


def split_remaining(remaining: timedelta) -> tuple[int, int]:
    """(hours, minutes) left, minutes rounded up so '0 h 0 min' never shows while still too early."""
    total_minutes = -(-int(remaining.total_seconds()) // 60)
    return total_minutes // 60, total_minutes % 60


def disposal_state(now: datetime, due: datetime, overdue_hours: int, *, disposed: bool, held: bool) -> str:
    """kept (still within retention) | due (may be disposed) | overdue (due for more than overdue_hours)
    | held | disposed."""
    if disposed:
        return "disposed"
    if held:
        return "held"
    if now < due:
        return "kept"
    if now - due > timedelta(hours=overdue_hours):
        return "overdue"
    return "due"


# ---- when the sample was taken ------------------------------------------------------------------

@dataclass(frozen=True)
class SampleTiming:
    state: str  # on_time | late | early
    minutes: int  # late: minutes after service began; early: minutes before it; on_time: 0


def sample_timing(sampled_at: datetime, service: datetime, *, late_after_minutes: int,
                  early_before_hours: float) -> SampleTiming:
    """Samples are taken from the finished dish before service (DOMAIN.md). After service began (beyond
    `late_after_minutes`) the sample is late; more than `early_before_hours` before service it is implausibly
    early (a dish not yet cooked, or the wrong meal)."""
    if sampled_at > service + timedelta(minutes=late_after_minutes):
        return SampleTiming("late", int((sampled_at - service).total_seconds() // 60))
    if sampled_at < service - timedelta(hours=early_before_hours):
        return SampleTiming("early", int((service - sampled_at).total_seconds() // 60))
    return SampleTiming("on_time", 0)


def meals_missing_alert(now_local: datetime, meals_today: int, set_by: str) -> bool:
    """A school day (Monday to Friday) with no meal set up by `set_by` (HH:MM, school time) is itself an alert."""
    deadline = parse_hhmm(set_by) or time(10, 0)
    return now_local.weekday() < 5 and meals_today == 0 and now_local.time() >= deadline


# ---- menu check ---------------------------------------------------------------------------------

def service_at(meal_date: date, service_time: str, zone: ZoneInfo) -> datetime:
    """The meal's service time as an aware datetime (school time zone)."""
    at = parse_hhmm(service_time) or time(12, 0)
    return datetime.combine(meal_date, at, zone)


@dataclass(frozen=True)
class DishCheck:
    dish_id: str
    name: str
    state: str  # sampled | pending | missed
    samples: int


@dataclass(frozen=True)
class MenuCheck:
    dishes: tuple[DishCheck, ...]
    served: bool  # the service time has passed
    missed: tuple[str, ...]  # dish names served without a sample

    @property
    def violation(self) -> bool:
        return bool(self.missed)

    @property
    def complete(self) -> bool:
        return bool(self.dishes) and all(d.state == "sampled" for d in self.dishes)


def dish_removal_refusal(now: datetime, service: datetime, *, sampled: bool) -> str | None:
    """Why a dish may not be taken off the menu now, or None. One with a sample must stay whole on the record;
    once service began a dish without a sample is a violation on the register, which removing it would hide."""
    if sampled:
        return "sampled"
    if now >= service:
        return "served"
    return None


def check_menu(now: datetime, service: datetime, dishes: Iterable[tuple[str, str]],
               sample_counts: dict[str, int]) -> MenuCheck:
    """Samples against the menu: a dish without a sample is `missed` once the service time has passed
    (a violation that must be visible), `pending` before it."""
    served = now >= service
    checks = []
    for dish_id, name in dishes:
        count = sample_counts.get(dish_id, 0)
        state = "sampled" if count else ("missed" if served else "pending")
        checks.append(DishCheck(dish_id, name, state, count))
    return MenuCheck(tuple(checks), served, tuple(c.name for c in checks if c.state == "missed"))
