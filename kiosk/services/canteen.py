"""Canteen services: meals and menus, samples, labels, disposal, incident holds, the register.

Screens and the CLI call these; they return frozen dataclasses (never peewee rows) and write only
through kiosk.services.facts. User errors raise CanteenError (an i18n key + values, bilingual str()).
Rules live in kiosk.services.sample_rules.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from kiosk import clock
from kiosk.config import Settings
from kiosk.i18n import UserError, t, t_in
from kiosk.ids import short_code
from kiosk.models.canteen import IncidentHold, Meal, MealCheck, MenuDish, Sample, SampleDisposal
from kiosk.services import sample_rules as rules
from kiosk.services.actor import Actor
from kiosk.services.facts import audit_only, record
from kiosk.services.names import clean_identifier, clean_text

LABEL_PREFIX = "LY"  # 留样: the QR payload is LY + the sample's 12-character short code
SAMPLE_ROLES = frozenset({"canteen", "food_safety"})


class CanteenError(UserError, ValueError):
    """A user error at the canteen station; nothing was changed. `message()` is in the current language."""


# ---- views handed to screens --------------------------------------------------------------------

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


@dataclass(frozen=True)
class DishView:
    id: str
    name: str
    state: str  # sampled | pending | missed
    samples: tuple[SampleView, ...]


@dataclass(frozen=True)
class MealCheckView:
    kind: str  # accompany | tasting
    person_name: str
    ok: bool
    feedback: str
    at: datetime


@dataclass(frozen=True)
class MealView:
    id: str
    meal_date: date
    kind: str
    name: str
    service_time: str
    served: bool
    dishes: tuple[DishView, ...]
    missed: tuple[str, ...]
    checks: tuple[MealCheckView, ...] = ()

    @property
    def violation(self) -> bool:
        return bool(self.missed)

    @property
    def sampled_count(self) -> int:
        return sum(1 for dish in self.dishes if dish.state == "sampled")


@dataclass(frozen=True)
class RecordedSample:
    sample: SampleView
    temperature: rules.TemperatureCheck


@dataclass(frozen=True)
class DisposalOutcome:
    done: bool
    reason: str  # ok | too_early | held | already_disposed
    sample: SampleView
    hours_left: int = 0
    minutes_left: int = 0


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


# ---- helpers ------------------------------------------------------------------------------------

def zone(settings: Settings) -> ZoneInfo:
    return ZoneInfo(settings.school.timezone)


def school_today(settings: Settings, now: datetime | None = None) -> date:
    return (now or clock.now()).astimezone(zone(settings)).date()


def _hold_spans(school_id: str) -> list[rules.HoldSpan]:
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


def _views(settings: Settings, samples: list[Sample], now: datetime | None = None) -> list[SampleView]:
    now = now or clock.now()
    holds = _hold_spans(settings.school.id)
    ids = [s.id for s in samples]
    disposals: dict[str, SampleDisposal] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        disposals.update({d.sample_id: d for d in SampleDisposal.select().where(SampleDisposal.sample_id.in_(chunk))})
    meal_ids = sorted({s.meal_id for s in samples})
    services: dict[str, str] = {}
    for start in range(0, len(meal_ids), 500):
        chunk = meal_ids[start:start + 500]
        services.update(dict(Meal.select(Meal.id, Meal.service_time).where(Meal.id.in_(chunk)).tuples()))
    return [_view(s, disposals.get(s.id), holds, now, settings, services.get(s.meal_id, "")) for s in samples]


def sample_view(settings: Settings, sample_id: str) -> SampleView:
    sample = Sample.get_or_none((Sample.id == sample_id) & (Sample.school_id == settings.school.id))
    if sample is None:
        raise CanteenError("canteen.err_sample_unknown", code=sample_id)
    return _views(settings, [sample])[0]


def _require(actor: Actor, roles: frozenset[str] = SAMPLE_ROLES) -> None:
    if actor.staff_id is None or not actor.has_role(*roles):
        raise CanteenError("canteen.err_not_allowed")


def _require_admin(actor: Actor) -> None:
    if actor.staff_id is None or "admin" not in actor.roles:
        raise CanteenError("canteen.err_admin_only")


# ---- meals and menus ----------------------------------------------------------------------------

def meals_for_day(settings: Settings, day: date, now: datetime | None = None) -> list[MealView]:
    """The day's meals in service order, each dish with its sample state (menu check)."""
    now = now or clock.now()
    meals = list(Meal.select().where((Meal.school_id == settings.school.id) & (Meal.meal_date == day)))
    if not meals:
        return []
    meal_ids = [m.id for m in meals]
    dishes = list(MenuDish.select().where(MenuDish.meal_id.in_(meal_ids) & MenuDish.removed_at.is_null())
                  .order_by(MenuDish.position, MenuDish.recorded_at))
    samples = list(Sample.select().where(Sample.meal_id.in_(meal_ids)).order_by(Sample.sampled_at))
    views = _views(settings, samples, now)
    checks = list(MealCheck.select().where(MealCheck.meal_id.in_(meal_ids)).order_by(MealCheck.recorded_at))
    result = []
    for meal in meals:
        service = rules.service_at(meal.meal_date, meal.service_time, zone(settings))
        mine = [d for d in dishes if d.meal_id == meal.id]
        counts: dict[str, int] = {}
        for view in views:
            if view.meal_id == meal.id:
                counts[view.dish_id] = counts.get(view.dish_id, 0) + 1
        check = rules.check_menu(now, service, [(d.id, d.name) for d in mine], counts)
        result.append(MealView(
            id=meal.id, meal_date=meal.meal_date, kind=meal.kind, name=meal.name, service_time=meal.service_time,
            served=check.served, missed=check.missed,
            dishes=tuple(DishView(c.dish_id, c.name, c.state, tuple(v for v in views if v.dish_id == c.dish_id))
                         for c in check.dishes),
            checks=tuple(MealCheckView(c.kind, c.person_name, c.ok, c.feedback, c.recorded_at)
                         for c in checks if c.meal_id == meal.id),
        ))
    order = {kind: index for index, kind in enumerate(rules.MEAL_KINDS)}
    return sorted(result, key=lambda m: (m.service_time, order.get(m.kind, 9)))


