"""Shared fixtures: every test gets its own file database, its own XDG dirs and a frozen clock if it asks."""
from __future__ import annotations

import os
import shutil
from datetime import datetime, timedelta, timezone

import pytest

from kiosk import clock, i18n
from kiosk.config import Settings

# Wednesday 2026-11-18 10:00 in Shanghai: mid-week, closed management in force.
WEDNESDAY_10AM = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)


def require(condition: bool, reason: str) -> None:
    """Skip when a real part (PostgreSQL, tmux) is missing, but fail under CI, where it must be there."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def pytest_collection_modifyitems(config, items):
    """The files of the longest tests (marker `long`) first: pytest-xdist hands each file to one worker in
    collection order, and a 100 s test collected last kept one worker busy while the other sat idle."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)  # stable: the rest keep their order


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory, monkeypatch):
    """Keep the developer's own config, data and KIOSK_* variables out of tests."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    for name in list(os.environ):
        if name.startswith("KIOSK_"):
            monkeypatch.delenv(name)
    # Cheap scrypt in tests: the cost parameter is stored in each hash, so checks still work.
    monkeypatch.setattr("kiosk.services.auth.SCRYPT_N", 2**8)
    i18n.set_language("zh-CN")
    yield
    clock.freeze(None)
    clock.set_offset(timedelta(0))  # a scripted clock (KIOSK_CLOCK) set by one test must not leak into the next
    i18n.set_language("zh-CN")


@pytest.fixture
def settings(tmp_path) -> Settings:
    value = Settings()
    value.database.path = str(tmp_path / "station.sqlite3")
    value.printer.output_dir = str(tmp_path / "labels")
    return value


@pytest.fixture
def db(settings):
    from kiosk.db import close_database, open_database

    database = open_database(settings.database_path())
    yield database
    close_database()


@pytest.fixture
def frozen_now():
    clock.freeze(WEDNESDAY_10AM)
    return WEDNESDAY_10AM


@pytest.fixture
def demo_school(db, settings, frozen_now):
    """A small deterministic demo school (same generator as `kiosk demo`, fewer students)."""
    from kiosk.services.demo import create_demo_school

    create_demo_school(settings, seed=7, scale="small")
    return settings


@pytest.fixture
def have_tmux() -> str:
    path = shutil.which("tmux")
    require(path is not None, "tmux is not installed")
    return path
