"""Helpers for Pilot tests: start a station app on the test database and log in."""
from __future__ import annotations

from contextlib import asynccontextmanager

from textual.widgets import Input

from kiosk.app import KioskApp
from kiosk.config import Settings

SIZE = (110, 36)


@asynccontextmanager
async def start_app(settings: Settings, station: str = "gate", size: tuple[int, int] = SIZE):
    settings.station.kind = station
    app = KioskApp(settings)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        yield app, pilot


async def type_text(pilot, text: str) -> None:
    for char in text:
        await pilot.press(char)


async def login(pilot, number: str, pin: str) -> None:
    """Type staff number + PIN on the login screen and wait until the attempt is done."""
    app = pilot.app
    app.screen.query_one("#login-staff", Input).value = number
    app.screen.query_one("#login-pin", Input).focus()
    await type_text(pilot, pin)
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()


async def settle(pilot) -> None:
    """Wait until every worker (status bar refresh, searches, saves) is done and the screen is redrawn."""
    await pilot.pause()  # let a key's handler start its worker first
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_from_home(pilot, number: str, pin: str, key: str, screen_class):
    """Log in as staff `number` and open a home-menu entry by its key; the screen, checked to be `screen_class`."""
    await login(pilot, number, pin)
    await pilot.press(key)
    await settle(pilot)
    assert isinstance(pilot.app.screen, screen_class)
    return pilot.app.screen
