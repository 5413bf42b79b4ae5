"""Catalog keys the code builds at run time (`t(f"slips.direction_{d}")`, `Msg(f"canteen.meal_{kind}")`,
`GateError(code)` completed to `gate.<code>`, ...) exist in both languages.

Every f-string in kiosk/ shaped like a key (`<area>.<name>{...}`) is a *key family*. Its values are taken from the
code, never copied here, so a new enum member, constant or error code without its catalog entries fails:
- in place, when the f-string sits in a loop or comprehension over a literal sequence (column headers);
- otherwise from the declarations in families() below: the enum / constant tuple that produces the value, or the literals the code passes
  to the constructor or function that carries it (found by class and function *name*, so moving a module does not
  break the test), or, as a last resort, a reason why the family cannot be enumerated.
A family found in the code and neither enumerable in place nor declared fails, and so does a declaration the code
no longer uses. The last test checks the literal keys of every `UserError` (and subclass), `Msg`, `t`, `t_in` and
`say` call.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kiosk import i18n

ROOT = Path(__file__).resolve().parent.parent
KIOSK = ROOT / "kiosk"
AREAS = sorted(path.stem for path in (ROOT / "assets" / "i18n" / "zh-CN").glob("*.toml"))
AREA = "(?:" + "|".join(AREAS) + ")"
FAMILY_SHAPE = re.compile(rf"^{AREA}\.[a-z0-9_]*(?:\{{\}}[a-z0-9_]*)+$")  # slips.direction_{} , gate.{}
KEY_SHAPE = re.compile(rf"^{AREA}\.[a-z0-9_]+$")
# The first argument of record(actor, "gate.visit_admitted", ...) is an audit action name: it looks like a key and
# is none (the audit log stores it as it is).
AUDIT_CALLS = {"record"}


# ---------------------------------------------------------------- the code, parsed once

@dataclass(frozen=True)
class Module:
    path: Path
    tree: ast.Module
    parents: dict[ast.AST, ast.AST]


@lru_cache(maxsize=None)
def modules() -> tuple[Module, ...]:
    found = []
    for path in sorted(KIOSK.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        found.append(Module(path, tree, parents))
    return tuple(found)


@lru_cache(maxsize=None)
def _index() -> dict[type, list[tuple[Module, ast.AST]]]:
    index: dict[type, list[tuple[Module, ast.AST]]] = {}
    for module in modules():
        for node in ast.walk(module.tree):
            index.setdefault(type(node), []).append((module, node))
    return index


def nodes(*kinds: type) -> list[tuple[Module, ast.AST]]:
    return [found for kind in kinds for found in _index().get(kind, [])]


def callee_name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def strings_in(node: ast.AST | None) -> set[str]:
    """The non-empty strings an expression can evaluate to: a literal, the items of a literal tuple or list, either
    branch of `a if cond else b`, the operands of `a or b` (a condition's own literals are not values)."""
    if isinstance(node, ast.Constant):
        return {node.value} if isinstance(node.value, str) and node.value else set()
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return set().union(*(strings_in(e) for e in node.elts))
    if isinstance(node, ast.IfExp):
        return strings_in(node.body) | strings_in(node.orelse)
    if isinstance(node, ast.BoolOp):
        return set().union(*(strings_in(v) for v in node.values))
    return set()


def enclosing(module: Module, node: ast.AST, kinds: tuple[type, ...]) -> ast.AST | None:
    node = module.parents.get(node)
    while node is not None and not isinstance(node, kinds):
        node = module.parents.get(node)
    return node


FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def assigned_to(scope: ast.AST, name: str) -> list[ast.expr]:
    """The values `name = ...` is given directly in `scope` (a function, class or module body)."""
    values = []
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            values.append(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == name \
                and node.value is not None:
            values.append(node.value)
    return values


def strings_of(module: Module, node: ast.expr) -> set[str]:
    """The strings an argument can hold: its literals, or for a bare name those assigned to it in its function."""
    if isinstance(node, ast.Name):
        scope = enclosing(module, node, FUNCTIONS)
        return set().union(*(strings_in(value) for value in assigned_to(scope, node.id))) if scope else set()
    return strings_in(node)


@lru_cache(maxsize=None)
def field_position(class_name: str, field: str) -> int | None:
    """The position of a dataclass field (annotated class attributes in order), for positional constructor calls."""
    for _, node in nodes(ast.ClassDef):
        if node.name == class_name:
            names = [s.target.id for s in node.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)]
            if field in names:
                return names.index(field)
    return None


def passed(callee: str, field: str, position: int | None = None) -> set[str]:
    """The strings the code passes as `field` (by keyword, or positionally) to any call of `callee` (a class or
    function name, wherever it is defined)."""
    if position is None:
        position = field_position(callee, field)
    found: set[str] = set()
    for module, call in nodes(ast.Call):
        if callee_name(call) != callee:
            continue
        if position is not None and position < len(call.args) and not any(
                isinstance(a, ast.Starred) for a in call.args[:position + 1]):
            found |= strings_of(module, call.args[position])
        found |= set().union(*(strings_of(module, k.value) for k in call.keywords if k.arg == field))
    return found


def returned(function: str, of_class: str = "") -> set[str]:
    """The string literals any function (or method of `of_class`) called `function` returns."""
    found: set[str] = set()
    for module, node in nodes(*FUNCTIONS):
        klass = enclosing(module, node, (ast.ClassDef,))
        if node.name == function and (not of_class or (klass is not None and klass.name == of_class)):
            found |= set().union(*(strings_in(r.value) for r in ast.walk(node) if isinstance(r, ast.Return)))
    return found


def assigned_in(function: str, name: str) -> set[str]:
    """The string literals assigned to `name` inside any function called `function`."""
    return set().union(*(strings_in(value) for _, node in nodes(*FUNCTIONS) if node.name == function
                         for value in assigned_to(node, name)))


def compared_in(function: str, name: str) -> set[str]:
    """The strings `name` is checked against (`name in ("a", "b")`, `name == "a"`) in any function `function`."""
    found: set[str] = set()
    for _, node in nodes(*FUNCTIONS):
        if node.name != function:
            continue
        for compare in ast.walk(node):
            if isinstance(compare, ast.Compare) and isinstance(compare.left, ast.Name) and compare.left.id == name:
                found |= set().union(*(strings_in(c) for c in compare.comparators))
    return found


# ---------------------------------------------------------------- key families in the code

@dataclass(frozen=True)
class Site:
    family: str  # "slips.direction_{}"
    where: str  # "kiosk/screens/slip_gate.py:117"
    values: frozenset[str] | None  # enumerated in place (a loop over a literal sequence), else None


def family_of(node: ast.JoinedStr) -> str:
    return "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)


def is_audit_action(module: Module, node: ast.JoinedStr) -> bool:
    call = module.parents.get(node)
    return isinstance(call, ast.Call) and callee_name(call) in AUDIT_CALLS and call.args[1:2] == [node]


def direct_assignments(body: list[ast.stmt], name: str) -> list[ast.expr]:
    return [s.value for s in body if isinstance(s, ast.Assign) and s.value is not None
            and any(isinstance(t, ast.Name) and t.id == name for t in s.targets)]


def literal_sequence(module: Module, node: ast.expr, at: ast.AST) -> list | None:
    """A sequence written out in the code: a literal, or a name / self.NAME / NAME[a:b] bound once to one in the
    enclosing function, class or module."""
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
        whole = literal_sequence(module, node.value, at)
        bounds = (node.slice.lower, node.slice.upper, node.slice.step)
        if whole is None or not all(b is None or isinstance(b, ast.Constant) for b in bounds):
            return None
        return whole[slice(*(b.value if b is not None else None for b in bounds))]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        try:
            return list(ast.literal_eval(node))
        except ValueError:
            return None
    function, klass = enclosing(module, at, FUNCTIONS), enclosing(module, at, (ast.ClassDef,))
    if isinstance(node, ast.Name):
        candidates = [assigned_to(function, node.id) if function else [],
                      direct_assignments(klass.body, node.id) if klass else [],
                      direct_assignments(module.tree.body, node.id)]
    elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
        candidates = [direct_assignments(klass.body, node.attr) if klass else []]
    else:
        return None
    for values in candidates:
        if values:  # the innermost scope that binds the name decides; bound more than once: not written out
            return literal_sequence(module, values[0], at) if len(values) == 1 else None
    return None


def values_in_place(module: Module, node: ast.JoinedStr) -> frozenset[str] | None:
    """The values of an f-string's one placeholder when it is the target of an enclosing loop or comprehension
    over a sequence written out in the code (`for key in ("col_time", "col_name")`)."""
    holes = [part for part in node.values if isinstance(part, ast.FormattedValue)]
    if len(holes) != 1 or not isinstance(holes[0].value, ast.Name):
        return None
    name, at = holes[0].value.id, node
    while (at := module.parents.get(at)) is not None:
        loops = at.generators if isinstance(at, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)) else \
            [at] if isinstance(at, (ast.For, ast.comprehension)) else []
        for loop in loops:
            target = loop.target
            if isinstance(target, ast.Name) and target.id == name:
                index = None
            elif isinstance(target, ast.Tuple) and any(isinstance(e, ast.Name) and e.id == name for e in target.elts):
                index = next(i for i, e in enumerate(target.elts) if isinstance(e, ast.Name) and e.id == name)
            else:
                continue
            items = literal_sequence(module, loop.iter, at)
            if items is None:
                return None
            items = [item[index] for item in items] if index is not None else items
            return frozenset(item for item in items if isinstance(item, str)) if items else None
        if isinstance(at, FUNCTIONS):
            return None
    return None


