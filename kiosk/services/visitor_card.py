"""What the gate looks up the moment an ID number or a name is known (read from an ID card, scanned or typed):
the visitor's last visit (to prefill) and the watchlist, checked then, before anything else is typed or saved."""
from __future__ import annotations

from dataclasses import dataclass

from kiosk.services.visitor_rules import WatchHit
from kiosk.services.visitors import Prefill, check_watchlist, returning_visitor


@dataclass(frozen=True)
class CardLookup:
    id_number: str
    prefill: Prefill | None
    hits: tuple[WatchHit, ...]


def card_lookup(school_id: str, id_number: str, name: str) -> CardLookup:
    return CardLookup(id_number, returning_visitor(school_id, id_number),
                      tuple(check_watchlist(school_id, id_number, name)))


@dataclass(frozen=True)
class IdLookup:
    """A typed or scanned ID number checked (kiosk.services.visitor_rules.check_id), and the returning visitor's
    last visit when the number is valid."""
    id_type: str
    checked: object
    prefill: Prefill | None
    hits: tuple[WatchHit, ...] = ()  # the watchlist on this number and the name known with it (typed or prefilled)


def id_lookup(school_id: str, id_type: str, code: str, today, name: str = "") -> IdLookup:
    from kiosk.services import visitor_rules as rules

    if id_type == "resident":
        id_type = rules.guess_id_type(code)  # a scanned passport or permit switches the type by itself
    checked = rules.check_id(id_type, code, today)
    if not checked.ok:
        return IdLookup(id_type, checked, None)
    prefill = returning_visitor(school_id, checked.number)
    name = name or (prefill.name if prefill is not None else "")
    return IdLookup(id_type, checked, prefill, tuple(check_watchlist(school_id, checked.number, name)))


def watch_lookup(school_id: str, id_number: str, name: str) -> tuple[WatchHit, ...]:
    """The watchlist on what the form holds now: a name typed after the number (or with no document)."""
    from kiosk.services import visitor_rules as rules

    return tuple(check_watchlist(school_id, rules.normalise_id(id_number), name))
