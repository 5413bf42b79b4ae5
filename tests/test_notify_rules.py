"""Notify rules without a database: who is told on which channel, ladder steps, backoff, rate limit, give-up."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kiosk.notify import rules
from kiosk.services.escalation_rules import Acknowledgement

T0 = datetime(2026, 11, 18, 14, 40, tzinfo=timezone.utc)
STAFF = [
    rules.StaffContact("s1", "王老师", frozenset({"head_teacher"}), "高一(3)班", "13900000001"),
    rules.StaffContact("s2", "李老师", frozenset({"head_teacher"}), "高一(4)班", "13900000002"),
    rules.StaffContact("s3", "赵主任", frozenset({"duty_leader"}), "", ""),
    rules.StaffContact("s4", "钱校长", frozenset({"principal"}), "", "13900000004"),
]
GUARDIAN = rules.GuardianContact("stu1", "张建国", "13812345678", opted_out=False)


def test_guardian_policy_matrix():
    assert rules.guardian_told("exit_and_return", "exit") and rules.guardian_told("exit_and_return", "return")
    assert not rules.guardian_told("return_only", "exit") and rules.guardian_told("return_only", "return")
    assert not rules.guardian_told("off", "exit") and not rules.guardian_told("off", "return")


def test_guardian_only_by_sms_and_never_when_opted_out():
    drafts = rules.drafts_for_step("slip_exit", "c1", 0, ("guardian",), T0, channels=["wecom", "sms"], staff=STAFF,
                                   guardian=GUARDIAN, params={"student": "张华"})
    assert [(d.channel, d.recipient_role, d.address) for d in drafts] == [("sms", "guardian", "13812345678")]
    opted = rules.GuardianContact("stu1", "张建国", "13812345678", opted_out=True)
    assert rules.drafts_for_step("slip_exit", "c1", 0, ("guardian",), T0, channels=["sms"], staff=STAFF,
                                 guardian=opted) == []
    # Without SMS a guardian cannot be reached: a staff group never gets a guardian's notice.
    assert rules.drafts_for_step("slip_exit", "c1", 0, ("guardian",), T0, channels=["wecom", "dingtalk"], staff=STAFF,
                                 guardian=GUARDIAN) == []


def test_head_teacher_of_the_students_own_class_only():
    drafts = rules.drafts_for_step("overdue", "a1", 0, ("guardian", "head_teacher"), T0, channels=["sms", "wecom"],
                                   staff=STAFF, class_name="高一(3)班", guardian=GUARDIAN)
    sms = sorted(d.recipient_name for d in drafts if d.channel == "sms")
    assert sms == ["张建国", "王老师"]
    (group,) = [d for d in drafts if d.channel == "wecom"]
    assert group.recipient_role == "head_teacher" and group.params["to"] == "王老师" and group.address == ""


def test_staff_without_phone_get_the_group_message_only():
    drafts = rules.drafts_for_step("watchlist_deny", "v1", 0, ("duty_leader",), T0, channels=["sms", "dingtalk"], staff=STAFF)
    assert [(d.channel, d.recipient_name) for d in drafts] == [("dingtalk", "赵主任")]


def test_dedupe_ids_are_stable_and_distinct():
    a = rules.Draft("slip_exit", "c1", 0, "guardian", "stu1", "张建国", "138", "sms", T0)
    again = rules.Draft("slip_exit", "c1", 0, "guardian", "stu1", "张建国", "138", "sms", T0 + timedelta(minutes=5))
    other_channel = rules.Draft("slip_exit", "c1", 0, "guardian", "stu1", "张建国", "138", "wecom", T0)
    assert a.id_for("demo") == again.id_for("demo")
    assert len({a.id_for("demo"), other_channel.id_for("demo"), a.id_for("other-school")}) == 3


def test_ladder_each_step_when_due_and_none_after_an_ack_or_close():
    minutes = [0, 30, 60]
    assert [s for s, _, _ in rules.ladder_steps_due(T0, T0, minutes, acks=[], closed_at=None)] == [0]
    due = rules.ladder_steps_due(T0, T0 + timedelta(minutes=31), minutes, acks=[], closed_at=None)
    assert [(s, role) for s, role, _ in due] == [(0, "head_teacher"), (1, "duty_leader")]
    assert due[1][2] == T0 + timedelta(minutes=30)
    later = rules.ladder_steps_due(T0, T0 + timedelta(minutes=61), minutes, acks=[], closed_at=None)
    assert [role for _, role, _ in later] == ["head_teacher", "duty_leader", "principal"]
    ack = Acknowledgement(0, "s1", "王老师", T0 + timedelta(minutes=5))
    assert rules.ladder_steps_due(T0, T0 + timedelta(minutes=61), minutes, acks=[ack], closed_at=None) == []
    assert rules.ladder_steps_due(T0, T0 + timedelta(minutes=61), minutes, acks=[],
                                  closed_at=T0 + timedelta(minutes=10)) == []


def test_cancel_reasons():
    assert rules.cancel_reason("overdue", returned=True) == "returned"
    assert rules.cancel_reason("overdue", resolved=True) == "resolved"
    assert rules.cancel_reason("missing", acknowledged=True) == "acknowledged"
    assert rules.cancel_reason("missing", closed=True) == "closed"
    assert rules.cancel_reason("slip_exit", returned=True) == ""


def test_backoff_doubles_and_caps():
    assert [rules.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert rules.backoff(20) == timedelta(minutes=15)


def test_rate_limit_per_recipient_hour():
    sent = [T0 - timedelta(minutes=m) for m in (50, 40, 10)]
    assert rules.rate_limit_until(sent, T0, 4) is None
    assert rules.rate_limit_until(sent, T0, 3) == T0 - timedelta(minutes=50) + timedelta(hours=1)
    assert rules.rate_limit_until(sent + [T0 - timedelta(minutes=70)], T0, 4) is None  # older than the hour


def test_after_failure_network_retries_until_stale_refusals_until_max():
    due = T0
    assert rules.after_failure(30, "network", False, T0 + timedelta(hours=2), due, max_attempts=8, expire_hours=24) \
        == ("queued", T0 + timedelta(hours=2) + rules.BACKOFF_MAX)
    assert rules.after_failure(8, "45009", False, T0, due, max_attempts=8, expire_hours=24) == ("failed", None)
    assert rules.after_failure(3, "45009", False, T0, due, max_attempts=8, expire_hours=24)[0] == "queued"
    assert rules.after_failure(1, "93000", True, T0, due, max_attempts=8, expire_hours=24) == ("failed", None)
    assert rules.after_failure(1, "network", False, T0 + timedelta(hours=24), due, max_attempts=8,
                               expire_hours=24) == ("failed", None)


def test_who_is_told_of_what_comes_from_the_settings():
    from kiosk.notify.settings import NotifySettings

    notify = NotifySettings()
    assert rules.event_steps("overdue", notify) == ((0, ("guardian", "head_teacher")), (1, ("duty_leader",)))
    assert rules.event_steps("watchlist_deny", notify) == ((0, ("duty_leader",)),)
    notify.overdue_roles, notify.overdue_later_roles = ["head_teacher"], []
    notify.sample_missing_roles = ["food_safety", "principal"]
    assert rules.event_steps("overdue", notify) == ((0, ("head_teacher",)),)  # no guardian, no later step
    drafts = rules.drafts_for_step("sample_missing", "m1", 0, rules.event_steps("sample_missing", notify)[0][1], T0,
                                   channels=["wecom"], staff=STAFF)
    assert [(d.recipient_role, d.params["to"]) for d in drafts] == [("food_safety,principal", "钱校长")]
