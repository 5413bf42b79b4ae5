"""The feature registry: each station feature (gate visitors, pass slips, dorm, canteen, sync, ...) is one module
in this package that declares what it brings in one typed manifest, `FEATURE = Feature(...)`, checked when the
registry is first loaded (a start-up error names the module and what is wrong). The core reads the manifests:
the CLI its sub-commands, the app its menus, alerts and background work, the demo its seeders, migrations its
models, and sync which tables each station kind pulls and who may write them, so `kiosk/sync/` names no feature
table.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Mapping

from kiosk.config import STATION_KINDS

TablePolicy = Any  # kiosk.sync.policy.TablePolicy; not imported here, so the registry depends on no feature's layer


# Order matters only for menus and demo seeding (slips before the dorm that reads them).
FEATURE_MODULES: list[str] = [
    "kiosk.features.people",
    "kiosk.features.gate",
    "kiosk.features.slips",
    "kiosk.features.dorm",
    "kiosk.features.canteen",
    "kiosk.features.notify",
    "kiosk.features.idcard",
    "kiosk.features.directory",  # after the stations' own tasks on the menu
    "kiosk.features.sync",  # its admin-only entry last
]


@dataclass(frozen=True)
class StationAction:
    """One entry on a station's home menu: a key, a catalog label, who may use it, and the screen."""

    key: str  # e.g. "f2" or "1"
    label_key: str  # i18n key
    roles: frozenset[str]  # roles allowed (admin is always allowed)
    make_screen: Callable[[], object]  # returns a textual Screen


@dataclass(frozen=True)
class Feature:
    """What one feature brings. Every field is optional but the name."""

    name: str
    models: tuple[type, ...] = ()  # peewee models it owns (their tables come from its migration)
    register_cli: Callable[[Any], None] | None = None  # register_cli(subparsers): its `kiosk` sub-commands
    exports: Mapping[str, Callable] = field(default_factory=dict)  # kind -> (settings, start, end) -> Table
    seed_demo: Callable[[Any], None] | None = None  # seed_demo(demo): its week of demo history
    station_actions: Callable[[str], list[StationAction]] | None = None  # (station kind) -> home menu entries
    daily_jobs: tuple[Callable, ...] = ()  # (settings) -> None, run once a day by the app
    status_alerts: Callable[[Any], list[str]] | None = None  # (ctx) -> short alerts for the status bar
    sync_status: Callable[[Any], str | None] | None = None  # (ctx) -> the sync state text (the sync feature)
    on_app_start: Callable[[Any], None] | None = None  # (ctx): start background work with a station app
    on_app_stop: Callable[[Any], None] | None = None
    pulls: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # station kind -> table patterns it pulls
    sync_tables: Mapping[str, TablePolicy] = field(default_factory=dict)  # table -> who may write it


# Names a feature module used to define for the registry to find by itself: one of them defined but missing
# from the manifest would be silently ignored, so the check refuses it.
_HOOK_NAMES = {"register_cli": "register_cli", "seed_demo": "seed_demo", "station_actions": "station_actions",
               "status_alerts": "status_alerts", "sync_status": "sync_status", "on_app_start": "on_app_start",
               "on_app_stop": "on_app_stop", "EXPORTS": "exports", "MODELS": "models", "daily_jobs": "daily_jobs"}


class FeatureError(Exception):
    """A feature module's manifest is missing or wrong (a programming error, found at start-up)."""


def check_manifest(module_name: str, module: Any) -> Feature:
    feature = getattr(module, "FEATURE", None)
    if not isinstance(feature, Feature):
        raise FeatureError(f"{module_name}: no FEATURE = Feature(...) manifest")
    for hook, field_name in _HOOK_NAMES.items():
        defined = getattr(module, hook, None)
        declared = getattr(feature, field_name)
        if defined is not None and defined is not declared and not (
                isinstance(declared, (tuple, dict)) and declared == type(declared)(defined)):
            raise FeatureError(f"{module_name}: {hook} is defined but not declared in FEATURE.{field_name}")
    unknown = set(feature.pulls) - set(STATION_KINDS)
    if unknown:
        raise FeatureError(f"{module_name}: pulls names unknown station kinds {sorted(unknown)}")
    tables = {model._meta.table_name for model in feature.models}
    foreign = sorted(set(feature.sync_tables) - tables)
    if foreign:
        raise FeatureError(f"{module_name}: sync_tables names tables it does not own: {foreign}")
    return feature


@lru_cache(maxsize=None)
def loaded() -> tuple[Feature, ...]:
    features = tuple(check_manifest(name, importlib.import_module(name)) for name in FEATURE_MODULES)
    names = [feature.name for feature in features]
    if len(set(names)) != len(names):
        raise FeatureError(f"two features share a name: {names}")
    kinds = [kind for feature in features for kind in feature.exports]
    if len(set(kinds)) != len(kinds):
        raise FeatureError(f"two features export the same kind: {sorted(kinds)}")
    return features


def station_actions(station_kind: str) -> list[StationAction]:
    return [action for feature in loaded() if feature.station_actions
            for action in feature.station_actions(station_kind)]


def exports() -> dict[str, Callable]:
    return {kind: export for feature in loaded() for kind, export in feature.exports.items()}


def pulled_tables(station_kind: str) -> tuple[str, ...]:
    """The table patterns the features declare a station kind pulls (sync adds the core tables)."""
    return tuple(pattern for feature in loaded() for pattern in feature.pulls.get(station_kind, ()))


def sync_policies() -> dict[str, TablePolicy]:
    return {table: rule for feature in loaded() for table, rule in feature.sync_tables.items()}
