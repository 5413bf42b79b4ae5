"""Canteen station in a Pilot: record a sample -> label printed -> dispose by scan; printer off -> reprint."""
from __future__ import annotations

import socket
from datetime import timedelta
from pathlib import Path

import pytest

from textual.widgets import DataTable, Input, Static

from kiosk import clock
from kiosk.models.canteen import Sample, SampleDisposal
from kiosk.screens.canteen_disposal import DisposalScreen
from kiosk.screens.canteen_holds import HoldsScreen
from kiosk.screens.canteen_meals import MealsScreen
from kiosk.screens.canteen_record import RecordSampleScreen
from kiosk.screens.dialogs import PinDialog
from kiosk.services.canteen import samples
from kiosk.services.canteen.core import school_today
from kiosk.services.canteen.disposal import dispose
from kiosk.services.canteen.holds import holds, set_hold
from kiosk.services.canteen.meals import add_dishes, add_meal, meals_for_day
from kiosk.services.canteen.samples import record_sample
from kiosk.widgets.scan_input import ScanInput
from tests.ui_helpers import login, settle, start_app, type_text


@pytest.fixture
def canteen_school(db, settings, frozen_now):
    """A school with three staff (canteen C001, food safety F001, admin A001) and today's three meals:
    much faster than the whole demo school, which these tests do not need."""
    from kiosk.db import ensure_station_identity
    from kiosk.models import School, Staff
    from kiosk.services.actor import Actor
    from kiosk.services.auth import hash_pin
    from kiosk.services.facts import record

    system = Actor(school_id=settings.school.id, station_id=ensure_station_identity(), staff_name="test")
    with record(system, "test.setup") as w:
        w.insert(School(id=settings.school.id, name=settings.school.name, timezone=settings.school.timezone))
        for number, name, roles, pin in (("C001", "王师傅", "canteen", "333333"), ("F001", "李安全", "food_safety,canteen", "333333"),
                                         ("A001", "赵管理", "admin", "888888")):
            w.insert(Staff(school_id=settings.school.id, number=number, name=name, initials="", roles=roles,
                           card_code=f"STAFF-{number}", pin_hash=hash_pin(pin), updated_at=frozen_now))
    cook = Actor(settings.school.id, system.station_id, "setup", staff_name="王师傅", roles=frozenset({"canteen"}))
    today = school_today(settings)
    for kind, dishes in (("breakfast", ["白粥", "肉包"]), ("lunch", ["红烧肉", "清炒时蔬", "米饭"]), ("dinner", ["青椒肉丝"])):
        add_dishes(cook, settings, add_meal(cook, settings, today, kind), dishes)
    return settings


def text_of(app, selector) -> str:
    return str(app.screen.query_one(selector, Static).render())



async def open_meals(app, pilot):
    await login(pilot, "C001", "333333")
    await pilot.press("m")
    await settle(pilot)
    assert isinstance(app.screen, MealsScreen)


async def select_pending_lunch_dish(app, pilot):
    screen = app.screen
    index = next(i for i, (meal, dish) in enumerate(screen.rows)
                 if meal.kind == "lunch" and dish is not None and dish.state == "pending")
    screen.query_one(DataTable).move_cursor(row=index)
    await pilot.pause()
    return screen.rows[index][1]


async def record(app, pilot, grams: str):
    await pilot.press("f2")
    await pilot.pause()
    assert isinstance(app.screen, RecordSampleScreen)
    app.screen.query_one("#record-weight", Input).value = grams
    await pilot.press("f2")
    await settle(pilot)