def add_meal(actor: Actor, settings: Settings, day: date, kind: str, service_time: str = "", name: str = "") -> str:
    """Create a meal for `day` (one breakfast/lunch/dinner per day; extra and event meals may repeat)."""
    _require(actor)
    if kind not in rules.MEAL_KINDS:
        raise CanteenError("canteen.err_meal_kind", kind=kind)
    service_time = (service_time or rules.DEFAULT_SERVICE_TIMES[kind]).strip()
    parsed = rules.parse_hhmm(service_time)
    if parsed is None:
        raise CanteenError("canteen.err_service_time", value=service_time)
    if kind in ("breakfast", "lunch", "dinner"):
        existing = Meal.get_or_none((Meal.school_id == settings.school.id) & (Meal.meal_date == day) & (Meal.kind == kind))
        if existing is not None:
            return existing.id
    meal = Meal(school_id=actor.school_id, station_id=actor.station_id, staff_id=actor.staff_id,
                recorded_at=clock.now(), meal_date=day, kind=kind, name=clean_text(name)[:60],
                service_time=parsed.strftime("%H:%M"))
    with record(actor, "canteen.meal_add", entity="meal", entity_id=meal.id,
                detail={"date": day.isoformat(), "kind": kind, "service_time": meal.service_time}) as w:
        w.insert(meal)
    return meal.id


