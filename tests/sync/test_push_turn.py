"""A station role cannot hold its school's push turn beyond central's push limit (issue 13).

Its session limits are its own to switch off, so a stolen station's role could run `SELECT sync_push(...),
pg_sleep(600)`, or push and sleep in one query string, and keep every other station of the school waiting.
Central's own rule ends such a session: a push that needs the turn terminates a station session that has held
it longer than sync_meta.push_limit_ms (kiosk.sync.push_sql: sync_push_turn). Real PostgreSQL.
"""
from __future__ import annotations

import json
import threading
import time

import psycopg2
import pytest

from kiosk.sync import central
from tests.sync.conftest import central_scalar
from tests.sync.hostile import Role, crossing_payload, push_row

LIMIT_S = 2.0


@pytest.fixture
def limited_central(own_central):
    """A central of its own whose push limit is short (the default is the stations' 30 s statement timeout)."""
    database = central.connect(own_central)
    database.execute_sql("UPDATE sync_meta SET value = %s WHERE key = 'push_limit_ms'", (str(int(LIMIT_S * 1000)),))
    database.close()
    return own_central


def _holding(url: str, role: str) -> bool:
    """The hostile session sleeps inside its statement or holds the school's advisory lock."""
    return bool(central_scalar(url, (
        "SELECT count(*) FROM pg_stat_activity a WHERE a.usename = %s AND (a.wait_event = 'PgSleep' "
        "OR EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.granted))"), (role,)))


HOSTILE = {
    "push_then_sleep_in_one_statement": "{push}",
    "push_then_sleep_in_one_query_string": "{push_then_sleep}",
    "the_turn_taken_by_hand": "SELECT pg_advisory_lock(7013, hashtext(%(school)s))",
    "the_turn_taken_by_hand_in_a_transaction": "BEGIN; SELECT pg_advisory_xact_lock(7013, hashtext(%(school)s))",
}


