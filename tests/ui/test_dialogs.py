"""Dialogs follow F9 like screens do: a choice's options re-render in the new language, not only its title."""
from __future__ import annotations

from textual.widgets import OptionList

from kiosk.i18n import Msg, t_in
from kiosk.screens.dialogs import ChoiceDialog
from tests.ui_helpers import settle, start_app


async def test_choice_options_given_as_messages_follow_f9(demo_school):
    chosen: list[str | None] = []
    async with start_app(demo_school, "canteen") as (app, pilot):
        await app.push_screen(ChoiceDialog(Msg("canteen.add_meal_title", day="2026-12-01"),
                                           [("extra", Msg("canteen.meal_extra")), ("event", Msg("canteen.meal_event"))]),
                              chosen.append)
        await settle(pilot)
        options = app.screen.query_one(OptionList)
        assert str(options.get_option_at_index(0).prompt) == "1  " + t_in("zh-CN", "canteen.meal_extra")
        await pilot.press("f9")
        await settle(pilot)
        assert str(options.get_option_at_index(0).prompt) == "1  " + t_in("en", "canteen.meal_extra")
        assert str(options.get_option_at_index(1).prompt) == "2  " + t_in("en", "canteen.meal_event")
        await pilot.press("2")
        await settle(pilot)
    assert chosen == ["event"]


async def test_a_pin_without_a_staff_number_asks_for_the_number_and_goes_back_to_it(demo_school):
    """Walk-through finding (the disposal's reviewer): Enter, Enter on an empty dialog said 'wrong staff number or
    PIN' and left the cursor in the PIN field, where the reviewer then typed their staff number."""
    from textual.widgets import Input

    from kiosk.screens.dialogs import PinDialog

    async with start_app(demo_school, "canteen") as (app, pilot):
        await app.push_screen(PinDialog("canteen.reviewer_title"))
        await settle(pilot)
        await pilot.press("enter", "enter")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, PinDialog)
        assert dialog.message_text() == t_in("zh-CN", "core.pin_staff_missing")
        assert dialog.focused is dialog.query_one("#pin-staff", Input)