def add_dishes(actor: Actor, settings: Settings, meal_id: str, names: list[str]) -> int:
    """Add dishes to a meal's menu (names already on it are skipped); returns how many were added."""
    _require(actor)
    meal = Meal.get_or_none((Meal.id == meal_id) & (Meal.school_id == settings.school.id))
    if meal is None:
        raise CanteenError("canteen.err_meal_unknown")
    current = list(MenuDish.select().where((MenuDish.meal_id == meal_id) & MenuDish.removed_at.is_null()))
    have = {d.name for d in current}
    wanted = []
    for raw in names:
        name = clean_text(raw)[:40]
        if name and name not in have and name not in wanted:
            wanted.append(name)
    if not wanted:
        return 0
    now = clock.now()
    with record(actor, "canteen.menu_add", entity="meal", entity_id=meal_id, detail={"dishes": wanted}) as w:
        for offset, name in enumerate(wanted):
            w.insert(MenuDish(school_id=actor.school_id, station_id=actor.station_id, staff_id=actor.staff_id,
                              recorded_at=now, meal_id=meal_id, name=name, position=len(current) + offset))
    return len(wanted)


def remove_dish(actor: Actor, settings: Settings, dish_id: str) -> None:
    """Take a dish off the menu; refused once it has a sample (the record must stay whole)."""
    _require(actor)
    dish = MenuDish.get_or_none((MenuDish.id == dish_id) & (MenuDish.school_id == settings.school.id))
    if dish is None or dish.removed_at is not None:
        raise CanteenError("canteen.err_dish_unknown")
    if Sample.select().where(Sample.dish_id == dish_id).exists():
        raise CanteenError("canteen.err_dish_sampled", dish=dish.name)
    dish.removed_at = clock.now()
    dish.removed_by = actor.staff_id
    with record(actor, "canteen.menu_remove", entity="menu_dish", entity_id=dish.id, detail={"dish": dish.name}) as w:
        w.update(dish, MenuDish.removed_at, MenuDish.removed_by)


def copy_menu(actor: Actor, settings: Settings, source: date, target: date) -> int:
    """Copy the menus of `source` day onto `target` (meals created as needed); returns dishes added."""
    _require(actor)
    meals = list(Meal.select().where((Meal.school_id == settings.school.id) & (Meal.meal_date == source)))
    if not meals:
        raise CanteenError("canteen.err_copy_empty", day=source.isoformat())
    added = 0
    for meal in meals:
        names = [d.name for d in MenuDish.select().where((MenuDish.meal_id == meal.id) & MenuDish.removed_at.is_null())
                 .order_by(MenuDish.position)]
        target_id = add_meal(actor, settings, target, meal.kind, meal.service_time, meal.name)
        added += add_dishes(actor, settings, target_id, names)
    return added


def add_meal_check(actor: Actor, settings: Settings, meal_id: str, kind: str, person_name: str, ok: bool,
                   feedback: str = "") -> None:
    """Record a leader's accompanied meal 陪餐 (accompany) or a tasting before service 试尝 (tasting)."""
    if actor.staff_id is None:
        raise CanteenError("canteen.err_not_allowed")
    if kind not in ("accompany", "tasting"):
        raise CanteenError("canteen.err_check_kind")
    person = clean_text(person_name)[:40]
    if not person:
        raise CanteenError("canteen.err_person_required")
    if Meal.get_or_none((Meal.id == meal_id) & (Meal.school_id == settings.school.id)) is None:
        raise CanteenError("canteen.err_meal_unknown")
    row = MealCheck(school_id=actor.school_id, station_id=actor.station_id, staff_id=actor.staff_id,
                    recorded_at=clock.now(), meal_id=meal_id, kind=kind, person_name=person, ok=ok,
                    feedback=clean_text(feedback)[:200])
    with record(actor, f"canteen.check_{kind}", entity="meal", entity_id=meal_id, detail={"person": person, "ok": ok}) as w:
        w.insert(row)


# ---- samples ------------------------------------------------------------------------------------

