"""What every canteen job shares: the error it raises, who may act, the school's time zone and day, and a
sample as screens see it (SampleView, built with its timing, fridge band, hold and disposal state)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from kiosk import clock
from kiosk.config import Settings
from kiosk.i18n import UserError
from kiosk.models.canteen import IncidentHold, Meal, Sample, SampleDisposal
from kiosk.services import sample_rules as rules
from kiosk.services.actor import Actor

LABEL_PREFIX = "LY"  # 留样: the QR payload is LY + the sample's 12-character short code
CANTEEN_ROLES = frozenset({"canteen", "food_safety"})  # who works at the canteen station (admins always may)
CHUNK = 500  # ids per IN (...) query: SQLite allows 999 variables per statement


class CanteenError(UserError, ValueError):
    """A user error at the canteen station; nothing was changed. `message()` is in the current language."""


@dataclass(frozen=True)
class SampleView:
    id: str
    label_code: str
    meal_id: str
    dish_id: str
    dish_name: str
    meal_date: date
    meal_kind: str
    grams: int
    sampled_at: datetime
    sampler_name: str
    fridge: str
    shelf: str
    temperature_c: float | None
    disposable_at: datetime
    state: str  # kept | due | overdue | held | disposed
    disposed_at: datetime | None = None
    disposer_name: str = ""
    reviewer_name: str = ""
    hold_reasons: tuple[str, ...] = ()
    timing: rules.SampleTiming = rules.SampleTiming("on_time", 0)  # late or early against the meal's service
    temperature_state: str = "not_taken"  # ok | too_cold | too_warm | not_taken (the fridge band)

    @property
    def qr_payload(self) -> str:
        return LABEL_PREFIX + self.label_code


def zone(settings: Settings) -> ZoneInfo:
    return ZoneInfo(settings.school.timezone)


def school_today(settings: Settings, now: datetime | None = None) -> date:
    return (now or clock.now()).astimezone(zone(settings)).date()


def require_canteen_role(actor: Actor) -> None:
    if actor.staff_id is None or not actor.has_role(*CANTEEN_ROLES):
        raise CanteenError("canteen.err_not_allowed")


def require_admin(actor: Actor) -> None:
    if actor.staff_id is None or "admin" not in actor.roles:
        raise CanteenError("canteen.err_admin_only")


def hold_spans(school_id: str) -> list[rules.HoldSpan]:
    return [rules.HoldSpan(h.id, h.start_date, h.end_date, h.reason, released=h.released_at is not None)
            for h in IncidentHold.select().where(IncidentHold.school_id == school_id)]


def _view(sample: Sample, disposal: SampleDisposal | None, holds: list[rules.HoldSpan], now: datetime,
          settings: Settings, service_time: str = "") -> SampleView:
    active = rules.holds_for(sample.meal_date, holds)
    service = rules.service_at(sample.meal_date, service_time, zone(settings))
    timing = rules.sample_timing(sample.sampled_at, service, late_after_minutes=settings.canteen.late_sample_minutes,
                                 early_before_hours=settings.canteen.early_sample_hours)
    band = rules.check_temperature(sample.temperature_c, settings.canteen.fridge_min_c, settings.canteen.fridge_max_c)
    state = rules.disposal_state(now, sample.disposable_at, settings.canteen.disposal_overdue_hours,
                                 disposed=disposal is not None, held=bool(active))
    return SampleView(
        id=sample.id, label_code=sample.label_code, meal_id=sample.meal_id, dish_id=sample.dish_id,
        dish_name=sample.dish_name, meal_date=sample.meal_date, meal_kind=sample.meal_kind, grams=sample.grams,
        sampled_at=sample.sampled_at, sampler_name=sample.sampler_name, fridge=sample.fridge, shelf=sample.shelf,
        temperature_c=sample.temperature_c, disposable_at=sample.disposable_at, state=state,
        disposed_at=disposal.disposed_at if disposal else None,
        disposer_name=disposal.disposer_name if disposal else "",
        reviewer_name=disposal.reviewer_name if disposal else "",
        hold_reasons=tuple(hold.reason for hold in active), timing=timing, temperature_state=band.state,
    )


def sample_views(settings: Settings, samples: list[Sample], now: datetime | None = None) -> list[SampleView]:
    """The views of `samples`, reading their disposals, meals' service times and the school's holds in a few
    queries whatever their number."""
    now = now or clock.now()
    holds = hold_spans(settings.school.id)
    ids = [s.id for s in samples]
    disposals: dict[str, SampleDisposal] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        disposals.update({d.sample_id: d for d in SampleDisposal.select().where(SampleDisposal.sample_id.in_(chunk))})
    meal_ids = sorted({s.meal_id for s in samples})
    services: dict[str, str] = {}
    for start in range(0, len(meal_ids), CHUNK):
        chunk = meal_ids[start:start + CHUNK]
        services.update(dict(Meal.select(Meal.id, Meal.service_time).where(Meal.id.in_(chunk)).tuples()))
    return [_view(s, disposals.get(s.id), holds, now, settings, services.get(s.meal_id, "")) for s in samples]


def sample_view(settings: Settings, sample_id: str) -> SampleView:
    sample = Sample.get_or_none((Sample.id == sample_id) & (Sample.school_id == settings.school.id))
    if sample is None:
        raise CanteenError("canteen.err_sample_unknown", code=sample_id)
    return sample_views(settings, [sample])[0]
