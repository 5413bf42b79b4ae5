"""What a card on the reader does to the visitor register form (kiosk.screens.gate_register).

A card fills ID type, ID number and name (its sex, birth date and, if the school keeps it, address are shown on
the reader line); an expired card is used only after the gatekeeper confirms. Then, at once, the returning
visitor's last visit is prefilled and the watchlist is checked on the card: a hit opens the decision screen
before anything is saved, and the decision is kept for the save. A card never overwrites another visitor's
details typed on the form: the gatekeeper clears the form first (Ctrl+R).
"""
from __future__ import annotations

from functools import partial

from textual.widgets import Select

from kiosk import clock
from kiosk.i18n import Msg
from kiosk.idcard import IdCardError
from kiosk.idcard.card import Card, FormFill, form_fill
from kiosk.services import visitor_rules as rules
from kiosk.services.names import clean_text
from kiosk.widgets.idcard_watch import IdCardWatch

RETRY_WHILE_SAVING_SECONDS = 0.3


def reader_line(settings) -> IdCardWatch | None:
    """The reader's line for the form, or None when this gate has no reader configured."""
    from zoneinfo import ZoneInfo

    if not settings.idcard.port:
        return None
    zone = ZoneInfo(settings.school.timezone)
    return IdCardWatch(settings.idcard.port, settings.idcard.baud, settings.idcard.poll_ms,
                       lambda: clock.now().astimezone(zone).date(), id="reg-idcard")


def card_read(screen, card: Card) -> None:
    """A card was read while the form is shown."""
    if screen.saving:  # the save clears the form when it is done: fill it after that, not before
        screen.set_timer(RETRY_WHILE_SAVING_SECONDS, partial(card_read, screen, card))
        return
    today = clock.now().astimezone(screen.ctx.zone).date()
    try:
        fill = form_fill(card, today, screen.ctx.settings.idcard.keep_address)
    except IdCardError as error:
        screen.say(error, level="error")
        return
    other = _other_visitor(screen, fill)
    if other:
        screen.say("idcard.form_has_other", level="warning", name=other)
        return
    if not fill.expired:
        _fill(screen, fill)
        return
    from kiosk.screens.dialogs import ConfirmDialog

    def answered(use: bool) -> None:
        if use:
            _fill(screen, fill)
        else:
            screen.say("idcard.expired_not_used", level="warning")

    question = Msg("idcard.expired_question", date=fill.valid_to.isoformat())  # untranslated: F9 re-renders it
    screen.app.push_screen(ConfirmDialog(question, confirm_key="idcard.expired_use", cancel_key="idcard.expired_skip"),
                           answered)


def _other_visitor(screen, fill: FormFill) -> str:
    """The name (or masked number) of someone else already on the form, or ""."""
    number = rules.normalise_id(screen.value("id_number"))
    name = clean_text(screen.value("name"))
    if (number and number != fill.id_number) or (name and name != fill.name):
        return name or rules.mask_id(number)
    return ""


def _fill(screen, fill: FormFill) -> None:
    screen.query_one("#f-id_type", Select).value = fill.id_type
    screen.set_value("id_number", fill.id_number)
    screen.set_value("name", fill.name)
    screen.card_fill, screen.card_decision = fill, None
    watch = screen.query_one(IdCardWatch)
    values = dict(name=fill.name, sex=Msg(f"idcard.sex_{fill.sex}"), birth=fill.birth_date.isoformat())
    if fill.address:  # only when the school keeps addresses (idcard.keep_address)
        watch.show_note("idcard.card_read_address", address=fill.address, **values)
    else:
        watch.show_note("idcard.card_read", **values)
    screen.clear_message()
    from kiosk.services.visitor_card import card_lookup

    screen.call(card_lookup, screen.ctx.school_id, fill.id_number, fill.name, then=partial(_after_lookup, screen),
                group="gate-card")


def _after_lookup(screen, found) -> None:
    """The returning visitor prefilled as today; a watchlist hit opens the decision screen now, not at save."""
    fill = screen.card_fill
    if fill is None or fill.id_number != found.id_number or rules.normalise_id(screen.value("id_number")) != fill.id_number:
        return  # the form was cleared or changed meanwhile: this lookup is stale
    if found.prefill is not None:
        screen.apply_prefill(found.prefill, keep_name=True)
    else:
        screen.focus_field("phone")
    hits = found.hits
    if not hits:
        return
    from kiosk.screens.gate_decision import DecisionScreen

    def decided(decision) -> None:
        if decision is None:
            screen.say("idcard.decision_pending", level="warning")
            return
        screen.card_decision = decision
        screen.say(f"idcard.decision_kept_{decision.decision}", level="warning")

    screen.app.push_screen(DecisionScreen(tuple(hits), rules.worst_level(hits)), decided)


def _card_on_form(screen, id_number: str) -> FormFill | None:
    """The card last read, while the form still holds its ID number (a number typed over it is not the card's)."""
    fill = screen.card_fill
    return fill if fill is not None and fill.id_number == rules.normalise_id(id_number) else None


def decision_for(screen, id_number: str):
    """The decision taken on the card's watchlist hit, if it was for this ID number (else None: ask at save)."""
    return screen.card_decision if _card_on_form(screen, id_number) is not None else None


def sex_for(screen, id_number: str) -> str:
    """The card's sex for the register (kept by default with name and ID number), or "" for a typed visitor."""
    fill = _card_on_form(screen, id_number)
    return fill.sex if fill is not None else ""
