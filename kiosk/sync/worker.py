"""The background sync worker and the state the status bar shows.

    worker = SyncWorker(settings); worker.start()      # the app does this once
    notify_local_write()                               # the write path may call this: sync now
    sync_state() -> SyncState                          # cheap; the status bar calls it

The worker pushes right after a local write (the event, or noticing the outbox grew within a second),
pulls when central's counter moved (a one-row query every `POLL_SECONDS`) and at least every
`interval_seconds`. Transport errors are retried with exponential backoff and jitter (2 s to 5 min).
"""
from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from kiosk import clock
from kiosk.sync import engine, hlc

log = logging.getLogger(__name__)

BACKOFF_FIRST = 2.0
BACKOFF_MAX = 300.0
POLL_SECONDS = 1.0

_WRITE_EVENT = threading.Event()
_STATE_LOCK = threading.Lock()
_RUNTIME = {"online": None, "last_error": "", "last_success": None, "next_try": None}


def notify_local_write() -> None:
    """Wake the worker: a fact was just written (cheap; safe from any thread)."""
    _WRITE_EVENT.set()


def backoff_delay(failures: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter: 2 s, 4 s, 8 s ... capped at 5 min (pure, for tests)."""
    rng = rng or random
    ceiling = min(BACKOFF_MAX, BACKOFF_FIRST * (2 ** max(0, failures - 1)))
    return max(BACKOFF_FIRST, rng.uniform(ceiling / 2, ceiling))


@dataclass(frozen=True)
class SyncState:
    enabled: bool  # a central URL is configured
    online: bool | None  # None: not tried yet
    pending: int
    last_success: datetime | None
    last_error: str
    clock_warning: bool
    dead_letters: int
    conflicts: int


def _record(online: bool, error: str = "") -> None:
    with _STATE_LOCK:
        _RUNTIME["online"] = online
        _RUNTIME["last_error"] = error
        if online:
            _RUNTIME["last_success"] = clock.now()


def sync_state(settings=None) -> SyncState:
    """What the status bar shows: online/offline, records waiting, last success, clock warning."""
    from kiosk.db import local_value
    from kiosk.models import database_proxy

    enabled = bool(settings.sync.central_url) if settings is not None else True
    pending = engine.pending_count()
    dead = database_proxy.execute_sql('SELECT count(*) FROM "sync_dead_letter"').fetchone()[0]
    conflicts = database_proxy.execute_sql('SELECT count(*) FROM "sync_conflict"').fetchone()[0]
    offset = local_value(hlc.OFFSET_KEY)
    now = clock.now()
    warning = now < hlc.EARLIEST_PLAUSIBLE or (offset is not None and abs(int(offset)) > hlc.SUSPECT_MS)
    with _STATE_LOCK:
        last_success = _RUNTIME["last_success"]
        online = _RUNTIME["online"]
        error = _RUNTIME["last_error"]
    if last_success is None:
        stored = local_value(engine.LAST_PULL_KEY) or local_value(engine.LAST_PUSH_KEY)
        if stored:
            from kiosk.models.base import UtcDateTimeField

            last_success = UtcDateTimeField().python_value(stored)
    return SyncState(enabled=enabled, online=online, pending=pending, last_success=last_success, last_error=error,
                     clock_warning=bool(warning), dead_letters=dead, conflicts=conflicts)


class SyncWorker(threading.Thread):
    """Runs sync rounds until stop(); owns its SQLite connection (thread-local) and its central connection."""

    def __init__(self, settings, *, config: engine.SyncConfig | None = None) -> None:
        super().__init__(name="kiosk-sync", daemon=True)
        self.settings = settings
        self.config = config or engine.SyncConfig.from_settings(settings)
        self.interval = max(1, int(settings.sync.interval_seconds))
        self._halt = threading.Event()
        self.rounds = 0
        self.failures = 0

    def stop(self, timeout: float = 10.0) -> None:
        self._halt.set()
        _WRITE_EVENT.set()
        self.join(timeout)

    def run(self) -> None:
        from kiosk.models import database_proxy
        from kiosk.sync import central as central_db

        central = central_db.connect(self.config.central_url)
        wait = 0.0
        last_round = 0.0
        seen_outbox = -1
        seen_counter = -1
        try:
            while not self._halt.is_set():
                if wait > 0:
                    _WRITE_EVENT.wait(wait)
                    if self._halt.is_set():
                        break
                _WRITE_EVENT.clear()
                try:
                    top = database_proxy.execute_sql('SELECT coalesce(max("seq"), 0) FROM "outbox"').fetchone()[0]
                    counter = self._central_counter(central)
                    due = (top != seen_outbox or counter != seen_counter or self.failures
                           or time.monotonic() - last_round >= self.interval)
                    if due:
                        engine.sync_once(central, self.config)
                        self.rounds += 1
                        last_round = time.monotonic()
                        seen_outbox = top
                        seen_counter = self._central_counter(central)
                    self.failures = 0
                    _record(True)
                    wait = POLL_SECONDS
                except Exception as error:  # keep the station working; say so on the status bar
                    self.failures += 1
                    message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
                    _record(False, message)
                    wait = backoff_delay(self.failures)
                    log.warning("sync round failed (%s); retrying in %.0f s", message, wait)
                    engine._drop_connection(central)
        finally:
            engine._drop_connection(central)
            database_proxy.close() if not database_proxy.is_closed() else None

    def _central_counter(self, central) -> int:
        import peewee

        try:
            row = central.execute_sql("SELECT server_seq FROM school_counter WHERE school_id = %s",
                                      (self.config.school_id,)).fetchone()
        except (peewee.OperationalError, peewee.InterfaceError) as error:
            raise engine.SyncError(f"central unreachable: {error}") from error
        return row[0] if row else 0
