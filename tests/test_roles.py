"""Role names have one home, kiosk.models.Role (a StrEnum): every role written in the code is one of its members,
so a misspelt role ("head_teachr") in a feature's role set or a has_role() call fails here instead of silently
letting nobody in."""
from __future__ import annotations

import ast
from pathlib import Path

from kiosk.models import ROLES, Role

KIOSK = Path(__file__).resolve().parent.parent / "kiosk"
NOT_STAFF_ROLES = {"RECIPIENT_ROLES"}  # notification recipients include the guardian, who is not staff


def role_names_in_code() -> dict[str, set[str]]:
    """{where: role strings} from every `*_ROLES = frozenset({...})` / tuple and every has_role("...") call."""
    found: dict[str, set[str]] = {}
    for path in KIOSK.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            strings: list[ast.AST] = []
            if isinstance(node, ast.Assign) and any(
                    isinstance(target, (ast.Name, ast.Attribute)) and getattr(target, "id", getattr(target, "attr", ""))
                    .endswith("ROLES") and getattr(target, "id", getattr(target, "attr", "")) not in NOT_STAFF_ROLES
                    for target in node.targets):
                strings = list(ast.walk(node.value))
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "has_role":
                strings = list(node.args)
            names = {s.value for s in strings if isinstance(s, ast.Constant) and isinstance(s.value, str)}
            if names:
                found.setdefault(f"{path.relative_to(KIOSK.parent)}:{node.lineno}", set()).update(names)
    return found


def test_roles_are_the_enum():
    assert ROLES == tuple(Role) and Role.HEAD_TEACHER == "head_teacher"


def test_every_role_written_in_the_code_is_a_role():
    found = role_names_in_code()
    assert len(found) >= 10  # the scan itself works: the features' role sets and the services' checks
    unknown = {where: names - set(ROLES) for where, names in found.items() if names - set(ROLES)}
    assert unknown == {}