async def test_record_print_and_dispose(canteen_school):
    settings = canteen_school
    async with start_app(settings, "canteen") as (app, pilot):
        await open_meals(app, pilot)
        dish = await select_pending_lunch_dish(app, pilot)
        # under the minimum: refused with the shortfall, the form stays
        await record(app, pilot, "100")
        assert isinstance(app.screen, RecordSampleScreen)
        assert "还差 25 克" in text_of(app, "#record-error")
        assert not Sample.select().where(Sample.dish_id == dish.id).exists()
        # fill the form with Enter between fields, as a person would
        weight = app.screen.query_one("#record-weight", Input)
        weight.value = ""
        weight.focus()
        await type_text(pilot, "150")
        for _ in range(3):
            await pilot.press("enter")
        await type_text(pilot, "4")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MealsScreen)
        sample = Sample.get(Sample.dish_id == dish.id)
        assert (sample.grams, sample.temperature_c, sample.sampler_name) == (150, 4.0, app.ctx.session.name)
        message = text_of(app, "#meals-message")
        # no label printer in these tests (the png backend): the message says the label is only an image file
        assert "已记录" in message and "标签已存为图片" in message and "已打印" not in message
        assert (Path(settings.printer.output_dir) / f"sample-{sample.label_code}.png").exists()
        assert any(d is not None and d.id == dish.id and d.state == "sampled" for _, d in app.screen.rows)
        # issue 15, item 11: the cursor moved on to the next dish still without a sample
        _, now_on = app.screen.selected()
        assert now_on is not None and now_on.id != dish.id and not now_on.samples
        row = app.screen.query_one(DataTable).cursor_row
        assert all(d is None or d.id == dish.id or d.samples for _, d in app.screen.rows[
            next(i for i, (_, d) in enumerate(app.screen.rows) if d is not None and d.id == dish.id) + 1:row])

        # dispose: too early, then (48 h later) allowed with a reviewer's PIN
        await pilot.press("escape")
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, DisposalScreen)
        scan = app.screen.query_one(ScanInput)
        scan.value = "LY" + sample.label_code
        await pilot.press("enter")
        await settle(pilot)
        verdict = text_of(app, "#dispose-verdict")
        assert "未到处理时间" in verdict and "48 小时 0 分" in verdict  # the clock is frozen
        clock.advance(timedelta(hours=48, minutes=1))
        scan.value = sample.label_code
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PinDialog)
        app.screen.query_one("#pin-staff", Input).value = "F001"
        app.screen.query_one("#pin-pin", Input).value = "333333"
        app.screen.query_one("#pin-pin", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        await settle(pilot)
        assert isinstance(app.screen, DisposalScreen)
        assert "已处理" in text_of(app, "#dispose-verdict")
        disposal = SampleDisposal.get(SampleDisposal.sample_id == sample.id)
        assert disposal.disposer_id == app.ctx.session.staff_id and disposal.reviewer_name


async def test_weight_read_from_the_scale_is_recorded_as_such(canteen_school):
    """F3 reads the serial scale into the weight field; a failed read says why and keeps the form."""
    from kiosk.models.audit import AuditEntry
    from tests.fake_scale import FakeScale

    settings = canteen_school
    with FakeScale([b"US,GS,+0000.060kg\r\n", b"ST,GS,+0000.146kg\r\n"]) as scale:
        settings.canteen.scale_port = scale.port
        async with start_app(settings, "canteen") as (app, pilot):
            await open_meals(app, pilot)
            dish = await select_pending_lunch_dish(app, pilot)
            await pilot.press("f2")
            await pilot.pause()
            assert "读电子秤" in str(app.screen.query_one("KeyBar").render())
            await pilot.press("f3")
            await settle(pilot)
            assert app.screen.query_one("#record-weight", Input).value == "146"
            assert "146 克" in text_of(app, "#record-note")
            assert app.screen.focused.id == "record-fridge"  # on to the next field
            await pilot.press("f2")
            await settle(pilot)
            sample = Sample.get(Sample.dish_id == dish.id)
            assert sample.grams == 146
            entry = AuditEntry.get((AuditEntry.action == "canteen.sample") & (AuditEntry.entity_id == sample.id))
            assert entry.detail["weight_source"] == "scale"

            # the scale is unplugged: a clear message, the form stays, typing still works
            await select_pending_lunch_dish(app, pilot)
            await pilot.press("f2")
            await pilot.pause()
            settings.canteen.scale_port = scale.port + "-gone"
            await pilot.press("f3")
            await settle(pilot)
            assert isinstance(app.screen, RecordSampleScreen)
            assert "找不到电子秤" in text_of(app, "#record-error")
            assert app.screen.weight_source("146") == "typed"


async def test_without_a_scale_there_is_no_scale_key(canteen_school):
    async with start_app(canteen_school, "canteen") as (app, pilot):
        await open_meals(app, pilot)
        await select_pending_lunch_dish(app, pilot)
        await pilot.press("f2")
        await pilot.pause()
        assert "读电子秤" not in str(app.screen.query_one("KeyBar").render())
        await pilot.press("f3")
        await settle(pilot)
        assert "电子秤" not in text_of(app, "#record-note") + text_of(app, "#record-error")


async def test_an_extra_meal_is_added_from_the_keyboard_and_a_bad_time_changes_nothing(canteen_school):
    from kiosk.models.canteen import Meal
    from kiosk.screens.dialogs import ChoiceDialog, TextDialog

    async with start_app(canteen_school, "canteen") as (app, pilot):
        await open_meals(app, pilot)
        before = Meal.select().count()
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("1")  # 加餐
        await pilot.pause()
        assert isinstance(app.screen, TextDialog)
        app.screen.query_one(Input).value = "晚自习加餐"
        await pilot.press("enter")
        await pilot.pause()
        app.screen.query_one(Input).value = "25:70"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MealsScreen) and Meal.select().count() == before
        assert "25:70" in text_of(app, "#meals-message")

        await pilot.press("a")
        await pilot.pause()
        await pilot.press("down", "enter")  # the second choice, 活动餐, with the arrow keys
        await pilot.pause()
        app.screen.query_one(Input).value = "运动会午餐"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one(Input).value == "12:00"  # the event meal's default time
        await pilot.press("enter")
        await settle(pilot)
        meal = Meal.get(Meal.name == "运动会午餐")
        assert (meal.kind, meal.service_time) == ("event", "12:00")
        assert any(m.id == meal.id for m in app.screen.meals)
        assert "已添加" in text_of(app, "#meals-message")

        await pilot.press("a")
        await pilot.pause()
        await pilot.press("escape")  # changed their mind: nothing is added
        await settle(pilot)
        assert isinstance(app.screen, MealsScreen) and Meal.select().count() == before + 1


