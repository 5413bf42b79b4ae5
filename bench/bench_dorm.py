"""Dorm benchmark: tonight's headcount of a 600-bed building on a database with 5 years of history.

Figures:
- opening tonight's headcount (round view: roster + gate crossings + records + marks, reconciled), p50/p95,
  against raw sqlite3 running just the two queries any implementation needs (roster, latest crossing per boarder);
- the keys a supervisor presses to complete the building when 95% of rooms are complete, driven through the
  real station UI (Pilot), against ticking every student one by one; and the wall time that took.

History is bulk-generated straight into the bench's own temporary database (raw executemany, not the write
path: it is fixture data, not facts): nightly rounds with room confirmations, and ~2 slips a month per boarder
with exit and return crossings.
"""
from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.common import Result, median, percentile, timings_ms

ROOMS = 100
BEDS = 6
YEARS = 5
ZONE = ZoneInfo("Asia/Shanghai")
TONIGHT = datetime(2026, 11, 18, 13, 30, tzinfo=timezone.utc)  # Wed 21:30 Shanghai
INCOMPLETE_ROOMS = 5  # 95% of 100 rooms complete


def _stamp(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def build_database(path: Path, seed: int = 5) -> dict:
    """Schema through the migrations, then school, one 600-bed building, staff and 5 years of history."""
    from kiosk.config import Settings
    from kiosk.db import close_database, open_database
    from kiosk.ids import new_id
    from kiosk.services.auth import hash_pin

    settings = Settings()
    settings.database.path = str(path)
    open_database(path)
    close_database()
    rng = random.Random(seed)
    con = sqlite3.connect(str(path))
    con.execute("PRAGMA journal_mode=wal")
    con.execute("PRAGMA synchronous=off")
    now = _stamp(TONIGHT)
    building_id = new_id()
    with con:
        con.execute("INSERT INTO school VALUES (?, ?, ?)", ("demo", "示范寄宿学校", "Asia/Shanghai"))
        con.execute("INSERT INTO building VALUES (?, ?, ?, ?)", (building_id, "demo", "男生1号楼", "M"))
        rooms, students = [], []
        for r in range(ROOMS):
            room_id = new_id()
            rooms.append((room_id, "demo", building_id, f"{r // 20 + 1}{r % 20 + 1:02d}", BEDS))
            for bed in range(1, BEDS + 1):
                n = r * BEDS + bed
                students.append((new_id(), "demo", f"2025{n:04d}", f"学生{n:04d}", "", "M", "高一", f"高一({r % 8 + 1})班",
                                 1, room_id, bed, "", "", 1, now))
        con.executemany("INSERT INTO room VALUES (?, ?, ?, ?, ?)", rooms)
        con.executemany("INSERT INTO student VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", students)
        staff_id = new_id()
        con.execute("INSERT INTO staff VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (staff_id, "demo", "D001", "宿管甲", "", "dorm_supervisor", "", "", "", hash_pin("222222", n=2**10),
                     1, now))
        # Gate history: each boarder leaves on a slip about twice a month and comes back two days later.
        crossings = []
        start = TONIGHT - timedelta(days=365 * YEARS)
        for sid, *_ in students:
            at = start + timedelta(hours=rng.randrange(0, 24 * 14))
            while at < TONIGHT - timedelta(days=3):
                slip = new_id()
                back = at + timedelta(hours=rng.randrange(30, 60))
                crossings.append((new_id(), "demo", "st-gate", staff_id, _stamp(at), sid, "exit", "slip", slip, None,
                                  _stamp(at), _stamp(at + timedelta(days=2)), ""))
                crossings.append((new_id(), "demo", "st-gate", staff_id, _stamp(back), sid, "return", "slip", slip, None,
                                  _stamp(back), None, ""))
                at = back + timedelta(hours=rng.randrange(24 * 7, 24 * 21))
        # Tonight: 12 boarders are out on a slip (their rooms are still complete: they are not expected).
        for sid, *_ in rng.sample(students, 12):
            at = TONIGHT - timedelta(hours=rng.randrange(2, 30))
            crossings.append((new_id(), "demo", "st-gate", staff_id, _stamp(at), sid, "exit", "slip", new_id(), None,
                              _stamp(at), _stamp(TONIGHT + timedelta(days=1)), ""))
        con.executemany("INSERT INTO gate_crossing VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", crossings)
        # Headcount history: one submitted round a night, one room confirmation per room.
        rounds, confirms = [], []
        by_room: dict[str, list[str]] = {}
        for sid, *rest in students:
            by_room.setdefault(rest[8], []).append(sid)
        night = (TONIGHT - timedelta(days=365 * YEARS)).astimezone(ZONE).date()
        last = TONIGHT.astimezone(ZONE).date()
        while night < last:
            at = datetime(night.year, night.month, night.day, 21, 40, tzinfo=ZONE)
            round_id = new_id()
            summary = {"totals": {"expected": 600, "present": 600, "guests": 0, "disagreements": 0,
                                  "absent": {"on_leave": 0, "sick_bay": 0, "with_parent": 0, "other": 0, "unknown": 0}}}
            rounds.append((round_id, "demo", "st-dorm", staff_id, _stamp(at), building_id, night.isoformat(), 1,
                           _stamp(at), _stamp(at + timedelta(minutes=10)), staff_id, "宿管甲", json.dumps(summary), "0" * 64))
            for room_id, *_ in rooms:
                confirms.append((new_id(), "demo", "st-dorm", staff_id, _stamp(at), round_id, room_id, "all",
                                 json.dumps(by_room[room_id]), None, BEDS))
            night += timedelta(days=1)
        con.executemany("INSERT INTO headcount_round VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rounds)
        con.executemany("INSERT INTO room_confirm VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", confirms)
    con.execute("ANALYZE")
    con.close()
    return {"settings": settings, "building_id": building_id, "crossings": len(crossings), "rounds": len(rounds),
            "confirms": len(confirms)}


_RAW_ROSTER = """SELECT s.id, s.number, s.name, s.room_id FROM student s JOIN room r ON r.id = s.room_id
WHERE r.building_id = ? AND s.active = 1 AND s.boarder = 1"""
_RAW_LATEST = """SELECT s.id, (SELECT c.direction FROM gate_crossing c WHERE c.student_id = s.id AND c.at <= ?
ORDER BY c.at DESC LIMIT 1) FROM student s JOIN room r ON r.id = s.room_id WHERE r.building_id = ?"""


def measure_open(path: Path, info: dict) -> list[Result]:
    from kiosk import clock
    from kiosk.db import close_database, open_database
    from kiosk.models import Staff
    from kiosk.services import headcount as hc
    from kiosk.services.actor import Actor

    open_database(path)
    clock.freeze(TONIGHT)
    try:
        staff = Staff.get(Staff.number == "D001")
        actor = Actor("demo", "st-dorm", staff.id, staff.number, staff.name, staff.role_set())
        start = time.perf_counter()
        view = hc.open_headcount(actor, info["building_id"], ZONE)
        first_ms = (time.perf_counter() - start) * 1000
        assert view.totals.residents == ROOMS * BEDS and view.totals.expected == ROOMS * BEDS - 12
        samples = timings_ms(lambda: hc.open_headcount(actor, info["building_id"], ZONE), repeat=15)
        room_samples = timings_ms(lambda: hc.room_result(view.round_id, view.rooms[0].room_id), repeat=30)
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
    history = f"{info['rounds']} nights, {info['confirms']} room confirmations, {info['crossings']} gate crossings"
    return [
        Result(f"open tonight's headcount, 600 beds, first open ({history})", first_ms, "ms",
               "raw sqlite3 roster + latest crossing p50", raw_p50, "< 500 ms"),
        Result("open tonight's headcount, 600 beds, p50", median(samples), "ms",
               "raw sqlite3 roster + latest crossing p50", raw_p50, "< 300 ms"),
        Result("open tonight's headcount, 600 beds, p95", percentile(samples, 95), "ms",
               "raw sqlite3 roster + latest crossing p50", raw_p50, "< 500 ms"),
        Result("one room's refresh after a key, p50", median(room_samples), "ms", "", None, "< 30 ms"),
    ]


async def _drive(settings, building_id: str) -> tuple[int, float, int]:
    """Complete the building through the real screen: Enter for complete rooms, a count + the missing
    student + a reason for the others, then F10 + PIN to submit. Returns (keys, seconds, rooms done)."""
    from textual.worker import WorkerCancelled

    from kiosk.app import KioskApp
    from kiosk.screens.dorm import HeadcountScreen

    settings.station.kind = "dorm"
    settings.station.building = "男生1号楼"
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
        incomplete = set(range(0, rooms, rooms // INCOMPLETE_ROOMS))
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
        keys, seconds, done = asyncio.run(_drive(info["settings"], info["building_id"]))
    finally:
        clock.freeze(None)
        close_database()
    tick_everyone = ROOMS * BEDS + ROOMS  # a key per student, plus moving to each room
    return [
        Result(f"keys to complete a 600-bed building, 95% rooms complete (rooms done {done})", keys, "keys",
               "ticking every student", tick_everyone, "<= 1 key per complete room"),
        Result("station time for those keys (no human think time)", seconds, "s", "", None, "a few minutes of keyboard"),
    ]


def run(workdir: Path) -> list[Result]:
    path = Path(workdir) / "bench_dorm.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    start = time.perf_counter()
    info = build_database(path)
    built = time.perf_counter() - start
    results = [Result("bulk-generate 5 years of dorm + gate history", built, "s")]
    results += measure_open(path, info)
    results += measure_keys(path, info)
    return results


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for result in run(Path(tmp)):
            ratio = f"  x{result.ratio:.1f} vs {result.baseline_name}" if result.ratio else ""
            print(f"{result.figure}: {result.value:.1f} {result.unit}{ratio}  (aim {result.aim})")
