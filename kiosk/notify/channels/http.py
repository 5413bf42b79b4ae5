"""JSON over HTTP with the standard library (no new dependency): one POST, the reply as a dict."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 10


class HttpFailure(Exception):
    """The server answered with an HTTP error status; `status` decides retry (5xx, 429) or give up."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body[:120]}")
        self.status = status

    @property
    def retryable(self) -> bool:
        return self.status >= 500 or self.status == 429


def post_json(url: str, body: dict) -> dict:
    """POST `body` as UTF-8 JSON; the reply parsed. Raises OSError (urllib.error.URLError, timeouts) when the
    network is down, HttpFailure on an error status, ValueError on a reply that is not JSON."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as reply:
            raw = reply.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        raise HttpFailure(error.code, error.read().decode("utf-8", "replace")) from None
    answer = json.loads(raw)
    if not isinstance(answer, dict):
        raise ValueError("reply is not a JSON object")
    return answer
