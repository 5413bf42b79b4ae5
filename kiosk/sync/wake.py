"""Wake pulls with PostgreSQL LISTEN/NOTIFY instead of polling central's counter.

Central: a trigger on `school_counter` (SQL below, installed by `kiosk central init` beside the schema, kept
out of the push function's body) sends `NOTIFY kiosk_sync, '<school_id>'` whenever a push moves a school's
counter. PostgreSQL delivers it when that push commits, so a listener never wakes before the rows are visible.
Station: `Listener` LISTENs on its own sync connection and waits on that connection's socket; a notification
for its school ends the wait at once, so a row reaches the other stations in one round trip, not one interval.
"""
from __future__ import annotations

import select
import time
from typing import Callable

CHANNEL = "kiosk_sync"

# Separate from kiosk.sync.central.SCHEMA on purpose: the push function stays as it is.
WAKE_SQL = r"""
CREATE OR REPLACE FUNCTION kiosk_sync_wake() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM pg_notify('kiosk_sync', NEW.school_id);
    RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS kiosk_sync_wake ON school_counter;
CREATE TRIGGER kiosk_sync_wake AFTER UPDATE OF server_seq ON school_counter
    FOR EACH ROW WHEN (NEW.server_seq IS DISTINCT FROM OLD.server_seq) EXECUTE FUNCTION kiosk_sync_wake();
"""


def install(cursor) -> None:
    """Create or replace the wake trigger (idempotent; run by `kiosk central init`)."""
    cursor.execute(WAKE_SQL)


class Listener:
    """LISTENs for one school's wake-ups on a peewee PostgresqlDatabase's connection (the caller's thread's)."""

    def __init__(self, school_id: str) -> None:
        self.school_id = school_id
        self._conn = None  # the psycopg2 connection LISTEN was issued on; a reconnect needs a new LISTEN

    def ensure(self, central) -> None:
        """LISTEN on the current connection (again after peewee reconnected)."""
        conn = central.connection()
        if conn is not self._conn:
            central.execute_sql(f"LISTEN {CHANNEL}")
            self._conn = conn

    def forget(self) -> None:
        self._conn = None

    def _drain(self) -> bool:
        """True if another session's push moved our school (our own pushes come from our backend: the
        round that made them needs no second round to see them)."""
        notifies = self._conn.notifies
        own = self._conn.info.backend_pid
        moved = any(note.channel == CHANNEL and note.payload == self.school_id and note.pid != own for note in notifies)
        del notifies[:]
        return moved

    def wait(self, timeout: float, interrupted: Callable[[], bool], tick: float = 0.25) -> bool:
        """Wait up to `timeout` s for our school's notification (True) or until `interrupted()` (checked every
        `tick` s; local writes and stop requests). A lost connection raises from psycopg2's poll()."""
        deadline = time.monotonic() + timeout
        if self._conn is None or self._conn.closed:
            while time.monotonic() < deadline and not interrupted():
                time.sleep(min(tick, max(0.0, deadline - time.monotonic())))
            return False
        while True:
            if self._drain():
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0 or interrupted():
                return False
            readable = select.select([self._conn], [], [], min(tick, remaining))[0]
            if readable:
                self._conn.poll()
