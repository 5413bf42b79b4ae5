from datetime import timedelta
from types import SimpleNamespace

from kiosk import clock, features
from kiosk.services.jobs import run_daily_jobs_if_due


def test_daily_jobs_run_once_per_school_day_and_retry_after_failure(db, settings, frozen_now, monkeypatch):
    calls = []
    state = {"fail": True}

    def purge(settings):
        calls.append("purge")

    def flaky(settings):
        calls.append("flaky")
        if state["fail"]:
            raise OSError("disk busy")

    fake = SimpleNamespace(name="fake", daily_jobs=[purge, flaky])
    monkeypatch.setattr(features, "loaded", lambda: (fake,))
    assert run_daily_jobs_if_due(settings, clock.now()) == ["fake.purge"]  # flaky failed: not marked done
    state["fail"] = False
    assert run_daily_jobs_if_due(settings, clock.now()) == ["fake.purge", "fake.flaky"]
    assert run_daily_jobs_if_due(settings, clock.now()) == []  # same day: nothing
    assert run_daily_jobs_if_due(settings, clock.now() + timedelta(days=1)) == ["fake.purge", "fake.flaky"]
