"""Canteen food sample retention 食品留样: meals and their menus, samples, disposals, incident holds,
accompanied meals 陪餐 and tastings 试尝. All are facts (who, station, when) written through
kiosk.services.facts.

Disposal is a separate insert-only row (SampleDisposal), not fields set on the sample: the sample is
written once by the sampler and never changes, the disposal is a later fact by other people (disposer,
reviewer), often at another time of day; insert-only facts sync without update conflicts, and the
unique sample_id makes a second disposal of the same sample impossible (also after a merge).
An incident hold is lifted by setting its release fields once (released_at/by/reason).
Ids of other rows are plain columns (no FOREIGN KEY), so rows can arrive by sync in any order.
"""
from __future__ import annotations

import peewee

from kiosk.models.base import FactModel, UtcDateTimeField


class Meal(FactModel):
    """One meal service 餐次 on a day: breakfast | lunch | dinner | extra | event."""

    meal_date = peewee.DateField()  # school-local date
    kind = peewee.CharField(max_length=10)
    name = peewee.CharField(default="")  # for extra / event meals (e.g. 运动会加餐)
    service_time = peewee.CharField(max_length=5)  # "HH:MM" school time; after it, unsampled dishes are violations

    class Meta:
        indexes = ((("school_id", "meal_date"), False),)


class MenuDish(FactModel):
    """A dish on a meal's menu. Removed (set once) only while it has no sample."""

    meal_id = peewee.CharField(max_length=36, index=True)
    name = peewee.CharField()
    position = peewee.IntegerField(default=0)
    removed_at = UtcDateTimeField(null=True)
    removed_by = peewee.CharField(max_length=36, null=True)


class Sample(FactModel):
    """One retained sample 留样: dish, grams, when, who, where it is kept. Never changed after recording."""

    meal_id = peewee.CharField(max_length=36, index=True)
    dish_id = peewee.CharField(max_length=36, index=True)
    meal_date = peewee.DateField()  # copied from the meal: holds and the register select by it
    meal_kind = peewee.CharField(max_length=10)
    dish_name = peewee.CharField()  # as it was on the menu when sampled
    grams = peewee.IntegerField()
    sampled_at = UtcDateTimeField()
    sampler_id = peewee.CharField(max_length=36)
    sampler_name = peewee.CharField()
    fridge = peewee.CharField(default="")
    shelf = peewee.CharField(default="")
    temperature_c = peewee.FloatField(null=True)
    retention_hours = peewee.IntegerField()  # the setting in force when sampled
    disposable_at = UtcDateTimeField()  # sampled_at + retention, rounded up to the minute
    label_code = peewee.CharField(max_length=16, unique=True)  # short ASCII code on the label's QR

    class Meta:
        indexes = ((("school_id", "meal_date"), False), (("school_id", "disposable_at"), False))


class SampleDisposal(FactModel):
    """A sample disposed of after its retention time: who, when, the reviewer."""

    sample_id = peewee.CharField(max_length=36, unique=True)
    disposed_at = UtcDateTimeField()
    disposer_id = peewee.CharField(max_length=36)
    disposer_name = peewee.CharField()
    reviewer_id = peewee.CharField(max_length=36, null=True)
    reviewer_name = peewee.CharField(default="")
    note = peewee.CharField(default="")


class IncidentHold(FactModel):
    """封存: samples of meals dated start..end are evidence and cannot be disposed until released."""

    start_date = peewee.DateField()
    end_date = peewee.DateField()
    reason = peewee.CharField()
    set_by_name = peewee.CharField(default="")
    released_at = UtcDateTimeField(null=True)
    released_by = peewee.CharField(max_length=36, null=True)
    release_reason = peewee.CharField(default="")


class MealCheck(FactModel):
    """Per meal, optional: a leader's accompanied meal 陪餐 (kind accompany) or a tasting before service
    试尝 (kind tasting), with the person, the verdict and feedback."""

    meal_id = peewee.CharField(max_length=36, index=True)
    kind = peewee.CharField(max_length=10)  # accompany | tasting
    person_name = peewee.CharField()
    person_id = peewee.CharField(max_length=36, null=True)
    ok = peewee.BooleanField(default=True)  # tasting: fit to serve; accompany: satisfied
    feedback = peewee.CharField(default="")


MODELS = [Meal, MenuDish, Sample, SampleDisposal, IncidentHold, MealCheck]
