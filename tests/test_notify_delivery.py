"""Notifications end to end on a station database: written with the event, delivered once by the loop,
retried while the network is down, stopped when moot, given up with the provider's reason, rate-limited,
and what a crash between send and receipt does. Channels are the local fakes in tests/notify_fakes.py."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from kiosk import clock
from kiosk.db import ensure_station_identity
from kiosk.models import Staff
from kiosk.models.slips import GateCrossing
from kiosk.notify import service as notify
from kiosk.notify.delivery import deliver_once
from kiosk.notify.model import Notification, NotificationReceipt
from kiosk.services import slips, slips_gate
from kiosk.services.actor import Actor
from kiosk.services.facts import verify_audit_chain
from tests.notify_fakes import SmsFake, WecomFake, free_port
from tests.test_slips_service import _keep_settings, issue  # noqa: F401  (_keep_settings: issue()'s settings)


class _NoFeatureSeeding:
    """The demo roster and staff only: no week of history (its overdue slips and open incidents would be
    notified too, and these tests count every message)."""

    @staticmethod
    def loaded():
        return ()


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The small demo roster with the office's slip key, built once per module; each test gets a copy."""
    from kiosk.config import Settings
    from kiosk.db import close_database, open_database
    from kiosk.services import demo
    from kiosk.services.slip_keys import create_key
    from tests.conftest import WEDNESDAY_10AM

    root = tmp_path_factory.mktemp("notifydemo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_DATA_HOME", str(root / "data"))
        mp.setenv("XDG_CONFIG_HOME", str(root / "config"))
        mp.setattr("kiosk.services.auth.SCRYPT_N", 2**8)
        mp.setattr(demo, "features", _NoFeatureSeeding)
        clock.freeze(WEDNESDAY_10AM)
        try:
            settings = Settings()
            settings.database.path = str(root / "demo.sqlite3")
            open_database(settings.database_path())
            demo.create_demo_school(settings, seed=7, scale="small")
            admin = Staff.get(Staff.number == "A001")
            create_key(Actor(school_id="demo", station_id="st-office", staff_id=admin.id, roles=admin.role_set()))
            close_database()
        finally:
            clock.freeze(None)
    return root


@pytest.fixture
def school(template, settings, frozen_now):
    import shutil

    from kiosk.db import close_database, open_database

    shutil.copy(template / "demo.sqlite3", settings.database.path)
    shutil.copytree(template / "demo.sqlite3.keys", settings.database.path + ".keys")
    open_database(settings.database_path())
    yield settings
    close_database()


def here(number: str) -> Actor:
    """A staff member working at this station (its real station id, so it owns what it records)."""
    staff = Staff.get(Staff.number == number)
    return Actor(school_id="demo", station_id=ensure_station_identity(), staff_id=staff.id, staff_number=staff.number,
                 staff_name=staff.name, roles=staff.role_set())


def use_sms(settings, url: str) -> None:
    sms = settings.notify.sms
    sms.url, sms.sign = url, "示范寄宿学校"
    sms.template_slip_exit, sms.template_slip_return = "SMS_EXIT", "SMS_RETURN"
    sms.template_overdue, sms.template_missing, sms.template_test = "SMS_OVERDUE", "SMS_MISSING", "SMS_TEST"


@pytest.fixture
def sms():
    with SmsFake() as fake:
        yield fake


@pytest.fixture
def wecom():
    with WecomFake() as fake:
        yield fake


def exit_on_slip(settings, **kw):
    issued = issue(**kw)
    gate = here("G001")
    check = slips_gate.check_at_gate(gate, settings, issued.code)
    done = slips_gate.record_crossing(gate, settings, check, issued.code)
    return issued, done


# issue(hours=1, back_hours=2) leaves 30 minutes ago, due back in 90 minutes: this is one minute past that.
JUST_OVERDUE = timedelta(hours=1, minutes=31)


def rows(**where) -> list[Notification]:
    query = Notification.select()
    for key, value in where.items():
        query = query.where(getattr(Notification, key) == value)
    return list(query.order_by(Notification.due_at, Notification.step, Notification.channel))


def test_no_channel_configured_writes_nothing(school):
    exit_on_slip(school)
    assert Notification.select().count() == 0
    assert deliver_once(school).as_dict() == {key: 0 for key in deliver_once(school).as_dict()}


