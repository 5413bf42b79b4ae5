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

The README's Sync section shows this table; tests/sync/test_hostile_station.py tries every rule with a
station's own role.
"""
from __future__ import annotations

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
    read: frozenset[str] | None = None  # kinds that may read the table; None: the kinds that pull it (engine.PULLS)


def _kinds(*kinds: str) -> frozenset[str]:
    return frozenset(kinds)


_OFFICE = TablePolicy(insert=_kinds("office"), owner=OFFICE, update_others=_kinds("office"))
_GATE = TablePolicy(insert=_kinds("gate"))
_DORM = TablePolicy(insert=_kinds("dorm"))
_CANTEEN = TablePolicy(insert=_kinds("canteen"))

POLICY: dict[str, TablePolicy] = {
    # the roster, staff, slips, watchlist and approvals: written at the office only
    **{name: _OFFICE for name in (
        "school", "building", "room", "student", "staff", "watchlist_entry",
        "slip_key", "pass_slip", "slip_approval", "slip_revocation", "slip_conflict_review",
        "guest_approval", "guest_approval_revocation")},
    # each station announces its own name and kind; nobody else may rename it
    "station_info": TablePolicy(insert=_kinds(*KINDS), owner=SELF,
                                why="a station writes only its own row (id = its station id)"),
    # the gate
    "visit": TablePolicy(insert=_kinds("gate"), update_others=_kinds("gate"),
                         set_once=("time_in", "time_out", "out_station_id", "id_number"),
                         why="a visitor may leave by another gate: any gate signs the visit out, once"),
    "watchlist_decision": _GATE,
    "patrol_round": _GATE,
    "shift_handover": _GATE,
    "gate_crossing": TablePolicy(insert=_kinds("gate"), set_once=("direction", "student_id", "at", "slip_id")),
    "gate_scan": _GATE,
    "verbal_exception": TablePolicy(insert=_kinds("gate"), update_others=_kinds("office"),
                                    set_once=("direction", "confirmed_at"),
                                    why="the head teacher confirms it the next day at the office"),
    "overdue_alert": TablePolicy(insert=_kinds("gate", "office"), update_others=_kinds("gate", "office"),
                                 set_once=("resolved_at",), why="resolved where the student turns up, or at the office"),
    # the dorm
    "headcount_round": TablePolicy(insert=_kinds("dorm"), set_once=("submitted_at",)),
    "room_mark": _DORM,
    "room_confirm": _DORM,
    "whereabouts": _DORM,
    "extra_person": _DORM,
    "overnight_guest": _DORM,
    "incident": TablePolicy(insert=_kinds("dorm"), update_others=_kinds("dorm", "office"), set_once=("closed_at",),
                            why="leaders close an unknown whereabouts from the office or another dorm"),
    "incident_ack": TablePolicy(insert=_kinds("dorm", "office")),
    # the canteen (two canteen stations share menus and holds)
    "meal": TablePolicy(insert=_kinds("canteen"), update_others=_kinds("canteen"), why="menus are shared"),
    "menu_dish": TablePolicy(insert=_kinds("canteen"), update_others=_kinds("canteen"), set_once=("removed_at",),
                             why="menus are shared"),
    "sample": TablePolicy(insert=_kinds("canteen"), set_once=("sampled_at", "grams", "dish_id")),
    "sample_disposal": TablePolicy(insert=_kinds("canteen"), set_once=("disposed_at", "sample_id")),
    "incident_hold": TablePolicy(insert=_kinds("canteen", "office"), update_others=_kinds("canteen", "office"),
                                 set_once=("released_at",), why="a hold set at one canteen is released at another or the office"),
    "meal_check": _CANTEEN,
}

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
    import fnmatch

    from kiosk.sync.engine import PULLS

    if rule.read is not None:
        return rule.read
    return frozenset(kind for kind, patterns in PULLS.items()
                     if any(fnmatch.fnmatchcase(table, pattern) for pattern in patterns))


def register(model: type, table_policy: TablePolicy) -> None:
    """Declare one more syncable table (the test suite's `probe` table; a plug-in feature)."""
    _EXTRA[model._meta.table_name] = (model, table_policy)


def syncable() -> dict[str, tuple[type, TablePolicy]]:
    """Every table stations may push: table name -> (its peewee model, its policy). Derived from the models:
    a model without a policy is not syncable, and a policy without a model is an error in this file."""
    from kiosk.models import all_models

    models = {model._meta.table_name: model for model in all_models()}
    missing = sorted(set(POLICY) - set(models))
    if missing:
        raise LookupError(f"sync policy names tables no model declares: {', '.join(missing)}")
    tables = {name: (models[name], POLICY[name]) for name in POLICY}
    tables.update(_EXTRA)
    return tables
