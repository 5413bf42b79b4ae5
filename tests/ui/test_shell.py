"""Pilot tests of the station shell: login, lockout, idle lock, quit guard, language switch, help."""
import time

import pytest

from textual.widgets import Input, Static

from kiosk.models import AuditEntry
from kiosk.screens.dialogs import HelpScreen, PinDialog
from kiosk.screens.home import HomeScreen
from kiosk.screens.login import LoginScreen
from tests.ui_helpers import login, settle, start_app, type_text


def message(app) -> str:
    return str(app.screen.query_one("#login-message", Static).render())


async def test_gatekeeper_logs_in_and_sees_the_gate_home(demo_school):
    async with start_app(demo_school, "gate") as (app, pilot):
        assert isinstance(app.screen, LoginScreen)
        await login(pilot, "G001", "111111")
        assert isinstance(app.screen, HomeScreen)
        assert app.ctx.session.number == "G001"
        # Escape is not offered on the home screen (the key bar said "esc 返回") and changes nothing
        assert "escape" not in {key for key, active in app.screen.active_bindings.items() if active.binding.show}
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen) and app.ctx.session.number == "G001"


async def test_wrong_pin_says_how_many_tries_are_left_then_locks(demo_school):
    async with start_app(demo_school, "gate") as (app, pilot):
        await login(pilot, "G001", "000000")
        assert "4" in message(app) and isinstance(app.screen, LoginScreen)
        for _ in range(4):
            await login(pilot, "G001", "000000")
        assert "锁定" in message(app)
        await login(pilot, "G001", "111111")
        assert isinstance(app.screen, LoginScreen) and "锁定" in message(app)


async def test_wrong_station_role_is_refused_with_a_reason(demo_school):
    async with start_app(demo_school, "canteen") as (app, pilot):
        await login(pilot, "G001", "111111")
        assert isinstance(app.screen, LoginScreen)
        assert "不能在本站登录" in message(app)


async def test_idle_station_locks_and_forgets_the_form(demo_school):
    async with start_app(demo_school, "gate") as (app, pilot):
        await login(pilot, "G001", "111111")
        app.last_activity = time.monotonic() - 5 * 60 - 1
        app.lock_if_idle()
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        assert app.ctx.session is None
        assert app.screen.query_one("#login-staff", Input).value == ""
        assert "自动锁屏" in message(app)
        assert AuditEntry.select().where(AuditEntry.action == "auth.lock").count() == 1


async def test_quit_keys_need_an_admin_pin(demo_school):
    async with start_app(demo_school, "gate") as (app, pilot):
        await login(pilot, "G001", "111111")
        for key in ("ctrl+q", "ctrl+c"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, PinDialog)
            # a gatekeeper's own PIN does not open the door
            app.screen.query_one("#pin-staff", Input).value = "G001"
            app.screen.query_one("#pin-pin", Input).focus()
            await type_text(pilot, "111111")
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert isinstance(app.screen, PinDialog) and app.is_running
            # issue 15: the right PIN of a non-admin is told that an admin is needed, not "wrong number or PIN"
            assert "不是管理员" in app.screen.message_text() and "不正确" not in app.screen.message_text()
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, HomeScreen)
        assert app.return_code is None


async def test_admin_pin_quits(demo_school):
    async with start_app(demo_school, "gate") as (app, pilot):
        await pilot.press("ctrl+q")
        await pilot.pause()
        app.screen.query_one("#pin-staff", Input).value = "A001"
        app.screen.query_one("#pin-pin", Input).focus()
        await type_text(pilot, "888888")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not app.is_running
    assert AuditEntry.select().where(AuditEntry.action == "app.quit").count() == 1


async def test_command_palette_is_closed(demo_school):
    async with start_app(demo_school, "gate") as (app, pilot):
        await login(pilot, "G001", "111111")
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_language_switches_at_run_time(demo_school):
    async with start_app(demo_school, "gate") as (app, pilot):
        assert "请输入工号" in str(app.screen.query_one("#login-prompt", Static).render())
        await pilot.press("f9")
        await pilot.pause()
        assert "staff number" in str(app.screen.query_one("#login-prompt", Static).render())
        await pilot.press("f9")
        await pilot.pause()
        assert "请输入工号" in str(app.screen.query_one("#login-prompt", Static).render())


