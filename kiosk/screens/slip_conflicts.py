"""Office: slip conflicts waiting for a person (a slip used at two gates offline, a slip used after its
revocation had not reached the gate). Enter or F2 marks the selected one reviewed with a note."""
from __future__ import annotations

from textual.binding import Binding
from textual.widgets import DataTable

from kiosk.i18n import t
from kiosk.screens.slip_office import _hm
from kiosk.services.acting_roles import session_listing_class
from kiosk.screens.table import TableScreen


class ConflictsScreen(TableScreen):
    TITLE_KEY = "slips.title_conflicts"
    BINDINGS = TableScreen.BINDINGS + [Binding("f2", "review", "slips.key_review")]
    COLUMN_KEYS = tuple(f"slips.{key}" for key in ("col_time", "col_conflict", "col_name", "col_class", "col_direction",
                                                    "col_station", "col_gatekeeper", "col_standing"))

    def __init__(self) -> None:
        super().__init__()
        self.station_names: dict = {}  # id -> name (str, or a Msg for a station without one)

    def fetch(self):
        from kiosk.services.slip_conflicts import slip_conflicts
        from kiosk.services.stations import station_names

        self.station_names = station_names(self.ctx.school_id)
        own = session_listing_class(self.ctx.session)  # a head teacher reviews their own class's conflicts only
        return [row for row in slip_conflicts(self.ctx.school_id) if own is None or row.class_name == own]

    def cells(self, r):
        from kiosk.services.stations import station_label

        zone = self.ctx.zone
        if r.standing_at is not None:
            other = t("slips.conflict_standing", time=_hm(r.standing_at, zone),
                      station=station_label(self.station_names, r.standing_station_id))
        else:
            other = t("slips.conflict_revoked", time=_hm(r.revoked_at, zone))
        return (_hm(r.at, zone), t(f"slips.conflict_{r.kind}"), r.student_name, r.class_name,
                t(f"slips.direction_{r.direction}"), str(station_label(self.station_names, r.station_id)), r.gatekeeper, other)

    def show_rows(self, rows) -> None:
        super().show_rows(rows)
        if not rows and not self.message_text():  # a message about what was just done stays
            self.say("slips.conflicts_none", level="info")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_review()

    def action_review(self) -> None:
        row = self.selected()
        if row is None:
            return
        from kiosk.screens.dialogs import TextDialog

        def done(note: str | None) -> None:
            if note:
                self.review(row.kind, row.crossing_id, note)

        self.app.push_screen(TextDialog("slips.review_title", "slips.review_prompt", required=True,
                                        required_key="slips.err_review_note", name=row.student_name), done)

    def review(self, kind: str, crossing_id: str, note: str) -> None:
        from kiosk.services.slip_conflicts import review_conflict

        def reviewed(row) -> None:
            self.say("slips.conflict_reviewed", level="ok", name=row.student_name)
            self.load()

        self.call(review_conflict, self.ctx.actor(), kind, crossing_id, note, then=reviewed)
