"""Gate visitors with the ID card reader: keys and station time to register a visitor, card against typing.

Driven through the real visitor form (headless Textual, Pilot) with the simulated reader on a pseudo-terminal at
the default poll interval (idcard.poll_ms), on a tiny school of its own. Keys are counted as pressed: every
character typed is one key (a Chinese name or reason typed with an input method costs several more, so the typing
figures are lower bounds). Time runs from the first key (or the card placed) to the "registered" message.

  new visitor, card:    card, phone, category, reason, host, Ctrl+S
  new visitor, typed:   ID number, Enter, name, Enter, then the same
  repeat visitor, card: card (the last visit is prefilled), Ctrl+S
"""
from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from bench.common import Result

CARD_ID = "110108198506121239"
REPEAT_ID = "41010219700203456X"


def make_school(settings) -> None:
    from kiosk import clock
    from kiosk.db import ensure_station_identity
    from kiosk.models import School, Staff, Student
    from kiosk.services.actor import Actor
    from kiosk.services.auth import hash_pin
    from kiosk.services.facts import record

    now = clock.now()
    system = Actor(school_id="demo", station_id=ensure_station_identity())
    with record(system, "bench.school") as w:
        w.insert(School(id="demo", name="测试学校", timezone="Asia/Shanghai"))
        w.insert(Staff(school_id="demo", number="G001", name="门卫甲", initials="mwj", roles="gatekeeper",
                       pin_hash=hash_pin("111111"), updated_at=now))
        w.insert(Student(school_id="demo", number="20260100", name="张华丽", initials="zhl", gender="F", grade="高一",
                         class_name="高一(1)班", boarder=False, guardian_name="张建国", guardian_phone="13812340000",
                         updated_at=now))


class Counter:
    def __init__(self, pilot) -> None:
        self.pilot = pilot
        self.keys = 0

    async def press(self, *keys: str) -> None:
        self.keys += len(keys)
        await self.pilot.press(*keys)

    async def type(self, text: str) -> None:
        for char in text:
            await self.press(char)


async def wait_until(pilot, condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("the form did not get there in time")
        await pilot.pause(0.01)


async def session(settings, sim) -> list[tuple[str, int, float]]:
    from textual.widgets import Input, Static

    from kiosk.app import KioskApp
    from kiosk.idcard.simulator import demo_cards
    from kiosk.services.visitors import onsite, sign_out

    cards = {card.key: card.text for card in demo_cards()}
    app = KioskApp(settings)
    figures = []
    async with app.run_test(size=(110, 36)) as pilot:
        await pilot.pause()
        app.screen.query_one("#login-staff", Input).value = "G001"
        app.screen.query_one("#login-pin", Input).focus()
        for char in "111111":
            await pilot.press(char)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.press("v")
        await pilot.pause()
        screen = app.screen

        def value(name: str) -> str:
            return screen.query_one(f"#f-{name}", Input).value

        def saved() -> bool:
            return "已登记" in str(screen.query_one("#reg-message", Static).render())

        async def rest_of_form(keys: Counter) -> None:
            await keys.type("13812345678")
            await keys.press("enter")  # to the category
            await keys.press("enter", "down", "enter", "tab", "tab")  # 家长, past the unit to the reason
            await keys.type("家长会")
            await keys.press("enter")
            await keys.type("zhl")
            await keys.press("enter")
            await wait_until(pilot, lambda: screen.query_one("#reg-hosts").has_class("-shown"))
            await keys.press("enter", "ctrl+s")
            await wait_until(pilot, saved)

        async def measure(label: str, steps) -> None:
            screen.query_one("#reg-message", Static).update("")
            keys = Counter(pilot)
            start = time.perf_counter()
            await steps(keys)
            figures.append((label, keys.keys, time.perf_counter() - start))
            sim.remove()
            await pilot.pause(0.3)

        async def new_with_card(keys: Counter) -> None:
            sim.place(cards["resident_valid"])
            await wait_until(pilot, lambda: value("name") == "李明远" and screen.query_one("#f-phone").has_focus)
            await rest_of_form(keys)

        async def new_typed(keys: Counter) -> None:
            await keys.type("11010519491231002X")
            await keys.press("enter")
            await wait_until(pilot, lambda: screen.query_one("#f-name").has_focus)
            await keys.type("王建国")
            await keys.press("enter")
            await rest_of_form(keys)

        async def repeat_with_card(keys: Counter) -> None:
            sim.place(cards["resident_valid"])  # registered by the first run: a returning visitor now
            await wait_until(pilot, lambda: value("reason") == "家长会")
            await keys.press("ctrl+s")
            await wait_until(pilot, saved)

        await measure("new visitor, card", new_with_card)
        await measure("new visitor, typed", new_typed)
        for visit in onsite(settings.school.id):  # the first visit is over: one person is never on site twice
            sign_out(app.ctx.actor(), visit.id)
        await measure("repeat visitor, card", repeat_with_card)
    return figures


def run(workdir: Path, quick: bool = False) -> list[Result]:
    from kiosk import clock
    from kiosk.config import Settings
    from kiosk.db import close_database, open_database
    from kiosk.idcard.simulator import SimulatedReader

    old_data_home = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = str(workdir / "idcard-data")
    settings = Settings()
    settings.database.path = str(workdir / "idcard-bench.sqlite3")
    settings.gate.visiting_hours = "00:00-23:59"  # the same figures at any hour of the run
    open_database(settings.database_path())
    try:
        make_school(settings)
        with SimulatedReader() as sim:
            settings.idcard.port = sim.port
            figures = asyncio.run(session(settings, sim))
    finally:
        clock.freeze(None)
        close_database()
        if old_data_home is None:
            os.environ.pop("XDG_DATA_HOME", None)
        else:
            os.environ["XDG_DATA_HOME"] = old_data_home
    by_label = {label: (keys, seconds) for label, keys, seconds in figures}
    typed_keys, typed_seconds = by_label["new visitor, typed"]
    results = []
    for label, (keys, seconds) in by_label.items():
        baseline = dict(baseline_name="new visitor, typed", baseline=typed_keys) if label != "new visitor, typed" else {}
        aim = "<= 10 keys" if label == "new visitor, card" else ("<= 3 keys" if label.startswith("repeat") else "")
        results.append(Result(f"idcard: {label}, keys", keys, "keys", aim=aim, **baseline))
        time_baseline = (dict(baseline_name="new visitor, typed", baseline=typed_seconds)
                         if label != "new visitor, typed" else {})
        results.append(Result(f"idcard: {label}, station time (headless, poll {settings.idcard.poll_ms} ms)",
                              seconds, "s", **time_baseline))
    return results
