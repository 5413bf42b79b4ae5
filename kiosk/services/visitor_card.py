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
