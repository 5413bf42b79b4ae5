"""Dorm station: open unknown-whereabouts incidents with their escalation ladder (each step acknowledged by a
named person with a PIN), whom to call, and closing with a recorded whereabouts and who confirmed it.
No SQL here: `self.call` runs kiosk.services.headcount in a worker."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from kiosk.i18n import t
from kiosk.screens.base import KioskModal, KioskScreen
from kiosk.screens.dialogs import PinDialog
from kiosk.screens.dorm import hhmm
from kiosk.services import headcount_incidents
from kiosk.widgets.message_line import MessageLine


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
        yield MessageLine(id="inc-message")

    def on_mount(self) -> None:
        self.refresh_text()
        self.query_one(DataTable).focus()
        self.load()
        self.set_interval(30, self.load)

    def refresh_text(self) -> None:
        self.query_one("#inc-title", Static).update(t("dorm.inc_title"))
        self.show(self.incidents)

    def load(self) -> None:
        self.call(incidents_noting_returns, self.ctx.actor(), self.ctx.settings.dorm, then=self.show, group="inc-load")

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
        if inc.contact is not None:
            lines.append(Text(t("dorm.overdue_contacts", teacher=inc.contact.teacher_name or "-",
                                teacher_phone=inc.contact.teacher_phone or "-",
                                guardian_phone=inc.contact.guardian_phone or "-"), style="bold"))
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
        inc = self.selected()
        if inc is None:
            return
        step = next((s for s in inc.steps if s.ack is None and s.state != "not_needed"), None)
        if step is None:
            return
        self.app.push_screen(PinDialog("dorm.key_ack", prompt_key=None), lambda who: self._ack(inc, step, who))
        self.say("dorm.ack_title", level="info", role=t(f"dorm.role_{step.role}"))

    def _ack(self, inc, step, who) -> None:
        if who is None:
            return
        self.call(change_incident, headcount_incidents.acknowledge, self.ctx.actor(), inc.incident_id, step.index, who,
                  self.ctx.settings.dorm, then=lambda found: self._changed(found, "dorm.ack_done", name=who.name),
                  group="inc-write")

    def _changed(self, found, key: str, **values) -> None:
        self.say(key, level="ok", **values)
        self.show(found)

    def action_close(self) -> None:
        inc = self.selected()
        if inc is None:
            return

        def confirmed(where: str, who) -> None:
            if who is None:
                return
            self.call(change_incident, headcount_incidents.close_incident, self.ctx.actor(), inc.incident_id, where, who,
                      self.ctx.settings.dorm, then=lambda found: self._changed(found, "dorm.close_done"),
                      group="inc-write")

        def written(where) -> None:
            if where:
                self.app.push_screen(PinDialog("dorm.close_confirm_title"), lambda who: confirmed(where, who))

        self.app.push_screen(WhereaboutsDialog(), written)


def incidents_noting_returns(actor, dorm_settings):
    """In the worker: note gate returns on open incidents, then the open incidents as they are now."""
    headcount_incidents.note_gate_returns(actor)
    return headcount_incidents.incidents(actor.school_id, dorm_settings)


def change_incident(change, actor, incident_id: str, *args):
    """In the worker: acknowledge or close (`change`), then the open incidents as they are now."""
    change(actor, incident_id, *args)
    return headcount_incidents.incidents(actor.school_id, args[-1])


class WhereaboutsDialog(KioskModal):
    """Where was the student? An empty answer is refused here with a message (Escape still cancels): an
    incident closes only with a recorded whereabouts. Dismisses with the text, or None on Escape."""

    DEFAULT_CSS = """
    WhereaboutsDialog { align: center middle; }
    WhereaboutsDialog > Vertical { width: 64; height: auto; border: thick $accent; background: $surface; padding: 1 2; }
    WhereaboutsDialog .dialog-title { text-style: bold; margin-bottom: 1; }
    """

    def compose(self) -> ComposeResult:
        from kiosk.widgets.catalog_text import CatalogText

        with Vertical():
            yield CatalogText("dorm.close_where_title", classes="dialog-title")
            yield Input(id="where-text", max_length=200)
            yield MessageLine(id="where-error")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value.strip():
            self.say("dorm.err_whereabouts_needed", level="error")
            return
        self.dismiss(event.value.strip())
