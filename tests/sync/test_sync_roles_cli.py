"""Station roles (least privilege), the CLI, a station process killed mid-sync, the background worker."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import peewee
import pytest

from kiosk.cli import main
from kiosk.models import database_proxy
from kiosk.sync import central, engine
from tests.sync.conftest import assert_converged, central_rows, central_scalar

ROOT = Path(__file__).resolve().parents[2]


def _station_config(capsys, url: str, name: str, kind: str, school: str) -> dict:
    assert main(["central", "add-station", name, "--kind", kind, "--url", url, "--school", school]) == 0
    text = capsys.readouterr().out
    return tomllib.loads(text)


def test_add_station_prints_a_complete_config_and_the_role_has_least_privilege(capsys, central_url, school, tmp_path,
                                                                              make_station):
    config = _station_config(capsys, central_url, f"gate-{school}", "gate", school)
    assert config["station"] == {**config["station"], "kind": "gate", "name": f"gate-{school}"}
    assert config["school"]["id"] == school
    station_url = config["sync"]["central_url"]
    assert "postgres@" not in station_url
    # The printed file is a working station config on its own.
    path = tmp_path / "gate.toml"
    path.write_text(tomllib_dumps(config), encoding="utf-8")
    from kiosk import config as kiosk_config

    assert kiosk_config.load(str(path)).sync.central_url == station_url

    gate = make_station("gate", "gate", url=station_url)
    ids = set(gate.write(3))
    with pytest.raises(engine.SyncError, match="not bound"):
        gate.sync()  # an identity is bound by the administrator, never by the first push that claims it
    assert main(["central", "bind-station", f"gate-{school}", gate.station_id, "--url", central_url]) == 0
    gate.sync()
    assert set(central_rows(central_url, school)) == ids

    role = central.connect(station_url)
    try:
        for statement in ("UPDATE fact SET op = 'x'", "DELETE FROM fact", "DELETE FROM row_state",
                          "UPDATE row_state SET hlc = 0", "INSERT INTO fact (school_id) VALUES ('x')",
                          "TRUNCATE fact", "DELETE FROM conflict", "UPDATE school_counter SET server_seq = 0"):
            with pytest.raises(peewee.ProgrammingError, match="permission denied"):
                with role.atomic():
                    role.execute_sql(statement)
        body = json.dumps([{"seq": 1, "txn": 1, "t": "probe", "id": "forged", "op": "insert", "h": 1, "p": {"id": "forged"}}])
        with pytest.raises(peewee.ProgrammingError, match="pushes for station"):
            with role.atomic():
                role.execute_sql("SELECT sync_push(%s, %s, 1, 'office', %s)", (school, "someone-else", body))
        with pytest.raises(peewee.ProgrammingError, match="belongs to school"):
            with role.atomic():
                role.execute_sql("SELECT sync_push(%s, %s, 1, 'office', %s)", ("other-school", gate.station_id, body))
        # It may read the shared rows it pulls, of its own school only.
        assert role.execute_sql("SELECT count(*) FROM row_state WHERE school_id = %s", (school,)).fetchone()[0] == 3
        other = central.connect(central_url)
        body_other = json.dumps([{"seq": 1, "txn": 1, "t": "probe", "id": "elsewhere", "op": "insert", "h": 1,
                                  "p": {"id": "elsewhere"}}])
        with other.atomic():
            other.execute_sql("SELECT sync_push(%s, 'st-other', 1, 'gate', %s)", ("other-" + school, body_other))
        other.close()
        assert role.execute_sql("SELECT count(*) FROM row_state").fetchone()[0] == 3
        assert role.execute_sql("SELECT count(*) FROM school_counter").fetchone()[0] == 1
    finally:
        role.close()
    assert central_scalar(central_url, "SELECT count(*) FROM fact WHERE school_id = %s", (school,)) == 3

    # The gate role claims the kind the office role has: the roster stays office-only.
    with gate.use():
        from kiosk.models import Building
        from kiosk.services.facts import record

        with record(gate.actor(), "building.add") as w:
            w.insert(Building(school_id=school, name="B", gender="F"))
    assert gate.push().dead == 1

    assert main(["central", "remove-station", f"gate-{school}", "--url", central_url]) == 0
    with pytest.raises(peewee.OperationalError):
        central.connect(station_url).connect()


def tomllib_dumps(data: dict) -> str:
    import tomli_w

    return tomli_w.dumps(data)


def test_cli_sync_once_and_status_json(capsys, central_url, school, tmp_path, make_station):
    gate = make_station("gate")
    gate.write(5)
    gate.close()
    config = tmp_path / "gate.toml"
    config.write_text(textwrap.dedent(f"""
        [school]
        id = "{school}"
        [station]
        kind = "gate"
        [sync]
        central_url = "{central_url}"
        pull_tables = ["probe"]
    """), encoding="utf-8")
    common = ["--config", str(config), "--db", str(gate.path)]
    assert main(["sync", "status", "--json", *common]) == 0
    before = json.loads(capsys.readouterr().out)
    assert before["pending"] == 5 and before["converged"] is False
    assert main(["sync", "--once", *common]) == 0
    assert "pushed 5" in capsys.readouterr().out
    assert main(["sync", "status", "--json", *common]) == 0
    after = json.loads(capsys.readouterr().out)
    assert after["pending"] == 0 and after["converged"] is True and after["cursors"]["probe"]["server_seq"] == 5
    database_proxy.obj.close()


def test_cli_reports_an_unreachable_central(capsys, tmp_path):
    config = tmp_path / "gate.toml"
    config.write_text('[sync]\ncentral_url = "postgresql://postgres@127.0.0.1:1/nowhere"\n', encoding="utf-8")
    assert main(["sync", "--once", "--config", str(config), "--db", str(tmp_path / "s.sqlite3")]) == 1
    assert "unreachable" in capsys.readouterr().err
    database_proxy.obj.close()


KILL_SCRIPT = """
import os, signal, sys
sys.path.insert(0, {root!r})
from kiosk.db import open_database
from kiosk.sync import central, engine, hlc, push
open_database({db!r})
config = engine.SyncConfig(school_id={school!r}, station_kind="gate", central_url={url!r}, batch_size=7,
                           pull_tables=("probe",))
