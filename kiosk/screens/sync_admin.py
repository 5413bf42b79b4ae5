"""Station admin: refused records (dead letters) and conflicts for a person to review, with their reasons."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from kiosk.i18n import catalog, language, t
from kiosk.screens.base import KioskScreen


CONFLICT_KEYS = {"stale_update": "sync.conflict_stale_update", "duplicate_insert": "sync.conflict_duplicate_insert",
                 "set_once": "sync_trust.conflict_set_once", "clone_update": "sync_trust.conflict_clone_update"}


def reason_text(reason: str) -> str:
    """A refusal reason for people: central's and the pull check's codes (`code` or `code:detail`, see
    kiosk.sync.validation) in the current language; anything else (an older central's text) as it is."""
    code, _, detail = reason.partition(":")
    key = f"sync_trust.reason_{code}"
    if key not in catalog(language()):
        return reason
    if code == "not_writer" and f"core.station_{detail}" in catalog(language()):
        detail = t(f"core.station_{detail}")
    return t(key, detail=detail)


class SyncAdminScreen(KioskScreen):
    TITLE_KEY = "sync.admin_title"
    BINDINGS = [Binding("escape", "back", "core.key_back"), Binding("f5", "reload", "sync.key_reload")]
    DEFAULT_CSS = """
    SyncAdminScreen .sync-title { text-style: bold; color: $accent; padding: 0 1; height: 1; }
    SyncAdminScreen .sync-sub { text-style: bold; padding: 0 1; height: 1; margin-top: 1; }
    SyncAdminScreen #sync-summary { padding: 0 1; height: auto; }
    SyncAdminScreen DataTable { height: 1fr; margin: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.problems = None

    def compose(self) -> ComposeResult:
        yield Static(id="sync-title", classes="sync-title")
        yield Static(id="sync-summary")
        yield Static(id="sync-dead-title", classes="sync-sub")
        yield DataTable(id="sync-dead", cursor_type="row")
        yield Static(id="sync-conflicts-title", classes="sync-sub")
        yield DataTable(id="sync-conflicts", cursor_type="row")

    def on_mount(self) -> None:
        self.refresh_text()
        self.action_reload()

    def action_reload(self) -> None:
        from kiosk.sync.review import sync_problems

        self.call(sync_problems, self.ctx.settings, then=self.show, group="sync-admin")

    def show(self, problems) -> None:
        self.problems = problems
        self.refresh_text()

    def refresh_text(self) -> None:
        self.query_one("#sync-title", Static).update(t("sync.admin_title"))
        self.query_one("#sync-dead-title", Static).update(t("sync.admin_dead_title"))
        self.query_one("#sync-conflicts-title", Static).update(t("sync.admin_conflicts_title"))
        problems = self.problems
        zone = self.ctx.zone
        dead = self.query_one("#sync-dead", DataTable)
        conflicts = self.query_one("#sync-conflicts", DataTable)
        dead.clear(columns=True)
        conflicts.clear(columns=True)
        dead.add_columns(t("sync.col_when"), t("sync.col_table"), t("sync.col_row"), t("sync.col_reason"))
        conflicts.add_columns(t("sync.col_when"), t("sync.col_kind"), t("sync.col_table"), t("sync.col_row"),
                              t("sync.col_stations"))
        if problems is None:
            return
        last = problems.last_success.astimezone(zone).strftime("%Y-%m-%d %H:%M") if problems.last_success else t("sync.admin_never")
        self.query_one("#sync-summary", Static).update(t("sync.admin_summary", pending=problems.pending, last=last))
        for item in problems.dead_letters:
            dead.add_row(item.at.astimezone(zone).strftime("%m-%d %H:%M"), item.table, item.row_id[:13], reason_text(item.reason))
        for item in problems.conflicts:
            kind = t(CONFLICT_KEYS[item.kind]) if item.kind in CONFLICT_KEYS else item.kind
            conflicts.add_row(item.at.astimezone(zone).strftime("%m-%d %H:%M"), kind, item.table, item.row_id[:13],
                              f"{item.station_id} / {item.other_station_id}")
        if not problems.dead_letters:
            dead.add_row("", t("sync.admin_none"), "", "")
        if not problems.conflicts:
            conflicts.add_row("", t("sync.admin_none"), "", "", "")
