"""Dorm station: one room's students to tick (Space/Enter present, `a` absent with a reason), the reason picker,
and the picker of who is missing when a typed count is lower than expected.
No SQL here: `self.call` runs kiosk.services.headcount_counting in a worker."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from kiosk.i18n import Msg, t
from kiosk.screens.base import KioskModal
from kiosk.screens.dialogs import TextDialog
from kiosk.screens.dorm_texts import absence_text, gate_text, incident_opened, line_state, reason_label, resolution_text
from kiosk.services import headcount_counting
from kiosk.services import headcount_rules as rules
from kiosk.widgets.catalog_text import CatalogText
from kiosk.widgets.message_line import MessageLine


def mark_student(actor, round_id: str, room_id: str, student_id: str, absent: tuple[str, str] | None):
    """In the worker: present (absent is None) or absent with (reason, note); returns (MarkResult or None, room)."""
    result = None
    if absent is None:
        headcount_counting.tick(actor, round_id, student_id)
    else:
        result = headcount_counting.mark_absent(actor, round_id, student_id, *absent)
    return result, headcount_counting.room_result(round_id, room_id)


def ask_reason(app, name: str, leave_refusal: str, done) -> None:
    """Reason picker (+ a note for 'other'); `done((reason, note))`, or nothing if cancelled. `leave_refusal`: the
    student's line says why they cannot be recorded as on leave ("" when they can)."""

    def picked(reason) -> None:
        if reason is None:
            return
        if reason != "other":
            done((reason, ""))
            return
        # Required: an empty Enter used to close it as if cancelled, and the absence was silently not recorded.
        app.push_screen(TextDialog("dorm.other_note_title", required=True, required_key="dorm.err_note_needed"),
                        lambda note: done((reason, note)) if note else None)

    app.push_screen(ReasonDialog(name, leave_refusal), picked)


class ReasonDialog(KioskModal):
    """Why is this student absent? One number key. A reason that cannot be recorded for this student keeps its
    key (the keys never move) but is shown greyed with why, and its key says so instead of choosing it: picking
    on leave for a student with no slip at the gate only to be refused cost a step at lights-out."""

    DEFAULT_CSS = """
    ReasonDialog { align: center middle; }
    ReasonDialog > Vertical { width: 56; height: auto; border: thick $accent; background: $surface; padding: 1 2; }
    ReasonDialog .dialog-title { text-style: bold; margin-bottom: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "core.cancel")] + [
        Binding(str(i + 1), f"pick({i})", show=False) for i in range(len(rules.REASONS))]

    def __init__(self, name: str, leave_refusal: str) -> None:
        super().__init__()
        self.student_name = name
        self.refused = {"on_leave": Msg(f"dorm.leave_refused_{leave_refusal}")} if leave_refusal else {}

    def compose(self) -> ComposeResult:
        with Vertical():
            yield CatalogText("dorm.reason_title", classes="dialog-title", name=self.student_name)
            for i, reason in enumerate(rules.REASONS):
                label = Msg(f"dorm.reason_{reason}")
                if reason in self.refused:
                    yield CatalogText(Msg("dorm.reason_option_refused", key=i + 1, reason=label,
                                          why=self.refused[reason]))
                else:
                    yield CatalogText(Msg("dorm.reason_option", key=i + 1, reason=label))
            yield MessageLine(id="reason-message")
            yield CatalogText("dorm.reason_hint", classes="muted")

    def action_pick(self, index: int) -> None:
        reason = rules.REASONS[index]
        if reason in self.refused:
            self.say(Msg("dorm.reason_refused", reason=Msg(f"dorm.reason_{reason}"), why=self.refused[reason]),
                     level="warning")
            return
        self.dismiss(reason)


class MissingDialog(KioskModal):
    """The count was lower than expected: pick exactly who is missing (space), then Enter."""

    DEFAULT_CSS = """
    MissingDialog { align: center middle; }
    MissingDialog > Vertical { width: 72; height: auto; max-height: 30; border: thick $warning; background: $surface; padding: 1 2; }
    MissingDialog .dialog-title { text-style: bold; margin-bottom: 1; }
    MissingDialog DataTable { height: auto; max-height: 16; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "core.cancel"),
        Binding("space", "toggle", "dorm.key_select"),
        Binding("enter", "done", "dorm.key_done", priority=True),
    ]

    def __init__(self, room: rules.RoomResult, counted: int, k: int) -> None:
        super().__init__()
        self.room = room
        self.counted = counted
        self.k = k
        self.lines = list(room.expected)
        self.selected: set[int] = set()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield CatalogText("dorm.missing_title", classes="dialog-title", room=self.room.number,
                              expected=self.room.expected_count, counted=self.counted, k=self.k)
            yield DataTable(id="missing-table", cursor_type="row")
            yield Static(id="missing-status")
            yield CatalogText("dorm.missing_hint", classes="muted", k=self.k)

    def on_mount(self) -> None:
        self.redraw()
        self.query_one(DataTable).focus()

    def refresh_text(self) -> None:
        self.redraw()

    def redraw(self) -> None:
        """The list with its headers, in the language of the moment (F9 re-renders it)."""
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        table.add_columns("", t("dorm.col_number"), t("dorm.col_name"), t("dorm.col_state"))
        for i, line in enumerate(self.lines):
            # A Text, not a str: DataTable reads a str as markup and "[x]" would vanish as an unknown tag.
            mark = Text("[x]", style="bold") if i in self.selected else Text("[ ]")
            state = t("dorm.state_present") if line.state == "present" else t("dorm.state_unmarked")
            table.add_row(mark, line.number, line.name, state)
        if self.lines:
            table.move_cursor(row=min(row or 0, len(self.lines) - 1))
        self.query_one("#missing-status", Static).update(t("dorm.missing_selected", n=len(self.selected), k=self.k))

    def action_toggle(self) -> None:
        row = self.query_one(DataTable).cursor_row
        if row is None or row >= len(self.lines):
            return
        self.selected ^= {row}
        self.redraw()

    def action_done(self) -> None:
        if len(self.selected) == self.k:
            self.dismiss([self.lines[i] for i in sorted(self.selected)])
            return
        # Not closed, and not silently: an Enter that did nothing at lights-out looked like a dead key.
        self.query_one("#missing-status", Static).update(
            t("dorm.missing_wrong_count", n=len(self.selected), k=self.k))