@lru_cache(maxsize=None)
def sites() -> tuple[Site, ...]:
    found = []
    for module, node in nodes(ast.JoinedStr):
        family = family_of(node)
        if FAMILY_SHAPE.match(family) and not is_audit_action(module, node):
            where = f"{module.path.relative_to(ROOT)}:{node.lineno}"
            found.append(Site(family, where, values_in_place(module, node)))
    return tuple(found)


# ---------------------------------------------------------------- where each family's values come from

Values = Callable[[], Iterable[str]]


def slip_values() -> dict[str, Values]:
    from kiosk.models.slip_review import CONFLICT_KINDS
    from kiosk.models.slips import CROSSING_KINDS, DIRECTIONS, REASON_KINDS, VERDICTS
    from kiosk.services.slip_rules import REFUSALS, Direction, SlipPhase, VerdictKind

    return {
        "slips.direction_{}": lambda: {d.value for d in Direction} | set(DIRECTIONS),
        "slips.verdict_{}": lambda: {v.value for v in VerdictKind} | set(VERDICTS),
        "slips.status_{}": lambda: {p.value for p in SlipPhase},
        "slips.ckind_{}": lambda: CROSSING_KINDS,
        "slips.kind_{}": lambda: REASON_KINDS,
        "slips.conflict_{}": lambda: CONFLICT_KINDS,
        # Verdict(kind, reason_code, args, flags): every code and flag a rule can give.
        "slips.reason_{}": lambda: set(REFUSALS) | passed("Verdict", "reason_code"),
        "slips.flag_{}": lambda: passed("Verdict", "flags"),
        "slips.flag_short_{}": lambda: passed("Verdict", "flags"),
        "slips.role_{}": lambda: returned("required_roles"),
        "slips.weekday_{}": lambda: [str(day) for day in range(1, 8)],  # date.isoweekday()
    }


