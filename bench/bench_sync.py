"""Sync against the real PostgreSQL (127.0.0.1:5432, user postgres): push of 100k facts, pull of 100k rows,
beside raw psycopg2 `execute_values` into the same table shape in the same run; and the time from a fact
written at one station to its arrival at another with both stations' sync loops running (the app's worker
thread, and the CLI `kiosk sync` loop).

Each run creates its own database (kiosk_bench_<random>) and drops it at the end.
"""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

from bench.common import Result

ROWS = int(os.environ.get("KIOSK_BENCH_SYNC_ROWS", "100000"))
ADMIN = "postgresql://postgres@127.0.0.1:5432/{db}"
SCHOOL = "bench"
ROOT = Path(__file__).resolve().parents[1]
TABLE_SQL = ('CREATE TABLE IF NOT EXISTS "bench_event" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, '
             '"station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "student_id" VARCHAR(36) NOT NULL, '
             '"direction" VARCHAR(8) NOT NULL, "method" VARCHAR(8) NOT NULL, "note" VARCHAR(255) NOT NULL)')


def _register_bench_table() -> None:
    """bench_event is syncable for the benchmark only: central validates its rows like any model's."""
    import peewee

    from kiosk.models import database_proxy
    from kiosk.sync import policy

    class BenchEvent(peewee.Model):
        id = peewee.CharField(primary_key=True, max_length=36)
        school_id = peewee.CharField(max_length=40)
        station_id = peewee.CharField(max_length=40)
        staff_id = peewee.CharField(max_length=36, null=True)
        recorded_at = peewee.CharField()
        student_id = peewee.CharField(max_length=36)
        direction = peewee.CharField(max_length=8)
        method = peewee.CharField(max_length=8)
        note = peewee.CharField()

        class Meta:
            database = database_proxy
            table_name = "bench_event"

    policy.register(BenchEvent, policy.TablePolicy(insert=frozenset(policy.KINDS), read=frozenset(policy.KINDS)))


def _admin(sql: str) -> None:
    import psycopg2

    conn = psycopg2.connect(ADMIN.format(db="test"))
    conn.autocommit = True
    try:
        conn.cursor().execute(sql)
    finally:
        conn.close()


def _open_station(path: Path):
    from kiosk.db import open_database

    db = open_database(path)
    db.execute_sql(TABLE_SQL)
    return db


