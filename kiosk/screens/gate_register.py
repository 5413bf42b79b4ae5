"""Gate: the visitor register form.

Keyboard only: Enter moves to the next field (on a chosen dropdown too); scanning (or typing) an ID number and
Enter checks it, prefills a returning visitor and checks the watchlist at once; a name typed with no number is
checked when Enter leaves it; Enter in the host field searches; Ctrl+S / F10 saves. A save that cannot be done
shows every problem at once, each under its field, keeps everything typed and puts the cursor on the first; each
note goes as soon as its field is right. A watchlist hit opens the decision dialog (kiosk.screens.gate_decision)
the moment it is known; the decision is kept for the save. With a card reader (idcard.port), a card on it fills
the form (kiosk.screens.gate_card); a reader that types like a keyboard (number, maybe name, Enter) goes through
the ID field.
"""
from __future__ import annotations

from functools import partial

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Input, OptionList, Select
from textual.widgets.option_list import Option

from kiosk import clock
from kiosk.i18n import t
from kiosk.idcard.wedge import split_wedge
from kiosk.screens import gate_card
from kiosk.screens.base import KioskScreen
from kiosk.screens.gate_decision import DecisionScreen
from kiosk.screens.gate_form import (FIELD_NAMES, FIELDS, LABEL_WIDTH, TEXT_FIELDS, FormSelect, IdInput,
                                     ProblemNotes, category_options, id_type_options, relabel_select)
from kiosk.screens.gate_form import FieldNote
from kiosk.screens.gate_watch_alert import WatchAlert
from kiosk.services import visitor_rules as rules
from kiosk.services.visitor_form import FormRules, check_form, only_the_night_leader_missing
from kiosk.services.visitor_rules import FieldError, HostRef, VisitForm
from kiosk.widgets.catalog_text import CatalogText
from kiosk.widgets.idcard_watch import IdCardWatch
from kiosk.widgets.message_line import MessageLine

__all__ = ["RegisterScreen", "DecisionScreen"]


