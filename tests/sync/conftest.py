"""Sync test fixtures: a fresh PostgreSQL database per test (dropped after), stations as separate SQLite files.

Several stations live in one process by re-binding kiosk.models.database_proxy to the station being
driven (`with station.use(): ...`); each station is its own SQLite file with its own identity.
Rows are written through the real write path (kiosk.services.facts.record) into `probe`, a small
fact table created only in these tests (the sync code is generic over tables).
"""
from __future__ import annotations

import contextlib
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import peewee
import pytest

from kiosk import clock
from kiosk.models import FactModel, database_proxy
from kiosk.models.base import UtcDateTimeField
from kiosk.sync.policy import KINDS, TablePolicy
from kiosk.sync.policy import register as register_table
from tests.conftest import require

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/{db}"
SCHOOL = "demo"


class Probe(FactModel):
    text = peewee.CharField(default="")
    n = peewee.IntegerField(default=0)
    closed_at = UtcDateTimeField(null=True)


# Syncable in these tests: any kind writes it and may change another station's row (so the generic sync
# scenarios run between any two stations); closed_at is set once.
register_table(Probe, TablePolicy(insert=frozenset(KINDS), update_others=frozenset(KINDS), set_once=("closed_at",),
                                  read=frozenset(KINDS)))


def pg_available() -> bool:
    try:
        import psycopg2

        psycopg2.connect(ADMIN_URL.format(db="test"), connect_timeout=3).close()
        return True
    except Exception:
        return False


def admin_execute(sql: str, params=()) -> list:
    import psycopg2

    conn = psycopg2.connect(ADMIN_URL.format(db="test"))
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []
    finally:
        conn.close()


def new_central_database() -> str:
    from kiosk.sync import central

    name = "kiosk_sync_" + uuid.uuid4().hex[:10]
    admin_execute(f'CREATE DATABASE "{name}"')
    url = ADMIN_URL.format(db=name)
    central.init(url)
    return url


def drop_central_database(url: str) -> None:
    from kiosk.sync import station_roles

    name = url.rsplit("/", 1)[1]
    try:
        roles = station_roles.station_roles(url)
    except Exception:
        roles = []
    admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    for role in roles:
        admin_execute(f'DROP ROLE IF EXISTS "{role}"')


@pytest.fixture(autouse=True)
def no_worker_state_from_an_earlier_test():
    """The worker's runtime state (online, last success) is per process: a worker an earlier test ran in this
    process must not show its last success on this test's status bar or admin screen."""
    from kiosk.sync import worker

    with worker._STATE_LOCK:
        worker._RUNTIME.update(online=None, last_error="", last_success=None, next_try=None, started=None,
                               stall_seconds=None, central_outdated=False)
    yield


@pytest.fixture(scope="session")
def shared_central():
    """One initialised central database for the session (dropped at the end). Tests are isolated by school:
    every table, counter and cursor carries school_id, as when a district runs many schools on one server."""
    if not pg_available():
        yield None
        return
    url = new_central_database()
    try:
        yield url
    finally:
        drop_central_database(url)


@pytest.fixture
def central_url(shared_central):
    require(shared_central is not None, "PostgreSQL is not reachable at 127.0.0.1:5432")
    return shared_central


@pytest.fixture
def own_central():
    """A central database of this test's own (for scenarios that re-create or restore it)."""
    require(pg_available(), "PostgreSQL is not reachable at 127.0.0.1:5432")
    url = new_central_database()
    yield url
    drop_central_database(url)


@pytest.fixture
def school() -> str:
    return "sch-" + uuid.uuid4().hex[:10]


@pytest.fixture
def roles(central_url, school):
    """make(name, kind[, station_id]): a station's own database role at central (tests/sync/hostile.py: Role)."""
    from tests.sync.hostile import Role

    made = []

    def make(name: str, kind: str, station_id: str | None = None):
        role = Role(central_url, school, name, kind, station_id if station_id is not None else f"st-{name}")
        made.append(role)
        return role

    yield make
    for role in made:
        role.close()


