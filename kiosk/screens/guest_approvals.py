"""Office: overnight guests 陪宿 approved ahead. The head teacher approves a relative's stay during the day;
the dorm registers the guest on arrival with only the dorm manager's PIN (kiosk.screens.dorm_guests.GuestScreen).

The list shows current and upcoming approvals (a head teacher sees their own class, an admin the school);
F2 opens the approval form, F8 withdraws the highlighted approval with a reason. No SQL here: `self.call`
runs kiosk.services.headcount_guest_approvals in a worker.
"""
from __future__ import annotations

from datetime import date

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Label, Static

from kiosk import clock
from kiosk.i18n import t
from kiosk.screens.base import KioskScreen
from kiosk.screens.dialogs import TextDialog
from kiosk.screens.table import TableScreen
from kiosk.services import headcount_guest_approvals, headcount_rules
from kiosk.services.acting_roles import LADDER
from kiosk.services.guest_rules import MAX_GUEST_NIGHTS
from kiosk.widgets.field_input import FieldInput
from kiosk.widgets.message_line import MessageLine


def nights_text(first: date, last: date) -> str:
    return first.strftime("%m-%d") if first == last else f"{first:%m-%d} - {last:%m-%d}"


def parse_form(values: dict[str, str]) -> tuple[date, int] | str:
    """The typed first night and number of nights, or the i18n key of what is wrong with them."""
    try:
        first = date.fromisoformat(values["first"].strip())
    except ValueError:
        return "dorm.ga_err_date"
    text = values["nights"].strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_GUEST_NIGHTS:
        return "dorm.ga_err_nights"
    return first, int(text)


class GuestApprovalListScreen(TableScreen):
    """Current and upcoming approvals; F2 approve a new guest, F8 withdraw (a reason is required)."""

    TITLE_KEY = "dorm.ga_title"
    BINDINGS = TableScreen.BINDINGS + [Binding("f2", "new", "dorm.key_ga_new"),
                                       Binding("f8", "revoke", "dorm.key_ga_revoke")]
    # What a head teacher looks for first on the left; the wide room and masked ID last (they scroll on 80 columns).
    COLUMN_KEYS = tuple(f"dorm.{key}" for key in ("col_ga_student", "col_ga_guest", "col_ga_relation", "col_ga_nights",
                                                  "col_ga_state", "col_ga_teacher", "col_room", "col_ga_id"))

    def class_filter(self) -> str | None:
        """The roles above the head teacher (duty leader, principal, admin) see the school; a head teacher their
        own class (a class-less account sees nothing)."""
        session = self.ctx.session
        if session is None or set(session.roles) & set(LADDER[1:]):
            return None
        return session.class_name or "-"

    def fetch(self):
        today = headcount_rules.night_of(clock.now(), self.ctx.zone)
        return headcount_guest_approvals.class_approvals(self.ctx.school_id, self.class_filter(), today)

    def state(self, view) -> Text:
        if view.revoked:
            return Text(t("dorm.ga_state_revoked", reason=view.revoke_reason), style="dim")
        tonight = headcount_guest_approvals.approval_today(clock.now(), self.ctx.zone)  # by day at the office, "tonight" is today's date
        label = t("dorm.ga_state_tonight") if view.covers(tonight) else t("dorm.ga_state_upcoming")
        if view.nights_used:
            label += "  " + t("dorm.ga_used", count=len(view.nights_used))
        return Text(label, style="bold green" if view.covers(tonight) else "")

    def cells(self, view):
        return (f"{view.student_name} {view.student_number} {view.class_name}", view.guest_name, view.relation,
                nights_text(view.first_night, view.last_night), self.state(view), view.teacher_name,
                f"{view.building_name} {view.room_number}", view.id_masked)

    def show_rows(self, rows) -> None:
        super().show_rows(rows)
        # The empty-list note goes once rows arrive; a message about what was just done stays.
        if not self.rows:
            self.say("dorm.ga_none", level="info")
        elif self.message_text() == t("dorm.ga_none"):
            self.clear_message()

    def action_new(self) -> None:
        def done(view) -> None:
            if view is not None:
                self.say("dorm.ga_done", level="ok", guest=view.guest_name, relation=view.relation,
                         student=view.student_name, first=view.first_night.isoformat(), last=view.last_night.isoformat())
                self.load()

        self.app.push_screen(GuestApprovalFormScreen(), done)

    def action_revoke(self) -> None:
        view = self.selected()
        if view is None or view.revoked:
            return

        def got(reason: str | None) -> None:
            if reason:
                self.revoke(view.id, reason)

        self.app.push_screen(TextDialog("dorm.ga_revoke_title", "dorm.ga_revoke_prompt", required=True, guest=view.guest_name,
                                        student=view.student_name), got)

    def revoke(self, approval_id: str, reason: str) -> None:
        def done(view) -> None:
            self.say("dorm.ga_revoked_done", level="ok", guest=view.guest_name, student=view.student_name)
            self.load()

        self.call(headcount_guest_approvals.revoke_guest_approval, self.ctx.actor(), approval_id, reason, then=done, group="ga-write")