async def test_printer_off_keeps_the_sample_and_reprint_works(canteen_school):
    settings = canteen_school
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    settings.printer.backend, settings.printer.device = "tspl", f"127.0.0.1:{port}"
    async with start_app(settings, "canteen") as (app, pilot):
        await open_meals(app, pilot)
        dish = await select_pending_lunch_dish(app, pilot)
        await record(app, pilot, "130")
        assert isinstance(app.screen, MealsScreen)
        message = text_of(app, "#meals-message")
        assert "已记录" in message and "无法打印" in message and "F6" in message
        sample = Sample.get(Sample.dish_id == dish.id)
        row = next(i for i, (_, d) in enumerate(app.screen.rows) if d is not None and d.id == dish.id)
        app.screen.query_one(DataTable).move_cursor(row=row)
        settings.printer.backend = "png"  # the printer is back
        await pilot.press("f6")
        await settle(pilot)
        assert "标签已存为图片" in text_of(app, "#meals-message")
        assert (Path(settings.printer.output_dir) / f"sample-{sample.label_code}.png").exists()


async def test_missed_dish_shows_red_after_service(canteen_school):
    async with start_app(canteen_school, "canteen") as (app, pilot):
        await open_meals(app, pilot)
        clock.advance(timedelta(hours=2))  # 12:00: lunch has been served, nothing sampled yet
        await pilot.press("f7")
        await pilot.press("f8")  # reload the same day
        await settle(pilot)
        lunch_dishes = [d for meal, d in app.screen.rows if meal.kind == "lunch" and d is not None]
        assert lunch_dishes and all(d.state == "missed" for d in lunch_dishes)
        assert "违规" in text_of(app, "#meals-title")


async def test_a_late_sample_is_marked_on_its_row_not_only_when_recorded(canteen_school):
    """Walk-through finding: a lunch dish sampled after service read 已留样 in green, like any other, once the
    message of the moment was gone; the register's 备注 said it, the screen the officer reviews did not."""
    async with start_app(canteen_school, "canteen") as (app, pilot):
        await open_meals(app, pilot)
        clock.advance(timedelta(hours=2))  # 12:00: lunch service began at 11:50
        await pilot.press("f7", "f8")
        await settle(pilot)
        index, dish = next((i, d) for i, (meal, d) in enumerate(app.screen.rows) if meal.kind == "lunch" and d)
        app.screen.query_one(DataTable).move_cursor(row=index)
        await record(app, pilot, "150")
        row = next(i for i, (_, d) in enumerate(app.screen.rows) if d is not None and d.id == dish.id)
        assert str(app.screen.query_one(DataTable).get_row_at(row)[1]) == "已留样（开餐后才留）"


