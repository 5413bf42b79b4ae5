"""Gate: visitors on site now. Overstayers highlighted (never closed automatically); sign out by scanning
the visitor slip (or typing its code) or by picking a row; F7 writes the evacuation list in one key."""
from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static
from rich.text import Text

from kiosk import clock, paths
from kiosk.i18n import t
from kiosk.screens.base import KioskScreen
from kiosk.widgets.scan_input import ScanInput

REVEAL_SECONDS = 20
# What the gatekeeper acts on comes first (the code to sign out with, who, overstay, when due), so it stays
# whole on an 80-column terminal and in English; the rest may scroll off to the right.
COLUMNS = ("col_code", "col_name", "col_overstay", "col_expected_leave", "col_time_in", "col_host", "col_phone",
           "col_category", "col_companions", "col_id")


class OnsiteScreen(KioskScreen):
    TITLE_KEY = "gate.title_onsite"
    BINDINGS = [
        Binding("escape", "back", "core.key_back"),
        Binding("f2", "sign_out", "gate.key_signout"),
        Binding("f5", "refresh", "gate.key_refresh"),
        Binding("f7", "evacuation", "gate.key_evacuation", priority=True),
        Binding("f8", "reveal", "gate.key_reveal"),
    ]
    DEFAULT_CSS = """
    OnsiteScreen #onsite-title { text-style: bold; color: $accent; padding: 0 1; height: 1; }
    OnsiteScreen #onsite-summary { padding: 0 1; height: 1; }
    OnsiteScreen #onsite-scan { margin: 0 1; }
    OnsiteScreen DataTable { height: 1fr; margin: 0 1; }
    OnsiteScreen #onsite-message { height: auto; min-height: 2; padding: 0 1; text-style: bold; color: $error; }
    OnsiteScreen #onsite-message.-info { color: $success; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.rows = []
        self.message_text = ""

    def compose(self) -> ComposeResult:
        yield Static(id="onsite-title")
        yield Static(id="onsite-summary")
        yield ScanInput(id="onsite-scan", max_length=40)
        yield DataTable(id="onsite-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="onsite-message")

    def on_mount(self) -> None:
        self.refresh_text()
        self.query_one("#onsite-scan", ScanInput).focus()
        self.action_refresh()
        self.set_interval(60, self.action_refresh)

    def refresh_text(self) -> None:
        self.query_one("#onsite-title", Static).update(t("gate.title_onsite"))
        self.query_one("#onsite-scan", ScanInput).placeholder = t("gate.ph_signout_scan")
        self.show_rows(self.rows)

    def show(self, text: str, info: bool = False) -> None:
        self.message_text = text
        message = self.query_one("#onsite-message", Static)
        message.update(text)
        message.set_class(info, "-info")

    # ------------------------------------------------------------ list

    def action_refresh(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="gate-onsite")
    def load(self) -> None:
        from kiosk.services.visitors import onsite

        rows = onsite(self.ctx.school_id)
        self.app.call_from_thread(self.show_rows, rows)

    def show_rows(self, rows) -> None:
        from kiosk.services.gate_exports import category_label

        self.rows = rows
        zone = self.ctx.zone
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_columns(*(t(f"gate.{key}") for key in COLUMNS))
        for visit in rows:
            style = "bold red" if visit.overstay_minutes else ""
            leave = visit.expected_leave_at.astimezone(zone).strftime("%m-%d %H:%M") if visit.expected_leave_at else ""
            over = t("gate.overstay_short", minutes=visit.overstay_minutes) if visit.overstay_minutes else ""
            cells = (visit.code, visit.name, over, leave, visit.time_in.astimezone(zone).strftime("%m-%d %H:%M"),
                     visit.host_name, visit.phone, category_label(visit.category), str(visit.companions), visit.id_masked)
            table.add_row(*(Text(cell, style=style) for cell in cells), key=visit.id)
        over = sum(1 for v in rows if v.overstay_minutes)
        summary = t("gate.onsite_summary", count=len(rows), over=over) if rows else t("gate.onsite_empty")
        self.query_one("#onsite-summary", Static).update(summary)

    def selected(self):
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    # ------------------------------------------------------------ sign-out

    def on_scan_input_scanned(self, event: ScanInput.Scanned) -> None:
        event.stop()
        self.sign_out(code=event.code)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_sign_out()

    def action_sign_out(self) -> None:
        visit = self.selected()
        if visit is None:
            return
        from kiosk.screens.dialogs import ConfirmDialog

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.sign_out(visit_id=visit.id)

        self.app.push_screen(ConfirmDialog(t("gate.signout_confirm", name=visit.name)), confirmed)

    @work(thread=True, exclusive=True, exit_on_error=False, group="gate-signout")
    def sign_out(self, code: str = "", visit_id: str = "") -> None:
        from kiosk.services import visitors

        actor = self.ctx.actor()
        try:
            if code:
                visit = visitors.sign_out_by_code(actor, code, self.ctx.zone)
            else:
                visit = visitors.sign_out(actor, visit_id, self.ctx.zone)
        except visitors.GateError as error:
            self.app.call_from_thread(self.show, error.message())
            return
        rows = visitors.onsite(self.ctx.school_id)
        self.app.call_from_thread(self.after_sign_out, visit, rows)

    def after_sign_out(self, visit, rows) -> None:
        self.show_rows(rows)
        self.show(t("gate.signed_out", name=visit.name, time=visit.time_out.astimezone(self.ctx.zone).strftime("%H:%M")),
                  info=True)
        self.query_one("#onsite-scan", ScanInput).focus()

    # ------------------------------------------------------------ evacuation list

    def action_evacuation(self) -> None:
        self.write_evacuation()

    @work(thread=True, exclusive=True, exit_on_error=False, group="gate-evacuation")
    def write_evacuation(self) -> None:
        from kiosk.services.gate_exports import export_onsite
        from kiosk.services.exports import write_table

        stamp = clock.now().astimezone(self.ctx.zone).strftime("%Y%m%d-%H%M%S")
        folder = paths.data_dir() / "exports"
        path = folder / f"evacuation-{stamp}.csv"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            count = write_table(export_onsite(self.ctx.settings), path, "csv")
        except OSError as error:
            self.app.call_from_thread(self.show, t("gate.evacuation_failed", error=error.strerror or str(error)))
            return
        self.app.call_from_thread(self.show, t("gate.evacuation_written", path=str(path), count=count), True)

    # ------------------------------------------------------------ reveal (admin, audited)

    def action_reveal(self) -> None:
        visit = self.selected()
        if visit is None:
            return
        from kiosk.screens.dialogs import PinDialog

        def confirmed(session) -> None:
            if session is not None:
                self.reveal(visit.id, session)

        self.app.push_screen(PinDialog("gate.key_reveal", admin_only=True, prompt_key="gate.reveal_admin_only"), confirmed)

    @work(thread=True, exclusive=True, exit_on_error=False, group="gate-reveal")
    def reveal(self, visit_id: str, session) -> None:
        from kiosk.services import visitors
        from kiosk.services.actor import Actor

        actor = Actor(school_id=self.ctx.school_id, station_id=self.ctx.station_id, staff_id=session.staff_id,
                      staff_number=session.number, staff_name=session.name, roles=session.roles)
        try:
            number = visitors.reveal_id_number(actor, visit_id)
        except visitors.GateError as error:
            self.app.call_from_thread(self.show, error.message())
            return
        name = next((v.name for v in self.rows if v.id == visit_id), "")
        self.app.call_from_thread(self.show_revealed, t("gate.revealed", name=name, number=number))

    def show_revealed(self, text: str) -> None:
        """A revealed number stays on screen only briefly."""
        self.show(text, True)
        self.set_timer(REVEAL_SECONDS, lambda: self.show("") if self.message_text == text else None)
