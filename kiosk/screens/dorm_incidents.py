"""Dorm station (and office): open unknown-whereabouts incidents with their escalation ladder (each step
acknowledged by a named person with a PIN), whom to call, and closing with a recorded whereabouts and who
confirmed it. A TableScreen: the list, the highlighted incident's ladder below it.
No SQL here: `self.call` runs kiosk.services.headcount_incidents in a worker."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from kiosk.clock_times import hhmm, mmdd_hhmm
from kiosk.i18n import Msg, t
from kiosk.screens.dialogs import PinDialog, TextDialog
from kiosk.screens.dorm_texts import contact_text
from kiosk.screens.table import TableScreen
from kiosk.services import headcount_incidents
from kiosk.widgets.sent_notices import SentNotices

# The list refreshes itself this often: an acknowledgement or a gate return elsewhere shows without a key.
REFRESH_SECONDS = 30
STEP_STYLES = {"overdue": "bold red", "due": "bold yellow", "acknowledged": "green"}


class IncidentScreen(TableScreen):
    """Open unknown-whereabouts incidents; `a` acknowledges the next step, `c` closes with the whereabouts."""

    TITLE_KEY = "dorm.inc_title"
    COLUMN_KEYS = ("dorm.col_name", "dorm.col_number", "dorm.col_class", "dorm.col_room", "dorm.col_night",
                   "dorm.col_opened")
    BINDINGS = TableScreen.BINDINGS + [
        Binding("a", "acknowledge", "dorm.key_ack"),
        Binding("c", "close", "dorm.key_close"),
    ]
    # The list as tall as its rows (up to 10): at 80x24 a fixed 12-row table pushed the ladder's last step and the
    # key hint off the screen below it.
    DEFAULT_CSS = """
    IncidentScreen DataTable { height: auto; max-height: 10; }
    IncidentScreen #inc-detail { height: auto; padding: 0 1; }
    """

    def compose_below_table(self) -> ComposeResult:
        yield Static(id="inc-detail")
        yield SentNotices(id="inc-notices")  # what was sent to whom (issue 17)

    def on_mount(self) -> None:
        self.unconfirmed_whereabouts: dict[str, str] = {}  # incident id -> typed, then the PIN cancelled
        self.set_interval(REFRESH_SECONDS, self.load)

    def load(self) -> None:
        self.call(incidents_noting_returns, self.ctx.actor(), self.ctx.settings.dorm, then=self.show_rows,
                  group="inc-load")

    def cells(self, inc):
        style = "bold red" if any(step.state == "overdue" for step in inc.steps) else ""
        return [Text(cell, style=style) for cell in (
            inc.student_name, inc.student_number, inc.class_name, f"{inc.building_name} {inc.room_number}",
            inc.night.isoformat(), hhmm(inc.opened_at, self.ctx.zone))]

    def show_rows(self, rows) -> None:
        """Redrawn every REFRESH_SECONDS: the cursor stays on the row it was on."""
        row = self.query_one(DataTable).cursor_row or 0
        super().show_rows(rows)
        if self.rows:
            self.query_one(DataTable).move_cursor(row=min(row, len(self.rows) - 1))
        self.show_detail()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail()

    def show_detail(self) -> None:
        inc = self.selected()
        detail = self.query_one("#inc-detail", Static)
        self.query_one("#inc-notices", SentNotices).show_for(inc.incident_id if inc else None)
        if inc is None:
            detail.update(t("dorm.inc_none"))
            return
        zone = self.ctx.zone
        lines = [Text(t("dorm.inc_line", name=inc.student_name, number=inc.student_number, klass=inc.class_name,
                        building=inc.building_name, room=inc.room_number, opened=mmdd_hhmm(inc.opened_at, zone)),
                      style="bold")]
        if inc.contact is not None:
            lines.append(Text(contact_text(inc.contact), style="bold"))
        if inc.note:
            lines.append(Text(inc.note))
        if inc.gate_return_at:
            lines.append(Text(t("dorm.inc_gate_return", at=hhmm(inc.gate_return_at, zone)), style="bold green"))
        for step in inc.steps:
            who = f"{step.ack.staff_name} {hhmm(step.ack.at, zone)}" if step.ack else ""
            lines.append(Text(f"{step.index + 1}. " + t("dorm.inc_step", role=t(f"dorm.role_{step.role}"),
                                                       due=hhmm(step.due_at, zone),
                                                       state=t(f"dorm.step_{step.state}"), who=who),
                              style=STEP_STYLES.get(step.state, "")))
        lines.append(Text(t("dorm.inc_hint"), style="dim"))
        detail.update(Text("\n").join(lines))

    def action_acknowledge(self) -> None:
        inc = self.selected()
        if inc is None:
            return
        step = next((s for s in inc.steps if s.ack is None and s.state != "not_needed"), None)
        if step is None:
            return
        # The dialog says whose step this is and for which student: the message line is behind it.
        title = Msg("dorm.ack_pin_title", name=inc.student_name, role=Msg(f"dorm.role_{step.role}"))
        self.app.push_screen(PinDialog(title), lambda who: self._ack(inc, step, who))

    def _ack(self, inc, step, who) -> None:
        if who is None:
            return
        self.call(change_incident, headcount_incidents.acknowledge, self.ctx.actor(), inc.incident_id, step.index, who,
                  self.ctx.settings.dorm, then=lambda found: self._changed(found, "dorm.ack_done", name=who.name),
                  group="inc-write")

    def _changed(self, found, key: str, **values) -> None:
        self.say(key, level="ok", **values)
        self.show_rows(found)

    def action_close(self) -> None:
        """Where the student is (an empty answer is refused in the dialog), then who confirms it, with a PIN."""
        inc = self.selected()
        if inc is None:
            return

        def confirmed(where: str, who) -> None:
            if who is None:
                # Escape at the PIN: not closed, and said so; the answer typed is offered again next time.
                self.unconfirmed_whereabouts[inc.incident_id] = where
                self.say("dorm.close_not_confirmed", level="warning")
                return
            self.unconfirmed_whereabouts.pop(inc.incident_id, None)
            self.call(change_incident, headcount_incidents.close_incident, self.ctx.actor(), inc.incident_id, where,
                      who, self.ctx.settings.dorm, then=lambda found: self._changed(found, "dorm.close_done"),
                      group="inc-write")

        def written(where) -> None:
            if where:
                self.app.push_screen(PinDialog("dorm.close_confirm_title"), lambda who: confirmed(where, who))

        self.app.push_screen(TextDialog("dorm.close_where_title", required=True,
                                        required_key="dorm.err_whereabouts_needed",
                                        value=self.unconfirmed_whereabouts.get(inc.incident_id, "")), written)


def incidents_noting_returns(actor, dorm_settings):
    """In the worker: note gate returns on open incidents, then the open incidents as they are now."""
    headcount_incidents.note_gate_returns(actor)
    return headcount_incidents.incidents(actor.school_id, dorm_settings)


def change_incident(change, actor, incident_id: str, *args):
    """In the worker: acknowledge or close (`change`), then the open incidents as they are now."""
    change(actor, incident_id, *args)
    return headcount_incidents.incidents(actor.school_id, args[-1])
