"""An SMS gateway over HTTP. Chinese providers send only approved templates under an approved signature, so
the request carries a template id and its parameters, never free text:

    POST [notify.sms] url   {"phone": "13812345678", "sign": "示范寄宿学校", "template": "SMS_1234",
                             "params": {"student": "张华", "class_name": "高一(3)班", "time": "11-18 10:05"},
                             "out_id": "<notification id>"}
    reply                   {"code": "OK", "message": "OK", "biz_id": "..."}

The codes follow Alibaba Cloud SendSms (the most common upstream); `out_id` lets a gateway drop a repeat of
the same notification (see the crash rule in kiosk/notify/delivery.py). A site with another provider puts a
small gateway speaking this in front of it.
"""
from __future__ import annotations

from kiosk.notify.channels.base import Message, Outcome
from kiosk.notify.channels.http import HttpFailure, post_json

# Throttled or the provider's own trouble: try again later. Anything else (bad number, template not
# approved, signature refused, no balance) needs a person, so it is given up with the code kept.
RETRY_CODES = frozenset({"isv.BUSINESS_LIMIT_CONTROL", "isp.SYSTEM_ERROR", "SYSTEM_ERROR", "isv.OUT_OF_SERVICE_TEMP"})


class SmsGateway:
    name = "sms"

    def __init__(self, sms_settings) -> None:
        self.settings = sms_settings

    def template_for(self, event: str) -> str:
        return getattr(self.settings, f"template_{event}", "")

    def send(self, message: Message) -> Outcome:
        template = self.template_for(message.event)
        if not template:
            return Outcome("give_up", "no_template", f"[notify.sms] template_{message.event} is not set")
        body = {"phone": message.address, "sign": self.settings.sign, "template": template,
                "params": {key: str(value) for key, value in message.params.items()}, "out_id": message.notification_id}
        try:
            answer = post_json(self.settings.url, body)
        except HttpFailure as failure:
            return Outcome("retry" if failure.retryable else "give_up", f"http_{failure.status}", str(failure))
        except ValueError as error:
            return Outcome("retry", "bad_reply", str(error)[:200])
        except OSError as error:
            return Outcome.network(error)
        code = str(answer.get("code", ""))
        reason = str(answer.get("message", ""))[:200]
        if code == "OK":
            return Outcome("sent", code, reason)
        return Outcome("retry" if code in RETRY_CODES else "give_up", code, reason)
