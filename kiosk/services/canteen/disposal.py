"""Disposal of retained samples by label scan: only after the retention time and outside any incident hold;
refusals say why (how long is left, which hold, already disposed by whom) and write nothing. The due and
overdue lists."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kiosk import clock
from kiosk.config import Settings
from kiosk.models.canteen import Sample, SampleDisposal
from kiosk.services import sample_rules as rules
from kiosk.services.actor import Actor
from kiosk.services.canteen.core import CanteenError, SampleView, hold_spans, require_canteen_role, sample_views
from kiosk.services.canteen.samples import find_sample
from kiosk.services.facts import record
from kiosk.services.names import clean_text


@dataclass(frozen=True)
class DisposalOutcome:
    done: bool
    reason: str  # ok | too_early | held | already_disposed
    sample: SampleView
    hours_left: int = 0
    minutes_left: int = 0


def _verdict(settings: Settings, view: SampleView, now: datetime) -> rules.DisposalVerdict:
    sample = Sample.get_by_id(view.id)
    return rules.disposal_verdict(now, sampled_at=sample.sampled_at, retention_hours=sample.retention_hours,
                                  meal_date=sample.meal_date, holds=hold_spans(settings.school.id),
                                  disposed=view.state == "disposed")


def _refusal(verdict: rules.DisposalVerdict, view: SampleView) -> DisposalOutcome:
    hours, minutes = rules.split_remaining(verdict.remaining)
    return DisposalOutcome(verdict.allowed, verdict.reason, view, hours, minutes)


def check_disposal(settings: Settings, code: str) -> DisposalOutcome:
    """What disposing of a scanned sample would do now, without writing (the screen asks for the reviewer
    only when disposal is allowed)."""
    view = find_sample(settings, code)
    return _refusal(_verdict(settings, view, clock.now()), view)


def dispose(actor: Actor, settings: Settings, code: str, *, reviewer_id: str | None = None, reviewer_name: str = "",
            note: str = "") -> DisposalOutcome:
    """Dispose of a scanned sample if its retention time has passed and no incident hold covers it.
    Refusals (too early: how long is left; held; already disposed) write nothing."""
    require_canteen_role(actor)
    view = find_sample(settings, code)
    now = clock.now()
    verdict = _verdict(settings, view, now)
    if not verdict.allowed:
        return _refusal(verdict, view)
    if settings.canteen.require_reviewer and not reviewer_id:
        raise CanteenError("canteen.err_reviewer_required")
    if reviewer_id and reviewer_id == actor.staff_id:
        raise CanteenError("canteen.err_reviewer_self")
    sample = Sample.get_by_id(view.id)
    row = SampleDisposal(sample_id=sample.id, disposed_at=now, disposer_id=actor.staff_id,
                         disposer_name=actor.staff_name, reviewer_id=reviewer_id, reviewer_name=reviewer_name,
                         note=clean_text(note)[:200])
    with record(actor, "canteen.dispose", entity="sample", entity_id=sample.id, at=now,
                detail={"dish": sample.dish_name, "reviewer": reviewer_name}) as w:
        w.insert(row)
    return DisposalOutcome(True, "ok", sample_views(settings, [sample], now)[0])


def undisposed(settings: Settings, *conditions) -> list[Sample]:
    """The school's samples not yet disposed of (and matching `conditions`), the first due first."""
    disposed = SampleDisposal.select(SampleDisposal.sample_id)
    query = Sample.select().where((Sample.school_id == settings.school.id) & Sample.id.not_in(disposed), *conditions)
    return list(query.order_by(Sample.disposable_at))


def disposal_lists(settings: Settings, now: datetime | None = None) -> tuple[list[SampleView], list[SampleView]]:
    """(due, overdue): samples that may be disposed of now, and those due for longer than the overdue setting."""
    now = now or clock.now()
    views = sample_views(settings, undisposed(settings, Sample.disposable_at <= now), now)
    return [v for v in views if v.state == "due"], [v for v in views if v.state == "overdue"]
