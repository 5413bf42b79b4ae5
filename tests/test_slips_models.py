"""Pass-slip tables: the frozen migration matches the models; the dorm's "who is out at T" query."""
from __future__ import annotations

from datetime import timedelta

import peewee

from kiosk.models import Student, database_proxy
from kiosk.models.slips import SLIP_MODELS, GateCrossing
from kiosk.services.actor import Actor
from kiosk.services.facts import record
from kiosk.services.slip_queries import students_out


def _columns(db, table):
    return [(row[1], row[2].upper(), row[3], row[5]) for row in db.execute_sql(f'PRAGMA table_info("{table}")')]


def _indexes(db, table):
    out = set()
    for row in db.execute_sql(f'PRAGMA index_list("{table}")'):
        cols = tuple(r[2] for r in db.execute_sql(f'PRAGMA index_info("{row[1]}")'))
        out.add((cols, bool(row[2])))
    return out


def test_migration_matches_models(db, tmp_path):
    fresh = peewee.SqliteDatabase(str(tmp_path / "fresh.sqlite3"))
    database_proxy.initialize(fresh)
    try:
        from kiosk.models import CORE_MODELS
        fresh.create_tables(CORE_MODELS + SLIP_MODELS)
        for model in SLIP_MODELS:
            table = model._meta.table_name
            assert _columns(db, table) == _columns(fresh, table), table
            assert _indexes(db, table) == _indexes(fresh, table), table
    finally:
        fresh.close()
        database_proxy.initialize(db)


def _cross(actor, student, direction, kind, at, slip_id=None, return_by=None):
    with record(actor, "slip.test_crossing") as w:
        w.insert(GateCrossing(school_id=actor.school_id, station_id=actor.station_id, staff_id=None, recorded_at=at,
                              student=student, direction=direction, kind=kind, slip_id=slip_id, at=at,
                              return_by=return_by))


def test_students_out_at_time(demo_school, frozen_now):
    actor = Actor(school_id="demo", station_id="gate-test")
    GateCrossing.delete().execute()  # start from no crossings (the demo seeds some); test-only shortcut
    boarders = list(Student.select().where(Student.boarder == True).limit(3))  # noqa: E712
    day = Student.select().where(Student.boarder == False).first()  # noqa: E712
    t0 = frozen_now
    _cross(actor, boarders[0], "exit", "slip", t0, "slip-a", t0 + timedelta(hours=5))
    _cross(actor, boarders[1], "exit", "slip", t0, "slip-b", t0 + timedelta(hours=1))
    _cross(actor, boarders[1], "return", "slip", t0 + timedelta(hours=2), "slip-b")
    _cross(actor, boarders[2], "exit", "verbal_exception", t0 + timedelta(minutes=30))
    _cross(actor, day, "exit", "day_card", t0)

    assert students_out("demo", t0 - timedelta(minutes=1)) == []
    at_1h = {o.student_id: o for o in students_out("demo", t0 + timedelta(hours=1))}
    assert set(at_1h) == {boarders[0].id, boarders[1].id, boarders[2].id}
    assert not at_1h[boarders[1].id].overdue
    at_90 = {o.student_id: o for o in students_out("demo", t0 + timedelta(minutes=90))}
    assert at_90[boarders[1].id].overdue
    at_3h = {o.student_id for o in students_out("demo", t0 + timedelta(hours=3))}
    assert at_3h == {boarders[0].id, boarders[2].id}
