"""The dorm feature module: demo week, `kiosk report headcount`, exports, status bar alert."""
from __future__ import annotations

import csv
import json
import random
from datetime import date, timedelta

import pytest

from kiosk import clock
from kiosk.features import dorm as feature
from kiosk.models import Building, Staff, Student
from kiosk.models.dorm import HeadcountRound, Incident, IncidentAck, OvernightGuest
from kiosk.services import headcount_counting, headcount_history, headcount_incidents, headcount_rounds, headcount_submit
from kiosk.services.facts import verify_audit_chain

from tests.test_headcount_service import bare_school  # noqa: F401  (fixture)


@pytest.fixture
def seeded(bare_school, settings):
    from kiosk.db import ensure_station_identity
    from kiosk.services.demo import DemoContext

    demo = DemoContext(settings=settings, rng=random.Random(3), now=clock.now(), station_id=ensure_station_identity(),
                       students=list(Student.select()), staff=list(Staff.select()))
    feature.seed_demo(demo)
    return settings


def test_demo_week_has_submitted_nights_an_escalated_closed_incident_and_a_guest(seeded):
    first = Building.select().order_by(Building.name).first()
    nights = [r.night for r in HeadcountRound.select().where(HeadcountRound.building == first).order_by(HeadcountRound.night)]
    assert len(nights) == 7 and nights[-1] == "2026-11-17"
    assert all(r.submitted_at is not None and headcount_submit.verify_summary(r.id) for r in HeadcountRound.select())
    (incident,) = Incident.select()
    assert incident.closed_at is not None and incident.whereabouts and incident.confirmed_name
    assert IncidentAck.select().where(IncidentAck.incident == incident).count() == 2
    assert OvernightGuest.select().count() == 1
    assert headcount_incidents.open_incident_count("demo") == 0
    assert verify_audit_chain() is None
    history = headcount_history.history(first.id)
    assert history[0].night == date(2026, 11, 17) and sum(h.unknown for h in history) == 1


def test_report_headcount_cli_text_and_json(seeded, capsys):
    from kiosk.cli import main

    db = seeded.database.path
    first = Building.select().order_by(Building.name).first().name
    assert main(["report", "headcount", "--date", "2026-11-15", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "请假名单" in out and first in out and "男生2号楼" in out and "去向不明" in out
    assert main(["report", "headcount", "--date", "2026-11-15", "--building", first, "--json", "--db", db]) == 0
    data = json.loads(capsys.readouterr().out)
    (building,) = data["buildings"]
    assert building["source"] == "submitted" and building["summary"]["totals"]["absent"]["unknown"] == 1
    assert main(["report", "headcount", "--date", "2026-11-15", "--building", "nowhere", "--db", db]) == 2
    assert "nowhere" in capsys.readouterr().err


def test_exports_headcounts_and_incidents(seeded, tmp_path):
    from kiosk.cli import main

    db = seeded.database.path
    out = tmp_path / "hc.csv"
    assert main(["export", "headcounts", "--from", "2026-11-15", "--to", "2026-11-15", "-o", str(out), "--db", db]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert rows and {r["night"] for r in rows} == {"2026-11-15"}
    assert sum(int(r["unknown"]) for r in rows) == 1
    out = tmp_path / "inc.csv"
    assert main(["export", "incidents", "-o", str(out), "--db", db]) == 0
    (row,) = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    # issue 15, item 11: headers and the ladder in the station's language, no raw codes
    assert row["去向"] and "班主任：已确认" in row["逐级上报"]
    assert not any("head_teacher" in value or "acknowledged" in value for value in row.values())


def test_status_alert_counts_open_incidents(bare_school, settings):
    from kiosk.context import KioskContext
    from tests.test_headcount_service import ZONE, actor_of

    ctx = KioskContext(settings=settings, station_id="st")
    assert feature.status_alerts(ctx) == []
    clock.freeze(clock.now() + timedelta(hours=11, minutes=30))
    actor = actor_of(Staff.get(Staff.number == "D001"))
    building = Building.select().order_by(Building.name).first()
    view = headcount_rounds.open_headcount(actor, building.id, ZONE)
    headcount_counting.mark_absent(actor, view.round_id, view.rooms[0].expected[0].student_id, "unknown")
    assert feature.status_alerts(ctx) == ["去向不明 1"]


def test_demo_boarders_sleep_in_a_building_of_their_gender_under_a_name_that_reads_so(demo_school):
    """Walk-through: the demo school put 丁艳红 and 马怡 in 男生1号楼 (the gender column matched the building, the
    names did not). A boy's given name has no girl's character and the other way round."""
    from kiosk.models import Room

    girls_only, boys_only = set("艳娟秀霞娥玲芬燕萱妍琳"), set("伟强磊军勇刚鹏豪凯")
    boarders = list(Student.select(Student, Room, Building).join(Room).join(Building))
    assert len(boarders) > 50
    for student in boarders:
        assert student.gender == student.room.building.gender, student.name
        other = girls_only if student.gender == "M" else boys_only
        assert not set(student.name[1:]) & other, (student.name, student.room.building.name)