def parse_temperature(text: str) -> float | None:
    """Optional fridge temperature: "" = not taken; otherwise a number in °C or CanteenError."""
    cleaned = text.strip().lower().removesuffix("c").removesuffix("°").removesuffix("度").strip()
    if not cleaned:
        return None
    try:
        value = float(cleaned)
    except ValueError:
        raise CanteenError("canteen.err_temperature", value=text.strip()) from None
    if not -40 <= value <= 60:
        raise CanteenError("canteen.err_temperature", value=text.strip())
    return value


def record_sample(actor: Actor, settings: Settings, dish_id: str, grams: int | str, *, fridge: str = "",
                  shelf: str = "", temperature: float | str | None = None,
                  weight_source: str = "typed") -> RecordedSample:
    """Record a retained sample of a dish: sampled now by the logged-in person. Under the minimum weight it is
    refused with the shortfall. A fridge outside the band is recorded and reported (the sample must exist).
    `weight_source` (typed | scale) goes to the audit trail, for an inspector who asks how it was weighed."""
    _require(actor)
    dish = MenuDish.get_or_none((MenuDish.id == dish_id) & (MenuDish.school_id == settings.school.id))
    if dish is None or dish.removed_at is not None:
        raise CanteenError("canteen.err_dish_unknown")
    meal = Meal.get_by_id(dish.meal_id)
    value = rules.parse_grams(grams) if isinstance(grams, str) else grams
    if value is None:
        raise CanteenError("canteen.err_weight_unreadable", value=str(grams).strip())
    weight = rules.check_weight(value, settings.canteen.min_weight_grams)
    if not weight.ok:
        raise CanteenError("canteen.err_weight_short", grams=weight.grams, minimum=weight.minimum,
                           shortfall=weight.shortfall)
    celsius = parse_temperature(temperature) if isinstance(temperature, str) else temperature
    band = rules.check_temperature(celsius, settings.canteen.fridge_min_c, settings.canteen.fridge_max_c)
    now = clock.now()
    sample = Sample(
        school_id=actor.school_id, station_id=actor.station_id, staff_id=actor.staff_id, recorded_at=now,
        meal_id=meal.id, dish_id=dish.id, meal_date=meal.meal_date, meal_kind=meal.kind, dish_name=dish.name,
        grams=weight.grams, sampled_at=now, sampler_id=actor.staff_id, sampler_name=actor.staff_name,
        fridge=clean_identifier(fridge)[:20], shelf=clean_identifier(shelf)[:20], temperature_c=celsius,
        retention_hours=settings.canteen.retention_hours,
        disposable_at=rules.disposable_at(now, settings.canteen.retention_hours),
    )
    sample.label_code = short_code(sample.id)
    with record(actor, "canteen.sample", entity="sample", entity_id=sample.id,
                detail={"dish": dish.name, "grams": weight.grams, "meal": meal.kind, "date": meal.meal_date.isoformat(),
                        "temperature": celsius, "temperature_state": band.state,
                        "weight_source": weight_source if weight_source in ("typed", "scale") else "typed"}) as w:
        w.insert(sample)
    return RecordedSample(_views(settings, [sample], now)[0], band)


@dataclass(frozen=True)
class RecordedAndPrinted:
    """A sample recorded, and its label printed or not: a printer fault never undoes the record."""

    recorded: RecordedSample
    printed: "PrintedLabel | None"
    print_error: UserError | None


def record_and_print(actor: Actor, settings: Settings, dish_id: str, grams: int | str, **kwargs) -> RecordedAndPrinted:
    """What the record form does: record (a refusal raises CanteenError, nothing written), then print its label."""
    from kiosk.labels.printers import PrinterError

    recorded = record_sample(actor, settings, dish_id, grams, **kwargs)
    try:
        return RecordedAndPrinted(recorded, print_label(actor, settings, recorded.sample.id), None)
    except PrinterError as error:
        return RecordedAndPrinted(recorded, None, error)


