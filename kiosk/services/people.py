"""Finding people: by number prefix, name substring or pinyin initials (`zhl` finds 张华丽).

Gate (visitor host), office (slips) and dorm screens call these from thread workers; they return
frozen dataclasses, never peewee rows.
"""
from __future__ import annotations

from dataclasses import dataclass

import peewee

from kiosk.i18n import Msg, MsgList
from kiosk.models import Building, Room, Staff, Student
from kiosk.services.names import SURNAME_READINGS, clean_identifier, pinyin_query, pinyin_spellings
from kiosk.services.student_record import StudentFields


@dataclass(frozen=True)
class PersonHit:
    kind: str  # student | staff
    id: str
    number: str
    name: str
    class_name: str
    detail: Msg | MsgList  # one line for a result list: dorm place, or roles (translated when shown)


@dataclass(frozen=True)
class StudentInfo(StudentFields):
    """A student as the roster holds them, with their record id."""

    id: str


def role_labels(roles: str) -> MsgList:
    return MsgList(Msg(f"people.role_{role}") for role in roles.split(",") if role)


def _student_detail(student: Student) -> Msg:
    if not student.active:
        return Msg("people.hit_inactive")
    if student.room_id is None:
        return Msg("people.hit_boarder_only") if student.boarder else Msg("people.hit_day")
    if student.bed:
        return Msg("people.hit_boarder_bed", building=student.room.building.name, room=student.room.number, bed=student.bed)
    return Msg("people.hit_boarder", building=student.room.building.name, room=student.room.number)


def _rank(query: str, number: str, name: str, initials: str, spelled: str = "") -> int:
    """0 exact number, 1 exact name or its whole pinyin, 2 number prefix, 3 initials or pinyin prefix, 4 the rest."""
    letters = query.replace(" ", "")
    if number.lower() == query:
        return 0
    if name == query or (spelled and spelled == letters):
        return 1
    if number.lower().startswith(query):
        return 2
    if initials.startswith(letters) or spelled:  # `spelled` is only set when it starts with the query
        return 3
    return 4


def _spelled_out(letters: str, name: str) -> str:
    """The name's whole pinyin when the query spells it (`zhanghua` for 张华, 张华丽; `zengying` or `cengying`
    for 曾英); '' otherwise."""
    if len(letters) < 2:
        return ""
    return next((spelled for spelled in pinyin_spellings(name) if spelled.startswith(letters)), "")


def search_people(query: str, school_id: str, limit: int = 20, *, include_inactive: bool = False,
                  students_only: bool = False, class_name: str | None = None) -> list[PersonHit]:
    """Students and staff whose number starts with, name contains, pinyin initials start with `query`, or whose
    whole pinyin starts with it (`zhanghua` finds 张华 and 张华丽).

    Exact number and exact name first, then number prefixes, initials and pinyin, name substrings; active people
    only unless asked; only students (of one class, when `class_name` is given) if asked. Blank queries find nobody.
    """
    query = clean_identifier(query)
    if not query or limit <= 0:
        return []
    folded = query.lower()
    letters = pinyin_query(query)
    student_match = Student.number.startswith(query) | Student.name.contains(query)
    staff_match = Staff.number.startswith(query) | Staff.name.contains(query)
    if letters:
        student_match |= Student.initials.startswith(letters)
        staff_match |= Staff.initials.startswith(letters)
    # Enough candidates to rank well, bounded so a one-letter query stays fast.
    cap = max(limit * 5, 100)
    students = _students(school_id, include_inactive, class_name)
    found: dict[str, tuple[Student | Staff, str]] = {}
    for student in students.where(student_match).order_by(Student.number).limit(cap):
        found[student.id] = (student, _spelled_out(letters, student.name))
    staff_rows: dict[str, tuple[Staff, str]] = {}
    if not students_only:
        staff = _staff(school_id, include_inactive)
        for member in staff.where(staff_match).order_by(Staff.number).limit(cap):
            staff_rows[member.id] = (member, _spelled_out(letters, member.name))
    if len(letters) >= 2:
        # Spelled out: a whole-pinyin name starts with the same letter as its initials. Filtered here, where the
        # pinyin is known; the first letter bounds the rows read (a few hundred in a large school).
        for student in students.where(_could_spell(Student, letters)).order_by(Student.number):
            spelled = _spelled_out(letters, student.name)
            if spelled and student.id not in found:
                found[student.id] = (student, spelled)
        if not students_only:
            for member in _staff(school_id, include_inactive).where(_could_spell(Staff, letters)):
                spelled = _spelled_out(letters, member.name)
                if spelled and member.id not in staff_rows:
                    staff_rows[member.id] = (member, spelled)
    ranked: list[tuple[int, int, str, PersonHit]] = []
    for student, spelled in found.values():
        hit = PersonHit("student", student.id, student.number, student.name, student.class_name, _student_detail(student))
        ranked.append((_rank(folded, student.number, student.name, student.initials, spelled), 0, student.number, hit))
    for member, spelled in staff_rows.values():
        detail = role_labels(member.roles) if member.active else Msg("people.hit_staff_inactive")
        hit = PersonHit("staff", member.id, member.number, member.name, member.class_name, detail)
        ranked.append((_rank(folded, member.number, member.name, member.initials, spelled), 1, member.number, hit))
    ranked.sort(key=lambda item: item[:3])
    return [hit for *_, hit in ranked[:limit]]


def _could_spell(model, letters: str):
    """Rows whose name the letters may spell out: initials with the same first letter, or a surname also read
    another way (曾 is stored as z, `cengying` starts with c)."""
    condition = model.initials.startswith(letters[0])
    for surname in SURNAME_READINGS:
        condition |= model.name.startswith(surname)
    return condition


def _students(school_id: str, include_inactive: bool, class_name: str | None):
    query = (Student.select(Student, Room, Building).join(Room, peewee.JOIN.LEFT_OUTER)
             .join(Building, peewee.JOIN.LEFT_OUTER).where(Student.school_id == school_id))
    if class_name is not None:
        query = query.where(Student.class_name == class_name)
    return query if include_inactive else query.where(Student.active)


def _staff(school_id: str, include_inactive: bool):
    query = Staff.select().where(Staff.school_id == school_id)
    return query if include_inactive else query.where(Staff.active)


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


def find_students(query: str, school_id: str, *, class_name: str | None = None, limit: int = 8) -> list[StudentInfo]:
    """Active students found by name, number, pinyin initials or whole pinyin (of one class when given), best
    first, each with what the office checks before signing: class, dorm place, guardian."""
    hits = search_people(query, school_id, limit, students_only=True, class_name=class_name)
    numbers = [hit.number for hit in hits]
    rows = {row.number: row for row in _students(school_id, False, class_name).where(Student.number.in_(numbers))}
    return [student_info(rows[number]) for number in numbers if number in rows]


def describe_student(info: StudentInfo) -> Msg:
    """Who this is, in one line: name (number), class, dorm place or day student, guardian and phone."""
    place = (Msg("core.verbatim", text=f"{info.building} {info.room}" + (f"-{info.bed}" if info.bed else ""))
             if info.room else Msg("core.people_detail_day"))
    return Msg("core.people_detail_student", name=info.name, number=info.number, class_name=info.class_name,
               place=place, guardian=info.guardian_name, phone=info.guardian_phone)
