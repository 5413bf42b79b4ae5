"""The input used wherever a code can be scanned (slip QR, student card, staff card, label, visitor slip).

A USB scanner types like a keyboard: a burst of keys a few ms apart, then Enter (or ctrl+j when
it is set to send LF). This input tells a burst from a person typing, submits on either key,
drops control characters and over-long input, and ignores the same code scanned again within
a couple of seconds (a shaky hand re-triggers the scanner).

It never selects its text on focus: Textual's Input does by default, and a key typed ahead of a focus
change then replaced the characters already there (a second scan lost its first characters and the
rest was checked as a student number). Enter on an empty input is a person pressing Enter, not a scan:
it posts `EnterOnEmpty` so a screen can take it as "confirm", except right after a scan (scanners that
send CR LF or a second CR) and never for ctrl+j (the scanner's LF).

With `hold_burst_end=True` (the gate's check screen, where the gatekeeper presses Enter while students
scan) an Enter that ends a burst is held briefly: if the burst goes on within the burst gap, that Enter
was the gatekeeper's key landing in the middle of a scan, so it is passed on as `EnterOnEmpty` and the
scan continues whole, instead of being cut into two codes. Gaps are measured on the keys' own
timestamps (taken when the terminal delivered them), so a busy app cannot make a burst look slow.
"""
from __future__ import annotations

import time

from textual import events
from textual.message import Message

from kiosk.widgets.field_input import FieldInput

