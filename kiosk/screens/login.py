"""The login screen: staff number (or staff card scan) then PIN. The station's resting screen.

After the idle lock a student may scan a slip or a card at it: a scanner's burst that is not a staff card
says 请先登录 and leaves the fields empty, instead of landing in the staff-number field (a person typing a
staff number, and a staff card, work as before)."""
from __future__ import annotations

import time

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.widgets import Input, Label, Static

from kiosk.i18n import t
from kiosk.screens.base import KioskScreen
from kiosk.widgets.bars import station_label
from kiosk.widgets.field_input import FieldInput
from kiosk.widgets.message_line import MessageLine
from kiosk.widgets.scan_input import ScanInput


class PinInput(FieldInput):
    """The PIN field. It counts the keys typed into it since it was empty: more than a PIN can have is a
    scanner's code (a slip typed into the PIN field), which must not count as a wrong PIN."""

    keys_typed = 0

    async def _on_key(self, event: events.Key) -> None:  # Input's own handler runs after this one
        if event.is_printable and self.screen.focused is self:
            self.keys_typed = 1 if not self.value else self.keys_typed + 1

    @property
    def overflowed(self) -> bool:
        return self.keys_typed > self.max_length


def is_staff_code(code: str, school_id: str) -> bool:
    """Whether a scanned code is a staff number or a staff card of this school."""
    from kiosk.services.auth import find_staff

    return find_staff(code, school_id) is not None


class LoginScreen(KioskScreen):
    TITLE_KEY = "core.key_login"
    BINDINGS = [Binding("escape", "clear", show=False)]
    SCAN_TAIL_SECONDS = 0.3
    refused_at = 0.0  # when a scan was last taken off the form

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
                yield ScanInput(id="login-staff", max_length=64, next_field="#login-pin", clear_on_submit=False,
                                ignore_repeats=False)
                yield Label(id="login-pin-label")
                yield PinInput(id="login-pin", password=True, max_length=8)
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

    def on_scan_input_enter_on_empty(self, event: ScanInput.EnterOnEmpty) -> None:
        event.stop()
        self.say("core.login_need_staff", level="error")

    def on_scan_input_scanned(self, event: ScanInput.Scanned) -> None:
        """The staff field's Enter (the focus has moved to the PIN already). A scanner's burst must be a staff
        card: anything else (a slip, a student card) is not a login and is taken off the form."""
        event.stop()
        if not event.from_scanner:
            return
        from kiosk.services.slip_codec import looks_like_slip

        code = event.code
        if looks_like_slip(code):
            self.refuse_scan(code)
            return
        self.call(is_staff_code, code, self.ctx.school_id, then=lambda staff: staff or self.refuse_scan(code),
                  group="login-scan")

    def refuse_scan(self, code: str | None = None) -> None:
        """Take a scan off the form; `code`: only if the staff field still holds it (a person may have typed)."""
        staff = self.query_one("#login-staff", Input)
        if code is not None and staff.value.strip() != code.strip():
            return
        self.reset()
        self.refused_at = time.monotonic()
        self.say("core.login_scan_first", level="warning")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if time.monotonic() - self.refused_at < self.SCAN_TAIL_SECONDS:
            return  # the refused scan's second terminator (CR LF), not a person's Enter
        if self.query_one("#login-pin", PinInput).overflowed:
            self.refuse_scan()  # a code scanned into the PIN field: not a wrong PIN
            return
        staff = self.query_one("#login-staff", Input).value.strip()
        pin = self.query_one("#login-pin", Input).value
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
