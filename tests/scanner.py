"""A keyboard-wedge scanner for tests: types a code key by key with real delays, the way a USB scanner does.

Keys go through the app's driver (as a terminal's keys do), not through Pilot's press(), which waits for
the app to go idle after every key and so can never show what happens when keys arrive while the app is busy.
"""
from __future__ import annotations

import asyncio
import random
import time
import weakref

from textual import events
from textual.keys import _character_to_key


_last_stamp: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # app -> stamp of its last key sent


def key_event(char_or_key: str) -> events.Key:
    if len(char_or_key) == 1:
        key = char_or_key if char_or_key.isalnum() else _character_to_key(char_or_key)
        return events.Key(key, char_or_key)
    return events.Key(char_or_key, "\r" if char_or_key == "enter" else None)


async def send_keys(app, keys, gap_ms: float = 0, start: float | None = None) -> None:
    """Send keys (single characters or key names) through the driver, `gap_ms` apart, without waiting for the app.
    `start`: when the first key was pressed (time.monotonic()), if the caller meant it for a moment it may have
    woken up too late for (a person's key after reading the screen); default now.

    Keys due less than 10 ms apart go out in chunks, as a terminal delivers a fast burst in one read (the
    driver stamps each key when it reads it); sleeping a few ms per key would stretch a burst on a loaded
    test machine into something no scanner does."""
    start = time.monotonic() if start is None else start
    for index, key in enumerate(keys):
        due = start + index * gap_ms / 1000
        if due - time.monotonic() > 0.01:
            await asyncio.sleep(due - time.monotonic())
        event = key_event(key)
        # Stamped when the key is due, as a terminal's input thread stamps a key when it arrives: this
        # coroutine runs in the app's own event loop, so when the app is busy it wakes late, and keys stamped
        # on sending would look like a slow burst no scanner or terminal makes. Never before a key already
        # delivered: a terminal's keys arrive in the order of their stamps (two senders here, scanner and
        # gatekeeper, may wake in either order after a stall).
        event.time = max(due, _last_stamp.get(app, 0.0))
        _last_stamp[app] = event.time
        event.set_sender(app)
        app._driver.send_message(event)
    await asyncio.sleep(max(0.0, start + len(keys) * gap_ms / 1000 - time.monotonic()))


async def scan(app, code: str, gap_ms: float, terminator: str = "enter") -> None:
    """One scan: the code's characters `gap_ms` apart, then the scanner's Enter (or ctrl+j)."""
    await send_keys(app, [*code, terminator], gap_ms)


def scanner_gap(rng: random.Random) -> float:
    """Per-key gap of one scan: 2-30 ms, mostly fast (a scanner's rate is fixed per device, set per scan here)."""
    return rng.choice([2, 2, 3, 3, 4, 5, 8, 12, 20, 30])
