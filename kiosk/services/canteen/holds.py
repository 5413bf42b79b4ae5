"""Incident holds 封存 (admins set and release them): samples of the held dates are evidence and cannot be
disposed of; the inspectors' lists of the samples held, and of those of the dates disposed before the hold."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kiosk import clock
from kiosk.config import Settings
from kiosk.models.canteen import IncidentHold, Sample, SampleDisposal
from kiosk.services.actor import Actor
from kiosk.services.canteen.core import CanteenError, SampleView, hold_spans, require_admin, sample_views
from kiosk.services.canteen.disposal import undisposed
from kiosk.services.facts import record
from kiosk.services.names import clean_text


@dataclass(frozen=True)
class HoldView:
    id: str
    start_date: date
    end_date: date
    reason: str
    set_by_name: str
    set_at: datetime
    active: bool
    released_at: datetime | None
    release_reason: str
    samples: int  # samples it holds (not yet disposed)
    disposed: int = 0  # samples of its dates disposed before it was set: 已处理，无法封存


def set_hold(actor: Actor, settings: Settings, start: date, end: date, reason: str) -> str:
    """封存 (admin): samples of meals dated start..end cannot be disposed until the hold is released."""
    require_admin(actor)
    reason = clean_text(reason)[:200]
    if not reason:
        raise CanteenError("canteen.err_hold_reason")
    if end < start:
        raise CanteenError("canteen.err_hold_dates")
    hold = IncidentHold(start_date=start, end_date=end, reason=reason, set_by_name=actor.staff_name)
    with record(actor, "canteen.hold_set", entity="incident_hold", entity_id=hold.id,
                detail={"from": start.isoformat(), "to": end.isoformat(), "reason": reason}) as w:
        w.insert(hold)
    return hold.id


def release_hold(actor: Actor, settings: Settings, hold_id: str, reason: str) -> None:
    require_admin(actor)
    hold = IncidentHold.get_or_none((IncidentHold.id == hold_id) & (IncidentHold.school_id == settings.school.id))
    if hold is None or hold.released_at is not None:
        raise CanteenError("canteen.err_hold_unknown")
    reason = clean_text(reason)[:200]
    if not reason:
        raise CanteenError("canteen.err_hold_reason")
    hold.released_at = clock.now()
    hold.released_by = actor.staff_id
    hold.release_reason = reason
    with record(actor, "canteen.hold_release", entity="incident_hold", entity_id=hold.id, detail={"reason": reason}) as w:
        w.update(hold, IncidentHold.released_at, IncidentHold.released_by, IncidentHold.release_reason)


def _disposed_of_dates(settings: Settings, start: date, end: date):
    return (Sample.select().join(SampleDisposal, on=(SampleDisposal.sample_id == Sample.id))
            .where((Sample.school_id == settings.school.id) & (Sample.meal_date >= start) & (Sample.meal_date <= end)))


def holds(settings: Settings) -> list[HoldView]:
    result = []
    for hold in IncidentHold.select().where(IncidentHold.school_id == settings.school.id).order_by(IncidentHold.recorded_at.desc()):
        count = len(undisposed(settings, Sample.meal_date >= hold.start_date, Sample.meal_date <= hold.end_date))
        gone = _disposed_of_dates(settings, hold.start_date, hold.end_date).count()
        result.append(HoldView(hold.id, hold.start_date, hold.end_date, hold.reason, hold.set_by_name, hold.recorded_at,
                               hold.released_at is None, hold.released_at, hold.release_reason, count, gone))
    return result


def held_samples(settings: Settings) -> list[SampleView]:
    """Samples under an active incident hold (the list for the inspectors), oldest first."""
    views = sample_views(settings, undisposed(settings))
    return sorted((v for v in views if v.state == "held"), key=lambda v: v.sampled_at)


def disposed_under_holds(settings: Settings) -> list[SampleView]:
    """Samples of an active hold's dates that were disposed before the hold: they cannot be sealed, and the
    inspectors must see them (已处理，无法封存, with who disposed them and when), never a silent gap."""
    spans = [h for h in hold_spans(settings.school.id) if not h.released]
    if not spans:
        return []
    found = {s.id: s for span in spans for s in _disposed_of_dates(settings, span.start, span.end)}
    return sorted(sample_views(settings, list(found.values())), key=lambda v: v.sampled_at)
