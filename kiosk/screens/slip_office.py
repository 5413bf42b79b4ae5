"""Office: issue a pass slip (signed, printed), the slip list with approvals and revocation, the gate's
refusals, and verbal permissions waiting for the teacher's confirmation."""
from __future__ import annotations

from datetime import timedelta

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Select, Static
from rich.text import Text

from kiosk import clock
from kiosk.i18n import Msg, t
from kiosk.services import acting_roles
from kiosk.screens.base import KioskScreen
from kiosk.screens.table import TableScreen
from kiosk.widgets.catalog_text import CatalogText
from kiosk.widgets.message_line import MessageLine

STATUS_STYLE = {"overdue": "bold red", "out": "bold", "pending": "yellow", "revoked": "dim", "expired": "dim",
                "returned": "green", "issued": ""}


def _hm(at, zone) -> str:
    return at.astimezone(zone).strftime("%m-%d %H:%M") if at else ""


def _act_then_list(actor, settings, what: str, slip_id: str, reason: str, fetch):
    """Approve, revoke or print one slip again; then the list as it is now. (view, SlipPrinted or None, rows)."""
    from kiosk.services import slips, slips_office
    from kiosk.services.slip_print import print_slip

    printed = None
    if what == "approve":
        view = slips_office.approve_slip(actor, slip_id)
    elif what == "revoke":
        view = slips_office.revoke_slip(actor, slip_id, reason)
    else:
        view = slips.slip_view(actor.school_id, slip_id)
        printed = print_slip(view, settings)
    return view, printed, fetch()


def _confirm_then_list(actor, exception_id: str, class_name: str | None):
    from kiosk.services.slips_office import confirm_verbal_exception, verbal_exceptions

    row = confirm_verbal_exception(actor, exception_id)
    return row, verbal_exceptions(actor.school_id, class_name=class_name)


OFFICE_CSS = """
{name} .office-title {{ text-style: bold; color: $accent; padding: 0 1; height: 1; }}
{name} .office-summary {{ padding: 0 1; height: 1; }}
{name} DataTable {{ height: 1fr; margin: 0 1; }}
"""


def kind_options() -> list[tuple[str, str]]:
    from kiosk.models.slips import REASON_KINDS

    return [(t(f"slips.kind_{k}"), k) for k in REASON_KINDS]