class TickScreen(KioskModal):
    """One room's students: Space/Enter = present, a = absent with a reason."""

    DEFAULT_CSS = """
    TickScreen { align: center middle; }
    TickScreen > Vertical { width: 90; max-width: 100%; height: auto; max-height: 32; border: thick $accent; background: $surface; padding: 1 2; }
    TickScreen .dialog-title { text-style: bold; margin-bottom: 1; }
    TickScreen DataTable { height: auto; max-height: 18; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "core.key_back"),
        Binding("space,enter", "present", "dorm.key_present", priority=True),
        Binding("a", "absent", "dorm.key_absent"),
    ]

    def __init__(self, round_id: str, room: rules.RoomResult) -> None:
        super().__init__()
        self.round_id = round_id
        self.room = room

    def compose(self) -> ComposeResult:
        with Vertical():
            yield CatalogText("dorm.tick_title", classes="dialog-title", room=self.room.number)
            yield DataTable(id="tick-table", cursor_type="row")
            yield MessageLine(id="tick-message")
            yield CatalogText("dorm.tick_hint", classes="muted")

    def on_mount(self) -> None:
        self.redraw()
        self.query_one(DataTable).focus()

    def refresh_text(self) -> None:
        self.redraw()

    def redraw(self) -> None:
        """The room's list with its headers, in the language of the moment (F9 re-renders it)."""
        zone = self.ctx.zone
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        table.add_columns(t("dorm.col_number"), t("dorm.col_name"), t("dorm.col_class"), t("dorm.col_state"),
                          t("dorm.col_note"))
        for line in self.room.expected:
            state, style = line_state(line)
            note = " ".join(part for part in (line.note, gate_text(line, zone), resolution_text(line.resolution, zone))
                            if part)
            table.add_row(*(Text(c, style=style) for c in (line.number, line.name, line.class_name, state, note)))
        for absence in self.room.overdue:  # 逾期未归: `a` records where they are, Space if they are in fact here
            style = "bold red" if absence.needs_whereabouts else "yellow"
            table.add_row(*(Text(c, style=style) for c in (absence.number, absence.name, absence.class_name,
                                                            reason_label(absence.reason), absence_text(absence, zone))))
        if self.rows():
            table.move_cursor(row=min(row or 0, len(self.rows()) - 1))

    def rows(self) -> list:
        """The students on the list: those expected in the room, then the overdue ones (StudentLine or ExpectedAbsence)."""
        return [*self.room.expected, *self.room.overdue]

    def selected(self):
        row = self.query_one(DataTable).cursor_row
        rows = self.rows()
        if row is None or row >= len(rows):
            return None
        return rows[row]

    def action_present(self) -> None:
        line = self.selected()
        if line is not None:
            self.mark(line.student_id, None)
            table = self.query_one(DataTable)
            if table.cursor_row is not None and table.cursor_row < len(self.rows()) - 1:
                table.move_cursor(row=table.cursor_row + 1)

    def action_absent(self) -> None:
        line = self.selected()
        if line is not None:
            ask_reason(self.app, line.name, line.leave_refusal, lambda answer: self.mark(line.student_id, answer))

    def mark(self, student_id: str, absent: tuple[str, str] | None) -> None:
        # Every mark is its own call (group by student): quick Space presses down the list must all be written.
        self.call(mark_student, self.ctx.actor(), self.round_id, self.room.room_id, student_id, absent,
                  then=self._marked, group=f"tick-{student_id}")

    def _marked(self, outcome) -> None:
        result, room = outcome
        if result is not None and result.incident_id:
            self.say(incident_opened(result.student_name, result.contact), level="error")
        else:
            self.clear_message()
        self.room = room
        self.redraw()
