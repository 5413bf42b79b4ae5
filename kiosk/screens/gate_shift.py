"""Gate: night patrol log and shift handover (both gatekeepers confirm with their PIN)."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.widgets import Checkbox, DataTable, Input, Select, Static

from kiosk.i18n import t
from kiosk.screens.base import KioskScreen
from kiosk.screens.gate_form import FormSelect, relabel_select
from kiosk.widgets.catalog_text import CatalogText
from kiosk.widgets.message_line import MessageLine

SCREEN_CSS = """
{name} .gate-title {{ text-style: bold; color: $accent; padding: 0 1; height: 1; }}
{name} Grid {{ grid-size: 2; grid-columns: 24 1fr; grid-rows: 3; height: auto; padding: 0 1; }}
{name} Grid > Label, {name} Grid > CatalogText {{ height: 3; content-align: right middle; width: 100%; padding-right: 1; }}
{name} DataTable {{ height: 1fr; margin: 0 1; }}
{name} .gate-message {{ height: auto; min-height: 2; padding: 0 1; text-style: bold; color: $error; }}
{name} .gate-message.-info {{ color: $success; }}
{name} MessageLine.gate-message.-ok {{ color: $success; }}
{name} MessageLine.gate-message.-warning {{ color: $warning; }}
{name} MessageLine.gate-message.-info {{ color: $text; }}
{name} .gate-sub {{ padding: 0 1; height: 1; text-style: bold; }}
"""


def handover_line(item) -> str:
    """An item handed over, as shown: overstayers marked in the language of the moment (超 468 分 / +468 min)."""
    if not item.overstay_minutes:
        return item.text
    return f"{item.text} {t('gate.overstay_short', minutes=item.overstay_minutes)}"


def _handover_lists(school_id: str, zone):
    """(open items to hand over, recent handovers)."""
    from kiosk.services.gate_shift import handovers, open_items

    return open_items(school_id, zone=zone), handovers(school_id, limit=10)


HANDOVER_FIELDS = {"handover_outgoing_pin": "handover-outgoing-pin", "handover_incoming_pin": "handover-incoming-pin",
                   "handover_incoming_unknown": "handover-incoming", "handover_same_person": "handover-incoming"}


class _GateForm(KioskScreen):
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
        yield CatalogText("gate.title_patrol", id="patrol-title", classes="gate-title")
        with Grid():
            yield CatalogText("gate.f_place", id="l-place")
            yield FormSelect(self.place_options(), id="patrol-place", allow_blank=False)
            yield CatalogText("gate.place_other", id="l-place-other")
            yield Input(id="patrol-other", max_length=60)
            yield CatalogText("gate.f_all_clear", id="l-clear")
            yield Checkbox(id="patrol-clear", value=True)
            yield CatalogText("gate.f_findings", id="l-findings")
            yield Input(id="patrol-findings", max_length=200)
        yield MessageLine(classes="gate-message", id="patrol-message")
        yield CatalogText("gate.patrol_recent", id="patrol-recent-title", classes="gate-sub")
        yield DataTable(id="patrol-recent", cursor_type="row")

    @staticmethod
    def place_options() -> list[tuple[str, str]]:
        from kiosk.services.gate_shift import PATROL_PLACES

        return [(t(f"gate.place_{place}"), place) for place in PATROL_PLACES]

    def on_mount(self) -> None:
        self.recent = []
        self.refresh_text()
        self.query_one("#patrol-place").focus()
        self.load()

    def refresh_text(self) -> None:
        self.query_one("#patrol-clear", Checkbox).label = t("gate.f_all_clear")
        self.query_one("#patrol-other", Input).placeholder = t("gate.ph_place_other")
        self.query_one("#patrol-findings", Input).placeholder = t("gate.ph_findings")
        relabel_select(self.query_one("#patrol-place", Select), self.place_options())
        self.show_rows(getattr(self, "recent", []))

    def action_save(self) -> None:
        place = str(self.query_one("#patrol-place", Select).value)
        if place == "other":
            place = self.query_one("#patrol-other", Input).value.strip()
        from kiosk.services.gate_shift import log_patrol

        self.call(log_patrol, self.ctx.actor(), place, self.query_one("#patrol-findings", Input).value,
                  self.query_one("#patrol-clear", Checkbox).value, then=self.after_save, group="gate-patrol")

    def after_save(self, patrol) -> None:
        from kiosk.services.gate_exports import place_label

        self.query_one("#patrol-findings", Input).value = ""
        self.query_one("#patrol-other", Input).value = ""
        self.query_one("#patrol-clear", Checkbox).value = True
        self.say("gate.patrol_saved", level="ok", place=place_label(patrol.place))
        self.query_one("#patrol-place").focus()
        self.load()

    def load(self) -> None:
        from kiosk.services.gate_shift import patrols

        self.call(patrols, self.ctx.school_id, limit=20, then=self.show_rows, group="gate-patrol-list")

    def show_rows(self, rows) -> None:
        from kiosk.services.gate_exports import place_label

        self.recent = rows
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
        name = self.ctx.session.name if self.ctx.session else ""
        yield CatalogText("gate.title_handover", id="handover-title", classes="gate-title")
        yield CatalogText("gate.handover_no_items", id="handover-items-title", classes="gate-sub")
        yield Static("", id="handover-items")
        with Grid():
            yield CatalogText("gate.f_notes", id="l-notes")
            yield Input(id="handover-notes", max_length=300)
            yield CatalogText("gate.f_outgoing_pin", id="l-outgoing-pin", name=name)
            yield Input(id="handover-outgoing-pin", password=True, max_length=8)
            yield CatalogText("gate.f_incoming", id="l-incoming")
            yield Input(id="handover-incoming", max_length=40)
            yield CatalogText("gate.f_incoming_pin", id="l-incoming-pin")
            yield Input(id="handover-incoming-pin", password=True, max_length=8)
        yield MessageLine(classes="gate-message", id="handover-message")
        yield CatalogText("gate.handover_recent", id="handover-recent-title", classes="gate-sub")
        yield DataTable(id="handover-recent", cursor_type="row")

    def on_mount(self) -> None:
        self.items = []
        self.recent = []
        self.refresh_text()
        self.query_one("#handover-notes").focus()
        self.load()

    def refresh_text(self) -> None:
        self.show_loaded((getattr(self, "items", []), getattr(self, "recent", [])))

    def load(self) -> None:
        self.call(_handover_lists, self.ctx.school_id, self.ctx.zone, then=self.show_loaded,
                  group="gate-handover-list")

    def show_items(self, items) -> None:
        self.items = items
        title = self.query_one("#handover-items-title", CatalogText)
        if items:
            title.set_message("gate.handover_items", count=len(items))
        else:
            title.set_message("gate.handover_no_items")
        self.query_one("#handover-items", Static).update("\n".join(f"  {handover_line(item)}" for item in items))

    def show_loaded(self, loaded) -> None:
        items, recent = loaded
        self.recent = recent
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
        from kiosk.services.gate_shift import hand_over

        self.call(hand_over, self.ctx.actor(), value("handover-outgoing-pin"),
                  value("handover-incoming"), value("handover-incoming-pin"), value("handover-notes"),
                  self.ctx.zone, then=self.after_result, group="gate-handover")

    def after_result(self, outcome) -> None:
        if outcome.refused is not None:
            self.after_error(outcome.refused)
        else:
            self.after_save(outcome.done, outcome.incoming_session)

    def after_error(self, error) -> None:
        """Refused: say why, empty both PINs (never left typed on the screen) and put the cursor where to fix."""
        self.say(error, level="error")
        for wid in ("handover-outgoing-pin", "handover-incoming-pin"):
            self.query_one(f"#{wid}", Input).value = ""
        field = HANDOVER_FIELDS.get(error.field_key)
        if field:
            self.query_one(f"#{field}").focus()

    def after_save(self, done, incoming_session) -> None:
        # The incoming gatekeeper confirmed with their PIN: the station is theirs from now on, so what
        # happens next is recorded under their name, not the one who went home.
        self.app.hand_over_session(incoming_session)
        # The next handover from this screen is theirs: the outgoing PIN asked for is theirs too.
        self.query_one("#l-outgoing-pin", CatalogText).set_message("gate.f_outgoing_pin", name=incoming_session.name)
        for wid in ("handover-outgoing-pin", "handover-incoming", "handover-incoming-pin", "handover-notes"):
            self.query_one(f"#{wid}", Input).value = ""
        self.say("gate.handover_saved", level="ok", outgoing=done.outgoing_name, incoming=done.incoming_name)
        self.load()
