"""What the school records about a student, as the roster's columns state it: one home for the fields the
roster import checks (roster_checks.StudentRow) and the lookups hand to screens (people.StudentInfo)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StudentFields:
    number: str
    name: str
    gender: str  # M / F
    grade: str
    class_name: str
    boarder: bool
    building: str  # '' for a day student
    room: str
    bed: int | None
    guardian_name: str
    guardian_phone: str
    active: bool
