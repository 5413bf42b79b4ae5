"""The overdue board: students out on a slip past return_by, their alerts (one per slip on every station)
and the outcomes the gate or office records."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from kiosk import clock
from kiosk.config import Settings
from kiosk.models import Staff, Student
from kiosk.models.slips import GateCrossing, OverdueAlert
from kiosk.services import slip_rules
from kiosk.services.actor import Actor
from kiosk.services.facts import record
from kiosk.services.names import clean_text
from kiosk.services.slip_rules import StudentInfo
from kiosk.services.slips import SlipError, student_info


ALERT_NAMESPACE = uuid.UUID("7d0c4c52-3f4e-4d0a-9a55-5c1e0c0f5a11")


@dataclass(frozen=True)
class OverdueRow:
    alert_id: str | None
    slip_id: str
    student: StudentInfo
    exited_at: datetime
    return_by: datetime
    minutes_late: int
    head_teacher: str
    head_teacher_phone: str
    guardian_phone: str
    resolved: bool = False
    resolution: str = ""
    returned_at: datetime | None = None  # came back late, alert still open until someone records what happened


def _head_teacher(school_id: str, class_name: str) -> Staff | None:
    return (Staff.select().where((Staff.school_id == school_id) & (Staff.class_name == class_name)
                                 & Staff.roles.contains("head_teacher")).first())


def overdue_board(settings: Settings, now: datetime | None = None, *, include_resolved: bool = False) -> list[OverdueRow]:
    """Everyone out on a slip past return_by (not returned), latest deadline last; with alert state.

    A student still out stays on the board after an outcome is recorded ("明天返校" does not bring her
    back); `include_resolved` adds those who came back and whose alert is closed."""
    from kiosk.services.slip_queries import students_out

    now = now or clock.now()
    school_id = settings.school.id
    rows = []
    alerts = {a.slip_id: a for a in OverdueAlert.select().where(OverdueAlert.school_id == school_id)}
    for out in students_out(school_id, now):
        if not out.overdue or out.slip_id is None:
            continue
        student = Student.get_by_id(out.student_id)
        teacher = _head_teacher(school_id, student.class_name)
        alert = alerts.get(out.slip_id)
        rows.append(OverdueRow(
            alert.id if alert else None, out.slip_id, student_info(student), out.exited_at, out.return_by,
            slip_rules.overdue_minutes(now, out.return_by), teacher.name if teacher else "",
            teacher.phone if teacher else "", student.guardian_phone,
            alert is not None and alert.resolved_at is not None, alert.resolution if alert else "",
        ))
    shown = {row.slip_id for row in rows}
    for alert in alerts.values():
        if alert.slip_id in shown or (alert.resolved_at is not None and not include_resolved):
            continue
        back = (GateCrossing.select().where((GateCrossing.slip_id == alert.slip_id) & (GateCrossing.direction == "return"))
                .order_by(GateCrossing.at).first())
        exited = (GateCrossing.select().where((GateCrossing.slip_id == alert.slip_id) & (GateCrossing.direction == "exit"))
                  .order_by(GateCrossing.at).first())
        if exited is None:
            continue
        student = Student.get_by_id(alert.student_id)
        teacher = _head_teacher(school_id, student.class_name)
        returned = back.at if back is not None else None
        rows.append(OverdueRow(
            alert.id, alert.slip_id, student_info(student), exited.at, alert.return_by,
            slip_rules.overdue_minutes(now, alert.return_by, returned), teacher.name if teacher else "",
            teacher.phone if teacher else "", student.guardian_phone, alert.resolved_at is not None, alert.resolution,
            returned,
        ))
    return sorted(rows, key=lambda r: r.return_by)


def alert_id_for(slip_id: str) -> str:
    return str(uuid.uuid5(ALERT_NAMESPACE, slip_id))


def raise_overdue_alerts(actor: Actor, settings: Settings, now: datetime | None = None) -> int:
    """Open an alert for every newly overdue slip (one per slip, same id on every station); returns how many."""
    now = now or clock.now()
    raised = 0
    for row in overdue_board(settings, now, include_resolved=True):
        if row.alert_id is not None:
            continue
        alert_id = alert_id_for(row.slip_id)
        with record(actor, "slip.overdue_alert", entity="overdue_alert", entity_id=alert_id,
                    detail={"student": row.student.number, "return_by": row.return_by}, at=now) as w:
            if OverdueAlert.get_or_none(OverdueAlert.id == alert_id) is None:
                w.insert(OverdueAlert(id=alert_id, recorded_at=now, slip_id=row.slip_id,
                                      student=row.student.id, return_by=row.return_by))
                from kiosk.notify import events as notify_events  # told with the alert, in its transaction
                notify_events.overdue_raised(w, settings, OverdueAlert.get_by_id(alert_id))
                raised += 1
    return raised


def open_alerts(school_id: str) -> list[tuple[str, str, datetime]]:
    """(alert id, student name, return_by) of every unresolved alert, even if the student has come back."""
    query = (OverdueAlert.select(OverdueAlert, Student).join(Student)
             .where((OverdueAlert.school_id == school_id) & OverdueAlert.resolved_at.is_null())
             .order_by(OverdueAlert.return_by))
    return [(a.id, a.student.name, a.return_by) for a in query]


def resolve_alert(actor: Actor, alert_id: str, note: str) -> None:
    now = clock.now()
    note = clean_text(note)[:200]
    if not note:
        raise SlipError("slips.err_resolution")
    alert = OverdueAlert.get_or_none((OverdueAlert.school_id == actor.school_id) & (OverdueAlert.id == alert_id))
    if alert is None:
        raise SlipError("slips.err_unknown_alert")
    if alert.resolved_at is not None:
        raise SlipError("slips.err_already_resolved")
    alert.resolved_at, alert.resolved_by, alert.resolution = now, actor.staff_id, note
    with record(actor, "slip.overdue_resolve", entity="overdue_alert", entity_id=alert.id, detail={"note": note}, at=now) as w:
        w.update(alert, OverdueAlert.resolved_at, OverdueAlert.resolved_by, OverdueAlert.resolution)
