"""The one database every history-dependent benchmark runs on: 5 years of a 5,000-student school.

`five_year_school()` builds it once and caches it under `var/bench-cache/` (git-ignored), keyed by
GENERATOR_VERSION, the newest migration, the scale, the years and the seed: change what the generator
writes -> bump the version.

How it is made:
1. The school itself comes from the product's demo code: `create_demo_school(scale="bench")` writes the
   school, 4 dorm buildings of ~600 beds, ~5,000 students, staff with their PINs, and every feature's
   `seed_demo` week of history (slips in every state, visits, headcounts, samples), all through the write
   path (audit chain, outbox). Then `write_slip` issues today's slips (the slip scan benchmark's codes),
   signed with the demo's office key, also through the write path.
2. The years before that week are bulk history, written with raw executemany in one transaction (fixture
   data, not facts: no audit entries or outbox rows; as if pushed and audited long ago). It follows the
   school calendar (terms, weekdays, closed management Monday to Friday) and the product's own rules:
   day students card in and out every school day; boarders go home most weekends (card exit on Friday,
   card return on Sunday) and take a signed slip about once a month; one submitted headcount round per
   building for every school night, one room confirmation per room; visitors every day (parents, couriers
   and contractors who come back again and again), anonymised after the 180-day retention as the daily
   purge job does; three meals a day with a sample per dish, each disposed of after 48 hours.
3. No ANALYZE: the product never runs it, so the benchmarks see the query plans a school's station would.

`python -m bench.dataset [--years N] [--scale NAME]` builds (or finds) it and prints its size.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import sqlite3
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

GENERATOR_VERSION = 1
SEED = 5
YEARS = 5
SCALE = "bench"  # kiosk.services.demo.SCALES: ~5,000 students, 4 buildings of ~600 beds
NOW = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)  # Wednesday 10:00 in Shanghai: every benchmark's "now"
ZONE = ZoneInfo("Asia/Shanghai")
DEFAULT_CACHE = Path(__file__).resolve().parent.parent / "var" / "bench-cache"
CURRENT_SLIPS = 600  # issued today, valid for exit at NOW: what the slip scan benchmark scans
DEMO_WEEKS_BEFORE_NOW = 15  # the demo's own history covers the last 14 days (canteen); bulk history ends before
SLIP_EVERY_DAYS = 35  # a boarder's midweek slip (sick, personal) about once a month
HOME_WEEKEND_SHARE = 0.85  # boarders who go home on a given weekend
VISITS_WEEKDAY, VISITS_WEEKEND = 60, 160  # a day's visits at a 5,040-student school; scaled to the school's size
UTC_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def schema_tag() -> str:
    """The newest migration ("m0010"): a new migration means a new file, not a copy migrated inside a benchmark."""
    from kiosk import migrations

    return migrations.available()[-1].split("_")[0]


def cache_path(cache_dir: Path, *, years: int, scale: str, seed: int) -> Path:
    return Path(cache_dir) / f"school-v{GENERATOR_VERSION}-{schema_tag()}-{scale}-{years}y-seed{seed}.sqlite3"


def five_year_school(cache_dir: Path | str = DEFAULT_CACHE, *, years: int = YEARS, scale: str = SCALE,
                     seed: int = SEED, log=print) -> Path:
    """Path of the cached database, building it first if it is not there (a few minutes at full size)."""
    target = cache_path(Path(cache_dir), years=years, scale=scale, seed=seed)
    if target.exists() and info_path(target).exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    _build(target, years=years, scale=scale, seed=seed, log=log)
    return target


def info_path(database: Path) -> Path:
    return database.with_name(database.name + ".json")


def describe(database: Path) -> dict:
    """What the generator wrote: row counts, the headcount building, build time (from the JSON beside it)."""
    return json.loads(info_path(database).read_text(encoding="utf-8"))


def copy_to(database: Path, workdir: Path, name: str = "school.sqlite3") -> Path:
    """A private copy for a benchmark that writes (opening a station database writes too: migrations, state)."""
    workdir.mkdir(parents=True, exist_ok=True)
    copy = workdir / name
    for suffix in ("", "-wal", "-shm"):
        Path(str(copy) + suffix).unlink(missing_ok=True)
    shutil.copyfile(database, copy)
    wal = Path(str(database) + "-wal")
    if wal.exists() and wal.stat().st_size:  # someone opened the cached file: its last writes may sit in the WAL
        shutil.copyfile(wal, Path(str(copy) + "-wal"))
    keys = database.with_name(database.name + ".keys")
    if keys.is_dir():
        shutil.copytree(keys, copy.with_name(copy.name + ".keys"), dirs_exist_ok=True)
    return copy


def label(info: dict) -> str:
    """How a figure names the database it ran on: "5-year database" (the quick variant says its own years)."""
    return f"{info['years']}-year database" + ("" if info["scale"] == SCALE else f" ({info['scale']} school)")


def summary_line(info: dict) -> str:
    return (f"{info['students']:,} students ({info['boarders']:,} boarders), {info['years']} years: "
            f"{info['gate_crossing']:,} gate crossings, {info['pass_slip']:,} slips, {info['visit']:,} visits, "
            f"{info['headcount_nights']:,} headcount nights ({info['headcount_round']:,} rounds, "
            f"{info['room_confirm']:,} room confirmations), {info['sample']:,} canteen samples; "
            f"{info['file_bytes'] / 2**20:,.0f} MiB")


# ---------------------------------------------------------------- small fast helpers

def stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime(UTC_FORMAT)


def uuid7_at(seconds: float, rng: random.Random) -> str:
    """A UUIDv7 for a past moment (kiosk.ids.new_id is always 'now'); time-ordered like the real ones."""
    value = (int(seconds * 1000) << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64) | (0b10 << 62) | rng.getrandbits(62)
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def local_seconds(day: date, hour: int, minute: int = 0) -> float:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE).timestamp()


def in_term(day: date) -> bool:
    """Two terms a year: no school from 10 July to 31 August, nor from 20 January to 20 February."""
    if day.month == 8 or (day.month == 7 and day.day >= 10):
        return False
    if (day.month == 1 and day.day >= 20) or (day.month == 2 and day.day <= 20):
        return False
    return True


def school_day(day: date) -> bool:
    return in_term(day) and day.isoweekday() <= 5


def insert_sql(table: str, columns: str) -> str:
    names = [c.strip() for c in columns.split(",")]
    return f'INSERT INTO "{table}" ({", ".join(names)}) VALUES ({", ".join("?" * len(names))})'


# ---------------------------------------------------------------- the school, as the demo made it

@dataclass
class School:
    school_id: str
    station_id: str
    students: list[tuple]  # (id, number, name, boarder, room_id, class_name, guardian_name, guardian_phone)
    gatekeepers: list[str]
    teachers: dict[str, str]  # class name -> staff id
    cooks: list[tuple[str, str]]
    officer: tuple[str, str]
    supervisors: list[tuple[str, str]]
    canteen_host: tuple[str, str]
    admin_host: tuple[str, str]
    buildings: list[tuple[str, str]]  # (id, name)
    rooms: list[tuple[str, str, str]]  # (id, building id, number), in building/number order
    residents: dict[str, list[str]] = field(default_factory=dict)  # room id -> student ids by bed

    @property
    def boarders(self) -> list[tuple]:
        return [s for s in self.students if s[3] and s[4]]

    @property
    def day_students(self) -> list[tuple]:
        return [s for s in self.students if not s[3]]


def _read_school(school_id: str, station_id: str) -> School:
    from kiosk.models import Building, Room, Staff, Student

    students = [(s.id, s.number, s.name, bool(s.boarder), s.room_id, s.class_name, s.guardian_name, s.guardian_phone)
                for s in Student.select().where(Student.active == True).order_by(Student.number)]  # noqa: E712
    staff = list(Staff.select().order_by(Staff.number))

    def with_role(role: str) -> list:
        return [m for m in staff if role in m.role_set()]

    buildings = [(b.id, b.name) for b in Building.select().order_by(Building.name)]
    order = {b[0]: i for i, b in enumerate(buildings)}
    rooms = sorted(((r.id, r.building_id, r.number) for r in Room.select()), key=lambda r: (order[r[1]], r[2]))
    residents: dict[str, list[str]] = {}
    for s in Student.select().where(Student.room.is_null(False) & (Student.active == True)).order_by(Student.bed):  # noqa: E712
        residents.setdefault(s.room_id, []).append(s.id)
    cooks = [(m.id, m.name) for m in with_role("canteen")]
    officer = next(((m.id, m.name) for m in with_role("food_safety")), cooks[0])
    admin = with_role("admin")[0]
    return School(school_id=school_id, station_id=station_id, students=students,
                  gatekeepers=[m.id for m in with_role("gatekeeper")],
                  teachers={m.class_name: m.id for m in with_role("head_teacher")}, cooks=cooks, officer=officer,
                  supervisors=[(m.id, m.name) for m in with_role("dorm_supervisor")], canteen_host=cooks[0],
                  admin_host=(admin.id, admin.name), buildings=buildings, rooms=rooms, residents=residents)


def _issue_current_slips(settings, rng: random.Random, count: int) -> int:
    """Today's slips through the product's write path, for boarders the demo week left alone."""
    from kiosk.models import Staff, Student, database_proxy
    from kiosk.models.slips import GateCrossing, PassSlip
    from kiosk.services.actor import Actor
    from kiosk.services.slips_office import write_slip

    busy = {row.student_id for row in PassSlip.select(PassSlip.student)}
    busy |= {row.student_id for row in GateCrossing.select(GateCrossing.student)}
    free = [s for s in Student.select().where((Student.boarder == True) & (Student.active == True))  # noqa: E712
            .order_by(Student.number) if s.id not in busy]
    teachers = {m.class_name: m for m in Staff.select() if "head_teacher" in m.role_set()}
    leave_from = NOW - timedelta(hours=1)
    issued = 0
    with database_proxy.atomic():
        for student in rng.sample(free, min(count, len(free))):
            teacher = teachers[student.class_name]
            actor = Actor(school_id=settings.school.id, station_id="st-office", staff_id=teacher.id,
                          staff_number=teacher.number, staff_name=teacher.name, roles=teacher.role_set())
            write_slip(actor, settings, student, reason_kind="home", reason_note="", leave_from=leave_from,
                       leave_to=leave_from + timedelta(hours=4), return_by=leave_from + timedelta(hours=30),
                       companion_name=student.guardian_name, companion_relation="父亲",
                       companion_phone=student.guardian_phone, at=NOW - timedelta(hours=2))
            issued += 1
    return issued


@contextmanager
def _private_xdg(folder: Path):
    """The demo writes station files (config, labels) under the XDG dirs: keep them out of the user's."""
    saved = {name: os.environ.get(name) for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME")}
    os.environ["XDG_DATA_HOME"] = str(folder / "data")
    os.environ["XDG_CONFIG_HOME"] = str(folder / "config")
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _demo_school(path: Path, work: Path, scale: str, rng: random.Random, log) -> tuple[School, object, str]:
    from kiosk import clock
    from kiosk.config import Settings
    from kiosk.db import close_database, local_value, open_database
    from kiosk.services.demo import create_demo_school
    from kiosk.services.slip_keys import signing_key

    with _private_xdg(work):
        settings = Settings()
        settings.database.path = str(path)
        open_database(path)
        clock.freeze(NOW)
        try:
            started = time.perf_counter()
            log(f"  demo school (scale {scale!r}) through the write path ...", flush=True)
            log(f"    {create_demo_school(settings, scale=scale)} ({time.perf_counter() - started:.1f} s)", flush=True)
            issued = _issue_current_slips(settings, rng, CURRENT_SLIPS)
            log(f"    {issued} slips issued for today (write_slip)", flush=True)
            school = _read_school(settings.school.id, local_value("station_id") or "st-bench")
            key_id, private = signing_key(settings.school.id)
        finally:
            clock.freeze(None)
            close_database()
    return school, private, str(key_id)


# ---------------------------------------------------------------- bulk history

CROSSING = insert_sql("gate_crossing", "id, school_id, station_id, staff_id, recorded_at, student_id, direction, kind, "
                                       "slip_id, exception_id, at, return_by, flags")
SLIP = insert_sql("pass_slip", "id, school_id, station_id, staff_id, recorded_at, student_id, student_number, "
                               "reason_kind, reason_note, leave_from, leave_to, return_by, companion_name, "
                               "companion_relation, companion_phone, required_roles, approved_at, key_id, code")
APPROVAL = insert_sql("slip_approval", "id, school_id, station_id, staff_id, recorded_at, slip_id, role, note")
ROUND = insert_sql("headcount_round", "id, school_id, station_id, staff_id, recorded_at, building_id, night, seq, "
                                      "started_at, submitted_at, submitted_by, submitted_name, summary, summary_hash")
CONFIRM = insert_sql("room_confirm", "id, school_id, station_id, staff_id, recorded_at, round_id, room_id, method, "
                                     "students, counted, expected")
VISIT = insert_sql("visit", "id, school_id, station_id, staff_id, recorded_at, status, id_type, id_number, name, "
                            "phone, category, unit, reason, host_kind, host_id, host_name, companions, companion_names, "
                            "vehicle_plate, items, time_in, expected_leave_at, time_out, out_staff_id, out_station_id, "
                            "night, duty_leader, code, purged_at")
MEAL = insert_sql("meal", "id, school_id, station_id, staff_id, recorded_at, meal_date, kind, name, service_time")
DISH = insert_sql("menu_dish", "id, school_id, station_id, staff_id, recorded_at, meal_id, name, position, removed_at, "
                               "removed_by")
SAMPLE = insert_sql("sample", "id, school_id, station_id, staff_id, recorded_at, meal_id, dish_id, meal_date, "
                              "meal_kind, dish_name, grams, sampled_at, sampler_id, sampler_name, fridge, shelf, "
                              "temperature_c, retention_hours, disposable_at, label_code")
DISPOSAL = insert_sql("sample_disposal", "id, school_id, station_id, staff_id, recorded_at, sample_id, disposed_at, "
                                         "disposer_id, disposer_name, reviewer_id, reviewer_name, note")


class Batches:
    """executemany in chunks, so millions of rows never sit in one Python list."""

    def __init__(self, con: sqlite3.Connection, size: int = 100_000):
        self.con, self.size = con, size
        self.pending: dict[str, list[tuple]] = {}
        self.counts: dict[str, int] = {}

    def add(self, sql: str, row: tuple) -> None:
        rows = self.pending.setdefault(sql, [])
        rows.append(row)
        if len(rows) >= self.size:
            self.flush(sql)

    def flush(self, sql: str | None = None) -> None:
        for key in [sql] if sql else list(self.pending):
            rows = self.pending.get(key) or []
            if rows:
                self.con.executemany(key, rows)
                table = key.split('"')[1]
                self.counts[table] = self.counts.get(table, 0) + len(rows)
                rows.clear()


BULK_TABLES = ("gate_crossing", "pass_slip", "slip_approval", "headcount_round", "room_confirm", "visit", "meal",
               "menu_dish", "sample", "sample_disposal")


def _drop_indexes(con: sqlite3.Connection, tables: tuple[str, ...]) -> list[str]:
    """Drop the secondary indexes of `tables`; returns their CREATE statements, exactly as the migrations wrote them."""
    marks = ",".join("?" * len(tables))
    rows = con.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                       f"AND tbl_name IN ({marks})", tables).fetchall()
    for name, _ in rows:
        con.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in rows]


