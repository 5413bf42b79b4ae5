"""The shape of the code: no module grown past what one reader holds in mind, and no import cycles.

Imports are read from the source (module level and inside functions alike: a function-local import only hides a
cycle, it does not remove it). An import of `a.b.c` also runs `a` and `a.b`, so it counts as an edge to each.
A package's `__init__` importing its own submodules is not a cycle by itself; a submodule importing back from
its package's `__init__` while that `__init__` imports the submodule is.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "kiosk"
MAX_LINES = 500


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imported_names(path: Path, name: str, known: set[str]) -> set[str]:
    """The project modules that `path` (module `name`) imports, anywhere in the file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # `from pkg import sub` imports the module pkg.sub when there is one.
            targets = [f"{prefix}.{alias.name}" if f"{prefix}.{alias.name}" in known else prefix
                       for alias in node.names]
        else:
            continue
        for target in targets:
            if not target.startswith("kiosk"):
                continue
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    known = modules()
    graph = {name: imported_names(path, name, set(known)) for name, path in known.items()}
    for name in graph:  # importing a.b.c runs a and a.b first; a package never depends on its own submodules that way
        for target in list(graph[name]):
            parent = target.rpartition(".")[0]
            while parent and not name.startswith(parent + ".") and parent != name:
                graph[name].add(parent)
                parent = parent.rpartition(".")[0]
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle():
    graph = {"kiosk.a": {"kiosk.b"}, "kiosk.b": {"kiosk.c"}, "kiosk.c": {"kiosk.a"}, "kiosk.d": {"kiosk.a"}}
    assert cycles(graph) == [["kiosk.a", "kiosk.b", "kiosk.c"]]


def test_a_function_local_import_counts(tmp_path):
    source = tmp_path / "kiosk" / "x.py"
    source.parent.mkdir()
    source.write_text("def f():\n    from kiosk.y import z\n    from . import w\n")
    assert imported_names(source, "kiosk.x", {"kiosk", "kiosk.x", "kiosk.y", "kiosk.w"}) == {"kiosk.y", "kiosk.w"}


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def test_no_module_over_the_size_limit():
    too_long = {name: lines for name, path in modules().items()
                if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert too_long == {}, f"split these by job (limit {MAX_LINES} lines): {too_long}"
