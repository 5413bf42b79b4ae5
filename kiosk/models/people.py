"""The school's people and places: school, dorm buildings and rooms, students, staff."""
from __future__ import annotations

from enum import StrEnum

import peewee

from kiosk.models.base import BaseModel, SchoolModel, UtcDateTimeField


class Role(StrEnum):
    """A staff member's roles (Staff.roles, comma-separated). A StrEnum member is its string, so the role sets
    of each feature (GATE_ROLES, REVIEW_ROLES, ...) stay plain strings; tests/test_roles.py checks every role
    name written in the code is one of these."""

    GATEKEEPER = "gatekeeper"
    DORM_SUPERVISOR = "dorm_supervisor"
    DORM_MANAGER = "dorm_manager"
    CANTEEN = "canteen"
    FOOD_SAFETY = "food_safety"
    HEAD_TEACHER = "head_teacher"
    DISCIPLINE = "discipline"
    DUTY_LEADER = "duty_leader"
    PRINCIPAL = "principal"
    ADMIN = "admin"


ROLES = tuple(role.value for role in Role)


class School(BaseModel):
    id = peewee.CharField(primary_key=True, max_length=40)
    name = peewee.CharField()
    timezone = peewee.CharField(default="Asia/Shanghai")


class Building(SchoolModel):
    name = peewee.CharField()
    gender = peewee.CharField(max_length=1)  # M / F

    class Meta:
        indexes = ((("school_id", "name"), True),)


class Room(SchoolModel):
    building = peewee.ForeignKeyField(Building, backref="rooms")
    number = peewee.CharField()
    beds = peewee.IntegerField(default=6)

    class Meta:
        indexes = ((("building", "number"), True),)


class Student(SchoolModel):
    number = peewee.CharField()
    name = peewee.CharField()
    initials = peewee.CharField(default="")  # pinyin initials: 张华丽 -> zhl
    gender = peewee.CharField(max_length=1)
    grade = peewee.CharField()
    class_name = peewee.CharField()
    boarder = peewee.BooleanField()
    room = peewee.ForeignKeyField(Room, null=True, backref="students")
    bed = peewee.IntegerField(null=True)
    guardian_name = peewee.CharField(default="")
    guardian_phone = peewee.CharField(default="")
    active = peewee.BooleanField(default=True)
    updated_at = UtcDateTimeField()

    class Meta:
        indexes = ((("school_id", "number"), True), (("room", "bed"), False))


class Staff(SchoolModel):
    number = peewee.CharField()
    name = peewee.CharField()
    initials = peewee.CharField(default="")
    roles = peewee.CharField()  # comma-separated, from ROLES
    class_name = peewee.CharField(default="")  # the head teacher's class
    phone = peewee.CharField(default="")
    card_code = peewee.CharField(default="")  # what the staff card's barcode types
    pin_hash = peewee.CharField()
    active = peewee.BooleanField(default=True)
    updated_at = UtcDateTimeField()

    class Meta:
        indexes = ((("school_id", "number"), True),)

    def role_set(self) -> frozenset[str]:
        return frozenset(role for role in self.roles.split(",") if role)


class LoginState(BaseModel):
    """Per-station failed-PIN counter; local state, never synced."""

    staff_id = peewee.CharField(primary_key=True, max_length=36)
    failures = peewee.IntegerField(default=0)
    locked_until = UtcDateTimeField(null=True)
