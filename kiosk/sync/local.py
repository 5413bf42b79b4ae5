"""The station's side of sync: its settings, identity, local state and which tables it syncs.

The station's SQLite database is whatever `kiosk.models.database_proxy` is bound to in the caller's thread.
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from kiosk import clock
from kiosk.models import database_proxy
from kiosk.sync import hlc, policy
from kiosk.sync.limits import Limits

# Station-local tables: never pushed, never pulled.
LOCAL_TABLES = {"audit_entry", "local_state", "outbox", "login_state", "migration_history",
                "sync_cursor", "sync_row_version", "sync_dead_letter", "sync_conflict"}
CONFLICT_STREAM = "@conflict"

EPOCH_KEY = "epoch"
SERVER_EPOCH_KEY = "sync_server_epoch"
LAST_PUSH_KEY = "sync_last_push"
LAST_PULL_KEY = "sync_last_pull"
LAST_CREATED_KEY = "sync_last_created_ms"


class SyncError(Exception):
    """Central cannot be reached or refused the request; the caller retries later."""


@dataclass(frozen=True)
class SyncConfig:
    school_id: str
    station_kind: str
    central_url: str
    batch_size: int = 1000
    page_size: int = 5000
    pull_tables: tuple[str, ...] = ()  # override pull_patterns() for this station
    limits: Limits = Limits()

    @classmethod
    def from_settings(cls, settings) -> "SyncConfig":
        return cls(school_id=settings.school.id, station_kind=settings.station.kind,
                   central_url=settings.sync.central_url, batch_size=settings.sync.batch_size,
                   page_size=settings.sync.page_size, pull_tables=tuple(settings.sync.pull_tables),
                   limits=Limits.from_settings(settings.sync))


def value(key: str, default: str | None = None) -> str | None:
    from kiosk.db import local_value

    return local_value(key, default)


def set_value(key: str, value: str) -> None:
    from kiosk.db import set_local_value

    set_local_value(key, value)


def station_id() -> str:
    from kiosk.db import ensure_station_identity

    return ensure_station_identity()


def epoch() -> int:
    return int(value(EPOCH_KEY, "1") or 1)


def write_transaction():
    """A local write transaction that takes the write lock up front (IMMEDIATE): in WAL mode a transaction
    that read first and writes later fails at once if a UI write committed meanwhile, while an IMMEDIATE
    one waits its turn (busy_timeout), like kiosk.services.facts.record does."""
    if database_proxy.transaction_depth() == 0:
        return database_proxy.atomic("IMMEDIATE")
    return database_proxy.atomic()


def pending_count() -> int:
    return database_proxy.execute_sql('SELECT count(*) FROM "outbox" WHERE "acked_at" IS NULL').fetchone()[0]


def synced_tables() -> list[str]:
    """Every local table that can hold synced rows: the model registry's (core first), then any other
    table the station's migrations created (generic: no table is named here)."""
    from kiosk.models import all_models

    names: list[str] = []
    for model in all_models():
        name = model._meta.table_name
        if name not in LOCAL_TABLES and name not in names:
            names.append(name)
    present = set(database_proxy.get_tables())
    extra = sorted(present - set(names) - LOCAL_TABLES)
    return [name for name in names if name in present] + [name for name in extra if not name.startswith("sqlite_")]


def streams_for(config: SyncConfig) -> list[str]:
    patterns = config.pull_tables or policy.pull_patterns(config.station_kind)
    return [name for name in synced_tables() if any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)]


def measure_clock_offset(central) -> int:
    """Central's clock minus ours (ms), remembered for the clock warning and the clock_suspect flag."""
    server_ms = central.execute_sql("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint").fetchone()[0]
    offset = int(server_ms) - hlc.to_ms(clock.now())
    with write_transaction():
        set_value(hlc.OFFSET_KEY, str(offset))
    return offset

