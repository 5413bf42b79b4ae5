"""Opening the station's SQLite database: pragmas, migrations, station identity.

WAL with synchronous=FULL: a transaction reported as committed survives a killed process
*and* a power cut (station PCs get unplugged); NORMAL would survive only the former.
"""
from __future__ import annotations

import secrets
from pathlib import Path

import peewee

from kiosk import migrations
from kiosk.i18n import UserError
from kiosk.models import LocalState, database_proxy

PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "full",
    "foreign_keys": 1,
    "busy_timeout": 10_000,  # a UI write waits for a sync page to commit rather than failing
    "cache_size": -16_000,
}


class StationDatabase(peewee.SqliteDatabase):
    """SQLite for a station whose disk may fill up.

    A statement or COMMIT the disk cannot take raises StorageError (a UserError: "NOT
    saved, free space"), wherever the transaction was opened (facts.record() or a service's own atomic()).
    SQLite rolls the whole transaction back by itself after such an error; peewee's ROLLBACK (or ROLLBACK TO
    SAVEPOINT) would then fail with "no transaction is active" and hide the real cause, so it is skipped when
    there is nothing left to roll back. The connection stays usable: the next write works once space is back.
    """

    def execute_sql(self, sql, params=None):
        if sql.lstrip().upper().startswith(("ROLLBACK TO SAVEPOINT", "RELEASE SAVEPOINT")) and not self._in_transaction():
            return None  # SQLite already rolled the transaction back, savepoints included
        try:
            return super().execute_sql(sql, params)
        except peewee.OperationalError as error:
            raise _as_storage_error(error) from error

    def commit(self):
        try:
            return super().commit()
        except peewee.OperationalError as error:
            raise _as_storage_error(error) from error

    def rollback(self):
        if not self._in_transaction():
            return None
        return super().rollback()

    def _in_transaction(self) -> bool:
        connection = self._state.conn
        return connection is None or connection.in_transaction  # no connection: peewee says so itself


class StorageError(UserError):
    """The station's disk could not take the fact: nothing of it was written (the transaction rolled back)."""


# SQLite's primary result codes for "the disk is full" (a table, the journal or the WAL cannot grow) and
# "the disk would not write" (the WAL index cannot grow on a full tmpfs is an I/O error, as are failing disks).
SQLITE_FULL, SQLITE_IOERR = 13, 10


def storage_error(error: BaseException) -> StorageError | None:
    """The StorageError a database exception means, or None when it is not the disk (a bug, a constraint)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:  # peewee keeps sqlite3's exception as .orig
        seen.add(id(error))
        code = getattr(error, "sqlite_errorcode", None)
        text = str(error).lower()
        if (code is not None and code & 0xFF == SQLITE_FULL) or "database or disk is full" in text:
            return StorageError("storage.disk_full")
        if (code is not None and code & 0xFF == SQLITE_IOERR) or "disk i/o error" in text:
            return StorageError("storage.disk_error", reason=str(error))
        error = getattr(error, "orig", None) or error.__cause__ or error.__context__
    return None


def _as_storage_error(error: peewee.OperationalError) -> Exception:
    return storage_error(error) or error


def open_database(path: Path | str, *, migrate: bool = True) -> peewee.SqliteDatabase:
    """Open (creating if needed) the database at `path`, bind the models to it and bring it up to date."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = StationDatabase(str(path), pragmas=PRAGMAS, check_same_thread=False)
    db.connect(reuse_if_open=True)
    database_proxy.initialize(db)
    if migrate:
        migrations.migrate(db)
        ensure_station_identity()
    return db


def local_value(key: str, default: str | None = None) -> str | None:
    row = LocalState.get_or_none(LocalState.key == key)
    return row.value if row else default


def set_local_value(key: str, value: str) -> None:
    LocalState.insert(key=key, value=value).on_conflict_replace().execute()


def ensure_station_identity() -> str:
    """A station id generated on first start (never baked into a disk image) and an epoch."""
    with database_proxy.atomic():
        station_id = local_value("station_id")
        if station_id is None:
            station_id = "st-" + secrets.token_hex(6)
            set_local_value("station_id", station_id)
            set_local_value("epoch", "1")
    return station_id


def close_database() -> None:
    db = database_proxy.obj
    if db is not None and not db.is_closed():
        db.close()
