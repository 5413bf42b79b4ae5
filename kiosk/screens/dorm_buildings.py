"""Dorm station: which building this station counts, from the settings (station.building), else chosen here;
then tonight's headcount of it (kiosk.screens.dorm.HeadcountScreen)."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from kiosk.i18n import t
from kiosk.screens.base import KioskScreen
from kiosk.screens.dorm import HeadcountScreen
from kiosk.services import headcount_common


class BuildingPickScreen(KioskScreen):
    """Which building this station counts: from the settings (station.building), else chosen here."""

    TITLE_KEY = "dorm.pick_building_title"
    DEFAULT_CSS = """
    BuildingPickScreen { align: center middle; }
    BuildingPickScreen Center { height: auto; }
    BuildingPickScreen #pick-title { text-style: bold; color: $accent; width: 100%; content-align: center middle; }
    BuildingPickScreen OptionList { width: 60; height: auto; max-height: 20; border: heavy $accent; }
    BuildingPickScreen #pick-hint { width: 100%; content-align: center middle; color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.buildings = []

    def compose(self) -> ComposeResult:
        yield Static(id="pick-title")
        with Center():  # the list under its title, not at the left edge
            yield OptionList(id="pick-list")
        yield Static(id="pick-hint")

    def on_mount(self) -> None:
        self.refresh_text()
        self.query_one(OptionList).focus()
        self.call(headcount_common.buildings, self.ctx.school_id, then=self.show)

    def refresh_text(self) -> None:
        self.query_one("#pick-title", Static).update(t("dorm.pick_building_title"))
        self.query_one("#pick-hint", Static).update(t("dorm.pick_building_hint"))
        self.render_options()

    def show(self, found) -> None:
        self.buildings = found
        wanted = self.ctx.settings.station.building
        for info in found:
            if wanted and wanted in (info.name, info.building_id):
                self.app.switch_screen(HeadcountScreen(info.building_id))
                return
        self.render_options()

    def render_options(self) -> None:
        """Each building with what its numbers are (they read as a fraction without the words)."""
        menu = self.query_one(OptionList)
        highlighted = menu.highlighted or 0  # Enter opens the first building at once; Down moves to the second
        menu.clear_options()
        for index, info in enumerate(self.buildings):
            menu.add_option(Option(t("dorm.pick_building_line", name=info.name, rooms=info.rooms, beds=info.beds),
                                   id=str(index)))
        if self.buildings:
            menu.highlighted = min(highlighted, len(self.buildings) - 1)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.app.switch_screen(HeadcountScreen(self.buildings[int(event.option.id)].building_id))

