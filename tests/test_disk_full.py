"""A station whose disk fills up: on a real small filesystem (a size-limited tmpfs this test mounts).

The fact that does not fit is refused with a message saying it was NOT saved; every fact reported saved
is still there, nothing of the refused one is (row, outbox, audit), and once space is freed the very
same connection records again without a restart.
"""
from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import pytest

from kiosk.i18n import UserError, t_in
from kiosk.models import AuditEntry, Outbox, School
from kiosk.services.actor import Actor
from kiosk.services.facts import record, verify_audit_chain
from tests.conftest import require

ACTOR = Actor(school_id="demo", station_id="st-test", staff_id="s1")
DISK_BYTES = 16 * 1024 * 1024


@pytest.fixture
def small_disk():
    """A 16 MiB tmpfs mounted for this test (root only; containers without mount rights skip, CI fails)."""
    require(os.geteuid() == 0, "mounting a small tmpfs needs root")
    folder = Path(tempfile.mkdtemp(prefix="kiosk-small-disk-"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES},mode=0755", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        folder.rmdir()
    require(mounted.returncode == 0, f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        from kiosk.db import close_database
        close_database()
        subprocess.run(["umount", "-l", str(folder)], check=False)
        folder.rmdir()


def fill(folder: Path) -> Path:
    """Take every free byte of the filesystem with one file; returns it (delete it to free the space)."""
    filler = folder / "filler.bin"
    with open(filler, "wb", buffering=0) as handle:
        for chunk in (65536, 512):  # big blocks, then the last partial ones
            try:
                while handle.write(b"\0" * chunk):
                    pass
            except OSError as error:
                assert error.errno == errno.ENOSPC
    return filler


def add_school(index: int) -> str:
    school_id = f"school-{index:05d}"
    with record(ACTOR, "school.add", entity="school", entity_id=school_id, detail={"note": "备注" * 200}) as w:
        w.insert(School(id=school_id, name="学校" + "名" * 300, timezone="Asia/Shanghai"))
    return school_id


def test_a_full_disk_refuses_the_fact_loses_nothing_and_recovers_by_itself(small_disk):
    from kiosk.db import close_database, open_database

    path = small_disk / "station.sqlite3"
    open_database(path)
    saved = [add_school(0)]
    filler = fill(small_disk)

    refused = None
    for index in range(1, 5000):  # the WAL's spare room is used first; then a fact no longer fits
        try:
            saved.append(add_school(index))
        except UserError as error:
            refused = (index, error)
            break
    assert refused is not None, "the disk never filled up"
    index, error = refused
    assert error.key == "storage.disk_full"
    assert "没有保存" in t_in("zh-CN", error.key) and "NOT saved" in t_in("en", error.key)

    # nothing half-written: no row, no outbox entry, no audit entry of the refused fact; the rest intact
    refused_id = f"school-{index:05d}"
    assert School.get_or_none(School.id == refused_id) is None
    assert Outbox.select().where(Outbox.row_id == refused_id).count() == 0
    assert [s.id for s in School.select().order_by(School.id)] == saved
    assert AuditEntry.select().count() == len(saved)
    assert verify_audit_chain() is None
    with pytest.raises(UserError):  # still full: still refused, still nothing written
        add_school(index)
    assert School.select().count() == len(saved)
    # the station restarted while the disk is full (the closing checkpoint cannot grow the database file):
    # everything reported saved is still there
    close_database()
    open_database(path)
    assert [s.id for s in School.select().order_by(School.id)] == saved and verify_audit_chain() is None

    filler.unlink()  # space is back: the same running station records again, no restart
    saved.append(add_school(index))
    assert School.get_by_id(refused_id) is not None and verify_audit_chain() is None
    close_database()

    # and on disk, read by plain sqlite3: a sound database holding every saved fact
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert [row[0] for row in check.execute("SELECT id FROM school ORDER BY id")] == saved


def test_other_database_errors_are_not_reported_as_a_full_disk(db):
    import peewee

    with pytest.raises(peewee.OperationalError):  # a program error stays a program error (logged, red banner)
        with record(ACTOR, "broken") as w:
            w.insert(School(id="x", name="x", timezone="Asia/Shanghai"))
            db.execute_sql("INSERT INTO no_such_table VALUES (1)")
    assert School.select().count() == 0


async def test_the_operator_is_told_the_login_was_not_saved_and_it_works_once_space_is_back(small_disk, settings,
                                                                                           frozen_now):
    """Through the screen: a write in a service's own transaction (the login's audit entry), refused at COMMIT."""
    from kiosk.db import close_database, open_database
    from kiosk.screens.login import LoginScreen
    from kiosk.services.demo import create_demo_school
    from kiosk.widgets.message_line import MessageLine
    from tests.ui_helpers import login, settle, start_app

    settings.database.path = str(small_disk / "station.sqlite3")
    open_database(settings.database_path())
    create_demo_school(settings, seed=7, scale="small")
    close_database()  # the last connection checkpoints and removes the WAL: no spare room left in it
    open_database(settings.database_path())
    logins_before = AuditEntry.select().where(AuditEntry.action == "auth.login").count()
    filler = fill(small_disk)
    async with start_app(settings, "gate") as (app, pilot):
        await login(pilot, "A001", "888888")
        assert isinstance(app.screen, LoginScreen)  # not logged in: the login could not be recorded
        line = app.screen.query_one(MessageLine)
        assert "磁盘已满" in line.text and "没有保存" in line.text and line.has_class("-error")
        assert AuditEntry.select().where(AuditEntry.action == "auth.login").count() == logins_before
        filler.unlink()
        await pilot.press("enter")  # the same attempt again (number and PIN are still in the form)
        await settle(pilot)
        assert not isinstance(app.screen, LoginScreen), app.screen.query_one(MessageLine).text
    assert AuditEntry.select().where(AuditEntry.action == "auth.login").count() == logins_before + 1
    assert verify_audit_chain() is None


def test_sqlite_errors_are_read_as_disk_full_disk_failing_or_not_the_disk():
    import peewee

    from kiosk.db import storage_error

    def wrapped(message, kind=peewee.OperationalError, original=sqlite3.OperationalError):
        error = original(message)
        return kind(error, *error.args)  # as peewee's exception wrapper raises them (sqlite3's kept as .orig)

    assert storage_error(wrapped("database or disk is full")).key == "storage.disk_full"
    failing = storage_error(wrapped("disk I/O error"))
    assert failing.key == "storage.disk_error" and "disk I/O error" in str(failing)
    assert storage_error(wrapped("no such table: x")) is None
    assert storage_error(wrapped("UNIQUE constraint failed", peewee.IntegrityError, sqlite3.IntegrityError)) is None
