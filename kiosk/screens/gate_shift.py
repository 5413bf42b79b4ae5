"""Gate: night patrol log and shift handover (both gatekeepers confirm with their PIN)."""
from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.widgets import Checkbox, DataTable, Input, Label, Select, Static

from kiosk.i18n import t
from kiosk.screens.base import KioskScreen

SCREEN_CSS = """
{name} .gate-title {{ text-style: bold; color: $accent; padding: 0 1; height: 1; }}
{name} Grid {{ grid-size: 2; grid-columns: 22 1fr; grid-rows: 3; height: auto; padding: 0 1; }}
{name} Grid > Label {{ height: 3; content-align: right middle; width: 100%; padding-right: 1; }}
{name} DataTable {{ height: 1fr; margin: 0 1; }}
{name} .gate-message {{ height: auto; min-height: 2; padding: 0 1; text-style: bold; color: $error; }}
{name} .gate-message.-info {{ color: $success; }}
{name} .gate-sub {{ padding: 0 1; height: 1; text-style: bold; }}
"""


class _GateForm(KioskScreen):
    def show(self, text: str, info: bool = False) -> None:
        message = self.query_one(".gate-message", Static)
        message.update(text)
        message.set_class(info, "-info")

    SUBMIT_FIELD = ""  # the input whose Enter saves the form; Enter anywhere else moves to the next field

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # One handler for every form here: Textual runs each class's on_input_submitted in the MRO, so a
        # subclass with its own would move the focus twice (the handover skipped the outgoing PIN).
        event.stop()
        if self.SUBMIT_FIELD and event.input.id == self.SUBMIT_FIELD:
            self.action_save()
        else:
            self.focus_next()


class PatrolScreen(_GateForm):
    TITLE_KEY = "gate.title_patrol"
    TYPED_FIELDS = ("patrol-other", "patrol-findings")
    BINDINGS = [Binding("escape", "back", "core.key_back"),
                Binding("ctrl+s", "save", "gate.key_save", priority=True),
                Binding("f10", "save", "gate.key_save", show=False, priority=True)]
    DEFAULT_CSS = SCREEN_CSS.format(name="PatrolScreen")

    def compose(self) -> ComposeResult:
        yield Static(id="patrol-title", classes="gate-title")
        with Grid():
            yield Label(id="l-place")
            yield Select(self.place_options(), id="patrol-place", allow_blank=False)
            yield Label(id="l-place-other")
            yield Input(id="patrol-other", max_length=60)
            yield Label(id="l-clear")
            yield Checkbox(id="patrol-clear", value=True)
            yield Label(id="l-findings")
            yield Input(id="patrol-findings", max_length=200)
        yield Static("", classes="gate-message", id="patrol-message")
        yield Static(id="patrol-recent-title", classes="gate-sub")
        yield DataTable(id="patrol-recent", cursor_type="row")

    @staticmethod
    def place_options() -> list[tuple[str, str]]:
        from kiosk.services.gate_shift import PATROL_PLACES

        return [(t(f"gate.place_{place}"), place) for place in PATROL_PLACES]

    def on_mount(self) -> None:
        self.refresh_text()
        self.query_one("#patrol-place").focus()
        self.load()

    def refresh_text(self) -> None:
        self.query_one("#patrol-title", Static).update(t("gate.title_patrol"))
        for widget_id, key in (("l-place", "gate.f_place"), ("l-place-other", "gate.place_other"),
                               ("l-clear", "gate.f_all_clear"), ("l-findings", "gate.f_findings")):
            self.query_one(f"#{widget_id}", Label).update(t(key))
        self.query_one("#patrol-clear", Checkbox).label = t("gate.f_all_clear")
        self.query_one("#patrol-other", Input).placeholder = t("gate.ph_place_other")
        self.query_one("#patrol-findings", Input).placeholder = t("gate.ph_findings")
        self.query_one("#patrol-recent-title", Static).update(t("gate.patrol_recent"))

    def action_save(self) -> None:
        place = str(self.query_one("#patrol-place", Select).value)
        if place == "other":
            place = self.query_one("#patrol-other", Input).value.strip()
        self.save(place, self.query_one("#patrol-findings", Input).value, self.query_one("#patrol-clear", Checkbox).value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="gate-patrol")
    def save(self, place: str, findings: str, all_clear: bool) -> None:
        from kiosk.services.gate_shift import log_patrol
        from kiosk.services.visitors import GateError

        try:
            patrol = log_patrol(self.ctx.actor(), place, findings, all_clear)
        except GateError as error:
            self.app.call_from_thread(self.show, error.message())
            return
        self.app.call_from_thread(self.after_save, patrol)

    def after_save(self, patrol) -> None:
        from kiosk.services.gate_exports import place_label

        self.query_one("#patrol-findings", Input).value = ""
        self.query_one("#patrol-other", Input).value = ""
        self.query_one("#patrol-clear", Checkbox).value = True
        self.show(t("gate.patrol_saved", place=place_label(patrol.place)), True)
        self.query_one("#patrol-place").focus()
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="gate-patrol-list")
    def load(self) -> None:
        from kiosk.services.gate_shift import patrols

        rows = patrols(self.ctx.school_id, limit=20)
        self.app.call_from_thread(self.show_rows, rows)

    def show_rows(self, rows) -> None:
        from kiosk.services.gate_exports import place_label

        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_columns(*(t(f"gate.{key}") for key in ("col_time", "col_place", "col_result", "col_findings",
                                                          "col_gatekeeper")))
        for row in rows:
            table.add_row(row.at.astimezone(self.ctx.zone).strftime("%m-%d %H:%M"), place_label(row.place),
                          t("gate.patrol_clear") if row.all_clear else t("gate.patrol_not_clear"), row.findings,
                          row.staff_name)


