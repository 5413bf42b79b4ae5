"""Dorm station screens: tonight's headcount of a building, the room tick list, the count discrepancy
picker, absence reasons, unknown-whereabouts incidents with their escalation ladder, guests, history.

The building view is built for speed: the command line at the top always has focus and takes student
cards (scanner bursts), a typed count (digits + Enter) or an empty Enter (= everyone expected in the
current room is present, then the cursor moves to the next room). Arrow keys move between rooms.
Everything else is one lowercase letter. No SQL here: thread workers call kiosk.services.headcount.
"""
from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from kiosk.i18n import t
from kiosk.screens.base import KioskModal, KioskScreen
from kiosk.services import headcount_rules as rules
from kiosk.widgets.field_input import FieldInput
from kiosk.widgets.scan_input import ScanInput, clean_code

STATUS_STYLE = {"done": "green", "open": "", "problem": "bold red"}


def reason_label(reason: str) -> str:
    return t(f"dorm.reason_{reason}")


def disagreement_text(kind: str) -> str:
    return t(f"dorm.dis_{kind}")


def hhmm(at, zone) -> str:
    return at.astimezone(zone).strftime("%H:%M") if at else ""


def gate_text(line: rules.StudentLine, zone) -> str:
    if not line.gate or line.gate == "out":
        return ""
    return t(f"dorm.gate_{line.gate}", at=hhmm(line.gate_at, zone))


def absence_text(absence: rules.ExpectedAbsence, zone) -> str:
    if absence.reason == "on_leave":
        if absence.exception_id and not absence.slip_id:
            return t("dorm.verbal_out", at=hhmm(absence.exited_at, zone))
        return t("dorm.slip_out", slip=absence.slip_code, at=hhmm(absence.exited_at, zone))
    return absence.note


class CommandInput(ScanInput):
    """The building view's command line: empty Enter = all present; 1-2 digits + Enter = a room count
    (never swallowed as a repeated scan); anything longer is a scanned or typed student card."""

    class AllPresent(Message):
        pass

    class Count(Message):
        def __init__(self, counted: int) -> None:
            super().__init__()
            self.counted = counted

    HOTKEYS = frozenset("txigh")  # the building view's one-letter keys (student cards carry digits only)

    def check_consume_key(self, key: str, character: str | None) -> bool:
        if key in self.HOTKEYS:
            return False  # leave these to the screen's bindings
        return super().check_consume_key(key, character)

    async def action_submit(self) -> None:
        code = clean_code(self.value)
        if not code:
            self.value = ""
            self.post_message(self.AllPresent())
            return
        if code.isascii() and code.isdigit() and len(code) <= 2:
            self.value = ""
            self._key_times.clear()
            self.post_message(self.Count(int(code)))
            return
        await super().action_submit()


