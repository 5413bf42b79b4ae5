"""KioskModal: the base of dialogs (PIN, yes/no, a line of text, a choice, key help)."""
from __future__ import annotations

from textual.binding import Binding
from textual.screen import ModalScreen

from kiosk.context import KioskContext
from kiosk.screens.seam import ServiceCalls, binding_help


class KioskModal(ServiceCalls, ModalScreen):
    """Base of dialogs: Escape cancels (dismisses with None)."""

    BINDINGS = [Binding("escape", "cancel", "core.cancel")]

    def on_mount(self) -> None:
        # As on KioskScreen, Textual calls every class's on_mount: subclasses need not call this one.
        self.mount_system_error_banner()

    @property
    def ctx(self) -> KioskContext:
        return self.app.ctx

    def key_help(self) -> list[tuple[str, str]]:
        return binding_help(self)

    def refresh_text(self) -> None:
        pass

    def action_cancel(self) -> None:
        self.dismiss(None)
