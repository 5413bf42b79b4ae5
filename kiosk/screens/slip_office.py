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
from kiosk.screens.base import KioskScreen
from kiosk.screens.table import TableScreen
from kiosk.widgets.catalog_text import CatalogText
from kiosk.widgets.message_line import MessageLine

STATUS_STYLE = {"overdue": "bold red", "out": "bold", "pending": "yellow", "revoked": "dim", "expired": "dim",
                "returned": "green", "issued": ""}


def _hm(at, zone) -> str:
    return at.astimezone(zone).strftime("%m-%d %H:%M") if at else ""


def _act_then_list(actor, settings, what: str, slip_id: str, reason: str, fetch):
    """Approve, revoke or print one slip again; then the list as it is now. (view, where printed, rows)."""
    from kiosk.services import slips, slips_office
    from kiosk.services.slip_print import print_slip

    where = ""
    if what == "approve":
        view = slips_office.approve_slip(actor, slip_id)
    elif what == "revoke":
        view = slips_office.revoke_slip(actor, slip_id, reason)
    else:
        view = slips.slip_view(actor.school_id, slip_id)
        where = print_slip(view, settings)
    return view, where, fetch()


def _confirm_then_list(actor, exception_id: str):
    from kiosk.services.slips_office import confirm_verbal_exception, verbal_exceptions

    row = confirm_verbal_exception(actor, exception_id)
    return row, verbal_exceptions(actor.school_id)


OFFICE_CSS = """
{name} .office-title {{ text-style: bold; color: $accent; padding: 0 1; height: 1; }}
{name} .office-summary {{ padding: 0 1; height: 1; }}
{name} DataTable {{ height: 1fr; margin: 0 1; }}
"""


def kind_options() -> list[tuple[str, str]]:
    from kiosk.models.slips import REASON_KINDS

    return [(t(f"slips.kind_{k}"), k) for k in REASON_KINDS]


class IssueScreen(KioskScreen):
    """Head teacher (own class) or admin: fill the form, F2 issues the signed slip and prints it."""

    TITLE_KEY = "slips.title_issue"
    BINDINGS = [Binding("escape", "back", "core.key_back"), Binding("f2", "issue", "slips.key_issue")]
    DEFAULT_CSS = OFFICE_CSS.format(name="IssueScreen") + """
    IssueScreen VerticalScroll > CatalogText { padding: 0 1; }
    IssueScreen Input, IssueScreen Select { margin: 0 1; }
    IssueScreen VerticalScroll { height: 1fr; }
    """
    FIELDS = ("student", "note", "from", "to", "return_by", "companion", "relation", "phone")
    TYPED_FIELDS = ("issue-student", "issue-note", "issue-companion", "issue-relation", "issue-phone")  # times come prefilled

    def compose(self) -> ComposeResult:
        from textual.containers import VerticalScroll

        yield CatalogText("slips.title_issue", classes="office-title", id="issue-title")
        with VerticalScroll():
            yield CatalogText("slips.field_student", id="issue-label-student")
            yield Input(id="issue-student", max_length=32)
            yield CatalogText("slips.field_kind", id="issue-label-kind")
            yield Select(kind_options(), id="issue-kind", allow_blank=False, value="home")
            for name in self.FIELDS[1:]:
                yield CatalogText(f"slips.field_{name}", id=f"issue-label-{name}")
                yield Input(id=f"issue-{name}", max_length=60)
        yield MessageLine(classes="office-message")

    def on_mount(self) -> None:
        zone = self.ctx.zone
        now = clock.now().astimezone(zone).replace(second=0, microsecond=0)
        defaults = {"from": now, "to": now + timedelta(hours=3), "return_by": now + timedelta(days=1)}
        for name, value in defaults.items():
            self.query_one(f"#issue-{name}", Input).value = value.strftime("%Y-%m-%d %H:%M")
        self.refresh_text()
        self.query_one("#issue-student", Input).focus()

    def refresh_text(self) -> None:
        from kiosk.models.slips import REASON_KINDS

        select = self.query_one("#issue-kind", Select)
        current = select.value
        select.set_options(kind_options())  # resets the selection: put it back
        select.value = current if current in REASON_KINDS else "home"
        select.mutate_reactive(Select.value)  # the same value sets nothing: show its text in the new language

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def action_issue(self) -> None:
        from kiosk.clock import parse_local

        values = {n: self.query_one(f"#issue-{n}", Input).value.strip() for n in self.FIELDS}
        times = {}
        for name in ("from", "to", "return_by"):
            try:
                times[name] = parse_local(values[name].replace(" ", "T"), self.ctx.zone)
            except ValueError:
                self.say("slips.err_time", level="error", field=Msg(f"slips.field_{name}"))
                self.query_one(f"#issue-{name}", Input).focus()
                return
        from kiosk.services.slip_print import issue_and_print

        self.call(issue_and_print, self.ctx.actor(), self.ctx.settings, student_number=values["student"],
                  reason_kind=self.query_one("#issue-kind", Select).value, reason_note=values["note"],
                  leave_from=times["from"], leave_to=times["to"], return_by=times["return_by"],
                  companion_name=values["companion"], companion_relation=values["relation"],
                  companion_phone=values["phone"], then=self.after_issue, group="slip-issue")

    def after_issue(self, done) -> None:
        view = done.issued.slip
        # "已签发" once: the state is added only when it is something else (waiting for an approval).
        said = (Msg("slips.issued", name=view.student_name, short=view.short) if view.status == "issued" else
                Msg("slips.issued_state", name=view.student_name, short=view.short,
                    status=Msg(f"slips.status_{view.status}")))
        if done.print_error is None:  # the slip is issued; printing can be repeated from the list
            self.say("slips.issued_and_printed", level="ok", issued=said, printed=Msg("slips.printed", where=done.where))
        else:
            self.say("slips.issued_and_printed", level="warning", issued=said,
                     printed=Msg("slips.print_failed", error=done.print_error.as_msg()))
        for name in self.TYPED_FIELDS:  # done: the form is empty again, so Esc leaves without asking
            self.query_one(f"#{name}", Input).value = ""
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
    COLUMN_KEYS = tuple(f"slips.{key}" for key in (
        "col_short", "col_status", "col_name", "col_class", "col_kind", "col_from", "col_to", "col_return_by",
        "col_approvals", "col_companion"))

    def compose_above_table(self) -> ComposeResult:
        yield Static(id="list-summary")

    def class_filter(self) -> str | None:
        session = self.ctx.session
        if session is None:
            return None
        if session.roles & {"admin", "discipline", "principal"}:
            return None
        return session.class_name or "-"

    def fetch(self):
        from kiosk.services.slips_office import class_slips

        return class_slips(self.ctx.school_id, self.class_filter())

    def cells(self, v):
        zone = self.ctx.zone
        approvals = "/".join(t(f"slips.role_{r}") + ("+" if r in v.approvals else "-") for r in v.required_roles)
        companion = " ".join(p for p in (v.companion_name, v.companion_relation) if p)
        cells = (v.short, t(f"slips.status_{v.status}"), v.student_name, v.class_name, t(f"slips.kind_{v.reason_kind}"),
                 _hm(v.leave_from, zone), _hm(v.leave_to, zone), _hm(v.return_by, zone), approvals, companion)
        return [Text(c, style=STATUS_STYLE.get(v.status, "")) for c in cells]

    def show_rows(self, rows) -> None:
        super().show_rows(rows)
        self.query_one("#list-summary", Static).update(t("slips.list_summary", count=len(self.rows)))

    def action_approve(self) -> None:
        view = self.selected()
        if view is not None:
            self.act("approve", view.id, "")

    def action_revoke(self) -> None:
        view = self.selected()
        if view is None:
            return
        from kiosk.screens.dialogs import TextDialog

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
            view, where, rows = result
            self.show_rows(rows)
            if what == "approve":
                self.say("slips.approved", level="ok", name=view.student_name,
                         status=Msg(f"slips.status_{view.status}"))
            elif what == "revoke":
                self.say("slips.revoked_done", level="ok", name=view.student_name)
            else:
                self.say("slips.printed", level="ok", where=where)

        self.call(_act_then_list, self.ctx.actor(), self.ctx.settings, what, slip_id, reason, self.fetch, then=done,
                  group="slip-act")


