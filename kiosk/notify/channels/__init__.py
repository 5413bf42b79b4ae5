"""Channels behind one small interface: `send(message) -> Outcome`.

An Outcome says sent, retry (the provider or the network may take it later) or give_up (it never will:
a bad address, a template the provider refuses), with the provider's code and reason kept for the admin.
A channel without its address in the settings is off; `configured(settings)` lists the ones that are on.
"""
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


def configured(settings) -> dict[str, Channel]:
    """The channels this school turned on (an address is set), by name."""
    notify = settings.notify
    found: dict[str, Channel] = {}
    if notify.sms.url:
        from kiosk.notify.channels.sms import SmsGateway

        found["sms"] = SmsGateway(notify.sms)
    if notify.wecom.webhook:
        from kiosk.notify.channels.wecom import WecomRobot

        found["wecom"] = WecomRobot(notify.wecom.webhook)
    if notify.dingtalk.webhook:
        from kiosk.notify.channels.dingtalk import DingtalkRobot

        found["dingtalk"] = DingtalkRobot(notify.dingtalk.webhook, notify.dingtalk.secret)
    if notify.smtp.host and notify.smtp.sender and notify.smtp.to:
        from kiosk.notify.channels.mail import SmtpMail

        found["smtp"] = SmtpMail(notify.smtp)
    return found
