"""SIGKILL the writing process at random points: every write reported as saved survives, the database
is intact, the audit chain verifies, and the outbox holds exactly the facts written (none pushed here)."""
import os
import random
import signal
import subprocess
import sys
import time

import peewee
import pytest

WRITER = r"""
import sys
from kiosk.db import open_database
from kiosk.models import Building
from kiosk.services.actor import Actor
from kiosk.services.facts import record
open_database(sys.argv[1])
actor = Actor(school_id="demo", station_id="st-crash", staff_id="s1")
n = 0
print("ready", flush=True)
while True:
    n += 1
    name = f"b{sys.argv[2]}-{n}"
    with record(actor, "building.add", entity="building", detail={"name": name}) as w:
        row = w.insert(Building(school_id="demo", name=name, gender="M"))
    print("saved", row.id, flush=True)  # only after the commit returned
"""


def saved_id(line: str) -> str | None:
    """The row id of a complete "saved <id>" report; a line the kill cut short reported nothing."""
    parts = line.split()
    return parts[1] if line.endswith("\n") and len(parts) == 2 and parts[0] == "saved" else None


def run_trial(db_path, trial: int, rng: random.Random) -> list[str]:
    process = subprocess.Popen([sys.executable, "-c", WRITER, str(db_path), str(trial)],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "ready"
    saved: list[str] = []
    deadline = time.monotonic() + rng.uniform(0.05, 0.4)
    while time.monotonic() < deadline:
        row_id = saved_id(process.stdout.readline())
        if row_id:
            saved.append(row_id)
    os.kill(process.pid, signal.SIGKILL)
    # lines already written to the pipe before the kill also count as "reported saved"
    saved.extend(row_id for row_id in map(saved_id, process.stdout) if row_id)
    process.wait()
    return saved


def check_database(db_path, all_saved: list[str]) -> None:
    raw = peewee.SqliteDatabase(str(db_path))
    assert raw.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
    ids = {row[0] for row in raw.execute_sql("SELECT id FROM building")}
    missing = set(all_saved) - ids
    assert not missing, f"{len(missing)} saved writes lost"
    outbox = [row[0] for row in raw.execute_sql("SELECT row_id FROM outbox WHERE table_name = 'building'")]
    assert sorted(outbox) == sorted(ids), "outbox must hold exactly one entry per fact written"
    audits = raw.execute_sql("SELECT count(*) FROM audit_entry WHERE action = 'building.add'").fetchone()[0]
    assert audits == len(ids)
    raw.close()
    from kiosk.db import close_database, open_database
    from kiosk.services.facts import verify_audit_chain

    open_database(db_path)
    assert verify_audit_chain() is None
    close_database()


def kill_trials(tmp_path, trials: int, seed: int) -> None:
    rng = random.Random(seed)
    db_path = tmp_path / "crash.sqlite3"
    all_saved: list[str] = []
    for trial in range(trials):
        all_saved.extend(run_trial(db_path, trial, rng))
    assert all_saved, "the writer never reported a save"
    check_database(db_path, all_saved)


def test_sigkill_during_writes_loses_nothing_reported_saved(tmp_path):
    kill_trials(tmp_path, trials=3, seed=1)


@pytest.mark.slow
def test_sigkill_during_writes_100_trials(tmp_path):
    kill_trials(tmp_path, trials=100, seed=2)
