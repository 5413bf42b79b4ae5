"""Office: slip conflicts waiting for a person (a slip used at two gates offline, a slip used after its
revocation had not reached the gate). Enter or F2 marks the selected one reviewed with a note."""
from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from kiosk.i18n import t
from kiosk.screens.base import KioskScreen
from kiosk.screens.slip_office import OFFICE_CSS, _hm, _Message


class ConflictsScreen(_Message, KioskScreen):
    TITLE_KEY = "slips.title_conflicts"
    BINDINGS = [Binding("escape", "back", "core.key_back"), Binding("f2", "review", "slips.key_review"),
                Binding("f5", "refresh", "slips.key_refresh")]
    DEFAULT_CSS = OFFICE_CSS.format(name="ConflictsScreen")
    COLUMNS = ("col_time", "col_conflict", "col_name", "col_class", "col_direction", "col_station",
               "col_gatekeeper", "col_standing")

    def __init__(self) -> None:
        super().__init__()
        self.rows = []

    def compose(self) -> ComposeResult:
        yield Static(classes="office-title", id="conflict-title")
        yield DataTable(id="conflict-table", cursor_type="row", zebra_stripes=True)
        yield Static("", classes="office-message")

    def on_mount(self) -> None:
        super().on_mount()
        self.refresh_text()
        self.query_one(DataTable).focus()
        self.action_refresh()

    def refresh_text(self) -> None:
        self.query_one("#conflict-title", Static).update(t("slips.title_conflicts"))
        self.show_rows(self.rows)

    def action_refresh(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="slip-conflicts")
    def load(self) -> None:
        from kiosk.services.slip_conflicts import slip_conflicts

        rows = slip_conflicts(self.ctx.school_id)
        self.app.call_from_thread(self.show_rows, rows)

    def show_rows(self, rows) -> None:
        self.rows = rows
        zone = self.ctx.zone
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_columns(*(t(f"slips.{key}") for key in self.COLUMNS))
        for r in rows:
            if r.standing_at is not None:
                other = t("slips.conflict_standing", time=_hm(r.standing_at, zone), station=r.standing_station_id[:8])
            else:
                other = t("slips.conflict_revoked", time=_hm(r.revoked_at, zone))
            table.add_row(_hm(r.at, zone), t(f"slips.conflict_{r.kind}"), r.student_name, r.class_name,
                          t(f"slips.direction_{r.direction}"), r.station_id[:8], r.gatekeeper, other,
                          key=f"{r.kind}:{r.crossing_id}")
        if not rows:
            self.message(t("slips.conflicts_none"))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_review()

    def action_review(self) -> None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            return
        row = self.rows[table.cursor_row]
        from kiosk.screens.dialogs import TextDialog

        def done(note: str | None) -> None:
            if note:
                self.review(row.kind, row.crossing_id, note)

        self.app.push_screen(TextDialog("slips.review_title", "slips.review_prompt", name=row.student_name), done)

    @work(thread=True, exclusive=True, exit_on_error=False, group="slip-conflict-review")
    def review(self, kind: str, crossing_id: str, note: str) -> None:
        from kiosk.services.slip_conflicts import ConflictError, review_conflict, slip_conflicts

        try:
            row = review_conflict(self.ctx.actor(), kind, crossing_id, note)
        except ConflictError as error:
            self.app.call_from_thread(self.message, str(error), True)
            return
        rows = slip_conflicts(self.ctx.school_id)
        self.app.call_from_thread(self.show_rows, rows)
        self.app.call_from_thread(self.message, t("slips.conflict_reviewed", name=row.student_name))