def test_exit_notice_commits_with_the_crossing_and_goes_out_once(school, sms, wecom):
    use_sms(school, sms.url)
    school.notify.wecom.webhook = wecom.url
    school.station.name = "东门"
    issued = issue()
    gate = here("G001")
    check = slips_gate.check_at_gate(gate, school, issued.code)
    done = slips_gate.record_crossing(gate, school, check, issued.code)
    (row,) = rows()
    crossing = GateCrossing.get_by_id(done.crossing_id)
    assert (row.event, row.channel, row.recipient_role, row.subject_id) == ("slip_exit", "sms", "guardian", crossing.id)
    assert row.address == crossing.student.guardian_phone and row.recipient_name == crossing.student.guardian_name
    assert row.recorded_at == crossing.recorded_at and row.owner_station_id == crossing.station_id
    # A confirm that fails writes no crossing and no notification: nothing is announced that did not happen.
    with pytest.raises(slips.SlipError):
        slips_gate.record_crossing(gate, school, check, issued.code)
    assert Notification.select().count() == 1
    report = deliver_once(school)
    assert report.sent == 1 and not wecom.received  # guardians only by SMS, never to a staff group
    (message,) = sms.received
    assert message["template"] == "SMS_EXIT" and message["params"]["gate"] == "东门"
    assert message["params"]["student"] == crossing.student.name
    assert crossing.student.number not in str(message)  # minimum content: name and class, no numbers
    assert deliver_once(school).sent == 0 and len(sms.received) == 1
    assert rows()[0].status == "sent"
    assert verify_audit_chain() is None


def test_network_down_then_up_queued_then_delivered_once(school):
    port = free_port()
    use_sms(school, f"http://127.0.0.1:{port}/sms/send")
    exit_on_slip(school)
    report = deliver_once(school)
    assert report.retrying == 1 and report.sent == 0
    (row,) = rows()
    assert row.status == "queued" and row.reason.startswith("network") and row.next_try_at > clock.now()
    clock.advance(timedelta(seconds=10))
    assert deliver_once(school).as_dict()["retrying"] == 0  # waits for its backoff, does not hammer
    with SmsFake(port=port) as fake:
        clock.advance(timedelta(minutes=1))
        assert deliver_once(school).sent == 1
        assert deliver_once(school).sent == 0
        assert len(fake.received) == 1
    outcomes = [r.outcome for r in NotificationReceipt.select().order_by(NotificationReceipt.recorded_at)]
    assert outcomes == ["retry", "sent"]


def test_guardian_opted_out_is_not_told(school, sms):
    use_sms(school, sms.url)
    issued = issue()
    notify.set_guardian_opt_out(here("A001"), issued.slip.student_number, True, "家长要求")
    gate = here("G001")
    slips_gate.record_crossing(gate, school, slips_gate.check_at_gate(gate, school, issued.code), issued.code)
    assert rows() == []
    notify.set_guardian_opt_out(here("A001"), issued.slip.student_number, False)
    clock.advance(timedelta(hours=3))
    back = slips_gate.check_at_gate(gate, school, issued.code)
    slips_gate.record_crossing(gate, school, back, issued.code)
    assert [r.event for r in rows()] == ["slip_return"]


def test_overdue_guardian_and_head_teacher_at_once_duty_leader_after_30_minutes(school, sms, wecom):
    use_sms(school, sms.url)
    school.notify.wecom.webhook = wecom.url
    school.notify.guardian_slip = "off"
    issued, _ = exit_on_slip(school, hours=1, back_hours=2)
    assert rows() == []  # guardian_slip = off: no exit notice
    clock.advance(JUST_OVERDUE)
    assert deliver_once(school).sent == 3  # raises the overdue alert and tells step 0 at once
    teacher = Staff.get((Staff.class_name == rows(step=0)[0].params["class_name"]) & Staff.roles.contains("head_teacher"))
    assert sorted(r["phone"] for r in sms.received) == sorted([rows(recipient_role="guardian")[0].address, teacher.phone])
    assert {r["template"] for r in sms.received} == {"SMS_OVERDUE"}
    (group,) = wecom.received
    assert "请假逾期未归" in group["markdown"]["content"] and teacher.name in group["markdown"]["content"]
    duty = rows(step=1)
    assert duty and all(r.status == "queued" and r.recipient_role == "duty_leader" for r in duty)
    clock.advance(timedelta(minutes=28))
    assert deliver_once(school).sent == 0  # 29 minutes past the deadline: not yet
    clock.advance(timedelta(minutes=1))
    assert deliver_once(school).sent == len(duty)
    leaders = [s.name for s in Staff.select() if "duty_leader" in s.role_set()]
    assert all(name in wecom.received[1]["markdown"]["content"] for name in leaders)
    assert deliver_once(school).sent == 0 and len(wecom.received) == 2