@dataclass
class Station:
    name: str
    kind: str
    path: Path
    url: str
    school: str = SCHOOL
    db: peewee.SqliteDatabase | None = None
    central: peewee.Database | None = None
    written: dict[str, dict] = field(default_factory=dict)  # row id -> last payload written here
    limits: object | None = None  # kiosk.sync.engine.Limits for its central connection (None: libpq defaults)

    def open(self) -> "Station":
        from kiosk.db import open_database
        from kiosk.sync.central import connect

        self.db = open_database(self.path)
        with self.use():
            if "probe" not in self.db.get_tables():
                Probe.create_table()
        self.central = connect(self.url, **(self.limits.connect_params() if self.limits else {}))
        return self

    @contextlib.contextmanager
    def use(self):
        previous = database_proxy.obj
        database_proxy.initialize(self.db)
        try:
            yield self
        finally:
            if previous is not None:
                database_proxy.initialize(previous)

    def config(self, **overrides):
        from kiosk.sync.engine import SyncConfig

        values = dict(school_id=self.school, station_kind=self.kind, central_url=self.url, batch_size=500, page_size=1000,
                      pull_tables=("probe", "building"))
        if self.limits is not None:
            values["limits"] = self.limits
        values.update(overrides)
        return SyncConfig(**values)

    @property
    def station_id(self) -> str:
        from kiosk.db import ensure_station_identity

        with self.use():
            return ensure_station_identity()

    def actor(self):
        from kiosk.services.actor import Actor

        return Actor(school_id=self.school, station_id=self.station_id, staff_name="test")

    def write(self, count: int = 1, *, per_transaction: int = 1, text: str = "") -> list[str]:
        """`count` new probe rows through the write path, `per_transaction` rows per record()."""
        from kiosk.services.facts import record

        ids = []
        with self.use():
            actor = self.actor()
            remaining = count
            while remaining > 0:
                size = min(per_transaction, remaining)
                with record(actor, "probe.write") as w:
                    for _ in range(size):
                        row = Probe(school_id=self.school, station_id=actor.station_id, recorded_at=clock.now(),
                                    text=text or self.name, n=len(self.written))
                        w.insert(row)
                        ids.append(row.id)
                        self.written[row.id] = {"text": row.text, "n": row.n}
                remaining -= size
        return ids

    def write_bulk(self, count: int, *, per_transaction: int = 100) -> list[str]:
        """Like write() but fast, for big backlogs: the same probe and outbox rows record() would write
        (payload = row snapshot, one txn id per transaction), without the audit chain."""
        from kiosk.ids import new_id

        ids = []
        with self.use():
            sid = self.station_id
            at = clock.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            with database_proxy.atomic():
                for start in range(0, count, per_transaction):
                    rows, outbox = [], []
                    txn = -(start + 1) - len(self.written) * 1000
                    for i in range(start, min(count, start + per_transaction)):
                        row_id = new_id()
                        n = len(self.written)
                        rows.append((row_id, self.school, sid, None, at, self.name, n, None))
                        payload = {"id": row_id, "school_id": self.school, "station_id": sid, "staff_id": None,
                                   "recorded_at": at, "text": self.name, "n": n, "closed_at": None}
                        outbox.append(("probe", row_id, "insert", json.dumps(payload, sort_keys=True), at, txn))
                        self.written[row_id] = {"text": self.name, "n": n}
                        ids.append(row_id)
                    database_proxy.cursor().executemany(
                        "INSERT INTO probe (id, school_id, station_id, staff_id, recorded_at, text, n, closed_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
                    database_proxy.cursor().executemany(
                        "INSERT INTO outbox (table_name, row_id, op, payload, created_at, txn) VALUES (?, ?, ?, ?, ?, ?)", outbox)
        return ids

    def update(self, row_id: str, **values) -> None:
        from kiosk.services.facts import record

        with self.use():
            row = Probe.get_by_id(row_id)
            for key, value in values.items():
                setattr(row, key, value)
            with record(self.actor(), "probe.update") as w:
                w.update(row, *[getattr(Probe, key) for key in values])

    def sync(self, **config):
        from kiosk.sync import engine

        with self.use():
            return engine.sync_once(self.central, self.config(**config))

    def push(self, **kw):
        from kiosk.sync import engine

        with self.use():
            return engine.push(self.central, self.config(), **kw)

    def pull(self):
        from kiosk.sync import engine

        with self.use():
            return engine.pull(self.central, self.config())

    def pending(self) -> int:
        from kiosk.sync import engine

        with self.use():
            return engine.pending_count()

    def probe_rows(self) -> dict[str, tuple]:
        with self.use():
            return {row[0]: tuple(row[1:]) for row in database_proxy.execute_sql(
                'SELECT id, text, n, station_id, closed_at FROM probe')}

    def cursors(self) -> dict[str, int]:
        with self.use():
            return dict(database_proxy.execute_sql('SELECT stream, server_seq FROM sync_cursor'))

    def converged(self) -> dict[str, bool]:
        with self.use():
            return {s: bool(c) for s, c in database_proxy.execute_sql('SELECT stream, converged FROM sync_cursor')}

    def close(self) -> None:
        if self.central is not None:
            self.central.close()
        if self.db is not None and not self.db.is_closed():
            self.db.close()


@pytest.fixture
def make_station(tmp_path, central_url, school):
    stations: list[Station] = []

    def make(name: str, kind: str = "gate", url: str | None = None, path: Path | None = None, limits=None) -> Station:
        station = Station(name=name, kind=kind, path=path or tmp_path / f"{name}.sqlite3", url=url or central_url,
                          school=school, limits=limits).open()
        stations.append(station)
        return station

    yield make
    for station in stations:
        station.close()
    database_proxy.initialize(None)


def central_rows(url: str, school: str, table: str = "probe") -> dict[str, tuple]:
    """row_state for `table` as {row_id: (text, n, station_id, closed_at)}."""
    from kiosk.sync.central import connect

    database = connect(url)
    try:
        return {row_id: (p.get("text"), p.get("n"), p.get("station_id"), p.get("closed_at"))
                for row_id, p in ((r[0], json.loads(r[1])) for r in database.execute_sql(
                    "SELECT row_id, payload::text FROM row_state WHERE school_id = %s AND table_name = %s", (school, table)))}
    finally:
        database.close()


def central_scalar(url: str, sql: str, params=()):
    from kiosk.sync.central import connect

    database = connect(url)
    try:
        return database.execute_sql(sql, params).fetchone()[0]
    finally:
        database.close()


def assert_converged(url: str, stations: list[Station], expected_ids: set[str] | None = None) -> None:
    """The invariants: nothing lost, nothing duplicated, every station equal to central, pending zero."""
    school = stations[0].school
    truth = central_rows(url, school)
    if expected_ids is not None:
        assert set(truth) == expected_ids, f"lost {len(expected_ids - set(truth))}, extra {len(set(truth) - expected_ids)}"
    facts = central_scalar(url, "SELECT count(*) - count(DISTINCT (station_id, epoch, seq)) FROM fact WHERE school_id = %s",
                           (school,))
    assert facts == 0, "a fact was stored twice"
    for station in stations:
        assert station.pending() == 0, f"{station.name}: rows still pending"
        assert station.probe_rows() == truth, f"{station.name} differs from central"
        assert station.converged().get("probe") is True, f"{station.name}: probe stream not verified"
