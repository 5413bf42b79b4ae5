"""Message catalogs: every visible string comes from assets/i18n/<lang>/<area>.toml.

Each area (core, gate, slips, dorm, canteen, ...) has one file per language, so features
own their strings. Keys are `<area>.<key>`; values use str.format placeholders.
zh-CN is the default; English is complete (a test checks both catalogs have the same keys).
"""
from __future__ import annotations

import tomllib
from functools import lru_cache

from kiosk import paths

DEFAULT_LANGUAGE = "zh-CN"
_global_language = DEFAULT_LANGUAGE


@lru_cache(maxsize=None)
def catalog(language: str) -> dict[str, str]:
    folder = paths.assets_dir() / "i18n" / language
    merged: dict[str, str] = {}
    for file in sorted(folder.glob("*.toml")):
        area = file.stem
        for key, value in tomllib.loads(file.read_text(encoding="utf-8")).items():
            merged[f"{area}.{key}"] = value
    return merged


def set_language(language: str) -> None:
    global _global_language
    if language not in ("zh-CN", "en"):
        raise ValueError(f"unsupported language {language!r}")
    _global_language = language


def language() -> str:
    return _global_language


def t(key: str, /, **values: object) -> str:
    """The current language's text for `key`, formatted; the key itself if it is missing (tests catch that)."""
    text = catalog(_global_language).get(key)
    if text is None:
        text = catalog(DEFAULT_LANGUAGE).get(key, key)
    return text.format(**values) if values else text


def t_in(language_code: str, key: str, /, **values: object) -> str:
    text = catalog(language_code).get(key, key)
    return text.format(**values) if values else text


class UserError(Exception):
    """An error the user can fix, as an i18n key + values. `str()` is bilingual (zh-CN / en) for logs and the
    CLI; `message()` is in the current language, for the screen. Areas subclass it (CanteenError, ...)."""

    def __init__(self, key: str, **values: object) -> None:
        self.key = key
        self.values = values
        super().__init__(f"{t_in('zh-CN', key, **values)} / {t_in('en', key, **values)}")

    def message(self) -> str:
        return t(self.key, **self.values)
