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


def test_two_demo_databases_on_one_machine_each_keep_their_own_keys(tmp_path):
    """A second office database (a demo, a rebuild) must not trip over the first one's private key files."""
    from kiosk.config import Settings
    from kiosk.db import close_database, open_database
    from kiosk.services.demo import create_demo_school

    for name in ("first", "second"):
        settings = Settings()
        settings.database.path = str(tmp_path / f"{name}.sqlite3")
        open_database(settings.database_path())
        create_demo_school(settings, seed=3, scale="small")
        close_database()
        assert list((tmp_path / f"{name}.sqlite3.keys").glob("slip-*.pem"))


def test_a_demo_whose_feature_seeder_fails_leaves_no_half_school(db, settings, monkeypatch):
    """The school and every feature's history are one transaction: a failure leaves nothing to start on."""
    import pytest

    from kiosk import features
    from kiosk.models import Outbox, School, Student
    from kiosk.models.audit import AuditEntry
    from kiosk.services.demo import create_demo_school

    import dataclasses

    def broken(demo):
        raise RuntimeError("disk full")

    with_broken_canteen = tuple(dataclasses.replace(f, seed_demo=broken) if f.name == "canteen" else f
                                for f in features.loaded())
    monkeypatch.setattr(features, "loaded", lambda: with_broken_canteen)
    with pytest.raises(RuntimeError):
        create_demo_school(settings, seed=3, scale="small")
    assert not School.select().exists() and not Student.select().exists()
    assert not Outbox.select().exists() and not AuditEntry.select().where(AuditEntry.action == "demo.create").exists()
    monkeypatch.undo()
    import shutil

    shutil.rmtree(f"{settings.database_path()}.keys", ignore_errors=True)  # as `make` does: a key is never overwritten
    assert "demo school" in create_demo_school(settings, seed=3, scale="small")  # and the next try builds it


def test_a_feature_declares_itself_in_a_checked_manifest():
    """Issue 12: features are no longer found by duck typing; a hook defined but not declared is an error."""
    import types

    import pytest

    from kiosk import features

    assert all(isinstance(feature, features.Feature) for feature in features.loaded())
    bare = types.ModuleType("kiosk.features.bare")
    with pytest.raises(features.FeatureError, match="no FEATURE"):
        features.check_manifest("kiosk.features.bare", bare)
    forgetful = types.ModuleType("kiosk.features.forgetful")
    forgetful.status_alerts = lambda ctx: ["!"]
    forgetful.FEATURE = features.Feature(name="forgetful")
    with pytest.raises(features.FeatureError, match="status_alerts is defined but not declared"):
        features.check_manifest("kiosk.features.forgetful", forgetful)
    greedy = types.ModuleType("kiosk.features.greedy")
    greedy.FEATURE = features.Feature(name="greedy", pulls={"library": ("book",)})
    with pytest.raises(features.FeatureError, match="unknown station kinds"):
        features.check_manifest("kiosk.features.greedy", greedy)
