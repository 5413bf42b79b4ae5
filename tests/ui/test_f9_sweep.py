"""F9 on every screen reachable from every station's menu (issue 12): after switching to English, no fixed
Chinese catalog text is left on the screen, in its dialogs, tables, inputs, key bar or status bar."""
from __future__ import annotations

import pytest

from kiosk import features, i18n
from tests.ui.screen_text import chinese_catalog_phrases, leftover_chinese
from tests.ui_helpers import login, settle, start_app

STATIONS = ("gate", "dorm", "canteen", "office")


def menu_keys(station: str) -> list[str]:
    return [action.key for action in features.station_actions(station)]


@pytest.mark.parametrize("station", STATIONS)
async def test_f9_leaves_no_chinese_on_any_menu_screen(demo_school, station):
    phrases = chinese_catalog_phrases()
    problems: dict[str, list[str]] = {}
    async with start_app(demo_school, station, size=(120, 36)) as (app, pilot):
        await login(pilot, "A001", "888888")
        home = app.screen
        for key in menu_keys(station):
            await pilot.press(key)
            await settle(pilot)
            screen = app.screen
            if screen is home:
                continue
            await pilot.press("f9")
            await settle(pilot)
            left = leftover_chinese(app.screen, phrases)
            if left:
                problems[f"{key} {type(app.screen).__name__}"] = left
            await pilot.press("f9")  # back to Chinese for the next screen, then leave without saving anything
            await settle(pilot)
            while app.screen is not home and len(app.screen_stack) > 2:
                app.pop_screen()
                await settle(pilot)
        i18n.set_language("zh-CN")
    assert problems == {}, "\n".join(f"{where}: {left}" for where, left in problems.items())


async def test_f9_while_the_key_help_is_open_translates_it(demo_school):
    """Walk-through finding: F1 then F9 left the key help in Chinese (only its 'press Esc' line changed), its keys
    having been translated once when it opened."""
    phrases = chinese_catalog_phrases()
    async with start_app(demo_school, "canteen", size=(80, 24)) as (app, pilot):
        await login(pilot, "C001", "333333")
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("f1", "f9")
        await settle(pilot)
        assert type(app.screen).__name__ == "HelpScreen"
        assert leftover_chinese(app.screen, phrases) == []


async def test_f9_keeps_the_row_the_worker_is_on(demo_school):
    """Walk-through finding: F9 on the meals screen put the cursor back on the first row (the breakfast heading),
    so the F2 that followed said 'select a dish first' instead of sampling the dish the worker had picked. The
    people directory did the same, so F5/F6 would act on the first person found, not the one picked."""
    from textual.widgets import DataTable, Input

    async with start_app(demo_school, "canteen", size=(80, 24)) as (app, pilot):
        await login(pilot, "A001", "888888")
        await pilot.press("m")
        await settle(pilot)
        meals = app.screen
        picked = max(index for index, (_, dish) in enumerate(meals.rows) if dish is not None)
        meals.query_one(DataTable).move_cursor(row=picked)
        await pilot.press("f9")
        await settle(pilot)
        assert meals.query_one(DataTable).cursor_row == picked
        await pilot.press("escape", "n")
        await settle(pilot)
        people = app.screen
        people.query_one("#people-query", Input).value = "C00"
        await settle(pilot)
        people.query_one(DataTable).move_cursor(row=2)
        await pilot.press("f9")
        await settle(pilot)
        assert people.query_one(DataTable).cursor_row == 2