def test_overdue_step_cancelled_when_the_student_is_back(school, wecom):
    school.notify.wecom.webhook = wecom.url
    issued, _ = exit_on_slip(school, hours=1, back_hours=2)
    clock.advance(JUST_OVERDUE)
    assert deliver_once(school).sent == 1  # the head teacher, in the group
    gate = here("G001")
    clock.advance(timedelta(minutes=5))
    slips_gate.record_crossing(gate, school, slips_gate.check_at_gate(gate, school, issued.code), issued.code)
    clock.advance(timedelta(minutes=30))
    report = deliver_once(school)
    assert report.sent == 0 and report.cancelled == 1
    assert rows(step=1)[0].status == "cancelled" and rows(step=1)[0].reason == "returned"
    assert len(wecom.received) == 1


def test_provider_refusing_is_retried_then_listed_with_its_reason(school, wecom, capsys):
    from kiosk.features.notify import cmd_list

    school.notify.wecom.webhook = wecom.url
    school.notify.max_attempts = 3
    exit_on_slip(school, hours=1, back_hours=2)
    clock.advance(JUST_OVERDUE)
    wecom.script.extend([{"errcode": 45009, "errmsg": "api freq out of limit"}] * 3)
    assert deliver_once(school).retrying == 1
    for wait in (30, 60):
        assert deliver_once(school).retrying == 0  # not before its backoff
        clock.advance(timedelta(seconds=wait))
        deliver_once(school)
    (row,) = rows(step=0)
    assert (row.status, row.attempts, row.reason) == ("failed", 3, "45009 api freq out of limit")
    assert wecom.requests == 3 and not wecom.received
    listed = notify.undelivered("demo")
    assert [(v.id, v.reason) for v in listed if v.step == 0] == [(row.id, "45009 api freq out of limit")]
    import argparse
    import json

    cmd_list(argparse.Namespace(json=True, status="failed"), school)
    (shown,) = json.loads(capsys.readouterr().out)
    assert shown["reason"] == "45009 api freq out of limit" and "address" not in shown


def test_a_refusal_that_will_not_get_better_is_given_up_at_once(school, wecom):
    from types import SimpleNamespace

    from kiosk.features.notify import status_alerts

    office = SimpleNamespace(station_kind="office", school_id="demo")
    school.notify.wecom.webhook = wecom.url.replace("test-key", "revoked-key")
    exit_on_slip(school, hours=1, back_hours=2)
    clock.advance(JUST_OVERDUE)
    assert status_alerts(office) == []
    assert deliver_once(school).failed == 1
    assert rows(step=0)[0].reason == "93000 invalid webhook url"
    assert status_alerts(office) == ["通知未送达 1 条"]  # the office's status bar
    assert status_alerts(SimpleNamespace(station_kind="gate", school_id="demo")) == []


def test_rate_limit_per_recipient(school, wecom):
    school.notify.wecom.webhook = wecom.url
    school.notify.rate_limit_per_hour = 1
    actor = here("A001")
    first = notify.queue_test(actor, school, "wecom", "值班室")
    second = notify.queue_test(actor, school, "wecom", "值班室")
    report = deliver_once(school)
    assert (report.sent, report.rate_limited) == (1, 1)
    assert Notification.get_by_id(first).status == "sent"
    waiting = Notification.get_by_id(second)
    assert waiting.status == "queued" and waiting.next_try_at == clock.now() + timedelta(hours=1)
    clock.advance(timedelta(hours=1))
    assert deliver_once(school).sent == 1 and len(wecom.received) == 2


def test_test_command_sends_now_and_says_what_happened(school, wecom, capsys):
    import argparse

    from kiosk.features.notify import cmd_test
    from kiosk.notify.service import NotifyError

    school.notify.wecom.webhook = wecom.url
    assert cmd_test(argparse.Namespace(channel="wecom", to="王老师"), school) == 0
    assert "wecom -> 王老师: sent" in capsys.readouterr().out
    assert "王老师" in wecom.received[0]["markdown"]["content"]
    with pytest.raises(NotifyError) as error:
        cmd_test(argparse.Namespace(channel="dingtalk", to="x"), school)
    assert error.value.key == "notify.err_channel_off"
    with pytest.raises(NotifyError):
        cmd_test(argparse.Namespace(channel="fax", to="x"), school)
    assert Notification.select().count() == 1  # refused requests changed nothing



