"""Two canteen stations (kitchen and the food-safety office): a hold set at one stops a disposal at the other,
and the menu entered at one is the menu at the other. Production pull lists, real PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

from kiosk import clock
from kiosk.config import Settings
from kiosk.services.canteen.core import school_today
from kiosk.services.canteen.disposal import dispose
from kiosk.services.canteen.holds import set_hold
from kiosk.services.canteen.meals import add_dishes, add_meal, meals_for_day
from kiosk.services.canteen.samples import record_sample
from kiosk.services.actor import Actor

PRODUCTION = dict(pull_tables=())  # each station kind pulls what it pulls in production


def station_settings(school: str) -> Settings:
    settings = Settings()
    settings.school.id = school
    settings.station.kind = "canteen"
    return settings


def test_a_hold_set_at_one_canteen_station_stops_disposal_at_the_other(make_station, frozen_now):
    kitchen = make_station("kitchen", "canteen")
    office = make_station("food-safety", "canteen")
    settings = station_settings(kitchen.school)
    with kitchen.use():
        cook = Actor(kitchen.school, kitchen.station_id, "s-cook", staff_name="王师傅", roles=frozenset({"canteen"}))
        today = school_today(settings)
        lunch = add_meal(cook, settings, today, "lunch")
        add_dishes(cook, settings, lunch, ["红烧肉"])
        dish = meals_for_day(settings, today)[0].dishes[0]
        sample = record_sample(cook, settings, dish.id, 150).sample
    kitchen.sync(**PRODUCTION)
    office.sync(**PRODUCTION)
    with office.use():  # the menu and the sample arrived
        assert [d.name for m in meals_for_day(settings, today) for d in m.dishes] == ["红烧肉"]
        admin = Actor(office.school, office.station_id, "s-admin", staff_name="赵管理", roles=frozenset({"admin"}))
        set_hold(admin, settings, today, today, "学生肠胃不适待查")
    office.sync(**PRODUCTION)
    kitchen.sync(**PRODUCTION)
    clock.advance(timedelta(hours=49))  # past the retention time: only the hold keeps the sample now
    with kitchen.use():
        outcome = dispose(cook, settings, sample.qr_payload)
        assert (outcome.done, outcome.reason) == (False, "held")
