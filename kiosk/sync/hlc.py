"""Hybrid logical clock: orders facts across stations whatever their wall clocks say.

A stamp is one 64-bit integer: milliseconds since 1970 in the high bits, a 16-bit counter in the
low bits. It never goes backwards on a station (the last stamp is persisted in LocalState), moves
forward past any stamp received from another station, and otherwise follows the wall clock.
The wall clock only feeds the physical part; when it is far off (a dead RTC booting in 1970, two
hours behind, days ahead, stepping back) the stamps stay ordered and the station flags its
records `clock_suspect` and says so on screen.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

LOGICAL_BITS = 16
LOGICAL_MASK = (1 << LOGICAL_BITS) - 1
LAST_KEY = "sync_hlc"
OFFSET_KEY = "sync_server_offset_ms"  # central clock minus ours, measured at the last contact
# A wall clock this far from central's (or behind our own last stamp) is "suspect".
SUSPECT_MS = 2 * 60 * 1000
EARLIEST_PLAUSIBLE = datetime(2024, 1, 1, tzinfo=timezone.utc)


def pack(physical_ms: int, logical: int = 0) -> int:
    return (max(physical_ms, 0) << LOGICAL_BITS) | (logical & LOGICAL_MASK)


def physical_ms(stamp: int) -> int:
    return stamp >> LOGICAL_BITS


def to_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def advance(last: int, wall_ms: int) -> int:
    """The next stamp after `last` for an event seen at wall time `wall_ms` (pure)."""
    candidate = pack(wall_ms)
    if candidate > last:
        return candidate
    return last + 1  # same millisecond or wall clock behind: bump the counter (carries into ms)


def merge(last: int, remote: int, wall_ms: int) -> int:
    """The stamp after receiving `remote` (the receive rule of an HLC; pure)."""
    return advance(max(last, remote), wall_ms)


def wall_is_suspect(wall: datetime, last_stamp: int, server_offset_ms: int | None) -> bool:
    """Is this wall-clock reading implausible? (before 2024, behind our own last stamp, or far from central)"""
    ms = to_ms(wall)
    if wall < EARLIEST_PLAUSIBLE:
        return True
    if last_stamp and ms < physical_ms(last_stamp) - SUSPECT_MS:
        return True
    return server_offset_ms is not None and abs(server_offset_ms) > SUSPECT_MS


@dataclass
class Clock:
    """The station's HLC, persisted in LocalState (call inside the caller's transaction)."""

    @staticmethod
    def last() -> int:
        from kiosk.db import local_value

        return int(local_value(LAST_KEY, "0") or 0)

    @staticmethod
    def save(stamp: int) -> None:
        from kiosk.db import set_local_value

        if stamp > Clock.last():  # never backwards, even if two callers race
            set_local_value(LAST_KEY, str(stamp))

    @staticmethod
    def receive(remote: int, wall: datetime) -> int:
        stamp = merge(Clock.last(), remote, to_ms(wall))
        Clock.save(stamp)
        return stamp

    @staticmethod
    def server_offset_ms() -> int | None:
        from kiosk.db import local_value

        value = local_value(OFFSET_KEY)
        return int(value) if value is not None else None
