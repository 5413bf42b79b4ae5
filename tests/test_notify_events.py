"""The other events: a watchlist deny hit tells the duty leader (through a signed DingTalk robot and e-mail to
a real SMTP server), a dish served without a sample tells the food-safety officer once."""
from __future__ import annotations

from datetime import timedelta
from email.header import decode_header, make_header

from kiosk import clock
from kiosk.db import ensure_station_identity
from kiosk.models import Staff
from kiosk.notify.delivery import deliver_once
from kiosk.notify.model import Notification
from kiosk.services import visitors
from kiosk.services.actor import Actor
from kiosk.services.auth import hash_pin
from kiosk.services.facts import record
from tests.notify_fakes import DingtalkFake
from tests.test_gate_services import ID, form, gate  # noqa: F401  (gate: a tiny school fixture)
from tests.test_notify_channels import smtp_server  # noqa: F401  (a real aiosmtpd server)


def here(number: str) -> Actor:
    staff = Staff.get(Staff.number == number)
    return Actor(school_id="demo", station_id=ensure_station_identity(), staff_id=staff.id, staff_number=staff.number,
                 staff_name=staff.name, roles=staff.role_set())


def test_watchlist_deny_tells_the_duty_leader_by_dingtalk_and_mail(gate, smtp_server):
    controller, mails = smtp_server
    with DingtalkFake(secret="SECgate") as ding:
        gate.notify.dingtalk.webhook, gate.notify.dingtalk.secret = ding.url, "SECgate"
        smtp = gate.notify.smtp
        smtp.host, smtp.port, smtp.sender, smtp.to = "127.0.0.1", controller.port, "kiosk@school.example", ["duty@school.example"]
        gate.station.name = "东门"
        visitors.add_watch_entry(here("Z001"), id_type="resident", id_number=ID, name="", level="deny",
                                 reason="法院限制令", expires_at=clock.now() + timedelta(days=30))
        keeper = here("G001")
        assert visitors.register_visit(keeper, form(), gate).status == "needs_decision"
        assert Notification.select().count() == 0  # nothing decided, nothing recorded, nothing announced
        refused = visitors.register_visit(keeper, form(), gate, visitors.Decision("refuse"))
        assert sorted(n.channel for n in Notification.select()) == ["dingtalk", "smtp"]
        assert all(n.subject_id == refused.visit.id and n.recipient_role == "duty_leader" for n in Notification.select())
        assert deliver_once(gate).sent == 2
        (posted,) = ding.received
        text = posted["markdown"]["text"]
        assert "王建国" in text and "东门" in text and "已拒绝入校" in text and "李国强" in text
        assert ID not in text and ID[-6:] not in text  # never an ID number
        (mail,) = mails
        assert str(make_header(decode_header(mail["Subject"]))) == "禁止入校人员到访"
        assert ID not in mail.get_payload(decode=True).decode("utf-8")
        assert deliver_once(gate).sent == 0


def test_warn_level_hit_tells_nobody(gate):
    with DingtalkFake() as ding:
        gate.notify.dingtalk.webhook, gate.notify.dingtalk.secret = ding.url, ding.secret
        visitors.add_watch_entry(here("Z001"), id_type="resident", id_number=ID, name="", level="warn",
                                 reason="曾有纠纷", expires_at=clock.now() + timedelta(days=30))
        result = visitors.register_visit(here("G001"), form(), gate, visitors.Decision("allow", "核实后放行"))
        assert result.status == "admitted" and Notification.select().count() == 0


def test_dish_served_without_a_sample_tells_the_food_safety_officer_once(gate):
    from kiosk.services.canteen.core import school_today
    from kiosk.services.canteen.meals import add_dishes, add_meal, meals_for_day
    from kiosk.services.canteen.samples import record_sample

    with record(Actor(school_id="demo", station_id=ensure_station_identity()), "test.staff") as w:
        w.insert(Staff(school_id="demo", number="F001", name="食安员周", roles="food_safety,canteen",
                       pin_hash=hash_pin("333333"), updated_at=clock.now()))
    with DingtalkFake() as ding:
        gate.notify.dingtalk.webhook, gate.notify.dingtalk.secret = ding.url, ding.secret
        cook = here("C001")
        today = school_today(gate)
        meal_id = add_meal(cook, gate, today, "lunch", "11:30")  # the frozen clock says 10:00
        add_dishes(cook, gate, meal_id, ["红烧肉", "清炒菜心"])
        record_sample(cook, gate, meals_for_day(gate, today)[0].dishes[0].id, 130)
        assert deliver_once(gate).sent == 0  # before service: nothing is missing yet
        clock.advance(timedelta(hours=1, minutes=31))
        assert deliver_once(gate).sent == 1
        text = ding.received[0]["markdown"]["text"]
        assert "清炒菜心" in text and "红烧肉" not in text and "午餐" in text and "食安员周" in text
        clock.advance(timedelta(minutes=30))
        assert deliver_once(gate).sent == 0 and len(ding.received) == 1
