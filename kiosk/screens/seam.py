"""The seam between screens and services: how a screen or dialog calls a service and tells the person the
outcome (ServiceCalls), and the key help both kinds of screen show."""
from __future__ import annotations

from typing import Any, Callable

from textual.worker import Worker, WorkerState

from kiosk.i18n import Msg, UserError, t
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
    - a UserError (something the person can fix) goes to this screen's MessageLine, translated when shown,
      then to `refused(error)` when given (e.g. to put the cursor in the field the error names);
    - anything else is a fault of the program: the app's one handler logs it with its traceback to kiosk.log
      and shows the red 系统错误 banner saying the action did not happen. An exception raised by `then` is
      treated the same way. Workers written by hand (`@work`) that fail reach the same handler.
    """

    def call(self, service: Callable[..., Any], /, *args: Any, then: Callable[[Any], Any] | None = None,
             refused: Callable[[UserError], Any] | None = None, group: str | None = None,
             **kwargs: Any) -> Worker:
        app = self.app
        name = getattr(service, "__qualname__", None) or repr(service)

        def run_in_thread() -> None:
            try:
                result = service(*args, **kwargs)
            except UserError as error:
                outcome = (self._service_refused, error, refused, name)
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

    def _service_refused(self, error: UserError, refused: Callable[[UserError], Any] | None, name: str) -> None:
        if not self.is_attached:
            self.app.notify(error.message(), severity="error")
            return
        self.say(error, level="error")
        if refused is None:
            return
        try:
            refused(error)
        except Exception as fault:  # noqa: BLE001 - same handler as a failing `then`
            self.app.report_system_error(fault, f"{name} (refused)", self)

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