class HandoverScreen(_GateForm):
    TITLE_KEY = "gate.title_handover"
    TYPED_FIELDS = ("handover-notes", "handover-incoming")
    SUBMIT_FIELD = "handover-incoming-pin"
    BINDINGS = [Binding("escape", "back", "core.key_back"),
                Binding("ctrl+s", "save", "gate.key_save", priority=True),
                Binding("f10", "save", "gate.key_save", show=False, priority=True)]
    DEFAULT_CSS = SCREEN_CSS.format(name="HandoverScreen") + """
    HandoverScreen #handover-items { padding: 0 1; height: auto; max-height: 10; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="handover-title", classes="gate-title")
        yield Static(id="handover-items-title", classes="gate-sub")
        yield Static("", id="handover-items")
        with Grid():
            yield Label(id="l-notes")
            yield Input(id="handover-notes", max_length=300)
            yield Label(id="l-outgoing-pin")
            yield Input(id="handover-outgoing-pin", password=True, max_length=8)
            yield Label(id="l-incoming")
            yield Input(id="handover-incoming", max_length=40)
            yield Label(id="l-incoming-pin")
            yield Input(id="handover-incoming-pin", password=True, max_length=8)
        yield Static("", classes="gate-message", id="handover-message")
        yield Static(id="handover-recent-title", classes="gate-sub")
        yield DataTable(id="handover-recent", cursor_type="row")

    def on_mount(self) -> None:
        self.items = []
        self.refresh_text()
        self.query_one("#handover-notes").focus()
        self.load()

    def refresh_text(self) -> None:
        name = self.ctx.session.name if self.ctx.session else ""
        self.query_one("#handover-title", Static).update(t("gate.title_handover"))
        for widget_id, text in (("l-notes", t("gate.f_notes")), ("l-outgoing-pin", t("gate.f_outgoing_pin", name=name)),
                                ("l-incoming", t("gate.f_incoming")), ("l-incoming-pin", t("gate.f_incoming_pin"))):
            self.query_one(f"#{widget_id}", Label).update(text)
        self.query_one("#handover-recent-title", Static).update(t("gate.handover_recent"))
        self.show_items(getattr(self, "items", []))

    @work(thread=True, exclusive=True, exit_on_error=False, group="gate-handover-list")
    def load(self) -> None:
        from kiosk.services.gate_shift import handovers, open_items

        items = open_items(self.ctx.school_id, zone=self.ctx.zone)
        recent = handovers(self.ctx.school_id, limit=10)
        self.app.call_from_thread(self.show_loaded, items, recent)

    def show_items(self, items) -> None:
        self.items = items
        title = t("gate.handover_items", count=len(items)) if items else t("gate.handover_no_items")
        self.query_one("#handover-items-title", Static).update(title)
        self.query_one("#handover-items", Static).update("\n".join(f"  {item.text}" for item in items))

    def show_loaded(self, items, recent) -> None:
        self.show_items(items)
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_columns(*(t(f"gate.{key}") for key in ("col_time", "col_outgoing", "col_incoming", "col_onsite",
                                                          "f_notes")))
        for row in recent:
            table.add_row(row.at.astimezone(self.ctx.zone).strftime("%m-%d %H:%M"), row.outgoing_name,
                          row.incoming_name, str(row.onsite_count), row.notes)

    def action_save(self) -> None:
        value = lambda wid: self.query_one(f"#{wid}", Input).value  # noqa: E731
        self.save(value("handover-outgoing-pin"), value("handover-incoming"), value("handover-incoming-pin"),
                  value("handover-notes"))

    @work(thread=True, exclusive=True, exit_on_error=False, group="gate-handover")
    def save(self, outgoing_pin: str, incoming: str, incoming_pin: str, notes: str) -> None:
        from kiosk.services.auth import find_staff, session_for
        from kiosk.services.gate_shift import record_handover
        from kiosk.services.visitors import GateError

        try:
            done = record_handover(self.ctx.actor(), outgoing_pin, incoming, incoming_pin, notes, self.ctx.zone)
            incoming_session = session_for(find_staff(incoming, self.ctx.school_id))
        except GateError as error:
            field = {"handover_outgoing_pin": "handover-outgoing-pin", "handover_incoming_pin": "handover-incoming-pin",
                     "handover_incoming_unknown": "handover-incoming", "handover_same_person": "handover-incoming"}
            self.app.call_from_thread(self.after_error, error.message(), field.get(error.field_key))
            return
        self.app.call_from_thread(self.after_save, done, incoming_session)

    def after_error(self, text: str, field: str | None) -> None:
        self.show(text)
        for wid in ("handover-outgoing-pin", "handover-incoming-pin"):
            self.query_one(f"#{wid}", Input).value = ""
        if field:
            self.query_one(f"#{field}").focus()

    def after_save(self, done, incoming_session) -> None:
        # The incoming gatekeeper confirmed with their PIN: the station is theirs from now on, so what
        # happens next is recorded under their name, not the one who went home.
        self.app.hand_over_session(incoming_session)
        for wid in ("handover-outgoing-pin", "handover-incoming", "handover-incoming-pin", "handover-notes"):
            self.query_one(f"#{wid}", Input).value = ""
        self.show(t("gate.handover_saved", outgoing=done.outgoing_name, incoming=done.incoming_name), True)
        self.load()
