"""kiosk.background.WorkerSlot: the one "start the worker once per process" the sync and notify features share."""
from __future__ import annotations

import threading

from kiosk.background import WorkerSlot


class FakeWorker:
    made: list["FakeWorker"] = []

    def __init__(self, settings):
        self.settings, self.started, self.stopped, self.alive = settings, 0, 0, False
        FakeWorker.made.append(self)

    def start(self):
        self.started += 1
        self.alive = True

    def stop(self):
        self.stopped += 1
        self.alive = False

    def is_alive(self):
        return self.alive


def test_a_slot_starts_one_worker_replaces_a_dead_one_and_stops_it():
    FakeWorker.made.clear()
    slot = WorkerSlot(FakeWorker)
    first = slot.start("settings")
    assert slot.start("settings") is first and first.started == 1 and slot.worker is first
    first.alive = False  # the thread died
    second = slot.start("settings")
    assert second is not first and second.started == 1
    slot.stop()
    assert second.stopped == 1 and slot.worker is None
    slot.stop()  # stopping an empty slot does nothing
    assert len(FakeWorker.made) == 2


def test_a_slot_not_enabled_by_the_settings_starts_nothing():
    FakeWorker.made.clear()
    slot = WorkerSlot(FakeWorker, enabled=lambda settings: settings == "with a central URL")
    assert slot.start("without") is None and slot.worker is None and not FakeWorker.made
    assert slot.start("with a central URL") is FakeWorker.made[0]


def test_concurrent_starts_make_one_worker():
    FakeWorker.made.clear()
    slot = WorkerSlot(FakeWorker)
    threads = [threading.Thread(target=slot.start, args=("settings",)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(FakeWorker.made) == 1


def test_the_sync_and_notify_features_keep_their_workers_in_slots():
    from kiosk.features import notify, sync

    assert isinstance(sync._WORKER, WorkerSlot) and isinstance(notify._WORKER, WorkerSlot)
    assert sync.FEATURE.on_app_start == sync._WORKER.on_app_start
    assert notify.FEATURE.on_app_stop == notify._WORKER.on_app_stop
