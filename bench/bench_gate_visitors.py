"""Gate visitors: registering a repeat visitor on the 5-year database (service time, no terminal).

Measured: the returning-visitor lookup by ID number (what a scan triggers) and the whole registration
(validate, watchlist check, one transaction with visit + outbox + hash-chained audit entry), on
bench/dataset.py's five_year_school: the demo school at ~5,000 students with 5 years of visits (parents,
couriers and contractors who come back; those older than the 180-day retention anonymised), so the
indexes matter. The repeat visitor is the most frequent one still on record.
Baseline in the same run: a raw sqlite3 INSERT of the same visit row and its commit, same pragmas
(synchronous=FULL), i.e. the floor any registration pays for durability.
"""
from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from bench import dataset
from bench.common import Result, median, percentile, timings_ms

USES_DATASET = True
NOW = dataset.NOW  # Wednesday 10:00 in Shanghai


def frequent_visitor(database: Path) -> tuple[str, int]:
    """(ID number, visits) of the visitor who came most often and whose data the retention purge has kept."""
    con = sqlite3.connect(str(database))
    try:
        return con.execute("""SELECT id_number, COUNT(*) FROM visit WHERE purged_at IS NULL AND id_number != ''
            GROUP BY id_number ORDER BY COUNT(*) DESC, id_number LIMIT 1""").fetchone()
    finally:
        con.close()


def run(workdir: Path, quick: bool = False) -> list[Result]:
    from kiosk import clock
    from kiosk.config import Settings
    from kiosk.db import PRAGMAS, close_database, open_database
    from kiosk.models import Staff, Student
    from kiosk.services.actor import Actor
    from kiosk.services.visitor_rules import HostRef, VisitForm
    from kiosk.services.visitors import register_visit, returning_visitor, sign_out

    import os

    source = dataset.five_year_school(years=1, scale="small") if quick else dataset.five_year_school()
    info = dataset.describe(source)
    path = dataset.copy_to(source, workdir, "gate-bench.sqlite3")
    repeat_id, repeat_visits = frequent_visitor(path)
    # Registering writes files (labels) under the data dir: keep them in workdir.
    old_data_home = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = str(workdir / "gate-data")
    settings = Settings()
    settings.database.path = str(path)
    open_database(settings.database_path())
    clock.freeze(NOW)
    try:
        keeper = Staff.get(Staff.number == "G001")
        actor = Actor(school_id=settings.school.id, station_id="st-bench", staff_id=keeper.id,
                      staff_number=keeper.number, staff_name=keeper.name, roles=keeper.role_set())
        rng = random.Random(3)
        student = Student.select().first()
        host = HostRef("student", student.id, student.name)
        form = VisitForm(id_type="resident", id_number=repeat_id, name="访客", phone="13800000000", category="parent",
                         reason="看望孩子", host=host)
        lookups = timings_ms(lambda: returning_visitor(settings.school.id, repeat_id), 200 if not quick else 50)

        on_site: list[str] = []

        def register() -> None:
            prefill = returning_visitor(settings.school.id, repeat_id)
            assert prefill is not None
            result = register_visit(actor, form, settings)
            assert result.status == "admitted", result
            on_site.append(result.visit.id)

        def leave() -> None:  # the visitor left after the last visit: one person is never on site twice
            while on_site:
                sign_out(actor, on_site.pop())

        registrations = timings_ms(register, 200 if not quick else 30, setup=leave)
    finally:
        clock.freeze(None)
        close_database()
        if old_data_home is None:
            os.environ.pop("XDG_DATA_HOME", None)
        else:
            os.environ["XDG_DATA_HOME"] = old_data_home

    with sqlite3.connect(str(path)) as con:  # the row the baseline inserts: the latest visit, as stored
        template = list(con.execute("SELECT * FROM visit ORDER BY time_in DESC LIMIT 1").fetchone())
    raw = sqlite3.connect(str(workdir / "gate-raw.sqlite3"), isolation_level=None)
    try:
        for name, value in PRAGMAS.items():
            raw.execute(f"PRAGMA {name}={value}")
        raw.execute("DROP TABLE IF EXISTS visit")
        raw.execute("CREATE TABLE visit (" + ",".join(f"c{i}" for i in range(len(template))) + ")")

        def raw_insert() -> None:
            template[0] = str(rng.random())
            raw.execute("BEGIN IMMEDIATE")
            raw.execute("INSERT INTO visit VALUES (" + ",".join("?" * len(template)) + ")", template)
            raw.execute("COMMIT")

        baseline = timings_ms(raw_insert, 200 if not quick else 30)
    finally:
        raw.close()

    return [
        Result(f"gate: returning visitor lookup p50 ({dataset.label(info)}, {info['visit'] / 1000:.0f}k visits; "
               f"{repeat_visits} by this visitor)", median(lookups), "ms", aim="< 5 ms"),
        Result(f"gate: register a repeat visitor p50 (lookup + save), {dataset.label(info)}", median(registrations), "ms",
               "raw sqlite3 insert + commit p50", median(baseline), "< 50 ms"),
        Result(f"gate: register a repeat visitor p99, {dataset.label(info)}", percentile(registrations, 99), "ms",
               "raw sqlite3 insert + commit p99", percentile(baseline, 99), "< 100 ms"),
    ]
