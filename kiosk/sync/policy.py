"""Who may write what to the shared database: the one write policy (default deny).

Central enforces this table inside `sync_push` (kiosk.sync.central copies it into its `sync_table` catalogue at
`kiosk central init`); a station's own database role cannot go around it, because stations write only through
that function. A table that is not listed here cannot be written by any station.

Per table:
- insert: the station kinds that may create rows;
- owner: who owns a row once it exists: the station that created it (CREATOR), the office (OFFICE: any office
  station), or the station the row describes (SELF: a station_info row whose id is the station's own id);
- update_others: the kinds that may change a row another station owns (the exceptions, each with its reason);
- set_once: fields that, once set, never change (a second, different value is a conflict kept with both versions).

The README's Sync section shows this table; tests/sync/test_hostile_station.py and test_hostile_conflicts.py try
every rule with a station's own role.
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass

KINDS = ("gate", "dorm", "canteen", "office")
CREATOR, OFFICE, SELF = "creator", "office", "self"


@dataclass(frozen=True)
class TablePolicy:
    insert: frozenset[str]
    owner: str = CREATOR
    update_others: frozenset[str] = frozenset()
    set_once: tuple[str, ...] = ()
    why: str = ""  # the reason for an exception, shown in the README table
    read: frozenset[str] | None = None  # kinds that may read the table; None: the kinds that pull it


def _kinds(*kinds: str) -> frozenset[str]:
    return frozenset(kinds)


# The shapes most tables take; features name them in their manifests (kiosk.features.Feature.sync_tables).
OFFICE_ONLY = TablePolicy(insert=_kinds("office"), owner=OFFICE, update_others=_kinds("office"))
GATE_ONLY = TablePolicy(insert=_kinds("gate"))
DORM_ONLY = TablePolicy(insert=_kinds("dorm"))
CANTEEN_ONLY = TablePolicy(insert=_kinds("canteen"))

# The core tables (kiosk.models.CORE_MODELS that sync); every feature table's rule is in its feature's manifest.
CORE_POLICY: dict[str, TablePolicy] = {
    # the roster and staff: written at the office only
    **{name: OFFICE_ONLY for name in ("school", "building", "room", "student", "staff")},
    # each station announces its own name and kind; nobody else may rename it
    "station_info": TablePolicy(insert=_kinds(*KINDS), owner=SELF,
                                why="a station writes only its own row (id = its station id)"),
}


ROSTER = ("school", "building", "room", "student", "staff", "station_info")  # the core tables every station pulls


def pull_patterns(station_kind: str) -> tuple[str, ...]:
    """What a station kind pulls (fnmatch patterns over table names): the core tables, then what each feature's
    manifest declares for that kind (kiosk.features.Feature.pulls; the office pulls everything)."""
    from kiosk import features

    return ROSTER + features.pulled_tables(station_kind)


def policies() -> dict[str, TablePolicy]:
    """Every table's write policy: the core's, then each feature's (a table in none cannot be written)."""
    from kiosk import features

    return {**CORE_POLICY, **features.sync_policies()}


# Staff whose PIN verifier and card code a station of each kind receives: those who may log in there
# (kiosk.services.auth.STATION_ROLES; admins always) and those who confirm with their PIN there: at the dorm,
# the head teacher and leaders approve an overnight guest and acknowledge escalations. Everyone else reaches
# the station as a name in the directory only (a stolen station leaks fewer verifiers).
CONFIRMS_AT: dict[str, frozenset[str]] = {"dorm": frozenset({"head_teacher", "duty_leader", "principal", "discipline"})}


def verifier_roles(kind: str) -> frozenset[str]:
    from kiosk.services.auth import STATION_ROLES

    return STATION_ROLES.get(kind, frozenset()) | CONFIRMS_AT.get(kind, frozenset()) | {"admin"}


_EXTRA: dict[str, tuple[type, TablePolicy]] = {}


def readers(table: str, rule: TablePolicy) -> frozenset[str]:
    """The station kinds whose role may read `table` at central: those whose pull list names it (row-level
    security at central, so a stolen dorm station cannot read visitors' ID numbers)."""
    if rule.read is not None:
        return rule.read
    return frozenset(kind for kind in KINDS
                     if any(fnmatch.fnmatchcase(table, pattern) for pattern in pull_patterns(kind)))


def register(model: type, table_policy: TablePolicy) -> None:
    """Declare one more syncable table (the test suite's `probe` table; a plug-in feature)."""
    _EXTRA[model._meta.table_name] = (model, table_policy)


def syncable() -> dict[str, tuple[type, TablePolicy]]:
    """Every table stations may push: table name -> (its peewee model, its policy). Derived from the models:
    a model without a policy is not syncable, and a policy without a model is an error in this file."""
    from kiosk.models import all_models

    models = {model._meta.table_name: model for model in all_models()}
    declared = policies()
    missing = sorted(set(declared) - set(models))
    if missing:
        raise LookupError(f"sync policy names tables no model declares: {', '.join(missing)}")
    tables = {name: (models[name], declared[name]) for name in declared}
    tables.update(_EXTRA)
    return tables
