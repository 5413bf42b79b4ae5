"""Notifications caused by time passing, written by the station that owns their subject when they come due.

- the missing-student ladder: each step of an open unknown-whereabouts incident that this station opened,
  as it becomes due ([dorm] escalation_minutes: head teacher at once, duty leader +30, leadership +60),
  none once anyone acknowledged or the incident closed;
- overdue returns: on gates and the office (the kinds that may write overdue alerts) the slips' overdue alerts
  are raised here too, so no screen needs to be open;
- a dish served without a sample: meals this station recorded whose service time passed with a dish
  unsampled tell the food-safety officer once per meal.
Each is written in its own transaction, with ids from the dedupe key, so planning twice writes nothing new.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from kiosk.models import Student
from kiosk.models.base import utc_text
from kiosk.notify import rules, store
from kiosk.services.facts import record

LOOKBACK = timedelta(days=2)  # older incidents and meals are reports, not news


def plan_due(actor, settings, now: datetime) -> int:
    channels = store.enabled_channels(settings)
    if not channels:
        return 0
    from kiosk.sync.policy import policies

    if settings.station.kind in policies()["overdue_alert"].insert:  # a dorm's alert would be refused at central
        _raise_overdue(actor, settings, now)
    return _plan_ladders(actor, settings, now, channels) + _plan_samples(actor, settings, now, channels)


def _raise_overdue(actor, settings, now: datetime) -> None:
    """Raise the overdue alerts that came due (same alert id on every station); raising one writes its
    notifications (kiosk.notify.events.overdue_raised) on the gate that recorded the exit. An alert another
    station raised first, and that reached us by sync, is taken up here: its notifications are written now."""
    from kiosk.models.slips import GateCrossing, OverdueAlert
    from kiosk.notify import events
    from kiosk.notify.model import Notification
    from kiosk.services.slips_overdue import raise_overdue_alerts

    raise_overdue_alerts(actor, settings, now)
    told = Notification.select(Notification.subject_id).where(Notification.event == "overdue")
    mine = GateCrossing.select(GateCrossing.slip_id).where(
        (GateCrossing.direction == "exit") & (GateCrossing.station_id == actor.station_id))
    untold = OverdueAlert.select().where(
        (OverdueAlert.school_id == actor.school_id) & OverdueAlert.resolved_at.is_null()
        & OverdueAlert.slip_id.in_(mine) & OverdueAlert.id.not_in(told) & (OverdueAlert.return_by >= now - LOOKBACK))
    for alert in untold:
        try:
            with record(actor, "notify.overdue", entity="overdue_alert", entity_id=alert.id, at=now) as w:
                if not events.overdue_raised(w, settings, alert):
                    raise _NothingToWrite  # nobody reachable: no audit entry every pass
        except _NothingToWrite:
            pass


class _NothingToWrite(Exception):
    """Rolls back a planning transaction that found no one to tell."""


def _plan_ladders(actor, settings, now: datetime, channels: list[str]) -> int:
    from kiosk.models.dorm import Incident, IncidentAck
    from kiosk.services.escalation_rules import Acknowledgement

    written = 0
    open_here = Incident.select().where(
        (Incident.school_id == actor.school_id) & (Incident.station_id == actor.station_id)
        & Incident.closed_at.is_null() & (Incident.opened_at >= now - LOOKBACK))
    staff = None
    for incident in open_here:
        acks = [Acknowledgement(a.step, a.ack_staff_id, a.ack_name, a.recorded_at)
                for a in IncidentAck.select().where(IncidentAck.incident == incident.id)]
        due = rules.ladder_steps_due(incident.opened_at, now, settings.dorm.escalation_minutes, acks=acks,
                                     closed_at=incident.closed_at)
        if not due:
            continue
        staff = staff if staff is not None else store.staff_contacts(actor.school_id)
        student = Student.get_by_id(incident.student_id)
        room = incident.room if incident.room_id else None
        params = {**store.student_params(student), "at": utc_text(incident.opened_at),
                  "room": f"{room.building.name} {room.number}" if room else ""}
        drafts = []
        for step, role, due_at in due:
            drafts += rules.drafts_for_step("missing", incident.id, step, (role,), due_at, channels=channels,
                                            staff=staff, class_name=student.class_name, params=params)
        if any(store.is_new(d, actor.school_id) for d in drafts):
            with record(actor, "notify.ladder_step", entity="incident", entity_id=incident.id,
                        detail={"steps": [step for step, _, _ in due]}, at=now) as w:
                written += store.write_drafts(w, drafts, actor.station_id)
    return written


def _plan_samples(actor, settings, now: datetime, channels: list[str]) -> int:
    from kiosk.models.canteen import Meal
    from kiosk.services.canteen.meals import meals_for_day

    today = now.astimezone(ZoneInfo(settings.school.timezone)).date()
    mine = {m.id for m in Meal.select(Meal.id).where(
        (Meal.school_id == actor.school_id) & (Meal.station_id == actor.station_id) & (Meal.meal_date == today))}
    if not mine:
        return 0
    written = 0
    staff = store.staff_contacts(actor.school_id)
    for meal in meals_for_day(settings, today, now):
        if meal.id not in mine or not meal.missed:
            continue
        params = {"meal_name": meal.name, "meal_kind": meal.kind, "service_time": meal.service_time, "dishes": "、".join(meal.missed),
                  "date": meal.meal_date.isoformat()}
        drafts = []
        for step, roles in rules.event_steps("sample_missing", settings.notify):
            drafts += rules.drafts_for_step("sample_missing", meal.id, step, roles, now, channels=channels,
                                            staff=staff, params=params)
        if any(store.is_new(d, actor.school_id) for d in drafts):
            with record(actor, "notify.sample_missing", entity="meal", entity_id=meal.id,
                        detail={"dishes": list(meal.missed)}, at=now) as w:
                written += store.write_drafts(w, drafts, actor.station_id)
    return written
