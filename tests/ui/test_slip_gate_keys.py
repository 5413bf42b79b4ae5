"""Issue 14 on the slip check screen and the login screen: the card direction inferred with F3 as a one-card
override, a typed number flagged and recorded only with F2, a day student outside hours on the gatekeeper's
confirmation, each verdict clearing the message of the one before, and a scan at the login screen."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from textual.widgets import Input, Static

from kiosk import clock
from kiosk.models.slips import GateCrossing, GateScan
from kiosk.screens.slip_gate import SlipCheckScreen
from tests import scanner
from tests.ui.test_slips_ui import banner, confirm, issue, open_check, scan, tiny  # noqa: F401  (fixture)
from tests.ui_helpers import settle, start_app


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def type_number(app, pilot, number: str) -> None:
    """A person keying a student number: 150 ms a key, then Enter."""
    app.screen.query_one("#slip-scan", Input).focus()
    await scanner.scan(app, number, gap_ms=150)
    await asyncio.sleep(0.3)
    await settle(pilot)


async def press_after_reading(pilot, key: str) -> None:
    await asyncio.sleep(SlipCheckScreen.CONFIRM_AFTER_SECONDS)
    await pilot.press(key)
    await settle(pilot)


async def test_a_typed_number_is_flagged_and_only_f2_records_it(tiny):
    tiny.scanner.repeat_ignore_seconds = 0.2  # the same number again stands for later, not a re-trigger
    async with start_app(tiny, "gate") as (app, pilot):
        screen = await open_check(app, pilot)
        await type_number(app, pilot, "20260102")
        assert "手动输入" in banner(screen) and screen.query_one("#slip-verdict").has_class("-flagged")
        assert "手动输入" in text_of(screen, "#slip-details") and "F2" in text_of(screen, "#slip-hint")
        await press_after_reading(pilot, "enter")  # a habitual Enter lets nobody through
        assert GateCrossing.select().count() == 0 and screen.pending
        assert "F2" in screen.message_text()
        await press_after_reading(pilot, "f2")
        crossing = GateCrossing.get()
        assert (crossing.typed, crossing.direction) == (True, "return")
        assert GateScan.get().typed is True
        await scan(app, pilot, "20260102")  # the same card scanned later: not typed, no flag
        assert "手动输入" not in banner(screen) and "放行出校" in banner(screen)


async def test_the_card_direction_is_inferred_and_f3_sets_only_the_next_card(tiny):
    tiny.scanner.repeat_ignore_seconds = 0.2  # each scan of the card stands for a later crossing
    async with start_app(tiny, "gate") as (app, pilot):
        screen = await open_check(app, pilot)
        assert "自动" in text_of(screen, "#slip-direction")
        await scan(app, pilot, "20260102")  # the day student's first crossing today: coming in
        assert "准予返校" in banner(screen)
        await confirm(pilot)
        clock.advance(timedelta(minutes=30))
        await scan(app, pilot, "20260102")  # leaving again: out, with no card-lending flag
        assert "放行出校" in banner(screen) and not screen.query_one("#slip-verdict").has_class("-flagged")
        await confirm(pilot)
        await pilot.press("f3", "f3")  # next card: in (F3 cycles auto -> out -> in -> auto)
        assert "下一次刷卡按进校" in text_of(screen, "#slip-direction")
        clock.advance(timedelta(minutes=30))
        await scan(app, pilot, "20260102")
        assert "准予返校" in banner(screen)
        assert "自动" in text_of(screen, "#slip-direction")  # the override was for that card only
        await confirm(pilot)
        await pilot.press("f3")
        await scan(app, pilot, "20260102")  # out, by hand: it was in, so no flag
        assert "放行出校" in banner(screen)
        await confirm(pilot)
        await pilot.press("f3")
        await scan(app, pilot, "20260102")  # out again by hand: lent card?
        assert "疑似借卡" in banner(screen)
        assert [c.direction for c in GateCrossing.select().order_by(GateCrossing.at)] == [
            "return", "exit", "return", "exit"]


async def test_each_verdict_clears_the_message_of_the_one_before(tiny):
    """The defect: 已记录 (of the slip before) stayed on the message line under a new refusal."""
    code = issue().code
    async with start_app(tiny, "gate") as (app, pilot):
        screen = await open_check(app, pilot)
        await scan(app, pilot, code)
        await confirm(pilot)
        await scan(app, pilot, "NOSUCHCODE")
        assert "拒绝" in banner(screen)
        assert "已记录" not in screen.message_text() and screen.message_text() == ""
        assert "已记录" in text_of(screen, "#slip-previous") and "张华丽" in text_of(screen, "#slip-previous")
        await type_number(app, pilot, "20260102")
        await press_after_reading(pilot, "enter")
        assert "F2" in screen.message_text()  # said of this verdict...
        await pilot.press("escape")
        await settle(pilot)
        await scan(app, pilot, "NOSUCHCODE2")
        assert screen.message_text() == ""  # ...and gone with it
        assert "未记录" in text_of(screen, "#slip-previous") and "李明" in text_of(screen, "#slip-previous")


async def test_a_day_student_outside_hours_is_let_through_only_with_f2_when_the_school_says_so(tiny):
    tiny.gate.day_student_hours = "1-5 06:30-07:50,16:30-22:00"  # Wednesday 10:00 is outside
    tiny.gate.day_student_outside_hours = "confirm"
    async with start_app(tiny, "gate") as (app, pilot):
        screen = await open_check(app, pilot)
        await scan(app, pilot, "20260102")
        assert "时段外" in banner(screen) and "06:30-07:50, 16:30-22:00" in banner(screen)
        await press_after_reading(pilot, "enter")
        assert GateCrossing.select().count() == 0
        await press_after_reading(pilot, "f2")
        assert GateCrossing.get().flags == "outside_hours"
    tiny.gate.day_student_outside_hours = "refuse"
    async with start_app(tiny, "gate") as (app, pilot):
        screen = await open_check(app, pilot)
        await scan(app, pilot, "20260102")
        assert "拒绝" in banner(screen) and "不在通行时段" in banner(screen)


async def login_scan(app, pilot, code: str, gap_ms: float = 3) -> None:
    await scanner.scan(app, code, gap_ms=gap_ms)
    await asyncio.sleep(0.2)
    await settle(pilot)


async def test_a_scan_at_the_login_screen_says_log_in_first_and_fills_nothing(tiny):
    """The defect: after the idle lock a scanned slip landed in the staff-number field."""
    code = issue().code
    async with start_app(tiny, "gate") as (app, pilot):
        staff, pin = app.screen.query_one("#login-staff", Input), app.screen.query_one("#login-pin", Input)
        await login_scan(app, pilot, code)
        assert (staff.value, pin.value) == ("", "") and app.screen.focused is staff
        assert "请先登录" in app.screen.message_text()
        app.screen.clear_message()
        await login_scan(app, pilot, "20260101")  # a student card: not a staff number either
        assert (staff.value, pin.value) == ("", "") and "请先登录" in app.screen.message_text()
        await login_scan(app, pilot, "G001", gap_ms=150)  # the gatekeeper typing his number
        assert staff.value == "G001" and app.screen.focused is pin
        await login_scan(app, pilot, "111111", gap_ms=150)
        assert type(app.screen).__name__ != "LoginScreen"


async def test_a_staff_card_scanned_at_the_login_screen_still_logs_in(tiny):
    async with start_app(tiny, "gate") as (app, pilot):
        staff, pin = app.screen.query_one("#login-staff", Input), app.screen.query_one("#login-pin", Input)
        await login_scan(app, pilot, "G001")  # a scanner's burst that is a staff number
        assert staff.value == "G001" and app.screen.focused is pin and "请先登录" not in app.screen.message_text()
        await login_scan(app, pilot, "111111", gap_ms=150)
        assert type(app.screen).__name__ != "LoginScreen"


async def test_a_slip_scanned_into_the_pin_field_is_not_a_wrong_pin(tiny):
    from kiosk.models import LoginState

    code = issue().code
    async with start_app(tiny, "gate") as (app, pilot):
        staff, pin = app.screen.query_one("#login-staff", Input), app.screen.query_one("#login-pin", Input)
        await login_scan(app, pilot, "G001", gap_ms=150)
        assert app.screen.focused is pin
        await login_scan(app, pilot, code)  # a student's slip while the gatekeeper was about to type his PIN
        assert (staff.value, pin.value) == ("", "") and "请先登录" in app.screen.message_text()
        assert LoginState.select().count() == 0  # no wrong PIN counted against G001


async def test_at_80x24_the_line_under_a_verdict_says_whole_what_to_do_in_both_languages(tiny):
    """Walk-through finding: the line under a verdict was one row high, so at 80 columns a typed number's
    "...; 按 Esc 不予记录（会写入日志）" was cut after 按 Esc, and in English every verdict's line lost its end
    (a refusal's "use the verbal-permission screen")."""
    from rich.cells import cell_len

    from kiosk.i18n import t
    from tests.ui.test_canteen_80x24 import screen_lines

    def assert_whole(app, key: str) -> None:
        drawn = "".join("".join(screen_lines(app)).split())  # wrapped or not, the same characters in order
        assert "".join(t(key).split()) in drawn, f"{t(key)!r} cut:\n" + "\n".join(screen_lines(app))
        assert max(cell_len(line) for line in screen_lines(app)) <= 80

    tiny.scanner.repeat_ignore_seconds = 0.2
    async with start_app(tiny, "gate", size=(80, 24)) as (app, pilot):
        screen = await open_check(app, pilot)
        for language in ("zh-CN", "en"):
            await type_number(app, pilot, "20260102")  # a typed number: only F2 records it
            assert_whole(app, "slips.hint_confirm_key")
            await pilot.press("escape")
            await settle(pilot)
            await scan(app, pilot, f"NOSUCHCODE-{language}")
            assert_whole(app, "slips.hint_refused")
            await pilot.press("f9")
            await settle(pilot)
        assert screen.pending is False


async def test_a_day_students_card_asks_to_check_the_student_only(tiny):
    """A day student's card names no slip and no companion; the line under the verdict asked to check both."""
    async with start_app(tiny, "gate") as (app, pilot):
        screen = await open_check(app, pilot)
        await scan(app, pilot, "20260102")  # the day student's card
        assert "刷卡进校" in banner(screen)
        assert "陪同人" not in text_of(screen, "#slip-hint") and "学生本人" in text_of(screen, "#slip-hint")
