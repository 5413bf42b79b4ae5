"""A Hypothesis state machine: random writes, updates, syncs and faults over three stations against the real
PostgreSQL. After every step cursors and clocks have not gone backwards; once faults heal, every station has
converged, nothing is lost or duplicated and nothing is pending."""
from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from kiosk.models import database_proxy
from kiosk.sync import engine, hlc, outbox, push
from tests.sync.conftest import Station, assert_converged

KINDS = (("office", "office"), ("gate", "gate"), ("dorm", "dorm"))


def machine_for(central_url: str):
    class SyncMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.folder = Path(tempfile.mkdtemp(prefix="sync-sm-"))
            school = "sm-" + uuid.uuid4().hex[:10]
            self.stations = [Station(name=name, kind=kind, path=self.folder / f"{name}.sqlite3", url=central_url,
                                     school=school).open() for name, kind in KINDS]
            self.ids: set[str] = set()
            self.cursors = [dict() for _ in self.stations]
            self.clocks = [0 for _ in self.stations]

        station = st.integers(min_value=0, max_value=len(KINDS) - 1)

        @rule(index=station, count=st.integers(1, 12), per=st.integers(1, 5))
        def write(self, index, count, per):
            self.ids |= set(self.stations[index].write(count, per_transaction=per))

        @rule(index=station, data=st.data())
        def update_a_row_it_holds(self, index, data):
            rows = sorted(self.stations[index].probe_rows())
            if rows:
                row_id = data.draw(st.sampled_from(rows))
                self.stations[index].update(row_id, text=f"changed at {self.stations[index].name}")

        @rule(index=station)
        def sync(self, index):
            self._round(index, lambda s: s.sync())

        @rule(index=station)
        def push_only(self, index):
            self._round(index, lambda s: s.push())

        @rule(index=station)
        def pull_only(self, index):
            self._round(index, lambda s: s.pull())

        @rule(index=station)
        def answer_lost_after_central_committed(self, index):
            station = self.stations[index]
            with station.use():
                batch = outbox.next_batch(station.config().batch_size)
                if not batch:
                    return
                rows, suspects = outbox.stamp(batch)
                try:
                    push.send_batch(station.central, station.config(), station.station_id, engine.epoch(), rows, suspects)
                except engine.SyncError:
                    pass
                except Exception as error:  # a connection cut by an earlier step
                    if "connection" not in str(error).lower():
                        raise
                    engine.drop_connection(station.central)

        @rule(index=station)
        def connection_cut(self, index):
            engine.drop_connection(self.stations[index].central)

        @rule(index=station)
        def poisoned_row(self, index):
            station = self.stations[index]
            with station.use():
                database_proxy.execute_sql(
                    "INSERT INTO outbox (table_name, row_id, op, payload, created_at, txn) "
                    "VALUES ('probe', ?, 'insert', '{broken', '2026-11-21T00:00:00.000000Z', -1)", (uuid.uuid4().hex,))

        def _round(self, index, action):
            try:
                action(self.stations[index])
            except engine.SyncError:
                pass  # a cut connection: the next round reconnects

        @invariant()
        def cursors_and_clocks_never_go_backwards(self):
            for i, station in enumerate(self.stations):
                now = station.cursors()
                for stream, seq in now.items():
                    assert seq >= self.cursors[i].get(stream, 0), f"{station.name} cursor {stream} went back"
                self.cursors[i] = now
                with station.use():
                    stamp = hlc.Clock.last()
                assert stamp >= self.clocks[i]
                self.clocks[i] = stamp

        def teardown(self):
            try:
                for _ in range(2):
                    for station in self.stations:
                        station.sync()
                for station in self.stations:
                    station.sync()
                assert_converged(central_url, self.stations, self.ids)
                for station in self.stations:
                    with station.use():
                        local = {row[0] for row in database_proxy.execute_sql("SELECT id FROM probe")}
                    assert local == self.ids
            finally:
                for station in self.stations:
                    station.close()
                database_proxy.initialize(None)

    return SyncMachine


def test_random_writes_syncs_and_faults_converge(central_url):
    run_state_machine_as_test(machine_for(central_url), settings=settings(
        max_examples=3, stateful_step_count=12, deadline=None, derandomize=True,
        suppress_health_check=list(HealthCheck)))


@pytest.mark.slow
def test_random_writes_syncs_and_faults_converge_long(central_url):
    run_state_machine_as_test(machine_for(central_url), settings=settings(
        max_examples=40, stateful_step_count=40, deadline=None, suppress_health_check=list(HealthCheck)))