@pytest.mark.parametrize("how", sorted(HOSTILE))
def test_a_station_holding_the_push_turn_is_ended_and_another_pushes_within_the_limit(limited_central, school, how):
    """Before: the honest gate waited for the hostile statement's whole sleep (here 20 s: its lock_timeout of
    8 s ran out first and its push failed)."""
    url = limited_central
    hostile = Role(url, school, "gate-a", "gate", "st-gate-a")
    honest = Role(url, school, "gate-b", "gate", "st-gate-b")
    body = json.dumps([{**push_row(1, "gate_crossing", crossing_payload(school, hostile.station_id)), "seq": 1, "txn": 1}])
    call = "SELECT sync_push(%(school)s, %(station)s, 1, 'gate', %(body)s)"
    sql = HOSTILE[how].format(push="SELECT sync_push(%(school)s, %(station)s, 1, 'gate', %(body)s), pg_sleep(20)",
                              push_then_sleep=f"{call}; SELECT pg_sleep(20)")
    params = {"school": school, "station": hostile.station_id, "body": body}
    connection = psycopg2.connect(hostile.role.url)
    connection.autocommit = True

    def run_hostile() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET statement_timeout = 0; SET idle_in_transaction_session_timeout = 0")
                cursor.execute(sql, params)  # the lock taken by hand is then held by an idle session
        except psycopg2.Error:  # terminated by central
            pass

    thread = threading.Thread(target=run_hostile, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not _holding(url, hostile.role.role):
        assert time.monotonic() < deadline, "the hostile session never took the turn"
        time.sleep(0.02)
    honest.db.execute_sql("SET lock_timeout = '8s'")
    started = time.monotonic()
    answer = honest.push(push_row(0, "gate_crossing", crossing_payload(school, honest.station_id)))
    seconds = time.monotonic() - started
    assert answer["accepted"] == 1
    assert seconds < LIMIT_S + 1.5, f"the honest push waited {seconds:.1f} s"
    assert central_scalar(url, "SELECT count(*) FROM pg_stat_activity WHERE usename = %s", (hostile.role.role,)) == 0, \
        "the hostile session was not ended"
    thread.join(5)
    # the hostile statement's push was rolled back with its session: nothing half-kept
    stations = central_scalar(url, "SELECT string_agg(station_id, ',' ORDER BY station_id) FROM row_state "
                                   "WHERE school_id = %s", (school,))
    assert stations == "st-gate-b" or (stations == "st-gate-a,st-gate-b" and "statement" not in how)
    connection.close()
    hostile.close()
    honest.close()


def test_an_administrators_session_is_never_ended_a_push_gives_up_after_its_lock_timeout(limited_central, school):
    """Only station roles are ended: an administrator holding the turn (maintenance) makes a push give up after
    its own lock_timeout, as before."""
    url = limited_central
    honest = Role(url, school, "gate-b", "gate", "st-gate-b")
    admin = psycopg2.connect(url)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(7013, hashtext(%s))", (school,))
    try:
        honest.db.execute_sql("SET lock_timeout = '3s'")
        started = time.monotonic()
        with pytest.raises(Exception, match="lock timeout"):
            honest.push(push_row(0, "gate_crossing", crossing_payload(school, honest.station_id)))
        assert LIMIT_S + 0.5 < time.monotonic() - started < 6
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1")  # still alive
    finally:
        admin.close()
        honest.close()


def test_a_station_that_took_the_turn_after_a_push_began_waiting_is_not_taken_for_an_idle_holder(limited_central,
                                                                                                   school):
    """A waiting push looks at who holds the turn afresh each time: pg_stat_activity is otherwise read once per
    transaction, so a station that was idle at the waiting push's first look and has taken the turn since looked
    idle still, and was ended as a holder outside any transaction. Here gate D takes the turn (in a transaction,
    as a push does, and for less than the limit) while gate W waits behind an administrator."""
    url = limited_central
    waiter, taker = Role(url, school, "gate-w", "gate", "st-gate-w"), Role(url, school, "gate-d", "gate", "st-gate-d")
    admin = psycopg2.connect(url)
    admin.autocommit = True
    taker_connection = psycopg2.connect(taker.role.url)
    taker_connection.autocommit = True
    answers: list = []
    outcome: list = []

    def push() -> None:
        try:
            answers.append(waiter.push(push_row(0, "gate_crossing", crossing_payload(school, waiter.station_id))))
        except Exception as error:  # noqa: BLE001
            answers.append(error)

    def take_the_turn_briefly() -> None:
        try:
            with taker_connection.cursor() as cursor:
                cursor.execute("BEGIN; SELECT pg_advisory_xact_lock(7013, hashtext(%s))", (school,))
                time.sleep(1.0)
                cursor.execute("COMMIT")
            outcome.append("kept")
        except psycopg2.Error as error:
            outcome.append(error)

    def waiting(role: str, event: str) -> bool:
        return bool(central_scalar(url, "SELECT count(*) FROM pg_stat_activity WHERE usename = %s AND "
                                        "(wait_event = %s OR wait_event_type = %s)", (role, event, event)))

    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(7013, hashtext(%s))", (school,))
        pusher = threading.Thread(target=push)
        pusher.start()
        deadline = time.monotonic() + 10
        while not waiting(waiter.role.role, "PgSleep"):  # the push has had its first look and polls
            assert time.monotonic() < deadline
            time.sleep(0.01)
        taker_thread = threading.Thread(target=take_the_turn_briefly)
        taker_thread.start()
        while not waiting(taker.role.role, "Lock"):  # gate D queues for the turn
            assert time.monotonic() < deadline
            time.sleep(0.01)
        with admin.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(7013, hashtext(%s))", (school,))  # D gets it first
        taker_thread.join(10)
        pusher.join(10)
    finally:
        admin.close()
        taker_connection.close()
        waiter.close()
        taker.close()
    assert outcome == ["kept"], outcome
    assert isinstance(answers[0], dict) and answers[0]["accepted"] == 1, answers


def test_honest_stations_pushing_at_once_are_never_ended(limited_central, school):
    """Four gates push 2-row batches in a loop at once: each waits its turn and none is taken for a holder. A
    waiting push must look at who holds the turn afresh each time (pg_stat_activity is otherwise read once per
    transaction: a gate that was idle at the first look and took the turn since would be ended as idle)."""
    url = limited_central
    gates = [Role(url, school, f"gate-{n}", "gate", f"st-gate-{n}") for n in range(4)]
    errors: list[BaseException] = []
    accepted = []

    def pushes(gate: Role) -> None:
        try:
            for _ in range(25):
                rows = [push_row(0, "gate_crossing", crossing_payload(school, gate.station_id)) for _ in range(2)]
                accepted.append(gate.push(*rows)["accepted"])
        except BaseException as error:  # noqa: BLE001 (any failure is the finding)
            errors.append(error)

    threads = [threading.Thread(target=pushes, args=(gate,)) for gate in gates]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for gate in gates:
        gate.close()
    assert errors == [] and sum(accepted) == 4 * 25 * 2
    assert central_scalar(url, "SELECT count(*) FROM row_state WHERE school_id = %s", (school,)) == 200
