"""Every table a station kind is said to pull exists: a misspelt name would silently pull nothing."""
from fnmatch import fnmatch

import pytest

from kiosk.models import all_models
from kiosk.sync.engine import LOCAL_TABLES, PULLS


@pytest.mark.parametrize("kind", sorted(PULLS))
def test_every_pull_pattern_names_a_table(kind):
    tables = {model._meta.table_name for model in all_models()} - LOCAL_TABLES
    unmatched = [pattern for pattern in PULLS[kind] if not any(fnmatch(table, pattern) for table in tables)]
    assert unmatched == []


def pulls(kind: str, table: str) -> bool:
    return any(fnmatch(table, pattern) for pattern in PULLS[kind])


def test_what_each_station_must_see_from_the_others():
    assert pulls("dorm", "room_confirm")  # was misspelt room_count
    for table in ("meal", "menu_dish", "meal_check", "sample", "sample_disposal", "incident_hold"):
        assert pulls("canteen", table), table  # canteen_* matched none of these
    assert not pulls("gate", "sample") and not pulls("canteen", "visit")
