"""What is typed into the canteen's one-line dialogs: an incident hold's days, the name of who tasted a meal."""
from __future__ import annotations

from textual.widgets import Input

from kiosk.screens.canteen_holds import HoldsScreen
from kiosk.screens.dialogs import TextDialog
from kiosk.services.canteen.core import school_today
from kiosk.services.canteen.holds import holds
from tests.ui.test_canteen import canteen_school  # noqa: F401
from tests.ui_helpers import login, settle, start_app


async def test_a_hold_date_that_is_not_a_date_is_refused_where_it_was_typed(canteen_school):
    """Walk-through finding: a mistyped end date (2026-12-40) was refused only after the reason had been typed
    too, and all three answers were gone: the admin, in the middle of an incident, began again from F2."""
    async with start_app(canteen_school, "canteen", size=(80, 24)) as (app, pilot):
        await login(pilot, "A001", "888888")
        await pilot.press("k")
        await settle(pilot)
        await pilot.press("f2", "enter")  # the first day: today, prefilled
        await pilot.pause()
        dialog = app.screen
        dialog.query_one(Input).value = ""
        await pilot.press("enter")  # empty: asked for, not taken as cancelled
        await pilot.pause()
        assert app.screen is dialog and dialog.message_text()
        dialog.query_one(Input).value = "2026-12-40"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog and "2026-12-40" in dialog.message_text()
        dialog.query_one(Input).value = school_today(canteen_school).isoformat()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TextDialog) and app.screen is not dialog  # on to the reason
        app.screen.query_one(Input).value = "学生腹泻待查"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HoldsScreen)
        assert [hold.reason for hold in holds(canteen_school)] == ["学生腹泻待查"]


async def test_enter_on_an_empty_taster_name_asks_for_it_instead_of_closing(canteen_school):
    """Walk-through finding: Enter on the empty name of who tasted the meal (F11) or ate with the students (F12)
    closed the dialog without a word, as if it had been recorded."""
    from textual.widgets import DataTable

    from kiosk.screens.canteen_meals import MealsScreen

    async with start_app(canteen_school, "canteen", size=(80, 24)) as (app, pilot):
        await login(pilot, "C001", "333333")
        await pilot.press("m")
        await settle(pilot)
        app.screen.query_one(DataTable).move_cursor(row=0)
        for key in ("f11", "f12"):
            await pilot.press(key)
            await settle(pilot)
            dialog = app.screen
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen is dialog and dialog.message_text()
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, MealsScreen)
