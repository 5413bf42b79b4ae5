"""Gate: student pass checks (slip QR, student card or typed number), the overdue board 请假未归,
and the head teacher's verbal permission 班主任口头同意. Screens show and ask; services decide."""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.worker import Worker, WorkerState
from textual.binding import Binding
from textual.widgets import Input, Label, Static
from rich.text import Text

from kiosk.i18n import Msg, t
from kiosk.screens.base import KioskScreen
from kiosk.screens.dialogs import TextDialog
from kiosk.screens.table import TableScreen
from kiosk.widgets.message_line import MessageLine
from kiosk.widgets.scan_input import ScanInput


def _hm(at, zone) -> str:
    return at.astimezone(zone).strftime("%m-%d %H:%M") if at else ""


@dataclass(frozen=True)
class Queued:
    """A code scanned (or typed) while another was on screen, with how it came in."""

    code: str
    direction: str | None  # the gatekeeper's F3 for this card, else None (inferred from the last crossing)
    typed: bool  # keyed in by hand, not a scanner's burst


class VerdictBanner(Static):
    """The full-width verdict, readable from two metres: the word (放行出校 / 准予返校 / 拒绝) in big text,
    centred, in the verdict's colour, the reason under it. A flag (card lending, late return, ...) turns
    the banner amber with the flag as the big word, the verdict and reason under it. Never takes the
    focus: every key goes to the scan input, so a scan cannot be split between two widgets."""

    DEFAULT_CSS = """
    VerdictBanner { width: 100%; height: auto; min-height: 3; content-align: center middle; text-align: center;
                    text-style: bold; padding: 0 1; background: $panel; color: $text-muted; }
    VerdictBanner.-exit { background: #0b6e2f; color: #ffffff; }
    VerdictBanner.-return { background: #0b4f8a; color: #ffffff; }
    VerdictBanner.-refuse { background: #a1101a; color: #ffffff; }
    VerdictBanner.-flagged { background: #f0a30a; color: #000000; }
    """
    KINDS = ("-exit", "-return", "-refuse", "-flagged")

    def show_waiting(self, text: str) -> None:
        self.remove_class(*self.KINDS)
        self.update(text)

    def show_verdict(self, kind: str, word: str, under: str, flagged: bool = False) -> None:
        from kiosk.widgets.big_text import big_rows

        self.remove_class(*self.KINDS)
        self.add_class("-flagged" if flagged else f"-{kind}")
        ink = "on #000000" if flagged else "on #ffffff"
        picture = Text(justify="center")
        for row in big_rows(word, max(10, self.app.size.width - 6)):
            for cell in row:
                picture.append(" ", style=ink if cell == "#" else "")
            picture.append("\n")
        picture.append(word + "  " + under)  # the words as text too: for a screen reader, a log, a copy
        self.update(picture)