# ---------------------------------------------------------------- the missing-student ladder

def open_unknown_incident(settings):
    from zoneinfo import ZoneInfo

    from kiosk.models import Building, Student
    from kiosk.services import headcount_counting, headcount_rounds

    clock.freeze(datetime(2026, 11, 18, 13, 30, tzinfo=timezone.utc))  # Wed 21:30 in Shanghai
    building = Building.select().order_by(Building.name).first()
    supervisor = here("D001")
    view = headcount_rounds.open_headcount(supervisor, building.id, ZoneInfo(settings.school.timezone))
    student = (Student.select().where(Student.room.in_([r.id for r in building.rooms]) & Student.boarder & Student.active)
               .order_by(Student.number).first())
    mark = headcount_counting.mark_absent(supervisor, view.round_id, student.id, "unknown")
    return mark.incident_id, student


def test_ladder_steps_go_out_when_due(school, wecom):
    school.notify.wecom.webhook = wecom.url
    incident_id, student = open_unknown_incident(school)
    assert deliver_once(school).sent == 1  # the head teacher at once
    assert "去向不明" in wecom.received[0]["markdown"]["content"] and student.name in wecom.received[0]["markdown"]["content"]
    clock.advance(timedelta(minutes=29))
    assert deliver_once(school).sent == 0
    clock.advance(timedelta(minutes=1))
    assert deliver_once(school).sent == 1  # the duty leader at +30
    clock.advance(timedelta(minutes=30))
    assert deliver_once(school).sent == 1  # leadership at +60
    assert [(v.step, v.recipient_role, v.status) for v in notify.for_subject(incident_id)] == [
        (0, "head_teacher", "sent"), (1, "duty_leader", "sent"), (2, "principal", "sent")]


def test_incident_acknowledged_before_the_next_step_sends_nothing_more(school, wecom):
    from kiosk.services import headcount_common, headcount_incidents

    school.notify.wecom.webhook = wecom.url
    incident_id, student = open_unknown_incident(school)
    assert deliver_once(school).sent == 1
    clock.advance(timedelta(minutes=10))
    teacher = Staff.get((Staff.class_name == student.class_name) & Staff.roles.contains("head_teacher"))
    headcount_incidents.acknowledge(here("D001"), incident_id, 0, headcount_common.verify_staff("demo", teacher.number, "444444"), school.dorm)
    clock.advance(timedelta(hours=2))
    assert deliver_once(school).sent == 0
    assert len(wecom.received) == 1
    assert [v.step for v in notify.for_subject(incident_id)] == [0]


def test_a_step_queued_then_acknowledged_before_sending_is_cancelled(school):
    """The network was down when the step came due; someone acknowledged before it came back."""
    from kiosk.services import headcount_common, headcount_incidents

    port = free_port()
    school.notify.wecom.webhook = f"http://127.0.0.1:{port}/cgi-bin/webhook/send?key=test-key"
    incident_id, student = open_unknown_incident(school)
    assert deliver_once(school).retrying == 1
    teacher = Staff.get((Staff.class_name == student.class_name) & Staff.roles.contains("head_teacher"))
    headcount_incidents.acknowledge(here("D001"), incident_id, 0, headcount_common.verify_staff("demo", teacher.number, "444444"), school.dorm)
    with WecomFake(port=port) as fake:
        clock.advance(timedelta(minutes=5))
        report = deliver_once(school)
        assert (report.sent, report.cancelled) == (0, 1) and fake.requests == 0
    assert notify.for_subject(incident_id)[0].reason == "acknowledged"


# ---------------------------------------------------------------- crash between send and receipt

