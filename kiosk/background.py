"""One background worker thread per process, started on demand (the sync worker, the notification delivery).

A feature keeps a `WorkerSlot` and declares its `on_app_start` / `on_app_stop` as its hooks: a start without what
the worker needs (`enabled(settings)` false: no central URL, no channel) does nothing, a second start returns the
running worker, a worker that died is replaced, and `stop()` stops it and empties the slot.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Protocol


class Worker(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def is_alive(self) -> bool: ...


class WorkerSlot:
    def __init__(self, make: Callable[[Any], Worker], enabled: Callable[[Any], bool] = lambda settings: True):
        self._make = make  # settings -> a worker not started yet
        self._enabled = enabled
        self._worker: Worker | None = None
        self._lock = threading.Lock()

    @property
    def worker(self) -> Worker | None:
        return self._worker

    def start(self, settings) -> Worker | None:
        """The running worker, started if need be; None when the settings do not enable it."""
        if not self._enabled(settings):
            return None
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = self._make(settings)
                self._worker.start()
            return self._worker

    def stop(self) -> None:
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is not None:
            worker.stop()

    def on_app_start(self, ctx) -> None:
        """A feature's hook: a station app starts the worker with it."""
        self.start(ctx.settings)

    def on_app_stop(self, ctx) -> None:
        self.stop()
