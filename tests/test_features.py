"""The feature registry: every station's home keys are distinct and none shadows a global key."""
import pytest

from kiosk import features
from kiosk.app import KioskApp
from kiosk.config import STATION_KINDS

GLOBAL_KEYS = {key for binding in KioskApp.BINDINGS for key in binding.key.split(",")}


@pytest.mark.parametrize("kind", STATION_KINDS)
def test_home_keys_are_unique_and_free(kind):
    keys = [action.key for action in features.station_actions(kind)]
    assert keys, f"{kind} station offers nothing"
    assert len(keys) == len(set(keys)), f"{kind}: duplicate keys {keys}"
    assert not set(keys) & GLOBAL_KEYS


def test_every_feature_imports_and_its_models_are_registered():
    from kiosk.models import all_models

    names = {model._meta.table_name for model in all_models()}
    assert {"visit", "watchlist_entry", "pass_slip", "gate_crossing", "sample", "sample_disposal",
            "headcount_round", "incident", "sync_cursor"} <= names
