"""Disposal by label scan (before the retention time the screen says how long is left; under a hold, which
hold; already disposed, by whom and when; a reviewer confirms with a PIN) and the due / overdue lists."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from kiosk.i18n import Msg, t
from kiosk.screens.base import KioskScreen
from kiosk.screens.canteen_common import SAMPLE_COLUMNS, Joined, local_time, meal_name, sample_row
from kiosk.screens.dialogs import ConfirmDialog, PinDialog
from kiosk.services.canteen.disposal import check_disposal, disposal_lists, dispose
from kiosk.widgets.message_line import MessageLine
from kiosk.widgets.scan_input import ScanInput


class DisposalScreen(KioskScreen):
    """Scan a sample's label: disposed if its retention time has passed and no hold covers it; otherwise
    the screen says how long is left, or why not. The reviewer confirms with number + PIN."""

    TITLE_KEY = "canteen.dispose_title"
    BINDINGS = [Binding("escape", "back", "core.key_back")]

    DEFAULT_CSS = """
    DisposalScreen #dispose-title { text-style: bold; color: $accent; padding: 0 1; }
    DisposalScreen ScanInput { margin: 1 1; }
    DisposalScreen #dispose-verdict { height: auto; min-height: 5; padding: 1 2; margin: 0 1; border: heavy $accent; }
    DisposalScreen #dispose-verdict.-ok { border: heavy green; }
    DisposalScreen #dispose-verdict.-error { border: heavy red; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="dispose-title")
        yield ScanInput(id="dispose-scan")
        yield MessageLine(id="dispose-verdict")  # the verdict is this screen's message: refusals land here too

    def on_mount(self) -> None:
        self.refresh_text()
        self.query_one(ScanInput).focus()

    def refresh_text(self) -> None:
        self.query_one("#dispose-title", Static).update(t("canteen.dispose_title"))
        self.query_one(ScanInput).placeholder = t("canteen.dispose_placeholder")

    def say(self, message, /, *, level, **values) -> None:
        super().say(message, level=level, **values)
        self.query_one(ScanInput).focus()  # the next label can be scanned at once

    def on_scan_input_scanned(self, event: ScanInput.Scanned) -> None:
        self.check(event.code)

    def describe(self, sample) -> Msg:
        return Msg("canteen.dispose_sample", dish=sample.dish_name, meal=meal_name(sample.meal_kind),
                 day=sample.meal_date.isoformat(), sampled=local_time(self.ctx, sample.sampled_at),
                 sampler=sample.sampler_name, code=sample.qr_payload)

    def check(self, code: str) -> None:
        def checked(outcome) -> None:
            if outcome.done:
                self.ask_reviewer(code, outcome.sample)
            else:
                self.refused(outcome)

        self.call(check_disposal, self.ctx.settings, code, then=checked)

    def refused(self, outcome) -> None:
        sample = outcome.sample
        if outcome.reason == "too_early":
            why = Msg("canteen.dispose_too_early", hours=outcome.hours_left, minutes=outcome.minutes_left,
                      at=local_time(self.ctx, sample.disposable_at))
        elif outcome.reason == "held":
            why = Msg("canteen.dispose_held", reasons="；".join(sample.hold_reasons))
        else:
            why = Msg("canteen.dispose_already", at=local_time(self.ctx, sample.disposed_at), name=sample.disposer_name)
        self.say(Joined(why, self.describe(sample), separator="\n"), level="error")

    def ask_reviewer(self, code: str, sample) -> None:
        def reviewed(session) -> None:
            if session is not None:
                self.dispose(code, session)
            elif self.ctx.settings.canteen.require_reviewer:
                self.say("canteen.err_reviewer_required", level="error")
            else:  # Esc is also how one backs out: disposing without a reviewer is asked, never assumed
                self.app.push_screen(ConfirmDialog(Msg("canteen.dispose_without_reviewer_question", dish=sample.dish_name),
                                                   confirm_key="canteen.dispose_confirm"), without_reviewer)

        def without_reviewer(yes: bool) -> None:
            if yes:
                self.dispose(code, None)
            else:
                self.say("canteen.dispose_cancelled", level="info", dish=sample.dish_name)

        self.say("canteen.dispose_allowed", level="info", dish=sample.dish_name)
        prompt = "canteen.reviewer_prompt_required" if self.ctx.settings.canteen.require_reviewer else "canteen.reviewer_prompt"
        self.app.push_screen(PinDialog("canteen.reviewer_title", prompt_key=prompt), reviewed)

    def dispose(self, code: str, reviewer) -> None:
        def done(outcome) -> None:
            if not outcome.done:
                self.refused(outcome)
                return
            sample = outcome.sample
            reviewer_name = sample.reviewer_name or Msg("canteen.no_reviewer")
            self.say(Joined(Msg("canteen.dispose_done", dish=sample.dish_name, name=sample.disposer_name,
                                reviewer=reviewer_name), self.describe(sample), separator="\n"), level="ok")

        self.call(dispose, self.ctx.actor(), self.ctx.settings, code,
                  reviewer_id=reviewer.staff_id if reviewer else None,
                  reviewer_name=reviewer.name if reviewer else "", then=done)


class DisposalListsScreen(KioskScreen):
    """Samples overdue for disposal (first, red) and due for disposal."""

    TITLE_KEY = "canteen.lists_title"
    BINDINGS = [Binding("escape", "back", "core.key_back"), Binding("f5", "reload", "canteen.key_reload")]

    DEFAULT_CSS = """
    DisposalListsScreen #lists-title { text-style: bold; color: $accent; padding: 0 1; }
    DisposalListsScreen DataTable { height: 1fr; margin: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.lists = ([], [])

    def compose(self) -> ComposeResult:
        yield Static(id="lists-title")
        yield DataTable(id="lists-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.refresh_text()
        self.query_one(DataTable).focus()
        self.action_reload()

    def refresh_text(self) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        for key in SAMPLE_COLUMNS:
            table.add_column(t(f"canteen.col_list_{key}"), key=key)
        self.show(self.lists)

    def action_reload(self) -> None:
        self.call(disposal_lists, self.ctx.settings, then=self.show)

    def show(self, lists) -> None:
        self.lists = lists
        due, overdue = lists
        self.query_one("#lists-title", Static).update(t("canteen.lists_heading", overdue=len(overdue), due=len(due)))
        table = self.query_one(DataTable)
        table.clear()
        for sample in list(overdue) + list(due):
            table.add_row(*sample_row(self.ctx, sample))
