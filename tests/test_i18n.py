"""Both catalogs are complete, every key written in the code is in them, and no string uses characters terminals
draw at an ambiguous width."""
import ast
import dataclasses
import re
import unicodedata
from typing import get_type_hints

from kiosk import i18n
from tests.i18n_code_scan import ROOT, is_audit_action, nodes

AMBIGUOUS_ALLOWED = {"·"}  # the middle dot is used as a separator on purpose; it renders one cell in CJK fonts too


def test_both_languages_have_the_same_keys():
    zh, en = i18n.catalog("zh-CN"), i18n.catalog("en")
    assert zh and set(zh) == set(en), f"only zh: {set(zh) - set(en)}; only en: {set(en) - set(zh)}"


def every_form(value) -> str:
    """A catalog value's text: a string, or all its plural forms ({one = ..., other = ...}) together."""
    return " ".join(value.values()) if isinstance(value, dict) else value


def test_same_placeholders_in_both_languages():
    zh, en = i18n.catalog("zh-CN"), i18n.catalog("en")
    field = re.compile(r"\{(\w*)")
    for key in zh:
        assert set(field.findall(every_form(zh[key]))) == set(field.findall(every_form(en[key]))), key


def test_no_east_asian_ambiguous_characters():
    for language in ("zh-CN", "en"):
        for key, value in i18n.catalog(language).items():
            text = every_form(value)
            bad = {ch for ch in text if unicodedata.east_asian_width(ch) == "A" and ch not in AMBIGUOUS_ALLOWED}
            assert not bad, f"{language} {key}: {sorted(bad)} (ambiguous width)"


def setting_names() -> set[str]:
    """`section.name` of every setting (and of the retired ones a config file may still hold)."""
    from kiosk.config import RETIRED_SETTINGS, Settings

    names = set(RETIRED_SETTINGS)
    for section, kind in get_type_hints(Settings).items():
        if dataclasses.is_dataclass(kind):
            names |= {f"{section}.{f.name}" for f in dataclasses.fields(kind)}
    return names


def test_every_key_written_in_the_code_exists():
    """Any string literal in kiosk/ shaped like a key (`<area>.<name>`, whatever call or constant holds it: t(),
    Msg, CatalogText, TITLE_KEY, bindings, dialogs) is in the catalog, unless it names an audit action (the
    action of record() / audit_only()) or a setting (`gate.visiting_hours`). Keys built at run time:
    tests/test_i18n_dynamic.py."""
    catalog, settings = i18n.catalog("zh-CN"), setting_names()
    key_shape = re.compile(r"^(?:" + "|".join({key.split(".")[0] for key in catalog}) + r")\.[a-z0-9_]+$")
    missing, seen = [], 0
    for module, node in nodes(ast.Constant):
        if not (isinstance(node.value, str) and key_shape.match(node.value)) or node.value in settings \
                or isinstance(module.parents.get(node), ast.JoinedStr):  # a family's head: test_i18n_dynamic
            continue
        seen += 1
        if node.value not in catalog and not is_audit_action(module, node):
            missing.append(f"{node.value}  ({module.path.relative_to(ROOT)}:{node.lineno})")
    assert seen > 500  # the scan itself works
    assert not missing, missing


def test_switching_language():
    assert i18n.t("core.sync_local_only") == "本机模式"
    i18n.set_language("en")
    assert i18n.t("core.sync_local_only") == "local only"
    assert i18n.t("core.login_failed_tries", tries=3).endswith("3 tries left.")