def _gatekeeper(school: School, seconds: float) -> str:
    return school.gatekeepers[int(seconds // 43200) % len(school.gatekeepers)]


def _gate_history(out: Batches, school: School, days: list[date], rng: random.Random, private, key_id: int) -> None:
    from kiosk.services import slip_codec

    sid, station = school.school_id, school.station_id

    def cross(at: float, student_id: str, direction: str, kind: str, slip_id=None, return_by=None, flags="") -> None:
        text = stamp(at)
        out.add(CROSSING, (uuid7_at(at, rng), sid, station, _gatekeeper(school, at), text, student_id, direction, kind,
                           slip_id, None, text, return_by, flags))

    day_students, boarders = school.day_students, school.boarders
    next_slip = {s[0]: rng.randrange(SLIP_EVERY_DAYS) for s in boarders}
    for index, day in enumerate(days):
        if school_day(day):
            for student in day_students:
                cross(local_seconds(day, 7, 0) + rng.randrange(2400), student[0], "return", "day_card")
                cross(local_seconds(day, 17, 10) + rng.randrange(2400), student[0], "exit", "day_card")
            if day.isoweekday() <= 3:  # Monday to Wednesday: back before Friday's trip home
                for student in boarders:
                    next_slip[student[0]] -= 7 / 3.0  # three slip days a week: keep ~SLIP_EVERY_DAYS between slips
                    if next_slip[student[0]] > 0:
                        continue
                    next_slip[student[0]] = SLIP_EVERY_DAYS + rng.randrange(-10, 11)
                    _slip(out, school, student, day, rng, private, key_id, slip_codec, cross)
        if day.isoweekday() == 5 and in_term(day) and index + 2 < len(days):
            for student in boarders:
                if rng.random() >= HOME_WEEKEND_SHARE:
                    continue
                cross(local_seconds(day, 16, 40) + rng.randrange(5400), student[0], "exit", "day_card")
                cross(local_seconds(day + timedelta(days=2), 16, 30) + rng.randrange(10800), student[0], "return",
                      "day_card")


def _slip(out: Batches, school: School, student: tuple, day: date, rng: random.Random, private, key_id: int,
          slip_codec, cross) -> None:
    sid = school.school_id
    leave_from = local_seconds(day, rng.randrange(8, 16), rng.randrange(0, 60, 5))
    issued = leave_from - rng.randrange(3600, 86400, 60)
    leave_to, return_by = leave_from + 4 * 3600, leave_from + rng.randrange(26, 44) * 3600
    slip_id = uuid7_at(issued, rng)
    payload = slip_codec.SlipPayload(key_id, slip_id, student[1], datetime.fromtimestamp(leave_from, timezone.utc),
                                     datetime.fromtimestamp(leave_to, timezone.utc),
                                     datetime.fromtimestamp(return_by, timezone.utc))
    teacher = school.teachers.get(student[5])
    kind = rng.choice(("sick", "personal", "home", "sick"))
    out.add(SLIP, (slip_id, sid, "st-office", teacher, stamp(issued), student[0], student[1], kind, "", stamp(leave_from),
                   stamp(leave_to), stamp(return_by), student[6], "父亲", student[7], "head_teacher", stamp(issued),
                   key_id, slip_codec.sign(payload, private)))
    out.add(APPROVAL, (uuid7_at(issued, rng), sid, "st-office", teacher, stamp(issued), slip_id, "head_teacher", ""))
    exit_at = leave_from + rng.randrange(300, 2400)
    cross(exit_at, student[0], "exit", "slip", slip_id, stamp(return_by))
    late = rng.random() < 0.05
    back = return_by + rng.randrange(600, 7200) if late else return_by - rng.randrange(1800, 20 * 3600)
    cross(max(back, exit_at + 3600), student[0], "return", "slip", slip_id, None, "late" if late else "")


def _headcount_history(out: Batches, school: School, days: list[date], rng: random.Random) -> int:
    """A submitted round per building for every night before a school day; every room confirmed whole."""
    sid = school.school_id
    absent = {"on_leave": 0, "other": 0, "sick_bay": 0, "unknown": 0, "with_parent": 0}
    rooms_of: dict[str, list[tuple[str, str, str]]] = {}
    for room in school.rooms:
        rooms_of.setdefault(room[1], []).append(room)
    nights = 0
    for day in days:
        if not school_day(day + timedelta(days=1)) or day.isoweekday() in (5, 6):
            continue  # boarders sleep in school on the nights before Monday to Friday
        nights += 1
        for index, (building_id, building_name) in enumerate(school.buildings):
            staff_id, staff_name = school.supervisors[index % len(school.supervisors)]
            started = local_seconds(day, 21, 35) + rng.randrange(300)
            submitted = started + rng.randrange(600, 1200)
            round_id = uuid7_at(started, rng)
            lines, total = [], 0
            for room_id, _, number in rooms_of.get(building_id, []):
                people = school.residents.get(room_id, [])
                total += len(people)
                lines.append({"absent": absent, "absent_students": [], "disagreements": [], "expected": len(people),
                              "expected_absent": [], "extras": [], "guests": [], "present": len(people),
                              "residents": len(people), "room": number})
            summary = {"building": building_name, "night": day.isoformat(), "open_incidents": [], "rooms": lines,
                       "round_id": round_id, "seq": 1, "staff_id": staff_id, "staff_name": staff_name,
                       "started_at": stamp(started), "station_id": "st-dorm", "submitted_at": stamp(submitted),
                       "totals": {"absent": absent, "disagreements": 0, "expected": total, "extras": 0, "guests": 0,
                                  "present": total, "residents": total, "rooms": len(lines)}}
            text = json.dumps(summary, ensure_ascii=False, sort_keys=True)
            out.add(ROUND, (round_id, sid, "st-dorm", staff_id, stamp(started), building_id, day.isoformat(), 1,
                            stamp(started), stamp(submitted), staff_id, staff_name, text,
                            hashlib.sha256(text.encode()).hexdigest()))
            for room_id, _, _ in rooms_of.get(building_id, []):
                at = started + rng.randrange(600)
                people = school.residents.get(room_id, [])
                out.add(CONFIRM, (uuid7_at(at, rng), sid, "st-dorm", staff_id, stamp(at), round_id, room_id, "all",
                                  json.dumps(people), None, len(people)))
    return nights


def _visit_history(out: Batches, school: School, days: list[date], rng: random.Random) -> None:
    """Parents (each student's guardian, one ID each), couriers and contractors who keep coming back.
    Visits older than the 180-day retention are anonymised, as the daily purge job leaves them."""
    from kiosk.features.gate import COURIERS, CONTRACTORS, demo_id_number

    sid, station = school.school_id, school.station_id
    purge_before = (NOW - timedelta(days=180)).timestamp()
    parents = [(demo_id_number(rng, 1970, 1992), s[6], s[7], s[0], s[2]) for s in school.students]
    couriers = [(demo_id_number(rng), name, f"13{rng.randrange(10**9):09d}", unit)
                for unit, name in COURIERS for _ in range(4)]
    builders = [(demo_id_number(rng), name, f"15{rng.randrange(10**9):09d}", unit) for unit, name in CONTRACTORS]
    regulars = parents[: len(parents) // 10]  # a tenth of the families visit far more often than the rest
    size = len(school.students) / 5040
    per_day = {False: max(2, round(VISITS_WEEKDAY * size)), True: max(3, round(VISITS_WEEKEND * size))}
    for day in days:
        weekend = day.isoweekday() > 5
        for _ in range(per_day[weekend]):
            pick = rng.random()
            if weekend or pick < 0.5:
                id_number, name, phone, host_id, host_name = rng.choice(regulars if rng.random() < 0.5 else parents)
                category, unit, reason, host_kind, stay = "parent", "", "看望孩子", "student", rng.randrange(1200, 5400)
                plate, items = "", rng.choice(("", "衣物", "水果", "书籍"))
            elif pick < 0.85:
                id_number, name, phone, unit = rng.choice(couriers)
                host_id, host_name = school.canteen_host
                category, reason, host_kind, stay = "delivery", "送货/快递", "staff", rng.randrange(480, 1500)
                plate, items = f"粤A{rng.randint(10000, 99999)}", "货物"
            else:
                id_number, name, phone, unit = rng.choice(builders)
                host_id, host_name = school.admin_host
                category, reason, host_kind, stay = "contractor", "教学楼维修施工", "staff", rng.randrange(3 * 3600, 8 * 3600)
                plate, items = "", "工具箱"
            time_in = local_seconds(day, rng.randrange(8, 17), rng.randrange(60))
            visit_id = uuid7_at(time_in, rng)
            keeper = _gatekeeper(school, time_in)
            purged = time_in < purge_before
            if purged:  # what purge_visitor_data clears
                name = id_number = phone = plate = items = unit = reason = ""
            out.add(VISIT, (visit_id, sid, station, keeper, stamp(time_in), "admitted", "resident", id_number, name, phone,
                            category, unit, reason, host_kind, host_id, host_name, 0, "", plate, items, stamp(time_in),
                            stamp(time_in + 3600), stamp(time_in + stay), keeper, station, 0, "",
                            visit_id.replace("-", "")[-12:].upper(),
                            stamp(time_in + 181 * 86400) if purged else None))


def _canteen_history(out: Batches, school: School, days: list[date], rng: random.Random, retention_hours: int) -> None:
    """Three meals a day, a sample per dish, each disposed of (with a reviewer) a few hours after it may be."""
    from kiosk.features.canteen import DEMO_MENUS
    from kiosk.services import sample_rules as rules

    sid, station = school.school_id, school.station_id
    for day in days:
        for kind in ("breakfast", "lunch", "dinner"):
            service_time = rules.DEFAULT_SERVICE_TIMES[kind]
            service = rules.service_at(day, service_time, ZONE)
            cook_id, cook_name = rng.choice(school.cooks)
            planned = service.timestamp() - 20 * 3600
            meal_id = uuid7_at(planned, rng)
            out.add(MEAL, (meal_id, sid, station, cook_id, stamp(planned), day.isoformat(), kind, "", service_time))
            for position, dish in enumerate(rng.sample(DEMO_MENUS[kind], 3 if kind == "breakfast" else 4)):
                dish_id = uuid7_at(planned, rng)
                out.add(DISH, (dish_id, sid, station, cook_id, stamp(planned), meal_id, dish, position, None, None))
                sampled = service - timedelta(minutes=rng.randrange(10, 40))
                sample_id = uuid7_at(sampled.timestamp(), rng)
                disposable = rules.disposable_at(sampled, retention_hours)
                out.add(SAMPLE, (sample_id, sid, station, cook_id, stamp(sampled.timestamp()), meal_id, dish_id,
                                 day.isoformat(), kind, dish, rng.randrange(126, 180), stamp(sampled.timestamp()),
                                 cook_id, cook_name, "1号留样柜", f"{position + 1}层", round(rng.uniform(2.0, 6.0), 1),
                                 retention_hours, stamp(disposable.timestamp()), sample_id.replace("-", "")[-12:].upper()))
                disposed = disposable.timestamp() + rng.randrange(3600, 6 * 3600)
                out.add(DISPOSAL, (uuid7_at(disposed, rng), sid, station, cook_id, stamp(disposed), sample_id,
                                   stamp(disposed), cook_id, cook_name, school.officer[0], school.officer[1], ""))


def _history_days(years: int) -> list[date]:
    today = NOW.astimezone(ZONE).date()
    last = today - timedelta(days=DEMO_WEEKS_BEFORE_NOW)
    first = today - timedelta(days=round(365.25 * years))
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


# ---------------------------------------------------------------- build

def _build(target: Path, *, years: int, scale: str, seed: int, log) -> None:
    from kiosk.config import Settings

    started = time.perf_counter()
    work = target.with_name(target.stem + ".building")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    path = work / "school.sqlite3"
    rng = random.Random(seed)
    log(f"building the benchmark database {target.name} (once; cached in {target.parent}) ...", flush=True)
    school, private, key_id = _demo_school(path, work, scale, rng, log)

    # Bulk history in memory, then one backup to the file: this machine's disk is the bottleneck otherwise.
    disk = sqlite3.connect(str(path))
    con = sqlite3.connect(":memory:")
    disk.backup(con)
    out = Batches(con)
    days = _history_days(years)
    steps = (
        ("gate crossings and slips", lambda: _gate_history(out, school, days, rng, private, int(key_id))),
        ("headcount rounds", lambda: _headcount_history(out, school, days, rng)),
        ("visits", lambda: _visit_history(out, school, days, rng)),
        ("canteen meals and samples", lambda: _canteen_history(out, school, days, rng, Settings().canteen.retention_hours)),
    )
    nights = 0
    indexes = _drop_indexes(con, BULK_TABLES)  # rebuilt once at the end: far faster than row by row
    with con:
        for label, step in steps:
            step_started = time.perf_counter()
            result = step()
            out.flush()
            nights = result if label == "headcount rounds" else nights
            log(f"  {label}: {time.perf_counter() - step_started:.1f} s", flush=True)
        step_started = time.perf_counter()
        for sql in indexes:
            con.execute(sql)
        log(f"  indexes rebuilt: {time.perf_counter() - step_started:.1f} s", flush=True)
    log("  writing the file ...", flush=True)
    con.backup(disk)
    con.close()
    disk.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    info = _count(disk)
    disk.close()
    info.update(generator_version=GENERATOR_VERSION, seed=seed, years=years, scale=scale, now=NOW.isoformat(),
                bulk_rows=out.counts, headcount_nights=info["distinct_nights"], bulk_headcount_nights=nights,
                buildings=_buildings(path), build_seconds=round(time.perf_counter() - started, 1))
    path.replace(target)
    keys = path.with_name(path.name + ".keys")
    target_keys = target.with_name(target.name + ".keys")
    shutil.rmtree(target_keys, ignore_errors=True)
    if keys.is_dir():
        keys.replace(target_keys)
    info["file_bytes"] = target.stat().st_size
    info_path(target).write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)
    _remove_stale(target, scale=scale, years=years, seed=seed, log=log)
    log(f"  done in {info['build_seconds']:.0f} s: {summary_line(info)}", flush=True)


def _remove_stale(target: Path, *, scale: str, years: int, seed: int, log) -> None:
    """Older generator versions or schemas of the same database: 3 GiB each, never read again."""
    for stale in target.parent.glob(f"school-v*-{scale}-{years}y-seed{seed}.sqlite3*"):
        if stale.name.startswith(target.name):
            continue
        log(f"  removing the outdated {stale.name}", flush=True)
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


TABLES = ("student", "staff", "room", "gate_crossing", "pass_slip", "slip_approval", "visit", "headcount_round",
          "room_confirm", "meal", "menu_dish", "sample", "sample_disposal", "audit_entry", "outbox")


def _count(con: sqlite3.Connection) -> dict:
    info = {table: con.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] for table in TABLES}
    info["students"] = info["student"]
    info["boarders"] = con.execute("SELECT COUNT(*) FROM student WHERE boarder = 1").fetchone()[0]
    info["distinct_nights"] = con.execute("SELECT COUNT(DISTINCT night) FROM headcount_round").fetchone()[0]
    return info


def _buildings(path: Path) -> list[dict]:
    con = sqlite3.connect(str(path))
    try:
        rows = con.execute("""SELECT b.id, b.name, COUNT(DISTINCT r.id), SUM(r.beds) / 1,
            (SELECT COUNT(*) FROM student s JOIN room r2 ON r2.id = s.room_id WHERE r2.building_id = b.id AND s.active = 1)
            FROM building b JOIN room r ON r.building_id = b.id GROUP BY b.id ORDER BY b.name""").fetchall()
    finally:
        con.close()
    return [{"id": i, "name": n, "rooms": rooms, "beds": beds, "residents": residents}
            for i, n, rooms, beds, residents in rows]


def headcount_building(info: dict, beds: int = 600) -> dict:
    """The building whose bed count is closest to `beds` (the headcount benchmark's building)."""
    return min(info["buildings"], key=lambda b: (abs(b["beds"] - beds), b["name"]))


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=YEARS)
    parser.add_argument("--scale", default=SCALE)
    parser.add_argument("--cache", default=str(DEFAULT_CACHE))
    args = parser.parse_args()
    database = five_year_school(args.cache, years=args.years, scale=args.scale)
    print(database)
    print(summary_line(describe(database)))
    sys.exit(0)
