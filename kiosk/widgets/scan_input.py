"""The input used wherever a code can be scanned (slip QR, student card, staff card, label, visitor slip).

A USB scanner types like a keyboard: a burst of keys a few ms apart, then Enter (or ctrl+j when
it is set to send LF). This input tells a burst from a person typing, submits on either key,
drops control characters and over-long input, and ignores the same code scanned again within
a couple of seconds (a shaky hand re-triggers the scanner).
"""
from __future__ import annotations

import time

from textual import events
from textual.message import Message

from kiosk.widgets.field_input import FieldInput

MAX_CODE_LENGTH = 512  # a slip QR is < 200 characters; anything longer is junk


def clean_code(raw: str) -> str:
    """Printable characters only, trimmed, bounded."""
    return "".join(ch for ch in raw if ch.isprintable()).strip()[:MAX_CODE_LENGTH]


class ScanInput(FieldInput):
    """Enter and ctrl+j are handled in the input's own queue (see FieldInput), so a second scan right
    behind the first is never glued onto it."""

    class Scanned(Message):
        def __init__(self, scan_input: "ScanInput", code: str, from_scanner: bool) -> None:
            super().__init__()
            self.scan_input = scan_input
            self.code = code
            self.from_scanner = from_scanner

        @property
        def control(self) -> "ScanInput":
            return self.scan_input

    def __init__(self, *args, burst_gap_ms: int = 40, repeat_ignore_seconds: float = 2.0,
                 clear_on_submit: bool = True, **kwargs) -> None:
        kwargs.setdefault("max_length", MAX_CODE_LENGTH)
        super().__init__(*args, **kwargs)
        self.burst_gap = burst_gap_ms / 1000
        self.repeat_ignore = repeat_ignore_seconds
        self.clear_on_submit = clear_on_submit
        self._key_times: list[float] = []
        self._last_code = ""
        self._last_code_at = 0.0

    def on_mount(self) -> None:
        settings = getattr(getattr(self.app, "ctx", None), "settings", None)
        if settings is not None:
            self.burst_gap = settings.scanner.burst_gap_ms / 1000
            self.repeat_ignore = settings.scanner.repeat_ignore_seconds

    async def _on_key(self, event: events.Key) -> None:
        if event.is_printable:
            if not self.value:
                self._key_times.clear()
            self._key_times.append(time.monotonic())

    def looks_scanned(self) -> bool:
        """True when every key of the current value came in one fast burst."""
        times = self._key_times
        if len(times) < 4:
            return False
        return all(later - earlier <= self.burst_gap for earlier, later in zip(times, times[1:]))

    async def action_submit(self) -> None:
        code = clean_code(self.value)
        from_scanner = self.looks_scanned()
        self._key_times.clear()
        if self.clear_on_submit:
            self.value = ""
        if not code:
            return
        now = time.monotonic()
        if code == self._last_code and now - self._last_code_at < self.repeat_ignore:
            return
        self._last_code, self._last_code_at = code, now
        self.post_message(self.Scanned(self, code, from_scanner))