MAX_CODE_LENGTH = 512  # a slip QR is < 200 characters; anything longer is junk
MIN_CODE_KEYS = 4  # no code scanned here is shorter (staff and student numbers, labels, slips)


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

    class EnterOnEmpty(Message):
        """The Enter key on an empty input, not straight after a scan: a person confirming something."""

        def __init__(self, scan_input: "ScanInput") -> None:
            super().__init__()
            self.scan_input = scan_input

        @property
        def control(self) -> "ScanInput":
            return self.scan_input

    class HoldOver(Message):
        """Internal: the time an Enter ending a burst was held for is up (see _hold_over)."""

        def __init__(self, scan_input: "ScanInput", held_at: float) -> None:
            super().__init__()
            self.scan_input = scan_input
            self.held_at = held_at

    TRAILING_TERMINATOR_SECONDS = 0.3  # an empty Enter this soon after a scan is the scanner's CR LF / CR CR
    HOLD_SECONDS = 0.15  # how long an Enter ending a burst waits for the burst to go on (see above)

    def __init__(self, *args, burst_gap_ms: int = 40, repeat_ignore_seconds: float = 2.0,
                 clear_on_submit: bool = True, hold_burst_end: bool = False, ignore_repeats: bool = True,
                 **kwargs) -> None:
        kwargs.setdefault("max_length", MAX_CODE_LENGTH)
        kwargs.setdefault("select_on_focus", False)
        super().__init__(*args, **kwargs)
        self.burst_gap = burst_gap_ms / 1000
        self.repeat_ignore = repeat_ignore_seconds
        self.clear_on_submit = clear_on_submit
        self.ignore_repeats = ignore_repeats  # False where a person may enter the same thing twice (login)
        self._key_times: list[float] = []
        self._last_code = ""
        self._last_code_at = 0.0
        self._last_terminator_at = float("-inf")  # the key time of the Enter that ended the last code
        self._last_key = ""
        self._last_key_at = 0.0
        self.hold_burst_end = hold_burst_end
        self._held_enter_at: float | None = None  # the time of an Enter waiting to see whether the burst goes on
        self._hold_timer = None

    def on_mount(self) -> None:
        settings = getattr(getattr(self.app, "ctx", None), "settings", None)
        if settings is not None:
            self.burst_gap = settings.scanner.burst_gap_ms / 1000
            self.repeat_ignore = settings.scanner.repeat_ignore_seconds

    async def _on_key(self, event: events.Key) -> None:
        self._last_key, self._last_key_at = event.key, event.time
        if self._held_enter_at is not None and event.key not in self.SUBMIT_KEYS:
            if event.is_printable and self._continues_burst(event.time):
                self._release_hold()  # the burst goes on: that Enter was the gatekeeper's, not the scanner's
                self.post_message(self.EnterOnEmpty(self))
            else:
                await self._submit_now(self._held_enter_at)  # the held code is whole; this key starts something new
        if event.is_printable:
            if not self.value:
                self._key_times.clear()
            self._key_times.append(event.time)

    def _continues_burst(self, at: float) -> bool:
        """Whether a key at `at` carries on the burst an Enter is held in: it follows the Enter within the burst
        gap; or the Enter came after fewer keys than any code has (MIN_CODE_KEYS) and the key follows the
        burst's last key within two gaps. That is the gatekeeper's Enter landing between a scan's first keys:
        the scanner's own gap spans both (a 30 ms/key scanner on a busy machine left 10 ms of margin measured
        from the Enter alone). Not after a whole code: a shaky hand re-triggers the scanner 50 ms later, and
        that second scan must not be glued on."""
        if at - self._held_enter_at <= self.burst_gap:
            return True
        return (0 < len(self._key_times) < MIN_CODE_KEYS
                and at - self._key_times[-1] <= 2 * self.burst_gap)

    def looks_scanned(self) -> bool:
        """True when the current value came in a fast burst: at least 4 keys, most of them (the median gap)
        within the burst gap. A scanner's keys are a few ms apart, with now and then one late key when the
        machine is busy; a person's are 60 ms or more apart, hardly ever two in a row under the gap."""
        times = self._key_times
        if len(times) < MIN_CODE_KEYS:
            return False
        gaps = sorted(later - earlier for earlier, later in zip(times, times[1:]))
        return gaps[len(gaps) // 2] <= self.burst_gap

    def _release_hold(self) -> None:
        self._held_enter_at = None
        if self._hold_timer is not None:
            self._hold_timer.stop()
            self._hold_timer = None

    async def action_submit(self) -> None:
        if self._held_enter_at is not None:
            # The held code is whole. This Enter is the scanner's second terminator (CR LF) when it follows at
            # once; later, it is the gatekeeper's (see _submit_now).
            await self._submit_now(self._held_enter_at)
            if not self.value:
                await self._submit_now(self._last_key_at)
            return
        times = self._key_times
        if (self.hold_burst_end and self.value and self._last_key == "enter" and times
                and self._last_key_at - times[-1] <= self.burst_gap):
            held_at = self._held_enter_at = self._last_key_at
            self._hold_timer = self.set_timer(self.HOLD_SECONDS, lambda: self._hold_over(held_at))
            return
        await self._submit_now(self._last_key_at)

    def _hold_over(self, held_at: float) -> None:
        """The hold's time is up. Keys the terminal delivered meanwhile may still wait in the app's queue (the
        app was busy): they decide first. So the answer goes round through the app's queue and then this
        input's, behind those keys, and submits only if the same Enter is still held."""
        self.app.call_later(self.post_message, self.HoldOver(self, held_at))

    async def on_scan_input_hold_over(self, message: "ScanInput.HoldOver") -> None:
        message.stop()
        if self._held_enter_at is not None and self._held_enter_at == message.held_at:
            await self._submit_now(message.held_at)

    async def _submit_now(self, terminator_at: float) -> None:
        """Submit what was typed; `terminator_at` is the key time of the Enter (or ctrl+j) that ended it. An
        empty Enter is the scanner's second terminator only when its key came within
        TRAILING_TERMINATOR_SECONDS of the last code's: measured on the keys' own times, so an app busy
        checking a slip (or an Enter held to see whether a burst goes on) cannot make a person's Enter look
        like the scanner's."""
        self._release_hold()
        code = clean_code(self.value)
        from_scanner = self.looks_scanned()
        self._key_times.clear()
        if self.clear_on_submit:
            self.value = ""
        if not code:
            if self._last_key == "enter" and terminator_at - self._last_terminator_at > self.TRAILING_TERMINATOR_SECONDS:
                self.post_message(self.EnterOnEmpty(self))
            return
        self._last_terminator_at = terminator_at
        now = time.monotonic()
        if self.ignore_repeats and code == self._last_code and now - self._last_code_at < self.repeat_ignore:
            return
        self._last_code, self._last_code_at = code, now
        self.post_message(self.Scanned(self, code, from_scanner))
        if self.next_field:  # at once, as FieldInput does: keys typed right behind the Enter go to the next field
            self.screen.set_focus(self.screen.query_one(self.next_field))
