"""A push cut short does not hang the process: Ctrl-C on `kiosk sync --once`, or the app quitting (the worker's
stop()), while a batch is at central over a stalled connection (tests/sync/fault_proxy.py). The batch is sent
from a thread of its own; the process must not wait for that thread until the watchdog or a timeout frees it.
After healing, nothing pushed is lost or duplicated."""
from __future__ import annotations

import signal
import subprocess
import time

import pytest

from tests.sync.conftest import assert_converged
from tests.sync.test_sync_stalls import FAST, ROOT, _settle, kiosk_cli, proxy, start_worker, wait_for  # noqa: F401

PROMPT = 6.0  # seconds: far below the watchdog (60 s) that would otherwise free the stalled push


def _ended_within(process: subprocess.Popen, seconds: float) -> tuple[float | None, str]:
    started = time.monotonic()
    try:
        _, err = process.communicate(timeout=seconds)
        return time.monotonic() - started, err
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
        return None, err


def _ctrl_c_when_stalled(station, kind: str, proxy, central_url, tmp_path, stall_at: bytes, *command: str) -> None:
    """`kiosk <command>` for `station` through the proxy, stalled once it sends `stall_at`; Ctrl-C must end it
    within PROMPT seconds with status 130 (the watchdog is 60 s away)."""
    config = tmp_path / f"{kind}.toml"
    config.write_text(f'[school]\nid = "{station.school}"\n[station]\nkind = "{kind}"\n'
                      f'[sync]\ncentral_url = "{proxy.url(central_url)}"\npull_tables = ["probe"]\nbatch_size = 8\n'
                      'connect_timeout_seconds = 2\nstatement_timeout_seconds = 3\nlock_timeout_seconds = 2.5\n'
                      'idle_in_transaction_seconds = 2\nstall_seconds = 60\n', encoding="utf-8")
    proxy.stall_after(stall_at)
    process = subprocess.Popen(kiosk_cli(*command, "--config", str(config), "--db", str(station.path)), cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: proxy.triggered, 15, f"{stall_at!r} reached central")
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    seconds, err = _ended_within(process, PROMPT)
    assert seconds is not None, f"kiosk {' '.join(command)} still running {PROMPT} s after Ctrl-C: {err[-1500:]}"
    assert process.returncode == 130, err[-1500:]


def test_ctrl_c_during_a_stalled_push_ends_kiosk_sync_once_at_once(make_station, central_url, proxy, tmp_path):
    gate, dorm = make_station("gate", limits=FAST), make_station("dorm", "dorm", limits=FAST)
    ids = set(gate.write(20, per_transaction=4))
    _ctrl_c_when_stalled(gate, "gate", proxy, central_url, tmp_path, b"sync_push", "sync", "--once")
    proxy.heal()
    _settle(gate, dorm)
    assert_converged(central_url, [gate, dorm], ids)


def test_the_app_quitting_during_a_stalled_push_is_not_held_up(make_station, central_url, proxy):
    gate, dorm = make_station("gate", limits=FAST), make_station("dorm", "dorm", limits=FAST)
    ids = set(gate.write(12, per_transaction=3))
    proxy.stall_after(b"sync_push")
    worker = start_worker(gate, proxy.url(central_url), interval=1, stall=60.0)
    wait_for(lambda: proxy.triggered, 15, "the worker's push reached central")
    time.sleep(0.5)
    worker.stdin.write("stop\n")
    worker.stdin.flush()
    seconds, err = _ended_within(worker, PROMPT)
    assert seconds is not None, f"the station process still running {PROMPT} s after stop(): {err[-1500:]}"
    assert worker.returncode == 0, err[-1500:]
    proxy.heal()
    ids |= set(gate.write(2))
    _settle(gate, dorm)
    assert_converged(central_url, [gate, dorm], ids)


@pytest.mark.parametrize("loop", [False, True], ids=["once", "loop"])
def test_ctrl_c_during_a_stalled_pull_ends_kiosk_sync_at_once(make_station, central_url, proxy, tmp_path, loop):
    """The pull runs in the process's own thread, blocked inside libpq, where Ctrl-C's handler cannot run: it
    waited for the watchdog (60 s by default) before the process could end."""
    dorm = make_station("dorm", "dorm", limits=FAST)
    command = ("sync",) if loop else ("sync", "--once")
    _ctrl_c_when_stalled(dorm, "dorm", proxy, central_url, tmp_path, b"station_rows", *command)
