"""The dorm station: nightly headcount rounds, room marks, whereabouts records, unknown-whereabouts
incidents with their escalation acknowledgements, extra persons found, overnight guests 陪宿.

All rows are written through kiosk.services.facts.record (FactModel: who, which station, when).
Rules live in kiosk.services.headcount_rules; kiosk.services.headcount_facts builds the facts from these
tables, the roster and the gate crossings (kiosk.models.slips).

- HeadcountRound: one count of one building on one night (`night` = the evening's ISO date; a second
  round the same night is a new row with seq + 1). Submitting freezes a summary JSON (per room expected,
  present, absent by reason, names) and its SHA-256; the submitted row is never changed afterwards.
- RoomMark: the latest individual mark of one student in one round (ticked or scanned present, or absent
  with a reason). Updated in place through the write path (each change is an outbox row and an audit entry).
- RoomConfirm: a whole room confirmed present in one key, or by a typed count (append-only), listing the
  students it marked present. A student's state is the latest of their RoomMark and RoomConfirm facts.
- Whereabouts: sick bay 医务室 / collected by parent 家长接走, from `since` until `until` (null = still).
- Incident: an unknown whereabouts. Closes only with a recorded whereabouts and who confirmed it.
  A gate return after the round was submitted is written here (gate_return_at), never into the round.
- IncidentAck: one escalation step acknowledged by a named person (their PIN checked at the station).
- ExtraPerson: 非本室人员 found in a room during a round.
- GuestApproval: 陪宿 approved ahead by the student's head teacher (office station, during the day) for a short
  range of nights; the guest's ID number is stored masked only. GuestApprovalRevocation withdraws one
  (append-only, with a reason; never undone).
- OvernightGuest: 陪宿 registered at the dorm on arrival. With an approval covering the night only the dorm
  manager's PIN is needed (`approval` points at it, teacher id/name come from it); without one, the
  exception path: head teacher and dorm manager both PIN-confirmed at the station. ID masked.
"""
from __future__ import annotations

import peewee

from kiosk.models.base import FactModel, JSONField, UtcDateTimeField
from kiosk.models.people import Building, Room, Student


class HeadcountRound(FactModel):
    building = peewee.ForeignKeyField(Building, backref="headcounts")
    night = peewee.CharField(max_length=10)  # YYYY-MM-DD, the evening's date in school time
    seq = peewee.IntegerField(default=1)  # 1st, 2nd ... round of this building this night
    started_at = UtcDateTimeField()
    submitted_at = UtcDateTimeField(null=True)
    submitted_by = peewee.CharField(max_length=36, null=True)  # staff id
    submitted_name = peewee.CharField(default="")
    summary = JSONField(null=True)
    summary_hash = peewee.CharField(max_length=64, default="")

    class Meta:
        indexes = ((("building", "night", "seq"), True), (("school_id", "night"), False))


class RoomMark(FactModel):
    round = peewee.ForeignKeyField(HeadcountRound, backref="marks")
    room = peewee.ForeignKeyField(Room, backref="marks")
    student = peewee.ForeignKeyField(Student, backref="room_marks")
    present = peewee.BooleanField()
    reason = peewee.CharField(max_length=16, default="")  # absent: on_leave | sick_bay | with_parent | other | unknown
    note = peewee.CharField(default="")
    method = peewee.CharField(max_length=8)  # all | count | tick | scan

    class Meta:
        indexes = ((("round", "student"), True),)


class RoomConfirm(FactModel):
    """A room confirmed in one key (all present) or by a typed count: the students it marked present,
    listed, so one row stands for the whole room (a 600-bed building is ~100 rows, not 600)."""

    round = peewee.ForeignKeyField(HeadcountRound, backref="confirms")
    room = peewee.ForeignKeyField(Room, backref="confirms")
    method = peewee.CharField(max_length=8)  # all | count
    students = JSONField()  # ids of the students marked present by this confirmation
    counted = peewee.IntegerField(null=True)  # the typed count (method=count)
    expected = peewee.IntegerField()

    class Meta:
        indexes = ((("round", "room"), False),)


