"""KioskApp: one station full-screen. Login, home, idle lock, quit guard, language switch, status bar.

Nothing leaves the app without an admin PIN: Textual's default bindings are not inherited,
ctrl+q and ctrl+c both go to the guard, and the command palette is off.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
from pathlib import Path
import time
from dataclasses import dataclass

from textual import events, work
from textual.app import App
from textual.binding import Binding

from kiosk import clock, features, i18n, logs
from kiosk.config import Settings
from kiosk.context import KioskContext
from kiosk.db import ensure_station_identity
from kiosk.i18n import t
from kiosk.screens.base import KioskScreen
from kiosk.screens.dialogs import HelpScreen, PinDialog
from kiosk.screens.home import HomeScreen
from kiosk.screens.login import LoginScreen
from kiosk.services.actor import Actor
from kiosk.services.auth import StaffSession
from kiosk.services.facts import audit_only
from kiosk.terminal_watch import terminal_gone
from kiosk.widgets.bars import WIDE_CONSOLE, StatusBar
from kiosk.widgets.message_line import MessageLine
from kiosk.widgets.system_error import SystemErrorBanner

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StationStatus:
    sync_text: str
    alert_text: str = ""


def gather_status(ctx: KioskContext) -> StationStatus:
    """Sync state and alerts from every feature that reports some (runs in a worker thread)."""
    sync_text = t("core.sync_local_only")
    alerts: list[str] = []
    for feature in features.loaded():
        if feature.sync_status is not None:
            sync_text = feature.sync_status(ctx) or sync_text
        if feature.status_alerts is not None:
            alerts.extend(feature.status_alerts(ctx))
    return StationStatus(sync_text, " · ".join(alerts))


class KioskApp(App, inherit_bindings=False):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses elsewhere (bench, tests) find it
    ENABLE_COMMAND_PALETTE = False
    STATUS_SECONDS = 5.0
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE_CONSOLE, "-wide")]  # screens get the class for their width
    LOST_TERMINAL_GRACE_SECONDS = 5.0  # then a station whose terminal is gone ends even if shutdown hangs

    BINDINGS = [
        Binding("ctrl+q", "quit", "core.key_quit", priority=True),
        Binding("ctrl+c", "quit", show=False, priority=True),
        Binding("f1", "help", "core.key_help", priority=True),
        Binding("f9", "toggle_language", "core.key_language", priority=True),
        Binding("ctrl+l", "lock", "core.key_lock", priority=True),
    ]

    def __init__(self, settings: Settings, *, station_id: str | None = None) -> None:
        super().__init__()
        i18n.set_language(settings.language)
        logs.configure()
        self.ctx = KioskContext(settings=settings, station_id=station_id or ensure_station_identity())
        self.station_status = StationStatus(t("core.sync_local_only"))
        self.last_activity = time.monotonic()
        self._quit_dialog_open = False
        self._lost_terminal = False
        self.title = t("core.app_title")

    def get_default_screen(self) -> LoginScreen:
        return LoginScreen()

    def on_mount(self) -> None:
        # The terminal went away (tmux closed, SSH dropped, console gone): nobody can use this
        # station any more, so end cleanly and let the service manager start a fresh one.
        # Without this the app keeps running, and spinning, with no terminal.
        try:
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self.exit_for_lost_terminal)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread (tests) or no SIGHUP
            pass
        # ...and when the SIGHUP never comes (see kiosk.terminal_watch), notice the hang-up ourselves.
        if not self.is_headless and sys.__stdin__ is not None and sys.__stdin__.isatty():
            self.set_interval(1.0, self.exit_if_terminal_gone)
        for feature in features.loaded():
            if feature.on_app_start is not None:
                feature.on_app_start(self.ctx)
        self.set_interval(5.0, self.lock_if_idle)
        self.set_interval(self.STATUS_SECONDS, self.refresh_station_status)
        self.set_interval(15 * 60, self.run_daily_jobs)
        self.refresh_station_status()
        self.run_daily_jobs()

    def exit_if_terminal_gone(self) -> None:
        if terminal_gone(sys.__stdin__.fileno()):
            self.exit_for_lost_terminal()

    def exit_for_lost_terminal(self) -> None:
        """End the station because nobody can see it. Textual's shutdown can hang on a terminal that is gone
        (seen: its output thread and the closing main thread each waiting on the other's queue), which would
        leave a process systemd never restarts; so if the clean exit has not finished in a few seconds, the
        process ends anyway. Every saved record is already committed (SQLite, synchronous=FULL)."""
        if self._lost_terminal:
            return
        self._lost_terminal = True
        log.warning("the terminal went away; the station exits")
        threading.Thread(target=self._exit_hard_later, name="kiosk-exit-guard", daemon=True).start()
        self.exit()

    def _exit_hard_later(self) -> None:
        time.sleep(self.LOST_TERMINAL_GRACE_SECONDS)
        logging.shutdown()
        os._exit(0)

    def on_unmount(self) -> None:
        for feature in features.loaded():
            if feature.on_app_stop is not None:
                feature.on_app_stop(self.ctx)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown)):
            self.last_activity = time.monotonic()
        await super().on_event(event)

    # -- session -----------------------------------------------------------------------------------
    def start_session(self, session: StaffSession) -> None:
        self.ctx.session = session
        self.last_activity = time.monotonic()
        self.push_screen(HomeScreen())

    def hand_over_session(self, session: StaffSession) -> None:
        """Shift handover: the incoming staff member (PIN already confirmed) takes the open session."""
        self.ctx.session = session
        self.last_activity = time.monotonic()
        for screen in self.screen_stack:
            if isinstance(screen, KioskScreen):
                screen.refresh_bars()

    def lock(self, message_key: str) -> None:
        """Back to the login screen: every screen above it (with any unsaved input) is discarded."""
        if self.ctx.session is not None:
            audit_only(self.ctx.actor(), "auth.lock", detail={"reason": message_key})
        self.ctx.session = None
        while len(self.screen_stack) > 1:
            self.pop_screen()
        login = self.screen_stack[0]
        if isinstance(login, LoginScreen):
            login.reset(message_key)
            login.refresh_bars()

    def action_lock(self) -> None:
        if self.ctx.session is not None:
            self.lock("core.locked_manual")

    def lock_if_idle(self) -> None:
        idle_limit = self.ctx.settings.security.idle_lock_minutes * 60
        if self.ctx.session is not None and time.monotonic() - self.last_activity >= idle_limit:
            self.lock("core.locked_idle")

    # -- quit guard --------------------------------------------------------------------------------
    async def action_quit(self) -> None:
        if self._quit_dialog_open:
            return
        self._quit_dialog_open = True

        def done(session: StaffSession | None) -> None:
            self._quit_dialog_open = False
            if session is None:
                self.notify(t("core.quit_denied"), severity="warning")
                return
            admin = Actor(school_id=self.ctx.school_id, station_id=self.ctx.station_id, staff_id=session.staff_id,
                          staff_number=session.number, staff_name=session.name, roles=session.roles)
            audit_only(admin, "app.quit")
            self.exit()

        self.push_screen(PinDialog("core.quit_title", admin_only=True, prompt_key="core.quit_prompt"), done)

    # -- help and language ---------------------------------------------------------------------------
    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        screen = self.screen

        def content() -> tuple[str, list[tuple[str, str]], list[tuple[str, str]]]:
            """The keys in the language of the moment: F9 with the help open asks again."""
            own = screen.key_help() if hasattr(screen, "key_help") else []
            global_keys = [(self.get_key_display(b), t(b.description)) for b in self.BINDINGS if b.description]
            own = [item for item in own if item[1] not in {label for _, label in global_keys}]
            name = t(getattr(screen, "TITLE_KEY", "core.app_title"), station="", screen="").strip(" ·")
            return name, own, global_keys

        self.push_screen(HelpScreen(content))

    def action_toggle_language(self) -> None:
        i18n.set_language("en" if i18n.language() == "zh-CN" else "zh-CN")
        self.title = t("core.app_title")
        self.refresh_all_text()
        self.refresh_station_status()  # alerts are gathered translated: fetch them again now, not in 5 s
        # Said on the screen's message line (a toast would cover the key bar), unless that line holds
        # something the person still has to read.
        lines = self.screen.query(MessageLine)
        if lines and not lines.first().text:
            lines.first().show("core.language_switched", level="info")

    def refresh_all_text(self) -> None:
        """Re-render every text of every screen on the stack, dialogs included: widgets that keep their
        message untranslated first, then each screen's own texts (tables, placeholders), then the bars."""
        for screen in self.screen_stack:
            for widget in screen.walk_children(with_self=False):
                refresh = getattr(widget, "refresh_text", None)
                if refresh is not None:
                    refresh()
            if hasattr(screen, "refresh_text"):
                screen.refresh_text()
            if isinstance(screen, KioskScreen):
                screen.refresh_bars()

    # -- the one handler for faults of the program -------------------------------------------------
    def report_system_error(self, error: BaseException | None, action: str, screen=None, *,
                            action_done: bool = False) -> None:
        """A service or a screen failed in a way the person cannot fix. Log it with its traceback, and say on
        the screen, in red, that the action did NOT happen (or, `action_done`, that it happened but its result
        could not be shown) and what to do. The station keeps working."""
        log.error("system error in %s", action, exc_info=error)
        key = "core.system_error_after_save" if action_done else "core.system_error"
        message = i18n.Msg(key, time=clock.to_school(clock.now(), self.ctx.zone).strftime("%H:%M:%S"),
                           log=str(logs.log_path()))
        target = screen if screen is not None and screen.is_attached else self.screen
        banners = target.query(SystemErrorBanner)
        if banners:
            banners.first().show(message)
        else:
            self.notify(str(message), severity="error", timeout=30)

    @work(thread=True, exclusive=True, exit_on_error=False, group="daily")
    def run_daily_jobs(self) -> None:
        from kiosk import clock
        from kiosk.services.jobs import run_daily_jobs_if_due

        try:
            run_daily_jobs_if_due(self.ctx.settings, clock.now())
        except Exception:  # logged; retried at the next check
            log.exception("daily jobs failed")

    # -- status bar ------------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="status")
    def refresh_station_status(self) -> None:
        try:
            status = gather_status(self.ctx)
        except Exception:  # a broken status source must never take the station down
            log.exception("status refresh failed")
            return
        self.call_from_thread(self._show_status, status)

    def _show_status(self, status: StationStatus) -> None:
        self.station_status = status
        for bar in self.screen.query(StatusBar):
            bar.refresh_status()
