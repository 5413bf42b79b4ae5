"""The seam between screens and services (issue 12): one way to call a service, one message line, one handler
for faults of the program. A fault behind each station's main task shows the red 系统错误 banner, is written to
kiosk.log with its traceback, and the station keeps working."""
from __future__ import annotations

import pytest
from textual.app import ComposeResult
from textual.widgets import Input, Static

from kiosk import logs
from kiosk.i18n import Msg, UserError, t_in
from kiosk.screens.base import KioskScreen
from kiosk.widgets.message_line import MessageLine
from kiosk.widgets.system_error import SystemErrorBanner
from tests.ui_helpers import login, settle, start_app, type_text


class ProbeScreen(KioskScreen):
    """A screen with nothing but a message line, calling whatever service a test gives it."""

    def __init__(self) -> None:
        super().__init__()
        self.results: list[object] = []

    def compose(self) -> ComposeResult:
        yield Static("probe")
        yield MessageLine()


def banner_text(screen) -> str:
    banners = screen.query(SystemErrorBanner)
    return str(banners.first().render()) if banners and banners.first().shown else ""


def log_text() -> str:
    path = logs.log_path()
    return path.read_text(encoding="utf-8") if path.exists() else ""


async def open_probe(app, pilot) -> ProbeScreen:
    screen = ProbeScreen()
    await app.push_screen(screen)
    await pilot.pause()
    return screen


async def test_result_reaches_then_on_the_ui_thread(demo_school):
    async with start_app(demo_school, "gate") as (app, pilot):
        screen = await open_probe(app, pilot)
        screen.call(lambda a, b: a + b, 2, 3, then=screen.results.append)
        await settle(pilot)
        assert screen.results == [5]
        assert banner_text(screen) == ""


async def test_user_error_goes_to_the_message_line_and_follows_f9(demo_school):
    def refuse():
        raise UserError("core.login_need_pin")

    async with start_app(demo_school, "gate") as (app, pilot):
        screen = await open_probe(app, pilot)
        screen.call(refuse, then=screen.results.append)
        await settle(pilot)
        line = screen.query_one(MessageLine)
        assert line.text == t_in("zh-CN", "core.login_need_pin") and line.has_class("-error")
        assert screen.results == [] and banner_text(screen) == ""
        await pilot.press("f9")
        await settle(pilot)
        assert line.text == t_in("en", "core.login_need_pin")  # re-rendered, not the Chinese left behind


async def test_a_refusal_is_said_then_handed_to_the_screens_refused_hook(demo_school):
    def refuse():
        raise UserError("core.login_need_pin")

    async with start_app(demo_school, "gate") as (app, pilot):
        screen = await open_probe(app, pilot)
        refusals: list[tuple[str, str]] = []
        screen.call(refuse, then=screen.results.append,
                    refused=lambda error: refusals.append((error.key, screen.message_text())))
        await settle(pilot)
        # the hook runs after the message line already says why, so it can add to it (e.g. focus a field)
        assert refusals == [("core.login_need_pin", t_in("zh-CN", "core.login_need_pin"))]
        assert screen.results == [] and banner_text(screen) == ""


async def test_unexpected_error_shows_the_banner_logs_and_the_station_keeps_working(demo_school):
    def broken():
        raise ZeroDivisionError("deliberate fault in a service")

    async with start_app(demo_school, "gate") as (app, pilot):
        screen = await open_probe(app, pilot)
        screen.call(broken, then=screen.results.append)
        await settle(pilot)
        assert "系统错误" in banner_text(screen) and "没有完成" in banner_text(screen)
        assert "ZeroDivisionError: deliberate fault in a service" in log_text()
        assert "Traceback" in log_text()
        assert screen.results == []
        await pilot.press("f9")
        await settle(pilot)
        assert "System error" in banner_text(screen)
        screen.call(lambda: "ok", then=screen.results.append)  # the next action works and clears the banner
        await settle(pilot)
        assert screen.results == ["ok"] and banner_text(screen) == ""


