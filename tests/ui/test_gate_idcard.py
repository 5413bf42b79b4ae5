"""The visitor form with a card reader (the simulator on a real pseudo-terminal): a card fills the form, a
watchlisted card opens the decision screen before anything is saved, an expired card needs a confirmation,
reader faults show on the reader line while typing still works, and the port is let go when the form closes."""
from __future__ import annotations

import time

import pytest
from textual.widgets import Input, Select, Static

from kiosk.idcard.simulator import SimulatedReader, resident_text
from kiosk.models.visitors import Visit, WatchlistDecision
from kiosk.screens.dialogs import ConfirmDialog
from kiosk.screens.gate_register import DecisionScreen, RegisterScreen
from kiosk.services import visitors
from kiosk.widgets.idcard_watch import IdCardWatch
from tests.test_gate_services import actor_for, make_school
from tests.ui.test_gate import message, open_register
from tests.ui_helpers import settle, start_app, type_text

CARD_ID = "110108198506121239"
CARD = dict(name="李明远", sex="1", nation="01", birth="19850612", address="北京市海淀区中关村大街27号",
            id_number=CARD_ID, authority="北京市公安局海淀分局", valid_from="20160301", valid_to="20360301")


@pytest.fixture
def sim():
    with SimulatedReader() as reader:
        yield reader


@pytest.fixture
def gate_with_reader(db, settings, frozen_now, sim):
    settings.idcard.port = sim.port
    settings.idcard.poll_ms = 50
    return make_school(settings)


async def wait_until(pilot, condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)
    await settle(pilot)


def field(screen, name: str) -> str:
    return screen.query_one(f"#f-{name}", Input).value


def reader_line(screen) -> str:
    return str(screen.query_one(IdCardWatch).render())


async def complete_and_save(screen, pilot) -> None:
    """Phone typed, category chosen, reason typed, host searched and picked, Ctrl+S."""
    assert screen.query_one("#f-phone", Input).has_focus  # the card filled name and number: the phone is next
    await type_text(pilot, "13812345678")
    screen.query_one("#f-category", Select).value = "parent"
    screen.query_one("#f-reason", Input).value = "家长会"
    screen.query_one("#f-host", Input).focus()
    await type_text(pilot, "zhl")
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("enter")
    await pilot.press("ctrl+s")
    await settle(pilot)


async def test_a_card_fills_the_form_and_a_save_registers_the_visitor(gate_with_reader, sim):
    async with start_app(gate_with_reader, "gate") as (app, pilot):
        screen = await open_register(app, pilot)
        assert "请把身份证放在读卡器上" in reader_line(screen)
        assert all("演示" not in text for _, text in screen.key_help())  # F7 only with the simulated reader
        sim.place(resident_text(**CARD))
        await wait_until(pilot, lambda: field(screen, "name"))
        assert (field(screen, "id_number"), field(screen, "name")) == (CARD_ID, "李明远")
        assert screen.query_one("#f-id_type", Select).value == "resident"
        assert "男" in reader_line(screen) and "1985-06-12" in reader_line(screen)
        assert "中关村" not in reader_line(screen)  # the address is not kept by default
        await complete_and_save(screen, pilot)
        visit = Visit.get()
        assert (visit.status, visit.name, visit.id_number, visit.id_type, visit.sex) == (
            "admitted", "李明远", CARD_ID, "resident", "male")
        assert visit.code in message(screen)


async def test_a_watchlisted_card_opens_the_decision_screen_before_anything_is_saved(gate_with_reader, sim):
    visitors.add_watch_entry(actor_for("Z001"), id_type="resident", id_number=CARD_ID, name="", level="deny",
                             reason="法院限制令", expires_at=None)
    async with start_app(gate_with_reader, "gate") as (app, pilot):
        screen = await open_register(app, pilot)
        sim.place(resident_text(**CARD))
        await wait_until(pilot, lambda: isinstance(app.screen, DecisionScreen))
        assert "法院限制令" in str(app.screen.query_one("#decision-hits", Static).render())
        assert Visit.select().count() == 0 and WatchlistDecision.select().count() == 0
        await pilot.press("r")
        await settle(pilot)
        assert app.screen is screen and "拒绝" in message(screen)
        await complete_and_save(screen, pilot)  # the decision taken on the card is used: no second dialog
        assert app.screen is screen
        visit = Visit.get()
        assert visit.status == "refused" and WatchlistDecision.get().decision == "refuse"


async def test_a_returning_visitors_card_prefills_the_last_visit(gate_with_reader, sim):
    from tests.test_gate_services import form

    earlier = visitors.register_visit(actor_for("G001"), form(id_number=CARD_ID, name="李明远", reason="送资料"),
                                      gate_with_reader).visit
    visitors.sign_out(actor_for("G001"), earlier.id)  # still on site, they could not be registered again
    async with start_app(gate_with_reader, "gate") as (app, pilot):
        screen = await open_register(app, pilot)
        sim.place(resident_text(**CARD))
        await wait_until(pilot, lambda: field(screen, "reason"))
        assert (field(screen, "phone"), field(screen, "reason")) == ("13812345678", "送资料")
        assert screen.host is not None and screen.query_one("#f-reason", Input).has_focus
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert Visit.select().count() == 2


