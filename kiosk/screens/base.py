"""KioskScreen: the base of every station screen.

- `self.ctx` is the running station's KioskContext (settings, session, actor()).
- BINDINGS descriptions are i18n keys ("gate.key_register"); the key bar and F1 help translate them.
- Escape goes back (the home and login screens ignore it). A form lists the fields a person types in
  `TYPED_FIELDS`: while one holds text, Escape asks before throwing it away.
- The status bar (top) and key bar (bottom) are mounted for you; compose only your content.
- Override `refresh_text()` to re-render your texts when the language is switched at run time; widgets that
  keep their message untranslated (MessageLine, CatalogText) re-render themselves.
- The seam: a screen calls a service only through `self.call(service, *args, then=callback)`, and tells the
  person what happened only through `self.say(key_or_error, level=...)`. See kiosk.screens.seam.
"""
from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input

from kiosk.context import KioskContext
from kiosk.i18n import Msg
from kiosk.screens.dialogs import ConfirmDialog
from kiosk.screens.modal import KioskModal  # screens import both bases from here
from kiosk.screens.seam import ServiceCalls, binding_help
from kiosk.widgets.bars import KeyBar, StatusBar
from kiosk.widgets.field_input import FieldInput

__all__ = ["KioskScreen", "KioskModal", "binding_help"]


class KioskScreen(ServiceCalls, Screen):
    TITLE_KEY = "core.app_title"  # i18n key of the screen's name, shown in F1 help
    TYPED_FIELDS: tuple[str, ...] = ()  # ids of inputs whose text Escape must not silently discard
    BINDINGS = [Binding("escape", "back", "core.key_back")]

    @property
    def ctx(self) -> KioskContext:
        return self.app.ctx

    def on_mount(self) -> None:
        # Textual calls on_mount of every class in the MRO by itself, so subclasses must not call
        # super().on_mount(); the guard keeps one bar of each even if one does.
        if not self.query(StatusBar):
            self.mount(StatusBar())
            self.mount(KeyBar())
        self.mount_system_error_banner()

    def on_screen_resume(self) -> None:
        self.refresh_bars()

    def on_key(self, event: events.Key) -> None:
        """Keys that would be lost while a screen opens: typed (or scanned) right behind the key that opened it.
        The app hands each key to the screen and widget that are in front when it takes the key from its own
        queue, which runs ahead of the screens': so keys behind a menu key reach the menu's screen after it
        opened the new one, and keys reach the new screen before its input took the focus. Both are passed on
        to where the person now types, with the key's own time (the scanner input tells a burst by it). An
        input never lets a printable key, nor a FieldInput its Enter, bubble up here itself, so nothing goes
        round twice."""
        active = self.app.screen
        if active is not self:
            # Only to a screen opened on top of this one, not a dialog (which may have opened by itself, over
            # keys typed before it), and never from a screen already closed (an Enter behind a save must not
            # act on the menu).
            if not isinstance(active, KioskScreen) or self not in self.app.screen_stack:
                return
            target = active.focused or active
        else:
            target = self.focused
            if not (event.is_printable and isinstance(target, Input)
                    or event.key in FieldInput.SUBMIT_KEYS and isinstance(target, FieldInput)):
                return
        event.stop()
        event.prevent_default()
        passed = events.Key(event.key, event.character)
        passed.time = event.time
        target.post_message(passed)

    def key_help(self) -> list[tuple[str, str]]:
        return binding_help(self)

    def refresh_bars(self) -> None:
        for bar in self.query(StatusBar):
            bar.refresh_status()
        for keys in self.query(KeyBar):
            keys.refresh_keys()

    def refresh_text(self) -> None:
        """Re-render translated texts after a language switch (subclasses extend)."""

    def unsaved_input(self) -> bool:
        """True while a typed field holds text that leaving the screen would lose."""
        return any(self.query_one(f"#{field_id}").value.strip() for field_id in self.TYPED_FIELDS)

    def action_back(self) -> None:
        if not self.unsaved_input():
            self.dismiss()
            return
        def answered(discard: bool) -> None:
            if discard:
                self.dismiss()

        # A stray Escape at 2 a.m. must not cost the gatekeeper a half-typed registration.
        self.app.push_screen(ConfirmDialog(Msg("core.discard_question"), confirm_key="core.discard",
                                           cancel_key="core.keep_editing"), answered)
