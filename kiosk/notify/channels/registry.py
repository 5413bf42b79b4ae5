"""The channels this school turned on: one whose address is in the settings is on."""
from __future__ import annotations

from kiosk.notify.channels.base import Channel


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
