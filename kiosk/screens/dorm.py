"""Dorm station screens: tonight's headcount of a building, the room tick list, the count discrepancy
picker, absence reasons, history (incidents: kiosk.screens.dorm_incidents; guests: kiosk.screens.dorm_guests).

The building view is built for speed: the command line at the top always has focus and takes student
cards (scanner bursts), a typed count (digits + Enter) or an empty Enter (= everyone expected in the
current room is present, then the cursor moves to the next room). Arrow keys move between rooms.
Everything else is one lowercase letter. No SQL here: `self.call` runs kiosk.services.headcount in a worker.
"""
from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Label, OptionList, Static
from textual.widgets.option_list import Option

from kiosk.i18n import Msg, t
from kiosk.screens.base import KioskModal, KioskScreen
from kiosk.screens.dialogs import PinDialog, TextDialog
from kiosk.services import headcount_common, headcount_counting, headcount_history, headcount_incidents, headcount_rounds, headcount_submit
from kiosk.services import headcount_rules as rules
from kiosk.widgets.message_line import MessageLine
from kiosk.widgets.scan_input import ScanInput, clean_code

STATUS_STYLE = {"done": "green", "open": "", "problem": "bold red"}
# The room each round's cursor was on, kept for the life of the station process: after the idle lock (a long
# walk down the corridor) the supervisor logs in again and lands on the same room; the marks are all stored.
_LAST_ROOM: dict[str, str] = {}


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


def resolution_text(resolution: rules.Resolution | None, zone) -> str:
    """A closed incident's whereabouts and who confirmed it (shown with the mark, which stays as made)."""
    if resolution is None:
        return ""
    return t("dorm.resolved_line", where=resolution.whereabouts, who=resolution.confirmed_name,
             at=resolution.closed_at.astimezone(zone).strftime("%m-%d %H:%M"))


def overdue_text(absence: rules.ExpectedAbsence, zone, contact=None) -> str:
    """逾期未归: how late, the return deadline, whom to call, and the whereabouts once someone recorded them."""
    parts = [t("dorm.overdue_late", late=absence.minutes_late,
               due=absence.return_due.astimezone(zone).strftime("%m-%d %H:%M") if absence.return_due else "")]
    if contact is not None:
        parts.append(t("dorm.overdue_contacts", teacher=contact.teacher_name or "-",
                       teacher_phone=contact.teacher_phone or "-", guardian_phone=contact.guardian_phone or "-"))
    if absence.resolution is not None:
        parts.append(resolution_text(absence.resolution, zone))
    elif absence.whereabouts:
        parts.append(t("dorm.overdue_recorded", reason=reason_label(absence.whereabouts), note=absence.note).rstrip())
    else:
        parts.append(t("dorm.overdue_record_hint"))
    return "  ".join(parts)


