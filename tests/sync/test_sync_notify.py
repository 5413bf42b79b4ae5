"""Stations that all see a boarder's exit, and the return become overdue, after syncing through a real
PostgreSQL: each message goes out once (the gate that recorded the exit owns and sends them; the dorm and the
office only show them), and the overdue alert the office raised first is taken up by the gate."""
from __future__ import annotations

import shutil
from datetime import timedelta

import pytest

from kiosk import clock
from kiosk.config import Settings
from kiosk.models import Staff, database_proxy
from kiosk.notify.delivery import deliver_once
from kiosk.notify.model import Notification
from kiosk.services import slips_gate, slips_office
from kiosk.services.actor import Actor
from tests.notify_fakes import SmsFake
from tests.test_notify_delivery import template, use_sms  # noqa: F401  (template: the demo roster + office key)
from tests.test_slips_service import fresh_boarder

ALL = dict(pull_tables=())  # each station kind pulls what it pulls in production


@pytest.fixture
def school() -> str:
    return "demo"  # the roster copied from the template is the demo school's


def station_from_template(make_station, template, tmp_path, url, name, kind, sms_url):  # noqa: F811
    from kiosk.db import set_local_value

    path = tmp_path / f"{name}.sqlite3"
    shutil.copy(template / "demo.sqlite3", path)
    shutil.copytree(template / "demo.sqlite3.keys", f"{path}.keys")
    station = make_station(name, kind, url=url, path=path)
    with station.use():
        set_local_value("station_id", f"st-{name}")  # two copies of one file: give each its own identity
        # The roster is already on both: only what happens from now on goes through central.
        database_proxy.execute_sql('UPDATE "outbox" SET "acked_at" = ?', ("2026-11-18T00:00:00.000000Z",))
    settings = Settings()
    settings.database.path = str(path)
    settings.station.kind, settings.station.name = kind, name
    use_sms(settings, sms_url)
    return station, settings


def actor_at(station, number: str) -> Actor:
    staff = Staff.get(Staff.number == number)
    return Actor(school_id="demo", station_id=station.station_id, staff_id=staff.id, staff_number=staff.number,
                 staff_name=staff.name, roles=staff.role_set())


def test_stations_see_the_exit_and_the_overdue_and_each_message_goes_out_once(make_station, own_central, template,
                                                                             tmp_path, frozen_now):  # noqa: F811
    from kiosk.models.slips import OverdueAlert

    with SmsFake() as sms:
        stations = {name: station_from_template(make_station, template, tmp_path, own_central, name, name, sms.url)
                    for name in ("gate", "dorm", "office")}
        (gate, gate_settings), (dorm, dorm_settings), (office, office_settings) = stations.values()

        def sync_all(*names):
            for name in names:
                result = stations[name][0].sync(**ALL)
                assert result.push.dead == 0, name  # nothing refused by central's write policy

        with office.use():  # the head teacher issues the slip at the office
            teacher = Staff.get(Staff.number == "T001")
            student = fresh_boarder(teacher)
            now = clock.now()
            issued = slips_office.issue_slip(actor_at(office, "T001"), office_settings, student_number=student.number,
                                    reason_kind="sick", leave_from=now - timedelta(minutes=30),
                                    leave_to=now + timedelta(minutes=30), return_by=now + timedelta(hours=1),
                                    companion_name="张建国", companion_relation="父亲", companion_phone="13812345678")
        sync_all("office", "gate")
        with gate.use():
            gatekeeper = actor_at(gate, "G001")
            slips_gate.record_crossing(gatekeeper, gate_settings, slips_gate.check_at_gate(gatekeeper, gate_settings, issued.code),
                                issued.code)
        sync_all("gate", "dorm", "office")
        with dorm.use():
            (seen,) = Notification.select()  # the dorm sees the exit notice...
            assert seen.owner_station_id == gate.station_id and seen.event == "slip_exit"
        for station, settings in ((dorm, dorm_settings), (office, office_settings), (gate, gate_settings)):
            with station.use():
                deliver_once(settings)
        assert [m["template"] for m in sms.received] == ["SMS_EXIT"]  # ...and only the gate sends it

        # The return deadline passes. The office notices first; its alert reaches the gate by sync.
        clock.advance(timedelta(hours=1, minutes=1))
        with office.use():
            deliver_once(office_settings)
            assert OverdueAlert.select().count() == 1
            assert Notification.select().where(Notification.event == "overdue").count() == 0  # not the office's
        with dorm.use():
            deliver_once(dorm_settings)
            assert OverdueAlert.select().count() == 0  # a dorm may not raise one (central would refuse it)
        sync_all("office", "gate")
        with gate.use():
            assert OverdueAlert.get().station_id == office.station_id
            report = deliver_once(gate_settings)
        assert report.sent == 2  # guardian and head teacher, by SMS
        for _ in range(2):
            sync_all("gate", "dorm", "office")
            for station, settings in stations.values():
                with station.use():
                    deliver_once(settings)
        templates = [m["template"] for m in sms.received]
        assert templates == ["SMS_EXIT", "SMS_OVERDUE", "SMS_OVERDUE"]
        phones = [m["phone"] for m in sms.received[1:]]
        assert sorted(phones) == sorted([student.guardian_phone, teacher.phone])
        for station in (dorm, office):  # the others show what the gate sent
            with station.use():
                statuses = {(n.event, n.step, n.status) for n in Notification.select()}
                assert ("slip_exit", 0, "sent") in statuses and ("overdue", 0, "sent") in statuses