class IssueScreen(KioskScreen):
    """Head teacher (own class) or admin: find the student and see who it is, fill the form, F2 issues the
    signed slip and prints it."""

    TITLE_KEY = "slips.title_issue"
    BINDINGS = [Binding("escape", "back", "core.key_back"), Binding("f2", "issue", "slips.key_issue")]
    # One line a field (label, then the field), so the whole form fits 80x24 with the list of matches open.
    DEFAULT_CSS = OFFICE_CSS.format(name="IssueScreen") + """
    IssueScreen .form-row { height: 1; margin: 0 1; }
    IssueScreen .form-label { width: 30; }
    IssueScreen .form-row Input, IssueScreen .form-row Select { width: 1fr; }
    IssueScreen VerticalScroll { height: 1fr; }
    """
    FIELDS = ("note", "from", "to", "return_by", "companion", "relation", "phone")
    TIMES = ("from", "to", "return_by")
    TYPED_FIELDS = ("issue-student", "issue-note", "issue-companion", "issue-relation", "issue-phone")

    def __init__(self) -> None:
        super().__init__()
        self.prefilled_times: dict[str, str] = {}  # the times as prefilled (or as last issued): Esc asks if edited
        self.kind_chosen = False

    def compose(self) -> ComposeResult:
        from textual.containers import Horizontal, VerticalScroll

        from kiosk.screens.student_picker import StudentPicker

        yield CatalogText("slips.title_issue", classes="office-title", id="issue-title")
        with VerticalScroll():
            yield StudentPicker(input_id="issue-student", label_key="office.field_student", class_name=self.own_class())
            with Horizontal(classes="form-row"):
                yield CatalogText("slips.field_kind", id="issue-label-kind", classes="form-label")
                yield Select(kind_options(), id="issue-kind", allow_blank=False, value="home", compact=True)
            for name in self.FIELDS:
                with Horizontal(classes="form-row"):
                    yield CatalogText(f"slips.field_{name}", id=f"issue-label-{name}", classes="form-label")
                    # A time is edited, not retyped: Tab into it must not select it all for the next key to wipe.
                    yield Input(id=f"issue-{name}", max_length=60, select_on_focus=name not in self.TIMES, compact=True)
        yield MessageLine(classes="office-message")

    def own_class(self) -> str | None:
        """The class a head teacher may issue for; None for an admin (every class)."""
        session = self.ctx.session
        if session is None or session.is_admin():
            return None
        return session.class_name or "-"

    def on_mount(self) -> None:
        zone = self.ctx.zone
        now = clock.now().astimezone(zone).replace(second=0, microsecond=0)
        defaults = {"from": now, "to": now + timedelta(hours=3), "return_by": now + timedelta(days=1)}
        for name, value in defaults.items():
            self.query_one(f"#issue-{name}", Input).value = value.strftime("%Y-%m-%d %H:%M")
        self.prefilled_times = self.times_as_typed()
        self.refresh_text()
        self.watch(self.query_one("#issue-kind", Select), "expanded", self.kind_list_closed, init=False)
        self.query_one("#issue-student", Input).focus()

    def on_key(self, event) -> None:
        if event.key == "enter" and self.query_one("#issue-kind", Select).expanded:
            self.kind_chosen = True  # Enter in the open list picks a type: then the form moves on

    def kind_list_closed(self, expanded: bool) -> None:
        """A type picked with Enter moves on to the next field, as Enter does in every other field (Esc stays)."""
        if not expanded and self.kind_chosen:
            self.kind_chosen = False
            self.query_one("#issue-note", Input).focus()

    def times_as_typed(self) -> dict[str, str]:
        return {name: self.query_one(f"#issue-{name}", Input).value for name in self.TIMES}

    def unsaved_input(self) -> bool:
        return super().unsaved_input() or self.times_as_typed() != self.prefilled_times

    def refresh_text(self) -> None:
        from kiosk.models.slips import REASON_KINDS
        from kiosk.screens.student_picker import StudentPicker

        select = self.query_one("#issue-kind", Select)
        current = select.value
        select.set_options(kind_options())  # resets the selection: put it back
        select.value = current if current in REASON_KINDS else "home"
        select.mutate_reactive(Select.value)  # the same value sets nothing: show its text in the new language
        self.query_one(StudentPicker).refresh_text()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def on_student_picker_picked(self, event) -> None:
        if event.student is not None:
            self.clear_message()
        if event.move_on:
            self.query_one("#issue-kind", Select).focus()

    def action_issue(self) -> None:
        from kiosk.clock import parse_local
        from kiosk.screens.student_picker import StudentPicker

        student = self.query_one(StudentPicker).student
        if student is None:
            self.say("office.err_pick_student", level="error")
            self.query_one("#issue-student", Input).focus()
            return
        values = {n: self.query_one(f"#issue-{n}", Input).value.strip() for n in self.FIELDS}
        times = {}
        for name in self.TIMES:
            try:
                times[name] = parse_local(values[name].replace(" ", "T"), self.ctx.zone)
            except ValueError:
                self.say("slips.err_time", level="error", field=Msg(f"slips.field_{name}"))
                self.query_one(f"#issue-{name}", Input).focus()
                return
        from kiosk.services.slip_print import issue_and_print

        self.call(issue_and_print, self.ctx.actor(), self.ctx.settings, student_number=student.number,
                  reason_kind=self.query_one("#issue-kind", Select).value, reason_note=values["note"],
                  leave_from=times["from"], leave_to=times["to"], return_by=times["return_by"],
                  companion_name=values["companion"], companion_relation=values["relation"],
                  companion_phone=values["phone"], then=self.after_issue, group="slip-issue")

    def after_issue(self, done) -> None:
        from kiosk.screens.student_picker import StudentPicker

        view = done.issued.slip
        # "已签发" once: the state is added only when it is something else (waiting for an approval).
        said = (Msg("slips.issued", name=view.student_name, short=view.short) if view.status == "issued" else
                Msg("slips.issued_state", name=view.student_name, short=view.short,
                    status=Msg(f"slips.status_{view.status}")))
        if done.print_error is None:  # the slip is issued; printing can be repeated from the list
            self.say("slips.issued_and_printed", level="ok" if done.printed.printed_on else "warning",
                     issued=said, printed=done.printed.as_msg())
        else:
            self.say("slips.issued_and_printed", level="warning", issued=said,
                     printed=Msg("slips.print_failed", error=done.print_error.as_msg()))
        # Done: the form is empty again (the times stay for the next slip), so Esc leaves without asking.
        self.query_one(StudentPicker).clear()
        for name in self.TYPED_FIELDS[1:]:
            self.query_one(f"#{name}", Input).value = ""
        self.prefilled_times = self.times_as_typed()
        self.query_one("#issue-student", Input).focus()


