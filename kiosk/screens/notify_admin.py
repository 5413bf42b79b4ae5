"""The admin's list of undelivered notifications (waiting to be sent, or given up) with the provider's reason."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.i18n import t
from kiosk.screens.table import TableScreen


class UndeliveredScreen(TableScreen):
    TITLE_KEY = "notify.admin_title"
    COLUMN_KEYS = ("notify.col_when", "notify.col_event", "notify.col_to", "notify.col_channel", "notify.col_status",
                   "notify.col_reason")

    def compose_above_table(self) -> ComposeResult:
        yield Static(id="notify-summary")

    def fetch(self) -> list:
        from kiosk.notify.service import undelivered

        return undelivered(self.ctx.school_id)

    def show_rows(self, rows: list) -> None:
        super().show_rows(rows)
        self.query_one("#notify-summary", Static).update(t("notify.admin_summary", count=len(self.rows)))

    def cells(self, row) -> tuple[str, ...]:
        roles = "、".join(t(f"notify.role_{role}") for role in row.recipient_role.split(",") if role)
        return (row.due_at.astimezone(self.ctx.zone).strftime("%m-%d %H:%M"), t(f"notify.event_{row.event}"),
                f"{roles} {row.recipient_name}".strip(), t(f"notify.channel_{row.channel}"),
                t(f"notify.status_{row.status}"), row.reason)
