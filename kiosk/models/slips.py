"""Pass slips 出门条 and gate crossings: the office issues and revokes, the gate checks and records.

Tables (all written through kiosk.services.facts.record, all synced):

- SlipKey: the office's Ed25519 *public* keys, one row per key id (rotation = a new key id; old keys stay
  so slips already printed still verify). The private key is a file on the office PC (0600), never in
  the database, never synced. Gate stations import public keys only, so they can verify but not mint.
- PassSlip: one slip as issued. Immutable after issue except `approved_at` (set when the last approval
  in the ladder is given). `code` is the signed QR payload exactly as printed.
- SlipApproval: one row per approval given (role + staff + time). The issuer's own approval is a row too.
- SlipRevocation: one row per revocation; a revocation is never undone (the first row counts).
- GateCrossing: every crossing fact: student, direction exit|return, kind slip|day_card|verbal_exception,
  slip_id (null unless kind=slip), exception_id (null unless kind=verbal_exception), `at`, staff, station;
  a slip exit also carries the slip's signed `return_by`, so overdue and dorm queries need only this table.
- GateScan: every scan at the gate, refusals and forgeries included (raw code sanitised and truncated).
- VerbalException: 班主任口头同意 recorded by the gatekeeper; flagged until the teacher confirms it.
- OverdueAlert: raised once per slip whose student is out past `return_by`; stays until resolved with a note.
  Its id is derived from the slip id (uuid5), so two stations raising it offline make the same row.

Derived states are computed, never stored: a slip is out when it has an exit crossing and no return
crossing; overdue when out and now > return_by; expired when never used and now > leave_to.

Who is legitimately out on a slip and not returned as of time T (the dorm station's question):
for each student, take their latest GateCrossing with `at <= T`; they are out on leave when that crossing
is an `exit` whose kind is `slip` or `verbal_exception`. (A day_card exit is a day student going home.)
In SQL (SQLite and PostgreSQL alike; `at` is fixed-width UTC text, so text order is time order):

    SELECT c.student_id, c.slip_id, c.at AS exited_at, c.return_by FROM gate_crossing c
    WHERE c.school_id = :school AND c.direction = 'exit' AND c.kind IN ('slip', 'verbal_exception')
      AND c.at <= :t
      AND NOT EXISTS (SELECT 1 FROM gate_crossing r
                      WHERE r.student_id = c.student_id AND r.direction = 'return'
                        AND r.at > c.at AND r.at <= :t)

`kiosk.services.slip_queries.students_out(school_id, at)` runs exactly this and returns frozen
dataclasses (student, slip, exited_at, return_by, overdue) for callers that prefer not to write SQL.
The index gate_crossing(student_id, at) serves both the NOT EXISTS probe and the per-student history.
"""
from __future__ import annotations

import peewee

from kiosk.models.base import FactModel, JSONField, UtcDateTimeField
from kiosk.models.people import Student

REASON_KINDS = ("sick", "personal", "home", "other")  # 病假 / 事假 / 回家 / 其他
DIRECTIONS = ("exit", "return")
CROSSING_KINDS = ("slip", "day_card", "verbal_exception")
VERDICTS = ("exit", "return", "refuse")


class SlipKey(FactModel):
    """An office signing key's public half. `key_id` is what the QR carries (0..65535)."""

    key_id = peewee.IntegerField()
    public_key = peewee.CharField(max_length=64)  # 32 raw bytes, hex
    label = peewee.CharField(default="")
    retired_at = UtcDateTimeField(null=True)  # retired keys still verify old slips; new slips use the newest active

    class Meta:
        indexes = ((("school_id", "key_id"), True),)


class PassSlip(FactModel):
    """A slip as issued. `staff_id` (from FactModel) is the issuer; `recorded_at` is the issue time."""

    student = peewee.ForeignKeyField(Student, backref="slips")
    student_number = peewee.CharField()  # as signed into the code
    reason_kind = peewee.CharField(max_length=16)  # REASON_KINDS
    reason_note = peewee.CharField(default="")
    leave_from = UtcDateTimeField()  # exit allowed from ...
    leave_to = UtcDateTimeField()  # ... until (inclusive)
    return_by = UtcDateTimeField()  # back in by this time, else overdue
    companion_name = peewee.CharField(default="")
    companion_relation = peewee.CharField(default="")
    companion_phone = peewee.CharField(default="")
    required_roles = peewee.CharField()  # comma-separated approval ladder, e.g. "head_teacher,discipline"
    approved_at = UtcDateTimeField(null=True)  # set when every required role has approved; null = waiting
    key_id = peewee.IntegerField()
    code = peewee.TextField()  # the signed QR payload, exactly as printed

    class Meta:
        indexes = ((("student", "leave_from"), False), (("school_id", "leave_from"), False))

    def required_role_list(self) -> list[str]:
        return [role for role in self.required_roles.split(",") if role]


