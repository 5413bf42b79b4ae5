"""Regression tests for what fuzzing (fuzz/, issue 8) found, one readable case per bug.

The crashing inputs themselves are in fuzz/corpus/<harness>/crash-*, replayed by test_fuzz_corpus.py.
"""
from __future__ import annotations

import pytest

from kiosk import config


@pytest.mark.parametrize("text", [
    "[security]\nidle_lock_minutes = inf\n",  # int(inf): OverflowError
    "[slips]\nhead_teacher_max_days = 1" + "0" * 400 + "\n",  # float(10**400): OverflowError
])
def test_config_number_out_of_range_is_a_config_error(tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(config.ConfigError, match="is not a valid"):
        config.load(str(path), environ={})


@pytest.mark.parametrize("name, value", [
    ("KIOSK_DORM__LIGHTS_OUT", "22.00"),
    ("KIOSK_GATE__CLOSED_FROM", "Monday 07:00"),
    ("KIOSK_GATE__CLOSED_UNTIL", "5"),
    ("KIOSK_GATE__DAY_STUDENT_HOURS", "06:30"),
    ("KIOSK_GATE__VISITING_HOURS", "7-21"),
])
def test_a_clock_setting_that_cannot_be_read_stops_loading(name, value):
    # Before: these loaded, and the gate's first scan (or the dorm's first count) raised ValueError.
    with pytest.raises(config.ConfigError, match="cannot be read as a time"):
        config.load(None, environ={name: value})


def test_default_and_reformatted_clock_settings_still_load():
    settings = config.load(None, environ={"KIOSK_GATE__VISITING_HOURS": "07:00 - 21:30",
                                          "KIOSK_GATE__CLOSED_FROM": "7 18:00", "KIOSK_DORM__LIGHTS_OUT": "23:15"})
    assert settings.gate.visiting_hours == "07:00 - 21:30" and settings.dorm.lights_out == "23:15"


# '፩' (Ethiopic digit one) and '𐩀' (Kharoshthi digit one) are str.isdigit() but not int()-able, and
# NFKC (clean_text) leaves them as they are.
@pytest.mark.parametrize("text", ["፩", "𐩀", "1፩"])
def test_companions_typed_as_an_odd_digit_is_not_a_number(text):
    from kiosk.services.visitor_rules import parse_companions

    assert parse_companions(text) is None  # was ValueError, out of the register screen's save


def test_companions_in_other_decimal_scripts_still_count():
    from kiosk.services.visitor_rules import parse_companions

    assert parse_companions("٣") == 3 and parse_companions("３") == 3


@pytest.mark.parametrize("bed", ["፩", "𐩀号床"])
def test_roster_bed_typed_as_an_odd_digit_is_a_row_error(bed):
    from kiosk.services import roster_import as ri

    header = ("学号", "姓名", "性别", "班级", "住宿/走读", "宿舍楼", "房间", "床位")
    columns = ri.map_columns(header, ri.STUDENT_HEADERS)
    student, errors = ri.check_student_row(2, ("20260101", "张三", "男", "高一(1)班", "住宿", "男生1号楼", "101", bed),
                                           columns)
    assert student is None and [error.key for error in errors] == ["bad_bed"]  # was ValueError out of import_roster


@pytest.mark.parametrize("text", ["13٣00138000", "1380013800۳", "+86 138 0013 800߃"])
def test_a_phone_with_digits_from_another_script_is_not_a_mobile(text):
    # \d matched them, so the register stored e.g. '13٣00138000' as a valid, undialable mobile.
    from kiosk.services import roster_import, visitor_rules

    assert visitor_rules.check_phone(text) == (visitor_rules.normalise_phone(text), "phone_bad")
    assert roster_import.normalise_phone(text) is None


def test_international_phone_needs_ascii_digits():
    from kiosk.services.visitor_rules import check_phone

    assert check_phone("+852 9123 4567", international_ok=True) == ("+85291234567", "")
    assert check_phone("+852 9123 456٧", international_ok=True)[1] == "phone_bad"
    assert check_phone("１３８ ００１３ ８０００") == ("13800138000", "")  # full width still folds


@pytest.mark.parametrize("environ", [
    {"KIOSK_LANG": "en", "KIOSK_LANGUAGE__X": "1"},  # was TypeError
    {"KIOSK_SCHOOL__NAME": "一中", "KIOSK_SCHOOL__NAME__SHORT": "一"},  # was AttributeError
])
def test_an_environment_override_below_a_setting_is_a_config_error(environ):
    with pytest.raises(config.ConfigError, match="is a setting, not a"):
        config.load(None, environ=environ)


@pytest.mark.parametrize("roles", ["、", " / ", ";；"])
def test_staff_roles_of_separators_only_are_missing_roles(roles):
    # Was accepted as a staff member with no role at all (roles == "").
    from kiosk.services import roster_import as ri

    columns = ri.map_columns(("工号", "姓名", "角色"), ri.STAFF_HEADERS)
    member, errors = ri.check_staff_row(2, ("T1", "王老师", roles), columns)
    assert member is None and [error.key for error in errors] == ["missing_roles"]


def test_a_time_with_a_huge_hour_is_unreadable_not_an_overflow():
    # time(int("2" * 100), 3) raised OverflowError, past parse_hhmm's ValueError/TypeError handler:
    # out of canteen.add_meal for a typed service time, and out of config.load for dorm.lights_out.
    from kiosk.services.sample_rules import parse_hhmm

    assert parse_hhmm("2" * 100 + ":3") is None
    assert parse_hhmm("12:30").hour == 12
    with pytest.raises(config.ConfigError, match="dorm.lights_out"):
        config.load(None, environ={"KIOSK_DORM__LIGHTS_OUT": "9" * 25 + ":00"})
