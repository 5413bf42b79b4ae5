"""Dorm benchmark: tonight's headcount of a ~600-bed building on the 5-year database.

Figures:
- opening tonight's headcount (round view: roster + gate crossings + records + marks, reconciled), p50/p95,
  against raw sqlite3 running just the two queries any implementation needs (roster, latest crossing per boarder);
- the keys a supervisor presses to complete the building when 95% of rooms are complete, driven through the
  real station UI (Pilot), against ticking every student one by one; and the wall time that took.

The database is bench/dataset.py's five_year_school (the demo school at ~5,000 students, 4 buildings of
~600 beds, with 5 years of submitted rounds, room confirmations and gate crossings); the building is the
one closest to 600 beds. Each run works on its own copy (opening a round writes).
"""
from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from bench import dataset
from bench.common import Result, median, percentile, timings_ms

USES_DATASET = True
ZONE = ZoneInfo("Asia/Shanghai")
TONIGHT = datetime(2026, 11, 18, 13, 30, tzinfo=timezone.utc)  # Wed 21:30 Shanghai, the dataset's day
INCOMPLETE_ROOMS = 5  # 95% of 100 rooms complete


def _stamp(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def prepare(workdir: Path, *, quick: bool = False) -> tuple[Path, dict]:
    """A private copy of the 5-year database, and what the benchmark needs to know about it."""
    from kiosk.config import Settings

    source = dataset.five_year_school(years=1, scale="small") if quick else dataset.five_year_school()
    info = dataset.describe(source)
    path = dataset.copy_to(source, workdir, "bench_dorm.sqlite3")
    building = dataset.headcount_building(info)
    settings = Settings()
    settings.database.path = str(path)
    return path, {"settings": settings, "building_id": building["id"], "building_name": building["name"],
                  "beds": building["beds"], "residents": building["residents"], "rooms": building["rooms"],
                  "crossings": info["gate_crossing"], "nights": info["headcount_nights"],
                  "confirms": info["room_confirm"], "label": dataset.label(info)}


_RAW_ROSTER = """SELECT s.id, s.number, s.name, s.room_id FROM student s JOIN room r ON r.id = s.room_id
WHERE r.building_id = ? AND s.active = 1 AND s.boarder = 1"""
_RAW_LATEST = """SELECT s.id, (SELECT c.direction FROM gate_crossing c WHERE c.student_id = s.id AND c.at <= ?
ORDER BY c.at DESC LIMIT 1) FROM student s JOIN room r ON r.id = s.room_id WHERE r.building_id = ?"""


def measure_open(path: Path, info: dict) -> list[Result]:
    from kiosk import clock
    from kiosk.db import close_database, open_database
    from kiosk.models import Staff
    from kiosk.services import headcount_counting, headcount_rounds
    from kiosk.services.actor import Actor

    open_database(path)
    clock.freeze(TONIGHT)
    try:
        staff = Staff.get(Staff.number == "D001")
        actor = Actor("demo", "st-dorm", staff.id, staff.number, staff.name, staff.role_set())
        start = time.perf_counter()
        view = headcount_rounds.open_headcount(actor, info["building_id"], ZONE)
        first_ms = (time.perf_counter() - start) * 1000
        assert view.totals.residents == info["residents"] and 0 < view.totals.expected <= info["residents"], view.totals
        samples = timings_ms(lambda: headcount_rounds.open_headcount(actor, info["building_id"], ZONE), repeat=15)
        room_samples = timings_ms(lambda: headcount_counting.room_result(view.round_id, view.rooms[0].room_id), repeat=30)
    finally:
        clock.freeze(None)
        close_database()
    con = sqlite3.connect(str(path))
    stamp = _stamp(TONIGHT)

    def raw() -> None:
        con.execute(_RAW_ROSTER, (info["building_id"],)).fetchall()
        con.execute(_RAW_LATEST, (stamp, info["building_id"])).fetchall()

    raw_samples = timings_ms(raw, repeat=15)
    con.close()
    raw_p50 = median(raw_samples)
    beds = f"{info['beds']} beds ({info['residents']} residents), {info['label']}"
    return [
        Result(f"open tonight's headcount, {beds}, first open", first_ms, "ms",
               "raw sqlite3 roster + latest crossing p50", raw_p50, "< 500 ms"),
        Result(f"open tonight's headcount, {beds}, p50", median(samples), "ms",
               "raw sqlite3 roster + latest crossing p50", raw_p50, "< 300 ms"),
        Result(f"open tonight's headcount, {beds}, p95", percentile(samples, 95), "ms",
               "raw sqlite3 roster + latest crossing p50", raw_p50, "< 500 ms"),
        Result("one room's refresh after a key, p50", median(room_samples), "ms", "", None, "< 30 ms"),
    ]


async def _drive(settings, building_name: str) -> tuple[int, float, int]:
    """Complete the building through the real screen: Enter for complete rooms, a count + the missing
    student + a reason for the others, then F10 + PIN to submit. Returns (keys, seconds, rooms done)."""
    from textual.worker import WorkerCancelled

    from kiosk.app import KioskApp
    from kiosk.screens.dorm import HeadcountScreen

    settings.station.kind = "dorm"
    settings.station.building = building_name
    app = KioskApp(settings)
    keys = 0

    async def settle(pilot) -> None:
        await pilot.pause()
        for worker in [w for w in app.workers if not w.group.endswith("-ask")]:
            try:
                await worker.wait()
            except WorkerCancelled:
                pass
        await pilot.pause()

    async def press(pilot, *names: str) -> None:
        nonlocal keys
        for name in names:
            await pilot.press(name)
            keys += 1

    async with app.run_test(size=(110, 36)) as pilot:
        await pilot.pause()
        app.screen.query_one("#login-staff").value = "D001"
        app.screen.query_one("#login-pin").focus()
        await pilot.press(*"222222", "enter")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HeadcountScreen)
        rooms = len(screen.view.rooms)
        incomplete = set(range(0, rooms, max(1, rooms // INCOMPLETE_ROOMS)))
        started = time.perf_counter()
        for index in range(rooms):
            room = screen.view.rooms[index]
            if index in incomplete and room.expected_count:
                await press(pilot, *str(room.expected_count - 1), "enter")
                await settle(pilot)
                await press(pilot, "space", "enter")  # the first student is the missing one
                await pilot.pause()
                await press(pilot, "2")  # sick bay
                await settle(pilot)
            else:
                await press(pilot, "enter")
                await settle(pilot)
        await press(pilot, "f10", *"222222", "enter")
        await settle(pilot)
        seconds = time.perf_counter() - started
        done = screen.view.totals.rooms_done if screen.view.submitted else -1
    return keys, seconds, done


def measure_keys(path: Path, info: dict) -> list[Result]:
    from kiosk import clock
    from kiosk.db import close_database

    clock.freeze(TONIGHT)
    try:
        keys, seconds, done = asyncio.run(_drive(info["settings"], info["building_name"]))
    finally:
        clock.freeze(None)
        close_database()
    tick_everyone = info["residents"] + info["rooms"]  # a key per student, plus moving to each room
    return [
        Result(f"keys to complete a {info['beds']}-bed building, 95% rooms complete (rooms done {done})", keys, "keys",
               "ticking every student", tick_everyone, "<= 1 key per complete room"),
        Result("station time for those keys (no human think time)", seconds, "s", "", None, "a few minutes of keyboard"),
    ]


def run(workdir: Path, quick: bool = False) -> list[Result]:
    path, info = prepare(Path(workdir), quick=quick)
    results = measure_open(path, info)
    results += measure_keys(path, info)
    return results


if __name__ == "__main__":
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for result in run(Path(tmp), quick="--quick" in sys.argv):
            ratio = f"  x{result.ratio:.1f} vs {result.baseline_name}" if result.ratio else ""
            print(f"{result.figure}: {result.value:.1f} {result.unit}{ratio}  (aim {result.aim})")
