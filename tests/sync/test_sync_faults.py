"""Faults: backlog, cut connections, concurrent duplicates, restored and cloned stations, clocks, many writers."""
from __future__ import annotations

import json
import shutil
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from kiosk import clock
from kiosk.models import database_proxy
from kiosk.sync import engine, hlc, outbox, push
from kiosk.sync.central import connect
from tests.sync.conftest import Probe, assert_converged, central_rows, central_scalar


def test_days_offline_backlog_of_10k_rows_drains(make_station, central_url):
    gate, dorm = make_station("gate"), make_station("dorm", "dorm")
    ids = set(gate.write_bulk(10_000, per_transaction=40))
    started = time.perf_counter()
    result = gate.push()
    elapsed = time.perf_counter() - started
    assert result.accepted == 10_000 and result.batches >= 20 and gate.pending() == 0
    assert elapsed < 30, f"backlog took {elapsed:.1f} s"
    dorm.sync()
    gate.pull()
    assert_converged(central_url, [gate, dorm], ids)


def _hold_counter(url: str, school: str):
    """Lock the school's counter row from another session, so a push blocks inside its transaction."""
    database = connect(url)
    database.connect()
    database.execute_sql("BEGIN")
    database.execute_sql("INSERT INTO school_counter (school_id) VALUES (%s) ON CONFLICT DO NOTHING", (school,))
    database.execute_sql("SELECT server_seq FROM school_counter WHERE school_id = %s FOR UPDATE", (school,))
    return database


def _wait_for_blocked(url: str, school: str, count: int = 1) -> list[int]:
    admin = connect(url)
    try:
        for _ in range(200):
            # waiting for the counter row, or polling for the school's push turn (kiosk.sync.push_sql)
            pids = [row[0] for row in admin.execute_sql(
                "SELECT pid FROM pg_stat_activity WHERE (wait_event_type = 'Lock' OR wait_event = 'PgSleep') "
                "AND query LIKE %s", (f'%sync_push%{school}%',))]
            if len(pids) >= count:
                return pids
            time.sleep(0.05)
    finally:
        admin.close()
    raise AssertionError("push never reached the lock")


def test_connection_terminated_mid_batch_loses_nothing(make_station, central_url):
    """pg_terminate_backend while central is inside the batch's transaction: nothing half-applied, rows stay
    pending, the next round sends them whole."""
    gate = make_station("gate")
    ids = set(gate.write(12, per_transaction=4))
    holder = _hold_counter(central_url, gate.school)
    errors = []

    def push():
        try:
            gate.sync()
        except engine.SyncError as error:
            errors.append(error)

    worker = threading.Thread(target=push)
    worker.start()
    (pid,) = _wait_for_blocked(central_url, gate.school)
    admin = connect(central_url)
    admin.execute_sql("SELECT pg_terminate_backend(%s)", (pid,))
    admin.close()
    worker.join(10)
    holder.execute_sql("ROLLBACK")
    holder.close()
    assert errors and "unreachable" in str(errors[0])
    assert gate.pending() == 12
    assert central_scalar(central_url, "SELECT count(*) FROM fact WHERE school_id = %s", (gate.school,)) == 0
    gate.sync()  # reconnects by itself
    assert_converged(central_url, [gate], ids)


def test_the_same_batch_sent_twice_at_once_is_applied_once(make_station, central_url):
    gate = make_station("gate")
    ids = set(gate.write(25, per_transaction=5))
    with gate.use():
        rows, suspects = outbox.stamp(outbox.next_batch(500))
        body, _ = outbox.batch_json(rows, suspects, valid_only=False)
        sid, ep, config = gate.station_id, engine.epoch(), gate.config()
    holder = _hold_counter(central_url, gate.school)
    answers = []

    def send():
        database = connect(central_url)
        try:
            answers.append(push.call_push(database, config, sid, ep, body)["status"])
        finally:
            database.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    _wait_for_blocked(central_url, gate.school, 2)
    holder.execute_sql("COMMIT")
    holder.close()
    for thread in threads:
        thread.join(10)
    assert sorted(answers) == ["duplicate", "ok"]
    assert central_scalar(central_url, "SELECT count(*) FROM fact WHERE school_id = %s", (gate.school,)) == 25
    gate.sync()
    assert_converged(central_url, [gate], ids)


def _copy_database(station, target):
    with station.use():
        database_proxy.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(station.path, target)


def test_station_restored_from_an_old_copy_gets_a_new_epoch_and_loses_nothing(make_station, central_url, tmp_path):
    gate = make_station("gate")
    before = set(gate.write(5))
    gate.sync()
    backup = tmp_path / "backup.sqlite3"
    _copy_database(gate, backup)
    lost_locally = set(gate.write(6))  # reach central, then the disk dies
    gate.sync()
    gate.close()
    restored = make_station("gate-restored", "gate", path=backup)
    assert restored.station_id == gate.station_id
    after = set(restored.write(4))  # same outbox seqs as the lost rows, different rows
    result = restored.sync()
    assert result.push.epoch_bumps == 1
    with restored.use():
        assert engine.epoch() == 2
    restored.sync()
    everything = before | lost_locally | after
    assert_converged(central_url, [restored], everything)
    # The rows the restored copy never had came back from central.
    assert lost_locally <= set(restored.probe_rows())


