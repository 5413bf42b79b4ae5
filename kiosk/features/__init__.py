"""The feature registry: each station feature (gate visitors, pass slips, dorm, canteen, sync, ...)
is one module in this package that the core discovers here instead of importing by hand.

A feature module may define any of:
- MODELS: list of peewee models it owns (their tables come from its migration in kiosk/migrations/)
- register_cli(subparsers): add `kiosk` sub-commands
- EXPORTS: dict kind -> callable(settings, start, end) -> kiosk.services.exports.Table
- seed_demo(demo): add its week of demo history (demo is kiosk.services.demo.DemoContext)
- station_actions(station_kind) -> list[kiosk.features.StationAction]: entries on a station's home menu
- daily_jobs: list of callables(settings) run once a day by the app (e.g. retention purge)
- status_alerts(ctx) -> list[str]: short translated alerts for every station's status bar (open incidents, overdue)
- sync_status(ctx) -> str | None: the sync state text for the status bar (the sync feature)
- on_app_start(ctx) / on_app_stop(ctx): start and stop background work with a station app (the sync worker)
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType
from typing import Callable

# Order matters only for menus and demo seeding (slips before the dorm that reads them).
FEATURE_MODULES: list[str] = [
    "kiosk.features.people",
    "kiosk.features.gate",
    "kiosk.features.slips",
    "kiosk.features.dorm",
    "kiosk.features.canteen",
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


@lru_cache(maxsize=None)
def loaded() -> tuple[ModuleType, ...]:
    return tuple(importlib.import_module(name) for name in FEATURE_MODULES)


def station_actions(station_kind: str) -> list[StationAction]:
    actions: list[StationAction] = []
    for feature in loaded():
        provider = getattr(feature, "station_actions", None)
        if provider is not None:
            actions.extend(provider(station_kind))
    return actions


def exports() -> dict[str, Callable]:
    kinds: dict[str, Callable] = {}
    for feature in loaded():
        kinds.update(getattr(feature, "EXPORTS", {}))
    return kinds
