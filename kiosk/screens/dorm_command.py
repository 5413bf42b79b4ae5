"""The headcount view's command line (kiosk.screens.dorm.HeadcountScreen): it always has the focus and tells an
empty Enter, a typed room count and a scanned student card apart."""
from __future__ import annotations

from textual.message import Message

from kiosk.widgets.scan_input import ScanInput, clean_code


class CommandInput(ScanInput):
    """The building view's command line: empty Enter = all present; 1-2 digits + Enter = a room count
    (never swallowed as a repeated scan); anything longer is a scanned or typed student card."""

    class AllPresent(Message):
        pass

    class Count(Message):
        def __init__(self, counted: int) -> None:
            super().__init__()
            self.counted = counted

    HOTKEYS = frozenset("txighz")  # the building view's one-letter keys (student cards carry digits only)

    def check_consume_key(self, key: str, character: str | None) -> bool:
        if key in self.HOTKEYS:
            return False  # leave these to the screen's bindings
        return super().check_consume_key(key, character)

    async def action_submit(self) -> None:
        code = clean_code(self.value)
        if not code:
            self.value = ""
            self.post_message(self.AllPresent())
            return
        if code.isascii() and code.isdigit() and len(code) <= 2:
            self.value = ""
            self._key_times.clear()
            self.post_message(self.Count(int(code)))
            return
        await super().action_submit()