class BuildingPickScreen(KioskScreen):
    """Which building this station counts: from the settings (station.building), else chosen here."""

    TITLE_KEY = "dorm.pick_building_title"
    DEFAULT_CSS = """
    BuildingPickScreen { align: center middle; }
    BuildingPickScreen #pick-title { text-style: bold; color: $accent; width: 100%; content-align: center middle; }
    BuildingPickScreen OptionList { width: 60; height: auto; max-height: 20; border: heavy $accent; }
    BuildingPickScreen #pick-hint { width: 100%; content-align: center middle; color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.buildings = []

    def compose(self) -> ComposeResult:
        yield Static(id="pick-title")
        yield OptionList(id="pick-list")
        yield Static(id="pick-hint")

    def on_mount(self) -> None:
        self.refresh_text()
        self.query_one(OptionList).focus()
        self.load()

    def refresh_text(self) -> None:
        self.query_one("#pick-title", Static).update(t("dorm.pick_building_title"))
        self.query_one("#pick-hint", Static).update(t("dorm.pick_building_hint"))

    @work(thread=True, exclusive=True, exit_on_error=False)
    def load(self) -> None:
        from kiosk.services.headcount import buildings

        found = buildings(self.ctx.school_id)
        self.app.call_from_thread(self.show, found)

    def show(self, found) -> None:
        self.buildings = found
        wanted = self.ctx.settings.station.building
        for info in found:
            if wanted and wanted in (info.name, info.building_id):
                self.app.switch_screen(HeadcountScreen(info.building_id))
                return
        menu = self.query_one(OptionList)
        menu.clear_options()
        for index, info in enumerate(found):
            menu.add_option(Option(f"{info.name}   {info.rooms} / {info.beds}", id=str(index)))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.app.switch_screen(HeadcountScreen(self.buildings[int(event.option.id)].building_id))


class HeadcountScreen(KioskScreen):
    """Tonight's headcount of one building: rooms in a dense table, one key per complete room."""

    TITLE_KEY = "dorm.action_headcount"
    BINDINGS = [
        Binding("escape", "back", "core.key_back"),
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
        Binding("pageup", "move(-10)", show=False),
        Binding("pagedown", "move(10)", show=False),
        Binding("t", "tick", "dorm.key_tick", priority=True),
        Binding("x", "extra", "dorm.key_extra", priority=True),
        Binding("i", "incidents", "dorm.key_incidents", priority=True),
        Binding("g", "guest", "dorm.key_guest", priority=True),
        Binding("h", "history", "dorm.key_history", priority=True),
        Binding("f10", "submit", "dorm.key_submit"),
        Binding("f6", "new_round", "dorm.key_new_round"),
    ]
    DEFAULT_CSS = """
    HeadcountScreen #hc-title { text-style: bold; color: $accent; padding: 0 1; height: 1; }
    HeadcountScreen #hc-totals { padding: 0 1; height: auto; }
    HeadcountScreen #hc-command { margin: 0 1; }
    HeadcountScreen #hc-body { height: 1fr; }
    HeadcountScreen #hc-rooms { width: 58; height: 1fr; margin: 0 1; }
    HeadcountScreen #hc-detail { width: 1fr; height: 1fr; padding: 0 1; border-left: solid $panel; }
    HeadcountScreen #hc-message { height: auto; min-height: 1; padding: 0 1; text-style: bold; color: $error; }
    HeadcountScreen #hc-message.-info { color: $success; }
    HeadcountScreen #hc-hint { height: 1; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, building_id: str) -> None:
        super().__init__()
        self.building_id = building_id
        self.view = None
        self.cursor = 0
        self.column_keys = []

    def compose(self) -> ComposeResult:
        from textual.containers import Horizontal

        yield Static(id="hc-title")
        yield Static(id="hc-totals")
        yield CommandInput(id="hc-command", max_length=40)
        with Horizontal(id="hc-body"):
            rooms = DataTable(id="hc-rooms", cursor_type="row", zebra_stripes=True)
            rooms.can_focus = False  # the command line keeps the focus; arrow keys move the cursor
            yield rooms
            yield Static(id="hc-detail")
        yield Static("", id="hc-message")
        yield Static(id="hc-hint")

    def on_mount(self) -> None:
        self.query_one(CommandInput).focus()
        self.refresh_text()
        self.load()

    def refresh_text(self) -> None:
        self.query_one(CommandInput).placeholder = t("dorm.hc_scan_placeholder")
        self.query_one("#hc-hint", Static).update(t("dorm.hc_hint"))
        self.render_view()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.query_one(CommandInput).focus()

    def reload(self, _result=None) -> None:
        """After a screen that may have changed the round (tick list, incidents, guests)."""
        self.load()

    def say(self, text: str, info: bool = False) -> None:
        message = self.query_one("#hc-message", Static)
        message.update(text)
        message.set_class(info, "-info")

    # ------------------------------------------------------------ loading and drawing

    @work(thread=True, exclusive=True, exit_on_error=False, group="hc-load")
    def load(self, new_round: bool = False) -> None:
        from kiosk.services import headcount as hc

        try:
            view = hc.open_headcount(self.ctx.actor(), self.building_id, self.ctx.zone, new_round=new_round)
        except hc.HeadcountError as error:
            self.app.call_from_thread(self.say, error.text())
            return
        if view.submitted is False:
            hc.note_gate_returns(self.ctx.actor())
        self.app.call_from_thread(self.set_view, view)

    def set_view(self, view) -> None:
        self.view = view
        self.cursor = min(self.cursor, max(0, len(view.rooms) - 1))
        self.render_view()

    def current_room(self) -> rules.RoomResult | None:
        if self.view is None or not self.view.rooms:
            return None
        return self.view.rooms[self.cursor]

    def update_room(self, room: rules.RoomResult, advance: bool = False) -> None:
        """Put one room's fresh result into the view (totals are a pure sum) and redraw."""
        if self.view is None:
            return
        rooms = tuple(room if r.room_id == room.room_id else r for r in self.view.rooms)
        self.view = replace(self.view, rooms=rooms, totals=rules.totals(rooms))
        if advance:
            self.cursor = min(self.cursor + 1, len(rooms) - 1)
        table = self.query_one(DataTable)
        if len(self.column_keys) != 6 or room.room_id not in table.rows:
            self.render_view()
            return
        # One row changes: update its cells instead of rebuilding a 100-room table on every key.
        for column, cell in zip(self.column_keys, self.room_cells(room)):
            table.update_cell(room.room_id, column, cell)
        self.render_totals()
        table.move_cursor(row=self.cursor)
        self.render_detail()

    def room_cells(self, room: rules.RoomResult) -> list[Text]:
        style = STATUS_STYLE[room.status]
        out = len(room.expected_absent) + len(room.absent)
        cells = (room.number, str(room.expected_count), str(room.present_count), str(len(room.unmarked)),
                 str(out), t(f"dorm.status_{room.status}"))
        return [Text(cell, style=style) for cell in cells]

    def render_totals(self) -> None:
        totals = self.view.totals
        self.query_one("#hc-totals", Static).update(t(
            "dorm.hc_totals", expected=totals.expected, present=totals.present, unmarked=totals.unmarked,
            guests=totals.guests, done=totals.rooms_done, rooms=totals.rooms, **totals.absent))

    def render_view(self) -> None:
        view = self.view
        if view is None:
            return
        zone = self.ctx.zone
        self.query_one("#hc-title", Static).update(
            t("dorm.hc_title", building=view.building_name, night=view.night.isoformat(), seq=view.seq)
            + ("   " + t("dorm.hc_submitted", name=view.submitted_name, at=hhmm(view.submitted_at, zone))
               if view.submitted else ""))
        self.render_totals()
        table = self.query_one(DataTable)
        table.clear(columns=True)
        self.column_keys = table.add_columns(*(t(f"dorm.{key}") for key in (
            "col_room", "col_expected", "col_present", "col_unmarked", "col_out", "col_status")))
        for room in view.rooms:
            table.add_row(*self.room_cells(room), key=room.room_id)
        if view.rooms:
            table.move_cursor(row=self.cursor)
        self.render_detail()

    def render_detail(self) -> None:
        room = self.current_room()
        detail = self.query_one("#hc-detail", Static)
        if room is None:
            detail.update("")
            return
        zone = self.ctx.zone
        lines = [Text(f"{room.number}  {t('dorm.col_expected')} {room.expected_count}  "
                      f"{t('dorm.col_present')} {room.present_count}", style="bold")]
        for line in room.expected:
            if line.state == "present":
                state, style = t("dorm.state_present"), "green"
            elif line.state == "absent":
                state, style = t("dorm.state_absent", reason=reason_label(line.reason)), "bold red"
            else:
                state, style = t("dorm.state_unmarked"), "yellow"
            extra = " ".join(part for part in (line.note, gate_text(line, zone)) if part)
            lines.append(Text(f"  {line.number} {line.name}  {state}  {extra}".rstrip(), style=style))
        for absence in room.expected_absent:
            state = t("dorm.state_expected_out", reason=reason_label(absence.reason))
            lines.append(Text(f"  {absence.number} {absence.name}  {state}  {absence_text(absence, zone)}".rstrip(),
                              style="cyan"))
        for guest in room.guests:
            lines.append(Text(f"  {t('dorm.key_guest')}: {guest.name} ({guest.relation})", style="cyan"))
        for extra in room.extras:
            lines.append(Text(f"  {t('dorm.key_extra')}: {extra.name} {extra.note}".rstrip(), style="magenta"))
        for d in room.disagreements:
            lines.append(Text(f"  ! {d.number} {d.name}: {disagreement_text(d.kind)} {hhmm(d.at, zone)}", style="bold red"))
        detail.update(Text("\n").join(lines))

    def action_move(self, delta: int) -> None:
        if self.view is None or not self.view.rooms:
            return
        self.cursor = max(0, min(len(self.view.rooms) - 1, self.cursor + delta))
        self.query_one(DataTable).move_cursor(row=self.cursor)
        self.render_detail()

    # ------------------------------------------------------------ the command line

    def on_command_input_all_present(self, event: CommandInput.AllPresent) -> None:
        event.stop()
        room = self.current_room()
        if room is not None:
            self.confirm(room.room_id)

    def on_command_input_count(self, event: CommandInput.Count) -> None:
        event.stop()
        room = self.current_room()
        if room is not None:
            self.count(room.room_id, event.counted)

    def on_scan_input_scanned(self, event: ScanInput.Scanned) -> None:
        event.stop()
        self.scan(event.code)

    def _guard(self) -> bool:
        if self.view is None:
            return False
        if self.view.submitted:
            self.say(t("dorm.err_round_submitted"))
            return False
        return True

    @work(thread=True, exclusive=True, exit_on_error=False, group="hc-write")
    def confirm(self, room_id: str) -> None:
        from kiosk.services import headcount as hc

        if not self._guard():
            return
        try:
            room = hc.confirm_room(self.ctx.actor(), self.view.round_id, room_id)
        except hc.HeadcountError as error:
            self.app.call_from_thread(self.say, error.text())
            return
        self.app.call_from_thread(self.say, t("dorm.room_ok", room=room.number, count=room.present_count), True)
        self.app.call_from_thread(self.update_room, room, True)

    @work(thread=True, exclusive=True, exit_on_error=False, group="hc-write")
    def count(self, room_id: str, counted: int, missing=None, extras=None) -> None:
        from kiosk.services import headcount as hc

        if not self._guard():
            return
        try:
            result = hc.count_room(self.ctx.actor(), self.view.round_id, room_id, counted, missing=missing, extras=extras)
        except hc.HeadcountError as error:
            self.app.call_from_thread(self.say, error.text())
            return
        outcome, room = result.outcome, result.room
        settled = (outcome.kind == "all_present" or (outcome.kind == "missing" and missing)
                   or (outcome.kind == "extra" and extras))
        if settled:
            self.app.call_from_thread(self.say, t("dorm.room_count_ok", room=room.number, count=counted), True)
            self.app.call_from_thread(self.update_room, room, True)
            for line in room.absent:
                if line.reason == "unknown":
                    self.app.call_from_thread(self.say, t("dorm.incident_opened", name=line.name))
        elif outcome.kind == "missing":
            self.app.call_from_thread(self.ask_missing, room, counted, outcome.difference)
        else:
            self.app.call_from_thread(self.ask_extras, room, counted, outcome.difference)

    @work(exclusive=True, exit_on_error=False, group="hc-ask")
    async def ask_missing(self, room: rules.RoomResult, counted: int, k: int) -> None:
        chosen = await self.app.push_screen_wait(MissingDialog(room, counted, k))
        if not chosen:
            return
        missing = {}
        for line in chosen:
            answer = await ask_reason(self.app, line.name)
            if answer is None:
                return
            missing[line.student_id] = answer
        self.count(room.room_id, counted, missing=missing)

    @work(exclusive=True, exit_on_error=False, group="hc-ask")
    async def ask_extras(self, room: rules.RoomResult, counted: int, k: int) -> None:
        from kiosk.screens.dialogs import TextDialog

        names = []
        for _ in range(k):
            name = await self.app.push_screen_wait(TextDialog("dorm.extra_title", "dorm.extra_prompt"))
            if not name:
                return
            names.append((name, ""))
        self.count(room.room_id, counted, extras=names)

    @work(thread=True, exclusive=True, exit_on_error=False, group="hc-write")
    def scan(self, code: str) -> None:
        from kiosk.services import headcount as hc

        if not self._guard():
            return
        try:
            result = hc.scan_card(self.ctx.actor(), self.view.round_id, code)
            room = next((r for r in self.view.rooms if r.number == result.room_number), None)
            fresh = hc.room_result(self.view.round_id, room.room_id) if room is not None else None
        except hc.HeadcountError as error:
            self.app.call_from_thread(self.say, error.text())
            return
        self.app.call_from_thread(self.say, t("dorm.scan_ok", name=result.student_name, room=result.room_number), True)
        if fresh is None:  # the roster changed since the view was drawn
            self.app.call_from_thread(self.reload)
        else:
            self.app.call_from_thread(self.update_room, fresh)

    # ------------------------------------------------------------ other keys

    def action_tick(self) -> None:
        room = self.current_room()
        if room is not None and self._guard():
            self.app.push_screen(TickScreen(self.view.round_id, room), self.reload)

    @work(exclusive=True, exit_on_error=False, group="hc-ask")
    async def action_extra(self) -> None:
        from kiosk.screens.dialogs import TextDialog

        room = self.current_room()
        if room is None or not self._guard():
            return
        name = await self.app.push_screen_wait(TextDialog("dorm.extra_prompt"))
        if name:
            self.add_extra(room.room_id, name)

    @work(thread=True, exclusive=True, exit_on_error=False, group="hc-write")
    def add_extra(self, room_id: str, name: str) -> None:
        from kiosk.services import headcount as hc

        try:
            room = hc.add_extra(self.ctx.actor(), self.view.round_id, room_id, name)
        except hc.HeadcountError as error:
            self.app.call_from_thread(self.say, error.text())
            return
        self.app.call_from_thread(self.update_room, room)

    def action_incidents(self) -> None:
        self.app.push_screen(IncidentScreen(), self.reload)

    def action_guest(self) -> None:
        if self.view is not None:
            self.app.push_screen(GuestScreen(self.view.building_id, self.view.night), self.reload)

    def action_history(self) -> None:
        if self.view is not None:
            self.app.push_screen(HistoryScreen(self.view.building_id, self.view.building_name))

    def action_submit(self) -> None:
        from kiosk.screens.dialogs import PinDialog

        if not self._guard():
            return
        session = self.ctx.session
        self.app.push_screen(PinDialog("dorm.submit_title", session.number if session else None,
                                       prompt_key="dorm.submit_prompt"), self._submit_signed)

    def _submit_signed(self, signer) -> None:
        if signer is not None:
            self.submit(signer)

    @work(thread=True, exclusive=True, exit_on_error=False, group="hc-write")
    def submit(self, signer) -> None:
        from kiosk.services import headcount as hc

        try:
            view = hc.submit_round(self.ctx.actor(), self.view.round_id, signer)
        except hc.HeadcountError as error:
            self.app.call_from_thread(self.say, error.text())
            return
        self.app.call_from_thread(self.set_view, view)
        self.app.call_from_thread(self.say, t("dorm.submit_done", hash=view.summary_hash[:12]), True)

    def action_new_round(self) -> None:
        from kiosk.screens.dialogs import ConfirmDialog

        if self.view is None or not self.view.submitted:
            return
        self.app.push_screen(ConfirmDialog(t("dorm.new_round_confirm")),
                             lambda yes: self.load(new_round=True) if yes else None)


