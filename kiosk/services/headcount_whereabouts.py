"""Dorm-side records that a student is elsewhere tonight, from now until ended: sick bay, collected by a parent.
The reconciliation counts them as legitimately out (kiosk.services.headcount_rules)."""
from __future__ import annotations

from kiosk import clock
from kiosk.models import Student
from kiosk.models.dorm import Whereabouts
from kiosk.services import headcount_rules as rules
from kiosk.services.actor import Actor
from kiosk.services.facts import record
from kiosk.services.headcount_common import HeadcountError, require_login
from kiosk.services.names import clean_text


def record_whereabouts(actor: Actor, student_id: str, kind: str, note: str) -> str:
    """Sick bay or collected by a parent, from now until ended."""
    require_login(actor)
    if kind not in rules.WHEREABOUTS_KINDS:
        raise HeadcountError("dorm.err_reason")
    note = clean_text(note)
    if not note:
        raise HeadcountError("dorm.err_note_needed")
    student = Student.get_or_none((Student.id == student_id) & (Student.school_id == actor.school_id))
    if student is None:
        raise HeadcountError("dorm.err_student_not_here")
    now = clock.now()
    row = Whereabouts(recorded_at=now, student=student.id, kind=kind, note=note, since=now)
    with record(actor, f"dorm.{kind}", entity="student", entity_id=student.id, detail={"note": note}) as w:
        w.insert(row)
    return row.id


def end_whereabouts(actor: Actor, record_id: str) -> None:
    require_login(actor)
    row = Whereabouts.get_or_none(Whereabouts.id == record_id)
    if row is None or row.until is not None:
        raise HeadcountError("dorm.err_record_unknown")
    row.until, row.ended_by = clock.now(), actor.staff_id
    with record(actor, "dorm.whereabouts_end", entity="student", entity_id=row.student_id, detail={"kind": row.kind}) as w:
        w.update(row, Whereabouts.until, Whereabouts.ended_by)
