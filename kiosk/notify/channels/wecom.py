"""WeCom (企业微信) group robot: POST {"msgtype": "markdown", "markdown": {"content": ...}} to the webhook
(https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...); it answers {"errcode": 0, "errmsg": "ok"}."""
from __future__ import annotations

from kiosk.notify.channels.base import Message, Outcome
from kiosk.notify.channels.robot import post_to_robot

# -1 system busy, 45009 api freq out of limit (20 messages a minute per robot): worth another try.
# Everything else (93000 invalid webhook url, 40008 invalid message type, ...) will not get better.
RETRY_CODES = frozenset({-1, 45009})


class WecomRobot:
    name = "wecom"

    def __init__(self, webhook: str) -> None:
        self.webhook = webhook

    def send(self, message: Message) -> Outcome:
        body = {"msgtype": "markdown", "markdown": {"content": f"**{message.title}**\n{message.text}"}}
        return post_to_robot(self.webhook, body, RETRY_CODES)
