"""The school's people and places: school, dorm buildings and rooms, students, staff."""
from __future__ import annotations

import peewee

from kiosk.models.base import BaseModel, SchoolModel, UtcDateTimeField

ROLES = (
    "gatekeeper",
    "dorm_supervisor",
    "dorm_manager",
    "canteen",
    "food_safety",
    "head_teacher",
    "discipline",
    "duty_leader",
    "principal",
    "admin",
)


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
