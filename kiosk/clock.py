"""The one source of time. Tests freeze it; everything else calls `now()`.

All times are aware UTC datetimes inside the program and in the database;
`to_school()` converts for display only.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Iterator
from zoneinfo import ZoneInfo

UTC = timezone.utc

_lock = threading.Lock()
_frozen: datetime | None = None
_offset = timedelta(0)


def now() -> datetime:
    """Current time, aware UTC."""
    with _lock:
        if _frozen is not None:
            return _frozen
        return datetime.now(UTC) + _offset


def set_offset(delta: timedelta) -> None:
    """Run the clock `delta` ahead of (or behind) the wall clock: a scripted run at another time (demo and
    test databases only: kiosk.services.scripted_clock decides). Zero is the real time."""
    global _offset
    with _lock:
        _offset = delta


def offset() -> timedelta:
    """How far the running clock is from the wall clock (zero unless a scripted run set it)."""
    with _lock:
        return _offset


def freeze(at: datetime | None) -> None:
    """Freeze time at `at` (aware), or unfreeze with None."""
    global _frozen
    if at is not None and at.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    with _lock:
        _frozen = at.astimezone(UTC) if at else None


def advance(delta: timedelta) -> datetime:
    """Move a frozen clock forward (tests) and return the new time."""
    global _frozen
    with _lock:
        if _frozen is None:
            raise RuntimeError("advance() needs a frozen clock")
        _frozen = _frozen + delta
        return _frozen


def school_zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def to_school(at: datetime, zone: ZoneInfo) -> datetime:
    return at.astimezone(zone)


def parse_local(text: str, zone: ZoneInfo) -> datetime:
    """Parse an ISO date/time typed by a person or a script; naive means school time."""
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


@contextmanager
def frozen_at(at: datetime) -> Iterator[datetime]:
    """Run a block with the clock frozen at `at`, then restore whatever it was (frozen or running).

    For writing history at past times through the normal services (demo seeding); never used while
    a station is serving users, since the clock is process-wide.
    """
    global _frozen
    with _lock:
        previous = _frozen
    freeze(at)
    try:
        yield at
    finally:
        with _lock:
            _frozen = previous