def gate_values() -> dict[str, Values]:
    from kiosk.services.gate_shift import PATROL_PLACES
    from kiosk.services.visitor_rules import CATEGORIES, ID_TYPES, WATCH_LEVELS

    return {
        "gate.idtype_{}": lambda: ID_TYPES,
        "gate.category_{}": lambda: CATEGORIES,
        "gate.level_{}": lambda: WATCH_LEVELS,
        "gate.decision_prompt_{}": lambda: WATCH_LEVELS,  # the worst level of the hits
        "gate.match_{}": lambda: passed("WatchHit", "match"),
        "gate.place_{}": lambda: PATROL_PLACES,
        # `gate.<code>`: a form's field errors, an ID check's error and warning, a watchlist decision's problem,
        # and the codes a GateError is raised with (it adds the `gate.` itself); column headers are enumerated
        # in place.
        "gate.{}": lambda: (passed("FieldError", "key") | passed("IdCheck", "error") | passed("IdCheck", "warning")
                            | returned("decision_problem") | returned("check_phone") | returned("check_plate")
                            | passed("GateError", "key", 0)),
    }


def dorm_values() -> dict[str, Values]:
    from kiosk.services import headcount_rules as rules

    return {
        "dorm.reason_{}": lambda: set(rules.ABSENCE_REASONS) | set(rules.REASONS),
        "dorm.dis_{}": lambda: (rules.RETURNED_NOT_IN_ROOM, rules.OUT_BUT_PRESENT),
        # "out" is shown as no hint (gate_text returns "" for it).
        "dorm.gate_{}": lambda: (rules.GATE_RETURNED, rules.GATE_RETURNED_LATE, rules.GATE_REVOKED_OUT,
                                 rules.GATE_OUT_NO_SLIP),
        "dorm.role_{}": lambda: rules.ESCALATION_ROLES,
        "dorm.step_{}": lambda: assigned_in("escalation_ladder", "state"),
        "dorm.status_{}": lambda: returned("status", of_class="RoomResult"),
        # "submitted" has its own text with the signer and the time.
        "dorm.report_source_{}": lambda: passed("BuildingNight", "source") - {"submitted"},
        # the role a PIN must hold: an escalation step's, or the one _approver is asked for
        "dorm.err_role_{}": lambda: set(rules.ESCALATION_ROLES) | passed("_approver", "role", 1),
    }


