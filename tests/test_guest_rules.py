"""Pure rules of overnight guests approved ahead: what an approval covers, who may give one, the ID check."""
from datetime import date

from kiosk.services import guest_rules as rules
from kiosk.services.headcount import mask_id_number

WED = date(2026, 11, 18)


def test_an_approval_covers_its_nights_inclusive_and_nothing_once_revoked():
    approval = rules.ApprovalRange(WED, rules.last_night_of(WED, 3))
    assert approval.last_night == date(2026, 11, 20)
    assert [rules.covers(approval, date(2026, 11, d)) for d in (17, 18, 19, 20, 21)] == [False, True, True, True, False]
    revoked = rules.ApprovalRange(WED, WED, revoked=True)
    assert not rules.covers(revoked, WED)
    assert rules.is_current(approval, date(2026, 11, 20)) and not rules.is_current(approval, date(2026, 11, 21))


def test_ranges_are_short_and_not_in_the_past():
    assert rules.range_error(WED, 1, WED) is None
    assert rules.range_error(WED, rules.MAX_GUEST_NIGHTS, WED) is None
    assert rules.range_error(WED, rules.MAX_GUEST_NIGHTS + 1, WED) == "dorm.err_ga_nights"
    assert rules.range_error(WED, 0, WED) == "dorm.err_ga_nights"
    assert rules.range_error(date(2026, 11, 17), 2, WED) == "dorm.err_ga_past"


def test_only_the_own_head_teacher_or_a_role_above_may_approve():
    assert rules.may_approve(frozenset({"head_teacher"}), "高一(1)班", "高一(1)班")
    assert not rules.may_approve(frozenset({"head_teacher"}), "高一(2)班", "高一(1)班")
    assert not rules.may_approve(frozenset({"head_teacher"}), "", "")  # a head teacher without a class
    assert not rules.may_approve(frozenset({"dorm_manager"}), "高一(1)班", "高一(1)班")
    assert rules.may_approve(frozenset({"admin"}), "", "高一(1)班")
    assert rules.may_approve(frozenset({"duty_leader"}), "", "高一(1)班")  # DOMAIN: the ladder above the head teacher
    assert rules.may_approve(frozenset({"principal"}), "", None)
    assert not rules.may_approve(frozenset({"head_teacher"}), "高一(1)班", None)  # no student: no class to check


def test_the_id_card_at_the_dorm_must_mask_to_the_approved_number():
    approved = mask_id_number("110101199003074514")
    assert rules.id_matches(mask_id_number("110101 19900307 4514"), approved)
    assert not rules.id_matches(mask_id_number("310101199003074514"), approved)
    assert not rules.id_matches(mask_id_number("1101011990030745"), approved)  # a digit short
    assert not rules.id_matches("", "")
