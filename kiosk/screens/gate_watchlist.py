"""Office: the visitor watchlist (禁止入校人员). Add entries by ID number and/or name, warn or deny, with an
expiry; revoke (never delete). ID numbers are shown masked."""
from __future__ import annotations

from datetime import date, datetime, time

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.widgets import DataTable, Input, Select

from kiosk.i18n import UserError, t
from kiosk.screens.gate_form import FormSelect, id_type_options, relabel_select
from kiosk.screens.gate_shift import SCREEN_CSS, _GateForm
from kiosk.services import visitor_rules as rules
from kiosk.widgets.catalog_text import CatalogText
from kiosk.widgets.message_line import MessageLine


class WatchlistScreen(_GateForm):
    TITLE_KEY = "gate.title_watchlist"
    TYPED_FIELDS = ("watch-id", "watch-name", "watch-reason")
    BINDINGS = [Binding("escape", "back", "core.key_back"),
                Binding("ctrl+s", "save", "gate.key_add", priority=True),
                Binding("f10", "save", "gate.key_add", show=False, priority=True),
                Binding("f8", "revoke", "gate.key_revoke")]
    DEFAULT_CSS = SCREEN_CSS.format(name="WatchlistScreen").replace(
        "grid-size: 2; grid-columns: 24 1fr;", "grid-size: 4; grid-columns: 12 1fr 12 1fr;").replace(
        "Grid > Label", "Grid > CatalogText") + "WatchlistScreen #watch-message { min-height: 2; }\n"
    # The field to fix for a refused entry (GateError.field_key); any other refusal of an entry is the ID's.
    FIELD_OF = {"watch_reason_required": "watch-reason", "watch_expiry_past": "watch-expires",
                "watch_needs_id_or_name": "watch-name"}

    def __init__(self) -> None:
        super().__init__()
        self.rows = []
        self.loaded = False  # "the list is empty" is said only once the list has been read
        self.saying_empty = False

    def compose(self) -> ComposeResult:
        yield CatalogText("gate.title_watchlist", id="watch-title", classes="gate-title")
        with Grid():
            yield CatalogText("gate.f_id_type", id="l-watch-id-type")
            yield FormSelect([], id="watch-id-type", allow_blank=True, prompt=t("core.choose"))
            yield CatalogText("gate.f_id_number", id="l-watch-id")
            yield Input(id="watch-id", max_length=40)
            yield CatalogText("gate.f_name", id="l-watch-name")
            yield Input(id="watch-name", max_length=40)
            yield CatalogText("gate.f_level", id="l-watch-level")
            yield FormSelect([], id="watch-level", allow_blank=True, prompt=t("core.choose"))
            yield CatalogText("gate.f_reason", id="l-watch-reason")
            yield Input(id="watch-reason", max_length=120)
            yield CatalogText("gate.f_expires", id="l-watch-expires")
            yield Input(id="watch-expires", max_length=10)
        yield MessageLine(id="watch-message")
        yield DataTable(id="watch-table", cursor_type="row")

    def on_mount(self) -> None:
        self.refresh_text()
        self.query_one("#watch-id").focus()
        self.load()

    def refresh_text(self) -> None:
        relabel_select(self.query_one("#watch-id-type", Select), id_type_options(with_none=False), "resident")
        relabel_select(self.query_one("#watch-level", Select),
                       [(t(f"gate.level_{k}"), k) for k in rules.WATCH_LEVELS], "deny")
        self.query_one("#watch-id", Input).placeholder = t("gate.ph_watch_id")
        self.query_one("#watch-expires", Input).placeholder = t("gate.ph_expires")
        self.show_rows(self.rows)

    def load(self, then_say: str = "", **values: object) -> None:
        """Read the list; then, if given, say `then_say` (what was just done) above it."""
        from kiosk.services.visitors import list_watchlist

        def loaded(rows) -> None:
            self.show_rows(rows, True)
            if then_say:
                self.say(then_say, level="ok", **values)

        self.call(list_watchlist, self.ctx.school_id, then=loaded, group="gate-watch-list")

    def show_rows(self, rows, loaded: bool = False) -> None:
        self.rows = rows
        self.loaded = self.loaded or loaded
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear(columns=True)
        table.add_columns(*(t(f"gate.{key}") for key in ("col_name", "col_id", "col_level", "col_reason", "col_expires",
                                                          "col_state", "col_added_by")))
        for row in rows:
            expires = row.expires_at.astimezone(self.ctx.zone).strftime("%Y-%m-%d") if row.expires_at else t("gate.watch_forever")
            table.add_row(row.name or "-", row.id_masked or "-", t(f"gate.level_{row.level}"), row.reason, expires,
                          t("gate.watch_in_force") if row.in_force else t("gate.watch_expired"), row.added_by, key=row.id)
        if rows and keep:
            table.move_cursor(row=min(keep, len(rows) - 1))
        if not rows and self.loaded:
            self.say("gate.watch_empty", level="info")
            self.saying_empty = True
        elif rows and self.saying_empty:  # the notice of an earlier empty list must not sit above a full one
            self.clear_message()
            self.saying_empty = False

    def action_save(self) -> None:
        text = self.query_one("#watch-expires", Input).value.strip()
        expires = None
        if text:
            try:
                expires = datetime.combine(date.fromisoformat(text), time(23, 59, 59), self.ctx.zone)
            except ValueError:
                self.say("gate.watch_expiry_bad", level="error")
                self.query_one("#watch-expires").focus()
                return
        from kiosk.services.visitors import add_watch_entry

        value = lambda wid: self.query_one(f"#{wid}", Input).value  # noqa: E731
        id_type = self.query_one("#watch-id-type", Select).value
        level = self.query_one("#watch-level", Select).value
        self.call(add_watch_entry, self.ctx.actor(), id_type=str(id_type) if id_type != Select.NULL else "resident",
                  id_number=value("watch-id"), name=value("watch-name"),
                  level=str(level) if level != Select.NULL else "", reason=value("watch-reason"), expires_at=expires,
                  then=self.after_save, refused=self.save_refused, group="gate-watch-save")

    def save_refused(self, error: UserError) -> None:
        """The entry was not added (said on the message line): the cursor goes to the field to correct."""
        self.query_one(f"#{self.FIELD_OF.get(getattr(error, 'field_key', ''), 'watch-id')}").focus()

    def after_save(self, entry) -> None:
        for wid in ("watch-id", "watch-name", "watch-reason", "watch-expires"):
            self.query_one(f"#{wid}", Input).value = ""
        self.query_one("#watch-id").focus()
        self.load("gate.watch_added", name=entry.name or entry.id_masked)

    def action_revoke(self) -> None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            return
        row = self.rows[table.cursor_row]
        from kiosk.i18n import Msg
        from kiosk.screens.dialogs import ConfirmDialog
        from kiosk.services.visitors import revoke_watch_entry

        def confirmed(yes) -> None:
            if yes:
                self.call(revoke_watch_entry, self.ctx.actor(), row.id, then=self.after_revoke,
                          group="gate-watch-revoke")

        self.app.push_screen(ConfirmDialog(Msg("gate.watch_revoke_confirm", name=row.name or row.id_masked)), confirmed)

    def after_revoke(self, _none) -> None:
        self.load("gate.watch_revoked")
