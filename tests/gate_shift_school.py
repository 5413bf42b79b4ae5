"""The school behind the scripted gate shift (tests/test_tmux_gate_shift.py), as the office and the morning shift
left it: the roster, the staff, slips the head teacher signed, who crossed the gate this morning, who visited
earlier in the week, who is on the watchlist. Everything is written through the services, at the times it would
have happened (the clock frozen there), into a test database that KIOSK_CLOCK may run at another time.

The shift itself runs on a Wednesday (closed management: boarders leave only on a slip): an evening session from
16:40 and a night session from 21:40, both in school time.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kiosk import clock

ZONE = ZoneInfo("Asia/Shanghai")
CLASS = "高一(1)班"
STAFF = (("G001", "门卫甲", "gatekeeper", "111111"), ("G002", "门卫乙", "gatekeeper", "222222"),
         ("L001", "李国强", "duty_leader", "777777"), ("T001", "陈老师", "head_teacher", "444444"),
         ("Z001", "政教员", "discipline", "555555"))
FAMILY = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红"
REASONS = ("接孩子放学", "送生活用品", "家长会", "送药", "找班主任")


def resident_id(serial: int, birth: date = date(1980, 1, 1)) -> str:
    """A valid mainland resident ID number (Beijing Chaoyang, `birth`, sequence `serial`)."""
    from kiosk.services.visitor_rules import ric_check_character

    body = f"110105{birth:%Y%m%d}{serial % 1000:03d}"
    return body + ric_check_character(body)


def person_name(index: int) -> str:
    return FAMILY[index % len(FAMILY)] + GIVEN[(index * 7) % len(GIVEN)] + GIVEN[(index * 11 + 3) % len(GIVEN)]


@dataclass(frozen=True)
class Visitor:
    id_number: str
    name: str
    phone: str
    reason: str
    host_query: str  # what the gatekeeper types in the host field (a number or pinyin initials)
    host_name: str


@dataclass
class ShiftSchool:
    day: date  # the Wednesday of the shift
    exit_slips: dict[str, str] = field(default_factory=dict)  # student number -> slip code valid this evening
    return_slips: dict[str, str] = field(default_factory=dict)  # out since the morning, back this evening
    late_slips: dict[str, str] = field(default_factory=dict)  # out since the morning, back past return_by
    day_cards: list[str] = field(default_factory=list)  # day students in since the morning, home at dismissal
    study_cards: list[str] = field(default_factory=list)  # day students staying for evening study
    no_slip_boarders: list[str] = field(default_factory=list)  # boarders with no slip: refused at the gate
    returning_visitors: list[Visitor] = field(default_factory=list)  # visited on Monday, signed out
    new_visitors: list[Visitor] = field(default_factory=list)
    watchlisted: Visitor | None = None  # on a deny entry since Monday
    night_visitors: list[Visitor] = field(default_factory=list)

    def at(self, hour: int, minute: int = 0, days: int = 0) -> datetime:
        return datetime.combine(self.day + timedelta(days=days), time(hour, minute), ZONE)

    def all_slips(self) -> list[tuple[str, str]]:
        """(student number, code) of every slip signed for the shift."""
        return [*self.exit_slips.items(), *self.return_slips.items(), *self.late_slips.items()]

    def clock_text(self, hour: int, minute: int = 0) -> str:
        """KIOSK_CLOCK's value for that time of the shift's day."""
        return f"{self.day.isoformat()}T{hour:02d}:{minute:02d}"


def shift_day(today: date) -> date:
    """The next Wednesday after `today`: in the future, so nothing the test writes meets a real day's records."""
    return today + timedelta(days=(2 - today.weekday()) % 7 or 7)


