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
from tests.sync.conftest import assert_converged, central_scalar
from tests.sync.fault_proxy import FaultProxy

ROOT = Path(__file__).resolve().parents[2]
FAST = engine.Limits(connect_timeout=2, statement_timeout=3.0, lock_timeout=2.5, idle_in_transaction=2.0,
                     keepalive_idle=1, keepalive_interval=1, keepalive_count=2)


@pytest.fixture
def proxy():
    proxy = FaultProxy(5432).start()
    yield proxy
    proxy.stop()


ONE_ROUND = """
import json, sys, time
sys.path.insert(0, {root!r})
from kiosk.db import open_database
from kiosk.sync import engine
open_database({db!r})
config = engine.SyncConfig(school_id={school!r}, station_kind={kind!r}, central_url={url!r}, pull_tables=("probe",),
                           limits=engine.Limits(**{limits!r}))
started = time.monotonic()
try:
    result = engine.sync_once(engine.connect(config), config)
    print(json.dumps({{"ok": True, "accepted": result.push.accepted, "applied": result.pull.applied,
                      "seconds": time.monotonic() - started}}), flush=True)
except engine.SyncError as error:
    print(json.dumps({{"ok": False, "error": str(error), "seconds": time.monotonic() - started}}), flush=True)
"""


def _limits_dict(limits: engine.Limits) -> dict:
    from dataclasses import asdict

    return asdict(limits)


def one_round(station, url: str, limits: engine.Limits = FAST) -> subprocess.Popen:
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
    started = time.monotonic()
    outcome = finish(one_round(other, central_url), timeout=FAST.statement_timeout + 5)
    assert outcome["ok"], outcome
    assert outcome["accepted"] == 4
    assert time.monotonic() - started < FAST.statement_timeout + 1.5  # process start-up included
    proxy.heal()
    finish(victim, timeout=15)  # its answer arrives late (or it fails and resends): either way nothing is lost
    _settle(stalled, other)
    assert_converged(central_url, [stalled, other], ids)


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