class SlipListScreen(TableScreen):
    """A head teacher sees their class; discipline office, principal and admin see every class.
    F2 approves (the next step of the ladder this person may give), F8 revokes with a reason, F6 prints again."""

    TITLE_KEY = "slips.title_list"
    BINDINGS = [
        Binding("escape", "back", "core.key_back"),
        Binding("f2", "approve", "slips.key_approve"),
        Binding("f6", "reprint", "slips.key_reprint"),
        Binding("f8", "revoke", "slips.key_revoke"),
        Binding("f5", "refresh", "slips.key_refresh"),
    ]
    DEFAULT_CSS = """
    SlipListScreen .office-summary { padding: 0 1; height: auto; }
    SlipListScreen #list-detail { color: $text-muted; }
    """
    # What a teacher acts on fits 80 columns; the rest of the highlighted slip is on the detail line.
    COLUMN_KEYS = ("slips.col_status", "slips.col_name", "slips.col_class", "slips.col_kind", "office.col_window",
                   "slips.col_return_by")

    def compose_above_table(self) -> ComposeResult:
        yield Static(id="list-summary", classes="office-summary")
        yield Static(id="list-detail", classes="office-summary", markup=False)

    def fetch(self):
        from kiosk.services.slips_office import class_slips

        return class_slips(self.ctx.school_id, acting_roles.session_listing_class(self.ctx.session))

    def window(self, v) -> str:
        """`12-01 14:08~17:08` on one day, `12-01 14:08~12-02 10:00` across days."""
        zone = self.ctx.zone
        start, end = v.leave_from.astimezone(zone), v.leave_to.astimezone(zone)
        return f"{start:%m-%d %H:%M}~{end:%H:%M}" if start.date() == end.date() else f"{start:%m-%d %H:%M}~{end:%m-%d %H:%M}"

    def cells(self, v):
        cells = (t(f"slips.status_{v.status}"), v.student_name, v.class_name, t(f"slips.kind_{v.reason_kind}"),
                 self.window(v), _hm(v.return_by, self.ctx.zone))
        return [Text(c, style=STATUS_STYLE.get(v.status, "")) for c in cells]

    def show_rows(self, rows) -> None:
        super().show_rows(rows)
        self.query_one("#list-summary", Static).update(t("slips.list_summary", count=len(self.rows)))
        self.show_detail()

    def on_data_table_row_highlighted(self, event) -> None:
        self.show_detail()

    def show_detail(self) -> None:
        v = self.selected()
        if v is None:
            self.query_one("#list-detail", Static).update("")
            return
        approvals = "/".join(t(f"slips.role_{r}") + ("+" if r in v.approvals else "-") for r in v.required_roles)
        companion = " ".join(p for p in (v.companion_name, v.companion_relation, v.companion_phone) if p)
        self.query_one("#list-detail", Static).update(t(
            "office.list_detail", short=v.short, companion=companion or t("office.list_no_companion"),
            approvals=approvals))

    # A head teacher's approval is given when they issue; the later steps of the ladder are these roles'.
    APPROVING_ROLES = frozenset({"discipline", "principal", "admin"})

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "approve":  # no F2 on screen for a person who has nothing to approve
            return self.ctx.session is not None and bool(self.ctx.session.roles & self.APPROVING_ROLES)
        return True

    def action_approve(self) -> None:
        view = self.selected()
        if view is not None:
            self.act("approve", view.id, "")

    def action_revoke(self) -> None:
        view = self.selected()
        if view is None:
            return
        from kiosk.screens.dialogs import TextDialog
        from kiosk.services.slip_revoke import revoke_refusal

        refusal = revoke_refusal(view.status)
        if refusal is not None:  # said before a reason is typed for nothing; the service checks again
            self.say(refusal, level="error", name=view.student_name)
            return

        def got(reason: str | None) -> None:
            if reason:
                self.act("revoke", view.id, reason)

        self.app.push_screen(TextDialog("slips.revoke_title", "slips.revoke_prompt", required=True,
                                        required_key="slips.err_revoke_reason", name=view.student_name), got)

    def action_reprint(self) -> None:
        view = self.selected()
        if view is not None:
            self.act("print", view.id, "")

    def act(self, what: str, slip_id: str, reason: str) -> None:
        def done(result) -> None:
            view, printed, rows = result
            self.show_rows(rows)
            if what == "approve":
                self.say("slips.approved", level="ok", name=view.student_name,
                         status=Msg(f"slips.status_{view.status}"))
            elif what == "revoke":
                self.say("slips.revoked_done", level="ok", name=view.student_name)
            else:
                self.say(printed.as_msg(), level="ok" if printed.printed_on else "warning")

        self.call(_act_then_list, self.ctx.actor(), self.ctx.settings, what, slip_id, reason, self.fetch, then=done,
                  group="slip-act")