def find_sample(settings: Settings, code: str) -> SampleView:
    """A sample by its label scan (LY + code), its bare code, or its id."""
    text = code.strip()
    if text.upper().startswith(LABEL_PREFIX):
        text = text[len(LABEL_PREFIX):]
    query = Sample.select().where((Sample.school_id == settings.school.id)
                                  & ((Sample.label_code == text.upper()) | (Sample.id == text)))
    sample = query.first()
    if sample is None:
        raise CanteenError("canteen.err_sample_unknown", code=code.strip()[:40])
    return _views(settings, [sample])[0]


def label_lines(view: SampleView, settings: Settings, language: str = "zh-CN") -> tuple[str, list[str], list[str]]:
    """(title, lines, footer) of a sample's label. Labels are for inspectors: Chinese by default."""
    here = zone(settings)
    meal = t_in(language, f"canteen.meal_{view.meal_kind}")
    sampled = view.sampled_at.astimezone(here)
    until = view.disposable_at.astimezone(here)
    lines = [
        f"{meal} {view.meal_date.isoformat()}",
        t_in(language, "canteen.label_weight", grams=view.grams),
        t_in(language, "canteen.label_sampled", at=sampled.strftime("%m-%d %H:%M")),
        t_in(language, "canteen.label_sampler", name=view.sampler_name),
    ]
    footer = [t_in(language, "canteen.label_disposable", at=until.strftime("%m-%d %H:%M"))]
    return view.dish_name, lines, footer


def render_label(settings: Settings, view: SampleView):
    from kiosk.labels.render import render_text_qr_label

    title, lines, footer = label_lines(view, settings)
    return render_text_qr_label(title, lines, view.qr_payload, footer=footer, size=settings.printer.label_size,
                                dpi=settings.printer.dpi)


@dataclass(frozen=True)
class PrintedLabel:
    where: str  # file, device or queue it went to
    missing: str = ""  # characters no font could draw (printed as "?"): shown to the user, never silent


def print_label(actor: Actor, settings: Settings, sample_id: str) -> PrintedLabel:
    """Print (or reprint) a sample's label on the configured printer; says where it went.
    Raises kiosk.labels.printers.PrinterError when the printer is off or missing: the sample stays recorded."""
    from kiosk.labels.printers import get_printer

    view = sample_view(settings, sample_id)
    label = render_label(settings, view)
    where = get_printer(settings.printer).print_image(label.image, name=f"sample-{view.label_code}")
    audit_only(actor, "canteen.label_print", entity="sample", entity_id=view.id,
               detail={"backend": settings.printer.backend, "to": where, "missing_chars": label.missing})
    return PrintedLabel(where, label.missing)


# ---- disposal -----------------------------------------------------------------------------------

def check_disposal(settings: Settings, code: str) -> DisposalOutcome:
    """What disposing of a scanned sample would do now, without writing (the screen asks for the reviewer
    only when disposal is allowed)."""
    view = find_sample(settings, code)
    sample = Sample.get_by_id(view.id)
    verdict = rules.disposal_verdict(clock.now(), sampled_at=sample.sampled_at, retention_hours=sample.retention_hours,
                                     meal_date=sample.meal_date, holds=_hold_spans(settings.school.id),
                                     disposed=view.state == "disposed")
    hours, minutes = rules.split_remaining(verdict.remaining)
    return DisposalOutcome(verdict.allowed, verdict.reason, view, hours, minutes)