def build(settings, today: date, counts: dict[str, int]) -> ShiftSchool:
    """Write the school into the open database; `counts` says how many of each kind of student there are."""
    from kiosk.models import Building, Room, School, Staff, Student
    from kiosk.services import slips_gate, slips_office, visitors
    from kiosk.services.actor import Actor
    from kiosk.services.auth import hash_pin
    from kiosk.services.facts import record
    from kiosk.services.names import pinyin_initials
    from kiosk.services.slip_keys import create_key
    from kiosk.services.visitor_rules import HostRef, VisitForm

    school = ShiftSchool(shift_day(today))
    monday = school.at(7, 0, days=-2)
    numbers = iter(range(20260001, 20269999))
    system = Actor(school_id=settings.school.id, station_id="st-office")
    with clock.frozen_at(monday - timedelta(days=7)):
        with record(system, "test.setup") as w:  # "test.setup": KIOSK_CLOCK may run this database at another time
            w.insert(School(id=settings.school.id, name="测试学校", timezone=settings.school.timezone))
            room = w.insert(Room(school_id=settings.school.id, number="305", beds=200,
                                 building=w.insert(Building(school_id=settings.school.id, name="女生1号楼", gender="F"))))
            for number, name, roles, pin in STAFF:
                w.insert(Staff(school_id=settings.school.id, number=number, name=name, initials=pinyin_initials(name),
                               roles=roles, class_name=CLASS if roles == "head_teacher" else "", phone="13800000009",
                               pin_hash=hash_pin(pin), active=True, updated_at=clock.now()))
            kinds = {}
            for kind in ("exit", "return", "late", "day", "study", "no_slip"):
                for _ in range(counts.get(kind, 0)):
                    number = str(next(numbers))
                    boarder = kind not in ("day", "study")
                    name = person_name(int(number) % 997)
                    w.insert(Student(school_id=settings.school.id, number=number, name=name,
                                     initials=pinyin_initials(name), gender="F", grade="高一", class_name=CLASS,
                                     boarder=boarder, room=room if boarder else None, guardian_name="家长",
                                     guardian_phone=f"139{number[-8:]}", active=True, updated_at=clock.now()))
                    kinds.setdefault(kind, []).append(number)
        create_key(system)

    def staff_actor(number: str, station: str) -> Actor:
        staff = Staff.get(Staff.number == number)
        return Actor(school_id=settings.school.id, station_id=station, staff_id=staff.id, staff_number=number,
                     staff_name=staff.name, roles=staff.role_set())

    teacher, morning_keeper = staff_actor("T001", "st-office"), staff_actor("G002", "st-gate")

    def cross(code: str, direction: str) -> None:
        check = slips_gate.check_at_gate(morning_keeper, settings, code, None, direction)
        assert check.verdict.allowed, check.reason
        slips_gate.record_crossing(morning_keeper, settings, check, code)

    def issue(number: str, leave_from: datetime, leave_to: datetime, return_by: datetime) -> str:
        return slips_office.issue_slip(teacher, settings, student_number=number, reason_kind="home", leave_from=leave_from,
                                leave_to=leave_to, return_by=return_by, companion_name="家长", companion_relation="母亲",
                                companion_phone="13900000002").code

    with clock.frozen_at(monday):  # boarders back for the week; they have not been out since
        for number in kinds.get("no_slip", []):
            cross(number, "return")
        school.no_slip_boarders = kinds.get("no_slip", [])
    with clock.frozen_at(school.at(7, 10)):  # day students in this morning; the head teacher signs the slips
        for number in kinds.get("day", []) + kinds.get("study", []):
            cross(number, "return")
        school.day_cards, school.study_cards = kinds.get("day", []), kinds.get("study", [])
        for number in kinds.get("exit", []):
            school.exit_slips[number] = issue(number, school.at(16, 0), school.at(20, 0), school.at(7, 30, days=2))
        for kind, back in (("return", school.at(23, 0)), ("late", school.at(16, 0))):
            for number in kinds.get(kind, []):
                code = issue(number, school.at(7, 50), school.at(9, 0), back)
                (school.return_slips if kind == "return" else school.late_slips)[number] = code
    with clock.frozen_at(school.at(8, 0)):
        for code in [*school.return_slips.values(), *school.late_slips.values()]:
            cross(code, "exit")

    hosts = {s.number: HostRef("student", s.id, s.name) for s in Student.select().where(~Student.boarder)}
    people = []
    for index, number in zip(range(6 + counts.get("new_visitors", 0)), itertools.cycle(sorted(hosts))):
        people.append(Visitor(resident_id(100 + index, date(1975 + index % 20, 1 + index % 12, 1 + index % 27)),
                              person_name(index + 40), f"1370000{index:04d}", REASONS[index % len(REASONS)], number,
                              hosts[number].name))
    school.watchlisted, school.returning_visitors, school.night_visitors = people[0], people[1:4], people[4:6]
    school.new_visitors = people[6:]
    with clock.frozen_at(school.at(10, 0, days=-2)):  # Monday: the returning visitors' first visit
        for visitor in school.returning_visitors:
            done = visitors.register_visit(morning_keeper, VisitForm(
                id_type="resident", id_number=visitor.id_number, name=visitor.name, phone=visitor.phone,
                category="parent", reason="送生活用品", host=hosts[visitor.host_query]), settings)
            assert done.status == "admitted", done
            visitors.sign_out(morning_keeper, done.visit.id)
        visitors.add_watch_entry(staff_actor("Z001", "st-office"), id_type="resident",
                                 id_number=school.watchlisted.id_number, name=school.watchlisted.name, level="deny",
                                 reason="法院限制令", expires_at=None)  # refused at the ID scan: the record's name
    return school
