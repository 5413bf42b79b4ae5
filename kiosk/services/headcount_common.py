"""What every part of the dorm's services shares: the user error they raise, who is logged in and who typed a PIN,
the buildings, and whom to call about a student.

The dorm's services, one job per module (screens and the CLI call them; they return frozen dataclasses, never
peewee rows, and write only through kiosk.services.facts.record):
- headcount_facts: reads the reconciliation's inputs (roster, gate crossings, whereabouts, guests, marks);
- headcount_rounds: tonight's round of a building, as a RoundView;
- headcount_counting: marking a room or a student (Enter, a count, a tick, a card, an absence, an extra person);
- headcount_submit: the signed record of a round;
- headcount_history: previous nights and the night report;
- headcount_incidents: unknown whereabouts and their escalation ladder;
- headcount_whereabouts: sick bay and collected by a parent;
- headcount_guests: overnight guests 陪宿 at the dorm; headcount_guest_approvals: their approval at the office.
The rules are pure functions in kiosk.services.headcount_rules (the ladder: kiosk.services.escalation_rules).
User errors raise HeadcountError(i18n key) and change nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

import peewee

from kiosk.i18n import UserError
from kiosk.ids import short_code
from kiosk.models import Building, Room, Staff, Student
from kiosk.services.actor import Actor
from kiosk.services.auth import StaffSession, check_pin, find_staff, session_for

class HeadcountError(UserError):
    """A user error: `key` is an i18n key under dorm.*, `values` its placeholders. Nothing was changed."""

    text = UserError.message  # the dorm screens' name for it


@dataclass(frozen=True)
class BuildingInfo:
    building_id: str
    name: str
    rooms: int
    beds: int


@dataclass(frozen=True)
class Contact:
    """Who to call about a student: the class's head teacher and the guardian."""

    teacher_name: str
    teacher_phone: str
    guardian_phone: str


def require_login(actor: Actor) -> None:
    if actor.staff_id is None:
        raise HeadcountError("dorm.err_login")


def verify_staff(school_id: str, number: str, pin: str) -> StaffSession:
    """A named person's staff number (or card) and PIN, checked; the same check the PIN dialog makes."""
    staff = find_staff(number, school_id)
    if staff is None or not staff.active or not check_pin(pin, staff.pin_hash):
        raise HeadcountError("dorm.err_pin")
    return session_for(staff)


def current_staff(session: StaffSession) -> Staff:
    """The verified person as the database has them now (still active, current roles)."""
    staff = Staff.get_or_none(Staff.id == session.staff_id)
    if staff is None or not staff.active:
        raise HeadcountError("dorm.err_pin")
    return staff


def buildings(school_id: str) -> list[BuildingInfo]:
    rows = (Building.select(Building.id, Building.name, peewee.fn.COUNT(Room.id).alias("rooms"),
                            peewee.fn.COALESCE(peewee.fn.SUM(Room.beds), 0).alias("beds"))
            .join(Room, peewee.JOIN.LEFT_OUTER).where(Building.school_id == school_id)
            .group_by(Building.id).order_by(Building.name).dicts())
    return [BuildingInfo(row["id"], row["name"], row["rooms"], row["beds"]) for row in rows]


def find_building(school_id: str, name_or_id: str) -> BuildingInfo:
    for info in buildings(school_id):
        if name_or_id in (info.building_id, info.name):
            return info
    raise HeadcountError("dorm.err_building_unknown", name=name_or_id)


def short_code_of(row_id: str) -> str:
    return short_code(row_id) if row_id else ""


def chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def contacts(school_id: str, student_ids) -> dict[str, Contact]:
    """Head teacher (name, phone) and guardian phone of each student, for the screens that say whom to call."""
    ids = list(student_ids)
    if not ids:
        return {}
    students = list(Student.select(Student.id, Student.class_name, Student.guardian_phone).where(Student.id.in_(ids)))
    classes = {s.class_name for s in students}
    teachers = {}
    for member in (Staff.select().where((Staff.school_id == school_id) & Staff.class_name.in_(classes)
                                        & Staff.roles.contains("head_teacher") & Staff.active).order_by(Staff.number)):
        teachers.setdefault(member.class_name, member)
    result = {}
    for student in students:
        teacher = teachers.get(student.class_name)
        result[student.id] = Contact(teacher.name if teacher else "", (teacher.phone or "") if teacher else "",
                                     student.guardian_phone or "")
    return result