def dispose(actor: Actor, settings: Settings, code: str, *, reviewer_id: str | None = None, reviewer_name: str = "",
            note: str = "") -> DisposalOutcome:
    """Dispose of a scanned sample if its retention time has passed and no incident hold covers it.
    Refusals (too early: how long is left; held; already disposed) write nothing."""
    _require(actor)
    view = find_sample(settings, code)
    now = clock.now()
    sample = Sample.get_by_id(view.id)
    verdict = rules.disposal_verdict(now, sampled_at=sample.sampled_at, retention_hours=sample.retention_hours,
                                     meal_date=sample.meal_date, holds=_hold_spans(settings.school.id),
                                     disposed=view.state == "disposed")
    if not verdict.allowed:
        hours, minutes = rules.split_remaining(verdict.remaining)
        return DisposalOutcome(False, verdict.reason, view, hours, minutes)
    if settings.canteen.require_reviewer and not reviewer_id:
        raise CanteenError("canteen.err_reviewer_required")
    if reviewer_id and reviewer_id == actor.staff_id:
        raise CanteenError("canteen.err_reviewer_self")
    row = SampleDisposal(school_id=actor.school_id, station_id=actor.station_id, staff_id=actor.staff_id,
                         recorded_at=now, sample_id=sample.id, disposed_at=now, disposer_id=actor.staff_id,
                         disposer_name=actor.staff_name, reviewer_id=reviewer_id, reviewer_name=reviewer_name,
                         note=clean_text(note)[:200])
    with record(actor, "canteen.dispose", entity="sample", entity_id=sample.id,
                detail={"dish": sample.dish_name, "reviewer": reviewer_name}) as w:
        w.insert(row)
    return DisposalOutcome(True, "ok", _views(settings, [sample], now)[0])


def _undisposed(settings: Settings, *conditions) -> list[Sample]:
    disposed = SampleDisposal.select(SampleDisposal.sample_id)
    query = Sample.select().where((Sample.school_id == settings.school.id) & Sample.id.not_in(disposed), *conditions)
    return list(query.order_by(Sample.disposable_at))


def disposal_lists(settings: Settings, now: datetime | None = None) -> tuple[list[SampleView], list[SampleView]]:
    """(due, overdue): samples that may be disposed of now, and those due for longer than the overdue setting."""
    now = now or clock.now()
    views = _views(settings, _undisposed(settings, Sample.disposable_at <= now), now)
    return [v for v in views if v.state == "due"], [v for v in views if v.state == "overdue"]


# ---- incident holds -----------------------------------------------------------------------------

def set_hold(actor: Actor, settings: Settings, start: date, end: date, reason: str) -> str:
    """封存 (admin): samples of meals dated start..end cannot be disposed until the hold is released."""
    _require_admin(actor)
    reason = clean_text(reason)[:200]
    if not reason:
        raise CanteenError("canteen.err_hold_reason")
    if end < start:
        raise CanteenError("canteen.err_hold_dates")
    hold = IncidentHold(school_id=actor.school_id, station_id=actor.station_id, staff_id=actor.staff_id,
                        recorded_at=clock.now(), start_date=start, end_date=end, reason=reason,
                        set_by_name=actor.staff_name)
    with record(actor, "canteen.hold_set", entity="incident_hold", entity_id=hold.id,
                detail={"from": start.isoformat(), "to": end.isoformat(), "reason": reason}) as w:
        w.insert(hold)
    return hold.id


def release_hold(actor: Actor, settings: Settings, hold_id: str, reason: str) -> None:
    _require_admin(actor)
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


def holds(settings: Settings) -> list[HoldView]:
    result = []
    for hold in IncidentHold.select().where(IncidentHold.school_id == settings.school.id).order_by(IncidentHold.recorded_at.desc()):
        count = len(_undisposed(settings, Sample.meal_date >= hold.start_date, Sample.meal_date <= hold.end_date))
        gone = (Sample.select().join(SampleDisposal, on=(SampleDisposal.sample_id == Sample.id))
                .where((Sample.school_id == settings.school.id) & (Sample.meal_date >= hold.start_date)
                       & (Sample.meal_date <= hold.end_date)).count())
        result.append(HoldView(hold.id, hold.start_date, hold.end_date, hold.reason, hold.set_by_name, hold.recorded_at,
                               hold.released_at is None, hold.released_at, hold.release_reason, count, gone))
    return result