def _fill_outbox(db, count: int, station_id: str) -> None:
    """`count` gate-crossing-like facts, 20 per local transaction, as the write path leaves them."""
    from kiosk.ids import new_id

    now = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
    with db.atomic():
        for start in range(0, count, 5000):
            rows, outbox = [], []
            for i in range(start, min(count, start + 5000)):
                row_id = new_id()
                row = {"id": row_id, "school_id": SCHOOL, "station_id": station_id, "staff_id": "0190-staff",
                       "recorded_at": now, "student_id": "0190-student-%05d" % (i % 1200), "direction": "out",
                       "method": "scan", "note": ""}
                rows.append(tuple(row.values()))
                outbox.append(("bench_event", row_id, "insert", json.dumps(row, sort_keys=True), now, i // 20 + 1))
            db.cursor().executemany('INSERT INTO "bench_event" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', rows)
            db.cursor().executemany(
                'INSERT INTO "outbox" ("table_name", "row_id", "op", "payload", "created_at", "txn") VALUES (?, ?, ?, ?, ?, ?)', outbox)


def _raw_psycopg2_rate(url: str, count: int) -> float:
    """The baseline: psycopg2 execute_values of the same rows into a table shaped like `fact`, 2,000 per commit."""
    import psycopg2
    import psycopg2.extras

    conn = psycopg2.connect(url)
    cursor = conn.cursor()
    cursor.execute("CREATE TABLE raw_fact (LIKE fact INCLUDING ALL)")
    conn.commit()
    rows = []
    for i in range(count):
        row_id = "raw-%08d" % i
        payload = json.dumps({"id": row_id, "school_id": SCHOOL, "station_id": "raw", "staff_id": "0190-staff",
                              "recorded_at": "2026-11-21T10:00:00.000000Z", "student_id": "0190-student-%05d" % (i % 1200),
                              "direction": "out", "method": "scan", "note": ""})
        rows.append((SCHOOL, "raw", 1, i + 1, i // 20 + 1, "bench_event", row_id, "insert", payload, i + 1, False, i + 1))
    started = time.perf_counter()
    for start in range(0, count, 2000):
        psycopg2.extras.execute_values(
            cursor, "INSERT INTO raw_fact (school_id, station_id, epoch, seq, txn, table_name, row_id, op, payload, hlc, "
            "clock_suspect, server_seq) VALUES %s", rows[start:start + 2000], page_size=2000)
        conn.commit()
    elapsed = time.perf_counter() - started
    cursor.execute("DROP TABLE raw_fact")
    conn.commit()
    conn.close()
    return count / elapsed


LOOP_SCRIPT = """
import sys, time
sys.path.insert(0, {root!r})
from bench.bench_sync import _register_bench_table
_register_bench_table()  # bench_event is syncable here too, or the pulled rows are refused as an unknown table
from kiosk.config import Settings
from kiosk.db import open_database
from kiosk.sync import engine
from kiosk.sync.worker import SyncWorker
open_database({db!r})
settings = Settings()
settings.school.id = {school!r}
settings.sync.central_url = {url!r}
worker = SyncWorker(settings, config=engine.SyncConfig(school_id={school!r}, station_kind={kind!r}, central_url={url!r},
                                                     pull_tables=("bench_event",)))
worker.start()
print("started", flush=True)
sys.stdin.readline()
worker.stop()
"""


CLI_CONFIG = """[school]
id = "{school}"
[station]
kind = "{kind}"
[sync]
central_url = "{url}"
pull_tables = ["bench_event"]
"""


CLI_SCRIPT = """
import sys
sys.path.insert(0, {root!r})
from bench.bench_sync import _register_bench_table
_register_bench_table()  # as in LOOP_SCRIPT: bench_event is syncable in this station process too
from kiosk.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _start_loop(loop: str, workdir: Path, path: Path, school: str, url: str, kind: str) -> subprocess.Popen:
    """Station `path`'s sync loop in its own process: the app's worker thread, or the CLI `kiosk sync`."""
    if loop == "worker":
        script = LOOP_SCRIPT.format(root=str(ROOT), db=str(path), school=school, url=url, kind=kind)
        process = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert process.stdout.readline().strip() == "started"
        return process
    config = workdir / f"{path.stem}.toml"
    config.write_text(CLI_CONFIG.format(school=school, kind=kind, url=url), encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-c", CLI_SCRIPT.format(root=str(ROOT)), "sync", "--config", str(config),
                                "--db", str(path)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().startswith("pushed")  # its first round is done
    return process


def _latency(workdir: Path, url: str, loop: str = "worker", samples: int = 5) -> list[float]:
    """A fact written at station A (its loop running) until it is in station B's database (B's loop running)."""
    from kiosk.models import database_proxy
    from kiosk.services.actor import Actor
    from kiosk.services.facts import record

    school = f"{SCHOOL}-latency-{loop}"  # not the school holding the 100k rows, whose first pull would be timed too
    paths = {name: workdir / f"latency-{loop}-{name}.sqlite3" for name in ("a", "b")}
    for path in paths.values():
        _open_station(path).close()
    loops = [_start_loop(loop, workdir, paths[name], school, url, kind) for name, kind in (("a", "gate"), ("b", "dorm"))]
    results = []
    try:
        db_a = _open_station(paths["a"])
        from kiosk.db import ensure_station_identity
        import peewee

        class BenchEvent(peewee.Model):
            id = peewee.CharField(primary_key=True)
            school_id = peewee.CharField()
            station_id = peewee.CharField()
            staff_id = peewee.CharField(null=True)
            recorded_at = peewee.CharField()
            student_id = peewee.CharField()
            direction = peewee.CharField()
            method = peewee.CharField()
            note = peewee.CharField()

            class Meta:
                database = database_proxy
                table_name = "bench_event"

        actor = Actor(school_id=school, station_id=ensure_station_identity())
        reader = sqlite3.connect(str(paths["b"]))
        for _ in range(samples):
            from kiosk.ids import new_id

            row = BenchEvent(id=new_id(), school_id=school, station_id=actor.station_id, recorded_at="2026-11-21T10:00:00.000000Z",
                             student_id="s", direction="out", method="scan", note="latency")
            started = time.perf_counter()
            with record(actor, "bench.write") as w:
                w.insert(row)
            while not reader.execute("SELECT 1 FROM bench_event WHERE id = ?", (row.id,)).fetchone():
                if time.perf_counter() - started > 60:
                    break
                time.sleep(0.02)
            results.append(time.perf_counter() - started)
            time.sleep(0.5)
        reader.close()
        db_a.close()
    finally:
        for process in loops:
            if loop == "cli":
                process.terminate()  # the CLI loop runs until stopped, like Ctrl-C
            try:
                process.communicate("stop\n", timeout=30)
            except Exception:
                process.kill()
    return results


def run(workdir: Path) -> list[Result]:
    from kiosk.models import database_proxy
    from kiosk.sync import central, engine

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    name = "kiosk_bench_" + uuid.uuid4().hex[:8]
    _admin(f'CREATE DATABASE "{name}"')
    url = ADMIN.format(db=name)
    try:
        _register_bench_table()
        central.init(url)
        pg = central.connect(url)
        # Push: ROWS facts from one station's outbox, 2,000 per batch, each batch one transaction at central.
        push_db = _open_station(workdir / f"push-{name}.sqlite3")
        _fill_outbox(push_db, ROWS, engine.station_id())
        config = engine.SyncConfig(school_id=SCHOOL, station_kind="gate", central_url=url, batch_size=2000,
                                   page_size=5000, pull_tables=("bench_event",))
        started = time.perf_counter()
        pushed = engine.push(pg, config)
        push_seconds = time.perf_counter() - started
        assert pushed.accepted == ROWS, pushed
        push_db.close()
        raw_rate = _raw_psycopg2_rate(url, ROWS)

        # Pull: a fresh station takes the ROWS rows (pages of 5,000, each applied in one local transaction).
        pull_db = _open_station(workdir / f"pull-{name}.sqlite3")
        started = time.perf_counter()
        pulled = engine.pull(pg, config)
        pull_seconds = time.perf_counter() - started
        assert pulled.applied == ROWS, pulled
        pull_db.close()
        pg.close()
        database_proxy.initialize(None)

        latencies = {loop: _latency(workdir, url, loop) for loop in ("worker", "cli")}
        return [
            Result("sync push of %dk facts" % (ROWS // 1000), ROWS / push_seconds, "rows/s",
                   "raw psycopg2 execute_values, same table shape", raw_rate, ">= 0.5x of raw"),
            Result("sync push of %dk facts, total" % (ROWS // 1000), push_seconds, "s", aim="a week of gate records in seconds"),
            Result("sync pull of %dk rows" % (ROWS // 1000), pull_seconds, "s", aim="a few seconds"),
            Result("station to station, app workers (max of %d)" % len(latencies["worker"]), max(latencies["worker"]), "s",
                   aim="< 2 s (LISTEN/NOTIFY wake-up)"),
            Result("station to station, CLI `kiosk sync` loops (max of %d)" % len(latencies["cli"]), max(latencies["cli"]),
                   "s", aim="< 2 s (LISTEN/NOTIFY wake-up)"),
        ]
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    for result in run(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/kiosk-bench-sync")):
        ratio = f"  ({result.ratio:.2f}x {result.baseline_name})" if result.ratio is not None else ""
        print(f"{result.figure:50} {result.value:12.2f} {result.unit}{ratio}  aim {result.aim}")