async def ask_reason(app, name: str) -> tuple[str, str] | None:
    """Reason picker (+ a note for 'other'); None if cancelled."""
    from kiosk.screens.dialogs import TextDialog

    reason = await app.push_screen_wait(ReasonDialog(name))
    if reason is None:
        return None
    note = ""
    if reason == "other":
        note = await app.push_screen_wait(TextDialog("dorm.other_note_title"))
        if not note:
            return None
    return reason, note


class ReasonDialog(KioskModal):
    """Why is this student absent? One number key."""

    DEFAULT_CSS = """
    ReasonDialog { align: center middle; }
    ReasonDialog > Vertical { width: 56; height: auto; border: thick $accent; background: $surface; padding: 1 2; }
    ReasonDialog .dialog-title { text-style: bold; margin-bottom: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "core.cancel")] + [
        Binding(str(i + 1), f"pick({i})", show=False) for i in range(len(rules.REASONS))]

    def __init__(self, name: str) -> None:
        super().__init__()
        self.student_name = name

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(t("dorm.reason_title", name=self.student_name), classes="dialog-title")
            for i, reason in enumerate(rules.REASONS):
                yield Static(f"[b]{i + 1}[/b]  {reason_label(reason)}")
            yield Static(t("dorm.reason_hint"), classes="muted")

    def action_pick(self, index: int) -> None:
        self.dismiss(rules.REASONS[index])


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
            yield Label(t("dorm.missing_title", room=self.room.number, expected=self.room.expected_count,
                          counted=self.counted, k=self.k), classes="dialog-title")
            yield DataTable(id="missing-table", cursor_type="row")
            yield Static(id="missing-status")
            yield Static(t("dorm.missing_hint", k=self.k), classes="muted")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("", t("dorm.col_number"), t("dorm.col_name"), t("dorm.col_state"))
        self.redraw()
        table.focus()

    def redraw(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for i, line in enumerate(self.lines):
            mark = "[x]" if i in self.selected else "[ ]"
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


class TickScreen(KioskModal):
    """One room's students: Space/Enter = present, a = absent with a reason."""

    DEFAULT_CSS = """
    TickScreen { align: center middle; }
    TickScreen > Vertical { width: 90; height: auto; max-height: 32; border: thick $accent; background: $surface; padding: 1 2; }
    TickScreen .dialog-title { text-style: bold; margin-bottom: 1; }
    TickScreen DataTable { height: auto; max-height: 18; }
    TickScreen #tick-message { color: $error; text-style: bold; height: auto; }
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
            yield Label(t("dorm.tick_title", room=self.room.number), classes="dialog-title")
            yield DataTable(id="tick-table", cursor_type="row")
            yield Static("", id="tick-message")
            yield Static(t("dorm.tick_hint"), classes="muted")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(t("dorm.col_number"), t("dorm.col_name"), t("dorm.col_class"), t("dorm.col_state"),
                          t("dorm.col_note"))
        self.redraw()
        table.focus()

    def redraw(self) -> None:
        zone = self.ctx.zone
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for line in self.room.expected:
            if line.state == "present":
                state, style = t("dorm.state_present"), "green"
            elif line.state == "absent":
                state, style = t("dorm.state_absent", reason=reason_label(line.reason)), "bold red"
            else:
                state, style = t("dorm.state_unmarked"), "yellow"
            note = " ".join(part for part in (line.note, gate_text(line, zone)) if part)
            table.add_row(*(Text(c, style=style) for c in (line.number, line.name, line.class_name, state, note)))
        if self.room.expected:
            table.move_cursor(row=min(row or 0, len(self.room.expected) - 1))

    def selected(self) -> rules.StudentLine | None:
        row = self.query_one(DataTable).cursor_row
        if row is None or row >= len(self.room.expected):
            return None
        return self.room.expected[row]

    def action_present(self) -> None:
        line = self.selected()
        if line is not None:
            self.mark(line.student_id, None)
            table = self.query_one(DataTable)
            if table.cursor_row is not None and table.cursor_row < len(self.room.expected) - 1:
                table.move_cursor(row=table.cursor_row + 1)

    @work(exclusive=True, exit_on_error=False, group="tick-ask")
    async def action_absent(self) -> None:
        line = self.selected()
        if line is None:
            return
        answer = await ask_reason(self.app, line.name)
        if answer is not None:
            self.mark(line.student_id, answer)

    @work(thread=True, exclusive=False, exit_on_error=False, group="tick-write")
    def mark(self, student_id: str, absent: tuple[str, str] | None) -> None:
        from kiosk.services import headcount as hc

        try:
            if absent is None:
                hc.tick(self.ctx.actor(), self.round_id, student_id)
                message = ""
            else:
                result = hc.mark_absent(self.ctx.actor(), self.round_id, student_id, *absent)
                message = t("dorm.incident_opened", name=result.student_name) if result.incident_id else ""
            room = hc.room_result(self.round_id, self.room.room_id)
        except hc.HeadcountError as error:
            self.app.call_from_thread(self.query_one("#tick-message", Static).update, error.text())
            return
        self.app.call_from_thread(self.query_one("#tick-message", Static).update, message)
        self.app.call_from_thread(self._set_room, room)

    def _set_room(self, room: rules.RoomResult) -> None:
        self.room = room
        self.redraw()


class IncidentScreen(KioskScreen):
    """Open unknown-whereabouts incidents with their escalation ladder; acknowledge steps, close with whereabouts."""

    TITLE_KEY = "dorm.inc_title"
    BINDINGS = [
        Binding("escape", "back", "core.key_back"),
        Binding("a", "acknowledge", "dorm.key_ack"),
        Binding("c", "close", "dorm.key_close"),
    ]
    DEFAULT_CSS = """
    IncidentScreen #inc-title { text-style: bold; color: $accent; padding: 0 1; height: 1; }
    IncidentScreen DataTable { height: 12; margin: 0 1; }
    IncidentScreen #inc-detail { height: 1fr; padding: 0 1; }
    IncidentScreen #inc-message { height: auto; min-height: 1; padding: 0 1; text-style: bold; color: $error; }
    IncidentScreen #inc-message.-info { color: $success; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.incidents = []

    def compose(self) -> ComposeResult:
        yield Static(id="inc-title")
        yield DataTable(id="inc-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="inc-detail")
        from kiosk.widgets.sent_notices import SentNotices  # what was sent to whom (issue 17)
        yield SentNotices(id="inc-notices")
        yield Static("", id="inc-message")

    def on_mount(self) -> None:
        self.refresh_text()
        self.query_one(DataTable).focus()
        self.load()
        self.set_interval(30, self.load)

    def refresh_text(self) -> None:
        self.query_one("#inc-title", Static).update(t("dorm.inc_title"))
        self.show(self.incidents)

    def say(self, text: str, info: bool = False) -> None:
        message = self.query_one("#inc-message", Static)
        message.update(text)
        message.set_class(info, "-info")

    @work(thread=True, exclusive=True, exit_on_error=False, group="inc-load")
    def load(self) -> None:
        from kiosk.services import headcount as hc

        hc.note_gate_returns(self.ctx.actor())
        found = hc.incidents(self.ctx.school_id, self.ctx.settings.dorm)
        self.app.call_from_thread(self.show, found)

    def show(self, found) -> None:
        self.incidents = found
        zone = self.ctx.zone
        table = self.query_one(DataTable)
        row = table.cursor_row or 0
        table.clear(columns=True)
        table.add_columns(t("dorm.col_name"), t("dorm.col_number"), t("dorm.col_class"), t("dorm.col_room"),
                          t("dorm.col_night"), t("dorm.col_status"))
        for inc in found:
            worst = next((s.state for s in inc.steps if s.state == "overdue"), "")
            style = "bold red" if worst else ""
            table.add_row(*(Text(c, style=style) for c in (
                inc.student_name, inc.student_number, inc.class_name, f"{inc.building_name} {inc.room_number}",
                inc.night.isoformat(), inc.opened_at.astimezone(zone).strftime("%H:%M"))))
        if found:
            table.move_cursor(row=min(row, len(found) - 1))
        self.show_detail()

    def selected(self):
        row = self.query_one(DataTable).cursor_row
        if not self.incidents or row is None or row >= len(self.incidents):
            return None
        return self.incidents[row]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail()

    def show_detail(self) -> None:
        inc = self.selected()
        detail = self.query_one("#inc-detail", Static)
        self.query_one("#inc-notices").show_for(inc.incident_id if inc else None)
        if inc is None:
            detail.update(t("dorm.inc_none"))
            return
        zone = self.ctx.zone
        lines = [Text(t("dorm.inc_line", name=inc.student_name, number=inc.student_number, klass=inc.class_name,
                        building=inc.building_name, room=inc.room_number,
                        opened=inc.opened_at.astimezone(zone).strftime("%m-%d %H:%M")), style="bold")]
        if inc.note:
            lines.append(Text(inc.note))
        if inc.gate_return_at:
            lines.append(Text(t("dorm.inc_gate_return", at=hhmm(inc.gate_return_at, zone)), style="bold green"))
        styles = {"overdue": "bold red", "due": "bold yellow", "acknowledged": "green"}
        for step in inc.steps:
            who = f"{step.ack.staff_name} {hhmm(step.ack.at, zone)}" if step.ack else ""
            lines.append(Text(f"{step.index + 1}. " + t("dorm.inc_step", role=t(f"dorm.role_{step.role}"),
                                                       due=hhmm(step.due_at, zone),
                                                       state=t(f"dorm.step_{step.state}"), who=who),
                              style=styles.get(step.state, "")))
        lines.append(Text(t("dorm.inc_hint"), style="dim"))
        detail.update(Text("\n").join(lines))

    def action_acknowledge(self) -> None:
        from kiosk.screens.dialogs import PinDialog

        inc = self.selected()
        if inc is None:
            return
        step = next((s for s in inc.steps if s.ack is None and s.state != "not_needed"), None)
        if step is None:
            return
        title = t("dorm.ack_title", role=t(f"dorm.role_{step.role}"))
        self.app.push_screen(PinDialog("dorm.key_ack", prompt_key=None), lambda who: self._ack(inc, step, who))
        self.say(title, True)

    def _ack(self, inc, step, who) -> None:
        if who is not None:
            self.acknowledge(inc.incident_id, step.index, who)

    @work(thread=True, exclusive=True, exit_on_error=False, group="inc-write")
    def acknowledge(self, incident_id: str, step: int, who) -> None:
        from kiosk.services import headcount as hc

        self._write(lambda: hc.acknowledge(self.ctx.actor(), incident_id, step, who, self.ctx.settings.dorm),
                    t("dorm.ack_done", name=who.name))

    def _write(self, change, done_text: str) -> None:
        """In a worker: apply one change to an incident, say how it went, show the list as it is now."""
        from kiosk.services import headcount as hc

        try:
            change()
        except hc.HeadcountError as error:
            self.app.call_from_thread(self.say, error.text())
            return
        self.app.call_from_thread(self.say, done_text, True)
        found = hc.incidents(self.ctx.school_id, self.ctx.settings.dorm)
        self.app.call_from_thread(self.show, found)

    @work(exclusive=True, exit_on_error=False, group="inc-ask")
    async def action_close(self) -> None:
        from kiosk.screens.dialogs import PinDialog, TextDialog

        inc = self.selected()
        if inc is None:
            return
        where = await self.app.push_screen_wait(TextDialog("dorm.close_where_title"))
        if not where:
            return
        who = await self.app.push_screen_wait(PinDialog("dorm.close_confirm_title"))
        if who is not None:
            self.close_incident(inc.incident_id, where, who)

    @work(thread=True, exclusive=True, exit_on_error=False, group="inc-write")
    def close_incident(self, incident_id: str, where: str, who) -> None:
        from kiosk.services import headcount as hc

        self._write(lambda: hc.close_incident(self.ctx.actor(), incident_id, where, who, self.ctx.settings.dorm),
                    t("dorm.close_done"))


class GuestScreen(KioskScreen):
    """陪宿 registration on arrival. After the room (and, if several guests are approved there, the student
    number) the screen looks for an approval the head teacher gave at the office covering tonight: if there is
    one it is shown and prefilled, the supervisor checks the ID card against the masked number (types or reads
    it) and only the dorm manager's PIN is needed. Without one, the exception path: head teacher and dorm
    manager both confirm with their PIN here."""

    TITLE_KEY = "dorm.guest_title"
    FIELDS = ("room", "student", "name", "id", "relation")
    FROM_APPROVAL = ("student", "name", "relation")  # taken from the approval while one is in use
    TYPED_FIELDS = tuple(f"guest-{name}" for name in FIELDS)
    # A different person than the approved one (the card does not match): register without the approval.
    BINDINGS = [Binding("escape", "back", "core.key_back"), Binding("f4", "without_approval", "dorm.key_guest_exception")]
    DEFAULT_CSS = """
    GuestScreen #guest-form { width: 76; height: auto; padding: 1 2; border: heavy $accent; }
    GuestScreen { align: center middle; }
    GuestScreen #guest-approval { height: auto; min-height: 1; color: $warning; }
    GuestScreen #guest-approval.-approved { color: $success; text-style: bold; }
    GuestScreen #guest-message { height: auto; min-height: 1; text-style: bold; color: $error; }
    GuestScreen #guest-message.-info { color: $success; }
    """

    def __init__(self, building_id: str, night) -> None:
        super().__init__()
        self.building_id = building_id
        self.night = night
        self.approval = None  # the ApprovalView this registration uses, if any
        self.without_approval = False  # F4 chose the exception path for this room: lookups do not re-apply one

    def compose(self) -> ComposeResult:
        with Vertical(id="guest-form"):
            yield Label(t("dorm.guest_title"), classes="dialog-title")
            for name in self.FIELDS:
                yield Label(t(f"dorm.guest_{name}"))
                yield FieldInput(id=f"guest-{name}", max_length=40)
            yield Static("", id="guest-approval")
            yield Static("", id="guest-message")

    def on_mount(self) -> None:
        self.query_one("#guest-room", FieldInput).focus()

    def field(self, name: str) -> FieldInput:
        return self.query_one(f"#guest-{name}", FieldInput)

    def say(self, text: str, info: bool = False) -> None:
        message = self.query_one("#guest-message", Static)
        message.update(text)
        message.set_class(info, "-info")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        name = event.input.id.removeprefix("guest-")
        if name == "room":
            self.without_approval = False
        if name in ("room", "student") and not self.without_approval:
            self.look_up(self.field("room").value, self.field("student").value if name == "student" else "")
        if name == "relation" or (name == "id" and self.approval is not None):
            self.approve()
            return
        following = [n for n in self.FIELDS[self.FIELDS.index(name) + 1:] if not self.field(n).disabled]
        if following:
            self.field(following[0]).focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="guest-load")
    def look_up(self, room_number: str, student_number: str) -> None:
        from kiosk.services import headcount as hc

        if not room_number.strip():
            return
        found = hc.night_approvals(self.building_id, self.night, room_number)
        if student_number.strip():
            found = [a for a in found if a.student_number == student_number.strip()]
        self.app.call_from_thread(self.show_approvals, found)

    def show_approvals(self, found) -> None:
        """One usable approval: use it. None: say this is the exception path. Several: ask for the student."""
        usable = [a for a in found if self.night not in a.nights_used]
        box = self.query_one("#guest-approval", Static)
        self.use_approval(usable[0] if len(usable) == 1 else None)
        if len(usable) == 1:
            a = usable[0]
            box.update(t("dorm.guest_approval_found", teacher=a.teacher_name, name=a.guest_name, relation=a.relation,
                         masked=a.id_masked, first=a.first_night.isoformat(), last=a.last_night.isoformat()))
            self.field("id").focus()
        elif usable:
            box.update("\n".join(f"{a.student_number} {a.student_name}: {a.guest_name} ({a.relation}) {a.id_masked}"
                                 for a in usable))
        elif found:
            box.update(t("dorm.guest_approval_used", name=found[0].guest_name))
        else:
            box.update(t("dorm.guest_no_approval"))
        box.set_class(len(usable) == 1, "-approved")

    def action_without_approval(self) -> None:
        """The exception path on purpose: the fields are freed and both PINs will be asked."""
        if self.approval is None:
            return
        self.use_approval(None)
        self.without_approval = True
        box = self.query_one("#guest-approval", Static)
        box.update(t("dorm.guest_exception_chosen"))
        box.set_class(False, "-approved")
        self.field("student").focus()

    def use_approval(self, approval) -> None:
        """Prefill from the approval (those fields cannot be changed while it is used), or free them again."""
        previous, self.approval = self.approval, approval
        for name in self.FROM_APPROVAL:
            field = self.field(name)
            if approval is not None:
                field.value = {"student": approval.student_number, "name": approval.guest_name,
                               "relation": approval.relation}[name]
            elif previous is not None:
                field.value = ""
            field.disabled = approval is not None

    @work(exclusive=True, exit_on_error=False, group="guest-ask")
    async def approve(self) -> None:
        from kiosk.screens.dialogs import PinDialog

        approval = self.approval
        values = {name: self.field(name).value for name in self.FIELDS}
        if approval is not None:
            manager = await self.app.push_screen_wait(PinDialog("dorm.guest_manager"))
            if manager is not None:
                self.register_approved(approval.id, values["id"], manager)
            return
        teacher = await self.app.push_screen_wait(PinDialog("dorm.guest_teacher"))
        if teacher is None:
            return
        manager = await self.app.push_screen_wait(PinDialog("dorm.guest_manager"))
        if manager is None:
            return
        self.register(values, teacher, manager)

    @work(thread=True, exclusive=True, exit_on_error=False, group="guest-write")
    def register_approved(self, approval_id: str, id_number: str, manager) -> None:
        from kiosk.services import headcount as hc

        try:
            guest = hc.register_approved_guest(self.ctx.actor(), self.building_id, approval_id, self.night, id_number,
                                               manager)
        except hc.HeadcountError as error:
            self.app.call_from_thread(self.say, error.text())
            return
        self.app.call_from_thread(self.registered, t("dorm.guest_done", name=guest.name, room=guest.room_number))

    @work(thread=True, exclusive=True, exit_on_error=False, group="guest-write")
    def register(self, values: dict, teacher, manager) -> None:
        from kiosk.services import headcount as hc

        try:
            guest = hc.register_guest_by_numbers(self.ctx.actor(), self.building_id, self.night, values["room"],
                                                 values["name"], values["id"], values["relation"],
                                                 values["student"], teacher, manager)
        except hc.HeadcountError as error:
            self.app.call_from_thread(self.say, error.text())
            return
        self.app.call_from_thread(self.registered, t("dorm.guest_done", name=guest.name, room=guest.room_number))

    def registered(self, text: str) -> None:
        """Saved: an empty form for the next guest (and nothing left that Escape would ask about)."""
        self.use_approval(None)
        self.without_approval = False
        for name in self.FIELDS:
            self.field(name).value = ""
        self.query_one("#guest-approval", Static).update("")
        self.field("room").focus()
        self.say(text, True)