class RefusalsScreen(TableScreen):
    """Refused scans at the gate (forgeries, expired, boarders without a slip, ...), newest first: a head teacher
    sees their own class's, the school-wide roles every one (acting_roles.listing_class)."""

    TITLE_KEY = "slips.title_refusals"
    # What was scanned last: at 80 columns the station and gatekeeper stay on screen, the raw text is cut.
    COLUMN_KEYS = tuple(f"slips.{key}" for key in ("col_time", "col_name", "col_reason", "col_station", "col_staff", "col_raw"))

    def fetch(self):
        """(refused scan, its station as people call it): a name, not an id like st-efee39fe4ef5."""
        from kiosk.services.slips_office import scans
        from kiosk.services.stations import station_label, station_names

        names = station_names(self.ctx.school_id)
        own = acting_roles.session_listing_class(self.ctx.session)
        return [(row, station_label(names, row.station_id))
                for row in scans(self.ctx.school_id, refusals_only=True, class_name=own)]

    def cells(self, item):
        r, station = item
        return _hm(r.at, self.ctx.zone), r.student_name, r.reason, str(station), r.staff_name, r.raw[:24]


class ExceptionsScreen(TableScreen):
    """Verbal permissions recorded at the gate, until the head teacher (or discipline office) confirms (F2)."""

    TITLE_KEY = "slips.title_exceptions"
    BINDINGS = TableScreen.BINDINGS + [Binding("f2", "confirm", "slips.key_confirm_exception")]
    COLUMN_KEYS = tuple(f"slips.{key}" for key in ("col_time", "col_name", "col_class", "col_direction", "col_teacher",
                                                    "col_gatekeeper", "col_note"))

    def fetch(self):
        from kiosk.services.slips_office import verbal_exceptions

        return verbal_exceptions(self.ctx.school_id, class_name=acting_roles.session_listing_class(self.ctx.session))

    def cells(self, r):
        return (_hm(r.at, self.ctx.zone), r.student.name, r.student.class_name, t(f"slips.direction_{r.direction}"),
                f"{r.teacher_name} {r.teacher_phone}", r.gatekeeper, r.note)

    def action_confirm(self) -> None:
        row = self.selected()
        if row is not None:
            self.confirm(row.id)

    def confirm(self, exception_id: str) -> None:
        self.call(_confirm_then_list, self.ctx.actor(), exception_id,
                  acting_roles.session_listing_class(self.ctx.session), then=self.after_confirm, group="slip-exc-confirm")

    def after_confirm(self, result) -> None:
        row, rows = result
        self.show_rows(rows)
        self.say("slips.exception_confirmed", level="ok", name=row.student.name)
