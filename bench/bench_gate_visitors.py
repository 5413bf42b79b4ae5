"""Gate visitors: registering a repeat visitor on the demo database (service time, no terminal).

Measured: the returning-visitor lookup by ID number (what a scan triggers) and the whole registration
(validate, watchlist check, one transaction with visit + outbox + hash-chained audit entry), on the full
demo school after its week of history plus a year of visits (about 100 a day), so the indexes matter.
Baseline in the same run: a raw sqlite3 INSERT of the same visit row and its commit, same pragmas
(synchronous=FULL), i.e. the floor any registration pays for durability.
"""
from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.common import Result, median, percentile, timings_ms

NOW = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)  # Wednesday 10:00 in Shanghai
HISTORY_DAYS = 365
VISITS_PER_DAY = 100


def _history(rng: random.Random, school_id: str, station_id: str, staff_id: str) -> list[tuple]:
    """A year of already-signed-out visits, inserted in bulk (bench set-up only; the app never does this)."""
    from kiosk.features.gate import demo_id_number
    from kiosk.ids import new_id, short_code
    from kiosk.models.base import utc_text

    pool = [demo_id_number(rng) for _ in range(3000)]
    rows = []
    for day in range(HISTORY_DAYS, 0, -1):
        for n in range(VISITS_PER_DAY):
            time_in = NOW - timedelta(days=day, minutes=n * 5)
            visit_id = new_id()
            rows.append((visit_id, school_id, station_id, staff_id, utc_text(time_in), "admitted", "resident",
                         rng.choice(pool), "访客", "13800000000", "delivery", "", "送货", "staff", staff_id, "门卫",
                         0, "", "", "", utc_text(time_in), utc_text(time_in + timedelta(hours=1)),
                         utc_text(time_in + timedelta(minutes=30)), staff_id, station_id, 0, "", short_code(visit_id), None))
    return rows


def run(workdir: Path, quick: bool = False) -> list[Result]:
    from kiosk import clock
    from kiosk.config import Settings
    from kiosk.db import PRAGMAS, close_database, open_database
    from kiosk.models import Staff, Student, database_proxy
    from kiosk.services.actor import Actor
    from kiosk.services.demo import create_demo_school
    from kiosk.services.visitor_rules import HostRef, VisitForm
    from kiosk.services.visitors import register_visit, returning_visitor

    import os

    # The demo's other features write files (slip keys, labels) under the data dir: keep them in workdir.
    old_data_home = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = str(workdir / "gate-data")
    settings = Settings()
    settings.database.path = str(workdir / "gate-bench.sqlite3")
    Path(settings.database.path).unlink(missing_ok=True)
    db = open_database(settings.database_path())
    clock.freeze(NOW)
    try:
        create_demo_school(settings, scale="small" if quick else "full")
        keeper = Staff.get(Staff.number == "G001")
        actor = Actor(school_id=settings.school.id, station_id="st-bench", staff_id=keeper.id,
                      staff_number=keeper.number, staff_name=keeper.name, roles=keeper.role_set())
        rng = random.Random(3)
        rows = _history(rng, settings.school.id, "st-bench", keeper.id)
        if quick:
            rows = rows[: len(rows) // 10]
        columns = 29
        with database_proxy.atomic():
            for start in range(0, len(rows), 500):
                chunk = rows[start:start + 500]
                db.execute_sql("INSERT INTO visit VALUES " + ",".join(["(" + ",".join("?" * columns) + ")"] * len(chunk)),
                               [value for row in chunk for value in row])
        student = Student.select().first()
        repeat_id = rows[-1][7]
        host = HostRef("student", student.id, student.name)
        form = VisitForm(id_type="resident", id_number=repeat_id, name="访客", phone="13800000000", category="parent",
                         reason="看望孩子", host=host)
        lookups = timings_ms(lambda: returning_visitor(settings.school.id, repeat_id), 200 if not quick else 50)

        def register() -> None:
            prefill = returning_visitor(settings.school.id, repeat_id)
            assert prefill is not None
            result = register_visit(actor, form, settings)
            assert result.status == "admitted", result

        registrations = timings_ms(register, 200 if not quick else 30)
        visits = len(rows)
    finally:
        clock.freeze(None)
        close_database()
        if old_data_home is None:
            os.environ.pop("XDG_DATA_HOME", None)
        else:
            os.environ["XDG_DATA_HOME"] = old_data_home

    raw = sqlite3.connect(str(workdir / "gate-raw.sqlite3"), isolation_level=None)
    try:
        for name, value in PRAGMAS.items():
            raw.execute(f"PRAGMA {name}={value}")
        raw.execute("DROP TABLE IF EXISTS visit")
        raw.execute("CREATE TABLE visit (" + ",".join(f"c{i}" for i in range(29)) + ")")
        template = list(rows[-1])

        def raw_insert() -> None:
            template[0] = str(rng.random())
            raw.execute("BEGIN IMMEDIATE")
            raw.execute("INSERT INTO visit VALUES (" + ",".join("?" * 29) + ")", template)
            raw.execute("COMMIT")

        baseline = timings_ms(raw_insert, 200 if not quick else 30)
    finally:
        raw.close()

    return [
        Result("gate: visits in the register", visits, "rows", aim=">= 36,500 (a year)"),
        Result("gate: returning visitor lookup p50", median(lookups), "ms", aim="< 5 ms"),
        Result("gate: register a repeat visitor p50 (lookup + save)", median(registrations), "ms",
               "raw sqlite3 insert + commit p50", median(baseline), "< 50 ms"),
        Result("gate: register a repeat visitor p99", percentile(registrations, 99), "ms",
               "raw sqlite3 insert + commit p99", percentile(baseline, 99), "< 100 ms"),
    ]