class SlipCheckScreen(KioskScreen):
    """One scan at a time, in the order scanned. An allowed verdict waits for Enter (record) or Esc
    (not recorded, logged); codes scanned meanwhile wait in a visible queue and are checked after it,
    so nothing scanned is dropped and no verdict is replaced before the gatekeeper has answered it.
    A verdict that needs the gatekeeper's confirmation (a number typed, not scanned; a day student outside
    hours) is recorded with F2 only: an Enter out of habit does not let anyone through.

    A card's direction comes from the student's last crossing (the service infers it); F3 sets the next
    card's direction by hand, shown on screen until that card is scanned."""

    TITLE_KEY = "slips.title_check"
    BINDINGS = [
        Binding("escape", "back", "core.key_back"),
        Binding("f2", "confirm_key", "slips.key_confirm"),
        Binding("f3", "toggle_direction", "slips.key_direction"),
    ]
    CONFIRM_AFTER_SECONDS = 0.3  # an Enter sooner than this after a verdict appears was meant for the one before
    DEFAULT_CSS = """
    SlipCheckScreen #slip-title { text-style: bold; color: $accent; padding: 0 1; height: 1; }
    SlipCheckScreen #slip-direction { padding: 0 1; height: 1; }
    SlipCheckScreen #slip-scan { margin: 0 1; }
    SlipCheckScreen #slip-queue { padding: 0 2; height: auto; text-style: bold; color: $warning; }
    SlipCheckScreen #slip-details { padding: 0 2; height: auto; }
    /* What to do with the verdict wraps rather than loses its end (按 Esc ... at 80 columns; most English). */
    SlipCheckScreen #slip-hint { padding: 0 2; height: auto; color: $text-muted; }
    SlipCheckScreen #slip-previous { padding: 0 2; height: auto; color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.check = None  # the verdict on screen
        self.code = ""
        self.pending = False  # the verdict on screen is allowed and waits for Enter / Esc
        self.shown_at = 0.0
        self.queue: deque[Queued] = deque()  # scanned, not yet checked
        self.step = None  # the worker of the check / record / drop under way (busy while set)
        self.override: str | None = None  # F3: the next card's direction (exit | return); None: inferred
        self.previous: Msg | None = None  # what became of the verdict answered last (recorded / not recorded)

    @property
    def busy(self) -> bool:
        return self.step is not None

    def compose(self) -> ComposeResult:
        yield Static(id="slip-title")
        yield Static(id="slip-direction")
        yield ScanInput(id="slip-scan", hold_burst_end=True)
        yield Static("", id="slip-queue")
        yield VerdictBanner("", id="slip-verdict")
        yield Static("", id="slip-details")
        yield Static("", id="slip-hint")
        yield MessageLine(id="slip-message")
        yield Static("", id="slip-previous")

    def on_mount(self) -> None:
        self.refresh_text()
        self.query_one("#slip-scan", ScanInput).focus()

    def refresh_text(self) -> None:
        self.query_one("#slip-title", Static).update(t("slips.title_check"))
        self.query_one("#slip-scan", ScanInput).placeholder = t("slips.ph_scan")
        self.query_one("#slip-direction", Static).update(
            t("slips.card_direction_override", direction=t(f"slips.direction_{self.override}")) if self.override
            else t("slips.card_direction"))
        self.query_one("#slip-previous", Static).update(t("slips.previous", what=self.previous) if self.previous else "")
        if self.check is not None:
            self.render_check()
        else:
            self.query_one("#slip-verdict", VerdictBanner).show_waiting(t("slips.waiting_scan"))
        self.show_queue()

    def show_queue(self) -> None:
        waiting = len(self.queue)
        text = ""
        if waiting:
            text = t("slips.queue_pending", count=waiting) if self.pending else t("slips.queue_checking", count=waiting)
        self.query_one("#slip-queue", Static).update(text)

    def action_toggle_direction(self) -> None:
        """Inferred -> next card out -> next card in -> inferred."""
        self.override = {None: "exit", "exit": "return", "return": None}[self.override]
        self.refresh_text()

    def action_back(self) -> None:
        if self.pending:
            self.drop_pending()
        elif self.busy or self.queue:
            self.say("slips.wait_for_checks", level="warning")
        elif self.check is not None:
            self.clear_check()
        else:
            self.dismiss()

    def clear_check(self) -> None:
        self.check = None
        self.code = ""
        self.pending = False
        self.query_one("#slip-verdict", VerdictBanner).show_waiting(t("slips.waiting_scan"))
        self.query_one("#slip-details", Static).update("")
        self.query_one("#slip-hint", Static).update("")

    # ------------------------------------------------------------ one step at a time

    def run_step(self, service, *args, then, **kwargs) -> None:
        """Run a check, a record or a drop; the screen is busy until `then` has run or the step failed."""
        def done(result) -> None:
            self.step = None
            then(result)

        self.step = self.call(service, *args, then=done, group="slip-step", **kwargs)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # The seam tells the person about a failed step (UserError on the message line, a fault on the red
        # banner); here the queue learns of it, so one failure does not stop the gate.
        if event.worker is self.step and event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            self.step = None
            if not self.pending:  # a check that failed: the code was not judged, the student scans again
                self.say("slips.check_failed", level="warning", code="")
            self.next_check()

    def on_scan_input_scanned(self, event: ScanInput.Scanned) -> None:
        event.stop()
        if (self.pending and event.code == self.code) or any(item.code == event.code for item in self.queue):
            # The same person scanning again because nothing happened yet: one check is enough.
            self.say("slips.already_waiting", level="info")
            return
        self.queue.append(Queued(event.code, self.override, typed=not event.from_scanner))
        if self.override is not None:  # F3 was for this card; the next one is inferred again
            self.override = None
            self.refresh_text()
        self.next_check()

    def on_scan_input_enter_on_empty(self, event: ScanInput.EnterOnEmpty) -> None:
        event.stop()
        self.action_confirm()

    def next_check(self) -> None:
        """Check the oldest queued code, unless a step runs or a verdict waits for an answer."""
        if not (self.busy or self.pending) and self.queue:
            from kiosk.services.slips_gate import check_at_gate

            item = self.queue.popleft()
            self.run_step(check_at_gate, self.ctx.actor(), self.ctx.settings, item.code, None, item.direction,
                          typed=item.typed, then=lambda check: self.show_check(check, item.code))
        self.show_queue()

    def show_check(self, check, code: str) -> None:
        from kiosk.services.slips_overdue import raise_overdue_alerts

        self.check, self.code = check, code
        self.pending = check.verdict.allowed
        self.shown_at = time.monotonic()
        self.clear_message()  # the message line speaks of the verdict on screen, never of one before it
        self.render_check()
        self.call(raise_overdue_alerts, self.ctx.actor(), self.ctx.settings, group="slip-overdue-alerts")
        self.next_check()  # a refusal needs no answer: the next queued code is checked at once

    def render_check(self) -> None:
        check, zone = self.check, self.ctx.zone
        verdict = check.verdict
        banner = self.query_one("#slip-verdict", VerdictBanner)
        word = t(f"slips.verdict_{verdict.kind}")
        if verdict.flags:
            flags = "，".join(t(f"slips.flag_{flag}") for flag in verdict.flags)
            banner.show_verdict(verdict.kind, t(f"slips.flag_short_{verdict.flags[0]}"), f"{word}  {check.reason}  {flags}",
                                flagged=True)
        else:
            banner.show_verdict(verdict.kind, word, str(check.reason))
        lines = []
        if check.student is not None:
            s = check.student
            kind = t("slips.boarder") if s.boarder else t("slips.day_student")
            lines.append(t("slips.line_student", name=s.name, number=s.number, class_name=s.class_name, kind=kind,
                           dorm=s.dorm or "-"))
        if check.typed:
            lines.append(t("slips.line_typed"))
        if check.slip is not None:
            v = check.slip
            lines.append(t("slips.line_window", start=_hm(v.leave_from, zone), end=_hm(v.leave_to, zone),
                           back=_hm(v.return_by, zone)))
            companion = " ".join(p for p in (v.companion_name, v.companion_relation, v.companion_phone) if p)
            lines.append(t("slips.line_companion", companion=companion or "-", issuer=v.issuer_name or "-"))
        self.query_one("#slip-details", Static).update("\n".join(lines))
        hint = "slips.hint_refused"
        if verdict.allowed:
            # a day student's card names no slip and no companion: only the student is to be checked
            hint = ("slips.hint_confirm_key" if check.needs_confirmation
                    else "slips.hint_confirm" if check.slip is not None else "slips.hint_confirm_card")
        self.query_one("#slip-hint", Static).update(t(hint))

    def action_confirm(self) -> None:
        """Enter: record the verdict waiting on screen, unless it needs F2 (then say so). If the write is refused
        (the slip was used or revoked meanwhile) or fails, the seam says why and the verdict stays."""
        if self.pending and self.check.needs_confirmation:
            self.say("slips.needs_confirm_key", level="warning")
            return
        self.record_pending(confirmed=False)

    def action_confirm_key(self) -> None:
        """F2: record the verdict waiting on screen, including one that needs the gatekeeper's confirmation."""
        self.record_pending(confirmed=True)

    def record_pending(self, confirmed: bool) -> None:
        if not self.pending or self.busy or time.monotonic() - self.shown_at < self.CONFIRM_AFTER_SECONDS:
            return
        from kiosk.services.slips_gate import record_crossing

        check = self.check
        self.run_step(record_crossing, self.ctx.actor(), self.ctx.settings, check, self.code, confirmed=confirmed,
                      then=lambda done: self.after_record(check, done))

    def after_record(self, check, done) -> None:
        self.clear_check()
        self.clear_message()
        self.show_previous(Msg("slips.recorded", name=check.student.name if check.student else "",
                               direction=Msg(f"slips.direction_{done.direction}"),
                               time=done.at.astimezone(self.ctx.zone).strftime("%H:%M")))
        self.next_check()

    def show_previous(self, what: Msg) -> None:
        """What became of the verdict just answered, on its own line: the message line belongs to the next one."""
        self.previous = what
        self.refresh_text()

    def drop_pending(self) -> None:
        """Esc on an allowed verdict: not recorded, and said so on screen and in the audit log."""
        if self.busy:
            return
        from kiosk.services.slips_gate import dismiss_verdict

        check = self.check
        self.run_step(dismiss_verdict, self.ctx.actor(), check, then=lambda _: self.after_drop(check))

    def after_drop(self, check) -> None:
        self.clear_check()
        self.clear_message()
        self.show_previous(Msg("slips.dismissed", name=check.student.name if check.student else "",
                               verdict=Msg(f"slips.verdict_{check.verdict.kind}")))
        self.next_check()


