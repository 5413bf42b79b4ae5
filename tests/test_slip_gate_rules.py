"""Issue 14's gate rules as pure functions: a card's direction from the last crossing, day students' hours by
weekday (refused, or allowed on the gatekeeper's confirmation), a typed number flagged for confirmation."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from kiosk import clock_times
from kiosk.config import ConfigError, Settings, validate
from kiosk.services import slip_rules
from kiosk.services.slip_rules import Crossing, StudentInfo, card_direction, card_verdict

UTC = timezone.utc
WED_10 = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)  # Wednesday 10:00 Shanghai
WED_0910 = datetime(2026, 11, 18, 1, 10, tzinfo=UTC)  # Wednesday 09:10: lessons, no day student leaves
SAT_10 = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
BOARDER = StudentInfo("stu-1", "20260101", "张华丽", "高一(1)班", True, True, "女生1号楼 101", "13800000000")
DAY = StudentInfo("stu-2", "20260102", "李明", "高一(1)班", False, True)
SCHEDULE = "1-5 06:30-07:50,11:40-14:10,16:30-22:00; 7 17:00-21:00"


def school_settings(hours: str = SCHEDULE, outside: str = "refuse") -> Settings:
    settings = Settings()
    settings.gate.day_student_hours, settings.gate.day_student_outside_hours = hours, outside
    validate(settings)
    return settings


def test_day_student_direction_comes_from_todays_last_crossing():
    settings = Settings()
    morning = [Crossing("return", "day_card", WED_10 - timedelta(hours=3))]
    assert card_direction(WED_10, DAY, morning, settings) == "exit"  # dismissal: out, without anyone's F3
    lunch = morning + [Crossing("exit", "day_card", WED_10 - timedelta(hours=1))]
    assert card_direction(WED_10, DAY, lunch, settings) == "return"
    assert card_direction(WED_10, DAY, [], settings) == "return"  # the first crossing of a day: coming from home
    missed_exit = [Crossing("return", "day_card", WED_10 - timedelta(days=1))]  # yesterday's exit never scanned
    assert card_direction(WED_10, DAY, missed_exit, settings) == "return"
    later = [Crossing("exit", "day_card", WED_10 + timedelta(minutes=5))]  # not yet happened as of `now`
    assert card_direction(WED_10, DAY, later, settings) == "return"


def test_boarder_direction_comes_from_the_last_crossing_whenever_it_was():
    settings = Settings()
    assert card_direction(WED_10, BOARDER, [], settings) == "exit"  # lives at school
    weekend = [Crossing("exit", "day_card", SAT_10 - timedelta(days=1))]  # Friday out, back on Sunday
    assert card_direction(SAT_10 + timedelta(days=1), BOARDER, weekend, settings) == "return"
    back = weekend + [Crossing("return", "day_card", SAT_10 + timedelta(days=1, hours=8))]
    assert card_direction(SAT_10 + timedelta(days=5), BOARDER, back, settings) == "exit"
    assert card_direction(WED_10, None, [], settings) == "exit"  # unknown: refused anyway


def test_the_inferred_direction_never_flags_a_day_student_for_card_lending():
    """The defect: a lane left on 进校 at dismissal flagged every day student leaving for card lending."""
    settings = Settings()
    came_in = [Crossing("return", "day_card", WED_10 - timedelta(hours=3))]
    leaving = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)  # 17:00 dismissal
    direction = card_direction(leaving, DAY, came_in, settings)
    verdict = card_verdict(leaving, DAY, came_in, settings, direction)
    assert (verdict.kind, verdict.flags) == ("exit", ())


def test_weekday_schedule_parses_and_rejects_what_it_cannot_read():
    schedule = clock_times.parse_week_schedule(SCHEDULE)
    assert schedule.describe(3) == "06:30-07:50, 11:40-14:10, 16:30-22:00"
    assert schedule.describe(6) == "" and schedule.describe(7) == "17:00-21:00"
    every_day = clock_times.parse_week_schedule("06:30-07:50,16:30-22:00")
    assert all(every_day.describe(day) == "06:30-07:50, 16:30-22:00" for day in range(1, 8))
    for bad in ("", "8 06:00-07:00", "1-5 06:00-07:00; 5 08:00-09:00", "1-5", "5-1 06:00-07:00", "1-5 6-7"):
        with pytest.raises(ValueError):
            clock_times.parse_week_schedule(bad)
    settings = Settings()
    settings.gate.day_student_hours = "1-5 06:30-25:00"
    with pytest.raises(ConfigError, match="day_student_hours"):
        validate(settings)
    settings = Settings()
    settings.gate.day_student_outside_hours = "allow"
    with pytest.raises(ConfigError, match="day_student_outside_hours"):
        validate(settings)


def test_a_day_student_leaving_during_lessons_is_refused_with_todays_hours():
    """The defect: 走读生放学 at 09:10."""
    from kiosk.services.slips import reason_message

    settings = school_settings()
    verdict = card_verdict(WED_0910, DAY, [Crossing("return", "day_card", WED_0910 - timedelta(hours=2))],
                           settings, "exit")
    assert (verdict.kind, verdict.reason_code) == ("refuse", "outside_hours")
    assert str(reason_message(verdict)) == "走读生 · 周三 · 不在通行时段（06:30-07:50, 11:40-14:10, 16:30-22:00）"
    lunch = datetime(2026, 11, 18, 4, 0, tzinfo=UTC)  # 12:00
    assert card_verdict(lunch, DAY, [], settings, "exit").kind == "exit"
    saturday = card_verdict(SAT_10, DAY, [], settings, "return")
    assert (saturday.kind, saturday.reason_code) == ("refuse", "no_day_hours")
    assert str(reason_message(saturday)) == "走读生 · 周六 · 今日无通行时段"


def test_outside_hours_may_be_allowed_on_the_gatekeepers_confirmation():
    from kiosk.services.slips import reason_message

    settings = school_settings(outside="confirm")
    came_in = [Crossing("return", "day_card", WED_0910 - timedelta(hours=2))]
    verdict = card_verdict(WED_0910, DAY, came_in, settings, "exit")
    assert (verdict.kind, verdict.reason_code, verdict.flags) == ("exit", "card_outside_hours", ("outside_hours",))
    assert slip_rules.needs_confirmation(verdict)
    assert "须门卫确认" in str(reason_message(verdict))
    lent = card_verdict(WED_0910, DAY, came_in, settings, "return")  # both flags: neither hides the other
    assert lent.flags == ("outside_hours", "card_lending")
    in_hours = card_verdict(datetime(2026, 11, 18, 4, 0, tzinfo=UTC), DAY, came_in, settings, "exit")
    assert not slip_rules.needs_confirmation(in_hours)


def test_a_typed_number_is_flagged_first_and_needs_confirmation():
    settings = Settings()
    allowed = card_verdict(WED_10, DAY, [], settings, "return")
    typed = slip_rules.typed(allowed)
    assert typed.flags == ("typed",) and typed.kind == allowed.kind and slip_rules.needs_confirmation(typed)
    assert slip_rules.typed(typed) == typed
    late = slip_rules.Verdict("return", "slip_return_late", {"minutes": 5}, ("late",), "slip-1")
    assert slip_rules.typed(late).flags == ("typed", "late") and slip_rules.typed(late).slip_id == "slip-1"
    refused = card_verdict(WED_10, None, [], settings, "exit")
    assert slip_rules.typed(refused) == refused and not slip_rules.needs_confirmation(refused)


def test_every_new_reason_and_flag_has_both_translations():
    from kiosk.i18n import catalog

    keys = [f"slips.reason_{code}" for code in ("outside_hours", "no_day_hours", "card_outside_hours",
                                                 "card_no_day_hours")]
    keys += [f"slips.{kind}_{flag}" for flag in slip_rules.CONFIRM_FLAGS for kind in ("flag", "flag_short")]
    for language in ("zh-CN", "en"):
        assert all(key in catalog(language) for key in keys), language


def test_a_card_crossing_back_within_minutes_is_flagged_as_lent():
    """With the direction inferred, a card handed back over the fence alternates in and out: crossing the other
    way within gate.card_turnaround_minutes is flagged (amber) instead of passing as an ordinary crossing."""
    settings = Settings()
    came_in = [Crossing("return", "day_card", WED_10 - timedelta(minutes=2))]
    direction = card_direction(WED_10, DAY, came_in, settings)
    assert direction == "exit"
    verdict = card_verdict(WED_10, DAY, came_in, settings, direction)
    assert (verdict.kind, verdict.flags) == ("exit", ("card_turnaround",))
    later = WED_10 + timedelta(minutes=settings.gate.card_turnaround_minutes)
    assert card_verdict(later, DAY, came_in, settings, "exit").flags == ()
