"""Record a retained sample of a dish (weight, fridge, shelf, fridge temperature; sampled now by the person
logged in) and print its label; find a sample by its label scan."""
from __future__ import annotations

from dataclasses import dataclass

from kiosk import clock
from kiosk.config import Settings
from kiosk.i18n import UserError
from kiosk.ids import short_code
from kiosk.labels.printers import PrinterError
from kiosk.models.canteen import Meal, MenuDish, Sample
from kiosk.services import sample_rules as rules
from kiosk.services.actor import Actor
from kiosk.services.canteen.core import (LABEL_PREFIX, CanteenError, SampleView, require_canteen_role,
                                         sample_views)
from kiosk.services.canteen.sample_labels import PrintedLabel, print_label
from kiosk.services.facts import record
from kiosk.services.names import clean_identifier


@dataclass(frozen=True)
class RecordedSample:
    sample: SampleView
    temperature: rules.TemperatureCheck


@dataclass(frozen=True)
class RecordedAndPrinted:
    """A sample recorded, and its label printed or not: a printer fault never undoes the record."""

    recorded: RecordedSample
    printed: PrintedLabel | None
    print_error: UserError | None


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
    require_canteen_role(actor)
    dish = MenuDish.get_or_none((MenuDish.id == dish_id) & (MenuDish.school_id == settings.school.id))
    if dish is None or dish.removed_at is not None:
        raise CanteenError("canteen.err_dish_unknown")
    meal = Meal.get_by_id(dish.meal_id)
    if isinstance(grams, str) and not grams.strip():
        raise CanteenError("canteen.err_weight_missing", minimum=settings.canteen.min_weight_grams)
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
        meal_id=meal.id, dish_id=dish.id, meal_date=meal.meal_date, meal_kind=meal.kind, dish_name=dish.name,
        grams=weight.grams, sampled_at=now, sampler_id=actor.staff_id, sampler_name=actor.staff_name,
        fridge=clean_identifier(fridge)[:20], shelf=clean_identifier(shelf)[:20], temperature_c=celsius,
        retention_hours=settings.canteen.retention_hours,
        disposable_at=rules.disposable_at(now, settings.canteen.retention_hours),
    )
    sample.label_code = short_code(sample.id)
    with record(actor, "canteen.sample", entity="sample", entity_id=sample.id, at=now,
                detail={"dish": dish.name, "grams": weight.grams, "meal": meal.kind, "date": meal.meal_date.isoformat(),
                        "temperature": celsius, "temperature_state": band.state,
                        "weight_source": weight_source if weight_source in ("typed", "scale") else "typed"}) as w:
        w.insert(sample)
    return RecordedSample(sample_views(settings, [sample], now)[0], band)


def record_and_print(actor: Actor, settings: Settings, dish_id: str, grams: int | str, **kwargs) -> RecordedAndPrinted:
    """What the record form does: record (a refusal raises CanteenError, nothing written), then print its label."""
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
    return sample_views(settings, [sample])[0]
