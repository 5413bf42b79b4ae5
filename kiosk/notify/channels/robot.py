"""What the WeCom and DingTalk group robots share: post JSON, read `{"errcode": 0, "errmsg": "ok"}`."""
from __future__ import annotations

from kiosk.notify.channels.base import Outcome
from kiosk.notify.channels.http import HttpFailure, post_json


def post_to_robot(url: str, body: dict, retry_codes: frozenset[int]) -> Outcome:
    try:
        answer = post_json(url, body)
    except HttpFailure as failure:
        return Outcome("retry" if failure.retryable else "give_up", f"http_{failure.status}", str(failure))
    except ValueError as error:
        return Outcome("retry", "bad_reply", str(error)[:200])
    except OSError as error:  # URLError, refused, timeout: the network or the robot is not reachable now
        return Outcome.network(error)
    code = answer.get("errcode")
    message = str(answer.get("errmsg", ""))[:200]
    if code == 0:
        return Outcome("sent", "0", message)
    return Outcome("retry" if code in retry_codes else "give_up", str(code), message)