async def test_an_expired_card_is_used_only_after_the_gatekeeper_confirms(gate_with_reader, sim):
    expired = resident_text(**{**CARD, "valid_to": "20250101"})
    async with start_app(gate_with_reader, "gate") as (app, pilot):
        screen = await open_register(app, pilot)
        sim.place(expired)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("escape")
        await settle(pilot)
        assert field(screen, "name") == "" and "过期" in message(screen)
        sim.remove()
        await pilot.pause(0.3)
        sim.place(expired)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("enter")
        await wait_until(pilot, lambda: field(screen, "name") == "李明远")


async def test_a_card_never_overwrites_another_visitor_being_typed(gate_with_reader, sim):
    async with start_app(gate_with_reader, "gate") as (app, pilot):
        screen = await open_register(app, pilot)
        screen.query_one("#f-name", Input).value = "张三"
        screen.query_one("#f-phone", Input).value = "13900001111"
        sim.place(resident_text(**CARD))
        await wait_until(pilot, lambda: "Ctrl+R" in message(screen))
        assert (field(screen, "name"), field(screen, "phone"), field(screen, "id_number")) == ("张三", "13900001111", "")


@pytest.mark.parametrize("fault, text", [
    ("bad_checksum", "校验出错"), ("truncated", "读卡中断"), ("removed_mid_read", "证件被拿开"),
    ("garbled", "无法识别"),
    ("silence", "读卡器没有应答"), ("other_device", "不是身份证读卡器"),
])
async def test_reader_faults_are_shown_and_typing_by_hand_still_works(gate_with_reader, sim, fault, text):
    sim.fault = fault
    async with start_app(gate_with_reader, "gate") as (app, pilot):
        screen = await open_register(app, pilot)
        await type_text(pilot, "11010519491231002X")
        sim.place(resident_text(**CARD))
        await wait_until(pilot, lambda: text in reader_line(screen), seconds=8)
        assert screen.query_one(IdCardWatch).has_class("-problem")
        assert field(screen, "id_number") == "11010519491231002X"  # what was typed is kept
        await pilot.press("enter")
        await settle(pilot)
        assert screen.query_one("#f-name", Input).has_focus  # the typed number was checked as always
        sim.fault = None
        await wait_until(pilot, lambda: "请把身份证放在读卡器上" in reader_line(screen) or field(screen, "name"),
                         seconds=8)


@pytest.mark.parametrize("language, text", [("zh-CN", "找不到读卡器"), ("en", "Card reader not found")])
async def test_an_unplugged_reader_says_so_in_the_current_language(gate_with_reader, tmp_path, language, text):
    gate_with_reader.idcard.port = str(tmp_path / "ttyUSB0")
    gate_with_reader.language = language
    async with start_app(gate_with_reader, "gate") as (app, pilot):
        screen = await open_register(app, pilot)
        await wait_until(pilot, lambda: text in reader_line(screen))
        screen.query_one(IdCardWatch).refresh_text()  # what F9 does to every widget (KioskApp.refresh_all_text)
        assert text in reader_line(screen)


async def test_a_keyboard_reader_types_number_and_name_into_the_id_field(gate_with_reader):
    async with start_app(gate_with_reader, "gate") as (app, pilot):
        screen = await open_register(app, pilot)
        await type_text(pilot, CARD_ID + "李明远")
        await pilot.press("enter")
        await settle(pilot)
        assert (field(screen, "id_number"), field(screen, "name")) == (CARD_ID, "李明远")
        assert screen.query_one("#f-phone", Input).has_focus


async def test_the_port_is_let_go_when_the_form_is_not_shown(gate_with_reader, sim):
    async with start_app(gate_with_reader, "gate") as (app, pilot):
        screen = await open_register(app, pilot)
        await wait_until(pilot, lambda: len(sim.requests) >= 2)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, RegisterScreen)
        await pilot.pause(0.2)
        asked = len(sim.requests)
        await pilot.pause(0.4)
        assert len(sim.requests) == asked


async def test_the_address_shows_only_when_the_school_keeps_it(gate_with_reader, sim):
    gate_with_reader.idcard.keep_address = True
    async with start_app(gate_with_reader, "gate") as (app, pilot):
        screen = await open_register(app, pilot)
        sim.place(resident_text(**CARD))
        await wait_until(pilot, lambda: "中关村" in reader_line(screen))


async def test_the_demo_reader_places_a_card_with_f7(db, settings, frozen_now):
    settings.idcard.port = "sim"  # kiosk run --idcard-sim
    settings.idcard.poll_ms = 50
    async with start_app(make_school(settings), "gate") as (app, pilot):
        screen = await open_register(app, pilot)
        assert any("演示放卡" in text for _, text in screen.key_help())
        await pilot.press("f7")
        await wait_until(pilot, lambda: field(screen, "name") == "李明远")
        assert field(screen, "id_number") == CARD_ID