def absence_text(absence: rules.ExpectedAbsence, zone, contact=None) -> str:
    if absence.reason == rules.OVERDUE:
        return overdue_text(absence, zone, contact)
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

    HOTKEYS = frozenset("txighz")  # the building view's one-letter keys (student cards carry digits only)

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
        self.call(headcount_common.buildings, self.ctx.school_id, then=self.show)

    def refresh_text(self) -> None:
        self.query_one("#pick-title", Static).update(t("dorm.pick_building_title"))
        self.query_one("#pick-hint", Static).update(t("dorm.pick_building_hint"))

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
        if found:
            menu.highlighted = 0  # Enter opens the first building at once; Down moves to the second

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
        Binding("z", "undo", "dorm.key_undo", priority=True),
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
    HeadcountScreen.-narrow #hc-rooms { width: 42; margin: 0; }  /* 80 columns: the side panel keeps the reasons */
    HeadcountScreen #hc-detail { width: 1fr; height: 1fr; padding: 0 1; border-left: solid $panel; }
    HeadcountScreen #hc-hint { height: 1; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, building_id: str) -> None:
        super().__init__()
        self.building_id = building_id
        self.view = None
        self.cursor = 0
        self.column_keys = []
        self.last_confirmed: str | None = None  # the room the last Enter confirmed: z takes it back

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
        yield MessageLine(id="hc-message")
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

    # ------------------------------------------------------------ loading and drawing

    def load(self, new_round: bool = False) -> None:
        self.call(open_round_noting_returns, self.ctx.actor(), self.building_id, self.ctx.zone, new_round,
                  then=self.set_view, group="hc-load")

    def set_view(self, view) -> None:
        first = self.view is None
        self.view = view
        if first and view.round_id in _LAST_ROOM:
            self.cursor = next((i for i, r in enumerate(view.rooms) if r.room_id == _LAST_ROOM[view.round_id]), 0)
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
        # Only the absences there are: the full list wrapped at 80 columns and pushed the rooms down.
        parts = [t("dorm.hc_totals", expected=totals.expected, present=totals.present, unmarked=totals.unmarked,
                   done=totals.rooms_done, rooms=totals.rooms)]
        parts += [f"{reason_label(reason)} {count}" for reason, count in totals.absent.items() if count]
        if totals.guests:
            parts.append(f"{t('dorm.key_guest')} {totals.guests}")
        self.query_one("#hc-totals", Static).update("  ".join(parts))

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
        _LAST_ROOM[self.view.round_id] = room.room_id
        zone = self.ctx.zone
        lines = [Text(f"{room.number}  {t('dorm.col_expected')} {room.expected_count}  "
                      f"{t('dorm.col_present')} {room.present_count}", style="bold")]
        for line in room.expected:
            if line.state == "present":
                state, style = t("dorm.state_present"), "green"
            elif line.state == "absent":
                state, style = t("dorm.state_absent", reason=reason_label(line.reason)), "bold red"
                if line.resolution is not None:
                    style = "yellow"
            else:
                state, style = t("dorm.state_unmarked"), "yellow"
            extra = " ".join(part for part in (line.note, gate_text(line, zone), resolution_text(line.resolution, zone))
                             if part)
            lines.append(Text(f"  {line.number} {line.name}  {state}  {extra}".rstrip(), style=style))
        contacts = self.view.contacts
        for absence in room.overdue:  # shown first and apart: the first thing the dorm must see
            text = f"  {absence.number} {absence.name}  {reason_label(absence.reason)}  "
            text += absence_text(absence, zone, contacts.get(absence.student_id))
            lines.append(Text(text, style="bold red" if absence.needs_whereabouts else "yellow"))
        for absence in room.expected_absent:
            if absence.reason == rules.OVERDUE:
                continue
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
        index = next((i for i, r in enumerate(self.view.rooms) if r.number == event.code), None) if self.view else None
        if index is not None:  # a room number typed: jump there (student cards are longer than room numbers)
            self.cursor = index
            self.query_one(DataTable).move_cursor(row=index)
            self.render_detail()
            return
        self.scan(event.code)

    def _guard(self) -> bool:
        if self.view is None:
            return False
        if self.view.submitted:
            self.say("dorm.err_round_submitted", level="error")
            return False
        return True

    def confirm(self, room_id: str) -> None:
        if not self._guard():
            return

        def done(room: rules.RoomResult) -> None:
            self.say("dorm.room_ok", level="ok", room=room.number, count=room.present_count)
            self.last_confirmed = room.room_id
            self.update_room(room, True)

        self.call(headcount_counting.confirm_room, self.ctx.actor(), self.view.round_id, room_id, then=done, group="hc-write")

    def count(self, room_id: str, counted: int, missing=None, extras=None) -> None:
        if not self._guard():
            return
        self.call(headcount_counting.count_room, self.ctx.actor(), self.view.round_id, room_id, counted, missing=missing,
                  extras=extras, then=lambda result: self.counted(result, counted, missing, extras), group="hc-write")

    def counted(self, result, counted: int, missing, extras) -> None:
        outcome, room = result.outcome, result.room
        if outcome.kind == "missing" and not missing:
            self.app.push_screen(MissingDialog(room, counted, outcome.difference),
                                 lambda chosen: self.ask_missing_reasons(room, counted, chosen))
            return
        if outcome.kind == "extra" and not extras:
            self.ask_extras(room, counted, outcome.difference, [])
            return
        expected = room.expected_count
        if outcome.kind == "all_present":
            self.say("dorm.room_count_ok", level="ok", room=room.number, count=counted)
        elif outcome.kind == "missing":
            self.say("dorm.room_count_short", level="ok", room=room.number, count=counted, expected=expected,
                     k=outcome.difference)
        else:
            self.say("dorm.room_count_extra", level="ok", room=room.number, count=counted, expected=expected,
                     k=outcome.difference)
        self.update_room(room, True)
        for line in room.absent:
            if line.reason == "unknown" and line.resolution is None:
                self.say(incident_opened(line.name, result.contacts.get(line.student_id)), level="error")

    def ask_missing_reasons(self, room: rules.RoomResult, counted: int, chosen) -> None:
        """One reason per student picked as missing, one dialog after another; Escape anywhere writes nothing."""
        if not chosen:
            return
        answers: dict = {}

        def next_one(index: int) -> None:
            if index == len(chosen):
                self.count(room.room_id, counted, missing=answers)
                return
            line = chosen[index]

            def checked(answer, problem) -> None:
                if problem is not None:  # e.g. 请假离校 without a gate record: say why, ask this student again
                    self.say(problem, level="error")
                    next_one(index)
                    return
                answers[line.student_id] = answer
                next_one(index + 1)

            def answered(answer) -> None:
                if answer is not None:
                    self.call(headcount_counting.reason_problem, self.view.round_id, line.student_id, *answer,
                              then=lambda problem: checked(answer, problem), group="hc-check")

            ask_reason(self.app, line.name, answered)

        next_one(0)

    def ask_extras(self, room: rules.RoomResult, counted: int, k: int, names: list) -> None:
        if len(names) == k:
            self.count(room.room_id, counted, extras=names)
            return

        def answered(name) -> None:
            if name:
                self.ask_extras(room, counted, k, [*names, (name, "")])

        self.app.push_screen(TextDialog("dorm.extra_title", "dorm.extra_prompt"), answered)

    def scan(self, code: str) -> None:
        if not self._guard():
            return

        def done(found) -> None:
            result, fresh = found
            self.say("dorm.scan_ok", level="ok", name=result.student_name, room=result.room_number)
            if fresh is None:  # the roster changed since the view was drawn
                self.reload()
            else:
                self.update_room(fresh)

        self.call(scan_and_refresh, self.ctx.actor(), self.view, code, then=done, group="hc-write")

    # ------------------------------------------------------------ other keys

    def action_undo(self) -> None:
        """z: take back the last Enter (the room it confirmed is to be counted again); the cursor goes back there."""
        if not self._guard() or self.last_confirmed is None:
            return
        room_id = self.last_confirmed

        def done(room: rules.RoomResult) -> None:
            self.last_confirmed = None
            self.say("dorm.room_undone", level="ok", room=room.number)
            self.cursor = next((i for i, r in enumerate(self.view.rooms) if r.room_id == room_id), self.cursor)
            self.update_room(room)

        self.call(headcount_counting.undo_confirm, self.ctx.actor(), self.view.round_id, room_id, then=done, group="hc-write")

    def action_tick(self) -> None:
        room = self.current_room()
        if room is not None and self._guard():
            self.app.push_screen(TickScreen(self.view.round_id, room), self.reload)

    def action_extra(self) -> None:
        room = self.current_room()
        if room is None or not self._guard():
            return

        def answered(name) -> None:
            if name:
                self.call(headcount_counting.add_extra, self.ctx.actor(), self.view.round_id, room.room_id, name,
                          then=self.update_room, group="hc-write")

        self.app.push_screen(TextDialog("dorm.extra_prompt"), answered)

    def action_incidents(self) -> None:
        from kiosk.screens.dorm_incidents import IncidentScreen

        self.app.push_screen(IncidentScreen(), self.reload)

    def action_guest(self) -> None:
        from kiosk.screens.dorm_guests import GuestScreen

        if self.view is not None:
            room = self.current_room()
            self.app.push_screen(GuestScreen(self.view.building_id, self.view.night, room.number if room else ""),
                                 self.reload)

    def action_history(self) -> None:
        if self.view is not None:
            self.app.push_screen(HistoryScreen(self.view.building_id, self.view.building_name))

    def action_submit(self) -> None:
        """F10: first what is abnormal tonight (the supervisor signs knowing it), then the PIN."""
        from kiosk.screens.dialogs import ConfirmDialog

        if not self._guard():
            return
        session = self.ctx.session

        def confirmed(yes: bool) -> None:
            if yes:
                self.app.push_screen(PinDialog("dorm.submit_title", session.number if session else None,
                                               prompt_key="dorm.submit_prompt"), self._submit_signed)

        self.app.push_screen(ConfirmDialog(submit_summary(self.view), confirm_key="dorm.submit_sign"), confirmed)

    def _submit_signed(self, signer) -> None:
        if signer is not None:
            self.submit(signer)

    def submit(self, signer) -> None:
        def done(view) -> None:
            self.set_view(view)
            self.say("dorm.submit_done", level="ok", hash=view.summary_hash[:12])

        self.call(headcount_submit.submit_round, self.ctx.actor(), self.view.round_id, signer, then=done, group="hc-write")

    def action_new_round(self) -> None:
        from kiosk.screens.dialogs import ConfirmDialog

        if self.view is None or not self.view.submitted:
            return
        self.app.push_screen(ConfirmDialog(t("dorm.new_round_confirm")),
                             lambda yes: self.load(new_round=True) if yes else None)


