"""A throwaway demo school for the harnesses that need a database (scan, roster, canteen).

Built once per process in a temporary folder, the way tests/conftest.py builds `demo_school`: a small
deterministic demo (seed 7) created with the clock frozen at Wednesday 10:00 Shanghai time, so slips,
crossings and samples exist. The clock is unfrozen again afterwards; harnesses pass `now` where the
verdict depends on it.

`school()` also re-binds the models to this database when something else (a pytest fixture) opened
another one in between, so the harnesses can run inside the default test suite.
"""
from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

# Wednesday 2026-11-18 10:00 in Shanghai: mid-week, closed management in force (as in tests/conftest.py).
WEDNESDAY_10AM = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class School:
    settings: object  # kiosk.config.Settings
    database: object  # peewee.SqliteDatabase
    folder: Path
    actor: object  # kiosk.services.actor.Actor: a gatekeeper
    slip_codes: tuple[str, ...]  # every slip the demo issued (signed with this school's key)
    foreign_codes: tuple[str, ...]  # slips signed by another school's key, for the same students
    student_numbers: tuple[str, ...]
    sample_codes: tuple[str, ...]  # canteen label codes (12 characters)


_school: School | None = None


def _build() -> School:
    from kiosk import clock
    from kiosk.config import Settings
    from kiosk.db import open_database
    from kiosk.services import auth

    folder = Path(tempfile.mkdtemp(prefix="kiosk-fuzz-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    settings = Settings()
    settings.database.path = str(folder / "station.sqlite3")
    settings.printer.output_dir = str(folder / "labels")
    database = open_database(settings.database_path())

    from kiosk.services.demo import create_demo_school

    cost, auth.SCRYPT_N = auth.SCRYPT_N, 2**8  # cheap PIN hashes for 35 demo staff, as the tests do
    clock.freeze(WEDNESDAY_10AM)
    try:
        create_demo_school(settings, seed=7, scale="small")
    finally:
        clock.freeze(None)
        auth.SCRYPT_N = cost

    from kiosk.db import ensure_station_identity
    from kiosk.models import Staff, Student
    from kiosk.models.canteen import Sample
    from kiosk.models.slips import PassSlip
    from kiosk.services.actor import Actor

    gatekeeper = Staff.select().where(Staff.roles.contains("gatekeeper")).first()
    actor = Actor(school_id=settings.school.id, station_id=ensure_station_identity(), staff_id=gatekeeper.id,
                  staff_number=gatekeeper.number, staff_name=gatekeeper.name, roles=frozenset({"gatekeeper"}))
    slips = list(PassSlip.select().order_by(PassSlip.id))
    return School(
        settings=settings, database=database, folder=folder, actor=actor,
        slip_codes=tuple(slip.code for slip in slips),
        foreign_codes=tuple(_foreign_code(slip) for slip in slips),
        student_numbers=tuple(number for (number,) in Student.select(Student.number).order_by(Student.number).tuples()),
        sample_codes=tuple(code for (code,) in Sample.select(Sample.label_code).order_by(Sample.id).tuples()),
    )


def _foreign_code(slip) -> str:
    """The same slip as another school's office would sign it: same key id, different key."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from kiosk.services import slip_codec

    other = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    body = slip_codec.pack(slip_codec.SlipPayload(
        key_id=slip.key_id, slip_id=slip.id, student_number=slip.student_number, leave_from=slip.leave_from,
        leave_to=slip.leave_to, return_by=slip.return_by))
    return slip_codec.encode_bytes(body, other.sign(body))


def school() -> School:
    """The process's demo school, with the models bound to its database."""
    global _school
    if _school is None:
        _school = _build()
    from kiosk.models import database_proxy

    if database_proxy.obj is not _school.database:
        database_proxy.initialize(_school.database)
    if _school.database.is_closed():
        _school.database.connect()
    return _school
