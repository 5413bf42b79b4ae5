"""The demo school: deterministic, realistic, used by `make run`, the tests and the benchmarks.

Core seeding makes the school, dorms, students and staff; every feature then adds its own week of
history through `seed_demo(demo)` (see kiosk.features), all through the normal write path.
Demo staff numbers and PINs are listed in README.md (DEMO_PINS below).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from kiosk import clock, features
from kiosk.config import Settings
from kiosk.db import ensure_station_identity
from kiosk.models import Building, Room, School, Staff, Student, database_proxy
from kiosk.services.actor import Actor
from kiosk.services.auth import hash_pin
from kiosk.services.facts import record
from kiosk.services.names import pinyin_initials

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏辉斌宇浩凯健俊帆晨欣怡梓涵子轩雨萱一诺思彤博文浩然梓睿佳琪欣妍语桐宇航嘉怡俊杰雅琳子豪晓晴天佑若曦"
GRADES = ("高一", "高二", "高三")
# Characters read as a boy's or a girl's name. A student's given name avoids the other gender's: a name like 丁艳红
# in 男生1号楼 reads as a girl placed in a boys' building, whatever the gender column says.
BOYS_CHARACTERS = "伟强磊军洋勇杰涛超刚彬鹏辉斌宇浩凯健俊轩博航豪佑"
GIRLS_CHARACTERS = "芳娜静丽艳娟秀霞桂英玉萍红娥玲芬燕欣怡萱彤琪妍雅琳晴若曦"


def given_characters(gender: str) -> str:
    """GIVEN with the other gender's characters replaced by this gender's, at the same places: the same length, so
    the seeded generator draws the same numbers and the rest of the demo school stays as it was."""
    own, other = (BOYS_CHARACTERS, GIRLS_CHARACTERS) if gender == "M" else (GIRLS_CHARACTERS, BOYS_CHARACTERS)
    replacements = iter(own * len(GIVEN))
    return "".join(next(replacements) if ch in other else ch for ch in GIVEN)

# Demo staff: number prefix, roles, PIN, how many. The README lists the same.
DEMO_PINS = {
    "A": ("admin", "888888"),
    "G": ("gatekeeper", "111111"),
    "D": ("dorm_supervisor", "222222"),
    "M": ("dorm_manager", "222222"),
    "C": ("canteen", "333333"),
    "F": ("food_safety,canteen", "333333"),
    "T": ("head_teacher", "444444"),
    "Z": ("discipline", "555555"),
    "P": ("principal", "666666"),
    "L": ("duty_leader", "777777"),
}

SCALES = {
    # classes per grade, students per class, boarder share, rooms per floor
    "full": (8, 50, 0.67, 10),
    "small": (2, 20, 0.67, 4),
    # The benchmarks' school (bench/dataset.py): 5,040 students, 4 buildings of ~600 beds (20 rooms a floor)
    "bench": (28, 60, 0.48, 20),
}


@dataclass
class DemoContext:
    """What a feature's `seed_demo` gets: the school as created, a seeded RNG and the time."""

    settings: Settings
    rng: random.Random
    now: datetime
    station_id: str
    students: list[Student] = field(default_factory=list)
    staff: list[Staff] = field(default_factory=list)
    days: int = 7

    @property
    def school_id(self) -> str:
        return self.settings.school.id

    def staff_with_role(self, role: str) -> list[Staff]:
        return [member for member in self.staff if role in member.role_set()]

    def actor_for(self, member: Staff) -> Actor:
        return Actor(school_id=self.school_id, station_id=self.station_id, staff_id=member.id,
                     staff_number=member.number, staff_name=member.name, roles=member.role_set())

    @property
    def boarders(self) -> list[Student]:
        return [student for student in self.students if student.boarder and student.active]


def _person_name(rng: random.Random, surname: str | None = None, gender: str | None = None) -> str:
    characters = given_characters(gender) if gender else GIVEN
    given = rng.choice(characters) + (rng.choice(characters) if rng.random() < 0.7 else "")
    return (surname or rng.choice(SURNAMES)) + given


def _phone(rng: random.Random) -> str:
    return rng.choice(("138", "139", "137", "150", "158", "186", "189", "177")) + f"{rng.randrange(10**8):08d}"