class Whereabouts(FactModel):
    student = peewee.ForeignKeyField(Student, backref="whereabouts")
    kind = peewee.CharField(max_length=16)  # sick_bay | with_parent
    note = peewee.CharField(default="")
    since = UtcDateTimeField()
    until = UtcDateTimeField(null=True)
    ended_by = peewee.CharField(max_length=36, null=True)

    class Meta:
        indexes = ((("student", "since"), False), (("school_id", "until"), False))


class Incident(FactModel):
    student = peewee.ForeignKeyField(Student, backref="incidents")
    room = peewee.ForeignKeyField(Room, null=True, backref="incidents")
    round = peewee.ForeignKeyField(HeadcountRound, null=True, backref="incidents")
    night = peewee.CharField(max_length=10)
    opened_at = UtcDateTimeField()
    note = peewee.CharField(default="")
    gate_return_at = UtcDateTimeField(null=True)  # the gate saw the student return after the incident opened
    closed_at = UtcDateTimeField(null=True)
    closed_by = peewee.CharField(max_length=36, null=True)  # staff id at the station
    whereabouts = peewee.CharField(default="")  # where the student was, as recorded when closing
    confirmed_by = peewee.CharField(max_length=36, null=True)  # staff id of the person who confirmed it
    confirmed_name = peewee.CharField(default="")

    class Meta:
        indexes = ((("school_id", "closed_at"), False), (("school_id", "night"), False))


class IncidentAck(FactModel):
    incident = peewee.ForeignKeyField(Incident, backref="acks")
    step = peewee.IntegerField()
    role = peewee.CharField(max_length=32)
    ack_staff_id = peewee.CharField(max_length=36)
    ack_name = peewee.CharField()
    note = peewee.CharField(default="")

    class Meta:
        indexes = ((("incident", "step"), False),)


class ExtraPerson(FactModel):
    round = peewee.ForeignKeyField(HeadcountRound, backref="extras")
    room = peewee.ForeignKeyField(Room, backref="extras")
    name = peewee.CharField()
    note = peewee.CharField(default="")
    student = peewee.ForeignKeyField(Student, null=True, backref="found_elsewhere")


class GuestApproval(FactModel):
    """A head teacher's approval of one guest for one student, nights first_night..last_night inclusive."""

    student = peewee.ForeignKeyField(Student, backref="guest_approvals")
    guest_name = peewee.CharField()
    id_masked = peewee.CharField(default="")  # first 6 and last 4 visible; the full number is never stored
    relation = peewee.CharField()
    first_night = peewee.CharField(max_length=10)  # YYYY-MM-DD, evening dates in school time
    last_night = peewee.CharField(max_length=10)
    note = peewee.CharField(default="")
    teacher_id = peewee.CharField(max_length=36)  # the approving head teacher (or admin)
    teacher_name = peewee.CharField()

    class Meta:
        indexes = ((("school_id", "last_night"), False),)


class GuestApprovalRevocation(FactModel):
    approval = peewee.ForeignKeyField(GuestApproval, backref="revocations")
    reason = peewee.CharField()


class OvernightGuest(FactModel):
    room = peewee.ForeignKeyField(Room, backref="guests")
    night = peewee.CharField(max_length=10)
    name = peewee.CharField()
    id_masked = peewee.CharField(default="")  # first 6 and last 4 visible
    relation = peewee.CharField()
    student = peewee.ForeignKeyField(Student, null=True, backref="guests")  # the student they stay with
    teacher_id = peewee.CharField(max_length=36)
    teacher_name = peewee.CharField()
    manager_id = peewee.CharField(max_length=36)
    manager_name = peewee.CharField()
    approval = peewee.ForeignKeyField(GuestApproval, null=True, backref="registrations")  # null: both PINs at the dorm

    class Meta:
        indexes = ((("room", "night"), False), (("school_id", "night"), False))


DORM_MODELS = [HeadcountRound, RoomMark, RoomConfirm, Whereabouts, Incident, IncidentAck, ExtraPerson, GuestApproval,
               GuestApprovalRevocation, OvernightGuest]
