"""Issue 13, part A: a stalled, cut or vanished station connection cannot hang a station or hold up the school.

Stations talk to the real PostgreSQL through tests/sync/fault_proxy.py. A station whose connection is faulted
runs in its own process (as on a real machine), so the test process stays free to drive the other stations
and to give up on a blocked one (every wait here is bounded, so a regression fails instead of hanging).
Short time limits keep the suite fast; the defaults are in kiosk/config.py.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kiosk.sync import engine
from kiosk.sync.limits import Limits
from tests.sync.conftest import assert_converged, central_scalar
from tests.sync.fault_proxy import FaultProxy

ROOT = Path(__file__).resolve().parents[2]
FAST = Limits(connect_timeout=2, statement_timeout=3.0, lock_timeout=2.5, idle_in_transaction=2.0,
                     keepalive_idle=1, keepalive_interval=1, keepalive_count=2)


def test_every_station_connection_carries_the_time_limits_from_settings(central_url):
    """Defaults 10 s connect / 30 s statement, KIOSK_SYNC__* overrides, and central really runs with them."""
    from kiosk import config

    settings = config.load(environ={"KIOSK_SYNC__CENTRAL_URL": central_url, "KIOSK_SYNC__STATEMENT_TIMEOUT_SECONDS": "25"})
    assert (config.Settings().sync.connect_timeout_seconds, config.Settings().sync.statement_timeout_seconds) == (10, 30.0)
    assert settings.sync.statement_timeout_seconds == 25.0
    database = engine.connect(engine.SyncConfig.from_settings(settings))
    try:
        shown = {name: database.execute_sql(f"SHOW {name}").fetchone()[0] for name in (
            "statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")}
        params = database.connection().info.dsn_parameters
    finally:
        database.close()
    assert shown == {"statement_timeout": "25s", "lock_timeout": "20s", "idle_in_transaction_session_timeout": "15s"}
    assert (params["connect_timeout"], params["keepalives_idle"], params["keepalives_count"]) == ("10", "10", "3")
    with pytest.raises(config.ConfigError, match="statement_timeout_seconds"):
        config.load(environ={"KIOSK_SYNC__STATEMENT_TIMEOUT_SECONDS": "0"})
    with pytest.raises(config.ConfigError, match="idle_in_transaction_seconds <= lock_timeout_seconds"):
        config.load(environ={"KIOSK_SYNC__LOCK_TIMEOUT_SECONDS": "40"})


@pytest.fixture
def proxy():
    proxy = FaultProxy(5432).start()
    yield proxy
    proxy.stop()


ONE_ROUND = """
import json, sys, time
sys.path.insert(0, {root!r})
import tests.sync.conftest  # the probe table is syncable in this process too, as in the test's
from kiosk.db import open_database
from kiosk.sync import engine
from kiosk.sync.limits import Limits
open_database({db!r})
config = engine.SyncConfig(school_id={school!r}, station_kind={kind!r}, central_url={url!r}, pull_tables=("probe",),
                           limits=Limits(**{limits!r}))
started = time.monotonic()
try:
    result = engine.sync_once(engine.connect(config), config)
    print(json.dumps({{"ok": True, "accepted": result.push.accepted, "applied": result.pull.applied,
                      "seconds": time.monotonic() - started}}), flush=True)
except engine.SyncError as error:
    print(json.dumps({{"ok": False, "error": str(error), "seconds": time.monotonic() - started}}), flush=True)
"""


def _limits_dict(limits: Limits) -> dict:
    from dataclasses import asdict

    return asdict(limits)


def one_round(station, url: str, limits: Limits = FAST) -> subprocess.Popen:
    """`sync_once` for `station` in a process of its own (the station's SQLite file is shared with the test)."""
    script = ONE_ROUND.format(root=str(ROOT), db=str(station.path), school=station.school, kind=station.kind, url=url,
                              limits=_limits_dict(limits))
    return subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen, timeout: float) -> dict:
    """The round's JSON outcome; fails (and kills the process) if it did not end within `timeout` s."""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail(f"the station's round did not end within {timeout} s")
    assert process.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout} s")
        time.sleep(0.05)


