"""Keys typed (or scanned) right behind the key that opens a screen reach that screen, in order, instead of being
lost on the menu; keys behind the key that closed a screen are not replayed on the menu. The keys are posted
at once, as a terminal delivers a burst, so the app takes them from its queue before the screens handle them."""
from __future__ import annotations

from textual import events

from kiosk.models.visitors import Visit
from kiosk.screens.gate_onsite import OnsiteScreen
from kiosk.screens.home import HomeScreen
from kiosk.services import visitors
from tests.test_gate_services import actor_for, form
from tests.ui.test_gate import gate_school  # noqa: F401 (fixture)
from tests.ui_helpers import login, settle, start_app


def burst(app, keys) -> None:
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


async def test_a_slip_scanned_as_the_onsite_list_opens_signs_the_visitor_out(gate_school):
    visit = visitors.register_visit(actor_for("G002"), form(), gate_school).visit
    async with start_app(gate_school, "gate") as (app, pilot):
        await login(pilot, "G001", "111111")
        burst(app, ["o", *visit.code, "enter"])  # the menu key, then the scanner at once
        await settle(pilot)
        await settle(pilot)
        assert isinstance(app.screen, OnsiteScreen)
        assert Visit.get_by_id(visit.id).time_out is not None
        assert app.screen.query_one("#onsite-scan").value == ""


async def test_an_enter_behind_the_key_that_closed_a_screen_does_not_act_on_the_menu(gate_school):
    async with start_app(gate_school, "gate") as (app, pilot):
        await login(pilot, "G001", "111111")
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, OnsiteScreen)
        burst(app, ["escape", "enter"])
        await settle(pilot)
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)  # the Enter did not open the menu's highlighted entry
