"""Dorm station: tonight's headcount of a building. The building picker: kiosk.screens.dorm_buildings; the room
tick list, the reason and missing pickers: dorm_tick; history: dorm_history; incidents: dorm_incidents; guests:
dorm_guests; how a headcount is worded: dorm_texts.

The building view is built for speed: the command line at the top (kiosk.screens.dorm_command) always has focus
and takes student cards (scanner bursts), a typed count (digits + Enter) or an empty Enter (= everyone expected in
the current room is present, then the cursor moves to the next room). Arrow keys move between rooms.
Everything else is one lowercase letter. No SQL here: `self.call` runs kiosk.services.headcount_* in a worker.
"""
from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Static

from kiosk.clock_times import hhmm
from kiosk.i18n import Msg, t
from kiosk.screens.base import KioskScreen
from kiosk.screens.dialogs import ConfirmDialog, PinDialog, TextDialog
from kiosk.screens.dorm_command import CommandInput
from kiosk.screens.dorm_guests import GuestScreen
from kiosk.screens.dorm_history import HistoryScreen
from kiosk.screens.dorm_incidents import IncidentScreen
from kiosk.screens.dorm_texts import (absence_text, disagreement_text, gate_text, incident_opened, line_state, reason_label,
                                      resolution_text, submit_summary, uncounted_refusal)
from kiosk.screens.dorm_tick import MissingDialog, TickScreen, ask_reason
from kiosk.services import headcount_counting, headcount_incidents, headcount_rounds, headcount_submit
from kiosk.services import headcount_rules as rules
from kiosk.widgets.message_line import MessageLine
from kiosk.widgets.scan_input import ScanInput

STATUS_STYLE = {"done": "green", "open": "", "problem": "bold red"}
# The room each round's cursor was on, kept for the life of the station process: after the idle lock (a long
# walk down the corridor) the supervisor logs in again and lands on the same room; the marks are all stored.
_LAST_ROOM: dict[str, str] = {}


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
        self.render_view()

    def submitted(self) -> bool:
        return self.view is not None and self.view.submitted

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """The keys that change the round only while it is open; F6 (a new round) only once it is signed. The key
        bar offered t, x, z and F10 on a signed round (each refused) and F6 on an open one (which did nothing)."""
        if action in ("tick", "extra", "undo", "submit"):
            return not self.submitted()
        if action == "new_round":
            return self.submitted()
        return True

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
        self.refresh_bindings()
        self.refresh_bars()

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
        # A signed round takes no counts: the hint says what is left to do instead of the keys that would be refused.
        self.query_one("#hc-hint", Static).update(t("dorm.hc_hint_submitted" if self.submitted() else "dorm.hc_hint"))
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
            state, style = line_state(line)
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
                if problem is not None:  # e.g. the gate record changed since the list was drawn: say why, ask again
                    self.say(problem, level="error")
                    next_one(index)
                    return
                answers[line.student_id] = answer
                next_one(index + 1)

            def answered(answer) -> None:
                if answer is not None:
                    self.call(headcount_counting.reason_problem, self.view.round_id, line.student_id, *answer,
                              then=lambda problem: checked(answer, problem), group="hc-check")

            ask_reason(self.app, line.name, line.leave_refusal, answered)

        next_one(0)

    def ask_extras(self, room: rules.RoomResult, counted: int, k: int, names: list) -> None:
        if len(names) == k:
            self.count(room.room_id, counted, extras=names)
            return

        def answered(name) -> None:
            if name:
                self.ask_extras(room, counted, k, [*names, (name, "")])

        # The room and how many are extra in the title (it showed "{room}" and "{k}"); an empty name is refused
        # there, since the count waits for every name.
        self.app.push_screen(TextDialog("dorm.extra_title", "dorm.extra_prompt", required=True,
                                        required_key="dorm.extra_name_needed", room=room.number, k=k), answered)

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
        self.app.push_screen(IncidentScreen(), self.reload)

    def action_guest(self) -> None:
        if self.view is not None:
            room = self.current_room()
            self.app.push_screen(GuestScreen(self.view.building_id, self.view.night, room.number if room else ""),
                                 self.reload)

    def action_history(self) -> None:
        if self.view is not None:
            self.app.push_screen(HistoryScreen(self.view.building_id, self.view.building_name))

    def action_submit(self) -> None:
        """F10: first what is abnormal tonight (the supervisor signs knowing it), then the PIN. With students not
        yet counted there is nothing to sign: said at once, on the first room to count, before any list or PIN
        (the list used to name every student of the building, and the PIN was refused after it was typed)."""
        if not self._guard():
            return
        refusal = uncounted_refusal(self.view)
        if refusal is not None:
            self.cursor = next(i for i, room in enumerate(self.view.rooms) if room.unmarked)
            self.query_one(DataTable).move_cursor(row=self.cursor)
            self.render_detail()
            self.say(refusal, level="error")
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
        if self.view is None or not self.view.submitted:
            return
        self.app.push_screen(ConfirmDialog(Msg("dorm.new_round_confirm")),
                             lambda yes: self.load(new_round=True) if yes else None)


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