def held_samples(settings: Settings) -> list[SampleView]:
    """Samples under an active incident hold (the list for the inspectors), oldest first."""
    views = _views(settings, _undisposed(settings))
    return sorted((v for v in views if v.state == "held"), key=lambda v: v.sampled_at)


def disposed_under_holds(settings: Settings) -> list[SampleView]:
    """Samples of an active hold's dates that were disposed before the hold: they cannot be sealed, and the
    inspectors must see them (已处理，无法封存, with who disposed them and when), never a silent gap."""
    spans = [h for h in _hold_spans(settings.school.id) if not h.released]
    if not spans:
        return []
    found: list[Sample] = []
    for span in spans:
        found.extend(Sample.select().join(SampleDisposal, on=(SampleDisposal.sample_id == Sample.id))
                     .where((Sample.school_id == settings.school.id) & (Sample.meal_date >= span.start)
                            & (Sample.meal_date <= span.end)))
    unique = {s.id: s for s in found}
    return sorted(_views(settings, list(unique.values())), key=lambda v: v.sampled_at)


# ---- register -----------------------------------------------------------------------------------

REGISTER_HEADERS = ("date", "meal", "dish", "grams", "sampled_at", "sampler", "place", "temperature",
                    "disposable_at", "disposed_at", "disposer", "reviewer", "label_code", "note")


def sample_notes(view: SampleView, settings: Settings, say=None) -> list[str]:
    """What an inspector must read on the sample's row: held, late or early, a fridge outside its band."""
    say = say or t
    notes = []
    if view.state == "held":
        notes.append(say("canteen.state_held"))
    if view.timing.state == "late":
        notes.append(say("canteen.note_late", minutes=view.timing.minutes))
    elif view.timing.state == "early":
        hours, minutes = divmod(view.timing.minutes, 60)
        notes.append(say("canteen.note_early", hours=hours, minutes=minutes))
    if view.temperature_state in ("too_warm", "too_cold"):
        notes.append(say(f"canteen.note_{view.temperature_state}", celsius=view.temperature_c,
                         low=settings.canteen.fridge_min_c, high=settings.canteen.fridge_max_c))
    return notes


def period_range(period: str, anchor: date) -> tuple[date, date]:
    """day | week (Monday..Sunday) | month containing `anchor`."""
    if period == "day":
        return anchor, anchor
    if period == "week":
        start = anchor - timedelta(days=anchor.weekday())
        return start, start + timedelta(days=6)
    if period == "month":
        start = anchor.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
        return start, following - timedelta(days=1)
    raise CanteenError("canteen.err_period", period=period)


def register_rows(settings: Settings, start: date | None, end: date | None, language: str | None = None) -> list[list[object]]:
    """留样记录表 rows in the paper form's columns, per meal and dish; a dish served without a sample is a row
    marked 未留样 so the violation is on the register too."""
    say = (lambda key, **v: t_in(language, key, **v)) if language else t
    here = zone(settings)
    meals = Meal.select().where(Meal.school_id == settings.school.id)
    if start:
        meals = meals.where(Meal.meal_date >= start)
    if end:
        meals = meals.where(Meal.meal_date <= end)
    days = sorted({m.meal_date for m in meals})
    fmt = lambda at: at.astimezone(here).strftime("%Y-%m-%d %H:%M") if at else ""
    rows: list[list[object]] = []
    for day in days:
        for meal in meals_for_day(settings, day):
            meal_name = say(f"canteen.meal_{meal.kind}") + (f" {meal.name}" if meal.name else "")
            for dish in meal.dishes:
                if not dish.samples:
                    note = say("canteen.state_missed") if dish.state == "missed" else say("canteen.state_pending")
                    rows.append([day.isoformat(), meal_name, dish.name, "", "", "", "", "", "", "", "", "", "", note])
                for s in dish.samples:
                    place = " ".join(part for part in (s.fridge, s.shelf) if part)
                    note = "；".join(sample_notes(s, settings, say))
                    rows.append([day.isoformat(), meal_name, s.dish_name, s.grams, fmt(s.sampled_at), s.sampler_name,
                                 place, "" if s.temperature_c is None else s.temperature_c, fmt(s.disposable_at),
                                 fmt(s.disposed_at), s.disposer_name, s.reviewer_name, s.label_code, note])
    return rows


