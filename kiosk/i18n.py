"""Message catalogs: every visible string comes from assets/i18n/<lang>/<area>.toml.

Each area (core, gate, slips, dorm, canteen, ...) has one file per language, so features
own their strings. Keys are `<area>.<key>`; values use str.format placeholders.
zh-CN is the default; English is complete (a test checks both catalogs have the same keys).
"""
from __future__ import annotations

import tomllib
from contextvars import ContextVar
from functools import lru_cache

from kiosk import paths

DEFAULT_LANGUAGE = "zh-CN"
_global_language = DEFAULT_LANGUAGE
# While t_in() renders a text, the language of any Msg nested in its values (per thread, so a worker
# rendering a bilingual error never changes what the screen shows).
_rendering_in: ContextVar[str | None] = ContextVar("rendering_in", default=None)


Text = str | dict  # a catalog value: a string, or plural forms {one = "...", other = "..."} (English)


@lru_cache(maxsize=None)
def catalog(language: str) -> dict[str, Text]:
    folder = paths.assets_dir() / "i18n" / language
    merged: dict[str, Text] = {}
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
    return _rendering_in.get() or _global_language


def render(text: Text, values: dict[str, object]) -> str:
    """Format one catalog value. Plural forms pick `one` when the value `count` is 1, else `other`
    (English needs them: "1 dish added", "2 dishes added"; Chinese has one form and writes a plain string)."""
    if isinstance(text, dict):
        text = text["one"] if values.get("count") == 1 else text["other"]
    return text.format(**values) if values else text


def t(key: str, /, **values: object) -> str:
    """The current language's text for `key`, formatted; the key itself if it is missing (tests catch that)."""
    text = catalog(language()).get(key)
    if text is None:
        text = catalog(DEFAULT_LANGUAGE).get(key, key)
    return render(text, values)


def t_in(language_code: str, key: str, /, **values: object) -> str:
    token = _rendering_in.set(language_code)
    try:
        return render(catalog(language_code).get(key, key), values)
    finally:
        _rendering_in.reset(token)


class Msg:
    """A catalog text not yet translated: a key and its values, rendered in the language current when it is
    shown (`str()`), so a message on screen follows F9. Values may be Msgs themselves (a reason inside a
    verdict), rendered in the same language."""

    __slots__ = ("key", "values")

    def __init__(self, key: str, /, **values: object) -> None:
        self.key = key
        self.values = values

    def __str__(self) -> str:
        return t(self.key, **self.values)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Msg) and (other.key, other.values) == (self.key, self.values)

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"Msg({self.key!r}, **{self.values!r})"


class MsgList:
    """Msgs (or plain texts) joined by the list separator of the language current when shown: 、 in Chinese,
    ", " in English (a person's roles, the approvals a slip still needs)."""

    __slots__ = ("items",)

    def __init__(self, items) -> None:
        self.items = tuple(items)

    def __str__(self) -> str:
        return t("core.list_separator").join(str(item) for item in self.items)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MsgList) and other.items == self.items

    def __hash__(self) -> int:
        return hash(self.items)

    def __repr__(self) -> str:
        return f"MsgList({list(self.items)!r})"


class UserError(Exception):
    """The one error a user can cause and fix: a catalog key + values, never translated text. `str()` is
    bilingual (zh-CN / en) for logs and the CLI; `message()` is in the current language, for the screen.
    Areas may subclass it (CanteenError, ...) to be caught by area, never to carry their own texts."""

    def __init__(self, key: str, /, **values: object) -> None:
        self.key = key
        self.values = values
        super().__init__(f"{t_in('zh-CN', key, **values)} / {t_in('en', key, **values)}")

    def message(self) -> str:
        return t(self.key, **self.values)

    def as_msg(self) -> Msg:
        return Msg(self.key, **self.values)
