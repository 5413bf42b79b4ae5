"""The channels' one small interface: a Message goes in, an Outcome comes out (see kiosk.notify.channels)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

CHANNEL_NAMES = ("sms", "wecom", "dingtalk", "smtp")


@dataclass(frozen=True)
class Message:
    notification_id: str
    event: str
    title: str  # one line
    text: str  # the full text (Markdown-safe: no markup of ours)
    address: str = ""  # SMS: the phone; group channels: ""
    params: dict = field(default_factory=dict)  # SMS template parameters (values only, no free text)


@dataclass(frozen=True)
class Outcome:
    result: str  # sent | retry | give_up
    code: str = ""
    reason: str = ""

    @classmethod
    def network(cls, error: BaseException) -> "Outcome":
        return cls("retry", "network", f"{type(error).__name__}: {error}"[:200])


class Channel(Protocol):
    name: str

    def send(self, message: Message) -> Outcome: ...