def test_meal_view_snapshot(canteen_school, snap_compare, monkeypatch):
    """Today's meals at 12:30 (lunch served): one lunch dish sampled, the others red as missed."""
    from itertools import count

    from kiosk.app import KioskApp
    from kiosk.services.actor import Actor

    serial = count(1)  # label codes come from random id bits: make them fixed for the picture
    monkeypatch.setattr(samples, "short_code", lambda row_id: f"SNAP{next(serial):08d}")

    settings = canteen_school
    settings.station.kind, settings.station.name = "canteen", "canteen-1"
    cook = Actor(settings.school.id, "st-snapshot", "setup", staff_name="王师傅", roles=frozenset({"canteen"}))
    meals = meals_for_day(settings, school_today(settings))
    lunch = next(m for m in meals if m.kind == "lunch")
    record_sample(cook, settings, lunch.dishes[0].id, 150, fridge="1号柜", shelf="2层")
    breakfast = next(m for m in meals if m.kind == "breakfast")
    for dish in breakfast.dishes:
        record_sample(cook, settings, dish.id, 140)
    clock.advance(timedelta(hours=2, minutes=30))

    async def open_meals(pilot):
        await pilot.pause()
        await login(pilot, "C001", "333333")
        await pilot.press("m")
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(KioskApp(settings, station_id="st-snapshot"), terminal_size=(110, 30), run_before=open_meals)


async def test_admin_sets_an_incident_hold_and_sees_the_held_samples(canteen_school):
    from kiosk.screens.dialogs import TextDialog
    from kiosk.services.actor import Actor

    settings = canteen_school
    cook = Actor(settings.school.id, "st", "setup", staff_name="王师傅", roles=frozenset({"canteen"}))
    meal = next(m for m in meals_for_day(settings, school_today(settings)) if m.kind == "breakfast")
    record_sample(cook, settings, meal.dishes[0].id, 150)
    async with start_app(settings, "canteen") as (app, pilot):
        await login(pilot, "C001", "333333")
        await pilot.press("k")
        await settle(pilot)
        assert isinstance(app.screen, HoldsScreen)
        await pilot.press("f2")  # not an admin: the key does nothing
        await pilot.pause()
        assert isinstance(app.screen, HoldsScreen)
        await pilot.press("ctrl+l")
        await pilot.pause()
        await login(pilot, "A001", "888888")
        await pilot.press("k")
        await settle(pilot)
        await pilot.press("f2")
        await pilot.pause()
        for _ in range(2):  # start and end date: today, prefilled
            assert isinstance(app.screen, TextDialog)
            await pilot.press("enter")
            await pilot.pause()
        app.screen.query_one(Input).value = "学生腹泻待查"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HoldsScreen)
        assert "已封存" in text_of(app, "#holds-message")
        held = app.screen.query_one("#held-table", DataTable)
        assert held.row_count == 1 and "1" in text_of(app, "#held-heading")
        (hold,) = holds(settings)
        assert hold.reason == "学生腹泻待查" and hold.set_by_name == "赵管理" and hold.samples == 1


async def test_the_holds_screen_lists_samples_already_disposed_as_not_sealable(canteen_school):
    """Defect 10 on screen: 已处理，无法封存 with who disposed of the sample and when."""
    from datetime import timedelta

    from kiosk.services.actor import Actor

    settings = canteen_school
    cook = Actor(settings.school.id, "st", "staff-c", staff_name="王师傅", roles=frozenset({"canteen"}))
    admin = Actor(settings.school.id, "st", "staff-a", staff_name="赵管理", roles=frozenset({"admin"}))
    meal = next(m for m in meals_for_day(settings, school_today(settings)) if m.kind == "breakfast")
    sample = record_sample(cook, settings, meal.dishes[0].id, 150).sample
    clock.advance(timedelta(hours=49))
    assert dispose(cook, settings, sample.qr_payload).done
    set_hold(admin, settings, sample.meal_date, sample.meal_date, "学生腹泻")
    async with start_app(settings, "canteen") as (app, pilot):
        await login(pilot, "C001", "333333")
        await pilot.press("k")
        await settle(pilot)
        assert isinstance(app.screen, HoldsScreen)
        held = app.screen.query_one("#held-table", DataTable)
        (row,) = [held.get_row_at(i) for i in range(held.row_count)]
        assert str(row[0]) == "已处理" and row[1] == sample.qr_payload and row[2] == "白粥"
        assert str(row[-1]).startswith("已处理，无法封存（王师傅，")


