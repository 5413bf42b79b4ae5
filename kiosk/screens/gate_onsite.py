"""Gate: visitors on site now. Overstayers highlighted (never closed automatically); sign out by scanning
the visitor slip (or typing its code) or by picking a row; F7 writes the evacuation list in one key.
Under the table, the highlighted visitor in full on one line (host, phone, category, companions, ID), so what
a gatekeeper acts on is on screen at 80 columns even where the table's right-hand columns are not."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static
from rich.text import Text

from kiosk import clock
from kiosk.i18n import Msg, t
from kiosk.screens.base import KioskScreen
from kiosk.widgets.catalog_text import CatalogText
from kiosk.widgets.message_line import MessageLine
from kiosk.widgets.scan_input import ScanInput

REVEAL_SECONDS = 20
# What the gatekeeper acts on comes first (the code to sign out with, who, overstay, when due), so it stays
# whole on an 80-column terminal and in English; the rest may scroll off to the right.
COLUMNS = ("col_code", "col_name", "col_overstay", "col_expected_leave", "col_time_in", "col_host", "col_phone",
           "col_category", "col_companions", "col_id")


def short_time(at, now_local) -> str:
    """A time in the list: HH:MM today (narrow, so the columns after it stay on an 80-column screen),
    MM-DD HH:MM on another day. `at` and `now_local` in the school's zone."""
    if at is None:
        return ""
    return at.strftime("%H:%M") if at.date() == now_local.date() else at.strftime("%m-%d %H:%M")


def _sign_out_then_list(actor, school_id: str, zone, code: str = "", visit_id: str = ""):
    """Sign one visitor out (by the slip's code or the row picked), then the list as it is now."""
    from kiosk.services import visitors

    visit = visitors.sign_out_by_code(actor, code, zone) if code else visitors.sign_out(actor, visit_id, zone)
    return visit, visitors.onsite(school_id)


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
    OnsiteScreen #onsite-detail { padding: 0 1; height: auto; color: $text; }
    OnsiteScreen #onsite-message { min-height: 2; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.rows = []

    def compose(self) -> ComposeResult:
        yield CatalogText("gate.title_onsite", id="onsite-title")
        yield Static(id="onsite-summary")
        yield ScanInput(id="onsite-scan", max_length=40)
        yield DataTable(id="onsite-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="onsite-detail")
        yield MessageLine(id="onsite-message")

    def on_mount(self) -> None:
        self.refresh_text()
        self.query_one("#onsite-scan", ScanInput).focus()
        self.action_refresh()
        self.set_interval(60, self.action_refresh)

    def refresh_text(self) -> None:
        self.query_one("#onsite-scan", ScanInput).placeholder = t("gate.ph_signout_scan")
        self.show_rows(self.rows)

    # ------------------------------------------------------------ list

    def action_refresh(self) -> None:
        from kiosk.services.visitors import onsite

        self.call(onsite, self.ctx.school_id, then=self.show_rows, group="gate-onsite")

    def show_rows(self, rows) -> None:
        from kiosk.services.gate_exports import category_label

        self.rows = rows
        zone = self.ctx.zone
        now_local = clock.now().astimezone(zone)
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear(columns=True)
        table.add_columns(*(t(f"gate.{key}") for key in COLUMNS))
        for visit in rows:
            style = "bold red" if visit.overstay_minutes else ""
            leave = short_time(visit.expected_leave_at.astimezone(zone) if visit.expected_leave_at else None, now_local)
            over = t("gate.overstay_short", minutes=visit.overstay_minutes) if visit.overstay_minutes else ""
            cells = (visit.code, visit.name, over, leave, short_time(visit.time_in.astimezone(zone), now_local),
                     visit.host_name, visit.phone, category_label(visit.category), str(visit.companions), visit.id_masked)
            table.add_row(*(Text(cell, style=style) for cell in cells), key=visit.id)
        if rows and keep:
            table.move_cursor(row=min(keep, len(rows) - 1))
        over = sum(1 for v in rows if v.overstay_minutes)
        summary = t("gate.onsite_summary", count=len(rows), over=over) if rows else t("gate.onsite_empty")
        self.query_one("#onsite-summary", Static).update(summary)
        self.show_detail()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.show_detail()

    def show_detail(self) -> None:
        """The highlighted visitor in full: whom they visit, their phone, category, companions, ID (masked)."""
        from kiosk.services.gate_exports import category_label

        visit = self.selected()
        detail = "" if visit is None else t(
            "gate.onsite_detail", name=visit.name, host=visit.host_name or "-", phone=visit.phone or "-",
            category=category_label(visit.category), count=visit.companions, id=visit.id_masked or "-")
        self.query_one("#onsite-detail", Static).update(detail)

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

        self.app.push_screen(ConfirmDialog(Msg("gate.signout_confirm", name=visit.name)), confirmed)

    def sign_out(self, code: str = "", visit_id: str = "") -> None:
        self.call(_sign_out_then_list, self.ctx.actor(), self.ctx.school_id, self.ctx.zone, code=code,
                  visit_id=visit_id, then=self.after_sign_out, group="gate-signout")

    def after_sign_out(self, result) -> None:
        visit, rows = result
        self.show_rows(rows)
        self.say("gate.signed_out", level="ok", name=visit.name,
                 time=visit.time_out.astimezone(self.ctx.zone).strftime("%H:%M"))
        self.query_one("#onsite-scan", ScanInput).focus()

    # ------------------------------------------------------------ evacuation list

    def action_evacuation(self) -> None:
        from kiosk.services.gate_exports import write_evacuation_list

        self.call(write_evacuation_list, self.ctx.settings, self.ctx.zone, then=self.after_evacuation,
                  group="gate-evacuation")

    def after_evacuation(self, written) -> None:
        self.say("gate.evacuation_written", level="ok", path=written.path, count=written.count)

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

    def reveal(self, visit_id: str, session) -> None:
        from kiosk.services import visitors
        from kiosk.services.actor import Actor

        actor = Actor(school_id=self.ctx.school_id, station_id=self.ctx.station_id, staff_id=session.staff_id,
                      staff_number=session.number, staff_name=session.name, roles=session.roles)
        name = next((v.name for v in self.rows if v.id == visit_id), "")
        self.call(visitors.reveal_id_number, actor, visit_id, then=lambda number: self.show_revealed(name, number),
                  group="gate-reveal")

    def show_revealed(self, name: str, number: str) -> None:
        """A revealed number stays on screen only briefly."""
        shown = Msg("gate.revealed", name=name, number=number)
        self.say(shown, level="ok")
        line = self.query_one(MessageLine)
        self.set_timer(REVEAL_SECONDS, lambda: line.clear() if line.message is shown else None)