async def test_f1_lists_the_keys(demo_school):
    async with start_app(demo_school, "gate") as (app, pilot):
        await login(pilot, "G001", "111111")
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = " ".join(str(w.render()) for w in app.screen.query(Static))
        assert "锁屏" in text and "帮助" in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_no_key_combination_leaves_the_app(demo_school):
    keys = [f"ctrl+{c}" for c in "abcdefghijklmnopqrstuvwxyz"] + [f"f{n}" for n in range(1, 13)] + [
        "escape", "ctrl+backslash", "ctrl+shift+q", "alt+f4", "ctrl+alt+delete", "super+q"]
    async with start_app(demo_school, "gate") as (app, pilot):
        await login(pilot, "G001", "111111")
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
            while len(app.screen_stack) > 2 and not isinstance(app.screen, HomeScreen):
                await pilot.press("escape")  # close whatever dialog or screen the key opened
                await pilot.pause()
            assert app.is_running, f"{key} left the app"
        assert app.return_code is None


async def test_typed_ahead_pin_after_a_staff_card_scan_is_not_lost(demo_school):
    """A card scan (burst + Enter) followed at once by the PIN: every key lands in the field meant."""
    from textual import events

    async with start_app(demo_school, "gate") as (app, pilot):
        burst = list("STAFF-G001") + ["enter"] + list("111111") + ["enter"]
        for key in burst:  # posted in one go, as a scanner and a quick typist would
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen), message(app) if isinstance(app.screen, LoginScreen) else ""


async def test_every_station_screen_has_exactly_one_status_bar_and_key_bar(demo_school):
    """Textual runs each class's on_mount itself; a screen calling super().on_mount() once mounted two of each."""
    from kiosk.screens.home import allowed_actions
    from kiosk.widgets.bars import KeyBar, StatusBar

    for station in ("gate", "dorm", "canteen", "office"):
        async with start_app(demo_school, station) as (app, pilot):
            await login(pilot, "A001", "888888")
            for action in allowed_actions(station, app.ctx.session.roles):
                await app.push_screen(action.make_screen())
                await pilot.pause()
                screen = app.screen
                counts = (len(screen.query(StatusBar)), len(screen.query(KeyBar)))
                assert counts == (1, 1), f"{station} {action.key} {type(screen).__name__}: {counts}"
                while not isinstance(app.screen, HomeScreen):
                    app.pop_screen()
                    await pilot.pause()


def test_key_hints_wrap_whole_never_splitting_a_key_from_its_label():
    from rich.cells import cell_len

    from kiosk.widgets.bars import pack_key_hints

    hints = [("f2", "留样"), ("f3", "加菜品"), ("f10", "导出留样记录表"), ("f11", "试尝"), ("f12", "陪餐")]
    lines = pack_key_hints(hints, 24)
    assert [pair for line in lines for pair in line] == hints  # all of them, in order
    assert all(cell_len("  ".join(f"{k} {v}" for k, v in line)) <= 24 for line in lines)
    assert len(lines) > 1 and pack_key_hints(hints, 200) == [hints]



def test_no_screen_handles_a_message_twice_by_accident():
    """Textual runs an `on_*` handler of every class in the MRO, so a subclass that redefines its base's
    handler runs both (the handover form moved the focus twice). Only the pairs below are meant to compose."""
    import importlib
    import inspect
    import pkgutil

    import kiosk.screens
    import kiosk.widgets
    from textual.message_pump import MessagePump

    composed = {"on_mount", "on_screen_resume", "_on_key",  # base mounts bars / refreshes; ScanInput times keys
                "on_worker_state_changed",  # the seam reports faults; a screen may also follow its own workers
                "on_key"}  # a screen's own keys first; the base passes on keys typed while a screen opens
    found = []
    for package in (kiosk.screens, kiosk.widgets):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if not issubclass(cls, MessagePump) or not cls.__module__.startswith("kiosk"):
                    continue
                for name in cls.__dict__:
                    if name.lstrip("_").startswith("on_") and name not in composed:
                        found += [f"{cls.__name__}.{name} (also {base.__name__})" for base in cls.__mro__[1:]
                                  if base.__module__.startswith("kiosk") and name in base.__dict__]
    assert found == []


async def test_on_a_narrow_console_the_clock_stays_on_the_status_bar(demo_school):
    """At 100 columns, with alerts showing, the school's name gives way so the clock is not cut off."""
    from rich.cells import cell_len

    from kiosk.widgets.bars import StatusBar
    from tests.ui_helpers import settle, start_app

    for width, school_shown, language in ((80, False, "en"), (80, False, "zh-CN"), (100, False, "en"),
                                          (100, False, "zh-CN"), (140, True, "en")):
        demo_school.language = language
        async with start_app(demo_school, "office", size=(width, 30)) as (app, pilot):
            await settle(pilot)
            bar = app.screen.query_one(StatusBar)
            clock = bar.query_one("#status-clock")
            assert bar.query_one("#status-school").display is school_shown
            assert clock.region.right <= width and str(clock.render()).strip().endswith(":00")  # seconds shown
            for part in ("#status-sync", "#status-station"):  # whole, not pushed off the edge
                shown = bar.query_one(part)
                assert shown.region.right <= width and shown.region.width >= cell_len(str(shown.render()).strip()), part
            alerts = bar.query_one("#status-alerts")  # on screen (a long list ends in an ellipsis)
            assert alerts.region.width >= 12 and alerts.region.right <= width


