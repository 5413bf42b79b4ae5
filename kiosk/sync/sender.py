"""The push's sender: central's connection, shared with a thread that sends one batch while the push's own thread
acknowledges the batch before and stamps the one after (kiosk.sync.push), and a way to cut a send short.

The thread is a daemon of its own, not a ThreadPoolExecutor's: interpreter shutdown joins an executor's threads,
so a batch stalled at central (a connection blackholed mid-push, which no server-side timeout can end) held
Ctrl-C on `kiosk sync --once`, or the app's quit, until the watchdog or the TCP stack gave up.
"""
from __future__ import annotations

import os
import socket
import threading
from concurrent.futures import Future
from concurrent.futures import wait as wait_for

# After the connection is cut the sender fails at once; this only bounds the wait for it to notice.
ABORT_WAIT_SECONDS = 2.0


class BatchSender:
    """central's psycopg2 connection for the sender thread: peewee keeps a connection per thread, while a
    psycopg2 connection may be shared between threads (one statement at a time, as here). Errors are raised
    as peewee's, like central.execute_sql raises them, so callers handle both alike."""

    def __init__(self, central) -> None:
        self._connection = central.connection()  # opened in the calling thread if needed

    def execute_sql(self, sql: str, params=()):
        import peewee

        with peewee.__exception_wrapper__:
            cursor = self._connection.cursor()
            cursor.execute(sql, params)
            return cursor

    def submit(self, function, *args) -> Future:
        """`function(*args)` in a daemon thread; its outcome in the returned future."""
        future: Future = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(function(*args))
            except BaseException as error:  # handed to the push's thread, which decides
                future.set_exception(error)

        threading.Thread(target=run, name="kiosk-sync-push", daemon=True).start()
        return future

    def abort(self, in_flight: Future) -> None:
        """The push leaves while a batch is at central (Ctrl-C, the app quitting, an error): shut the
        connection's socket down, so the sender's wait for central's answer ends now instead of when a timeout
        does. The socket is a dup() of libpq's (shutting it down acts on the connection, closing it does not).
        The batch is not acknowledged: the next push sends it again (central answers `duplicate` if it had
        committed it)."""
        try:
            with socket.socket(fileno=os.dup(self._connection.fileno())) as sock:
                sock.shutdown(socket.SHUT_RDWR)
        except (OSError, ValueError):  # already closed: the sender has failed or is about to
            pass
        wait_for([in_flight], timeout=ABORT_WAIT_SECONDS)
