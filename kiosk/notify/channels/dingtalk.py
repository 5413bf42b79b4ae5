"""DingTalk (钉钉) custom robot: POST {"msgtype": "markdown", ...} to the webhook; with 加签 the URL also carries
`timestamp` (ms) and `sign` = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}"))).
DingTalk refuses a timestamp more than an hour from its clock. It answers {"errcode": 0, "errmsg": "ok"}."""
from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote_plus

from kiosk.notify.channels.base import Message, Outcome
from kiosk.notify.channels.robot import post_to_robot

# 130101: sending too fast (20 a minute per robot); -1: system busy. 310000 (sign, keyword or IP check
# failed) and 300001 (bad token) will not get better by trying again.
RETRY_CODES = frozenset({-1, 130101})


def sign(secret: str, timestamp_ms: int) -> str:
    """The `sign` query value for this timestamp, URL-encoded as DingTalk's documentation does it."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode("utf-8"), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


class DingtalkRobot:
    name = "dingtalk"

    def __init__(self, webhook: str, secret: str = "") -> None:
        self.webhook = webhook
        self.secret = secret

    def url(self, timestamp_ms: int | None = None) -> str:
        if not self.secret:
            return self.webhook
        # Real time, not kiosk.clock: DingTalk compares it with its own clock.
        timestamp_ms = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
        joiner = "&" if "?" in self.webhook else "?"
        return f"{self.webhook}{joiner}timestamp={timestamp_ms}&sign={sign(self.secret, timestamp_ms)}"

    def send(self, message: Message) -> Outcome:
        body = {"msgtype": "markdown", "markdown": {"title": message.title, "text": f"#### {message.title}\n{message.text}"}}
        return post_to_robot(self.url(), body, RETRY_CODES)
