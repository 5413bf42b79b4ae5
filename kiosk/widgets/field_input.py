"""FieldInput: an Input for keyboard-only forms that never loses typed-ahead keys.

Textual queues key events per widget. When Enter moves the focus to the next field, the keys typed
straight after it (a scanner burst, a fast typist, a PIN typed right after a staff card scan) are
already queued for this input; without care they land in the wrong field. Textual runs an Enter
*binding* only once the key has bubbled up to the app, while this input goes on taking the keys queued
behind it. So Enter is handled here, in the input's own queue, and moves the focus at once; keys that
still reach this input after it lost the focus are passed on to the focused widget.
"""
from __future__ import annotations

from textual import events
from textual.widgets import Input


class FieldInput(Input):
    def __init__(self, *args, next_field: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.next_field = next_field  # CSS selector of the field Enter moves to (None: stay)

    async def action_submit(self) -> None:
        await super().action_submit()
        if self.next_field:
            self.screen.set_focus(self.screen.query_one(self.next_field))

    SUBMIT_KEYS = ("enter", "ctrl+j")  # ctrl+j: scanners set to send LF

    async def _on_key(self, event: events.Key) -> None:
        focused = self.screen.focused
        if focused is not None and focused is not self:
            event.stop()
            event.prevent_default()
            focused.post_message(events.Key(event.key, event.character))
        elif event.key in self.SUBMIT_KEYS:
            event.stop()
            event.prevent_default()
            await self.action_submit()
