"""Small dialogs every station uses: confirm who you are (PIN), yes/no, one line of text, a choice, key help."""
from __future__ import annotations

from typing import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from kiosk.i18n import Msg, t
from kiosk.screens.modal import KioskModal
from kiosk.widgets.catalog_text import CatalogText
from kiosk.widgets.message_line import MessageLine

def as_message(text: str | Msg) -> Msg:
    """A dialog's text: a Msg re-renders on F9; a text the caller translated is shown as it is."""
    return text if isinstance(text, Msg) else Msg("core.verbatim", text=text)


DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 64; height: auto; border: thick $accent; background: $surface; padding: 1 2; }}
{name} .dialog-title {{ text-style: bold; width: 100%; content-align: center middle; margin-bottom: 1; }}
{name} .dialog-error {{ color: $error; text-style: bold; height: auto; }}
{name} Input {{ margin-bottom: 1; }}
"""


class PinDialog(KioskModal):
    """Ask a staff number (unless given) and PIN; dismiss with a StaffSession, or None on Escape.

    `admin_only=True` accepts only an admin (used by the quit guard and admin actions).
    """

    DEFAULT_CSS = DIALOG_CSS.format(name="PinDialog")

    def __init__(self, title_key: str = "core.pin_title", staff_number: str | None = None, *,
                 admin_only: bool = False, prompt_key: str | None = None) -> None:
        super().__init__()
        self.title_key = title_key
        self.prompt_key = prompt_key
        self.staff_number = staff_number
        self.admin_only = admin_only

    def compose(self) -> ComposeResult:
        with Vertical():
            yield CatalogText(self.title_key, classes="dialog-title")
            if self.prompt_key:
                yield CatalogText(self.prompt_key)
            yield CatalogText("core.pin_staff")
            yield Input(value=self.staff_number or "", id="pin-staff", disabled=self.staff_number is not None)
            yield CatalogText("core.pin_pin")
            yield Input(password=True, id="pin-pin", max_length=8)
            yield MessageLine(id="pin-error")

    def on_mount(self) -> None:
        self.query_one("#pin-pin" if self.staff_number else "#pin-staff", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "pin-staff":
            self.query_one("#pin-pin", Input).focus()
            return
        staff = self.query_one("#pin-staff", Input)
        if not staff.value.strip():  # not "wrong number or PIN": there is no number, and the cursor goes to it
            self.say("core.pin_staff_missing", level="error")
            staff.focus()
            return
        self.check(staff.value, event.value)

    def check(self, number: str, pin: str) -> None:
        from kiosk.services.auth import session_for_pin

        self.call(session_for_pin, number, pin, self.ctx.school_id, admin_only=self.admin_only, then=self._finish)

    def _finish(self, session) -> None:
        if session is None:
            self.say("core.pin_wrong", level="error")
            pin = self.query_one("#pin-pin", Input)
            pin.value = ""
            pin.focus()
            return
        self.dismiss(session)


class ConfirmDialog(KioskModal):
    """A yes/no question; Enter or y confirms, Escape or n cancels. Dismisses with a bool."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmDialog")
    BINDINGS = [Binding("enter,y", "confirm", "core.confirm"), Binding("escape,n", "cancel", "core.cancel")]

    def __init__(self, message: str | Msg, *, confirm_key: str = "core.confirm", cancel_key: str = "core.cancel") -> None:
        super().__init__()
        self.message = message
        self.confirm_key, self.cancel_key = confirm_key, cancel_key  # say what each key does, where 确定 is unclear

    def compose(self) -> ComposeResult:
        with Vertical():
            yield CatalogText(as_message(self.message), classes="dialog-title")
            yield CatalogText("core.confirm_keys", confirm=Msg(self.confirm_key), cancel=Msg(self.cancel_key))

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class TextDialog(KioskModal):
    """Ask one line of text (a reason, a name); dismisses with the text, or None on Escape or empty.

    `required=True` (a reason the record needs): Enter on an empty line says so and the dialog stays open;
    only Escape cancels. An empty Enter used to close it as if cancelled while the person believed it saved.
    `check(text)` (a rule of the value's shape, such as a PIN's or a date's) returns a refusal (an i18n key or a
    Msg) or None: a refused value keeps the dialog open with the text to correct, instead of closing it on a
    message that asks to type it again."""

    DEFAULT_CSS = DIALOG_CSS.format(name="TextDialog")

    def __init__(self, title_key: str, prompt_key: str | None = None, *, value: str = "", password: bool = False,
                 required: bool = False, required_key: str = "core.text_required",
                 check: Callable[[str], str | Msg | None] | None = None, **title_values: object) -> None:
        super().__init__()
        self.required, self.required_key = required, required_key
        self.check = check
        self.title_key = title_key
        self.title_values = title_values
        self.prompt_key = prompt_key
        self.value = value
        self.password = password

    def compose(self) -> ComposeResult:
        with Vertical():
            yield CatalogText(self.title_key, classes="dialog-title", **self.title_values)
            if self.prompt_key:
                yield CatalogText(self.prompt_key)
            yield Input(value=self.value, id="text-value", max_length=200, password=self.password)
            yield MessageLine(id="text-required")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text and self.required:
            self.say(self.required_key, level="error")
            return
        refusal = self.check(text) if text and self.check else None
        if refusal:
            self.say(refusal, level="error")
            return
        self.dismiss(text or None)


