"""Incident holds 封存 and the samples they hold (the list for the inspectors, with the samples of the held dates
already disposed). Admins set and release holds; F4 exports the list."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from kiosk.i18n import Msg, t
from kiosk.screens.base import KioskScreen
from kiosk.screens.canteen_common import HELD_STYLE, SAMPLE_COLUMNS, local_time, sample_row, typed_date
from kiosk.screens.dialogs import TextDialog
from kiosk.services.canteen.holds import disposed_under_holds, held_samples, holds, release_hold, set_hold
from kiosk.services.canteen.core import CanteenError, school_today
from kiosk.services.canteen.register import export_held_list
from kiosk.widgets.message_line import MessageLine


class HoldsScreen(KioskScreen):
    """Incident holds 封存 and the samples they hold (the list for the inspectors). Admins set and release."""

    TITLE_KEY = "canteen.holds_title"
    BINDINGS = [
        Binding("escape", "back", "core.key_back"),
        Binding("f2", "new_hold", "canteen.key_new_hold"),
        Binding("f3", "release_hold", "canteen.key_release_hold"),
        Binding("f4", "export_held", "canteen.key_export_held"),
    ]

    DEFAULT_CSS = """
    HoldsScreen .holds-title { text-style: bold; color: $accent; padding: 0 1; }
    HoldsScreen #holds-table { height: auto; max-height: 10; margin: 0 1; }
    HoldsScreen #held-table { height: 1fr; margin: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.data = ([], [], [])  # holds, samples they hold, samples of their dates already disposed

    def compose(self) -> ComposeResult:
        yield Static(id="holds-heading", classes="holds-title")
        yield DataTable(id="holds-table", cursor_type="row")
        yield Static(id="held-heading", classes="holds-title")
        yield DataTable(id="held-table", cursor_type="row", zebra_stripes=True)
        yield MessageLine(id="holds-message")

    def on_mount(self) -> None:
        self.refresh_text()
        self.query_one("#holds-table", DataTable).focus()
        self.load()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("new_hold", "release_hold"):
            return self.ctx.session is not None and self.ctx.session.is_admin()
        return True

    def refresh_text(self) -> None:
        self.query_one("#holds-heading", Static).update(t("canteen.holds_title"))
        hold_table = self.query_one("#holds-table", DataTable)
        hold_table.clear(columns=True)
        for key in ("state", "from", "to", "samples", "reason", "by"):  # the free-text reason late: it is the long one
            hold_table.add_column(t(f"canteen.col_hold_{key}"), key=key)
        held = self.query_one("#held-table", DataTable)
        held.clear(columns=True)
        for key in SAMPLE_COLUMNS:
            held.add_column(t(f"canteen.col_list_{key}"), key=key)
        held.add_column(t("canteen.col_note"), key="note")
        self.show(self.data)

    def load(self) -> None:
        self.call(holds_and_samples, self.ctx.settings, then=self.show, group="load")

    def show(self, data) -> None:
        self.data = data
        hold_list, held, disposed = data
        table = self.query_one("#holds-table", DataTable)
        table.clear()
        for hold in hold_list:
            state = t("canteen.hold_active") if hold.active else t("canteen.hold_released",
                                                                   at=local_time(self.ctx, hold.released_at))
            table.add_row(Text(state, style=HELD_STYLE if hold.active else ""), hold.start_date.isoformat(),
                          hold.end_date.isoformat(), str(hold.samples), hold.reason, hold.set_by_name)
        self.query_one("#held-heading", Static).update(t("canteen.held_heading", count=len(held)))
        samples = self.query_one("#held-table", DataTable)
        samples.clear()
        for sample in held:
            samples.add_row(*sample_row(self.ctx, sample), "；".join(sample.hold_reasons))
        for sample in disposed:  # the inspectors must see what could not be sealed, and who disposed of it when
            samples.add_row(*sample_row(self.ctx, sample), Text(t(
                "canteen.hold_already_disposed", name=sample.disposer_name, at=local_time(self.ctx, sample.disposed_at)),
                style="bold red"))

    def action_new_hold(self) -> None:
        today = school_today(self.ctx.settings).isoformat()

        def got_start(start: str | None) -> None:
            if not start:
                return

            def got_end(end: str | None) -> None:
                if not end:
                    return

                def got_reason(reason: str | None) -> None:
                    if reason:
                        self.change("set", (start, end, reason))

                self.app.push_screen(TextDialog("canteen.hold_reason_title", "canteen.hold_reason_prompt", required=True), got_reason)

            self.app.push_screen(TextDialog("canteen.hold_end_title", "canteen.hold_date_prompt", value=start,
                                            required=True, check=date_refusal), got_end)

        self.app.push_screen(TextDialog("canteen.hold_start_title", "canteen.hold_date_prompt", value=today,
                                        required=True, check=date_refusal), got_start)

    def action_release_hold(self) -> None:
        table = self.query_one("#holds-table", DataTable)
        hold_list = self.data[0]
        if (not hold_list or table.cursor_row is None or table.cursor_row >= len(hold_list)
                or not hold_list[table.cursor_row].active):
            self.say("canteen.pick_hold", level="warning")
            return
        hold = hold_list[table.cursor_row]

        def got_reason(reason: str | None) -> None:
            if reason:
                self.change("release", (hold.id, reason))

        self.app.push_screen(TextDialog("canteen.release_title", "canteen.release_prompt", required=True), got_reason)

    def change(self, what: str, values: tuple) -> None:
        self.call(change_hold, self.ctx.actor(), self.ctx.settings, what, values, then=self.after_change,
                  group="change")

    def after_change(self, message: Msg) -> None:
        self.say(message, level="ok")
        self.load()

    def action_export_held(self) -> None:
        self.call(export_held_list, self.ctx.settings, group="export",
                  then=lambda path: self.say("canteen.exported", level="ok", path=path))


def date_refusal(text: str) -> Msg | None:
    """A typed date's refusal, said in its dialog while the date can still be corrected (not after the reason)."""
    try:
        typed_date(text)
    except CanteenError as refusal:
        return refusal.as_msg()
    return None


def holds_and_samples(settings):
    """In the worker: the holds, the samples they hold, and those of their dates already disposed."""
    return holds(settings), held_samples(settings), disposed_under_holds(settings)


def change_hold(actor, settings, what: str, values: tuple) -> Msg:
    """In the worker: set a hold (typed dates) or release one; returns what to say."""
    if what != "set":
        release_hold(actor, settings, values[0], values[1])
        return Msg("canteen.hold_release_done")
    start_text, end_text, reason = values
    start, end = typed_date(start_text), typed_date(end_text)
    set_hold(actor, settings, start, end, reason)
    return Msg("canteen.hold_set_done", start=start.isoformat(), end=end.isoformat())