class OverdueScreen(TableScreen):
    """请假未归: everyone out past their deadline, how late, head teacher and guardian phones; F2 records what happened."""

    TITLE_KEY = "slips.title_overdue"
    BINDINGS = TableScreen.BINDINGS + [Binding("f2", "resolve", "slips.key_resolve")]
    DEFAULT_CSS = """
    OverdueScreen #overdue-summary { padding: 0 1; height: 1; }
    """
    # Who, how late and whom to call come first, so they stay on an 80-column screen; the rest may scroll.
    COLUMN_KEYS = tuple(f"slips.{key}" for key in ("col_name", "col_late", "col_head_teacher", "col_guardian",
                                                    "col_alert", "col_class", "col_dorm", "col_exited", "col_return_by"))

    def compose_above_table(self) -> ComposeResult:
        yield Static(id="overdue-summary")

    def on_mount(self) -> None:
        self.set_interval(60, self.action_refresh)  # someone becomes overdue while the board is open

    def fetch(self):
        from kiosk.services.slips_overdue import overdue_board, raise_overdue_alerts

        raise_overdue_alerts(self.ctx.actor(), self.ctx.settings)
        return overdue_board(self.ctx.settings)

    def cells(self, row):
        zone = self.ctx.zone
        late = t("slips.late", hours=row.minutes_late // 60, minutes=row.minutes_late % 60)
        if row.returned_at:
            state = t("slips.alert_returned", time=_hm(row.returned_at, zone))
        elif row.resolved:  # an outcome is on record, but she is still out: still 未归
            state = t("slips.alert_open_noted", note=row.resolution)
        else:
            state = t("slips.alert_open")
        style = "" if row.returned_at else "bold red"
        cells = (row.student.name, late, f"{row.head_teacher} {row.head_teacher_phone}".strip(), row.guardian_phone,
                 state, row.student.class_name, row.student.dorm, _hm(row.exited_at, zone), _hm(row.return_by, zone))
        return tuple(Text(cell, style=style) for cell in cells)

    def show_rows(self, rows) -> None:
        super().show_rows(rows)
        out = sum(1 for r in rows if r.returned_at is None)
        to_handle = sum(1 for r in rows if not r.resolved)  # a student still out with an outcome is handled
        self.query_one("#overdue-summary", Static).update(
            t("slips.overdue_summary", count=out, open=to_handle) if rows else t("slips.overdue_none"))

    def action_resolve(self) -> None:
        row = self.selected()
        if row is None or row.alert_id is None:
            return
        if row.resolved:
            self.say("slips.err_already_resolved", level="warning")
            return

        def got(note: str | None) -> None:
            if note:
                self.call(resolve_then_board, self.ctx.actor(), self.ctx.settings, row.alert_id, note,
                          then=self.after_resolve)

        self.app.push_screen(TextDialog("slips.resolve_title", "slips.resolve_prompt", required=True,
                                        required_key="slips.err_resolution", name=row.student.name), got)

    def after_resolve(self, rows) -> None:
        self.show_rows(rows)
        self.say("slips.resolved", level="ok")


def resolve_then_board(actor, settings, alert_id: str, note: str):
    """Record an overdue alert's outcome, then read the board again (one step for the screen)."""
    from kiosk.services.slips_overdue import overdue_board, resolve_alert

    resolve_alert(actor, alert_id, note)
    return overdue_board(settings)


class VerbalExceptionScreen(KioskScreen):
    """班主任口头同意: recorded as an exception (never a slip), flagged until the teacher confirms it."""

    TITLE_KEY = "slips.title_verbal"
    BINDINGS = [
        Binding("escape", "back", "core.key_back"),
        Binding("f2", "save", "slips.key_save"),
        Binding("f3", "toggle_direction", "slips.key_direction"),
    ]
    DEFAULT_CSS = """
    VerbalExceptionScreen #verbal-title { text-style: bold; color: $warning; padding: 0 1; height: 1; }
    VerbalExceptionScreen #verbal-warning { padding: 0 1; height: auto; color: $warning; }
    VerbalExceptionScreen Label { padding: 0 1; }
    VerbalExceptionScreen Input { margin: 0 1; }
    """
    FIELDS = ("student", "teacher", "phone", "note")
    TYPED_FIELDS = tuple(f"verbal-{name}" for name in FIELDS)  # Esc asks before throwing typed text away

    def __init__(self) -> None:
        super().__init__()
        self.direction = "exit"

    def compose(self) -> ComposeResult:
        yield Static(id="verbal-title")
        yield Static(id="verbal-warning")
        yield Static(id="verbal-direction")
        for name in self.FIELDS:
            yield Label(id=f"verbal-label-{name}")
            yield Input(id=f"verbal-{name}", max_length=60)
        yield MessageLine(id="verbal-message")

    def on_mount(self) -> None:
        self.refresh_text()
        self.query_one("#verbal-student", Input).focus()

    def refresh_text(self) -> None:
        self.query_one("#verbal-title", Static).update(t("slips.title_verbal"))
        self.query_one("#verbal-warning", Static).update(t("slips.verbal_warning"))
        self.query_one("#verbal-direction", Static).update(
            t("slips.verbal_direction", direction=t(f"slips.direction_{self.direction}")))
        for name in self.FIELDS:
            self.query_one(f"#verbal-label-{name}", Label).update(t(f"slips.field_verbal_{name}"))

    def action_toggle_direction(self) -> None:
        self.direction = "return" if self.direction == "exit" else "exit"
        self.refresh_text()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        names = [f"verbal-{n}" for n in self.FIELDS]
        index = names.index(event.input.id) if event.input.id in names else -1
        if 0 <= index < len(names) - 1:
            self.query_one(f"#{names[index + 1]}", Input).focus()
        else:
            self.action_save()

    def action_save(self) -> None:
        from kiosk.services.slips_gate import record_verbal_exception

        values = {n: self.query_one(f"#verbal-{n}", Input).value for n in self.FIELDS}
        self.call(record_verbal_exception, self.ctx.actor(), student_number=values["student"],
                  direction=self.direction, teacher_name=values["teacher"], teacher_phone=values["phone"],
                  note=values["note"], then=self.after_save)

    def after_save(self, row) -> None:
        for name in self.FIELDS:
            self.query_one(f"#verbal-{name}", Input).value = ""
        self.query_one("#verbal-student", Input).focus()
        self.say("slips.verbal_recorded", level="ok", name=row.student.name, teacher=row.teacher_name,
                 direction=Msg(f"slips.direction_{row.direction}"))
