"""The login screen: staff number (or staff card scan) then PIN. The station's resting screen."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.widgets import Input, Label, Static

from kiosk.i18n import t
from kiosk.screens.base import KioskScreen
from kiosk.widgets.bars import station_label
from kiosk.widgets.field_input import FieldInput
from kiosk.widgets.message_line import MessageLine


class LoginScreen(KioskScreen):
    TITLE_KEY = "core.key_login"
    BINDINGS = [Binding("escape", "clear", show=False)]

    DEFAULT_CSS = """
    LoginScreen { align: center middle; }
    LoginScreen #login-box { width: 72; height: auto; border: heavy $accent; padding: 1 3; background: $surface; }
    LoginScreen #login-title { text-style: bold; width: 100%; content-align: center middle; color: $accent; }
    LoginScreen #login-prompt { margin: 1 0; width: 100%; content-align: center middle; }
    LoginScreen Input { margin-bottom: 1; }
    """

    def compose(self) -> ComposeResult:
        with Center():
            with Vertical(id="login-box"):
                yield Static(id="login-title")
                yield Static(id="login-prompt")
                yield Label(id="login-staff-label")
                yield FieldInput(id="login-staff", max_length=64, next_field="#login-pin")
                yield Label(id="login-pin-label")
                yield FieldInput(id="login-pin", password=True, max_length=8)
                yield MessageLine(id="login-message")

    def on_mount(self) -> None:
        self.refresh_text()
        self.query_one("#login-staff", Input).focus()

    def refresh_text(self) -> None:
        ctx = self.ctx
        self.query_one("#login-title", Static).update(
            t("core.login_title", school=ctx.settings.school.name, station=station_label(ctx.station_kind)))
        self.query_one("#login-prompt", Static).update(t("core.login_prompt"))
        self.query_one("#login-staff-label", Label).update(t("core.login_staff"))
        self.query_one("#login-pin-label", Label).update(t("core.login_pin"))
        self.query_one("#login-staff", Input).placeholder = t("core.login_staff_placeholder")
        self.query_one("#login-pin", Input).placeholder = t("core.login_pin_placeholder")

    def reset(self, message_key: str = "") -> None:
        """Back to an empty form (after a lock or a logout), keeping nothing of the last user."""
        self.query_one("#login-staff", Input).value = ""
        self.query_one("#login-pin", Input).value = ""
        if message_key:
            self.say(message_key, level="info")
        else:
            self.clear_message()
        self.query_one("#login-staff", Input).focus()

    def action_clear(self) -> None:
        self.reset()

    def action_back(self) -> None:
        """Nothing is under the login screen."""

    def on_input_submitted(self, event: Input.Submitted) -> None:
        staff = self.query_one("#login-staff", Input).value.strip()
        pin = self.query_one("#login-pin", Input).value
        if event.input.id == "login-staff":
            if not staff:
                self.say("core.login_need_staff", level="error")
                self.query_one("#login-staff", Input).focus()
            return
        if not staff:
            self.say("core.login_need_staff", level="error")
            self.query_one("#login-staff", Input).focus()
            return
        if not pin:
            self.say("core.login_need_pin", level="error")
            return
        self.say("core.login_checking", level="info")
        self.attempt_login(staff, pin)

    def attempt_login(self, staff: str, pin: str) -> None:
        from kiosk.services.auth import login

        ctx = self.ctx
        security = ctx.settings.security
        self.call(login, staff, pin, school_id=ctx.school_id, station_id=ctx.station_id,
                  station_kind=ctx.station_kind, max_tries=security.pin_max_tries,
                  lockout_minutes=security.lockout_minutes, then=self._after_login)

    def _after_login(self, result) -> None:
        pin = self.query_one("#login-pin", Input)
        pin.value = ""
        if result.ok:
            self.reset()
            self.app.start_session(result.session)
            return
        if result.reason == "core.login_locked":
            self.say(result.reason, level="error", minutes=result.locked_minutes)
        elif result.reason == "core.login_failed" and result.tries_left:
            self.say("core.login_failed_tries", level="error", tries=result.tries_left)
        else:
            self.say(result.reason, level="error")
        pin.focus()