def _staff_plan(classes: list[str]) -> list[tuple[str, str, str, str]]:
    """(number, roles, pin, class_name) for every demo staff member."""
    counts = {"A": 2, "G": 4, "D": 8, "M": 2, "C": 6, "F": 1, "Z": 2, "P": 1, "L": 3}
    plan = []
    for prefix, count in counts.items():
        roles, pin = DEMO_PINS[prefix]
        plan.extend((f"{prefix}{i:03d}", roles, pin, "") for i in range(1, count + 1))
    roles, pin = DEMO_PINS["T"]
    plan.extend((f"T{i:03d}", roles, pin, class_name) for i, class_name in enumerate(classes, start=1))
    return plan


def create_demo_school(settings: Settings, *, seed: int = 20261121, scale: str = "full") -> str:
    """Fill an empty database with the demo school; a database that has a school is left alone."""
    if School.select().exists():
        return "demo school already present; nothing changed"
    rng = random.Random(seed)
    now = clock.now()
    station_id = ensure_station_identity()
    school_id = settings.school.id
    system = Actor(school_id=school_id, station_id=station_id, staff_name="demo")
    classes_per_grade, class_size, boarder_share, rooms_per_floor = SCALES[scale]
    classes = [f"{grade}({n})班" for grade in GRADES for n in range(1, classes_per_grade + 1)]

    # One transaction for the school and every feature's history: a seeder that fails leaves an empty
    # database (the next `make run` builds it again), never a school without its slips or meals.
    with database_proxy.atomic():
        with record(system, "demo.create", entity="school", entity_id=school_id, detail={"seed": seed, "scale": scale}) as w:
            w.insert(School(id=school_id, name=settings.school.name, timezone=settings.school.timezone))
            buildings = {
                gender: [w.insert(Building(school_id=school_id, name=name, gender=gender)) for name in names]
                for gender, names in (("M", ("男生1号楼", "男生2号楼")), ("F", ("女生1号楼", "女生2号楼")))
            }
            free_beds: dict[str, list[tuple[Room, int]]] = {"M": [], "F": []}

            def next_bed(gender: str) -> tuple[Room, int]:
                if not free_beds[gender]:
                    count = sum(1 for _ in Room.select().join(Building).where(Building.gender == gender))
                    building = buildings[gender][count % 2]  # fill both buildings evenly
                    in_building = Room.select().where(Room.building == building).count()
                    number = f"{in_building // rooms_per_floor + 1}{in_building % rooms_per_floor + 1:02d}"
                    room = w.insert(Room(school_id=school_id, building=building, number=number, beds=6))
                    free_beds[gender] = [(room, bed) for bed in range(6, 0, -1)]
                return free_beds[gender].pop()

            students: list[Student] = []
            for class_index, class_name in enumerate(classes):
                grade = class_name[:2]
                year = 2026 - GRADES.index(grade)
                for seat in range(1, class_size + 1):
                    gender = "M" if rng.random() < 0.5 else "F"
                    name = _person_name(rng, gender=gender)
                    boarder = rng.random() < boarder_share
                    room, bed = next_bed(gender) if boarder else (None, None)
                    students.append(w.insert(Student(
                        school_id=school_id, number=f"{year}{class_index % classes_per_grade + 1:02d}{seat:02d}",
                        name=name, initials=pinyin_initials(name), gender=gender, grade=grade, class_name=class_name,
                        boarder=boarder, room=room, bed=bed, guardian_name=_person_name(rng, name[0]),
                        guardian_phone=_phone(rng), active=True, updated_at=now,
                    )))
            staff: list[Staff] = []
            for number, roles, pin, class_name in _staff_plan(classes):
                name = _person_name(rng)
                staff.append(w.insert(Staff(
                    school_id=school_id, number=number, name=name, initials=pinyin_initials(name), roles=roles,
                    class_name=class_name, phone=_phone(rng), card_code=f"STAFF-{number}", pin_hash=hash_pin(pin),
                    active=True, updated_at=now,
                )))

        demo = DemoContext(settings=settings, rng=rng, now=now, station_id=station_id, students=students, staff=staff)
        for feature in features.loaded():
            if feature.seed_demo is not None:
                feature.seed_demo(demo)
    boarders = sum(1 for s in students if s.boarder)
    return f"demo school {settings.school.name}: {len(students)} students ({boarders} boarders), {len(staff)} staff"
