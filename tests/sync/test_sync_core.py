"""Push, pull, idempotency, cursors, dead letters, conflicts against a real PostgreSQL."""
from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import peewee
import pytest

from kiosk import clock
from kiosk.models import database_proxy
from kiosk.sync import engine, outbox, pull, push
from tests.sync.conftest import assert_converged, central_rows, central_scalar


def test_rows_written_at_one_station_reach_the_other_and_converge(make_station, central_url):
    gate, dorm = make_station("gate"), make_station("dorm", "dorm")
    ids = set(gate.write(30, per_transaction=3)) | set(dorm.write(5))
    first = gate.sync()
    assert first.push.sent == 30 and first.push.accepted == 30 and gate.pending() == 0
    dorm.sync()
    gate.sync()
    assert_converged(central_url, [gate, dorm], ids)
    # Pulled rows are not queued to be pushed back.
    with dorm.use():
        assert engine.pending_count() == 0
        assert database_proxy.execute_sql("SELECT count(*) FROM outbox").fetchone()[0] == 5


def test_a_resent_batch_is_a_harmless_no_op(make_station, central_url):
    """The answer was lost after central committed: the station sends the same rows again."""
    gate = make_station("gate")
    ids = set(gate.write(40, per_transaction=4))
    with gate.use():
        rows, suspects = outbox.stamp(outbox.next_batch(500))
        body, _ = outbox.batch_json(rows, suspects, valid_only=False)
        config = gate.config()
        first = push.call_push(gate.central, config, gate.station_id, engine.epoch(), body)
        # ... the answer never arrives; the rows stay pending and go again:
        assert engine.pending_count() == 40
    assert first["accepted"] == 40
    again = gate.push()
    assert again.duplicates == 1 and again.accepted == 0 and gate.pending() == 0
    assert central_scalar(central_url, "SELECT count(*) FROM fact WHERE school_id = %s", (gate.school,)) == 40
    gate.pull()
    assert_converged(central_url, [gate], ids)


def test_batches_never_split_a_local_transaction(make_station, central_url):
    gate = make_station("gate")
    gate.write(7, per_transaction=7)
    gate.write(700, per_transaction=100)
    with gate.use():
        txns = dict(database_proxy.execute_sql("SELECT seq, txn FROM outbox"))
        assert None not in txns.values()
        seen_batches = []
        while True:
            batch = outbox.next_batch(250)
            if not batch:
                break
            seen_batches.append([row.seq for row in batch])
            push.ack(outbox.stamp(batch)[0], {}, gate.station_id, 1, gate.school)
    for batch in seen_batches:
        assert len(batch) <= 250
    # Each transaction lies wholly inside one batch.
    where = {seq: i for i, batch in enumerate(seen_batches) for seq in batch}
    by_txn: dict[int, set[int]] = {}
    for seq, txn in txns.items():
        by_txn.setdefault(txn, set()).add(where[seq])
    assert all(len(batches) == 1 for batches in by_txn.values())
    assert len(by_txn) == 8


def test_a_transaction_bigger_than_a_batch_goes_whole(make_station):
    gate = make_station("gate")
    gate.write(30, per_transaction=30)
    with gate.use():
        assert len(outbox.next_batch(10)) == 30


def test_the_station_acknowledges_while_central_works_on_the_next_batch(make_station, central_url, monkeypatch):
    """One batch at central at a time, and the station's own work overlaps it: batch 1's acknowledgement is
    written while central works on batch 2 (a third of a push is the station's own work)."""
    gate = make_station("gate")
    gate.write_bulk(30, per_transaction=1)
    at_central = threading.Event()
    calls_at_once: list[int] = []
    acks: list[tuple[int, bool]] = []
    real_call, real_ack = push.call_push, push.ack

    def slow_call(central, config, sid, ep, body):
        calls_at_once.append(2 if at_central.is_set() else 1)
        at_central.set()
        try:
            answer = real_call(central, config, sid, ep, body)
            time.sleep(0.3)  # central is slow: the station's own work must not wait for it
            return answer
        finally:
            at_central.clear()

    def recorded_ack(rows, *args, **kwargs):
        acks.append((rows[0].seq, at_central.wait(timeout=0.5)))  # is a batch at central meanwhile?
        return real_ack(rows, *args, **kwargs)

    monkeypatch.setattr(push, "call_push", slow_call)
    monkeypatch.setattr(push, "ack", recorded_ack)
    result = engine_push(gate, batch_size=10)
    assert result.accepted == 30 and result.batches == 3 and gate.pending() == 0
    assert calls_at_once == [1, 1, 1]
    assert acks == [(1, True), (11, True), (21, False)]  # the last one has nothing left to overlap
    assert central_scalar(central_url, "SELECT count(*) FROM fact WHERE school_id = %s", (gate.school,)) == 30


