"""Both catalogs are complete, and no string uses characters terminals draw at an ambiguous width."""
import re
import unicodedata
from pathlib import Path

from kiosk import i18n

ROOT = Path(__file__).resolve().parent.parent
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


def test_every_key_used_in_the_code_exists():
    """Keys passed to t(), used as binding descriptions, menu labels or *_key arguments must exist.

    (Audit action names such as "gate.handover" look like keys but are not; they are not checked.)
    """
    catalog = i18n.catalog("zh-CN")
    key = r"((?:core|gate|slips|dorm|canteen|people|sync)\.[a-z0-9_]+)"
    patterns = [
        re.compile(r"\bt\(\s*[\"']" + key + r"[\"']"),
        re.compile(r"_key\s*=\s*[\"']" + key + r"[\"']"),
        re.compile(r"(?:Binding|StationAction)\([^\n]*[\"']" + key + r"[\"']"),
    ]
    used = set()
    for path in (ROOT / "kiosk").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in patterns:
            used.update(pattern.findall(text))
    assert "core.key_help" in used  # the scan itself works
    missing = sorted(k for k in used if k not in catalog)
    assert not missing, missing


def test_switching_language():
    assert i18n.t("core.sync_local_only") == "本机模式"
    i18n.set_language("en")
    assert i18n.t("core.sync_local_only") == "local only"
    assert i18n.t("core.login_failed_tries", tries=3).endswith("3 tries left.")
