"""KioskScreen: the base of every station screen.

- `self.ctx` is the running station's KioskContext (settings, session, actor()).
- BINDINGS descriptions are i18n keys ("gate.key_register"); the key bar and F1 help translate them.
- Escape goes back (the home and login screens ignore it). A form lists the fields a person types in
  `TYPED_FIELDS`: while one holds text, Escape asks before throwing it away.
- The status bar (top) and key bar (bottom) are mounted for you; compose only your content.
- Override `refresh_text()` to re-render your texts when the language is switched at run time; widgets that
  keep their message untranslated (MessageLine, CatalogText) re-render themselves.
- The seam: a screen calls a service only through `self.call(service, *args, then=callback)`, and tells the
  person what happened only through `self.say(key_or_error, level=...)`. See ServiceCalls.
"""
from __future__ import annotations

from typing import Any, Callable

from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from kiosk.context import KioskContext
from kiosk.i18n import Msg, UserError, t
from kiosk.widgets.bars import KeyBar, StatusBar
from kiosk.widgets.message_line import Level, MessageLine
from kiosk.widgets.system_error import SystemErrorBanner


def binding_help(screen) -> list[tuple[str, str]]:
    """(key as shown, translated description) for every visible binding active on `screen`."""
    shown: list[tuple[str, str]] = []
    for active in screen.active_bindings.values():
        binding = active.binding
        if binding.show and binding.description and active.enabled:
            shown.append((screen.app.get_key_display(binding), t(binding.description)))
    return shown


class ServiceCalls:
    """The one way a screen (or dialog) calls a service, and the one way it tells the person the outcome.

    `call(service, *args, then=f)` runs `service(*args)` in a thread worker, so the screen never waits on the
    database, then on the UI thread:
    - a result goes to `then(result)` (dropped if the screen has been closed meanwhile);
    - a UserError (something the person can fix) goes to this screen's MessageLine, translated when shown;
    - anything else is a fault of the program: the app's one handler logs it with its traceback to kiosk.log
      and shows the red 系统错误 banner saying the action did not happen. An exception raised by `then` is
      treated the same way. Workers written by hand (`@work`) that fail reach the same handler.
    """

    def call(self, service: Callable[..., Any], /, *args: Any, then: Callable[[Any], Any] | None = None,
             group: str | None = None, **kwargs: Any) -> Worker:
        app = self.app
        name = getattr(service, "__qualname__", None) or repr(service)

        def run_in_thread() -> None:
            try:
                result = service(*args, **kwargs)
            except UserError as error:
                outcome = (self._service_refused, error)
            except Exception as error:  # noqa: BLE001 - the one place that turns a fault into the banner
                outcome = (app.report_system_error, error, name, self)
            else:
                outcome = (self._service_done, then, result, name)
            try:
                app.call_from_thread(*outcome)
            except RuntimeError:  # the app has already stopped: nobody is left to tell
                pass

        return self.run_worker(run_in_thread, name=name, group=group or f"call:{name}", thread=True,
                               exclusive=True, exit_on_error=False)

    def _service_done(self, then: Callable[[Any], Any] | None, result: Any, name: str) -> None:
        if not self.is_attached:
            return
        for banner in self.query(SystemErrorBanner):
            banner.clear()  # the station works again
        if then is None:
            return
        try:
            then(result)
        except Exception as error:  # noqa: BLE001 - showing a result failed: same handler, same banner
            self.app.report_system_error(error, f"{name} (then)", self, action_done=True)

    def _service_refused(self, error: UserError) -> None:
        if self.is_attached:
            self.say(error, level="error")
        else:
            self.app.notify(error.message(), severity="error")

    def say(self, message: str | Msg | UserError, /, *, level: Level, **values: object) -> None:
        """Show `message` (a catalog key with `values`, a Msg or a UserError) on this screen's MessageLine."""
        lines = self.query(MessageLine)
        if lines:
            lines.first().show(message, level=level, **values)
            return
        text = message.message() if isinstance(message, UserError) else str(
            message if isinstance(message, Msg) else Msg(message, **values))
        self.app.notify(text, severity={"error": "error", "warning": "warning"}.get(level, "information"))

    def clear_message(self) -> None:
        for line in self.query(MessageLine):
            line.clear()

    def message_text(self) -> str:
        """What the message line says now (tests and walk-throughs read it)."""
        lines = self.query(MessageLine)
        return lines.first().text if lines else ""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.node is self:
            self.app.report_system_error(event.worker.error, event.worker.name, self)

    def mount_system_error_banner(self) -> None:
        if not self.query(SystemErrorBanner):
            self.mount(SystemErrorBanner())


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
        from kiosk.screens.dialogs import ConfirmDialog

        def answered(discard: bool) -> None:
            if discard:
                self.dismiss()

        # A stray Escape at 2 a.m. must not cost the gatekeeper a half-typed registration.
        self.app.push_screen(ConfirmDialog(t("core.discard_question"), confirm_key="core.discard",
                                           cancel_key="core.keep_editing"), answered)


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
