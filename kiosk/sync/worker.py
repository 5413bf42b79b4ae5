"""The background sync worker and the state the status bar shows.

    worker = SyncWorker(settings); worker.start()      # the app does this once (`kiosk sync` runs it in front)
    notify_local_write()                               # the write path may call this: sync now
    sync_state() -> SyncState                          # cheap; the status bar calls it

The worker pushes right after a local write (the event, or noticing the outbox grew within a second),
pulls as soon as central NOTIFYs that another station pushed (kiosk.sync.wake: LISTEN on the sync connection,
no polling of central) and at least every `interval_seconds`. Transport errors are retried with exponential
backoff and jitter (2 s to 5 min).
Watchdog: a round still running after `stall_seconds` has its connection's socket shut down from a second
thread (libpq then fails at once and the next round reconnects): a stall the time limits cannot see (a
connection whose far side vanished while this side waits for an answer) costs one watchdog period, not forever.
The status bar says "sync stalled N min" when the last completed round is older than `stall_seconds`.
stop() (the app quits) shuts the socket of a round in progress down the same way, so a round stalled at central
never keeps the app from exiting; what it had not had acknowledged is sent again at the next start.
"""
from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from kiosk import clock
from kiosk.sync import engine, hlc

log = logging.getLogger(__name__)

BACKOFF_FIRST = 2.0
BACKOFF_MAX = 300.0
POLL_SECONDS = 1.0
CUT_WAIT_SECONDS = 3.0  # after a cut the round fails at once; this only bounds the wait for it

_WRITE_EVENT = threading.Event()
_STATE_LOCK = threading.Lock()
_RUNTIME = {"online": None, "last_error": "", "last_success": None, "next_try": None, "started": None,
            "stall_seconds": None, "central_outdated": False}


def notify_local_write() -> None:
    """Wake the worker: a fact was just written (cheap; safe from any thread)."""
    _WRITE_EVENT.set()