class RefusalsScreen(TableScreen):
    """Every refused scan at the gate (forgeries, expired, boarders without a slip, ...), newest first."""

    TITLE_KEY = "slips.title_refusals"
    COLUMN_KEYS = tuple(f"slips.{key}" for key in ("col_time", "col_name", "col_reason", "col_raw", "col_station", "col_staff"))

    def fetch(self):
        """(refused scan, its station as people call it): a name, not an id like st-efee39fe4ef5."""
        from kiosk.services.slips_office import scans
        from kiosk.services.stations import station_label, station_names

        names = station_names(self.ctx.school_id)
        return [(row, station_label(names, row.station_id)) for row in scans(self.ctx.school_id, refusals_only=True)]

    def cells(self, item):
        r, station = item
        return _hm(r.at, self.ctx.zone), r.student_name, r.reason, r.raw[:24], station, r.staff_name


class ExceptionsScreen(TableScreen):
    """Verbal permissions recorded at the gate, until the head teacher (or discipline office) confirms (F2)."""

    TITLE_KEY = "slips.title_exceptions"
    BINDINGS = TableScreen.BINDINGS + [Binding("f2", "confirm", "slips.key_confirm_exception")]
    COLUMN_KEYS = tuple(f"slips.{key}" for key in ("col_time", "col_name", "col_class", "col_direction", "col_teacher",
                                                    "col_gatekeeper", "col_note"))

    def fetch(self):
        from kiosk.services.slips_office import verbal_exceptions

        return verbal_exceptions(self.ctx.school_id)

    def cells(self, r):
        return (_hm(r.at, self.ctx.zone), r.student.name, r.student.class_name, t(f"slips.direction_{r.direction}"),
                f"{r.teacher_name} {r.teacher_phone}", r.gatekeeper, r.note)

    def action_confirm(self) -> None:
        row = self.selected()
        if row is not None:
            self.confirm(row.id)

    def confirm(self, exception_id: str) -> None:
        self.call(_confirm_then_list, self.ctx.actor(), exception_id, then=self.after_confirm, group="slip-exc-confirm")

    def after_confirm(self, result) -> None:
        row, rows = result
        self.show_rows(rows)
        self.say("slips.exception_confirmed", level="ok", name=row.student.name)
