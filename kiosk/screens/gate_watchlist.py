"""Office: the visitor watchlist (禁止入校人员). Add entries by ID number and/or name, warn or deny, with an
expiry; revoke (never delete). ID numbers are shown masked."""
from __future__ import annotations

from datetime import date, datetime, time

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.widgets import DataTable, Input, Label, Select, Static

from kiosk.i18n import t
from kiosk.screens.gate_shift import SCREEN_CSS, _GateForm
from kiosk.services import visitor_rules as rules


class WatchlistScreen(_GateForm):
    TITLE_KEY = "gate.title_watchlist"
    TYPED_FIELDS = ("watch-id", "watch-name", "watch-reason")
    BINDINGS = [Binding("escape", "back", "core.key_back"),
                Binding("ctrl+s", "save", "gate.key_add", priority=True),
        Binding("f10", "save", "gate.key_add", show=False, priority=True),
                Binding("f8", "revoke", "gate.key_revoke")]
    DEFAULT_CSS = SCREEN_CSS.format(name="WatchlistScreen").replace("grid-size: 2; grid-columns: 22 1fr;",
                                                                     "grid-size: 4; grid-columns: 12 1fr 12 1fr;")

    def __init__(self) -> None:
        super().__init__()
        self.rows = []
        self.loaded = False  # "the list is empty" is said only once the list has been read
        self.saying_empty = False

    def compose(self) -> ComposeResult:
        yield Static(id="watch-title", classes="gate-title")
        with Grid():
            yield Label(id="l-watch-id-type")
            yield Select([], id="watch-id-type", allow_blank=True, prompt=t("core.choose"))
            yield Label(id="l-watch-id")
            yield Input(id="watch-id", max_length=40)
            yield Label(id="l-watch-name")
            yield Input(id="watch-name", max_length=40)
            yield Label(id="l-watch-level")
            yield Select([], id="watch-level", allow_blank=True, prompt=t("core.choose"))
            yield Label(id="l-watch-reason")
            yield Input(id="watch-reason", max_length=120)
            yield Label(id="l-watch-expires")
            yield Input(id="watch-expires", max_length=10)
        yield Static("", classes="gate-message", id="watch-message")
        yield DataTable(id="watch-table", cursor_type="row")

    def on_mount(self) -> None:
        self.refresh_text()
        self.query_one("#watch-id").focus()
        self.load()

    def refresh_text(self) -> None:
        self.query_one("#watch-title", Static).update(t("gate.title_watchlist"))
        for widget_id, key in (("l-watch-id-type", "gate.f_id_type"), ("l-watch-id", "gate.f_id_number"),
                               ("l-watch-name", "gate.f_name"), ("l-watch-level", "gate.f_level"),
                               ("l-watch-reason", "gate.f_reason"), ("l-watch-expires", "gate.f_expires")):
            self.query_one(f"#{widget_id}", Label).update(t(key))
        for widget_id, options, default in (
                ("watch-id-type", [(t(f"gate.idtype_{k}"), k) for k in rules.ID_TYPES if k != "none"], "resident"),
                ("watch-level", [(t(f"gate.level_{k}"), k) for k in rules.WATCH_LEVELS], "deny")):
            select = self.query_one(f"#{widget_id}", Select)
            keep = select.value
            select.set_options(options)
            select.value = keep if keep != Select.NULL else default
        self.query_one("#watch-id", Input).placeholder = t("gate.ph_watch_id")
        self.query_one("#watch-expires", Input).placeholder = t("gate.ph_expires")
        self.show_rows(self.rows)

    @work(thread=True, exclusive=True, exit_on_error=False, group="gate-watch-list")
    def load(self) -> None:
        from kiosk.services.visitors import list_watchlist

        rows = list_watchlist(self.ctx.school_id)
        self.app.call_from_thread(self.show_rows, rows, True)

    def show_rows(self, rows, loaded: bool = False) -> None:
        self.rows = rows
        self.loaded = self.loaded or loaded
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_columns(*(t(f"gate.{key}") for key in ("col_name", "col_id", "col_level", "col_reason", "col_expires",
                                                          "col_state", "col_added_by")))
        for row in rows:
            expires = row.expires_at.astimezone(self.ctx.zone).strftime("%Y-%m-%d") if row.expires_at else t("gate.watch_forever")
            table.add_row(row.name or "-", row.id_masked or "-", t(f"gate.level_{row.level}"), row.reason, expires,
                          t("gate.watch_in_force") if row.in_force else t("gate.watch_expired"), row.added_by, key=row.id)
        if not rows and self.loaded:
            self.show(t("gate.watch_empty"), True)
            self.saying_empty = True
        elif rows and self.saying_empty:  # the notice of an earlier empty list must not sit above a full one
            self.show("", True)
            self.saying_empty = False

    def action_save(self) -> None:
        text = self.query_one("#watch-expires", Input).value.strip()
        expires = None
        if text:
            try:
                expires = datetime.combine(date.fromisoformat(text), time(23, 59, 59), self.ctx.zone)
            except ValueError:
                self.show(t("gate.watch_expiry_bad"))
                self.query_one("#watch-expires").focus()
                return
        value = lambda wid: self.query_one(f"#{wid}", Input).value  # noqa: E731
        id_type = self.query_one("#watch-id-type", Select).value
        level = self.query_one("#watch-level", Select).value
        self.save(str(id_type) if id_type != Select.NULL else "resident", value("watch-id"), value("watch-name"),
                  str(level) if level != Select.NULL else "", value("watch-reason"), expires)

    @work(thread=True, exclusive=True, exit_on_error=False, group="gate-watch-save")
    def save(self, id_type, id_number, name, level, reason, expires) -> None:
        from kiosk.services.visitors import GateError, add_watch_entry, list_watchlist

        try:
            entry = add_watch_entry(self.ctx.actor(), id_type=id_type, id_number=id_number, name=name, level=level,
                                    reason=reason, expires_at=expires)
        except GateError as error:
            field = {"watch_reason_required": "watch-reason", "watch_expiry_past": "watch-expires",
                     "watch_needs_id_or_name": "watch-name"}.get(error.field_key, "watch-id")
            self.app.call_from_thread(self.after_error, error.message(), field)
            return
        rows = list_watchlist(self.ctx.school_id)
        self.app.call_from_thread(self.after_save, entry, rows)

    def after_error(self, text: str, field: str) -> None:
        self.show(text)
        self.query_one(f"#{field}").focus()

    def after_save(self, entry, rows) -> None:
        for wid in ("watch-id", "watch-name", "watch-reason", "watch-expires"):
            self.query_one(f"#{wid}", Input).value = ""
        self.show_rows(rows, True)
        self.show(t("gate.watch_added", name=entry.name or entry.id_masked), True)
        self.query_one("#watch-id").focus()

    def action_revoke(self) -> None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            return
        row = self.rows[table.cursor_row]
        from kiosk.screens.dialogs import ConfirmDialog

        def confirmed(yes) -> None:
            if yes:
                self.revoke(row.id)

        self.app.push_screen(ConfirmDialog(t("gate.watch_revoke_confirm", name=row.name or row.id_masked)), confirmed)

    @work(thread=True, exclusive=True, exit_on_error=False, group="gate-watch-revoke")
    def revoke(self, entry_id: str) -> None:
        from kiosk.services.visitors import GateError, list_watchlist, revoke_watch_entry

        try:
            revoke_watch_entry(self.ctx.actor(), entry_id)
        except GateError as error:
            self.app.call_from_thread(self.show, error.message())
            return
        rows = list_watchlist(self.ctx.school_id)
        self.app.call_from_thread(self.after_revoke, rows)

    def after_revoke(self, rows) -> None:
        self.show_rows(rows, True)
        self.show(t("gate.watch_revoked"), True)