def test_crash_between_send_and_receipt_is_resent_once_after_the_lease(school, sms, tmp_path):
    """`kiosk notify deliver` is killed (-9) while the SMS gateway holds its request: the provider may have
    the message, our receipt is missing. The claim survives; after LEASE the next pass records the attempt
    as interrupted and sends again: the guardian may get it twice, never zero times (kiosk/notify/delivery.py)."""
    import os
    import signal
    import subprocess
    import sys

    from kiosk.notify.delivery import LEASE

    use_sms(school, sms.url)
    school.notify.expire_hours = 100_000  # the child runs on the real clock, days after this frozen test day
    # Days later the slip is overdue too: without its template those notices are given up without a request,
    # so the gateway sees only the exit notice.
    school.notify.sms.template_overdue = ""
    exit_on_slip(school)
    (row,) = rows()
    env = dict(os.environ, KIOSK_NOTIFY__SMS__URL=sms.url, KIOSK_NOTIFY__SMS__SIGN="示范寄宿学校",
               KIOSK_NOTIFY__SMS__TEMPLATE_SLIP_EXIT="SMS_EXIT", KIOSK_NOTIFY__EXPIRE_HOURS="100000")
    sms.hang.set()
    child = subprocess.Popen([sys.executable, "-m", "kiosk", "notify", "deliver", "--once", "--db", school.database.path],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert sms.holding.wait(60), child.stderr.read() if child.poll() is not None else "no request"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
        sms.release.set()
    claimed = Notification.get_by_id(row.id)
    assert claimed.status == "queued" and claimed.sending_since is not None and claimed.attempts == 1
    assert NotificationReceipt.select().count() == 0
    clock.freeze(claimed.sending_since + timedelta(seconds=30))
    assert deliver_once(school).interrupted == 0 and sms.requests == 1  # a live worker may still be sending
    clock.freeze(claimed.sending_since + LEASE + timedelta(seconds=1))
    report = deliver_once(school)
    assert (report.interrupted, report.sent) == (1, 1)
    done = Notification.get_by_id(row.id)
    assert (done.status, done.attempts) == ("sent", 2)
    assert [(r.attempt, r.outcome) for r in NotificationReceipt.select().where(NotificationReceipt.notification == row.id)
            .order_by(NotificationReceipt.recorded_at, NotificationReceipt.attempt)] == [(1, "interrupted"), (2, "sent")]
    assert sms.requests == 2 and all(m["out_id"] == row.id for m in sms.received)  # the gateway can drop the repeat
    assert deliver_once(school).sent == 0


# ---------------------------------------------------------------- the issue's "done when"

def test_exit_overdue_and_missing_reach_the_right_people_once_in_order_after_the_network_was_down(school):
    sms_port, wecom_port = free_port(), free_port()
    use_sms(school, f"http://127.0.0.1:{sms_port}/sms/send")
    school.notify.wecom.webhook = f"http://127.0.0.1:{wecom_port}/cgi-bin/webhook/send?key=test-key"
    issued, _ = exit_on_slip(school, hours=1, back_hours=2)  # 10:00 Wednesday: out on a slip
    deliver_once(school)
    clock.advance(JUST_OVERDUE)  # 11:31: not back
    deliver_once(school)
    clock.advance(timedelta(minutes=30))  # 12:01: the duty leader's turn
    deliver_once(school)
    incident_id, missing = open_unknown_incident(school)  # 21:30: another boarder not in the room
    deliver_once(school)
    queued = rows()
    assert queued and all(r.status == "queued" and r.reason.startswith("network") for r in queued)
    clock.advance(timedelta(minutes=5))
    with SmsFake(port=sms_port) as sms, WecomFake(port=wecom_port) as wecom:
        assert deliver_once(school).sent == len(queued)
        assert deliver_once(school).sent == 0
        arrived = sorted([(n, "sms", m) for n, m in zip(sms.arrivals, sms.received)]
                         + [(n, "wecom", m) for n, m in zip(wecom.arrivals, wecom.received)], key=lambda x: x[0])
    kinds = [(channel, m["template"] if channel == "sms" else m["markdown"]["content"].split("**")[1])
             for _, channel, m in arrived]
    assert kinds[0] == ("sms", "SMS_EXIT")  # the guardian's exit notice first, as it happened
    # the missing student last, to the head teacher (by SMS and in the group)
    assert sorted(kinds[-2:]) == [("sms", "SMS_MISSING"), ("wecom", "学生去向不明")]
    assert set(kinds[1:-2]) == {("sms", "SMS_OVERDUE"), ("wecom", "请假逾期未归")}
    student_phone = rows(event="slip_exit")[0].address
    assert sum(1 for _, channel, m in arrived if channel == "sms" and m["phone"] == student_phone) == 2  # exit, overdue
    assert any(missing.name in m["markdown"]["content"] for _, channel, m in arrived[-2:] if channel == "wecom")
    assert {v.status for v in notify.for_subject(incident_id)} == {"sent"}
