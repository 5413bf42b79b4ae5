"""The pieces of the gate's visitor forms: the register form's fields in order, the ID field, a dropdown that
Enter leaves, the note under a field that says what to fix, and the dropdowns' labels in the current language.
Used by kiosk.screens.gate_register and kiosk.screens.gate_watchlist; imports neither."""
from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Select

from kiosk.i18n import Msg, t
from kiosk.services.visitor_form import one_per_field
from kiosk.services.visitor_rules import FieldError
from kiosk.widgets.message_line import MessageLine, TranslatedLine
from kiosk.services import visitor_rules as rules
from kiosk.widgets.scan_input import ScanInput

# (field, label key, widget kind) in form order; field names match FieldError.field.
FIELDS = (
    ("id_type", "gate.f_id_type", "select"),
    ("id_number", "gate.f_id_number", "scan"),
    ("name", "gate.f_name", "input"),
    ("phone", "gate.f_phone", "input"),
    ("category", "gate.f_category", "select"),
    ("unit", "gate.f_unit", "input"),
    ("reason", "gate.f_reason", "input"),
    ("host", "gate.f_host", "input"),
    ("companions", "gate.f_companions", "input"),
    ("companion_names", "gate.f_companion_names", "input"),
    ("vehicle_plate", "gate.f_vehicle", "input"),
    ("items", "gate.f_items", "input"),
    ("expected_leave", "gate.f_expected_leave", "input"),
    ("duty_leader", "gate.f_duty_leader", "input"),
)
FIELD_NAMES = tuple(name for name, _, _ in FIELDS)
TEXT_FIELDS = tuple(name for name, _, kind in FIELDS if kind != "select")
LABEL_WIDTH = 12  # cells of the label column; a label must fit in it less its right padding (a test checks)


class IdInput(ScanInput):
    """The ID number field: a scan or Enter checks the number; Enter on an empty field moves on (no document)."""

    async def action_submit(self) -> None:
        if not self.value.strip():
            self.screen.focus_next()
            return
        await super().action_submit()


class FormSelect(Select):
    """A dropdown in a form: Enter on a chosen value moves to the next field (it used to open the list again,
    so the gatekeeper was stuck on 类别); Enter on an empty one opens the list. Space and the arrows open it."""

    BINDINGS = [Binding("enter", "enter", show=False)]  # not in the key bar: Enter moves on everywhere on a form

    def action_enter(self) -> None:
        if self.is_blank():
            self.action_show_overlay()
        else:
            self.screen.focus_next()


class FieldNote(TranslatedLine):
    """The line under a form field: what is wrong with it, in red, until it is fixed. Not a MessageLine: a
    screen's `say` goes to its first MessageLine."""

    DEFAULT_CSS = """
    FieldNote { height: 1; width: 100%; color: $error; text-style: bold; text-wrap: nowrap; text-overflow: clip; }
    """

    def show(self, message: Msg) -> None:
        self.message = message
        self.refresh_text()


def id_type_options(*, with_none: bool = True) -> list[tuple[str, str]]:
    return [(t(f"gate.idtype_{kind}"), kind) for kind in rules.ID_TYPES if with_none or kind != "none"]


def category_options() -> list[tuple[str, str]]:
    return [(t(f"gate.category_{kind}"), kind) for kind in rules.CATEGORIES]


def relabel_select(select: Select, options: list[tuple[str, str]], default=Select.NULL) -> None:
    """The options (and prompt) in the current language, keeping the chosen value (F9).

    Select.set_options resets the value; putting the same value back is no change, so Select would keep showing
    the old language's label: mutate_reactive runs its value watcher again, which shows the new label."""
    keep = select.value
    with select.prevent(Select.Changed):
        select.prompt = t("core.choose")
        select.set_options(options)
        value = keep if keep != Select.NULL else default
        if value != Select.NULL:
            select.value = value
        select.mutate_reactive(Select.value)


class ProblemNotes:
    """A form screen's notes under its fields (kiosk.screens.gate_register): every problem of a save at once,
    each cleared as soon as its field is right. The screen gives `check_form()` -> (form, [FieldError]), a
    FieldNote `#e-NAME` under each field `#f-NAME` labelled `#l-NAME`, and its MessageLine `#reg-message`."""

    service_noted: set[str]  # fields whose note came from the save: the screen cannot check them again itself

    def note_watch(self) -> None:
        """A note the screen keeps beside the problems (the register's watchlist hit); none by default."""

    def note(self, name: str) -> FieldNote:
        return self.query_one(f"#e-{name}", FieldNote)

    def set_note(self, error: FieldError) -> None:
        self.note(error.field).show(Msg(f"gate.{error.key}", **error.values))
        self.query_one(f"#l-{error.field}").add_class("-wrong")

    def clear_note(self, name: str) -> None:
        self.note(name).clear()
        self.query_one(f"#l-{name}").remove_class("-wrong")
        self.service_noted.discard(name)

    def clear_notes(self) -> None:
        for name in FIELD_NAMES:
            self.clear_note(name)

    def show_problems(self, errors: list[FieldError], *, from_save: bool = False) -> None:
        """Every problem under its field, the cursor on the first; a field not in the list is right now."""
        errors = one_per_field([e for e in errors if e.field in FIELD_NAMES])
        self.clear_notes()
        for error in errors:
            self.set_note(error)
        if from_save:
            self.service_noted = {error.field for error in errors}
        self.note_watch()
        if errors:
            self.focus_field(errors[0].field)
            self.say_problem_here(errors[0].field)  # the count, and the whole text of the first (cut at 80 columns)

    def noted(self) -> list[str]:
        return [name for name in FIELD_NAMES if self.note(name).message is not None]

    def problem_fields(self) -> list[str]:
        """The fields with a problem to fix (a watchlist note under the ID is an alert, not a problem)."""
        return [name for name in self.noted() if not self.note(name).message.key.startswith("gate.watch_note")]

    def on_descendant_focus(self, event) -> None:
        if self.problem_fields() and self.message_is_problems():
            self.say_problem_here()

    def say_problem_here(self, name: str = "") -> None:
        """The count of problems, and the whole text of the focused field's (its note may be cut at 80 columns)."""
        count = len(self.problem_fields())
        name = name or (getattr(self.focused, "id", None) or "").removeprefix("f-")
        problem = self.note(name).message if name in self.problem_fields() else None
        if problem is not None:
            self.say("gate.form_problem_here", level="error", count=count, problem=problem)
        else:
            self.say("gate.form_problems", level="error", count=count)

    def recheck(self, changed: str) -> None:
        """A field changed: the notes it fixed go (its own, or any the form check no longer finds)."""
        shown = self.noted()
        if not shown:
            return
        _, errors = self.check_form()
        now_wrong = {error.field: error for error in errors}
        for name in shown:
            if name in now_wrong and name == changed:
                self.set_note(now_wrong[name])  # still wrong, maybe for another reason: say the current one
                self.service_noted.discard(name)
            elif name not in now_wrong and (name == changed or name not in self.service_noted):
                self.clear_note(name)
        if not self.message_is_problems():
            return  # the message line says something else now (a lookup, a host chosen): leave it
        if self.problem_fields():
            self.say_problem_here()
        else:
            self.clear_message()

    def message_is_problems(self) -> bool:
        line = self.query_one("#reg-message", MessageLine)
        return line.message is not None and line.message.key in ("gate.form_problems", "gate.form_problem_here")

