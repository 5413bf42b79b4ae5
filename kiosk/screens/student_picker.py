"""StudentPicker: find a student by name, number, pinyin initials or whole pinyin, and show who it is (class,
dorm, guardian) before anything is signed for them. A head teacher finds only their own class.

Typing searches; one match is picked at once; several are listed (Down or Enter to the list, Enter picks).
The screen hears `StudentPicker.Picked` (info, or None when the text no longer names a picked student).
"""
from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from kiosk.i18n import Msg
from kiosk.widgets.catalog_text import CatalogText

MAX_CHOICES = 8


class StudentPicker(Vertical):
    DEFAULT_CSS = """
    StudentPicker { height: auto; }
    StudentPicker .form-row { height: 1; margin: 0 1; }
    StudentPicker .form-label { width: 30; }
    StudentPicker .form-row Input { width: 1fr; }
    StudentPicker OptionList { height: auto; max-height: 10; margin: 0 1; display: none; }
    StudentPicker OptionList.-shown { display: block; }
    StudentPicker .picker-who { padding: 0 1; height: auto; color: $text-muted; }
    StudentPicker .picker-who.-picked { color: $success; text-style: bold; }
    StudentPicker .picker-who.-problem { color: $warning; text-style: bold; }
    """

    class Picked(Message):
        def __init__(self, picker: "StudentPicker", student, move_on: bool) -> None:
            super().__init__()
            self.picker = picker
            self.student = student  # kiosk.services.people.StudentInfo, or None
            self.move_on = move_on  # picked from the list with Enter: the form goes on to its next field

    def __init__(self, *, input_id: str, label_key: str, class_name: str | None = None) -> None:
        super().__init__(id=f"{input_id}-picker")
        self.input_id = input_id
        self.label_key = label_key
        self.class_name = class_name  # a head teacher's own class: only its students are found
        self.choices: list = []
        self.student = None
        self._picked_text = ""  # the field's text once a student is picked (their number)

    def compose(self) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield CatalogText(self.label_key, id=f"{self.input_id}-label", classes="form-label")
            yield Input(id=self.input_id, max_length=32, select_on_focus=False, compact=True)
        yield OptionList(id=f"{self.input_id}-choices")
        yield CatalogText("office.student_hint", id=f"{self.input_id}-who", classes="picker-who", markup=False)

    @property
    def field(self) -> Input:
        return self.query_one(f"#{self.input_id}", Input)

    def clear(self) -> None:
        self._picked_text = ""
        self.field.value = ""
        self._set_student(None)
        self._show_choices([])
        self._who(Msg("office.student_hint"), "")

    # ------------------------------------------------------------ typing and searching

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input is not self.field:
            return
        event.stop()
        if event.value == self._picked_text and self.student is not None:
            return
        self._picked_text = ""
        self._set_student(None)
        query = event.value.strip()
        if not query:
            self._show_choices([])
            self._who(Msg("office.student_hint"), "")
            return
        from kiosk.services.people import find_students

        self.screen.call(find_students, query, self.app.ctx.school_id, class_name=self.class_name,
                         limit=MAX_CHOICES + 1, then=lambda found: self._found(query, found), group="student-picker")

    def _found(self, query: str, found: list) -> None:
        if query != self.field.value.strip():
            return  # an answer to text typed earlier: a newer search is on its way
        if len(found) == 1:
            self.pick(found[0])
            return
        more = len(found) > MAX_CHOICES  # one more than shown was asked for, to know the list is not all
        found = found[:MAX_CHOICES]
        self._show_choices(found)
        if more:
            self._who(Msg("office.student_more", count=MAX_CHOICES), "")
        elif not found:
            key = "office.student_none_in_class" if self.class_name else "office.student_none"
            self._who(Msg(key, query=query, class_name=self.class_name or ""), "-problem")
        else:
            self._who(Msg("office.student_choose", count=len(found)), "")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input is not self.field:
            return
        if self.student is None and self.choices:
            event.stop()
            self.open_choices()
        elif self.student is None:
            event.stop()  # nothing picked: Enter does not move on to the next field

    def on_key(self, event) -> None:
        if event.key == "down" and self.focused_field() and self.choices:
            event.stop()
            self.open_choices()
        elif event.key == "escape" and self.app.focused is self.query_one(OptionList):
            # Esc in the list goes back to typing; it does not leave the form.
            event.stop()
            event.prevent_default()
            self.field.focus()

    def focused_field(self) -> bool:
        return self.app.focused is self.field

    def open_choices(self) -> None:
        choices = self.query_one(OptionList)
        choices.focus()
        choices.highlighted = 0

    def _show_choices(self, found: list) -> None:
        from kiosk.services.people import describe_student

        self.choices = list(found)
        choices = self.query_one(OptionList)
        choices.clear_options()
        choices.add_options([Option(str(describe_student(info))) for info in self.choices])
        choices.set_class(bool(self.choices), "-shown")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self.choices):
            self.pick(self.choices[event.option_index], from_list=True)

    # ------------------------------------------------------------ the picked student

    def pick(self, info, *, from_list: bool = False) -> None:
        """Pick `info`. From the list the field shows their number; a single match keeps the text as typed
        (the person may still be typing)."""
        from kiosk.services.people import describe_student

        if from_list:
            self.field.value = info.number
        self._picked_text = self.field.value
        self._show_choices([])
        self._set_student(info, move_on=from_list)
        problem = None if info.boarder else Msg("office.student_day", name=info.name)
        self._who(Msg("office.student_picked", who=describe_student(info)) if problem is None else
                  Msg("office.student_picked_problem", who=describe_student(info), problem=problem),
                  "-picked" if problem is None else "-problem")

    def _set_student(self, info, *, move_on: bool = False) -> None:
        changed = info is not self.student
        self.student = info
        if changed or move_on:
            self.post_message(self.Picked(self, info, move_on))

    def _who(self, message: Msg, level: str) -> None:
        who = self.query_one(f"#{self.input_id}-who", CatalogText)
        who.set_message(message)
        who.set_class(level == "-picked", "-picked")
        who.set_class(level == "-problem", "-problem")

    def refresh_text(self) -> None:
        """F9: the listed choices are re-worded (the who line is a CatalogText and follows by itself)."""
        if self.choices:
            self._show_choices(self.choices)
