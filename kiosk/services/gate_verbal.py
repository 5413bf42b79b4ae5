"""What the verbal-permission form (班主任口头同意, kiosk.screens.gate_verbal) looks up before anything is recorded:
the student (name and class, shown before saving) with their head teacher from the roster, and the staff list
searched by name, number or pinyin initials, each with the phone on the roster. Reads only; the record itself is
kiosk.services.slips_gate.record_verbal_exception."""
from __future__ import annotations

from dataclasses import dataclass

from kiosk.i18n import UserError
from kiosk.models import Staff
from kiosk.services.names import clean_identifier

HEAD_TEACHER_ROLE = "head_teacher"


@dataclass(frozen=True)
class Teacher:
    id: str
    number: str
    name: str
    class_name: str  # the class they are head teacher of, or ""
    phone: str  # from the roster; "" when the roster has none (the gatekeeper types it)
    roles: frozenset[str] = frozenset()

    def may_confirm_for(self, class_name: str) -> bool:
        """Whether they may confirm a permission for a student of `class_name` themselves (acting_roles)."""
        from kiosk.services.acting_roles import may_act_as_head_teacher

        return may_act_as_head_teacher(self.roles, self.class_name, class_name)


@dataclass(frozen=True)
class StudentCard:
    """The student as the form shows them before saving, and their head teacher if the roster names one."""

    number: str
    name: str
    class_name: str
    boarder: bool
    head_teacher: Teacher | None


def _teacher(member: Staff) -> Teacher:
    return Teacher(member.id, member.number, member.name, member.class_name, member.phone, member.role_set())


def student_card(school_id: str, number: str) -> StudentCard:
    """The student with this number and their head teacher; UserError when there is no such student."""
    from kiosk.services.people import student_by_number

    student = student_by_number(number, school_id)
    if student is None or not student.active:
        raise UserError("slips.err_unknown_student", number=clean_identifier(number))
    head = None
    if student.class_name:
        candidates = (Staff.select().where((Staff.school_id == school_id) & Staff.active
                                           & (Staff.class_name == student.class_name)).order_by(Staff.number))
        head = next((_teacher(m) for m in candidates if HEAD_TEACHER_ROLE in m.role_set()), None)
    return StudentCard(student.number, student.name, student.class_name, student.boarder, head)


def find_teachers(query: str, school_id: str, limit: int = 8) -> list[Teacher]:
    """Staff by name, number or pinyin initials (the people search), head teachers first; UserError when none."""
    from kiosk.services.people import search_people

    ids = [hit.id for hit in search_people(query, school_id, limit * 4) if hit.kind == "staff"]
    found = {member.id: member for member in Staff.select().where(Staff.id.in_(ids))} if ids else {}
    teachers = [_teacher(found[staff_id]) for staff_id in ids if staff_id in found]
    teachers.sort(key=lambda teacher: not teacher.class_name)  # stable: the search's own order within each group
    if not teachers:
        raise UserError("gate.verbal_no_teacher", query=clean_identifier(query))
    return teachers[:limit]
