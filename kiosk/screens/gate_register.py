"""Gate: the visitor register form, and the watchlist decision dialog.

Keyboard only: Enter moves to the next field; scanning (or typing) an ID number and Enter checks it and
prefills a returning visitor; Enter in the host field searches; Ctrl+S / F10 saves. A failed check keeps
everything typed and puts the cursor on the field to fix. A watchlist hit opens the decision dialog.
With a card reader (idcard.port), a card on it fills the form (kiosk.screens.gate_card); a reader that types like
a keyboard (number, maybe name, Enter) goes through the ID field.
"""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Input, OptionList, Select, Static
from textual.widgets.option_list import Option

from kiosk import clock
from kiosk.i18n import Msg, t
from kiosk.idcard.wedge import split_wedge
from kiosk.screens import gate_card
from kiosk.screens.base import KioskModal, KioskScreen
from kiosk.services import visitor_rules as rules
from kiosk.services.visitor_rules import HostRef, VisitForm
from kiosk.widgets.catalog_text import CatalogText
from kiosk.widgets.idcard_watch import IdCardWatch
from kiosk.widgets.message_line import MessageLine
from kiosk.widgets.scan_input import ScanInput

# (field, label key, widget kind) in form order; field names match FieldError.field.
FIELDS = (
    ("id_type", "gate.f_id_type", "select"),
    ("id_number", "gate.f_id_number", "scan"),
    ("name", "gate.f_name", "input"),
    ("phone", "gate.f_phone", "input"),
    ("category", "gate.f_category", "select"),
    ("unit", "gate.f_unit", "input"),
    ("reason", "gate.f_reason", "input"),
    ("host", "gate.f_host", "input"),
    ("companions", "gate.f_companions", "input"),
    ("companion_names", "gate.f_companion_names", "input"),
    ("vehicle_plate", "gate.f_vehicle", "input"),
    ("items", "gate.f_items", "input"),
    ("expected_leave", "gate.f_expected_leave", "input"),
    ("duty_leader", "gate.f_duty_leader", "input"),
)
TEXT_FIELDS = [name for name, _, kind in FIELDS if kind != "select"]


class IdInput(ScanInput):
    """The ID number field: a scan or Enter checks the number; Enter on an empty field moves on (no document)."""

    async def action_submit(self) -> None:
        if not self.value.strip():
            self.screen.focus_next()
            return
        await super().action_submit()


def id_type_options() -> list[tuple[str, str]]:
    return [(t(f"gate.idtype_{kind}"), kind) for kind in rules.ID_TYPES]


def category_options() -> list[tuple[str, str]]:
    return [(t(f"gate.category_{kind}"), kind) for kind in rules.CATEGORIES]


def relabel_select(select: Select, options: list[tuple[str, str]], default=Select.NULL) -> None:
    """The options (and prompt) in the current language, keeping the chosen value (F9). Textual's set_options
    resets the value, and when the same value is put back it keeps showing the old language's label."""
    from textual.widgets._select import SelectCurrent

    keep = select.value
    select.prompt = t("core.choose")
    with select.prevent(Select.Changed):
        select.set_options(options)
        value = keep if keep != Select.NULL else default
        if value != Select.NULL:
            select.value = value
    label = {value: text for text, value in options}.get(select.value)
    if label is not None:
        select.query_one(SelectCurrent).update(label)


