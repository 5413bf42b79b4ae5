"""The register form's watchlist alert (kiosk.screens.gate_register): the watchlist is checked the moment the ID
number or the name is known, a hit opens the decision screen at once and stays noted under the ID field, and the
decision taken then is kept for the save of those same entries. A mixin: the screen keeps the state (watch_*)."""
from __future__ import annotations

from kiosk.i18n import Msg
from kiosk.screens.gate_decision import DecisionScreen
from kiosk.services import visitor_rules as rules
from kiosk.services.visitor_rules import FieldError


class WatchAlert:
    watch_checked: tuple[str, str] | None  # (ID number, name) the watchlist was last checked on
    watch_hits: tuple  # what that check found
    watch_shown: set[str]  # entries already shown (decision screen) for this person
    watch_decision: tuple | None  # (entry ids, Decision) taken when they were shown

    def who(self) -> tuple[str, str]:
        return rules.normalise_id(self.value("id_number")), self.value("name").strip()

    def check_watchlist_now(self) -> None:
        """The name is known (Enter left it): check the watchlist on it and the number, unless already done."""
        number, name = self.who()
        if not name or self.watch_checked == (number, name):
            return
        card = self.card_fill
        if card is not None and (card.id_number, card.name) == (number, name):
            return  # checked when the card was read (kiosk.screens.gate_card)
        from kiosk.services.visitor_card import watch_lookup

        self.call(watch_lookup, self.ctx.school_id, number, name, then=self.watch_hits_known, group="gate-watch")

    def watch_hits_known(self, hits) -> None:
        """The watchlist checked on who is on the form now: a hit shows at once (decision screen), and the
        decision is kept for those entries. Escape leaves the alert on the form; the save asks again."""
        self.watch_checked = self.who()
        self.watch_hits = tuple(hits)
        if not hits:
            return
        level = rules.worst_level(hits)
        self.note_watch()
        entries = {hit.entry_id for hit in hits}
        if entries <= self.watch_shown:
            return  # these entries were shown for this person already (a name typed after the ID): not again
        self.watch_shown |= entries
        self.say("gate.watch_alert", level="error", level_name=Msg(f"gate.level_{level}"))

        def decided(decision) -> None:
            if decision is None:
                return
            self.watch_decision = (frozenset(hit.entry_id for hit in hits), decision)
            if decision.decision == "refuse":  # recorded at once: who was turned away, not what they came for
                self.action_save()
                return
            self.say("idcard.decision_kept_allow", level="warning")
            self.note_watch()

        self.app.push_screen(DecisionScreen(tuple(hits), level), decided)

    def note_watch(self) -> None:
        """While the person checked is on the form, the hit stays under the ID field (messages come and go)."""
        shown = self.note("id_number").message
        if not self.watch_hits or self.watch_checked != self.who() or (shown and not shown.key.startswith("gate.watch_note")):
            return
        decision = self.kept_decision(self.watch_hits)
        key = f"watch_note_{decision.decision}" if decision is not None else "watch_note"
        level = Msg(f"gate.level_{rules.worst_level(self.watch_hits)}")
        self.set_note(FieldError("id_number", key, {"level_name": level}))
        self.service_noted.add("id_number")  # goes when the ID number changes, not with the form check

    def decided_for_who(self):
        """The decision taken for the person on the form now (their watchlist hits, shown when the ID or name was
        entered), or None."""
        if not self.watch_hits or self.watch_checked != self.who():
            return None
        return self.kept_decision(self.watch_hits)

    def kept_decision(self, hits):
        """The decision taken when these entries were shown (all of them), or None: ask now."""
        if self.watch_decision is None:
            return None
        entries, decision = self.watch_decision
        return decision if {hit.entry_id for hit in hits} <= entries else None
