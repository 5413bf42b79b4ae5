"""What the code under kiosk/ says, read with `ast` (never imported): the strings it passes, returns, assigns and
compares, its constants and enums, found by *name* wherever they are defined, so splitting a module does not
change the answers. Used by tests/test_i18n_dynamic.py to take a key family's values from the code."""
from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KIOSK = ROOT / "kiosk"

# ---------------------------------------------------------------- the code, parsed once

@dataclass(frozen=True)
class Module:
    path: Path
    tree: ast.Module
    parents: dict[ast.AST, ast.AST]


@lru_cache(maxsize=None)
def _scan() -> tuple[tuple[Module, ...], dict[type, list[tuple[Module, ast.AST]]]]:
    """Every module under kiosk/, parsed, and its nodes by type: one walk (the test must stay fast)."""
    found, index = [], {}
    for path in sorted(KIOSK.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        module = Module(path, tree, {})
        stack: list[ast.AST] = [tree]
        while stack:
            node = stack.pop()
            index.setdefault(type(node), []).append((module, node))
            for child in ast.iter_child_nodes(node):
                module.parents[child] = node
                stack.append(child)
        found.append(module)
    return tuple(found), index


def modules() -> tuple[Module, ...]:
    return _scan()[0]


def nodes(*kinds: type) -> list[tuple[Module, ast.AST]]:
    return [found for kind in kinds for found in _scan()[1].get(kind, [])]


@lru_cache(maxsize=None)
def calls_to(callee: str) -> tuple[tuple[Module, ast.Call], ...]:
    return tuple((module, call) for module, call in nodes(ast.Call) if callee_name(call) == callee)


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
    """The values `name = ...` is given anywhere in `scope` (a function's body, nested blocks included)."""
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
    for module, call in calls_to(callee):
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


def module_named(dotted: str) -> Module | None:
    for module in modules():
        parts = module.path.relative_to(ROOT).with_suffix("").parts
        if ".".join(parts) == dotted or ".".join(parts[:-1]) == dotted and parts[-1] == "__init__":
            return module
    return None


def evaluate(module: Module, node: ast.expr):
    """A constant's value as written: literals, tuples, lists, sets, dicts, frozenset(...), and other constants
    named in it (`ABSENCE_REASONS = ("on_leave", OVERDUE, ...)`)."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return tuple(evaluate(module, e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return {evaluate(module, k): evaluate(module, v) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.Call) and callee_name(node) in ("frozenset", "tuple", "set") and len(node.args) == 1:
        return tuple(evaluate(module, node.args[0]))
    if isinstance(node, ast.Name):
        return module_constant(module, node.id)
    raise ValueError(f"{module.path}: {ast.unparse(node)} is not written out")


def module_constant(module: Module, name: str):
    """`name` at module level in `module`: assigned there, or imported from another kiosk module."""
    values = direct_assignments(module.tree.body, name)
    if len(values) == 1:
        return evaluate(module, values[0])
    for statement in module.tree.body:
        if isinstance(statement, ast.ImportFrom) and statement.module:
            for alias in statement.names:
                if (alias.asname or alias.name) == name and (source := module_named(statement.module)) is not None:
                    return module_constant(source, alias.name)
    raise ValueError(f"{module.path}: {name} is not a constant written out at module level")


def constant(name: str, under: str = ""):
    """The value of the module-level constant `name`, wherever in kiosk/ (below `under`) it is defined: found by
    name, so a module split does not break the declaration."""
    found = [m for m in modules() if str(m.path.relative_to(KIOSK)).startswith(under)
             and direct_assignments(m.tree.body, name)]
    assert len(found) == 1, f"constant {name}: defined in {[str(m.path) for m in found]}; give `under`"
    return module_constant(found[0], name)


def enum_values(class_name: str) -> set[str]:
    """The member values of the StrEnum `class_name`, wherever it is defined."""
    values = {s.value.value for _, c in nodes(ast.ClassDef) if c.name == class_name for s in c.body
              if isinstance(s, ast.Assign) and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str)}
    assert values, f"enum {class_name} not found"
    return values


# record(actor, "gate.visit_admitted", ...): the action is an audit action name. It looks like a catalog key and is
# none (the audit log stores it as it is).
AUDIT_CALLS = {"record", "audit_only"}


def is_audit_action(module: Module, node: ast.expr) -> bool:
    """Whether `node` is (one branch of) the action argument of record() or audit_only()."""
    child, parent = node, module.parents.get(node)
    while isinstance(parent, (ast.IfExp, ast.BoolOp)) and child is not getattr(parent, "test", None):
        child, parent = parent, module.parents.get(parent)
    return isinstance(parent, ast.Call) and callee_name(parent) in AUDIT_CALLS and parent.args[1:2] == [child]


def direct_assignments(body: list[ast.stmt], name: str) -> list[ast.expr]:
    return [s.value for s in body if isinstance(s, ast.Assign) and s.value is not None
            and any(isinstance(t, ast.Name) and t.id == name for t in s.targets)]


def literal_sequence(module: Module, node: ast.expr, at: ast.AST) -> list | None:
    """A sequence written out in the code: a literal, or a name / self.NAME / NAME[a:b] bound once to one in the
    enclosing function or class, or a module-level constant."""
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
                      direct_assignments(klass.body, node.id) if klass else []]
    elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
        candidates = [direct_assignments(klass.body, node.attr) if klass else []]
    else:
        return None
    for values in candidates:
        if values:  # the innermost scope that binds the name decides; bound more than once: not written out
            return literal_sequence(module, values[0], at) if len(values) == 1 else None
    if isinstance(node, ast.Attribute):
        return None
    try:  # a module-level constant, here or imported (`from kiosk.screens.canteen import SAMPLE_COLUMNS`)
        value = module_constant(module, node.id)
    except ValueError:
        return None
    return list(value) if isinstance(value, tuple) else None


def values_in_place(module: Module, node: ast.JoinedStr) -> frozenset[str] | None:
    """The values of an f-string's one placeholder when it is the target of an enclosing loop or comprehension
    over a sequence written out in the code (`for key in ("col_time", "col_name")`)."""
    holes = [part for part in node.values if isinstance(part, ast.FormattedValue)]
    if len(holes) != 1 or not isinstance(holes[0].value, ast.Name):
        return None
    name, at = holes[0].value.id, node
    while (at := module.parents.get(at)) is not None:
        loops = at.generators if isinstance(at, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)) else \
            [at] if isinstance(at, ast.For) else []
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
