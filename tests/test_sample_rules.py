"""Food sample rules with a frozen clock: weight minimum, retention, disposal, holds, menu check, fridge band."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from kiosk import clock
from kiosk.services import sample_rules as rules

SH = ZoneInfo("Asia/Shanghai")
SAMPLED = datetime(2026, 11, 18, 11, 35, 20, tzinfo=SH)


@pytest.mark.parametrize("minimum,grams,ok,shortfall", [
    (125, 125, True, 0), (125, 124, False, 1), (125, 90, False, 35), (150, 140, False, 10),
    (200, 210, True, 0), (100, 100, True, 0), (125, 0, False, 125),
])
def test_weight_minimum_is_a_setting_and_reports_the_shortfall(minimum, grams, ok, shortfall):
    check = rules.check_weight(grams, minimum)
    assert (check.ok, check.shortfall, check.minimum) == (ok, shortfall, minimum)


@pytest.mark.parametrize("text,grams", [("130", 130), ("130g", 130), (" 150 克", 150), ("125.9", 125),
                                        ("abc", None), ("-5", None), ("", None), ("nan", None)])
def test_typed_weight(text, grams):
    assert rules.parse_grams(text) == grams


def test_disposal_time_is_rounded_up_to_the_minute_the_label_shows():
    assert rules.disposable_at(SAMPLED, 48) == datetime(2026, 11, 20, 11, 36, tzinfo=SH)
    exact = datetime(2026, 11, 18, 11, 35, tzinfo=SH)
    assert rules.disposable_at(exact, 48) == datetime(2026, 11, 20, 11, 35, tzinfo=SH)


def test_disposal_refused_before_retention_and_says_how_long_is_left():
    clock.freeze(datetime(2026, 11, 20, 9, 0, tzinfo=SH))
    verdict = rules.disposal_verdict(clock.now(), sampled_at=SAMPLED, retention_hours=48, meal_date=date(2026, 11, 18))
    assert not verdict.allowed and verdict.reason == "too_early"
    assert rules.split_remaining(verdict.remaining) == (2, 36)
    clock.advance(timedelta(hours=2, minutes=35, seconds=30))  # 11:35:30: still 30 s early
    verdict = rules.disposal_verdict(clock.now(), sampled_at=SAMPLED, retention_hours=48, meal_date=date(2026, 11, 18))
    assert not verdict.allowed and rules.split_remaining(verdict.remaining) == (0, 1)
    clock.advance(timedelta(seconds=30))
    verdict = rules.disposal_verdict(clock.now(), sampled_at=SAMPLED, retention_hours=48, meal_date=date(2026, 11, 18))
    assert verdict.allowed and verdict.reason == "ok"


def test_retention_hours_setting_changes_the_time():
    now = datetime(2026, 11, 21, 0, 0, tzinfo=SH)
    assert rules.disposal_verdict(now, sampled_at=SAMPLED, retention_hours=48, meal_date=SAMPLED.date()).allowed
    assert not rules.disposal_verdict(now, sampled_at=SAMPLED, retention_hours=72, meal_date=SAMPLED.date()).allowed


def test_incident_hold_blocks_disposal_for_its_date_range_only():
    now = datetime(2026, 11, 25, 12, 0, tzinfo=SH)
    hold = rules.HoldSpan("h1", date(2026, 11, 17), date(2026, 11, 18), "学生腹泻")
    held = rules.disposal_verdict(now, sampled_at=SAMPLED, retention_hours=48, meal_date=date(2026, 11, 18), holds=[hold])
    assert not held.allowed and held.reason == "held" and held.hold_reasons == ("学生腹泻",)
    other_day = rules.disposal_verdict(now, sampled_at=SAMPLED + timedelta(days=1), retention_hours=48,
                                       meal_date=date(2026, 11, 19), holds=[hold])
    assert other_day.allowed
    released = rules.HoldSpan("h1", date(2026, 11, 17), date(2026, 11, 18), "学生腹泻", released=True)
    assert rules.disposal_verdict(now, sampled_at=SAMPLED, retention_hours=48, meal_date=date(2026, 11, 18),
                                  holds=[released]).allowed


def test_already_disposed_wins():
    now = datetime(2026, 11, 25, tzinfo=SH)
    verdict = rules.disposal_verdict(now, sampled_at=SAMPLED, retention_hours=48, meal_date=SAMPLED.date(), disposed=True)
    assert verdict.reason == "already_disposed" and not verdict.allowed


def test_due_and_overdue_states():
    due = rules.disposable_at(SAMPLED, 48)
    state = lambda now, **kw: rules.disposal_state(now, due, 24, disposed=kw.get("disposed", False), held=kw.get("held", False))
    assert state(due - timedelta(minutes=1)) == "kept"
    assert state(due) == "due"
    assert state(due + timedelta(hours=24)) == "due"
    assert state(due + timedelta(hours=24, minutes=1)) == "overdue"
    assert state(due + timedelta(hours=30), held=True) == "held"
    assert state(due + timedelta(hours=30), disposed=True) == "disposed"


def test_menu_check_missed_only_after_service_time():
    service = rules.service_at(date(2026, 11, 18), "11:50", SH)
    dishes = [("d1", "红烧肉"), ("d2", "清炒时蔬"), ("d3", "米饭")]
    before = rules.check_menu(datetime(2026, 11, 18, 11, 0, tzinfo=SH), service, dishes, {"d1": 1})
    assert [d.state for d in before.dishes] == ["sampled", "pending", "pending"] and not before.violation
    after = rules.check_menu(datetime(2026, 11, 18, 11, 50, tzinfo=SH), service, dishes, {"d1": 1, "d3": 2})
    assert [d.state for d in after.dishes] == ["sampled", "missed", "sampled"]
    assert after.violation and after.missed == ("清炒时蔬",) and not after.complete
    full = rules.check_menu(datetime(2026, 11, 18, 13, 0, tzinfo=SH), service, dishes, {"d1": 1, "d2": 1, "d3": 1})
    assert full.complete and not full.violation


def test_service_time_is_school_local():
    at = rules.service_at(date(2026, 11, 18), "07:00", SH)
    assert at.astimezone(timezone.utc) == datetime(2026, 11, 17, 23, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("celsius,state", [(None, "not_taken"), (4.0, "ok"), (0.0, "ok"), (8.0, "ok"),
                                           (8.5, "too_warm"), (-1.0, "too_cold")])
def test_fridge_temperature_band(celsius, state):
    check = rules.check_temperature(celsius, 0.0, 8.0)
    assert check.state == state and check.ok == (state in ("ok", "not_taken"))


def test_a_dish_leaves_the_menu_only_before_service_and_without_a_sample():
    service = datetime(2026, 11, 18, 11, 50, tzinfo=SH)
    before = service - timedelta(minutes=1)
    assert rules.dish_removal_refusal(before, service, sampled=False) is None
    assert rules.dish_removal_refusal(before, service, sampled=True) == "sampled"
    assert rules.dish_removal_refusal(service, service, sampled=False) == "served"
    assert rules.dish_removal_refusal(service + timedelta(hours=3), service, sampled=True) == "sampled"