class SlipApproval(FactModel):
    """One approval of one slip by one role; `staff_id` approved at `recorded_at`."""

    slip = peewee.ForeignKeyField(PassSlip, backref="approvals")
    role = peewee.CharField(max_length=32)
    note = peewee.CharField(default="")

    class Meta:
        indexes = ((("slip", "role"), False),)


class SlipRevocation(FactModel):
    """A revocation (never undone); `staff_id` revoked at `recorded_at`."""

    slip = peewee.ForeignKeyField(PassSlip, backref="revocations")
    reason = peewee.CharField()


class VerbalException(FactModel):
    """A crossing on a teacher's spoken word (no slip). `staff_id` is the gatekeeper who recorded it."""

    student = peewee.ForeignKeyField(Student, backref="verbal_exceptions")
    direction = peewee.CharField(max_length=8)
    teacher_name = peewee.CharField()
    teacher_phone = peewee.CharField(default="")
    teacher_staff_id = peewee.CharField(max_length=36, null=True)  # when the name matched a staff member
    note = peewee.CharField(default="")
    confirmed_by = peewee.CharField(max_length=36, null=True)  # staff id of the teacher who confirmed
    confirmed_at = UtcDateTimeField(null=True)
    confirm_note = peewee.CharField(default="")

    class Meta:
        indexes = ((("school_id", "confirmed_at"), False),)


class GateCrossing(FactModel):
    """A student went through the gate. `staff_id` is the gatekeeper, `station_id` the gate."""

    student = peewee.ForeignKeyField(Student, backref="crossings")
    direction = peewee.CharField(max_length=8)  # exit | return
    kind = peewee.CharField(max_length=20)  # slip | day_card | verbal_exception
    # Not foreign keys: a gate may verify (by signature) and record a slip whose row has not synced yet.
    slip_id = peewee.CharField(max_length=36, null=True)
    exception_id = peewee.CharField(max_length=36, null=True)
    at = UtcDateTimeField()
    return_by = UtcDateTimeField(null=True)  # exits on a slip: the signed deadline, so overdue needs no slip row
    flags = peewee.CharField(default="")  # comma-separated, e.g. "card_lending,late"
    typed = peewee.BooleanField(default=False)  # the student number was typed by hand, not scanned

    class Meta:
        indexes = (
            (("student", "at"), False),
            (("slip_id", "direction"), False),
            (("school_id", "at"), False),
        )


class GateScan(FactModel):
    """Every scan or typed code at the gate, whatever the verdict. `recorded_at` is the scan time."""

    raw = peewee.CharField(max_length=80)  # sanitised (printable ASCII) and truncated
    verdict = peewee.CharField(max_length=8)  # exit | return | refuse
    reason_code = peewee.CharField(max_length=32)
    student = peewee.ForeignKeyField(Student, null=True, backref="scans")
    slip_id = peewee.CharField(max_length=36, null=True)  # not a foreign key: forged slips name unknown ids
    detail = JSONField(default=dict)
    typed = peewee.BooleanField(default=False)  # typed by hand, not scanned

    class Meta:
        indexes = ((("school_id", "recorded_at"), False), (("verdict", "recorded_at"), False))


class OverdueAlert(FactModel):
    """请假未归: raised when a student out on a slip passes return_by; resolved only with a note."""

    slip_id = peewee.CharField(max_length=36, unique=True)
    student = peewee.ForeignKeyField(Student, backref="overdue_alerts")
    return_by = UtcDateTimeField()
    resolved_at = UtcDateTimeField(null=True)
    resolved_by = peewee.CharField(max_length=36, null=True)
    resolution = peewee.CharField(default="")

    class Meta:
        indexes = ((("school_id", "resolved_at"), False),)


SLIP_MODELS = [SlipKey, PassSlip, SlipApproval, SlipRevocation, VerbalException, GateCrossing, GateScan, OverdueAlert]
