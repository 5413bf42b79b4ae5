"""Every table a station kind is said to pull exists: a misspelt name would silently pull nothing."""
from fnmatch import fnmatch

import pytest

from kiosk.models import all_models
from kiosk.config import STATION_KINDS
from kiosk.sync.local import LOCAL_TABLES
from kiosk.sync.policy import pull_patterns


@pytest.mark.parametrize("kind", STATION_KINDS)
def test_every_pull_pattern_names_a_table(kind):
    tables = {model._meta.table_name for model in all_models()} - LOCAL_TABLES
    unmatched = [pattern for pattern in pull_patterns(kind) if not any(fnmatch(table, pattern) for table in tables)]
    assert unmatched == []


def pulls(kind: str, table: str) -> bool:
    return any(fnmatch(table, pattern) for pattern in pull_patterns(kind))


def test_what_each_station_must_see_from_the_others():
    assert pulls("dorm", "room_confirm")  # was misspelt room_count
    for table in ("meal", "menu_dish", "meal_check", "sample", "sample_disposal", "incident_hold"):
        assert pulls("canteen", table), table  # canteen_* matched none of these
    assert not pulls("gate", "sample") and not pulls("canteen", "visit")


def test_sync_names_no_feature_table():
    """Issue 12: which tables a kind pulls, and who may write them, come from the features' manifests."""
    import re
    from pathlib import Path

    from kiosk import features
    from kiosk.models import CORE_MODELS

    core = {model._meta.table_name for model in CORE_MODELS}
    feature_tables = {model._meta.table_name for feature in features.loaded() if feature.name != "sync"
                      for model in feature.models} - core  # sync's own bookkeeping tables are its to name
    folder = Path(features.__file__).resolve().parent.parent / "sync"
    for path in folder.glob("*.py"):
        quoted = set(re.findall(r"[\"']([a-z_]+)[\"']", path.read_text(encoding="utf-8")))
        assert not quoted & feature_tables, f"{path.name} names {sorted(quoted & feature_tables)}"