def _settle(*stations) -> None:
    """Rounds until everything has gone everywhere (push all first, then pull all)."""
    for station in stations:
        station.sync()
    for station in stations:
        station.sync()


def test_a_push_stalled_mid_batch_does_not_hold_up_another_station(make_station, central_url, proxy):
    """Today: the stalled push sat `idle in transaction` holding the school's counter row, and the other gate
    waited on that lock forever. Now the push is one autocommit statement: the lock ends with it."""
    stalled = make_station("gate-a", limits=FAST)
    other = make_station("gate-b", limits=FAST)
    ids = set(stalled.write(6, per_transaction=3)) | set(other.write(4, per_transaction=2))
    proxy.stall_after(b"sync_push")
    victim = one_round(stalled, proxy.url(central_url))
    wait_for(lambda: proxy.triggered, 10, "the push reached central")
    time.sleep(0.5)  # central has the batch and is (today: was) holding the lock
    outcome = finish(one_round(other, central_url), timeout=FAST.statement_timeout + 10)  # + process start-up
    assert outcome["ok"], outcome
    assert outcome["accepted"] == 4
    assert outcome["seconds"] < FAST.statement_timeout  # connect + push + pull, as timed inside that process
    proxy.heal()
    finish(victim, timeout=15)  # its answer arrives late (or it fails and resends): either way nothing is lost
    _settle(stalled, other)
    assert_converged(central_url, [stalled, other], ids)


def test_a_push_waits_for_the_school_counter_at_most_the_lock_timeout(make_station, central_url):
    """Whatever holds the school's counter row (here an administrator's open transaction), a station gives up
    after lock_timeout and retries later; today it waited as long as the holder did."""
    from tests.sync.test_sync_faults import _hold_counter

    gate = make_station("gate", limits=FAST)
    ids = set(gate.write(3))
    holder = _hold_counter(central_url, gate.school)
    try:
        outcome = finish(one_round(gate, central_url), timeout=FAST.lock_timeout + 10)
    finally:
        holder.execute_sql("ROLLBACK")
        holder.close()
    assert not outcome["ok"] and "lock timeout" in outcome["error"], outcome
    assert outcome["seconds"] < FAST.lock_timeout + 1.5
    assert gate.pending() == 3
    gate.sync()
    assert_converged(central_url, [gate], ids)


@pytest.mark.parametrize("fault", ["reset", "cut_reply", "cut_request"])
def test_reset_and_cut_connections_lose_and_duplicate_nothing(make_station, central_url, proxy, fault):
    """Regression guard (these already held before issue 13's fixes): a RST, or a connection cut after a few
    bytes of a reply or of a request, makes the round fail; the next one completes; nothing lost or doubled."""
    gate = make_station("gate", url=proxy.url(central_url), limits=FAST)
    dorm = make_station("dorm", "dorm", limits=FAST)
    ids = set(gate.write(40, per_transaction=4))
    if fault == "reset":
        proxy.stall_after(b"sync_push")
        victim = one_round(gate, proxy.url(central_url))
        wait_for(lambda: proxy.triggered, 10, "the push reached central")
        proxy.reset()
        proxy.heal()
        assert not finish(victim, timeout=15)["ok"]
    else:
        # the push's request reaches central whole; then its reply, or the station's next request, is cut
        proxy.cut_after(40 if fault == "cut_reply" else 10, "s2c" if fault == "cut_reply" else "c2s", after=b"sync_push")
        victim = one_round(gate, proxy.url(central_url))
        outcome = finish(victim, timeout=15)
        assert not outcome["ok"], outcome
    proxy.heal()
    _settle(gate, dorm)
    assert_converged(central_url, [gate, dorm], ids)
    assert central_scalar(central_url, "SELECT count(*) FROM fact WHERE school_id = %s", (gate.school,)) == 40