class RegisterScreen(KioskScreen):
    TITLE_KEY = "gate.title_register"
    BINDINGS = [
        Binding("escape", "back", "core.key_back"),
        Binding("ctrl+s", "save", "gate.key_save", priority=True),
        Binding("f10", "save", "gate.key_save", show=False, priority=True),
        Binding("f6", "slip", "gate.key_slip"),
        Binding("ctrl+r", "clear", "gate.key_clear"),
        Binding("f7", "demo_card", "idcard.key_demo_card"),  # only with the simulated reader (check_action)
    ]

    DEFAULT_CSS = """
    RegisterScreen #reg-title { text-style: bold; color: $accent; padding: 0 1; height: 1; }
    /* Compact one-line fields: the whole form, the host list and the message fit an 80x24 console. */
    RegisterScreen #reg-form { grid-size: 4; grid-columns: 12 1fr 12 1fr; grid-rows: 1; grid-gutter: 1 0;
                               height: auto; padding: 1 1 0 1; }
    RegisterScreen #reg-form > CatalogText { height: 1; content-align: right middle; width: 100%; padding-right: 1; }
    RegisterScreen #reg-form > Input, RegisterScreen #reg-form > Select { background: $boost; }
    RegisterScreen #reg-hosts { height: auto; max-height: 8; margin: 0 1; display: none; border: round $accent; }
    RegisterScreen #reg-hosts.-shown { display: block; }
    RegisterScreen #reg-message { min-height: 2; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.host: HostRef | None = None
        self.host_hits: list[HostRef] = []
        self.last_visit = None
        self.save_worker = None  # the save under way, if any
        self.night_leader: tuple[str, str] | None = None  # (staff id, name) of the duty leader who confirmed with a PIN
        self.card_fill = None  # the FormFill of the card last read (kiosk.screens.gate_card)
        self.card_decision = None  # the Decision taken when that card's watchlist hit was shown

    def compose(self) -> ComposeResult:
        yield CatalogText("gate.title_register", id="reg-title")
        with Grid(id="reg-form"):
            for name, label_key, kind in FIELDS:
                yield CatalogText(label_key, id=f"l-{name}")
                if kind == "select":
                    options = id_type_options() if name == "id_type" else category_options()
                    value = "resident" if name == "id_type" else Select.NULL
                    yield Select(options, id=f"f-{name}", value=value, allow_blank=name != "id_type",
                                 prompt=t("core.choose"), compact=True)
                elif kind == "scan":
                    yield IdInput(id=f"f-{name}", clear_on_submit=False, max_length=40, compact=True)
                else:
                    yield Input(id=f"f-{name}", max_length=80, compact=True)
        yield OptionList(id="reg-hosts")
        yield MessageLine(id="reg-message")
        reader = gate_card.reader_line(self.ctx.settings)
        if reader is not None:
            yield reader

    def on_mount(self) -> None:
        self.refresh_text()
        self.query_one("#f-id_number").focus()

    def refresh_text(self) -> None:
        gate = self.ctx.settings.gate
        relabel_select(self.query_one("#f-id_type", Select), id_type_options())
        relabel_select(self.query_one("#f-category", Select), category_options())
        self.query_one("#f-id_number", Input).placeholder = t("gate.ph_id_number")
        self.query_one("#f-host", Input).placeholder = t("gate.ph_host")
        self.query_one("#f-expected_leave", Input).placeholder = t("gate.ph_expected_leave",
                                                                  minutes=gate.visitor_default_stay_minutes)
        night = rules.is_night_visit(clock.now().astimezone(self.ctx.zone), gate.visiting_hours)
        leader = self.query_one("#f-duty_leader", Input)
        leader.placeholder = t("gate.ph_duty_leader")
        if night and not self.message_text():
            self.say("gate.night_notice", level="warning", hours=gate.visiting_hours)
        if self.query_one("#reg-hosts", OptionList).has_class("-shown"):
            self.fill_hosts()

    # ------------------------------------------------------------ card reader

    def on_id_card_watch_card_read(self, event: IdCardWatch.CardRead) -> None:
        event.stop()
        gate_card.card_read(self, event.card)

    def on_screen_suspend(self) -> None:
        for reader in self.query(IdCardWatch):
            reader.pause()  # under a dialog or another screen the form takes no cards and lets go of the port

    def on_screen_resume(self) -> None:  # KioskScreen.on_screen_resume runs too (Textual calls each class's)
        for reader in self.query(IdCardWatch):
            reader.resume()

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "demo_card":
            return any(reader.simulated for reader in self.query(IdCardWatch))
        return True

    def action_demo_card(self) -> None:
        for reader in self.query(IdCardWatch):
            if reader.simulated:
                reader.place_next_demo_card()

    # ------------------------------------------------------------ helpers

    def value(self, name: str) -> str:
        return self.query_one(f"#f-{name}", Input).value

    def set_value(self, name: str, value: str) -> None:
        self.query_one(f"#f-{name}", Input).value = value

    @property
    def saving(self) -> bool:
        """A save is being written: a second Ctrl+S, or a card read, waits for it."""
        return self.save_worker is not None and not self.save_worker.is_finished

    def focus_field(self, name: str) -> None:
        self.query_one(f"#f-{name}").focus()

    def action_clear(self) -> None:
        for name in TEXT_FIELDS:
            self.set_value(name, "")
        self.query_one("#f-id_type", Select).value = "resident"
        self.query_one("#f-category", Select).clear()
        self.host = None
        self.night_leader = None
        self.card_fill = self.card_decision = None
        self.hide_hosts()
        self.focus_field("id_number")

    def hide_hosts(self) -> None:
        self.query_one("#reg-hosts", OptionList).remove_class("-shown")

    # ------------------------------------------------------------ keyboard flow

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        field = (event.input.id or "").removeprefix("f-")
        if field == "host":
            self.search_hosts(event.value)
            return
        if field == "duty_leader":
            self.action_save()
            return
        self.focus_next()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.has_focus and event.value is not Select.NULL:
            self.focus_next()

    def on_scan_input_scanned(self, event: ScanInput.Scanned) -> None:
        event.stop()
        number, name = split_wedge(event.code)  # a keyboard-style card reader may type the name after the number
        if name and not self.value("name").strip():
            self.set_value("name", name)
        self.lookup_id(number, self.query_one("#f-id_type", Select).value)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "f-host" and self.host is not None and event.value != self.host.name:
            self.host = None  # typing over a chosen host un-chooses it

    # ------------------------------------------------------------ ID lookup (returning visitor)

    def lookup_id(self, code: str, id_type: str) -> None:
        from kiosk.services.visitor_card import id_lookup

        today = clock.now().astimezone(self.ctx.zone).date()
        self.call(id_lookup, self.ctx.school_id, id_type, code, today, then=self.after_lookup, group="gate-id")

    def after_lookup(self, found) -> None:
        checked, prefill = found.checked, found.prefill
        self.query_one("#f-id_type", Select).value = found.id_type
        if not checked.ok:
            self.say(f"gate.{checked.error}", level="error", **checked.error_values)
            self.focus_field("id_number")
            return
        self.set_value("id_number", checked.number)
        if prefill is None:
            if checked.warning:
                self.say(f"gate.{checked.warning}", level="warning")
            else:
                self.clear_message()
            self.focus_field("phone" if self.value("name").strip() else "name")
            return
        self.apply_prefill(prefill)

    def apply_prefill(self, prefill, *, keep_name: bool = False) -> None:
        """A returning visitor's last visit on the form, as today's (the card's name wins when it gave one)."""
        if not (keep_name and self.value("name").strip()):
            self.set_value("name", prefill.name)
        self.set_value("phone", prefill.phone)
        self.query_one("#f-category", Select).value = prefill.category
        self.set_value("unit", prefill.unit)
        self.set_value("reason", prefill.reason)
        self.set_value("vehicle_plate", prefill.vehicle_plate)
        if prefill.host_id:
            self.host = HostRef(prefill.host_kind, prefill.host_id, prefill.host_name)
            self.set_value("host", prefill.host_name)
        last = prefill.last_visit.astimezone(self.ctx.zone).strftime("%Y-%m-%d")
        self.say("gate.returning", level="ok", visits=prefill.visits + 1, date=last)
        self.focus_field("reason")

    # ------------------------------------------------------------ host search

    def search_hosts(self, query: str) -> None:
        from kiosk.services.visitors import search_hosts

        self.call(search_hosts, query, self.ctx.school_id, then=self.show_hosts, group="gate-host")

    def show_hosts(self, hits: list[HostRef]) -> None:
        self.host_hits = hits
        menu = self.query_one("#reg-hosts", OptionList)
        if not hits:
            menu.clear_options()
            self.hide_hosts()
            self.say("gate.host_none_found", level="error")
            self.focus_field("host")
            return
        self.fill_hosts()
        menu.add_class("-shown")
        menu.highlighted = 0
        menu.focus()

    def fill_hosts(self) -> None:
        """The host list in the current language (again on F9, keeping the highlighted line)."""
        menu = self.query_one("#reg-hosts", OptionList)
        keep = menu.highlighted
        menu.clear_options()
        for index, hit in enumerate(self.host_hits):
            kind = t("gate.host_student") if hit.kind == "student" else t("gate.host_staff")
            menu.add_option(Option(f"{hit.name}  [dim]{kind} {hit.detail}[/dim]", id=str(index)))
        if keep is not None and self.host_hits:
            menu.highlighted = min(keep, len(self.host_hits) - 1)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.host = self.host_hits[int(event.option.id)]
        self.set_value("host", self.host.name)
        self.hide_hosts()
        self.say("gate.host_chosen", level="ok", name=self.host.name)
        self.focus_field("companions")

    # ------------------------------------------------------------ save

    def build_form(self) -> VisitForm | tuple[str, str]:
        """The form as typed, or (field, catalog key) for a field the screen itself cannot read."""
        now_local = clock.now().astimezone(self.ctx.zone)
        companions = rules.parse_companions(self.value("companions"))
        if companions is None:
            return "companions", "gate.companions_bad"
        try:
            leave = rules.parse_leave_time(self.value("expected_leave"), now_local)
        except ValueError:
            return "expected_leave", "gate.leave_bad"
        category = self.query_one("#f-category", Select).value
        host = self.host if self.host is not None and self.value("host") == self.host.name else None
        return VisitForm(
            id_type=str(self.query_one("#f-id_type", Select).value), id_number=self.value("id_number"),
            name=self.value("name"), phone=self.value("phone"),
            category="" if category is Select.NULL else str(category), reason=self.value("reason"),
            unit=self.value("unit"), host=host, companions=companions,
            companion_names=self.value("companion_names"), vehicle_plate=self.value("vehicle_plate"),
            items=self.value("items"), expected_leave_at=leave, duty_leader=self.value("duty_leader"),
            duty_leader_id=self.night_leader[0] if self.night_leader and self.night_leader[1] == self.value("duty_leader") else "",
            sex=gate_card.sex_for(self, self.value("id_number")),
        )

    def unsaved_input(self) -> bool:
        return any(self.value(name).strip() for name in TEXT_FIELDS)

    def action_back(self) -> None:
        menu = self.query_one("#reg-hosts", OptionList)
        if menu.has_class("-shown"):  # Escape closes the host list first; the form stays
            self.hide_hosts()
            self.focus_field("host")
            return
        super().action_back()

    def action_save(self) -> None:
        if self.saving:  # a second Ctrl+S while the first is being written must not register twice
            return
        if not any(self.value(name).strip() for name in TEXT_FIELDS):
            return  # a blank form (just saved and cleared): nothing to save, keep the last message
        form = self.build_form()
        if isinstance(form, tuple):
            field, key = form
            self.say(key, level="error")
            self.focus_field(field)
            return
        self.say("gate.working", level="info")
        self.submit(form, gate_card.decision_for(self, form.id_number))

    def submit(self, form: VisitForm, decision) -> None:
        from functools import partial

        from kiosk.services.visitors import register_visit

        self.save_worker = self.call(register_visit, self.ctx.actor(), form, self.ctx.settings, decision,
                                     then=partial(self.after_submit, form), group="gate-register")

    def after_submit(self, form: VisitForm, result) -> None:
        if result.status == "invalid":
            first = result.errors[0]
            self.say(f"gate.{first.key}", level="error", **first.values)
            self.focus_field(first.field)
            if first.key == "night_needs_duty_leader":
                self.ask_night_leader(form)
            return
        if result.status == "needs_decision":
            if result.problem:
                self.say(f"gate.{result.problem}", level="error")

            def decided(decision) -> None:
                if decision is None:
                    self.clear_message()
                    self.focus_field("id_number")
                    return
                self.submit(form, decision)

            self.app.push_screen(DecisionScreen(result.hits, result.level), decided)
            return
        visit = result.visit
        self.last_visit = visit if result.status == "admitted" else None
        self.action_clear()
        if result.status == "refused":
            self.say("gate.saved_refused", level="warning", name=visit.name)
        else:
            self.say("gate.saved_admitted", level="ok", name=visit.name, code=visit.code)

    # ------------------------------------------------------------ night visit: the duty leader confirms

    def ask_night_leader(self, form: VisitForm) -> None:
        """Outside visiting hours a duty leader from the staff list lets the visitor in with their own PIN
        (a typed name is not a confirmation); then the same form is saved again."""
        from dataclasses import replace

        from kiosk.screens.dialogs import PinDialog

        def confirmed(session) -> None:
            if session is None:
                return
            if not (session.roles & rules.NIGHT_LEADER_ROLES):
                self.say("gate.night_leader_not_duty", level="error", name=session.name)
                return
            self.night_leader = (session.staff_id, session.name)
            self.set_value("duty_leader", session.name)
            self.say("gate.working", level="info")
            self.submit(replace(form, duty_leader=session.name, duty_leader_id=session.staff_id), None)

        self.app.push_screen(PinDialog("gate.night_leader_title", prompt_key="gate.night_leader_prompt"), confirmed)

    # ------------------------------------------------------------ visitor slip

    def action_slip(self) -> None:
        """F6 prints the slip of the visit just saved, never while the form holds another visitor's
        unsaved details (that printed the previous visitor's slip for the person at the window)."""
        if self.unsaved_input():
            self.say("gate.slip_save_first", level="warning")
            return
        if self.last_visit is None:
            self.say("gate.slip_nothing", level="warning")
            return
        self.print_slip(self.last_visit)

    def print_slip(self, visit) -> None:
        from kiosk.services.visitor_slip import print_visitor_slip

        self.call(print_visitor_slip, self.ctx.settings, visit, then=self.after_slip, group="gate-slip")

    def after_slip(self, result) -> None:
        if result.is_file:
            self.say("gate.slip_saved", level="ok", path=result.where)
        else:
            self.say("gate.slip_printed", level="ok")


class DecisionScreen(KioskModal):
    """A watchlist hit: allow (written reason; past a deny entry also a duty leader's PIN) or refuse.

    Dismisses with a kiosk.services.visitors.Decision, or None (Escape: nothing recorded, form kept).
    """

    BINDINGS = [
        Binding("escape", "cancel", "core.cancel"),
        Binding("a", "allow", "gate.key_allow"),
        Binding("r", "refuse", "gate.key_refuse"),
    ]
    DEFAULT_CSS = """
    DecisionScreen { align: center middle; }
    DecisionScreen > Vertical { width: 84; height: auto; border: thick $error; background: $surface; padding: 1 2; }
    DecisionScreen #decision-title { text-style: bold; color: $error; width: 100%; content-align: center middle; }
    DecisionScreen #decision-hits { margin: 1 0; }
    DecisionScreen #decision-error { color: $error; text-style: bold; height: auto; }
    """

    def __init__(self, hits, level: str) -> None:
        super().__init__()
        self.hits = hits
        self.level = level
        self.reason = ""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield CatalogText("gate.decision_title", id="decision-title")
            yield Static(self.hit_lines(), id="decision-hits")
            yield CatalogText(f"gate.decision_prompt_{self.level}")
            yield Static(self.key_line(), id="decision-keys")
            yield MessageLine(id="decision-error")

    def hit_lines(self) -> str:
        return "\n".join(str(Msg("gate.decision_hit", level=Msg(f"gate.level_{hit.level}"),
                                 match=Msg(f"gate.match_{hit.match}"), name=hit.entry_name or "-",
                                 reason=hit.reason)) for hit in self.hits)

    @staticmethod
    def key_line() -> str:
        return f"[b]A[/b] {t('gate.key_allow')}    [b]R[/b] {t('gate.key_refuse')}    [b]Esc[/b] {t('core.cancel')}"

    def refresh_text(self) -> None:
        self.query_one("#decision-hits", Static).update(self.hit_lines())
        self.query_one("#decision-keys", Static).update(self.key_line())

    def action_refuse(self) -> None:
        from kiosk.services.visitors import Decision

        self.dismiss(Decision("refuse"))

    def action_allow(self) -> None:
        self.app.push_screen(TextDialogReason(), self._got_reason)

    def _got_reason(self, reason: str | None) -> None:
        from kiosk.services.visitors import Decision

        if not reason or len(reason.strip()) < 2:
            self.say("gate.decision_reason_required", level="error")
            return
        self.reason = reason
        if self.level != "deny":
            self.dismiss(Decision("allow", reason))
            return
        from kiosk.screens.dialogs import PinDialog

        self.app.push_screen(PinDialog("gate.approver_title"), self._got_approver)

    def _got_approver(self, session) -> None:
        from kiosk.services.visitors import Decision

        if session is None:
            return
        if not (session.roles & rules.OVERRIDE_ROLES):
            self.say("gate.approver_not_allowed", level="error", name=session.name)
            return
        self.dismiss(Decision("allow", self.reason, session.staff_id, session.name, session.roles))


def TextDialogReason():
    from kiosk.screens.dialogs import TextDialog

    return TextDialog("gate.decision_reason_title", "gate.decision_reason_prompt", required=True)