async def test_a_required_reason_is_never_taken_as_cancelled(demo_school):
    """Enter on an empty required reason says so and keeps the dialog open (the office's revoke closed silently)."""
    from kiosk.screens.dialogs import TextDialog
    from tests.ui_helpers import settle, start_app

    answers = []
    async with start_app(demo_school, "office") as (app, pilot):
        await app.push_screen(TextDialog("slips.revoke_title", "slips.revoke_prompt", required=True,
                                         required_key="slips.err_revoke_reason", name="张华丽"), answers.append)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TextDialog) and answers == []
        assert "请填写撤销原因" in app.screen.message_text()
        await pilot.press("escape")
        await settle(pilot)
        assert answers == [None]


async def test_at_80_columns_the_gates_night_alerts_keep_their_counts_in_english(demo_school):
    """Walk-through finding: the gate's usual night (visitors overstaying and students overdue) read
    "3 visitors overstaying · Overdue:…" at 80 columns in English: the ellipsis took the overdue count."""
    from datetime import timedelta

    from rich.cells import cell_len

    from kiosk import clock
    from kiosk.i18n import t
    from kiosk.widgets.bars import StatusBar
    from tests.ui_helpers import settle, start_app

    demo_school.language = "en"
    clock.advance(timedelta(hours=12))  # 22:00: more of the day's visitors overstay, as on the walk
    async with start_app(demo_school, "gate", size=(80, 24)) as (app, pilot):
        await settle(pilot)
        alerts = app.screen.query_one(StatusBar).query_one("#status-alerts")
        text = app.station_status.alert_text
        assert "verstay" in text and "Overdue" in text  # the demo has both at 22:00
        assert alerts.region.width - 2 >= cell_len(text), text  # whole, less its padding
        room = 80 * 45 // 100 - 2  # the alerts' max-width (45%) less the padding
        office = " · ".join((t("slips.alert_overdue", count=12), t("slips.alert_conflicts", count=3)))
        assert cell_len(office) <= room, office  # the office's pair was "Overdue: 2 · Slip conflicts to re…"


@pytest.mark.parametrize("language", ["zh-CN", "en"])
async def test_at_80_columns_an_outdated_central_leaves_the_clock_on_the_status_bar(demo_school, monkeypatch, language):
    """The sync text for a central set up by an older version was a sentence (76 cells in Chinese, 92 in English):
    at 80 columns it pushed the clock off the right edge and was cut itself."""
    from dataclasses import replace

    from kiosk.sync import worker
    from kiosk.widgets.bars import StatusBar

    demo_school.sync.central_url = "postgresql://nobody@127.0.0.1:1/none"
    demo_school.language = language
    real = worker.sync_state
    monkeypatch.setattr(worker, "sync_state", lambda settings: replace(real(settings), online=False,
                                                                        central_outdated=True, pending=128))
    async with start_app(demo_school, "gate", size=(80, 24)) as (app, pilot):
        app.refresh_station_status()
        await settle(pilot)
        bar = app.screen.query_one(StatusBar)
        sync, clock_shown = bar.query_one("#status-sync"), bar.query_one("#status-clock")
        assert "kiosk central init" in str(sync.render())
        assert clock_shown.region.right <= 80 and sync.region.right <= clock_shown.region.x, (sync.region, clock_shown.region)


async def test_at_80_columns_the_offices_morning_alerts_keep_their_counts_in_english(demo_school):
    """Walk-through finding: the office's status bar at 80 columns in English read "Overdue: 3 · Verbal
    permissions t…": the verbal permissions waiting for confirmation lost their count."""
    from rich.cells import cell_len

    from kiosk.widgets.bars import StatusBar
    from tests.ui_helpers import login, settle, start_app

    demo_school.language = "en"
    async with start_app(demo_school, "office", size=(80, 24)) as (app, pilot):
        await login(pilot, "A001", "888888")
        await settle(pilot)
        alerts = app.screen.query_one(StatusBar).query_one("#status-alerts")
        text = app.station_status.alert_text
        assert "Overdue" in text and "onfirm" in text  # the demo has both
        assert alerts.region.width - 2 >= cell_len(text), text  # whole, less its padding