async def test_a_failing_callback_says_the_action_was_done(demo_school):
    def explode(result):
        raise KeyError(result)

    async with start_app(demo_school, "gate") as (app, pilot):
        screen = await open_probe(app, pilot)
        screen.call(lambda: "saved", then=explode)
        await settle(pilot)
        assert "操作已完成" in banner_text(screen)
        assert "KeyError: 'saved'" in log_text()


async def test_hand_written_worker_failures_reach_the_same_handler(demo_school):
    async with start_app(demo_school, "gate") as (app, pilot):
        screen = await open_probe(app, pilot)

        def fails() -> None:
            raise RuntimeError("hand-written worker")

        screen.run_worker(fails, thread=True, exit_on_error=False, name="legacy")
        await settle(pilot)
        assert "系统错误" in banner_text(screen)
        assert "RuntimeError: hand-written worker" in log_text()


def _raise(*args, **kwargs):
    raise RuntimeError("injected fault behind a station's main task")


async def test_gate_slip_check_fault_is_never_silent(demo_school, monkeypatch):
    """The defect named in issue 12: with check_at_gate raising, the banner stayed on 请扫码 and nothing said
    the scan was not checked."""
    from kiosk.services import slips_gate

    monkeypatch.setattr(slips_gate, "check_at_gate", _raise)
    async with start_app(demo_school, "gate") as (app, pilot):
        await login(pilot, "G001", "111111")
        await pilot.press("s")
        await settle(pilot)
        scan = app.screen.query_one(Input)
        scan.focus()
        await type_text(pilot, "20260101")
        await pilot.press("enter")
        await settle(pilot)
        assert "系统错误" in banner_text(app.screen)
        assert "injected fault behind a station's main task" in log_text()
        monkeypatch.undo()
        await pilot.press("f1")  # the station still answers keys
        await settle(pilot)
        assert "HelpScreen" == type(app.screen).__name__


@pytest.mark.parametrize("station, staff, pin, key, module, name", [
    ("dorm", "D001", "222222", "r", "kiosk.services.headcount_common", "buildings"),
    ("canteen", "C001", "333333", "m", "kiosk.services.canteen.meals", "meals_for_day"),
    ("office", "T001", "444444", "c", "kiosk.services.slips_office", "class_slips"),
])
async def test_station_main_task_fault_is_never_silent(demo_school, monkeypatch, station, staff, pin, key, module,
                                                       name):
    import importlib

    monkeypatch.setattr(importlib.import_module(module), name, _raise)
    async with start_app(demo_school, station) as (app, pilot):
        await login(pilot, staff, pin)
        await pilot.press(key)
        await settle(pilot)
        assert "系统错误" in banner_text(app.screen), type(app.screen).__name__
        assert "injected fault behind a station's main task" in log_text()


def test_msg_renders_in_the_language_current_when_shown():
    from kiosk import i18n

    message = Msg("core.login_need_pin")
    try:
        i18n.set_language("en")
        assert str(message) == t_in("en", "core.login_need_pin")
    finally:
        i18n.set_language("zh-CN")
    assert str(message) == t_in("zh-CN", "core.login_need_pin")


def test_user_error_is_bilingual_with_nested_messages_in_each_language():
    error = UserError("core.verbatim", text=Msg("core.login_need_pin"))
    zh, en = str(error).split(" / ", 1)
    assert zh == t_in("zh-CN", "core.login_need_pin") and en == t_in("en", "core.login_need_pin")


def test_plural_forms_pick_one_or_other(tmp_path, monkeypatch):
    from kiosk.i18n import render

    forms = {"one": "{count} dish added", "other": "{count} dishes added"}
    assert render(forms, {"count": 1}) == "1 dish added"
    assert render(forms, {"count": 2}) == "2 dishes added"
    assert render(forms, {"count": 0}) == "0 dishes added"
