"""Numbered schema migrations for the station's SQLite database.

Each module `mNNNN_name.py` defines `up(db, migrator)` (a playhouse.migrate.SqliteMigrator).
Table DDL is frozen SQL inside the migration, never generated from today's models, so an old
database upgrades the same way a new one is built; tests/test_migrations.py checks that the
migrated schema matches the models. Applied migrations are listed in `migration_history`.
Numbers reserved: 0001 core, 0002 outbox/local state, 0003 gate visitors, 0004 pass slips,
0005 canteen, 0006 dorm, 0007 sync, 0008 slip conflict reviews, 0009 station names,
0010 overnight-guest approvals, 0012 notifications, 0013 visitor sex (from the ID card),
0014 typed (not scanned) gate scans and crossings.
"""
from __future__ import annotations

import importlib
import pkgutil
from datetime import datetime, timezone

import peewee
from playhouse.migrate import SqliteMigrator


def available() -> list[str]:
    names = [info.name for info in pkgutil.iter_modules(__path__) if info.name.startswith("m")]
    return sorted(names)


def applied(db: peewee.Database) -> set[str]:
    db.execute_sql(
        'CREATE TABLE IF NOT EXISTS "migration_history" ("name" TEXT PRIMARY KEY, "applied_at" TEXT NOT NULL)'
    )
    return {row[0] for row in db.execute_sql('SELECT "name" FROM "migration_history"')}


def run_sql(db: peewee.Database, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            db.execute_sql(statement)


def migrate(db: peewee.Database, upto: str | None = None) -> list[str]:
    """Apply every migration not yet applied (each in its own transaction); returns their names."""
    done = applied(db)
    newly: list[str] = []
    for name in available():
        if upto is not None and name > upto:
            break
        if name in done:
            continue
        module = importlib.import_module(f"{__name__}.{name}")
        with db.atomic():
            module.up(db, SqliteMigrator(db))
            db.execute_sql(
                'INSERT INTO "migration_history" ("name", "applied_at") VALUES (?, ?)',
                (name, datetime.now(timezone.utc).isoformat()),
            )
        newly.append(name)
    return newly