where = {where!r}
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
if where == "before_ack":
    push.ack = die  # central has committed the batch; the acknowledgement never lands
else:
    hlc.Clock.receive = die  # inside the page's transaction, after its rows were written
engine.sync_once(central.connect({url!r}), config)
print("not killed")
"""


@pytest.mark.parametrize("where", ["before_ack", "applying_pull_page"])
def test_station_killed_mid_sync_loses_and_duplicates_nothing(make_station, central_url, where):
    gate, dorm = make_station("gate"), make_station("dorm", "dorm")
    ids = set(gate.write(20, per_transaction=4))
    victim = gate if where == "before_ack" else dorm
    if where == "applying_pull_page":
        gate.sync()
    victim.close()
    script = KILL_SCRIPT.format(root=str(ROOT), db=str(victim.path), school=victim.school, url=central_url, where=where)
    process = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert process.returncode == -signal.SIGKILL, process.stderr
    victim.open()
    if where == "before_ack":
        # batch_size 7 is cut at the transaction boundary: the first batch is one 4-row transaction. Its
        # acknowledgement is written while the next batch is at central (kiosk.sync.push overlaps them), so the
        # kill may come before or after central committed that one too.
        held = central_scalar(central_url, "SELECT count(*) FROM fact WHERE school_id = %s", (victim.school,))
        assert held in (4, 8), held
        assert victim.pending() == 20  # committed at central, never acknowledged here
    else:
        assert victim.probe_rows() == {}  # the page's transaction died with the process
    gate.sync()
    dorm.sync()
    gate.sync()
    assert_converged(central_url, [gate, dorm], ids)


WORKER_SCRIPT = """
import sys, time
sys.path.insert(0, {root!r})
from kiosk.config import Settings
from kiosk.db import open_database
from kiosk.sync import engine
from kiosk.sync.worker import SyncWorker, sync_state
open_database({db!r})
settings = Settings()
settings.school.id = {school!r}
settings.sync.central_url = {url!r}
settings.sync.interval_seconds = 5
worker = SyncWorker(settings, config=engine.SyncConfig(school_id={school!r}, station_kind="gate", central_url={url!r},
                                                     pull_tables=("probe",)))
worker.start()
print("started", flush=True)
sys.stdin.readline()
worker.stop()
print("online", sync_state(settings).online, "pending", sync_state(settings).pending, flush=True)
"""


def test_background_worker_delivers_a_record_to_another_station_within_seconds(make_station, central_url):
    gate, dorm = make_station("gate"), make_station("dorm", "dorm")
    gate.sync()
    dorm.sync()
    script = WORKER_SCRIPT.format(root=str(ROOT), db=str(gate.path), school=gate.school, url=central_url)
    process = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "started"
        (row_id,) = gate.write(1)
        started = time.monotonic()
        while time.monotonic() - started < 20 and row_id not in dorm.probe_rows():
            dorm.sync()
            time.sleep(0.2)
        elapsed = time.monotonic() - started
        assert row_id in dorm.probe_rows()
        assert elapsed < 10
        out, _ = process.communicate("stop\n", timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert "online True pending 0" in out
