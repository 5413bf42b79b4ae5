"""`kiosk central init` run again while a school's stations push (an upgrade on a live school): no push fails on
a deadlock with it, nothing pushed is lost, and init itself, when something still gets in its way, tries again
and says so rather than ending in a traceback."""
from __future__ import annotations

import threading
import time
import uuid

import psycopg2

from kiosk.sync import central
from tests.sync.conftest import Probe, central_scalar
from tests.sync.hostile import Role, push_row, valid_payload


def _probe_rows(role: Role, count: int) -> list[dict]:
    rows = []
    for _ in range(count):
        payload = valid_payload(Probe, role.school, role.station_id)
        payload["id"] = uuid.uuid4().hex
        rows.append(push_row(0, "probe", payload, row_id=payload["id"]))
    return rows


def test_init_while_stations_push_fails_no_push_and_loses_nothing(own_central):
    """Today: pushes failed with `deadlock detected` (init holding sync_table while waiting for row_state, a push
    the other way round), each init waited out the deadlock timeout."""
    school = "sch-" + uuid.uuid4().hex[:8]
    roles = [Role(own_central, school, f"gate-{i}", "gate", f"st-gate-{i}") for i in range(3)]
    stop = threading.Event()
    errors: list[str] = []
    accepted: list[int] = []  # list.append is atomic across threads, += on a shared int is not

    def pushing(role: Role) -> None:
        while not stop.is_set():
            try:
                accepted.append(role.push(*_probe_rows(role, 40))["accepted"])
            except Exception as error:  # what a station would show: none expected
                errors.append(str(error).splitlines()[0])

    threads = [threading.Thread(target=pushing, args=(role,)) for role in roles]
    for thread in threads:
        thread.start()
    took = []
    try:
        for _ in range(6):
            started = time.monotonic()
            central.init(own_central)
            took.append(time.monotonic() - started)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
        for role in roles:
            role.close()
    assert errors == []
    assert sum(accepted) > 0
    assert central_scalar(own_central, "SELECT count(*) FROM row_state WHERE school_id = %s", (school,)) == sum(accepted)
    assert max(took) < 5, took


def test_init_that_meets_a_deadlock_tries_again_and_says_so(own_central):
    """An older station's session (functions not yet replaced) holds row_state, then wants sync_table while init
    holds it: PostgreSQL ends init's transaction, init tries again once the session is done."""
    other = psycopg2.connect(own_central)
    busy: list[int] = []
    try:
        cursor = other.cursor()
        cursor.execute("SELECT count(*) FROM row_state")  # holds row_state (open transaction)
        done = {}
        runner = threading.Thread(target=lambda: done.update(epoch=central.init(
            own_central, on_busy=lambda attempt, seconds: busy.append(attempt))))
        runner.start()
        watcher = psycopg2.connect(own_central)
        watcher.autocommit = True
        try:  # until init holds sync_table and waits for row_state
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                waiting = watcher.cursor()
                waiting.execute("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'row_state'::regclass")
                if waiting.fetchone()[0]:
                    break
                time.sleep(0.02)
        finally:
            watcher.close()
        try:
            cursor.execute("SELECT count(*) FROM sync_table")  # waits for init: a deadlock, init is ended
        finally:
            other.rollback()
        runner.join(30)
    finally:
        other.close()
    assert busy == [1]
    assert done.get("epoch")
