"""A station's home: the tasks this station offers the logged-in role, each on its own key."""
from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from kiosk import features
from kiosk.i18n import t
from kiosk.screens.base import KioskScreen
from kiosk.widgets.bars import station_label


def allowed_actions(station_kind: str, roles: frozenset[str]) -> list[features.StationAction]:
    return [action for action in features.station_actions(station_kind)
            if "admin" in roles or roles & action.roles]


class HomeScreen(KioskScreen):
    TITLE_KEY = "core.home_title"
    # Escape does nothing here (logging out is Ctrl+L) and is not offered: KioskScreen's "esc 返回" is overridden,
    # since an empty BINDINGS would still inherit it.
    BINDINGS = [Binding("escape", "stay", show=False)]

    DEFAULT_CSS = """
    HomeScreen { align: center middle; }
    HomeScreen Center { height: auto; }
    HomeScreen #home-title { text-style: bold; color: $accent; width: 100%; content-align: center middle; margin: 1 0; }
    HomeScreen OptionList { width: 72; height: auto; max-height: 24; border: heavy $accent; }
    HomeScreen #home-hint { width: 100%; content-align: center middle; color: $text-muted; margin-top: 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="home-title")
        with Center():
            yield OptionList(id="home-menu")
        yield Static(id="home-hint")

    def on_mount(self) -> None:
        self.refresh_text()

    def action_stay(self) -> None:
        """Escape on the home screen: the station stays where it is."""
        self.query_one(OptionList).focus()

    @property
    def actions(self) -> list[features.StationAction]:
        session = self.ctx.session
        return allowed_actions(self.ctx.station_kind, session.roles if session else frozenset())

    def refresh_text(self) -> None:
        self.query_one("#home-title", Static).update(t("core.home_title", station=station_label(self.ctx.station_kind)))
        menu = self.query_one(OptionList)
        menu.clear_options()
        actions = self.actions
        for index, action in enumerate(actions):
            menu.add_option(Option(f"[b]{action.key.upper():>4}[/b]  {t(action.label_key)}", id=str(index)))
        self.query_one("#home-hint", Static).update(t("core.home_hint") if actions else t("core.home_nothing"))

    def key_help(self) -> list[tuple[str, str]]:
        return [(action.key.upper(), t(action.label_key)) for action in self.actions] + super().key_help()

    def open_action(self, action: features.StationAction) -> None:
        self.app.push_screen(action.make_screen())

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.open_action(self.actions[int(event.option.id)])

    def on_key(self, event: events.Key) -> None:
        if self.app.screen is not self:
            return  # typed behind the key that opened another screen: KioskScreen.on_key passes it on
        for action in self.actions:
            if event.key == action.key:
                event.stop()
                event.prevent_default()  # handled: not a key to pass on to the screen it opens (KioskScreen.on_key)
                self.open_action(action)
                return

    def action_back(self) -> None:
        """Home is the bottom of a session; Ctrl+L locks."""