class ChoiceDialog(KioskModal):
    """Pick one of a few options: arrow keys and Enter, or the option's number. Dismisses with its value,
    or None on Escape."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ChoiceDialog") + "ChoiceDialog OptionList { height: auto; }"

    def __init__(self, title: str | Msg, options: list[tuple[str, str | Msg]]) -> None:
        super().__init__()
        self.title_text = title
        self.options = options  # (value, label shown: a Msg follows F9, a str is shown as given)

    def option_prompt(self, index: int) -> str:
        return f"{index + 1}  {self.options[index][1]}"

    def compose(self) -> ComposeResult:
        with Vertical():
            yield CatalogText(as_message(self.title_text), classes="dialog-title")
            yield OptionList(*(Option(self.option_prompt(index), id=value)
                               for index, (value, _label) in enumerate(self.options)))

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def refresh_text(self) -> None:
        options = self.query_one(OptionList)
        for index in range(len(self.options)):
            options.replace_option_prompt_at_index(index, self.option_prompt(index))

    def on_key(self, event) -> None:
        if event.character and event.character in "123456789"[:len(self.options)]:
            event.stop()
            self.dismiss(self.options[int(event.character) - 1][0])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)


class HelpScreen(KioskModal):
    """F1: the keys of the screen below, then the keys that work everywhere. `content()` gives them as
    (screen name, [(key, label)], [(key, label)]) in the current language; F9 asks it again."""

    DEFAULT_CSS = DIALOG_CSS.format(name="HelpScreen")
    BINDINGS = [Binding("escape,f1", "cancel", "core.cancel")]

    def __init__(self, content) -> None:
        super().__init__()
        self.content = content

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(id="help-title", classes="dialog-title")
            yield Static(id="help-keys")
            yield Label(id="help-global-title", classes="dialog-title")
            yield Static(id="help-global-keys")
            yield CatalogText("core.help_close")

    def on_mount(self) -> None:
        self.refresh_text()

    def refresh_text(self) -> None:
        screen_name, keys, global_keys = self.content()
        self.query_one("#help-title", Label).update(t("core.help_title", screen=screen_name))
        self.query_one("#help-keys", Static).update("\n".join(f"[b]{key:>10}[/b]  {label}" for key, label in keys))
        self.query_one("#help-global-title", Label).update(t("core.help_global"))
        self.query_one("#help-global-keys", Static).update(
            "\n".join(f"[b]{key:>10}[/b]  {label}" for key, label in global_keys))