def test_cloned_station_both_copies_keep_their_rows(make_station, central_url, tmp_path):
    original = make_station("gate")
    base = set(original.write(3))
    original.sync()
    clone_path = tmp_path / "clone.sqlite3"
    _copy_database(original, clone_path)
    clone = make_station("clone", "gate", path=clone_path)
    assert clone.station_id == original.station_id
    mine, theirs = set(original.write(7)), set(clone.write(9))
    original.sync()
    clone.sync()
    original.sync()
    clone.sync()
    with clone.use():
        assert engine.epoch() == 2
    assert_converged(central_url, [original, clone], base | mine | theirs)


@pytest.mark.parametrize("skew", [
    datetime(1970, 1, 1, 0, 5, tzinfo=timezone.utc) - datetime.now(timezone.utc),  # dead RTC
    timedelta(hours=-2),
    timedelta(days=3),
])
def test_skewed_clocks_never_reorder_causal_updates(make_station, central_url, skew):
    """A row written by a healthy station, then changed by a station with a bad clock after it saw the row:
    the later change wins everywhere, and the bad clock is flagged."""
    good, bad = make_station("good"), make_station("bad", "dorm")
    (row_id,) = good.write(1)
    good.sync()
    now = datetime.now(timezone.utc)
    clock.freeze(now + skew)
    try:
        bad.sync()  # sees the row
        bad.update(row_id, text="changed after seeing it")
        extra = set(bad.write(3))
        bad.sync()
        with bad.use():
            from kiosk.sync.worker import sync_state

            assert sync_state().clock_warning
            stamps = [row[0] for row in database_proxy.execute_sql("SELECT hlc FROM outbox ORDER BY seq")]
    finally:
        clock.freeze(None)
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    good.sync()
    assert central_rows(central_url, good.school)[row_id][0] == "changed after seeing it"
    suspects = central_scalar(central_url, "SELECT count(*) FROM fact WHERE school_id = %s AND station_id = %s AND clock_suspect",
                              (good.school, bad.station_id))
    assert suspects == 4
    assert_converged(central_url, [good, bad], {row_id} | extra)


def test_a_clock_stepping_backwards_keeps_stamps_increasing(make_station, central_url):
    gate = make_station("gate")
    start = datetime.now(timezone.utc)
    ids = []
    for minutes in (0, 1, -30, -31, 2):
        clock.freeze(start + timedelta(minutes=minutes))
        ids += gate.write(2)
        gate.push()
    clock.freeze(None)
    with gate.use():
        stamps = [row[0] for row in database_proxy.execute_sql("SELECT hlc FROM outbox ORDER BY seq")]
        assert stamps == sorted(stamps) and len(set(stamps)) == 10
        assert hlc.Clock.last() == stamps[-1]
    suspect = [row[0] for row in connect(central_url).execute_sql(
        "SELECT clock_suspect FROM fact WHERE school_id = %s ORDER BY seq", (gate.school,))]
    assert suspect[4:8] == [True] * 4 and suspect[:4] == [False] * 4
    gate.pull()
    assert_converged(central_url, [gate], set(ids))


def test_two_stations_write_the_same_key_in_the_same_millisecond(make_station, central_url):
    a, b = make_station("a"), make_station("b", "dorm")
    clock.freeze(datetime.now(timezone.utc).replace(microsecond=0))
    try:
        from kiosk.services.facts import record

        for station, text in ((a, "from a"), (b, "from b")):
            with station.use(), record(station.actor(), "probe.write") as w:
                w.insert(Probe(id="same-key", school_id=station.school, station_id=station.station_id, recorded_at=clock.now(), text=text))
        a.sync()
        b.sync()
        a.sync()
    finally:
        clock.freeze(None)
    winner = central_rows(central_url, a.school)["same-key"][0]
    # Same stamp: the higher station id wins, deterministically, and the other is a conflict.
    expected = "from a" if a.station_id > b.station_id else "from b"
    assert winner == expected
    assert central_scalar(central_url, "SELECT count(*) FROM conflict WHERE school_id = %s", (a.school,)) == 1
    assert_converged(central_url, [a, b], {"same-key"})


