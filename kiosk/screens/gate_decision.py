"""Gate: the watchlist decision on a hit, shared by the register form and the ID-card reader
(kiosk.screens.gate_register, kiosk.screens.gate_card). A module of its own so neither of those imports the other
for it."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from kiosk.i18n import Msg, t
from kiosk.screens.base import KioskModal
from kiosk.screens.dialogs import PinDialog, TextDialog
from kiosk.services import visitor_rules as rules
from kiosk.services.visitors import Decision
from kiosk.widgets.catalog_text import CatalogText
from kiosk.widgets.message_line import MessageLine


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
    DecisionScreen > Vertical { width: 100%; max-width: 84; height: auto; border: thick $error; background: $surface; padding: 1 2; }
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
        self.dismiss(Decision("refuse"))

    def action_allow(self) -> None:
        self.app.push_screen(TextDialog("gate.decision_reason_title", "gate.decision_reason_prompt", required=True),
                             self._got_reason)

    def _got_reason(self, reason: str | None) -> None:
        if not reason or len(reason.strip()) < 2:
            self.say("gate.decision_reason_required", level="error")
            return
        self.reason = reason
        if self.level != "deny":
            self.dismiss(Decision("allow", reason))
            return
        self.app.push_screen(PinDialog("gate.approver_title"), self._got_approver)

    def _got_approver(self, session) -> None:
        if session is None:
            return
        if not (session.roles & rules.OVERRIDE_ROLES):
            self.say("gate.approver_not_allowed", level="error", name=session.name)
            return
        self.dismiss(Decision("allow", self.reason, session.staff_id, session.name, session.roles))
