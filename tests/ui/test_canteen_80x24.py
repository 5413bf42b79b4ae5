"""The canteen station at 80x24, the smallest screen it must serve: what a worker acts on stays whole, in
Chinese and in English."""
from __future__ import annotations

from datetime import timedelta

from rich.cells import cell_len
from textual.widgets import DataTable

from kiosk import clock
from kiosk.screens.canteen_meals import MealsScreen
from kiosk.services.actor import Actor
from kiosk.services.canteen.core import school_today
from kiosk.services.canteen.holds import set_hold
from kiosk.services.canteen.meals import add_dishes, add_meal, meals_for_day
from kiosk.services.canteen.samples import record_sample
from kiosk.widgets.bars import KeyBar
from tests.ui.test_canteen import canteen_school, open_meals, record, select_pending_lunch_dish  # noqa: F401
from tests.ui_helpers import settle, start_app


async def test_at_80_columns_every_meal_screen_key_is_on_screen(canteen_school):
    """The meal screen has a dozen keys: at 80x24 the last ones used to fall off the right edge."""
    async with start_app(canteen_school, "canteen", size=(80, 24)) as (app, pilot):
        await open_meals(app, pilot)
        bar = app.screen.query_one(KeyBar)
        shown = str(bar.render())
        for label in ("留样", "记录表", "试尝", "陪餐"):
            assert label in shown
        assert bar.size.height >= 2 and max(cell_len(line) for line in shown.splitlines()) <= 78
        assert app.screen.query_one(DataTable).region.bottom <= bar.region.y  # the table is not hidden under it


def screen_lines(app) -> list[str]:
    """The text of the whole terminal as drawn (Textual's compositor; no public API gives the rendered cells)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def test_at_80x24_label_codes_stay_whole_in_both_languages(canteen_school):
    """Walk-through finding: at 80 columns in English the label code (read, or typed when the QR is damaged) was
    the last column and cut on the meals screen, and wholly off screen on the disposal and hold lists."""
    settings = canteen_school
    cook = Actor(settings.school.id, "st", "staff-c", staff_name="王师傅", roles=frozenset({"canteen"}))
    admin = Actor(settings.school.id, "st", "staff-a", staff_name="赵管理", roles=frozenset({"admin"}))
    today = school_today(settings)
    add_dishes(cook, settings, add_meal(cook, settings, today, "extra", "21:00", "晚自习加餐"), ["鱼香肉丝盖浇饭"])
    codes = [record_sample(cook, settings, dish.id, 150, fridge="1号留样柜", shelf="2层").sample.qr_payload
             for meal in meals_for_day(settings, today) for dish in meal.dishes if meal.kind in ("breakfast", "extra")]

    def assert_codes_whole(app, where):
        lines = screen_lines(app)
        assert max(cell_len(line) for line in lines) <= 80
        for code in codes:
            assert any(code in line for line in lines), f"{where}: {code} cut or missing\n" + "\n".join(lines)

    async with start_app(settings, "canteen", size=(80, 24)) as (app, pilot):
        await open_meals(app, pilot)
        for language in ("zh-CN", "en"):
            assert_codes_whole(app, f"meals {language}")
            await pilot.press("f9")
            await settle(pilot)
        clock.advance(timedelta(hours=49))  # the samples may be disposed of now: on the due list
        await pilot.press("escape", "l")
        await settle(pilot)
        for language in ("zh-CN", "en"):
            assert_codes_whole(app, f"lists {language}")
            await pilot.press("f9")
            await settle(pilot)
        set_hold(admin, settings, today, today, "学生腹泻待查，留样封存备检，等待疾控中心的检测结果")  # a long reason
        await pilot.press("escape", "k")
        await settle(pilot)
        for language in ("zh-CN", "en"):
            assert_codes_whole(app, f"holds {language}")
            (hold_row,) = [line for line in screen_lines(app) if today.isoformat() in line]
            assert f"  {len(codes)}  " in hold_row, hold_row  # how many samples it holds, before the long reason
            await pilot.press("f9")
            await settle(pilot)


async def test_at_80x24_the_record_form_shows_its_whole_refusal(canteen_school):
    """Walk-through finding: at 24 lines the record form was taller than the screen, so "weight short, N g
    missing, not recorded" was cut after its first line and the form scrolled."""
    async with start_app(canteen_school, "canteen", size=(80, 24)) as (app, pilot):
        await open_meals(app, pilot)
        for language in ("zh-CN", "en"):
            await select_pending_lunch_dish(app, pilot)
            await record(app, pilot, "100")
            message = app.screen.query_one("#record-error")
            assert message.region.height >= 1 and message.region.bottom <= app.screen.query_one(KeyBar).region.y
            text = "".join(screen_lines(app)).replace(" ", "")
            tail = "重新称量" if language == "zh-CN" else "weighagain"
            assert tail in text, "\n".join(screen_lines(app))
            await pilot.press("escape")
            await settle(pilot)
            if not isinstance(app.screen, MealsScreen):  # typed text: the discard question
                await pilot.press("y")
                await settle(pilot)
            await pilot.press("f9")
            await settle(pilot)


async def test_at_80_columns_the_canteens_alerts_keep_their_counts_in_english(demo_school):
    """Walk-through finding: after lunch was served with dishes not sampled, the canteen's status bar at 80 columns
    in English read "4 dishes not sampled · 4 samples ov…": how many samples were overdue was cut off."""
    from rich.cells import cell_len

    from kiosk.widgets.bars import StatusBar
    from tests.ui_helpers import login

    demo_school.language = "en"
    clock.advance(timedelta(hours=3))  # 13:00: lunch (11:50) served, the demo sampled none of it
    async with start_app(demo_school, "canteen", size=(80, 24)) as (app, pilot):
        await login(pilot, "C001", "333333")
        await settle(pilot)
        alerts = app.screen.query_one(StatusBar).query_one("#status-alerts")
        text = app.station_status.alert_text
        assert "ampled" in text and "verdue" in text  # both alerts, as on the walk
        assert alerts.region.width - 2 >= cell_len(text), text  # whole, less its padding
    from kiosk.i18n import t_in

    room = 80 * 45 // 100 - 2  # the alerts' max-width (45%) less the padding
    for language in ("zh-CN", "en"):  # two days after a busy week: 17 overdue on the walk; Chinese lost that count
        pair = " · ".join((t_in(language, "canteen.alert_missed", count=9),
                           t_in(language, "canteen.alert_overdue", count=99)))
        assert cell_len(pair) <= room, pair