def test_fifty_concurrent_writers_and_a_polling_reader_skip_nothing(central_url, school):
    """server_seq follows commit order: a reader polling `server_seq > cursor` never skips a row."""
    writers, batches, per_batch = 50, 2, 3
    stop = threading.Event()
    seen: list[int] = []
    errors: list[BaseException] = []

    def reader():
        database = connect(central_url)
        cursor = 0
        try:
            while True:
                done = stop.is_set()
                rows = database.execute_sql(
                    "SELECT server_seq FROM row_state WHERE school_id = %s AND table_name = 'probe' AND server_seq > %s "
                    "ORDER BY server_seq", (school, cursor)).fetchall()
                for (seq,) in rows:
                    seen.append(seq)
                    cursor = seq
                if done and not rows:
                    return
        except BaseException as error:
            errors.append(error)
        finally:
            database.close()

    def writer(index: int):
        database = connect(central_url)
        config = engine.SyncConfig(school_id=school, station_kind="gate", central_url=central_url)
        try:
            seq = 0
            for _ in range(batches):
                rows = []
                for _ in range(per_batch):
                    seq += 1
                    row_id = f"w{index:02d}-{seq:03d}"
                    rows.append({"seq": seq, "txn": seq, "t": "probe", "id": row_id, "op": "insert", "h": seq,
                                 "p": {"id": row_id, "school_id": school, "station_id": f"writer-{index}",
                                       "recorded_at": "2026-11-30T08:00:00.000000Z"}})
                answer = push.call_push(database, config, f"writer-{index}", 1, json.dumps(rows))
                assert answer["status"] == "ok"
        except BaseException as error:
            errors.append(error)
        finally:
            database.close()

    read = threading.Thread(target=reader)
    read.start()
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    stop.set()
    read.join(30)
    assert not errors, errors
    total = writers * batches * per_batch
    assert len(seen) == total and len(set(seen)) == total
    assert seen == sorted(seen)
    assert seen == list(range(1, total + 1))  # dense too: no gap a late commit could fill


def test_ui_writes_while_a_large_pull_applies_never_see_a_locked_database(make_station, central_url):
    gate, dorm = make_station("gate"), make_station("dorm", "dorm")
    ids = set(gate.write_bulk(4_000, per_transaction=200))
    gate.push()
    failures: list[BaseException] = []
    written: list[str] = []
    done = threading.Event()

    def ui():
        from kiosk.services.facts import record

        with dorm.use():
            actor = dorm.actor()
            while not done.is_set():
                try:
                    with record(actor, "probe.write") as w:
                        row = Probe(school_id=dorm.school, station_id=actor.station_id, recorded_at=clock.now(), text="ui")
                        w.insert(row)
                    written.append(row.id)
                except BaseException as error:
                    failures.append(error)
                time.sleep(0.01)

    thread = threading.Thread(target=ui)
    database_proxy.initialize(dorm.db)
    thread.start()
    try:
        engine.pull(dorm.central, dorm.config(page_size=1000))
    finally:
        done.set()
        thread.join(10)
    assert not failures, failures
    assert written
    dorm.sync()
    gate.sync()
    assert_converged(central_url, [gate, dorm], ids | set(written))


def test_a_re_created_central_gets_every_station_row_back(tmp_path, own_central, school):
    """Central restored from nothing (new server epoch): stations notice, push all they hold again and refetch."""
    from tests.sync.conftest import Station, admin_execute
    from kiosk.sync import central as central_db

    gate = Station("gate", "gate", tmp_path / "gate.sqlite3", own_central, school=school).open()
    dorm = Station("dorm", "dorm", tmp_path / "dorm.sqlite3", own_central, school=school).open()
    try:
        ids = set(gate.write(6)) | set(dorm.write(4))
        for station in (gate, dorm, gate):
            station.sync()
        name = own_central.rsplit("/", 1)[1]
        admin_execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin_execute(f'CREATE DATABASE "{name}"')
        central_db.init(own_central)
        for station in (gate, dorm):
            with pytest.raises(engine.SyncError):
                station.sync()  # its connection died with the old database
        results = [station.sync() for station in (gate, dorm, gate, dorm)]
        assert results[0].pull.central_reset and results[1].pull.central_reset
        assert_converged(own_central, [gate, dorm], ids)
    finally:
        gate.close()
        dorm.close()
        database_proxy.initialize(None)


def test_central_restored_from_an_older_backup_gets_the_missing_rows_again(make_station, central_url):
    """Central comes back from a backup taken before our last acknowledgement: the station notices (its batch
    register is behind) and sends those rows again, though it thought them delivered."""
    gate, dorm = make_station("gate"), make_station("dorm", "dorm")
    early = set(gate.write(3))
    gate.sync()
    late = set(gate.write(4))
    gate.sync()
    admin = connect(central_url)
    with admin.atomic():  # what a restore of the earlier backup looks like for this school
        admin.execute_sql("DELETE FROM row_state WHERE school_id = %s AND row_id IN (SELECT row_id FROM fact WHERE "
                          "school_id = %s AND seq > 3)", (gate.school, gate.school))
        admin.execute_sql("DELETE FROM fact WHERE school_id = %s AND seq > 3", (gate.school,))
        admin.execute_sql("UPDATE batch SET last_seq = 3 WHERE school_id = %s", (gate.school,))
    admin.close()
    assert set(central_rows(central_url, gate.school)) == early
    result = gate.sync()
    assert result.push.accepted == 4
    dorm.sync()
    assert_converged(central_url, [gate, dorm], early | late)