def test_a_batch_central_answered_is_acknowledged_even_when_the_next_one_fails(make_station, central_url, monkeypatch):
    gate = make_station("gate")
    gate.write_bulk(30, per_transaction=1)
    real_call = push.call_push
    calls = []

    def fail_second(central, config, sid, ep, body):
        calls.append(body)
        if len(calls) == 2:
            raise peewee.OperationalError("server closed the connection unexpectedly")
        return real_call(central, config, sid, ep, body)

    monkeypatch.setattr(push, "call_push", fail_second)
    with pytest.raises(peewee.OperationalError):
        engine_push(gate, batch_size=10)
    assert gate.pending() == 20  # the first batch is known to be at central; it is not sent again
    monkeypatch.setattr(push, "call_push", real_call)
    again = engine_push(gate, batch_size=10)
    assert again.accepted == 20 and again.duplicates == 0 and gate.pending() == 0
    assert central_scalar(central_url, "SELECT count(*) FROM fact WHERE school_id = %s", (gate.school,)) == 30


def test_max_batches_sends_no_more_than_asked(make_station, central_url):
    gate = make_station("gate")
    gate.write_bulk(30, per_transaction=1)
    result = engine_push(gate, batch_size=10, max_batches=2)
    assert result.batches == 2 and result.sent == 20 and gate.pending() == 10
    assert central_scalar(central_url, "SELECT count(*) FROM fact WHERE school_id = %s", (gate.school,)) == 20


def engine_push(station, *, max_batches=None, **config):
    from kiosk.sync import engine

    with station.use():
        return engine.push(station.central, station.config(**config), max_batches=max_batches)


def test_a_poisoned_row_is_dead_lettered_and_the_queue_moves_on(make_station, central_url):
    gate, office = make_station("gate"), make_station("office", "office")
    before = set(gate.write(3))
    with gate.use():
        # A row central must refuse: the gate may not write the roster (office only) ...
        from kiosk.models import Building
        from kiosk.services.facts import record

        with record(gate.actor(), "building.add") as w:
            w.insert(Building(school_id=gate.school, name="A", gender="M"))
        # ... and one whose payload is not even JSON (a bug elsewhere wrote it bypassing the write path).
        database_proxy.execute_sql(
            "INSERT INTO outbox (table_name, row_id, op, payload, created_at, txn) VALUES ('probe', 'x1', 'insert', '{not json', ?, -1)",
            (clock.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),))
    after = set(gate.write(3))
    result = gate.sync()
    assert result.push.dead == 2
    assert gate.pending() == 0
    with gate.use():
        reasons = sorted(r[0] for r in database_proxy.execute_sql("SELECT reason FROM sync_dead_letter"))
    assert reasons == ["not_writer:gate", "unreadable"]
    assert central_scalar(central_url, "SELECT count(*) FROM dead_letter WHERE school_id = %s", (gate.school,)) == 2
    office.sync()
    gate.sync()
    assert_converged(central_url, [gate, office], before | after)
    assert central_rows(central_url, gate.school, "building") == {}


def test_cursors_never_go_backwards_and_pages_cover_everything(make_station, central_url):
    gate, dorm = make_station("gate"), make_station("dorm", "dorm")
    ids = set(gate.write_bulk(2500, per_transaction=50))
    gate.sync()
    with dorm.use():
        config = dorm.config(page_size=300)
        seen = []
        original = pull.apply_rows

        def spy(stream, rows, **kw):
            seen.append(pull.cursor_of(stream) if stream else 0)
            return original(stream, rows, **kw)

        pull.apply_rows = spy
        try:
            engine.pull(dorm.central, config)
        finally:
            pull.apply_rows = original
    assert seen == sorted(seen) and len(seen) >= 9
    assert_converged(central_url, [dorm], ids)