# ------------------------------------------------------------------------------------------ the worker

WORKER = """
import json, logging, sys, time
sys.path.insert(0, {root!r})
import tests.sync.conftest  # the probe table is syncable in this process too, as in the test's
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
from kiosk.config import Settings
from kiosk.db import open_database
from kiosk.sync import engine
from kiosk.sync.limits import Limits
from kiosk.sync.worker import SyncWorker
open_database({db!r})
settings = Settings()
settings.school.id = {school!r}
settings.station.kind = {kind!r}
settings.sync.central_url = {url!r}
settings.sync.interval_seconds = {interval!r}
settings.sync.stall_seconds = {stall!r}
config = engine.SyncConfig(school_id={school!r}, station_kind={kind!r}, central_url={url!r}, pull_tables=("probe",),
                           limits=Limits(**{limits!r}))
worker = SyncWorker(settings, config=config, on_round=lambda result: print("round", flush=True))
worker.start()
sys.stdin.readline()
worker.stop()
print(json.dumps({{"rounds": worker.rounds, "watchdog": worker.watchdog.fired}}), flush=True)
"""


def start_worker(station, url: str, *, interval: int = 10, stall: float = 3.0) -> subprocess.Popen:
    script = WORKER.format(root=str(ROOT), db=str(station.path), school=station.school, kind=station.kind, url=url,
                           interval=interval, stall=stall, limits=_limits_dict(FAST))
    return subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def stop_worker(process: subprocess.Popen) -> dict:
    try:
        out, err = process.communicate("stop\n", timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    lines = out.strip().splitlines()
    return json.loads(lines[-1]) if lines else {"stderr": err[-2000:]}


@pytest.mark.parametrize("fault", ["stall_mid_pull", "one_sided_close"])
def test_worker_whose_connection_stalls_mid_pull_starts_again(make_station, central_url, proxy, fault):
    """Today: a pull whose connection stalled (blackholed; or central's side closed while the station's side
    stays open and silent) waited for an answer forever: no round for minutes, status "online", another
    station's rows never arrived. Now the watchdog drops the connection after `stall_seconds` and the next
    round reconnects (the old connection stays dead, as when a router lost its state)."""
    gate = make_station("gate", limits=FAST)
    dorm = make_station("dorm", "dorm", limits=FAST)
    ids = set(gate.write(30, per_transaction=5))
    gate.sync()
    proxy.stall_after(b"station_rows")
    worker = start_worker(dorm, proxy.url(central_url), interval=1, stall=3.0)
    try:
        wait_for(lambda: proxy.triggered, 15, "the worker's pull reached central")
        if fault == "one_sided_close":
            proxy.close_side("server")
        proxy.resume()  # new connections pass; the stalled one stays silent on the station's side
        # Meanwhile the gate pushes without waiting on anything (a pull holds no lock at central).
        ids |= set(gate.write(3))
        outcome = finish(one_round(gate, central_url), timeout=FAST.statement_timeout + 10)
        assert outcome["ok"] and outcome["accepted"] == 3
        # watchdog (3 s) + first backoff (2 s) + a round, with room for a busy machine
        wait_for(lambda: ids <= set(dorm.probe_rows()), 20, "the dorm received the gate's rows")
    finally:
        outcome = stop_worker(worker)
    assert outcome.get("watchdog", 0) >= 1, outcome
    _settle(gate, dorm)
    assert_converged(central_url, [gate, dorm], ids)


@pytest.fixture
def worker_state():
    """The worker's process-wide state (what the status bar reads), put back after an in-process worker ran."""
    from kiosk.sync import worker

    saved = dict(worker._RUNTIME)
    yield
    with worker._STATE_LOCK:
        worker._RUNTIME.clear()
        worker._RUNTIME.update(saved)


def test_status_bar_says_stalled_not_online_while_no_round_completes(make_station, central_url, proxy, worker_state):
    from zoneinfo import ZoneInfo

    from kiosk.config import Settings
    from kiosk.features.sync import status_text
    from kiosk.i18n import set_language
    from kiosk.sync.worker import SyncWorker, sync_state

    gate = make_station("gate", url=proxy.url(central_url), limits=FAST)
    gate.write(2)
    settings = Settings()
    settings.school.id = gate.school
    settings.sync.central_url = proxy.url(central_url)
    settings.sync.interval_seconds = 1
    settings.sync.stall_seconds = 2.0
    zone = ZoneInfo("Asia/Shanghai")
    with gate.use():
        worker = SyncWorker(settings, config=gate.config(central_url=proxy.url(central_url)))
        worker.start()
        try:
            wait_for(lambda: worker.rounds >= 1, 15, "a first round")
            assert "在线" in status_text(sync_state(settings), zone)
            proxy.blackhole()
            wait_for(lambda: sync_state(settings).stalled is not None, 10, "the status noticed the stall")
            text = status_text(sync_state(settings), zone)
            assert "同步中断" in text and "秒" in text and "在线" not in text, text
            set_language("en")
            try:
                assert "sync stalled" in status_text(sync_state(settings), zone)
            finally:
                set_language("zh-CN")
            proxy.heal()
            rounds = worker.rounds
            wait_for(lambda: worker.rounds > rounds and sync_state(settings).stalled is None, 20, "sync recovered")
            assert "在线" in status_text(sync_state(settings), zone)
        finally:
            proxy.heal()
            worker.stop(20)
    assert not worker.is_alive()


def test_stalled_for_is_the_age_of_the_last_round_once_too_old():
    from kiosk.sync.worker import stalled_for

    now = datetime(2026, 12, 1, 4, 0, tzinfo=timezone.utc)
    assert stalled_for(now, now - timedelta(seconds=59), None, 60) is None
    assert stalled_for(now, now - timedelta(minutes=12), None, 60) == timedelta(minutes=12)
    assert stalled_for(now, None, now - timedelta(seconds=90), 60) == timedelta(seconds=90)  # never completed one
    assert stalled_for(now, None, None, 60) is None


def test_stalled_text_uses_the_largest_unit():
    from kiosk.features.sync import stalled_text
    from kiosk.i18n import set_language

    assert stalled_text(timedelta(minutes=12, seconds=30)) == "同步中断 12 分钟"
    assert stalled_text(timedelta(seconds=45)) == "同步中断 45 秒"
    assert stalled_text(timedelta(hours=3, minutes=5)) == "同步中断 3 小时"
    set_language("en")
    try:
        assert stalled_text(timedelta(minutes=12)) == "sync stalled 12 min"
        assert stalled_text(timedelta(days=2, hours=1)) == "sync stalled 2 d"
    finally:
        set_language("zh-CN")


# ------------------------------------------------------------------------------------------ wake-ups

def test_a_push_notifies_the_listeners_of_its_school_only(make_station, central_url, school):
    from kiosk.sync import central, wake

    gate = make_station("gate", limits=FAST)
    listening = central.connect(central_url, **FAST.connect_params())
    mine, other = wake.Listener(school), wake.Listener("another-school")
    try:
        mine.ensure(listening)
        gate.write(1)
        gate.sync()
        started = time.monotonic()
        assert mine.wait(5, lambda: False)
        assert time.monotonic() - started < 1
        assert not mine.wait(0.3, lambda: False)  # one push, one wake-up
        other.ensure(listening)
        gate.write(1)
        gate.sync()
        assert not other.wait(0.5, lambda: False)
        own = wake.Listener(school)  # on the pushing station's own connection: its own push wakes nobody
        own.ensure(gate.central)
        gate.write(1)
        gate.sync()
        assert not own.wait(0.5, lambda: False)
        assert mine.wait(2, lambda: False)
    finally:
        listening.close()


def _latency(gate, dorm, rounds: int = 3) -> list[float]:
    """Seconds from the gate's push answer to the row being in the dorm's database, a few times."""
    figures = []
    for _ in range(rounds):
        (row_id,) = gate.write(1)
        gate.push()
        started = time.monotonic()
        wait_for(lambda: row_id in dorm.probe_rows(), 15, "the row reached the dorm")
        figures.append(time.monotonic() - started)
    return figures


KIOSK_CLI = """
import sys
sys.path.insert(0, {root!r})
import tests.sync.conftest  # the probe table is syncable in this process too, as in the test's
from kiosk.cli import main
sys.exit(main(sys.argv[1:]))
"""


def kiosk_cli(*args: str) -> list[str]:
    """The command line for `kiosk ARGS` in a station process of its own."""
    return [sys.executable, "-c", KIOSK_CLI.format(root=str(ROOT)), *args]


def _wait_for_line(process: subprocess.Popen, prefix: str, timeout: float = 20) -> None:
    import selectors

    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if selector.select(deadline - time.monotonic()) and process.stdout.readline().startswith(prefix):
                return
    pytest.fail(f"no {prefix!r} line from the station process")


def test_cli_loop_gets_a_row_from_another_station_within_2_s(make_station, central_url, tmp_path):
    """Today `kiosk sync` slept `interval_seconds` (10 s) between rounds: 10-20 s station to station."""
    gate, dorm = make_station("gate", limits=FAST), make_station("dorm", "dorm", limits=FAST)
    gate.sync()
    config = tmp_path / "dorm.toml"
    config.write_text(f'[school]\nid = "{dorm.school}"\n[station]\nkind = "dorm"\n'
                      f'[sync]\ncentral_url = "{central_url}"\ninterval_seconds = 10\npull_tables = ["probe"]\n',
                      encoding="utf-8")
    process = subprocess.Popen(kiosk_cli("sync", "--config", str(config), "--db", str(dorm.path)),
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_line(process, "pushed")
        figures = _latency(gate, dorm)
    finally:
        process.terminate()
        process.communicate(timeout=20)
    assert max(figures) < 2.0, figures


def test_app_worker_gets_a_row_from_another_station_within_2_s(make_station, central_url):
    gate, dorm = make_station("gate", limits=FAST), make_station("dorm", "dorm", limits=FAST)
    gate.sync()
    worker = start_worker(dorm, central_url, interval=10, stall=30.0)
    try:
        _wait_for_line(worker, "round")
        figures = _latency(gate, dorm)
    finally:
        stop_worker(worker)
    assert max(figures) < 2.0, figures


@pytest.mark.parametrize("fault", ["blackholed_from_the_start", "stalled_mid_pull"])
def test_cli_once_gives_up_on_a_stalled_central_instead_of_hanging(make_station, central_url, proxy, tmp_path, fault):
    """Today `kiosk sync --once` waited forever on a blackholed connection (no connect timeout, no watchdog)."""
    dorm = make_station("dorm", "dorm")
    config = tmp_path / "dorm.toml"
    config.write_text(f'[school]\nid = "{dorm.school}"\n[station]\nkind = "dorm"\n'
                      f'[sync]\ncentral_url = "{proxy.url(central_url)}"\npull_tables = ["probe"]\n'
                      'connect_timeout_seconds = 2\nstatement_timeout_seconds = 3\nlock_timeout_seconds = 2.5\n'
                      'idle_in_transaction_seconds = 2\nstall_seconds = 3\n', encoding="utf-8")
    if fault == "blackholed_from_the_start":
        proxy.blackhole()
    else:
        proxy.stall_after(b"station_rows")
    started = time.monotonic()
    process = subprocess.Popen(kiosk_cli("sync", "--once", "--config", str(config), "--db", str(dorm.path)), cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail("kiosk sync --once hung on a stalled central")
    assert process.returncode == 1, (out, err)
    assert "unreachable" in err
    assert time.monotonic() - started < 3 + 8
