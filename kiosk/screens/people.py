"""Look up students and staff by name, number or pinyin initials; admins reset PINs and (de)activate staff."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input, Static

from kiosk.i18n import Msg, t
from kiosk.screens.base import KioskScreen
from kiosk.screens.dialogs import ConfirmDialog, TextDialog
from kiosk.screens.table import cursor_kept
from kiosk.widgets.catalog_text import CatalogText
from kiosk.widgets.message_line import MessageLine


class PeopleScreen(KioskScreen):
    TITLE_KEY = "core.people_title"
    BINDINGS = [
        Binding("escape", "back", "core.key_back"),
        Binding("f2", "focus_search", "core.people_key_search"),
        Binding("f5", "reset_pin", "core.people_key_reset_pin"),
        Binding("f6", "toggle_active", "core.people_key_toggle_active"),
    ]

    DEFAULT_CSS = """
    PeopleScreen #people-title { text-style: bold; color: $accent; padding: 0 1; }
    PeopleScreen #people-query { margin: 0 1; }
    PeopleScreen DataTable { height: 1fr; margin: 0 1; }
    PeopleScreen #people-detail { height: auto; min-height: 2; padding: 0 1; border-top: solid $accent; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.hits = []

    def compose(self) -> ComposeResult:
        yield Static(id="people-title")
        # Not select-on-focus: keys typed in the results come back here and must add to the query, not replace it.
        yield Input(id="people-query", max_length=40, select_on_focus=False)
        yield DataTable(id="people-table", cursor_type="row", zebra_stripes=True)
        yield CatalogText("core.verbatim", id="people-detail", markup=False, text="")
        yield MessageLine(id="people-message")

    def on_mount(self) -> None:
        self.refresh_text()
        self.query_one("#people-query", Input).focus()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("reset_pin", "toggle_active"):
            return self.ctx.session is not None and self.ctx.session.is_admin()
        return True

    def refresh_text(self) -> None:
        self.query_one("#people-title", Static).update(t("core.people_title"))
        self.query_one("#people-query", Input).placeholder = t("people.search_placeholder")
        table = self.query_one(DataTable)
        with cursor_kept(table):
            table.clear(columns=True)
            for key in ("kind", "number", "name", "class", "detail"):
                table.add_column(t(f"core.people_col_{key}"), key=key)
            self.show_hits(self.hits)

    def action_focus_search(self) -> None:
        """F2: a new search; the old text is selected, so typing replaces it."""
        field = self.query_one("#people-query", Input)
        field.focus()
        field.select_all()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.search(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # Enter moves to the results to pick one; with none there is nothing to pick, so the field keeps the keys.
        if self.hits:
            self.query_one(DataTable).focus()

    def on_key(self, event) -> None:
        """Typing while the results have the focus goes on in the search field, never into nowhere."""
        if not isinstance(self.focused, DataTable) or not (event.is_printable or event.key == "backspace"):
            return
        field = self.query_one("#people-query", Input)
        field.focus()
        field.action_end()
        if event.key == "backspace":
            field.action_delete_left()
        else:
            field.insert_text_at_cursor(event.character)
        event.stop()
        event.prevent_default()

    def search(self, query: str) -> None:
        from kiosk.services.people import search_people

        self.call(search_people, query, self.ctx.school_id, limit=50, include_inactive=True, then=self.show_hits)

    def show_hits(self, hits) -> None:
        self.hits = list(hits)
        table = self.query_one(DataTable)
        table.clear()
        for hit in self.hits:
            table.add_row(t(f"core.people_kind_{hit.kind}"), hit.number, hit.name, hit.class_name, str(hit.detail))
        nothing = not self.hits and self.query_one("#people-query", Input).value.strip()
        self.query_one("#people-detail", CatalogText).set_message("core.search_nothing" if nothing else "core.verbatim",
                                                                  text="")

    def selected(self):
        table = self.query_one(DataTable)
        if not self.hits or table.cursor_row is None or table.cursor_row >= len(self.hits):
            return None
        return self.hits[table.cursor_row]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        hit = self.selected()
        if hit is not None and hit.kind == "student":
            from kiosk.services.people import student_by_number

            self.call(student_by_number, hit.number, self.ctx.school_id, then=self.show_student, group="detail")
        elif hit is not None:
            self.query_one("#people-detail", CatalogText).set_message(
                "core.verbatim", text=f"{hit.name}（{hit.number}）{hit.detail}")

    def show_student(self, info) -> None:
        from kiosk.services.people import describe_student

        if info is not None:
            self.query_one("#people-detail", CatalogText).set_message(describe_student(info))

    def selected_staff(self):
        hit = self.selected()
        if hit is None or hit.kind != "staff":
            self.say("core.people_pick_staff", level="warning")
            return None
        return hit

    def action_reset_pin(self) -> None:
        hit = self.selected_staff()
        if hit is None:
            return
        from kiosk.services import staff_admin

        def chosen(pin: str | None) -> None:
            if pin:
                self.call(staff_admin.reset_pin, self.ctx.actor(), hit.id, pin,
                          then=lambda _: self.after_admin("core.people_pin_reset_done", hit))

        from kiosk.services.auth import valid_new_pin

        self.app.push_screen(TextDialog("core.people_new_pin_title", "core.people_new_pin_prompt", password=True,
                                        check=lambda pin: None if valid_new_pin(pin) else "core.people_pin_invalid",
                                        name=hit.name), chosen)

    def action_toggle_active(self) -> None:
        hit = self.selected_staff()
        if hit is None:
            return
        from kiosk.services import staff_admin

        def ask(account) -> None:
            key = "core.people_confirm_deactivate" if account.active else "core.people_confirm_activate"

            def confirmed(yes: bool) -> None:
                if yes:
                    self.call(staff_admin.set_active, self.ctx.actor(), hit.id, not account.active,
                              then=lambda changed: self.after_admin(
                                  "core.people_activated" if changed.active else "core.people_deactivated", hit))

            self.app.push_screen(ConfirmDialog(Msg(key, name=hit.name, number=hit.number)), confirmed)

        self.call(staff_admin.account, hit.id, then=ask)

    def after_admin(self, message_key: str, hit) -> None:
        self.say(message_key, level="ok", name=hit.name)
        self.search(self.query_one("#people-query", Input).value)