async def test_esc_during_a_tasting_records_nothing_and_a_problem_needs_its_description(canteen_school):
    """Walk-through finding: Esc on "tasting fine?" (shown as Esc 取消) recorded the tasting as failed, and Esc on
    the remarks then saved it: two presses of the back key made a false record."""
    from kiosk.models.canteen import MealCheck
    from kiosk.screens.dialogs import TextDialog

    async def start_tasting():
        app.screen.query_one(DataTable).move_cursor(row=0)  # the breakfast heading row
        await pilot.press("f11")
        await settle(pilot)
        await type_text(pilot, "王校长")
        await pilot.press("enter")
        await settle(pilot)

    async with start_app(canteen_school, "canteen") as (app, pilot):
        await open_meals(app, pilot)
        await start_tasting()
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MealsScreen) and MealCheck.select().count() == 0
        await start_tasting()
        await pilot.press("2")  # a problem
        await settle(pilot)
        assert isinstance(app.screen, TextDialog)
        await pilot.press("enter")  # empty: refused, the dialog stays
        await settle(pilot)
        assert isinstance(app.screen, TextDialog)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MealsScreen) and MealCheck.select().count() == 0
        await start_tasting()
        await pilot.press("2")
        await settle(pilot)
        await type_text(pilot, "偏咸")
        await pilot.press("enter")
        await settle(pilot)
        (check,) = MealCheck.select()
        assert (check.kind, check.person_name, check.ok, check.feedback) == ("tasting", "王校长", False, "偏咸")
        assert "试尝：王校长（有问题）" in str(app.screen.query_one(DataTable).get_row_at(0)[3])
        await start_tasting()
        await pilot.press("1")  # fine: remarks may stay empty
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert sorted(c.ok for c in MealCheck.select()) == [False, True]


async def test_delete_takes_a_dish_typed_by_mistake_off_the_menu_after_asking(canteen_school):
    """Walk-through finding: a dish typed by mistake (F3) could not be taken off the menu from the station, so after
    service it stood as a dish served without a sample. Delete asks first; a dish with a sample stays."""
    from kiosk.models.canteen import MenuDish

    async with start_app(canteen_school, "canteen") as (app, pilot):
        await open_meals(app, pilot)
        dish = await select_pending_lunch_dish(app, pilot)
        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("escape")  # changed my mind: nothing happens
        await settle(pilot)
        assert isinstance(app.screen, MealsScreen) and MenuDish.get_by_id(dish.id).removed_at is None
        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert MenuDish.get_by_id(dish.id).removed_at is not None
        assert dish.name not in [d.name for _, d in app.screen.rows if d is not None]
        assert dish.name in app.screen.message_text()
        sampled = await select_pending_lunch_dish(app, pilot)
        await record(app, pilot, "150")
        row = next(i for i, (_, d) in enumerate(app.screen.rows) if d is not None and d.id == sampled.id)
        app.screen.query_one(DataTable).move_cursor(row=row)
        await pilot.press("delete", "enter")
        await settle(pilot)
        assert MenuDish.get_by_id(sampled.id).removed_at is None and "已留样" in app.screen.message_text()


async def test_esc_at_the_reviewer_pin_does_not_dispose_without_asking(canteen_school):
    """Walk-through finding: Esc on the reviewer's PIN, the key for backing out, disposed of the sample at once
    (without a reviewer). Now it asks; Esc again leaves the sample kept."""
    from kiosk.screens.dialogs import ConfirmDialog
    from kiosk.services.actor import Actor

    settings = canteen_school
    cook = Actor(settings.school.id, "st", "staff-c", staff_name="王师傅", roles=frozenset({"canteen"}))
    meal = next(m for m in meals_for_day(settings, school_today(settings)) if m.kind == "breakfast")
    sample = record_sample(cook, settings, meal.dishes[0].id, 150).sample
    clock.advance(timedelta(hours=49))
    async with start_app(settings, "canteen") as (app, pilot):
        await login(pilot, "C001", "333333")
        await pilot.press("d")
        await settle(pilot)

        async def scan_and_escape_the_pin(code):
            app.screen.query_one(ScanInput).value = code
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, PinDialog)
            await pilot.press("escape")
            await settle(pilot)

        await scan_and_escape_the_pin(sample.qr_payload)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DisposalScreen) and SampleDisposal.select().count() == 0
        assert "未处理" in text_of(app, "#dispose-verdict")
        await scan_and_escape_the_pin(sample.label_code)  # typed: the same scan twice within 2 s counts once
        await pilot.press("enter")  # yes: without a reviewer
        await settle(pilot)
        (disposal,) = SampleDisposal.select()
        assert disposal.sample_id == sample.id and disposal.reviewer_id is None
        assert "已处理" in text_of(app, "#dispose-verdict")