def backoff_delay(failures: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter: 2 s, 4 s, 8 s ... capped at 5 min (pure, for tests)."""
    rng = rng or random
    ceiling = min(BACKOFF_MAX, BACKOFF_FIRST * (2 ** max(0, failures - 1)))
    return max(BACKOFF_FIRST, rng.uniform(ceiling / 2, ceiling))


def stalled_for(now: datetime, last_round: datetime | None, started: datetime | None,
                stall_seconds: float) -> timedelta | None:
    """How long sync has been stalled (pure): the age of the last completed round (of the worker's start if
    none completed yet) once it is older than `stall_seconds`; None while sync is keeping up."""
    since = last_round or started
    if since is None:
        return None
    age = now - since
    return age if age.total_seconds() > stall_seconds else None


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
    stalled: timedelta | None = None  # age of the last completed round, when it is too old
    central_outdated: bool = False  # central needs `kiosk central init` (engine.CentralOutdated)


def _record(online: bool, error: str = "", *, completed_round: bool = False, central_outdated: bool = False) -> None:
    with _STATE_LOCK:
        _RUNTIME["online"] = online
        _RUNTIME["last_error"] = error
        _RUNTIME["central_outdated"] = central_outdated
        if completed_round:
            _RUNTIME["last_success"] = clock.now()


def _record_start(stall_seconds: float) -> None:
    with _STATE_LOCK:
        _RUNTIME.update(online=None, last_error="", last_success=None, started=clock.now(), stall_seconds=stall_seconds,
                        central_outdated=False)


def sync_state(settings=None) -> SyncState:
    """What the status bar shows: online/offline or stalled, records waiting, last success, clock warning."""
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
        started = _RUNTIME["started"]
        stall_seconds = _RUNTIME["stall_seconds"]
        outdated = _RUNTIME["central_outdated"]
    if last_success is None:
        stored = local_value(engine.LAST_PULL_KEY) or local_value(engine.LAST_PUSH_KEY)
        if stored:
            from kiosk.models.base import UtcDateTimeField

            last_success = UtcDateTimeField().python_value(stored)
    stalled = None
    if enabled and stall_seconds is not None and online is not None:
        stalled = stalled_for(now, last_success, started, stall_seconds)
    return SyncState(enabled=enabled, online=online, pending=pending, last_success=last_success, last_error=error,
                     clock_warning=bool(warning), dead_letters=dead, conflicts=conflicts, stalled=stalled,
                     central_outdated=bool(outdated))


class _Watchdog:
    """Shuts down the socket of a round that runs too long. The round's socket is a dup() of libpq's, made
    when the round starts and closed when it ends, so the watchdog can never touch a reused descriptor."""

    def __init__(self, limit_seconds: float) -> None:
        self.limit = limit_seconds
        self._lock = threading.Lock()
        self._since: float | None = None
        self._socket: socket.socket | None = None
        self._halted = False
        self.fired = 0

    def begin(self, raw_connection) -> None:
        with self._lock:
            self._since = time.monotonic()
            self._socket = socket.socket(fileno=os.dup(raw_connection.fileno()))
            if self._halted:  # stop() came as this round was starting: it ends at its first statement
                self._shutdown()

    def halt(self) -> None:
        """The worker stops (the app quits): end the round in progress now. A round stalled at central would
        otherwise keep the app from exiting until the watchdog fired; its unacknowledged rows are sent again
        at the next start."""
        with self._lock:
            self._halted = True
            self._shutdown()

    def _shutdown(self) -> None:
        if self._socket is not None:
            try:
                self._socket.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def end(self) -> None:
        with self._lock:
            self._since = None
            if self._socket is not None:
                self._socket.close()
                self._socket = None

    def check(self) -> bool:
        with self._lock:
            if self._since is None or time.monotonic() - self._since <= self.limit:
                return False
            self._since = None  # once per round
            self._shutdown()
            self.fired += 1
            return True


class SyncWorker(threading.Thread):
    """Runs sync rounds until stop(); owns its SQLite connection (thread-local) and its central connection.
    `kiosk sync` calls run() in the foreground with `on_round`/`on_error` to print each round."""

    def __init__(self, settings, *, config: engine.SyncConfig | None = None,
                 on_round: Callable[[engine.RoundResult], None] | None = None,
                 on_error: Callable[[str, float], None] | None = None) -> None:
        super().__init__(name="kiosk-sync", daemon=True)
        self.settings = settings
        self.config = config or engine.SyncConfig.from_settings(settings)
        self.interval = max(1, int(settings.sync.interval_seconds))
        self.stall_seconds = float(settings.sync.stall_seconds)
        self.on_round = on_round
        self.on_error = on_error
        self._halt = threading.Event()
        self.watchdog = _Watchdog(self.stall_seconds)
        self.rounds = 0
        self.failures = 0

    def stop(self, timeout: float = 10.0) -> None:
        self._cut()
        self.join(timeout)

    def _cut(self) -> None:
        """End the rounds: no new one starts, and the one in progress is cut (its socket shut down)."""
        self._halt.set()
        self.watchdog.halt()
        _WRITE_EVENT.set()

    def run_in_front(self, *, once: bool = False) -> engine.RoundResult | None:
        """`kiosk sync [--once]`: the rounds run in a thread of their own while the calling (main) thread waits,
        so Ctrl-C ends the process at once. A round blocked inside libpq (a stalled pull) cannot see Ctrl-C in
        the thread that runs it: Python runs the signal handler only when libpq returns, which on a stalled
        connection was when the watchdog fired. Here the waiting thread gets it and cuts the round, as stop()
        does; the rows of a cut round are sent or fetched again next time."""
        outcome: Future = Future()

        def work() -> None:
            try:
                outcome.set_result(self.run_once() if once else self.run())
            except BaseException as error:  # handed to the waiting thread, which raises it
                outcome.set_exception(error)

        rounds = threading.Thread(target=work, name="kiosk-sync-front", daemon=True)
        rounds.start()
        try:
            return outcome.result()  # a lock wait: Ctrl-C interrupts it
        except KeyboardInterrupt:
            self._cut()
            rounds.join(CUT_WAIT_SECONDS)
            raise

    def run(self) -> None:
        from kiosk.models import database_proxy
        from kiosk.sync import wake

        _record_start(self.stall_seconds)
        central = engine.connect(self.config)
        listener = wake.Listener(self.config.school_id)
        watcher = threading.Thread(target=self._watch, name="kiosk-sync-watchdog", daemon=True)
        watcher.start()
        wait = 0.0
        last_round = 0.0
        seen_outbox = -1
        central_moved = True
        try:
            while not self._halt.is_set():
                if wait > 0:
                    central_moved = self._wait(central, listener, wait) or central_moved
                    if self._halt.is_set():
                        break
                _WRITE_EVENT.clear()
                try:
                    top = database_proxy.execute_sql('SELECT coalesce(max("seq"), 0) FROM "outbox"').fetchone()[0]
                    due = (top != seen_outbox or central_moved or self.failures
                           or time.monotonic() - last_round >= self.interval)
                    if due:
                        self._round(central, listener)
                        last_round = time.monotonic()
                        seen_outbox = top
                        central_moved = False
                    self.failures = 0
                    wait = POLL_SECONDS
                except Exception as error:  # keep the station working; say so on the status bar
                    self.failures += 1
                    message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
                    _record(False, message, central_outdated=isinstance(error, engine.CentralOutdated))
                    wait = backoff_delay(self.failures)
                    log.warning("sync round failed (%s); retrying in %.0f s", message, wait)
                    if self.on_error is not None:
                        self.on_error(message, wait)
                    engine.drop_connection(central)
                    listener.forget()
        finally:
            self._halt.set()
            engine.drop_connection(central)
            database_proxy.close() if not database_proxy.is_closed() else None

    def run_once(self) -> engine.RoundResult:
        """One watched round in the caller's thread (`kiosk sync --once`, through run_in_front): a stall costs
        `stall_seconds`, not forever. Raises SyncError when central cannot be reached or the round was cut."""
        central = engine.connect(self.config)
        watcher = threading.Thread(target=self._watch, name="kiosk-sync-watchdog", daemon=True)
        watcher.start()
        try:
            return self._round(central, None)
        finally:
            self._halt.set()
            engine.drop_connection(central)

    def _round(self, central, listener) -> engine.RoundResult:
        """One push + pull, watched: LISTEN first (so no wake-up between this round and the next wait is lost)."""
        import peewee

        try:
            self.watchdog.begin(central.connection())  # connects if needed (bounded by the connect timeout)
        except (peewee.OperationalError, peewee.InterfaceError) as error:
            raise engine.SyncError(f"central unreachable: {error}") from error
        try:
            if listener is not None:
                try:
                    listener.ensure(central)
                except (peewee.OperationalError, peewee.InterfaceError) as error:
                    engine.drop_connection(central)
                    raise engine.SyncError(f"central unreachable: {error}") from error
            result = engine.sync_once(central, self.config)
        finally:
            self.watchdog.end()
        self.rounds += 1
        _record(True, completed_round=True)
        if self.on_round is not None:
            self.on_round(result)
        return result

    def _wait(self, central, listener, seconds: float) -> bool:
        """Sleep until a local write, our school's NOTIFY (True), stop, or `seconds`; a dead connection found
        while waiting is dropped here and re-made by the next round (which runs at once: True)."""
        try:
            return listener.wait(seconds, lambda: self._halt.is_set() or _WRITE_EVENT.is_set())
        except Exception as error:  # psycopg2 poll() on a lost connection
            log.info("sync: central connection lost while waiting (%s)", error)
            engine.drop_connection(central)
            listener.forget()
            return True

    def _watch(self) -> None:
        while not self._halt.wait(min(1.0, self.stall_seconds / 4)):
            if self.watchdog.check():
                log.warning("sync: no completed round for %.0f s; dropping the connection and starting again",
                            self.stall_seconds)