def incident_opened(name: str, contact) -> Msg:
    """An unknown whereabouts was reported: say whom to call, by name and number."""
    if contact is None:
        return Msg("dorm.incident_opened", name=name)
    return Msg("dorm.incident_opened_call", name=name, teacher=contact.teacher_name or "-",
               teacher_phone=contact.teacher_phone or "-", guardian_phone=contact.guardian_phone or "-")


def submit_summary(view) -> str:
    """What the supervisor signs: the totals and everything abnormal, named."""
    totals = view.totals
    lines = [t("dorm.submit_summary_head", expected=totals.expected, present=totals.present, rooms=totals.rooms)]
    for room in view.rooms:
        for line in room.unmarked:
            lines.append(t("dorm.submit_summary_unmarked", room=room.number, name=line.name))
        for line in room.absent:
            lines.append(t("dorm.submit_summary_absent", room=room.number, name=line.name,
                           reason=reason_label(line.reason)))
        for absence in room.overdue:
            lines.append(t("dorm.submit_summary_absent", room=room.number, name=absence.name,
                           reason=reason_label(absence.reason)))
        for d in room.disagreements:
            lines.append(t("dorm.submit_summary_absent", room=room.number, name=d.name, reason=disagreement_text(d.kind)))
        for extra in room.extras:
            lines.append(t("dorm.submit_summary_absent", room=room.number, name=extra.name, reason=t("dorm.key_extra")))
        for guest in room.guests:
            lines.append(t("dorm.submit_summary_absent", room=room.number, name=guest.name, reason=t("dorm.key_guest")))
    if len(lines) == 1:
        lines.append(t("dorm.submit_summary_nothing"))
    return "\n".join(lines)


