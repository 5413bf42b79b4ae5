"""The people directory on every station: look up a student or staff member; admins manage staff accounts."""
from __future__ import annotations

from kiosk.features import Feature, StationAction

EVERYONE = frozenset({"gatekeeper", "dorm_supervisor", "dorm_manager", "canteen", "food_safety", "head_teacher",
                      "discipline", "principal", "duty_leader"})


def station_actions(station_kind: str) -> list[StationAction]:
    def people():
        from kiosk.screens.people import PeopleScreen

        return PeopleScreen()

    return [StationAction("n", "core.people_title", EVERYONE, people)]


FEATURE = Feature(name="directory", station_actions=station_actions)