class RegisterScreen(WatchAlert, ProblemNotes, KioskScreen):
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
    /* Compact fields, each with the line under it for what to fix: the whole form, the host list and the
       message fit an 80x24 console. */
    RegisterScreen #reg-form { grid-size: 4; grid-columns: %(label)d 1fr %(label)d 1fr; grid-rows: 2;
                               grid-gutter: 0 0; height: auto; padding: 1 1 0 1; }
    RegisterScreen #reg-form > CatalogText { height: 1; content-align: right middle; width: 100%%; padding-right: 1; }
    RegisterScreen #reg-form > Vertical { height: 2; }
    RegisterScreen #reg-form Input, RegisterScreen #reg-form Select { background: $boost; }
    RegisterScreen #reg-form > CatalogText.-wrong { color: $error; text-style: bold; }
    RegisterScreen #reg-hosts { height: auto; max-height: 8; margin: 0 1; display: none; border: round $accent; }
    RegisterScreen #reg-hosts.-shown { display: block; }
    RegisterScreen #reg-message { min-height: 2; }
    """ % {"label": LABEL_WIDTH}

    def __init__(self) -> None:
        super().__init__()
        self.host: HostRef | None = None
        self.host_hits: list[HostRef] = []
        self.last_visit = None
        self.save_worker = None  # the save under way, if any
        self.night_leader: tuple[str, str] | None = None  # (staff id, name) of the duty leader who confirmed with a PIN
        self.card_fill = None  # the FormFill of the card last read (kiosk.screens.gate_card)
        self.card_decision = None  # the Decision taken when that card's watchlist hit was shown
        self.watch_checked: tuple[str, str] | None = None  # (ID number, name) the watchlist was last checked on
        self.watch_hits: tuple = ()  # what that check found
        self.watch_shown: set[str] = set()  # watchlist entries already shown (decision screen) for this person
        self.watch_decision = None  # (watchlist entry ids, Decision) taken when they were shown, kept for the save
        self.service_noted: set[str] = set()  # fields whose note came from the save (the screen cannot recheck it)

    def compose(self) -> ComposeResult:
        yield CatalogText("gate.title_register", id="reg-title")
        with Grid(id="reg-form"):
            for name, label_key, kind in FIELDS:
                yield CatalogText(label_key, id=f"l-{name}")
                with Vertical(id=f"c-{name}"):
                    if kind == "select":
                        options = id_type_options() if name == "id_type" else category_options()
                        value = "resident" if name == "id_type" else Select.NULL
                        yield FormSelect(options, id=f"f-{name}", value=value, allow_blank=name != "id_type",
                                         prompt=t("core.choose"), compact=True)
                    elif kind == "scan":
                        yield IdInput(id=f"f-{name}", clear_on_submit=False, max_length=40, compact=True)
                    else:
                        yield Input(id=f"f-{name}", max_length=80, compact=True)
                    yield FieldNote(id=f"e-{name}")
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
        self.watch_checked = self.watch_decision = None
        self.watch_hits, self.watch_shown = (), set()
        self.clear_notes()
        self.hide_hosts()
        self.focus_field("id_number")

    def hide_hosts(self) -> None:
        self.query_one("#reg-hosts", OptionList).remove_class("-shown")

    # ------------------------------------------------------------ every problem at once, under its field

    def typed(self) -> dict[str, str]:
        values = {name: self.value(name) for name in TEXT_FIELDS}
        for name in ("id_type", "category"):
            chosen = self.query_one(f"#f-{name}", Select).value
            values[name] = "" if chosen is Select.NULL else str(chosen)
        return values

    def check_form(self) -> tuple[VisitForm | None, list[FieldError]]:
        """The form as typed and all its problems (kiosk.services.visitor_form: pure, no database)."""
        gate = self.ctx.settings.gate
        host = self.host if self.host is not None and self.value("host") == self.host.name else None
        leader_id = self.night_leader[0] if self.night_leader and self.night_leader[1] == self.value("duty_leader") else ""
        when = FormRules(clock.now(), self.ctx.zone, gate.visiting_hours, gate.visitor_default_stay_minutes)
        decision = self.decision_now()
        return check_form(self.typed(), host, leader_id, gate_card.sex_for(self, self.value("id_number")), when,
                          refusing=decision is not None and decision.decision == "refuse")

    def decision_now(self):
        """The watchlist decision already taken for the person on the form (from the card, or when the ID or the
        name was entered), sent with the save; None: the save asks if the watchlist has them."""
        return gate_card.decision_for(self, self.value("id_number")) or self.decided_for_who()

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
        if field == "name":
            self.check_watchlist_now()
        self.focus_next()

    def on_select_changed(self, event: Select.Changed) -> None:
        # The cursor stays on a dropdown just chosen (Enter there moves on, FormSelect), wherever the choice came from.
        name = (event.select.id or "").removeprefix("f-")
        if name in FIELD_NAMES:
            self.recheck(name)

    def on_scan_input_scanned(self, event: IdInput.Scanned) -> None:
        event.stop()
        number, name = split_wedge(event.code)  # a keyboard-style card reader may type the name after the number
        if name and not self.value("name").strip():
            self.set_value("name", name)
        self.lookup_id(number, self.query_one("#f-id_type", Select).value)

    def on_input_changed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("f-")
        if name == "host" and self.host is not None and event.value != self.host.name:
            self.host = None  # typing over a chosen host un-chooses it
        if name in FIELD_NAMES:
            self.recheck(name)

    # ------------------------------------------------------------ ID lookup (returning visitor, watchlist)

    def lookup_id(self, code: str, id_type: str) -> None:
        from kiosk.services.visitor_card import id_lookup

        today = clock.now().astimezone(self.ctx.zone).date()
        self.call(id_lookup, self.ctx.school_id, id_type, code, today, self.value("name").strip(),
                  then=self.after_lookup, group="gate-id")

    def after_lookup(self, found) -> None:
        checked, prefill = found.checked, found.prefill
        self.query_one("#f-id_type", Select).value = found.id_type
        if not checked.ok:
            self.set_note(FieldError("id_number", checked.error, checked.error_values))
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
        else:
            self.apply_prefill(prefill)
        if self.watch_checked is not None and self.watch_checked[0] != checked.number:
            self.watch_shown, self.watch_decision = set(), None  # another person: what was decided was not for them
        self.watch_hits_known(found.hits)

    def apply_prefill(self, prefill, *, keep_name: bool = False) -> None:
        """A returning visitor's last visit on the form, as today's (the card's name wins when it gave one)."""
        if prefill.on_site_code:
            self.say_still_on_site(prefill)
            return
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

    def say_still_on_site(self, prefill) -> None:
        """Not signed out from the last visit: the save would refuse a second one, so say it now, before the form
        is filled in or (at night) a duty leader is called to the gate for it."""
        since = prefill.on_site_since.astimezone(self.ctx.zone).strftime("%H:%M")
        error = FieldError("id_number", "already_onsite", {"name": prefill.name, "code": prefill.on_site_code,
                                                           "time": since})
        self.set_note(error)
        self.service_noted.add("id_number")  # the form's own check cannot see it: kept until the number changes
        self.say(f"gate.{error.key}", level="error", **error.values)
        self.focus_field("id_number")

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
        line = self.query_one("#reg-message", MessageLine)
        if line.message is not None and line.message.key == "gate.host_none_found":
            line.clear()  # an earlier search's "none found" must not sit under this one's hits
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
        if not self.unsaved_input():
            return  # a blank form (just saved and cleared): nothing to save, keep the last message
        form, errors = self.check_form()
        if errors:
            self.show_problems(errors)
            if form is not None and only_the_night_leader_missing(errors):
                self.ask_night_leader(form)
            return
        self.say("gate.working", level="info")
        self.submit(form, self.decision_now())

    def submit(self, form: VisitForm, decision) -> None:
        from kiosk.services.visitors import register_visit

        self.save_worker = self.call(register_visit, self.ctx.actor(), form, self.ctx.settings, decision,
                                     then=partial(self.after_submit, form), group="gate-register")

    def after_submit(self, form: VisitForm, result) -> None:
        if result.status == "invalid":
            errors = list(result.errors)
            self.show_problems(errors, from_save=True)
            if only_the_night_leader_missing(errors):
                self.ask_night_leader(form)
            return
        if result.status == "needs_decision":
            kept = None if result.problem else self.kept_decision(result.hits)
            if kept is not None:  # decided when the ID or name was entered: recorded with this save
                self.submit(form, kept)
                return
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
            self.say("gate.saved_refused", level="warning", name=visit.name or visit.id_masked)
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
            self.submit(replace(form, duty_leader=session.name, duty_leader_id=session.staff_id),
                        gate_card.decision_for(self, form.id_number))

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