def open_round_noting_returns(actor, building_id: str, zone, new_round: bool):
    """In the worker: tonight's round, after noting gate returns on open incidents (an open round only)."""
    view = headcount_rounds.open_headcount(actor, building_id, zone, new_round=new_round)
    if not view.submitted:
        headcount_incidents.note_gate_returns(actor)
    return view


def scan_and_refresh(actor, view, code: str):
    """In the worker: a student card marks its owner present; returns (result, that room now or None)."""
    result = headcount_counting.scan_card(actor, view.round_id, code)
    room = next((r for r in view.rooms if r.number == result.room_number), None)
    return result, (headcount_counting.room_result(view.round_id, room.room_id) if room is not None else None)


def mark_student(actor, round_id: str, room_id: str, student_id: str, absent: tuple[str, str] | None):
    """In the worker: present (absent is None) or absent with (reason, note); returns (MarkResult or None, room)."""
    result = None
    if absent is None:
        headcount_counting.tick(actor, round_id, student_id)
    else:
        result = headcount_counting.mark_absent(actor, round_id, student_id, *absent)
    return result, headcount_counting.room_result(round_id, room_id)


def ask_reason(app, name: str, done) -> None:
    """Reason picker (+ a note for 'other'); `done((reason, note))`, or nothing if cancelled."""

    def picked(reason) -> None:
        if reason is None:
            return
        if reason != "other":
            done((reason, ""))
            return
        app.push_screen(TextDialog("dorm.other_note_title"), lambda note: done((reason, note)) if note else None)

    app.push_screen(ReasonDialog(name), picked)


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


class TickScreen(KioskModal):
    """One room's students: Space/Enter = present, a = absent with a reason."""

    DEFAULT_CSS = """
    TickScreen { align: center middle; }
    TickScreen > Vertical { width: 90; height: auto; max-height: 32; border: thick $accent; background: $surface; padding: 1 2; }
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
            yield Label(t("dorm.tick_title", room=self.room.number), classes="dialog-title")
            yield DataTable(id="tick-table", cursor_type="row")
            yield MessageLine(id="tick-message")
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
                if line.resolution is not None:
                    style = "yellow"
            else:
                state, style = t("dorm.state_unmarked"), "yellow"
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
            ask_reason(self.app, line.name, lambda answer: self.mark(line.student_id, answer))

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
        self.call(headcount_history.history, self.building_id, limit=60, then=self.show)

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
