"""Each channel against a local server speaking its documented request and reply (and a real SMTP server)."""
from __future__ import annotations

import dataclasses
from email.header import decode_header, make_header

import pytest

from kiosk.notify.channels import Message
from kiosk.notify.channels.dingtalk import DingtalkRobot
from kiosk.notify.channels.mail import SmtpMail
from kiosk.notify.channels.sms import SmsGateway
from kiosk.notify.channels.wecom import WecomRobot
from kiosk.notify.settings import SmsSettings, SmtpSettings
from tests.notify_fakes import DingtalkFake, SmsFake, WecomFake, free_port

MESSAGE = Message("n-1", "slip_exit", "离校通知", "张华（高一(3)班）已于11-18 10:05凭出门条经东门离校。",
                  address="13812345678", params={"student": "张华", "class_name": "高一(3)班", "at": "11-18 10:05",
                                                 "gate": "东门"})


def test_wecom_markdown_ok_retry_code_and_bad_key():
    with WecomFake() as fake:
        assert WecomRobot(fake.url).send(MESSAGE).result == "sent"
        (body,) = fake.received
        assert body["msgtype"] == "markdown" and "张华" in body["markdown"]["content"]
        fake.script.append({"errcode": 45009, "errmsg": "api freq out of limit"})
        outcome = WecomRobot(fake.url).send(MESSAGE)
        assert (outcome.result, outcome.code, outcome.reason) == ("retry", "45009", "api freq out of limit")
        wrong = WecomRobot(fake.url.replace("test-key", "other")).send(MESSAGE)
        assert (wrong.result, wrong.code) == ("give_up", "93000")
        assert len(fake.received) == 1


def test_network_down_is_a_retry_not_a_give_up():
    outcome = WecomRobot(f"http://127.0.0.1:{free_port()}/cgi-bin/webhook/send?key=k").send(MESSAGE)
    assert (outcome.result, outcome.code) == ("retry", "network")


def test_dingtalk_signed_timestamp_checked_by_the_fake():
    with DingtalkFake(secret="SECabc+/=") as fake:
        assert DingtalkRobot(fake.url, "SECabc+/=").send(MESSAGE).result == "sent"
        assert fake.received[0]["markdown"]["title"] == "离校通知"
        bad = DingtalkRobot(fake.url, "SECwrong").send(MESSAGE)
        assert (bad.result, bad.code, bad.reason) == ("give_up", "310000", "sign not match")
        unsigned = DingtalkRobot(fake.url).send(MESSAGE)
        assert unsigned.result == "give_up"
        stale = DingtalkRobot(fake.url, "SECabc+/=")
        assert "timestamp=1000&" in stale.url(1000)
        assert len(fake.received) == 1


def test_sms_template_call_with_parameters_only():
    with SmsFake() as fake:
        settings = SmsSettings(url=fake.url, sign="示范寄宿学校", template_slip_exit="SMS_EXIT")
        assert SmsGateway(settings).send(MESSAGE).result == "sent"
        (body,) = fake.received
        assert body["template"] == "SMS_EXIT" and body["phone"] == "13812345678" and body["out_id"] == "n-1"
        assert body["params"]["student"] == "张华" and "text" not in body  # no free text
        fake.script.append({"code": "isv.BUSINESS_LIMIT_CONTROL", "message": "触发流控"})
        assert SmsGateway(settings).send(MESSAGE).result == "retry"
        bad_phone = Message("n-2", "slip_exit", "t", "x", address="123", params={})
        refused = SmsGateway(settings).send(bad_phone)
        assert (refused.result, refused.code) == ("give_up", "isv.MOBILE_NUMBER_ILLEGAL")
        no_template = SmsGateway(settings).send(Message("n-3", "overdue", "t", "x", address="13812345678"))
        assert (no_template.result, no_template.code) == ("give_up", "no_template")


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message as MessageHandler

    received = []

    class Keep(MessageHandler):
        def handle_message(self, message):
            received.append(message)

    controller = Controller(Keep(), hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, received
    controller.stop()


def test_smtp_to_a_real_server(smtp_server):
    controller, received = smtp_server
    settings = SmtpSettings(host="127.0.0.1", port=controller.port, sender="kiosk@school.example",
                            to=["duty@school.example"])
    outcome = SmtpMail(settings).send(dataclasses.replace(MESSAGE, address=""))  # a staff notice: to the mailbox
    assert outcome.result == "sent"
    (mail,) = received
    assert mail["To"] == "duty@school.example" and mail["Message-ID"] == "<n-1@kiosk>"
    assert str(make_header(decode_header(mail["Subject"]))) == "离校通知"
    assert "张华" in mail.get_payload(decode=True).decode("utf-8")


def test_smtp_server_down_is_a_retry():
    settings = SmtpSettings(host="127.0.0.1", port=free_port(), sender="kiosk@school.example", to=["duty@school.example"])
    assert SmtpMail(settings).send(MESSAGE).code == "network"
