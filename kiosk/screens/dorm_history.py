"""Dorm station: previous nights of the building, from the signed summaries (one row per submitted round).
No SQL here: `self.call` runs kiosk.services.headcount_history in a worker."""
from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from kiosk.clock_times import hhmm
from kiosk.i18n import t
from kiosk.screens.table import TableScreen
from kiosk.services import headcount_history


class HistoryScreen(TableScreen):
    """Previous nights of the building; a night with an unknown whereabouts or a disagreement in red."""

    TITLE_KEY = "dorm.action_history"
    # Who submitted last: the counts, unknowns and disagreements must stay on an 80-column screen.
    COLUMN_KEYS = tuple(f"dorm.{key}" for key in (
        "col_night", "col_round", "col_expected", "col_present", "col_leave", "col_sick", "col_parent", "col_other",
        "col_unknown", "col_guests", "col_disagree", "col_by"))

    def __init__(self, building_id: str, building_name: str) -> None:
        super().__init__()
        self.building_id = building_id
        self.building_name = building_name

    def refresh_text(self) -> None:
        super().refresh_text()
        self.query_one(".table-title", Static).update(t("dorm.history_title", building=self.building_name))

    def fetch(self):
        return headcount_history.history(self.building_id, limit=60)

    def cells(self, night):
        style = "bold red" if night.unknown or night.disagreements else ""
        cells = (night.night.isoformat(), str(night.seq), str(night.expected), str(night.present), str(night.on_leave),
                 str(night.sick_bay), str(night.with_parent), str(night.other), str(night.unknown), str(night.guests),
                 str(night.disagreements), f"{night.submitted_name} {hhmm(night.submitted_at, self.ctx.zone)}")
        return [Text(cell, style=style) for cell in cells]

    def load(self) -> None:
        self.call(self.fetch, then=self.loaded)

    def loaded(self, rows) -> None:
        self.show_rows(rows)
        if not rows:  # said once loaded, not while the first query runs
            self.say("dorm.history_none", level="info")
