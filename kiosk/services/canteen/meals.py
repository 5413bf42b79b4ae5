"""A day's meals and their menus, each dish checked against its samples (the menu check: a dish served without
a sample is `missed`); menu changes; a leader's accompanied meal 陪餐 and a tasting before service 试尝."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kiosk import clock
from kiosk.config import Settings
from kiosk.models.canteen import Meal, MealCheck, MenuDish, Sample
from kiosk.services import sample_rules as rules
from kiosk.services.actor import Actor
from kiosk.services.canteen.core import CanteenError, SampleView, require_canteen_role, sample_views, zone
from kiosk.services.facts import record
from kiosk.services.names import clean_text

STANDARD_MEALS = ("breakfast", "lunch", "dinner")  # one of each a day; extra 加餐 and event 活动餐 meals may repeat


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
    views = sample_views(settings, samples, now)
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
    require_canteen_role(actor)
    if kind not in rules.MEAL_KINDS:
        raise CanteenError("canteen.err_meal_kind", kind=kind)
    service_time = (service_time or rules.DEFAULT_SERVICE_TIMES[kind]).strip()
    parsed = rules.parse_hhmm(service_time)
    if parsed is None:
        raise CanteenError("canteen.err_service_time", value=service_time)
    if kind in STANDARD_MEALS:
        existing = Meal.get_or_none((Meal.school_id == settings.school.id) & (Meal.meal_date == day) & (Meal.kind == kind))
        if existing is not None:
            return existing.id
    meal = Meal(meal_date=day, kind=kind, name=clean_text(name)[:60], service_time=parsed.strftime("%H:%M"))
    with record(actor, "canteen.meal_add", entity="meal", entity_id=meal.id,
                detail={"date": day.isoformat(), "kind": kind, "service_time": meal.service_time}) as w:
        w.insert(meal)
    return meal.id


def add_standard_meals(actor: Actor, settings: Settings, day: date) -> None:
    """Breakfast, lunch and dinner for `day` at their default service times (those already there are kept)."""
    for kind in STANDARD_MEALS:
        add_meal(actor, settings, day, kind)


def add_dishes(actor: Actor, settings: Settings, meal_id: str, names: list[str]) -> int:
    """Add dishes to a meal's menu (names already on it are skipped); returns how many were added."""
    require_canteen_role(actor)
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
    with record(actor, "canteen.menu_add", entity="meal", entity_id=meal_id, detail={"dishes": wanted}) as w:
        for offset, name in enumerate(wanted):
            w.insert(MenuDish(meal_id=meal_id, name=name, position=len(current) + offset))
    return len(wanted)


def remove_dish(actor: Actor, settings: Settings, dish_id: str) -> None:
    """Take a dish typed by mistake off the menu; refused once it has a sample or its meal's service began
    (rules.dish_removal_refusal)."""
    require_canteen_role(actor)
    dish = MenuDish.get_or_none((MenuDish.id == dish_id) & (MenuDish.school_id == settings.school.id))
    if dish is None or dish.removed_at is not None:
        raise CanteenError("canteen.err_dish_unknown")
    meal = Meal.get_by_id(dish.meal_id)
    refusal = rules.dish_removal_refusal(clock.now(), rules.service_at(meal.meal_date, meal.service_time, zone(settings)),
                                         sampled=Sample.select().where(Sample.dish_id == dish_id).exists())
    if refusal is not None:
        raise CanteenError(f"canteen.err_dish_{refusal}", dish=dish.name, time=meal.service_time)
    dish.removed_at = clock.now()
    dish.removed_by = actor.staff_id
    with record(actor, "canteen.menu_remove", entity="menu_dish", entity_id=dish.id, detail={"dish": dish.name}) as w:
        w.update(dish, MenuDish.removed_at, MenuDish.removed_by)


def copy_menu(actor: Actor, settings: Settings, source: date, target: date) -> int:
    """Copy the menus of `source` day onto `target` (meals created as needed); returns dishes added."""
    require_canteen_role(actor)
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
    row = MealCheck(meal_id=meal_id, kind=kind, person_name=person, ok=ok, feedback=clean_text(feedback)[:200])
    with record(actor, f"canteen.check_{kind}", entity="meal", entity_id=meal_id, detail={"person": person, "ok": ok}) as w:
        w.insert(row)
