"""Catalog keys the code builds at run time (`t(f"slips.direction_{d}")`, `Msg(f"canteen.meal_{kind}")`,
`GateError(code)` completed to `gate.<code>`, ...) exist in both languages.

Every f-string in kiosk/ shaped like a key (`<area>.<name>{...}`) is a *key family*, named by its pattern
(`slips.direction_{}`), or with its expression when the placeholder is the whole name (`gate.{checked.error}`).
Its values are taken from the code, never copied here, so a new enum member, constant or error code without its
catalog entries fails:
- in place, when the f-string sits in a loop or comprehension over a sequence written out in the code (headers);
- otherwise from its declaration in families() below: the enum or constant that produces the value, or the
  literals the code passes to (or returns from) the class or function that carries it, all found by *name*
  (tests/i18n_code_scan.py), so moving a module does not break the test; as a last resort, a reason string.
A family in the code that is neither enumerable in place nor declared fails, and so does a declaration the code
no longer uses. The last test checks the literal keys given to `UserError` and its subclasses (GateError adds
`gate.` itself), `Msg`, `t`, `t_in` and `say`. Key-shaped literals anywhere: tests/test_i18n.py.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from kiosk import i18n
from tests.i18n_code_scan import (FUNCTIONS, ROOT, assigned_in, callee_name, compared_in, constant, enum_values,
                                  is_audit_action, modules, nodes, passed, returned, strings_in, values_in_place)

AREAS = sorted(path.stem for path in (ROOT / "assets" / "i18n" / "zh-CN").glob("*.toml"))
AREA = "(?:" + "|".join(AREAS) + ")"
FAMILY_SHAPE = re.compile(rf"^{AREA}\.[a-z0-9_]*(?:\{{\}}[a-z0-9_]*)+$")  # slips.direction_{} , gate.{}
KEY_SHAPE = re.compile(rf"^{AREA}\.[a-z0-9_]+$")


# ---------------------------------------------------------------- key families in the code

@dataclass(frozen=True)
class Site:
    family: str  # "slips.direction_{}"
    where: str  # "kiosk/screens/slip_gate.py:117"
    values: frozenset[str] | None  # enumerated in place (a loop over a literal sequence), else None


def family_of(node: ast.JoinedStr) -> str:
    return "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)


def named_family(node: ast.JoinedStr) -> str:
    """A family's name: its pattern (`slips.direction_{}`); when the whole name is the placeholder (`gate.{...}`),
    the expression too (`gate.{checked.error}`), since each such site completes keys of its own kind."""
    family = family_of(node)
    if family.endswith(".{}") and family.count("{}") == 1:
        return family.replace("{}", "{" + ast.unparse(node.values[-1].value) + "}")
    return family


def fill(family: str, value: str) -> str:
    return re.sub(r"\{[^{}]*\}", lambda _: value, family)


@lru_cache(maxsize=None)
def sites() -> tuple[Site, ...]:
    found = []
    for module, node in nodes(ast.JoinedStr):
        if FAMILY_SHAPE.match(family_of(node)) and not is_audit_action(module, node):
            where = f"{module.path.relative_to(ROOT)}:{node.lineno}"
            found.append(Site(named_family(node), where, values_in_place(module, node)))
    return tuple(found)


# ---------------------------------------------------------------- where each family's values come from

Values = Callable[[], Iterable[str]]


def slip_values() -> dict[str, Values]:
    return {
        "slips.direction_{}": lambda: enum_values("Direction") | set(constant("DIRECTIONS")),
        "slips.verdict_{}": lambda: enum_values("VerdictKind") | set(constant("VERDICTS")),
        "slips.status_{}": lambda: enum_values("SlipPhase"),
        "slips.ckind_{}": lambda: constant("CROSSING_KINDS"),
        "slips.kind_{}": lambda: constant("REASON_KINDS"),
        "slips.conflict_{}": lambda: constant("CONFLICT_KINDS"),
        # Verdict(kind, reason_code, args, flags): every code and flag a rule can give.
        "slips.reason_{}": lambda: set(constant("REFUSALS")) | passed("Verdict", "reason_code"),
        "slips.flag_{}": lambda: passed("Verdict", "flags"),
        "slips.flag_short_{}": lambda: passed("Verdict", "flags"),
        "slips.role_{}": lambda: returned("required_roles"),
        "slips.weekday_{}": lambda: [str(day) for day in range(1, 8)],  # date.isoweekday()
    }


def gate_values() -> dict[str, Values]:
    return {
        "gate.idtype_{}": lambda: constant("ID_TYPES"),
        "gate.category_{}": lambda: constant("CATEGORIES"),
        "gate.level_{}": lambda: constant("WATCH_LEVELS"),
        "gate.decision_prompt_{}": lambda: constant("WATCH_LEVELS"),  # the worst level of the hits
        "gate.match_{}": lambda: passed("WatchHit", "match"),
        "gate.place_{}": lambda: constant("PATROL_PLACES"),
        # `gate.<code>` (column headers are enumerated in place): an ID check's error and warning, a form's field
        # errors (the phone's and the plate's come from their checks), a watchlist decision's problem, and the
        # codes a GateError is raised with (it adds the `gate.` itself).
        "gate.{checked.error}": lambda: passed("IdCheck", "error"),
        "gate.{checked.warning}": lambda: passed("IdCheck", "warning"),
        "gate.{error.key}": lambda: passed("FieldError", "key") | returned("check_phone") | returned("check_plate"),
        "gate.{result.problem}": lambda: returned("decision_problem"),
        "gate.{key}": lambda: passed("GateError", "key", 0),
    }


def dorm_values() -> dict[str, Values]:
    return {
        "dorm.reason_{}": lambda: set(constant("ABSENCE_REASONS")) | set(constant("REASONS", under="services")),
        "dorm.dis_{}": lambda: (constant("RETURNED_NOT_IN_ROOM"), constant("OUT_BUT_PRESENT")),
        # why a student cannot be recorded as on leave: beside the option in the picker, and the service's refusal
        "dorm.leave_refused_{}": lambda: returned("leave_refusal"),
        "dorm.err_on_leave_{}": lambda: returned("leave_refusal"),
        # "out" is shown as no hint (gate_text returns "" for it).
        "dorm.gate_{}": lambda: (constant("GATE_RETURNED"), constant("GATE_RETURNED_LATE"),
                                 constant("GATE_REVOKED_OUT"), constant("GATE_OUT_NO_SLIP")),
        "dorm.role_{}": lambda: constant("ESCALATION_ROLES"),
        "dorm.step_{}": lambda: assigned_in("escalation_ladder", "state"),
        "dorm.status_{}": lambda: returned("status", of_class="RoomResult"),
        # "submitted" has its own text with the signer and the time.
        "dorm.report_source_{}": lambda: passed("BuildingNight", "source") - {"submitted"},
        # the role a PIN must hold: an escalation step's, or the one _approver is asked for
        "dorm.err_role_{}": lambda: set(constant("ESCALATION_ROLES")) | passed("_approver", "role", 1),
    }


def canteen_values() -> dict[str, Values]:
    def checks() -> set[str]:  # a meal check's kind: accompany | tasting
        return compared_in("add_meal_check", "kind")

    return {
        "canteen.meal_{}": lambda: constant("MEAL_KINDS"),
        "canteen.weekday_{}": lambda: [str(day) for day in range(1, 8)],
        "canteen.check_{}_short": checks,
        "canteen.check_{}_title": checks,
        "canteen.check_{}_ok_question": checks,
        "canteen.check_{}_answer_ok": checks,
        "canteen.check_{}_answer_problem": checks,
        "canteen.err_dish_{}": lambda: returned("dish_removal_refusal"),
        # a sample's timing; on time has no mark
        "canteen.mark_{}": lambda: passed("SampleTiming", "state", 0) - {"on_time"},
        "canteen.state_{}": lambda: returned("disposal_state") | assigned_in("check_menu", "state"),
        # Only a reading outside the band is shown (`if not band.ok`): ok and not_taken have no text.
        "canteen.temperature_{}": lambda: passed("TemperatureCheck", "state") - {"ok", "not_taken"},
        "canteen.note_{}": lambda: passed("TemperatureCheck", "state") - {"ok", "not_taken"},
    }


def other_values() -> dict[str, Values]:
    def columns() -> set[str]:
        return set(constant("COLUMN_KEYS").values()) | passed("get", "column") | passed("Column", "key", 0)

    def events() -> set[str]:  # a notification's event: the planners' and the channel test's
        return passed("drafts_for_step", "event", 0) | passed("Notification", "event")

    return {
        "core.station_{}": lambda: constant("STATION_KINDS"),
        "core.people_kind_{}": lambda: passed("PersonHit", "kind"),
        "idcard.sex_{}": lambda: constant("SEXES", under="idcard").values(),
        "idcard.type_{}": lambda: constant("CARD_TYPES").values(),
        "idcard.decision_kept_{}": lambda: passed("Decision", "decision"),
        "labels.reason_{}": lambda: constant("_ERRNO_REASONS").values(),
        "notify.channel_{}": lambda: constant("CHANNEL_NAMES"),
        "notify.status_{}": lambda: constant("STATUSES", under="notify"),
        "notify.role_{}": lambda: set(constant("RECIPIENT_ROLES")) | passed("Notification", "recipient_role"),
        "notify.event_{}": events,
        "notify.title_{}": events,
        "notify.msg_{}": events,
        "notify.decision_{}": lambda: passed("watchlist_deny", "decision", 3),
        "people.role_{}": lambda: enum_values("Role"),  # the staff roles (kiosk.models.Role)
        # `people.<key>`: the messages the import CLI prints in both languages, the row errors and the file errors
        # (ImportFileError adds the `people.` itself) ...
        "people.{key}": lambda: (passed("_both", "key", 0) | passed("bilingual", "key", 0)
                                 | passed("ImportFileError", "key", 0) | row_errors()),
        # ... and the columns they name: a header's key, or the staff number's own (`column="col_staff_number"`).
        "people.{value}": columns,
        "people.{name}": columns,
        # reason_text shows an unknown code as it came (a newer or older central's); these are today's.
        "sync_trust.reason_{}": sync_refusal_codes,
    }


def sync_refusal_codes() -> set[str]:
    """Why a synced row was refused (`code` or `code:detail`): the codes the pull check's *_problem functions return
    (its SQL twin for central gives the same ones) and those central's push check writes in its `CASE ... END AS
    reason` (`THEN 'not_owner:' || ...`) or builds as it runs (`THEN quote_literal('no_row_check')`), all in kiosk/sync/."""
    codes: set[str] = set()
    for module, function in nodes(*FUNCTIONS):
        if module.path.parent.name == "sync" and function.name.endswith("_problem"):
            for node in ast.walk(function):
                if isinstance(node, ast.Return) and isinstance(node.value, ast.JoinedStr):
                    head = node.value.values[0]
                    codes |= {head.value.split(":")[0]} if isinstance(head, ast.Constant) else set()
                elif isinstance(node, ast.Return):
                    codes |= strings_in(node.value)
    for module in modules():
        if module.path.parent.name == "sync":
            text = module.path.read_text(encoding="utf-8")
            for case in re.findall(r"CASE(.*?)END AS reason", text, re.S):
                codes |= set(re.findall(r"(?:THEN|ELSE)\s+'([a-z_]+)[:']", case))
            # and a reason written into SQL that sync_push builds as it runs (a table with no stored check)
            codes |= set(re.findall(r"THEN quote_literal\('([a-z_]+)'\)", text))
    return codes


def row_errors() -> set[str]:
    """A roster row's problems, `people.err_<key>` (bilingual(f"err_{key}")): the keys a row check fails with, the
    building/gender mismatch, and `cell_<problem>` for a cell Excel has changed."""
    cell_problems = returned("_text_problem") | passed("SuspectCell", "problem", 1)
    keys = passed("fail", "key", 0) | assigned_in("plan_roster", "key") | {f"cell_{p}" for p in cell_problems}
    return {f"err_{key}" for key in keys}


@lru_cache(maxsize=None)
def families() -> dict[str, Values | str]:
    return {**slip_values(), **gate_values(), **dorm_values(), **canteen_values(), **other_values()}


# ---------------------------------------------------------------- the tests

def missing_keys(keys: Iterable[str]) -> list[str]:
    zh, en = i18n.catalog("zh-CN"), i18n.catalog("en")
    return sorted({f"{key} ({lang})" for key in keys for lang, cat in (("zh-CN", zh), ("en", en)) if key not in cat})


def test_the_scan_finds_the_families():
    found = {site.family for site in sites()}
    assert {"slips.direction_{}", "gate.{checked.error}", "canteen.meal_{}"} <= found, found
    in_place = [site for site in sites() if site.values]
    assert any(site.family == "gate.{key}" and "col_place" in site.values for site in in_place), in_place
    assert passed("Verdict", "reason_code") >= {"slip_exit", "card_return"}
    assert passed("FieldError", "key") >= {"name_required", "already_onsite"}


def test_every_key_family_is_enumerated_or_declared():
    undeclared = sorted({f"{site.family}  ({site.where})" for site in sites()
                         if site.values is None and site.family not in families()})
    assert not undeclared, ("declare where these keys' values come from in tests/test_i18n_dynamic.py "
                            f"(families()): {undeclared}")


def test_no_declaration_is_stale():
    used = {site.family for site in sites()}
    assert not set(families()) - used, f"declared, no longer in the code: {sorted(set(families()) - used)}"


def test_declared_families_exist_in_both_languages():
    problems = []
    for family, source in families().items():
        if isinstance(source, str):
            assert len(source) > 20, f"{family}: say why it cannot be enumerated"
            continue
        values = sorted(set(source()))
        if not values:
            problems.append(f"{family}: no values found in the code (did a name move?)")
        problems += missing_keys(fill(family, value) for value in values)
    assert not problems, problems


def test_keys_enumerated_in_place_exist_in_both_languages():
    problems = [f"{key}  ({site.where})" for site in sites() if site.values
                for key in missing_keys(fill(site.family, value) for value in site.values)]
    assert not problems, problems


def user_error_classes() -> dict[str, str]:
    """UserError and its subclasses (by class name, found in the code) -> the prefix a subclass adds to its key
    ("gate." for GateError("id_required")), "" when it takes the whole key."""
    classes = {"UserError": ""}
    grew = True
    while grew:
        grew = False
        for _, node in nodes(ast.ClassDef):
            bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
            if node.name not in classes and bases & set(classes):
                prefixes = {family_of(f).removesuffix("{}") for f in ast.walk(node) if isinstance(f, ast.JoinedStr)
                            and FAMILY_SHAPE.match(family_of(f)) and family_of(f).endswith(".{}")}
                classes[node.name] = prefixes.pop() if len(prefixes) == 1 else next(
                    (classes[b] for b in bases if b in classes), "")
                grew = True
    return classes


def literal_keys() -> dict[str, str]:
    """Key -> where, for every literal key given to a UserError (or subclass), Msg, t, say or t_in."""
    errors = user_error_classes()
    found = {}
    for module, call in nodes(ast.Call):
        name = callee_name(call)
        position = 1 if name == "t_in" else 0
        if (name in errors or name in ("Msg", "t", "say", "t_in")) and len(call.args) > position:
            arg = call.args[position]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                key = errors.get(name, "") + arg.value
                if KEY_SHAPE.match(key):
                    found.setdefault(key, f"{module.path.relative_to(ROOT)}:{call.lineno}")
    return found


def test_every_literal_key_exists_in_both_languages():
    keys = literal_keys()
    assert user_error_classes()["GateError"] == "gate." and "HeadcountError" in user_error_classes()
    assert len(keys) > 300 and "gate.patrol_place_required" in keys  # the scan works, GateError's prefix included
    problems = [f"{key}  ({keys[key.split(' ')[0]]})" for key in missing_keys(keys)]
    assert not problems, problems
