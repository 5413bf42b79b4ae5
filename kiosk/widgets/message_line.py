"""MessageLine: a screen's one line for what just happened (saved, refused, what to fix).

It keeps the message untranslated (a catalog key, a Msg or a UserError) and renders it in the current
language, so F9 re-renders it instead of leaving an old message in the other language. The level is always
said by the caller (no default): a success shown in red, or an error in green, has misled staff before.
"""
from __future__ import annotations

from typing import Literal

from textual.widgets import Static

from kiosk.i18n import Msg, UserError

Level = Literal["error", "warning", "ok", "info"]
LEVELS: tuple[Level, ...] = ("error", "warning", "ok", "info")


def as_msg(message: str | Msg | UserError, values: dict[str, object]) -> Msg:
    if isinstance(message, UserError):
        return message.as_msg()
    if isinstance(message, Msg):
        return message
    return Msg(message, **values)


class TranslatedLine(Static):
    """A line holding an untranslated message (a Msg), rendered in the current language: F9 re-renders it."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes, markup=False)
        self.message: Msg | None = None

    def clear(self) -> None:
        self.message = None
        self.update("")

    @property
    def text(self) -> str:
        return str(self.message) if self.message is not None else ""

    def refresh_text(self) -> None:
        self.update(self.text)


class MessageLine(TranslatedLine):
    DEFAULT_CSS = """
    MessageLine { height: auto; min-height: 1; padding: 0 1; text-style: bold; }
    MessageLine.-error { color: $error; }
    MessageLine.-warning { color: $warning; }
    MessageLine.-ok { color: $success; }
    MessageLine.-info { color: $text; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.level: Level = "info"

    def show(self, message: str | Msg | UserError, *, level: Level, **values: object) -> None:
        if level not in LEVELS:
            raise ValueError(f"unknown message level {level!r}")
        self.message = as_msg(message, values)
        self.level = level
        for name in LEVELS:
            self.set_class(name == level, f"-{name}")
        self.refresh_text()