def canteen_values() -> dict[str, Values]:
    from kiosk.services.sample_rules import MEAL_KINDS

    checks = lambda: compared_in("add_meal_check", "kind")  # noqa: E731 - accompany | tasting
    return {
        "canteen.meal_{}": lambda: MEAL_KINDS,
        "canteen.weekday_{}": lambda: [str(day) for day in range(1, 8)],
        "canteen.check_{}_short": checks,
        "canteen.check_{}_title": checks,
        "canteen.check_{}_ok_question": checks,
        "canteen.state_{}": lambda: returned("disposal_state") | assigned_in("check_menu", "state"),
        # Only a reading outside the band is shown (`if not band.ok`): ok and not_taken have no text.
        "canteen.temperature_{}": lambda: passed("TemperatureCheck", "state") - {"ok", "not_taken"},
        "canteen.note_{}": lambda: passed("TemperatureCheck", "state") - {"ok", "not_taken"},
    }


def other_values() -> dict[str, Values]:
    from kiosk.config import STATION_KINDS
    from kiosk.idcard.card import CARD_TYPES, SEXES
    from kiosk.labels import printers
    from kiosk.models.people import ROLES
    from kiosk.notify.channels import CHANNEL_NAMES
    from kiosk.notify.model import STATUSES
    from kiosk.notify.settings import RECIPIENT_ROLES
    from kiosk.services.roster_headers import COLUMN_KEYS

    def events() -> set[str]:  # a notification's event: the planners' and the channel test's
        return passed("drafts_for_step", "event", 0) | passed("Notification", "event")

    return {
        "core.station_{}": lambda: STATION_KINDS,
        "core.people_kind_{}": lambda: passed("PersonHit", "kind"),
        "idcard.sex_{}": lambda: SEXES.values(),
        "idcard.type_{}": lambda: CARD_TYPES.values(),
        "idcard.decision_kept_{}": lambda: passed("Decision", "decision"),
        "labels.reason_{}": lambda: printers._ERRNO_REASONS.values(),
        "notify.channel_{}": lambda: CHANNEL_NAMES,
        "notify.status_{}": lambda: STATUSES,
        "notify.role_{}": lambda: set(RECIPIENT_ROLES) | passed("Notification", "recipient_role"),
        "notify.event_{}": events,
        "notify.title_{}": events,
        "notify.msg_{}": events,
        "notify.decision_{}": lambda: passed("watchlist_deny", "decision", 3),
        "people.role_{}": lambda: ROLES,
        # `people.<key>`: the messages the import CLI prints in both languages, the file errors (ImportFileError
        # adds the `people.` itself) and the column names they quote.
        "people.{}": lambda: (passed("_both", "key", 0) | passed("bilingual", "key", 0)
                              | passed("ImportFileError", "key", 0) | set(COLUMN_KEYS.values())
                              | {"col_staff_number"} | passed("Column", "key", 0) | row_errors()),
        "sync_trust.reason_{}": "a refusal code from central or the pull check, maybe from a newer or older central: "
                                "shown as it came when the catalog has no text for it (reason_text checks)",
    }


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
    assert {"slips.direction_{}", "gate.{}", "canteen.meal_{}"} <= found, found
    in_place = [site for site in sites() if site.values]
    assert any(site.family == "gate.{}" and "col_place" in site.values for site in in_place), in_place
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
        problems += missing_keys(family.replace("{}", value) for value in values)
    assert not problems, problems


def test_keys_enumerated_in_place_exist_in_both_languages():
    problems = [f"{key}  ({site.where})" for site in sites() if site.values
                for key in missing_keys(site.family.replace("{}", value) for value in site.values)]
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
    assert "core.key_help" in keys or any(k.startswith("gate.") for k in keys)  # the scan itself works
    problems = [f"{key}  ({keys[key.split(' ')[0]]})" for key in missing_keys(keys)]
    assert not problems, problems