class HistoryScreen(KioskScreen):
    """Previous nights of the building, from the signed summaries."""

    TITLE_KEY = "dorm.action_history"
    DEFAULT_CSS = """
    HistoryScreen #hist-title { text-style: bold; color: $accent; padding: 0 1; height: 1; }
    HistoryScreen DataTable { height: 1fr; margin: 0 1; }
    """

    def __init__(self, building_id: str, building_name: str) -> None:
        super().__init__()
        self.building_id = building_id
        self.building_name = building_name

    def compose(self) -> ComposeResult:
        yield Static(t("dorm.history_title", building=self.building_name), id="hist-title")
        yield DataTable(id="hist-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def load(self) -> None:
        from kiosk.services.headcount import history

        rows = history(self.building_id, limit=60)
        self.app.call_from_thread(self.show, rows)

    def show(self, rows) -> None:
        zone = self.ctx.zone
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_columns(*(t(f"dorm.{k}") for k in ("col_night", "col_round", "col_by", "col_expected", "col_present",
                                                     "col_leave", "col_sick", "col_parent", "col_other", "col_unknown",
                                                     "col_guests", "col_disagree")))
        for h in rows:
            style = "bold red" if h.unknown or h.disagreements else ""
            cells = (h.night.isoformat(), str(h.seq), f"{h.submitted_name} {hhmm(h.submitted_at, zone)}", str(h.expected),
                     str(h.present), str(h.on_leave), str(h.sick_bay), str(h.with_parent), str(h.other), str(h.unknown),
                     str(h.guests), str(h.disagreements))
            table.add_row(*(Text(c, style=style) for c in cells))
        if not rows:
            table.add_row(t("dorm.history_none"), *([""] * 11))
