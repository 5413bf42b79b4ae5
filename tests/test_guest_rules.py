"""Pure rules of overnight guests approved ahead: what an approval covers, who may give one, the ID check."""
from datetime import date

from kiosk.services import guest_rules as rules
from kiosk.services.visitor_rules import mask_id, normalise_id

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
    approved = mask_id("110101199003074514")
    assert rules.id_matches(mask_id(normalise_id("110101 19900307 4514")), approved)
    assert not rules.id_matches(mask_id("310101199003074514"), approved)
    assert not rules.id_matches(mask_id("1101011990030745"), approved)  # a digit short


def test_one_masking_rule_for_every_id_number():
    """Issue 12: masking had drifted (the dorm showed E12345**8901 where the gate showed E1********01)."""
    from kiosk.services import headcount_guest_approvals, headcount_guests

    assert not any(hasattr(module, "mask_id_number") for module in (headcount_guests, headcount_guest_approvals))
    assert mask_id("E12345678901") == "E1********01"
    # An approval stored under the old dorm rule (all hidden) still matches on length; visible digits must agree.
    assert rules.id_matches("E1********01", "************")
    assert not rules.id_matches("E2********01", "E1********01")
    assert not rules.id_matches("", "")