class GuestApprovalFormScreen(KioskScreen):
    """The approval form: Enter moves on, Enter on the last field (or F2) approves; dismisses with the approval."""

    TITLE_KEY = "dorm.ga_form_title"
    BINDINGS = [Binding("escape", "back", "core.key_back"), Binding("f2", "approve", "dorm.key_ga_approve")]
    FIELDS = ("student", "name", "id", "relation", "first", "nights", "note")
    LABELS = {"student": "dorm.ga_student", "name": "dorm.ga_guest_name", "id": "dorm.ga_id",
              "relation": "dorm.ga_relation", "first": "dorm.ga_first_night", "nights": "dorm.ga_nights",
              "note": "dorm.ga_note"}
    TYPED_FIELDS = ("ga-student", "ga-name", "ga-id", "ga-relation", "ga-note")  # first night and nights come prefilled
    DEFAULT_CSS = """
    GuestApprovalFormScreen { align: center middle; }
    GuestApprovalFormScreen #ga-form { width: 80; max-width: 100%; height: auto; padding: 1 2; border: heavy $accent; }
    /* Compact one-line fields without blank rows between them, as on the gate's register form: the form, its
       hint and its message fit 80x24 (with a blank row per field the message was scrolled out of sight). */
    GuestApprovalFormScreen #ga-grid { grid-size: 2; grid-columns: 26 1fr; grid-rows: 1; grid-gutter: 0 0;
                                       height: auto; margin-top: 1; }
    GuestApprovalFormScreen #ga-grid > Label { height: 1; width: 100%; content-align: right middle; padding-right: 1; }
    GuestApprovalFormScreen #ga-grid > FieldInput { background: $boost; }
    GuestApprovalFormScreen #ga-hint { color: $text-muted; margin-top: 1; }
    GuestApprovalFormScreen #ga-message { margin-top: 1; }
    """

    def compose(self) -> ComposeResult:
        with Vertical(id="ga-form"):
            yield Label(id="ga-title", classes="dialog-title")
            with Grid(id="ga-grid"):
                for index, name in enumerate(self.FIELDS):
                    following = f"#ga-{self.FIELDS[index + 1]}" if index + 1 < len(self.FIELDS) else None
                    yield Label(id=f"ga-label-{name}")
                    yield FieldInput(id=f"ga-{name}", max_length=40, next_field=following, compact=True)
            yield Static(id="ga-hint")
            yield MessageLine(id="ga-message")

    def on_mount(self) -> None:
        self.query_one("#ga-first", FieldInput).value = clock.now().astimezone(self.ctx.zone).date().isoformat()
        self.query_one("#ga-nights", FieldInput).value = "1"
        self.refresh_text()
        self.query_one("#ga-student", FieldInput).focus()

    def refresh_text(self) -> None:
        self.query_one("#ga-title", Label).update(t("dorm.ga_form_title"))
        for name in self.FIELDS:
            self.query_one(f"#ga-label-{name}", Label).update(t(self.LABELS[name], most=MAX_GUEST_NIGHTS))
        self.query_one("#ga-hint", Static).update(t("dorm.ga_hint"))

    def values(self) -> dict[str, str]:
        return {name: self.query_one(f"#ga-{name}", FieldInput).value for name in self.FIELDS}

    def on_input_submitted(self, event: FieldInput.Submitted) -> None:
        event.stop()
        if event.input.id == f"ga-{self.FIELDS[-1]}":
            self.action_approve()

    def action_approve(self) -> None:
        values = self.values()
        parsed = parse_form(values)
        if isinstance(parsed, str):
            self.say(parsed, level="error", most=MAX_GUEST_NIGHTS)
            return
        first, nights = parsed
        self.approve(values, first, nights)

    def approve(self, values: dict[str, str], first: date, nights: int) -> None:
        self.call(headcount_guest_approvals.approve_guest, self.ctx.actor(), self.ctx.zone, values["student"], values["name"], values["id"],
                  values["relation"], first, nights, values["note"], then=self.dismiss, group="ga-write")
