"""One station's sync round against the shared PostgreSQL: push (kiosk.sync.push), then pull (kiosk.sync.pull).

Works on whatever station database is bound to `kiosk.models.database_proxy` (the caller's thread
has its own SQLite connection) and a peewee PostgresqlDatabase from `connect(config)` (with the time limits).

Push: the oldest unacknowledged outbox rows (never splitting one local transaction) get their HLC
stamp saved locally first, go to central's `sync_push` in one call (one transaction there), and are
marked acknowledged only after central answered. A lost answer means a harmless resend.
Pull: per stream (a table name) a cursor on server_seq; each page is applied in one local transaction
together with its cursor; after catching up, count + checksum are compared with central and a
mismatch triggers a full refetch applied in one transaction.
Pull runs only after a complete push: a row's HLC stamp is fixed at push time from the wall time it was
written, and this order guarantees no remote stamp received after the write can inflate it.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from kiosk.sync.apply import PullResult
from kiosk.sync.central import SCHEMA_VERSION
from kiosk.sync.central import connect as connect_central
from kiosk.sync.local import LAST_PULL_KEY, LAST_PUSH_KEY, SyncConfig, SyncError, epoch, pending_count, station_id
from kiosk.sync.pull import pull
from kiosk.sync.push import PushResult, push

# The station-side API the worker, the CLI and the bench use, in one place.
__all__ = ["LAST_PULL_KEY", "LAST_PUSH_KEY", "CentralOutdated", "PullResult", "PushResult", "RoundResult", "SyncConfig",
           "SyncError", "check_schema", "connect", "drop_connection", "epoch", "pending_count", "pull", "push", "station_id", "sync_once"]

log = logging.getLogger(__name__)


def connect(config: SyncConfig):
    """The station's connection to central, with its time limits (peewee reconnects with the same ones)."""
    return connect_central(config.central_url, **config.limits.connect_params())


class CentralOutdated(SyncError):
    """Central was set up by an older version (or not at all): an administrator must run `kiosk central init`
    there. Its text is translated when shown (status bar, CLI), in the language of the moment."""

    def __init__(self, found: int) -> None:
        super().__init__(found)
        self.found = found

    def __str__(self) -> str:
        from kiosk.i18n import t

        return t("sync.central_outdated_detail", found=self.found, needed=SCHEMA_VERSION)


def check_schema(central) -> None:
    """Raise CentralOutdated unless central's stored schema version is at least this station's: checked before
    anything is sent, so no row is judged by an older central's rules and no raw SQL error reaches the screen."""
    import peewee

    try:
        row = central.execute_sql("SELECT value FROM sync_meta WHERE key = 'schema_version'").fetchone()
    except peewee.ProgrammingError as error:  # no sync_meta: never initialised
        if getattr(error.__context__, "pgcode", None) != "42P01":
            raise
        raise CentralOutdated(0) from error
    found = int(row[0]) if row and str(row[0]).isdigit() else 0
    if found < SCHEMA_VERSION:
        raise CentralOutdated(found)


@dataclass(frozen=True)
class RoundResult:
    push: PushResult
    pull: PullResult | None
    seconds: float


def sync_once(central, config: SyncConfig, *, pull_after: bool = True) -> RoundResult:
    """Push everything pending, then pull (only after a complete push; see the module notes).
    A lost connection closes it (the next round reconnects) and raises SyncError."""
    import peewee

    started = time.perf_counter()
    try:
        check_schema(central)
        pushed = push(central, config)
        pulled = pull(central, config) if pull_after else None
    except (peewee.OperationalError, peewee.InterfaceError) as error:
        drop_connection(central)
        raise SyncError(f"central unreachable: {str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__}") from error
    except peewee.ProgrammingError as error:
        if getattr(error.__context__, "pgcode", None) != "42501":  # peewee re-raises psycopg2's error as its own
            raise
        # Central refused this station (not bound yet, bound to another id, removed): a person must act.
        raise SyncError(f"central refused this station: {str(error).strip().splitlines()[0]}") from error
    return RoundResult(pushed, pulled, time.perf_counter() - started)


def drop_connection(central) -> None:
    try:
        central.close()
    except Exception:  # a dead connection may fail to close; it is gone either way
        pass
