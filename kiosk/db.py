"""Opening the station's SQLite database: pragmas, migrations, station identity.

WAL with synchronous=FULL: a transaction reported as committed survives a killed process
*and* a power cut (station PCs get unplugged); NORMAL would survive only the former.
"""
from __future__ import annotations

import secrets
from pathlib import Path

import peewee

from kiosk import migrations
from kiosk.models import LocalState, database_proxy

PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "full",
    "foreign_keys": 1,
    "busy_timeout": 10_000,  # a UI write waits for a sync page to commit rather than failing
    "cache_size": -16_000,
}


def open_database(path: Path | str, *, migrate: bool = True) -> peewee.SqliteDatabase:
    """Open (creating if needed) the database at `path`, bind the models to it and bring it up to date."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = peewee.SqliteDatabase(str(path), pragmas=PRAGMAS, check_same_thread=False)
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
