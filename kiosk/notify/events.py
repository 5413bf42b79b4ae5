"""Hooks the services call inside their own write transaction (`w` is kiosk.services.facts.FactWriter),
so a notification exists exactly when the event that causes it committed. Each returns quickly and writes
nothing when no channel is configured (on screen only, as before).
"""
from __future__ import annotations

from datetime import timedelta

from kiosk.models import Student
from kiosk.models.base import utc_text
from kiosk.notify import rules, store


def slip_crossing(w, settings, crossing) -> int:
    """A boarder crossed the gate on a slip: the guardian is told per [notify] guardian_slip."""
    channels = store.enabled_channels(settings)
    if not channels or crossing.kind != "slip" or not rules.guardian_told(settings.notify.guardian_slip, crossing.direction):
        return 0
    student = Student.get_by_id(crossing.student_id)
    event = "slip_exit" if crossing.direction == "exit" else "slip_return"
    params = {**store.student_params(student), "at": utc_text(crossing.at), "gate": settings.station.name}
    drafts = rules.drafts_for_step(event, crossing.id, 0, ("guardian",), crossing.at, channels=channels, staff=[],
                                   guardian=store.guardian_contact(student), params=params)
    return store.write_drafts(w, drafts, w.actor.station_id)


def overdue_raised(w, settings, alert) -> int:
    """A boarder is past the slip's return deadline: guardian and head teacher at once, the duty leader after
    [notify] overdue_duty_leader_minutes (the roles are [notify] overdue_roles and overdue_later_roles).

    Every station may raise the same alert (same id everywhere); only the gate that recorded the exit writes
    and delivers its notifications, so each goes out once and only one station ever writes the row (a
    notification has a single writer: sync's last-writer-wins never has to choose between a 'sent' and a
    'queued' copy). An alert that reached the gate from elsewhere is taken up by its planner."""
    from kiosk.models.slips import GateCrossing

    channels = store.enabled_channels(settings)
    if not channels:
        return 0
    exit_row = (GateCrossing.select().where((GateCrossing.slip_id == alert.slip_id) & (GateCrossing.direction == "exit"))
                .order_by(GateCrossing.at).first())
    if (exit_row.station_id if exit_row is not None else w.actor.station_id) != w.actor.station_id:
        return 0
    student = Student.get_by_id(alert.student_id)
    params = {**store.student_params(student), "return_by": utc_text(alert.return_by),
              "at": utc_text(exit_row.at) if exit_row is not None else ""}
    staff = store.staff_contacts(w.actor.school_id)
    guardian = store.guardian_contact(student)
    later = timedelta(minutes=settings.notify.overdue_duty_leader_minutes)
    drafts = []
    for step, roles in rules.event_steps("overdue", settings.notify):
        due = max(alert.return_by + later, w.at) if step else w.at
        drafts += rules.drafts_for_step("overdue", alert.id, step, roles, due, channels=channels, staff=staff,
                                        class_name=student.class_name, guardian=guardian, params=params)
    return store.write_drafts(w, drafts, w.actor.station_id)


def watchlist_deny(w, settings, visit, decision: str) -> int:
    """A watchlist *deny* hit at the gate: the duty leader ([notify] watchlist_deny_roles) is told who, when,
    which gate and what was decided."""
    channels = store.enabled_channels(settings)
    if not channels:
        return 0
    params = {"visitor": visit.name, "at": utc_text(visit.time_in), "gate": settings.station.name,
              "decision": decision}
    drafts = []
    for step, roles in rules.event_steps("watchlist_deny", settings.notify):
        drafts += rules.drafts_for_step("watchlist_deny", visit.id, step, roles, w.at, channels=channels,
                                        staff=store.staff_contacts(w.actor.school_id), params=params)
    return store.write_drafts(w, drafts, w.actor.station_id)