def register_table(settings: Settings, start: date | None, end: date | None, language: str | None = None):
    from kiosk.services.exports import Table

    say = (lambda key: t_in(language, key)) if language else t
    return Table(title=say("canteen.register_title"), headers=[say(f"canteen.col_{h}") for h in REGISTER_HEADERS],
                 rows=register_rows(settings, start, end, language))


def held_table(settings: Settings):
    """Samples under an active incident hold, for the inspectors."""
    from kiosk.services.exports import Table

    here = zone(settings)
    fmt = lambda at: at.astimezone(here).strftime("%Y-%m-%d %H:%M")
    rows = [[s.meal_date.isoformat(), t(f"canteen.meal_{s.meal_kind}"), s.dish_name, s.grams, fmt(s.sampled_at),
             s.sampler_name, " ".join(p for p in (s.fridge, s.shelf) if p), s.temperature_c, s.qr_payload,
             "；".join(s.hold_reasons)] for s in held_samples(settings)]
    rows += [[s.meal_date.isoformat(), t(f"canteen.meal_{s.meal_kind}"), s.dish_name, s.grams, fmt(s.sampled_at),
              s.sampler_name, " ".join(p for p in (s.fridge, s.shelf) if p), s.temperature_c, s.qr_payload,
              t("canteen.hold_already_disposed", name=s.disposer_name, at=fmt(s.disposed_at))]
             for s in disposed_under_holds(settings)]
    headers = [t(f"canteen.col_{key}") for key in REGISTER_HEADERS[:8]] + [t("canteen.col_list_code"), t("canteen.col_note")]
    return Table(t("canteen.export_held_title"), headers, rows)


PERIOD_WORDS = {"d": "day", "day": "day", "日": "day", "天": "day", "w": "week", "week": "week", "周": "week",
                "m": "month", "month": "month", "月": "month"}


def export_register(settings: Settings, period: str, anchor: date, folder=None) -> str:
    """Write the register 留样记录表 for the day / week / month containing `anchor` as an XLSX file in the
    station's export folder; returns its path."""
    from kiosk import paths
    from pathlib import Path

    word = PERIOD_WORDS.get(period.strip().lower())
    if word is None:
        raise CanteenError("canteen.err_period", period=period.strip()[:20])
    start, end = period_range(word, anchor)
    folder = Path(folder) if folder else paths.data_dir() / "exports"
    path = folder / f"samples-{word}-{start.isoformat()}.xlsx"
    _write(register_table(settings, start, end), path)
    return str(path)


def _write(table, path) -> None:
    """Write an export; a full disk or a missing folder is the user's to fix, told in the station's language."""
    from kiosk.labels.printers import os_reason
    from kiosk.services.exports import write_table

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_table(table, path, "xlsx")
    except OSError as error:
        raise CanteenError("canteen.export_failed", reason=os_reason(error)) from None


def export_held_list(settings: Settings, folder=None) -> str:
    """Write the list of samples under an incident hold (for the inspectors) as XLSX; returns its path."""
    from kiosk import paths
    from pathlib import Path

    folder = Path(folder) if folder else paths.data_dir() / "exports"
    path = folder / f"held-samples-{clock.now().astimezone(zone(settings)).strftime('%Y%m%d-%H%M')}.xlsx"
    _write(held_table(settings), path)
    return str(path)
