"""Gate: a head teacher's verbal permission (班主任口头同意), recorded as an exception (never a slip) and flagged until
the teacher confirms it.

Keyboard only. The student number and Enter show who it is (name, class, boarder or day student) and fill in
their head teacher with the phone on the roster; another teacher is picked from the staff list (name, number or
pinyin initials, Enter, arrows, Enter), never typed as free text. F2 / Ctrl+S shows every problem at once, each
under its field, or asks to confirm student, direction and teacher before recording. F3 switches the direction.
Escape with typed text asks first.
"""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from kiosk.i18n import Msg, t
from kiosk.screens.base import KioskScreen
from kiosk.screens.gate_form import LABEL_WIDTH, FieldNote
from kiosk.widgets.catalog_text import CatalogText
from kiosk.widgets.message_line import MessageLine

FIELDS = ("student", "teacher", "phone", "note")


class VerbalExceptionScreen(KioskScreen):
    TITLE_KEY = "slips.title_verbal"
    TYPED_FIELDS = tuple(f"verbal-{name}" for name in FIELDS)  # Esc asks before throwing typed text away
    BINDINGS = [
        Binding("escape", "back", "core.key_back"),
        Binding("f2", "save", "slips.key_save"),
        Binding("ctrl+s", "save", "slips.key_save", show=False, priority=True),
        Binding("f3", "toggle_direction", "slips.key_direction"),
    ]
    DEFAULT_CSS = """
    VerbalExceptionScreen #verbal-title { text-style: bold; color: $warning; padding: 0 1; height: 1; }
    VerbalExceptionScreen #verbal-warning { padding: 0 1; height: auto; color: $warning; }
    VerbalExceptionScreen #verbal-direction { padding: 0 1; height: 1; text-style: bold; }
    VerbalExceptionScreen #verbal-form { grid-size: 2; grid-columns: %(label)d 1fr; grid-rows: 2; height: auto;
                                         padding: 1 1 0 1; }
    VerbalExceptionScreen #verbal-form > CatalogText { height: 1; content-align: right middle; width: 100%%;
                                                      padding-right: 1; }
    VerbalExceptionScreen #verbal-form > Vertical { height: 2; }
    VerbalExceptionScreen #verbal-form Input { background: $boost; }
    VerbalExceptionScreen FieldNote.-info { color: $success; }
    VerbalExceptionScreen #verbal-teachers { height: auto; max-height: 8; margin: 0 1; display: none;
                                             border: round $accent; }
    VerbalExceptionScreen #verbal-teachers.-shown { display: block; }
    VerbalExceptionScreen #verbal-message { min-height: 2; }
    """ % {"label": LABEL_WIDTH + 2}

    def __init__(self) -> None:
        super().__init__()
        self.direction = "exit"
        self.student = None  # the StudentCard shown for the number in the student field
        self.teacher = None  # the Teacher picked from the staff list
        self.teacher_hits: list = []

    def compose(self) -> ComposeResult:
        yield CatalogText("slips.title_verbal", id="verbal-title")
        yield CatalogText("slips.verbal_warning", id="verbal-warning")
        yield Static(id="verbal-direction")
        with Grid(id="verbal-form"):
            for name in FIELDS:
                yield CatalogText(f"gate.f_verbal_{name}", id=f"verbal-label-{name}")
                with Vertical():
                    yield Input(id=f"verbal-{name}", max_length=60, compact=True)
                    yield FieldNote(id=f"verbal-line-{name}")
        yield OptionList(id="verbal-teachers")
        yield MessageLine(id="verbal-message")

    def on_mount(self) -> None:
        self.refresh_text()
        self.query_one("#verbal-student", Input).focus()

    def refresh_text(self) -> None:
        self.query_one("#verbal-direction", Static).update(
            t("slips.verbal_direction", direction=t(f"slips.direction_{self.direction}")))
        for name in FIELDS:
            self.query_one(f"#verbal-{name}", Input).placeholder = t(f"gate.ph_verbal_{name}")
        if self.query_one("#verbal-teachers", OptionList).has_class("-shown"):
            self.fill_teachers()

    def action_toggle_direction(self) -> None:
        self.direction = "return" if self.direction == "exit" else "exit"
        self.refresh_text()

    # ------------------------------------------------------------ the line under each field

    def value(self, name: str) -> str:
        return self.query_one(f"#verbal-{name}", Input).value.strip()

    def line(self, name: str) -> FieldNote:
        return self.query_one(f"#verbal-line-{name}", FieldNote)

    def tell(self, name: str, message: Msg | None, *, problem: bool = False) -> None:
        """Under a field: who it is (green) or what is wrong (red); None clears it."""
        line = self.line(name)
        if message is None:
            line.clear()
        else:
            line.show(message)
        line.set_class(message is not None and not problem, "-info")

    def on_input_changed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("verbal-")
        if name == "student" and self.student is not None and event.value.strip() != self.student.number:
            self.student = None  # another number: the student shown is no longer the one typed
            self.tell("student", None)
        elif name == "teacher" and self.teacher is not None and event.value.strip() != self.teacher.name:
            self.teacher = None  # typing over a picked teacher un-picks them
            self.tell("teacher", None)
        elif name in FIELDS and self.line(name).message is not None and not self.line(name).has_class("-info"):
            self.tell(name, None)  # the problem said under this field is being fixed

    # ------------------------------------------------------------ keyboard flow

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        name = (event.input.id or "").removeprefix("verbal-")
        if name == "student" and event.value.strip():
            from kiosk.services.gate_verbal import student_card

            self.call(student_card, self.ctx.school_id, event.value, then=self.show_student, group="verbal-student")
        elif name == "teacher" and event.value.strip() and self.teacher is None:
            from kiosk.services.gate_verbal import find_teachers

            self.call(find_teachers, event.value, self.ctx.school_id, then=self.show_teachers, group="verbal-teacher")
        elif name == "note":
            self.action_save()
        else:
            self.focus_next()

    def show_student(self, card) -> None:
        if card.number != self.value("student"):
            return  # the number was changed meanwhile
        self.student = card
        kind = Msg("gate.verbal_boarder" if card.boarder else "gate.verbal_day_student")
        self.tell("student", Msg("gate.verbal_student_line", name=card.name, class_name=card.class_name or "-",
                                 kind=kind))
        if card.head_teacher is not None and not self.value("teacher"):
            self.pick(card.head_teacher)
            self.say("gate.verbal_head_teacher_filled", level="ok", name=card.name, teacher=card.head_teacher.name)
            self.query_one("#verbal-teacher", Input).focus()  # the gatekeeper confirms it is the one who called
        else:
            self.clear_message()
            self.focus_next()

    def show_teachers(self, hits) -> None:
        self.teacher_hits = hits
        self.fill_teachers()
        menu = self.query_one("#verbal-teachers", OptionList)
        menu.add_class("-shown")
        menu.highlighted = 0
        menu.focus()

    def fill_teachers(self) -> None:
        menu = self.query_one("#verbal-teachers", OptionList)
        keep = menu.highlighted
        menu.clear_options()
        for index, teacher in enumerate(self.teacher_hits):
            menu.add_option(Option(str(self.teacher_line(teacher)) + f"  {teacher.phone}", id=str(index)))
        if keep is not None and self.teacher_hits:
            menu.highlighted = min(keep, len(self.teacher_hits) - 1)

    @staticmethod
    def teacher_line(teacher) -> Msg:
        if teacher.class_name:
            return Msg("gate.verbal_teacher_line", name=teacher.name, class_name=teacher.class_name,
                       number=teacher.number)
        return Msg("gate.verbal_staff_line", name=teacher.name, number=teacher.number)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        teacher = self.teacher_hits[int(event.option.id)]
        self.pick(teacher)
        self.hide_teachers()
        if self.student is not None and not teacher.may_confirm_for(self.student.class_name):
            # Recorded all the same (the teacher on the phone may be a subject teacher); confirmed by one who may.
            self.say("gate.verbal_not_head_teacher", level="warning", teacher=teacher.name, name=self.student.name)
        else:
            self.clear_message()
        self.query_one("#verbal-phone" if not self.value("phone") else "#verbal-note", Input).focus()

    def pick(self, teacher) -> None:
        """The teacher chosen, with the phone on the roster; empty when it has none (the gatekeeper types it),
        never the phone of the teacher chosen before."""
        self.query_one("#verbal-teacher", Input).value = teacher.name
        self.teacher = teacher
        self.tell("teacher", self.teacher_line(teacher))
        self.query_one("#verbal-phone", Input).value = teacher.phone

    def hide_teachers(self) -> None:
        self.query_one("#verbal-teachers", OptionList).remove_class("-shown")

    def action_back(self) -> None:
        if self.query_one("#verbal-teachers", OptionList).has_class("-shown"):  # Esc closes the list first
            self.hide_teachers()
            self.query_one("#verbal-teacher", Input).focus()
            return
        super().action_back()

    # ------------------------------------------------------------ save

    def problems(self) -> list[tuple[str, str]]:
        """(field, catalog key) for everything that stops the record, in form order."""
        found = []
        if self.student is None:
            found.append(("student", "gate.verbal_student_first"))
        if self.teacher is None:
            found.append(("teacher", "gate.verbal_pick_teacher"))
        if len([ch for ch in self.value("phone") if ch.isdigit()]) < 5:
            found.append(("phone", "gate.verbal_phone_needed"))
        return found

    def action_save(self) -> None:
        problems = self.problems()
        if problems:
            for name, key in problems:
                self.tell(name, Msg(key), problem=True)
            self.say("gate.form_problem_here", level="error", count=len(problems), problem=Msg(problems[0][1]))
            self.query_one(f"#verbal-{problems[0][0]}", Input).focus()
            return
        from kiosk.screens.dialogs import ConfirmDialog

        student, teacher = self.student, self.teacher
        question = Msg("gate.verbal_confirm", name=student.name, class_name=student.class_name or "-",
                       direction=Msg(f"slips.direction_{self.direction}"), teacher=teacher.name)

        def answered(yes: bool) -> None:
            if yes:
                self.record()

        self.app.push_screen(ConfirmDialog(question, confirm_key="gate.verbal_record"), answered)

    def record(self) -> None:
        from kiosk.services.slips_gate import record_verbal_exception

        self.call(record_verbal_exception, self.ctx.actor(), student_number=self.student.number,
                  direction=self.direction, teacher_name=self.teacher.name, teacher_phone=self.value("phone"),
                  note=self.value("note"), then=self.after_save, group="verbal-record")

    def after_save(self, row) -> None:
        for name in FIELDS:
            self.query_one(f"#verbal-{name}", Input).value = ""
            self.tell(name, None)
        self.student = self.teacher = None
        self.query_one("#verbal-student", Input).focus()
        self.say("slips.verbal_recorded", level="ok", name=row.student.name, teacher=row.teacher_name,
                 direction=Msg(f"slips.direction_{row.direction}"))