def test_checksum_mismatch_triggers_a_full_refetch(make_station, central_url):
    gate, dorm = make_station("gate"), make_station("dorm", "dorm")
    ids = set(gate.write(20))
    gate.sync()
    dorm.sync()
    with dorm.use():  # local damage: a row lost and one edited behind sync's back
        victim, edited = sorted(ids)[:2]
        database_proxy.execute_sql("DELETE FROM probe WHERE id = ?", (victim,))
        database_proxy.execute_sql("DELETE FROM sync_row_version WHERE row_id = ?", (victim,))
        database_proxy.execute_sql("UPDATE sync_row_version SET hlc = 1 WHERE row_id = ?", (edited,))
    result = dorm.pull()
    assert "probe" in result.refetched
    assert_converged(central_url, [dorm], ids)


def test_concurrent_updates_keep_the_newest_and_record_a_conflict(make_station, central_url):
    """Two stations change the same row while offline: last writer by (HLC, station) wins everywhere,
    the loser is kept in the history and listed as a conflict."""
    gate, dorm = make_station("gate"), make_station("dorm", "dorm")
    (row_id,) = gate.write(1)
    gate.sync()
    dorm.sync()
    start = clock.now()
    clock.freeze(start)
    dorm.update(row_id, text="dorm says")
    clock.freeze(start + timedelta(seconds=5))
    gate.update(row_id, text="gate says later")
    gate.sync()  # newer arrives first
    dorm.sync()  # older arrives second: loses, becomes a conflict
    gate.sync()
    dorm.sync()
    clock.freeze(None)
    assert central_rows(central_url, gate.school)[row_id][0] == "gate says later"
    assert_converged(central_url, [gate, dorm], {row_id})
    for station in (gate, dorm):
        with station.use():
            conflicts = list(database_proxy.execute_sql("SELECT kind, row_id, detail FROM sync_conflict"))
        assert [(c[0], c[1]) for c in conflicts] == [("stale_update", row_id)]
        assert json.loads(conflicts[0][2])["lost"]["text"] == "dorm says"


def test_status_report_and_state(make_station, central_url, settings):
    from kiosk.features.sync import status_report
    from kiosk.sync.worker import sync_state

    gate = make_station("gate")
    gate.write(4)
    settings.sync.central_url = central_url
    settings.school.id = gate.school
    with gate.use():
        before = status_report(settings)
        assert before["pending"] == 4 and before["converged"] is False
    gate.sync()
    with gate.use():
        report = status_report(settings)
        state = sync_state(settings)
    assert report["pending"] == 0 and report["converged"] is True
    assert report["cursors"]["probe"]["server_seq"] == 4
    assert report["last_push"] and report["last_pull"]
    assert state.pending == 0 and state.enabled and state.dead_letters == 0


def test_a_pulled_row_the_station_cannot_hold_is_listed_and_the_rest_apply(make_station, central_url):
    """The office's building "A" clashes with a local building "A" (unique name): that row becomes a local dead
    letter, the other rows apply, and the stream is not reported as converged."""
    from kiosk.models import Building
    from kiosk.services.facts import record

    office, gate = make_station("office", "office"), make_station("gate")
    with office.use(), record(office.actor(), "building.add") as w:
        w.insert(Building(school_id=office.school, name="A", gender="M"))
        w.insert(Building(school_id=office.school, name="B", gender="F"))
    office.sync()
    with gate.use(), record(gate.actor(), "building.add") as w:
        w.insert(Building(school_id=gate.school, name="A", gender="M"))
    result = gate.sync()
    assert result.push.dead == 1 and result.pull.failed == 1
    with gate.use():
        names = sorted(row[0] for row in database_proxy.execute_sql("SELECT name FROM building"))
        reasons = [row[0] for row in database_proxy.execute_sql("SELECT reason FROM sync_dead_letter ORDER BY outbox_seq")]
    assert names == ["A", "B"]
    assert any(reason.startswith("pull: UNIQUE") for reason in reasons)
    assert gate.converged()["building"] is False
