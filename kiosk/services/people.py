"""Finding people: by number prefix, name substring or pinyin initials (`zhl` finds 张华丽).

Gate (visitor host), office (slips) and dorm screens call these from thread workers; they return
frozen dataclasses, never peewee rows.
"""
from __future__ import annotations

from dataclasses import dataclass

import peewee

from kiosk.i18n import t
from kiosk.models import Building, Room, Staff, Student
from kiosk.services.names import clean_identifier


@dataclass(frozen=True)
class PersonHit:
    kind: str  # student | staff
    id: str
    number: str
    name: str
    class_name: str
    detail: str  # one line for a result list: dorm place, or roles


@dataclass(frozen=True)
class StudentInfo:
    id: str
    number: str
    name: str
    gender: str  # M / F
    grade: str
    class_name: str
    boarder: bool
    building: str
    room: str
    bed: int | None
    guardian_name: str
    guardian_phone: str
    active: bool


def role_labels(roles: str) -> str:
    return "、".join(t(f"people.role_{role}") for role in roles.split(",") if role)


def _student_detail(student: Student) -> str:
    if not student.active:
        return t("people.hit_inactive")
    if student.room_id is None:
        return t("people.hit_boarder_only") if student.boarder else t("people.hit_day")
    place = t("people.hit_boarder", building=student.room.building.name, room=student.room.number)
    return f"{place} {t('people.hit_bed', bed=student.bed)}" if student.bed else place


def _rank(query: str, number: str, name: str, initials: str) -> int:
    if number.lower() == query:
        return 0
    if name == query:
        return 1
    if number.lower().startswith(query):
        return 2
    if initials.startswith(query):
        return 3
    return 4


def search_people(query: str, school_id: str, limit: int = 20, *, include_inactive: bool = False) -> list[PersonHit]:
    """Students and staff whose number starts with, name contains, or pinyin initials start with `query`.

    Exact number and exact name first, then number prefixes, initials, name substrings; active people only
    unless asked. Empty or blank queries find nobody.
    """
    query = clean_identifier(query)
    if not query or limit <= 0:
        return []
    folded = query.lower()
    student_match = Student.number.startswith(query) | Student.name.contains(query)
    staff_match = Staff.number.startswith(query) | Staff.name.contains(query)
    if folded.isascii() and folded.isalpha():
        student_match |= Student.initials.startswith(folded)
        staff_match |= Staff.initials.startswith(folded)
    students = (Student.select(Student, Room, Building).join(Room, peewee.JOIN.LEFT_OUTER).join(Building, peewee.JOIN.LEFT_OUTER)
                .where((Student.school_id == school_id) & student_match))
    staff = Staff.select().where((Staff.school_id == school_id) & staff_match)
    if not include_inactive:
        students = students.where(Student.active)
        staff = staff.where(Staff.active)
    # Enough candidates to rank well, bounded so a one-letter query stays fast.
    cap = max(limit * 5, 100)
    ranked: list[tuple[int, int, str, PersonHit]] = []
    for student in students.order_by(Student.number).limit(cap):
        hit = PersonHit("student", student.id, student.number, student.name, student.class_name, _student_detail(student))
        ranked.append((_rank(folded, student.number, student.name, student.initials), 0, student.number, hit))
    for member in staff.order_by(Staff.number).limit(cap):
        detail = role_labels(member.roles) if member.active else t("people.hit_staff_inactive")
        hit = PersonHit("staff", member.id, member.number, member.name, member.class_name, detail)
        ranked.append((_rank(folded, member.number, member.name, member.initials), 1, member.number, hit))
    ranked.sort(key=lambda item: item[:3])
    return [hit for *_, hit in ranked[:limit]]


def student_by_number(number: str, school_id: str) -> StudentInfo | None:
    """The student with this number (active or not), as a frozen record; None if there is none."""
    number = clean_identifier(number)
    if not number:
        return None
    student = (Student.select(Student, Room, Building).join(Room, peewee.JOIN.LEFT_OUTER).join(Building, peewee.JOIN.LEFT_OUTER)
               .where((Student.school_id == school_id) & (Student.number == number)).first())
    if student is None:
        return None
    return student_info(student)


def student_info(student: Student) -> StudentInfo:
    room = student.room if student.room_id else None
    return StudentInfo(
        id=student.id, number=student.number, name=student.name, gender=student.gender, grade=student.grade,
        class_name=student.class_name, boarder=student.boarder, building=room.building.name if room else "",
        room=room.number if room else "", bed=student.bed, guardian_name=student.guardian_name,
        guardian_phone=student.guardian_phone, active=student.active,
    )
