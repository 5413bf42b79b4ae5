"""Gate visitor rules: ID checks, phone, masking, visiting hours, overstay, watchlist, retention, form validation."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from kiosk.services import visitor_rules as rules
from kiosk.services.visitor_rules import HostRef, VisitForm, WatchEntry

TODAY = date(2026, 11, 18)
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai


def with_check(body17: str) -> str:
    return body17 + rules.ric_check_character(body17)


# ---------------------------------------------------------------- resident ID (GB 11643)

@pytest.mark.parametrize("number", [
    "11010519491231002X",  # the standard's sample: Beijing Chaoyang, X check character
    "11010519491231002x",  # lower-case x typed by hand
    "360426199101010071",  # python-stdnum's documented sample
    " 110105 1949 1231 002X ",  # spaces from a careful typist
    "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits pasted from a document
])
def test_valid_resident_ids(number):
    result = rules.check_resident_id(number, TODAY)
    assert result.ok, result
    assert result.number in ("11010519491231002X", "360426199101010071")
    assert result.warning == ""


def test_x_check_characters_computed_like_the_standard():
    # Known real-format samples whose check character is X.
    assert rules.ric_check_character("11010519491231002") == "X"
    assert rules.ric_check_character("44052418800101001") == "4"
    # Against python-stdnum's own algorithm for many bodies.
    from stdnum.cn import ric

    for n in range(300):
        body = f"110105{1950 + n % 60}{n % 12 + 1:02d}{n % 28 + 1:02d}{n:03d}"
        assert rules.ric_check_character(body) == ric.calc_check_digit(body + "0")
    xs = [b for b in (f"1101051990010100{i}" for i in range(10)) if rules.ric_check_character(b) == "X"]
    for body in xs:
        assert rules.check_resident_id(body + "X", TODAY).ok


@pytest.mark.parametrize("number,error,values", [
    ("", "id_required", {}),
    ("11010519491231002", "id_wrong_length", {"length": 17}),
    ("11010519491231002X1", "id_wrong_length", {"length": 19}),
    ("110105491231002", "id_wrong_length", {"length": 15}),  # first-generation 15-digit card
    ("1101051949123100XX", "id_bad_characters", {}),
    ("11010519491231002A", "id_bad_characters", {}),
    ("1101O519491231002X", "id_bad_characters", {}),  # letter O for zero
    ("110105194913310020", "id_bad_birth_date", {}),  # month 13
    ("110105194902300020", "id_bad_birth_date", {}),  # 30 February
    ("110105203001010020", "id_bad_birth_date", {}),  # born in the future
    ("110105194912310021", "id_bad_check_character", {}),  # last digit mistyped
    ("110105194912310120", "id_bad_check_character", {}),  # a middle digit mistyped
])
def test_each_kind_of_invalid_resident_id(number, error, values):
    result = rules.check_resident_id(number, TODAY)
    assert not result.ok
    assert result.error == error
    assert result.error_values == values


def test_unknown_region_is_only_a_warning():
    number = with_check("99999919900101001")
    result = rules.check_resident_id(number, TODAY)
    assert result.ok
    assert result.warning == "id_unknown_region"
    assert result.birth_date == date(1990, 1, 1)


def test_other_id_types():
    assert rules.check_id("passport", "E12345678", TODAY).ok
    assert rules.check_id("passport", "g 1234 5678", TODAY).number == "G12345678"
    assert rules.check_id("passport", "ABCDEFG", TODAY).error == "id_bad_passport"  # no digit
    assert rules.check_id("passport", "E1", TODAY).error == "id_bad_passport"
    assert rules.check_id("passport", "", TODAY).error == "id_required"
    assert rules.check_id("hk_macau", "H12345678", TODAY).ok
    assert rules.check_id("hk_macau", "M1234567890", TODAY).ok
    assert rules.check_id("hk_macau", "X12345678", TODAY).error == "id_bad_hk_macau"
    assert rules.check_id("taiwan", "12345678", TODAY).ok
    assert rules.check_id("taiwan", "1234567", TODAY).error == "id_bad_taiwan"
    none = rules.check_id("none", "whatever", TODAY)
    assert none.ok and none.number == ""
    assert rules.check_id("driving", "123", TODAY).error == "id_bad_type"


def test_guess_id_type():
    assert rules.guess_id_type("11010519491231002X") == "resident"
    assert rules.guess_id_type("H12345678") == "hk_macau"
    assert rules.guess_id_type("E12345678") == "passport"


# ---------------------------------------------------------------- phone, masking

@pytest.mark.parametrize("text,phone,error", [
    ("13812345678", "13812345678", ""),
    ("+86 138-1234-5678", "13812345678", ""),
    ("8613812345678", "13812345678", ""),
    ("12812345678", "12812345678", "phone_bad"),
    ("1381234567", "1381234567", "phone_bad"),
    ("0731-8888888", "07318888888", "phone_bad"),
    ("", "", "phone_required"),
])
def test_mainland_mobile(text, phone, error):
    assert rules.check_phone(text) == (phone, error)


def test_international_phone_only_for_foreign_documents():
    assert rules.check_phone("+852 9123 4567", international_ok=True) == ("+85291234567", "")
    assert rules.check_phone("+852 9123 4567")[1] == "phone_bad"


def test_masking_keeps_first_six_and_last_four():
    assert rules.mask_id("11010519491231002X") == "110105********002X"
    assert rules.mask_id("E12345678") == "E1*****78"
    assert rules.mask_id("1234") == "****"
    assert rules.mask_id("") == ""
    masked = rules.mask_id("360426199101010071")
    assert "19910101" not in masked and len(masked) == 18


# ---------------------------------------------------------------- hours, overstay

def test_visiting_hours_and_night_visits():
    at = lambda hh, mm=0: datetime(2026, 11, 18, hh, mm, tzinfo=SHANGHAI)  # noqa: E731
    assert not rules.is_night_visit(at(7), "07:00-21:00")
    assert not rules.is_night_visit(at(20, 59), "07:00-21:00")
    assert rules.is_night_visit(at(21), "07:00-21:00")
    assert rules.is_night_visit(at(6, 59), "07:00-21:00")
    assert rules.is_night_visit(at(23), "07:00-21:00")
    # A window across midnight (a school with night shifts of deliveries).
    assert not rules.is_night_visit(at(23), "20:00-02:00")
    assert rules.is_night_visit(at(3), "20:00-02:00")
    with pytest.raises(ValueError):
        rules.within_hours(at(9), "7-21")


def test_overstay():
    leave = NOW
    assert rules.overstay_minutes(leave, None, NOW) == 0
    assert rules.overstay_minutes(leave, None, NOW + timedelta(seconds=20)) == 1
    assert rules.overstay_minutes(leave, None, NOW + timedelta(minutes=95)) == 95
    assert rules.overstay_minutes(leave, NOW + timedelta(minutes=1), NOW + timedelta(minutes=95)) == 0  # signed out
    assert rules.overstay_minutes(None, None, NOW) == 0


# ---------------------------------------------------------------- watchlist

ENTRIES = [
    WatchEntry("e1", "11010519491231002X", "郑志远", "deny", "court order", None),
    WatchEntry("e2", "", "钱多多", "warn", "salesman", None),
    WatchEntry("e3", "360426199101010071", "蒋文斌", "deny", "old", NOW - timedelta(days=1)),  # expired
    WatchEntry("e4", "", "王 伟", "warn", "revoked", None, active=False),
    WatchEntry("e5", "", "Li Ming", "warn", "by name", NOW + timedelta(days=1)),
]


def test_watchlist_matches_id_number():
    hits = rules.match_watchlist(ENTRIES, "11010519491231002x", "someone else", NOW)
    assert [(h.entry_id, h.match, h.level) for h in hits] == [("e1", "id", "deny")]


def test_watchlist_matches_name_when_entry_has_no_id():
    hits = rules.match_watchlist(ENTRIES, "360426199101010071", " 钱多多 ", NOW)
    assert [(h.entry_id, h.match) for h in hits] == [("e2", "name")]
    assert rules.match_watchlist(ENTRIES, "", "li ming", NOW)[0].entry_id == "e5"


def test_namesake_with_another_id_is_not_a_hit_but_no_id_is():
    other = with_check("11010519800101001")
    assert rules.match_watchlist(ENTRIES, other, "郑志远", NOW) == []
    hits = rules.match_watchlist(ENTRIES, "", "郑志远", NOW)  # visitor shows no document
    assert [(h.entry_id, h.match) for h in hits] == [("e1", "name")]


def test_expired_and_revoked_entries_do_not_match():
    assert rules.match_watchlist(ENTRIES, "360426199101010071", "蒋文斌", NOW) == []
    assert rules.match_watchlist(ENTRIES, "", "王伟", NOW) == []
    assert rules.match_watchlist(ENTRIES, "", "li ming", NOW + timedelta(days=2)) == []


def test_deny_sorts_first_and_decides_the_level():
    hits = rules.match_watchlist(ENTRIES + [WatchEntry("e6", "", "郑志远", "warn", "x", None)], "", "郑志远", NOW)
    assert [h.level for h in hits] == ["deny", "warn"]
    assert rules.worst_level(hits) == "deny"
    assert rules.worst_level(hits[1:]) == "warn"
    assert rules.worst_level([]) == ""


def test_decision_rules():
    assert rules.decision_problem("deny", "refuse", "", None) == ""
    assert rules.decision_problem("warn", "allow", "", None) == "decision_reason_required"
    assert rules.decision_problem("warn", "allow", "核实为新家长", None) == ""
    assert rules.decision_problem("deny", "allow", "领导同意", frozenset({"gatekeeper"})) == "decision_needs_approver"
    assert rules.decision_problem("deny", "allow", "领导同意", frozenset({"duty_leader"})) == ""
    assert rules.decision_problem("warn", "maybe", "x", None) == "decision_bad"


# ---------------------------------------------------------------- retention

def test_retention():
    cutoff = rules.retention_cutoff(NOW, 180)
    assert cutoff == NOW - timedelta(days=180)
    assert rules.due_for_purge(NOW - timedelta(days=181), None, NOW, 180)
    assert not rules.due_for_purge(NOW - timedelta(days=179), None, NOW, 180)
    assert not rules.due_for_purge(NOW - timedelta(days=400), NOW, NOW, 180)  # already purged


# ---------------------------------------------------------------- the whole form

HOST = HostRef("student", "s1", "张华丽")


def form(**changes) -> VisitForm:
    values = dict(id_type="resident", id_number="11010519491231002X", name="王建国", phone="13812345678",
                  category="parent", reason="送生活用品", host=HOST)
    values.update(changes)
    return VisitForm(**values)


def validate(f: VisitForm, now: datetime = NOW):
    return rules.validate_visit(f, now, SHANGHAI, "07:00-21:00", 120)


def test_valid_form_is_cleaned():
    clean, errors = validate(form(id_number="11010519491231002x", phone="+86 138 1234 5678", vehicle_plate="粤a 12345"))
    assert errors == []
    assert clean.id_number == "11010519491231002X"
    assert clean.phone == "13812345678"
    assert clean.vehicle_plate == "粤A12345"
    assert clean.expected_leave_at == NOW + timedelta(minutes=120)
    assert not clean.night


def test_form_errors_name_the_field_in_form_order():
    clean, errors = validate(form(id_number="110105194912310021", phone="123", host=None, reason=""))
    assert clean is None
    assert [(e.field, e.key) for e in errors] == [
        ("id_number", "id_bad_check_character"), ("phone", "phone_bad"), ("reason", "reason_required"),
        ("host", "host_required")]


def test_night_visit_needs_duty_leader():
    night = datetime(2026, 11, 18, 14, 30, tzinfo=timezone.utc)  # 22:30 in Shanghai
    clean, errors = validate(form(), night)
    assert [(e.field, e.key) for e in errors] == [("duty_leader", "night_needs_duty_leader")]
    _, errors = validate(form(duty_leader="某某"), night)  # a typed name is not a confirmed duty leader
    assert [(e.field, e.key) for e in errors] == [("duty_leader", "night_needs_duty_leader")]
    clean, errors = validate(form(duty_leader="李校长", duty_leader_id="staff-id"), night)
    assert clean.night and errors == []


def test_leave_time_must_be_in_the_future():
    _, errors = validate(form(expected_leave_at=NOW - timedelta(minutes=1)))
    assert [e.field for e in errors] == ["expected_leave"]


def test_parse_leave_time_and_companions():
    local = NOW.astimezone(SHANGHAI)
    assert rules.parse_leave_time("", local) is None
    assert rules.parse_leave_time("11:30", local) == datetime(2026, 11, 18, 11, 30, tzinfo=SHANGHAI)
    assert rules.parse_leave_time("11：30", local) == datetime(2026, 11, 18, 11, 30, tzinfo=SHANGHAI)
    assert rules.parse_leave_time("11-19 08:00", local) == datetime(2026, 11, 19, 8, 0, tzinfo=SHANGHAI)
    for bad in ("25:00", "noon", "13-01 08:00"):
        with pytest.raises(ValueError):
            rules.parse_leave_time(bad, local)
    assert rules.parse_companions("") == 0
    assert rules.parse_companions(" 2 ") == 2
    assert rules.parse_companions("two") is None


# ---------------------------------------------------------------- the form as typed: every problem at once

def test_check_form_reports_every_problem_once_in_form_order():
    from kiosk.services.visitor_form import FormRules, check_form, only_the_night_leader_missing

    when = FormRules(NOW, SHANGHAI, "07:00-21:00", 120)
    typed = {"id_type": "resident", "id_number": "110105194912310021", "name": "", "phone": "123",
             "companions": "两", "expected_leave": "明天"}
    form, errors = check_form(typed, None, "", "", when)
    assert form is None  # companions and leave time could not be read
    assert [(e.field, e.key) for e in errors] == [
        ("id_number", "id_bad_check_character"), ("name", "name_required"), ("phone", "phone_bad"),
        ("category", "category_required"), ("reason", "reason_required"), ("host", "host_required"),
        ("companions", "companions_bad"), ("expected_leave", "leave_bad")]
    good = {"id_type": "resident", "id_number": "11010519491231002X", "name": "王建国", "phone": "13812345678",
            "category": "parent", "reason": "送东西", "companions": "1", "expected_leave": "11:30"}
    form, errors = check_form(good, HostRef("staff", "s1", "张华丽"), "", "", when)
    assert errors == [] and form.companions == 1 and form.expected_leave_at.hour == 11
    night = FormRules(NOW.replace(hour=15), SHANGHAI, "07:00-21:00", 120)  # 23:00 in Shanghai
    form, errors = check_form(good | {"expected_leave": ""}, HostRef("staff", "s1", "张华丽"), "", "", night)
    assert form is not None and only_the_night_leader_missing(errors)
