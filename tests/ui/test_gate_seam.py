"""The register and the watchlist on the seam: F9 keeps what was chosen in a select and re-renders its label;
what was just done is said on the one message line, after the list is read again."""
from __future__ import annotations

import pytest
from textual.widgets import DataTable, Select, Static
from textual.widgets._select import SelectCurrent

from kiosk import i18n
from kiosk.screens.gate_register import RegisterScreen
from kiosk.screens.gate_watchlist import WatchlistScreen
from kiosk.services import visitors
from tests.test_gate_services import actor_for, make_school
from tests.ui_helpers import open_from_home, settle, start_app


@pytest.fixture
def gate_school(db, settings, frozen_now):
    return make_school(settings)


def shown(select: Select) -> str:
    return str(select.query_one(SelectCurrent).query_one("#label", Static).render())


async def test_f9_keeps_the_chosen_id_type_and_category(gate_school):
    async with start_app(gate_school, "gate") as (app, pilot):
        screen = await open_from_home(pilot, "G001", "111111", "v", RegisterScreen)
        id_type, category = screen.query_one("#f-id_type", Select), screen.query_one("#f-category", Select)
        id_type.value, category.value = "passport", "parent"
        await pilot.pause()
        await pilot.press("f9")
        await settle(pilot)
        try:
            assert (id_type.value, category.value) == ("passport", "parent")
            assert shown(id_type) == i18n.t("gate.idtype_passport") and shown(category) == i18n.t("gate.category_parent")
            assert i18n.language() == "en" and not any("\u4e00" <= c <= "\u9fff" for c in shown(id_type))
            category.clear()
            await pilot.pause()
            await pilot.press("f9")
            await settle(pilot)
            assert category.value == Select.NULL and id_type.value == "passport"
            assert shown(id_type) == "护照" and shown(category) == "请选择"
        finally:
            i18n.set_language("zh-CN")


async def test_watchlist_says_revoked_even_when_the_list_is_then_empty(gate_school):
    visitors.add_watch_entry(actor_for("Z001"), id_type="resident", id_number="", name="钱多多", level="deny",
                             reason="多次进校推销", expires_at=None)
    async with start_app(gate_school, "office") as (app, pilot):
        screen = await open_from_home(pilot, "Z001", "555555", "w", WatchlistScreen)
        screen.query_one(DataTable).focus()
        await pilot.press("f8")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert screen.query_one(DataTable).row_count == 0
        assert screen.message_text() == i18n.t("gate.watch_revoked")
