"""What the gate looks up the moment an ID card is read: the visitor's last visit (to prefill) and the watchlist
(checked on the card, before anything is typed or saved)."""
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


def id_lookup(school_id: str, id_type: str, code: str, today) -> IdLookup:
    from kiosk.services import visitor_rules as rules

    if id_type == "resident":
        id_type = rules.guess_id_type(code)  # a scanned passport or permit switches the type by itself
    checked = rules.check_id(id_type, code, today)
    return IdLookup(id_type, checked, returning_visitor(school_id, checked.number) if checked.ok else None)
