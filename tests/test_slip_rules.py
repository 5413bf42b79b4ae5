"""The gate's verdicts as pure functions: every slip state and boundary, cards, lending, the ladder."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from kiosk.config import Settings
from kiosk.services import slip_rules
from kiosk.services.slip_codec import CodecError, DecodedSlip, SlipPayload
from kiosk.services.slip_rules import Crossing, SlipState, StudentInfo, card_verdict, required_roles, slip_verdict

UTC = timezone.utc
WED_10 = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)  # Wednesday 10:00 Shanghai
SETTINGS = Settings()
BOARDER = StudentInfo("stu-1", "20260101", "张华丽", "高一(1)班", True, True, "女生1号楼 101", "13800000000")
DAY = StudentInfo("stu-2", "20260102", "李明", "高一(1)班", False, True)
SLIP = "0196f0a0-1c2b-7d3e-8f40-123456789abc"
PAYLOAD = SlipPayload(1, SLIP, BOARDER.number, WED_10 - timedelta(hours=1), WED_10 + timedelta(hours=2),
                      WED_10 + timedelta(days=1))
OK = DecodedSlip(PAYLOAD)
APPROVED = SlipState(SLIP, approved=True, revoked=False)


def verdict(now=WED_10, decoded=OK, state=APPROVED, student=BOARDER, crossings=()):
    return slip_verdict(now, decoded, state, student, list(crossings), SETTINGS)


def test_valid_slip_allows_exit():
    v = verdict()
    assert (v.kind, v.reason_code, v.slip_id) == ("exit", "slip_exit", SLIP)
    assert v.args["until"] == "11-19 10:00"


@pytest.mark.parametrize("reason,code", [("damaged", "damaged"), ("bad_signature", "forged"),
                                         ("unknown_key", "unknown_key")])
def test_codec_errors_refuse(reason, code):
    v = verdict(decoded=CodecError(reason))
    assert (v.kind, v.reason_code) == ("refuse", code)


def test_window_boundaries_inclusive():
    assert verdict(now=PAYLOAD.leave_from).kind == "exit"
    assert verdict(now=PAYLOAD.leave_from - timedelta(seconds=1)).reason_code == "not_yet_valid"
    assert verdict(now=PAYLOAD.leave_to).kind == "exit"
    assert verdict(now=PAYLOAD.leave_to + timedelta(seconds=1)).reason_code == "expired"


def test_student_states():
    assert verdict(student=None).reason_code == "unknown_student"
    inactive = StudentInfo(**{**BOARDER.__dict__, "active": False})
    assert verdict(student=inactive).reason_code == "inactive"
    assert verdict(student=DAY).reason_code == "not_boarder"


def test_revoked_and_waiting():
    assert verdict(state=SlipState(SLIP, True, True)).reason_code == "revoked"
    assert verdict(state=SlipState(SLIP, False, False)).reason_code == "waiting_approval"


def test_unsynced_slip_trusts_signature_and_its_approval_flag():
    assert verdict(state=None).kind == "exit"
    needs = DecodedSlip(SlipPayload(**{**PAYLOAD.__dict__, "flags": 1}))
    assert verdict(decoded=needs, state=None).reason_code == "waiting_approval"
    assert verdict(decoded=needs, state=APPROVED).kind == "exit"


def test_return_after_exit_then_replay_refused():
    out = [Crossing("exit", "slip", WED_10, SLIP)]
    back = verdict(now=WED_10 + timedelta(hours=3), crossings=out)
    assert (back.kind, back.reason_code) == ("return", "slip_return")
    late = verdict(now=PAYLOAD.return_by + timedelta(minutes=75), crossings=out)
    assert (late.kind, late.reason_code, late.args["minutes"], late.flags) == ("return", "slip_return_late", 75, ("late",))
    # Revoked while out: the student is still let back in.
    assert verdict(now=WED_10 + timedelta(hours=3), crossings=out, state=SlipState(SLIP, True, True)).kind == "return"
    used = out + [Crossing("return", "slip", WED_10 + timedelta(hours=4), SLIP)]
    replay = verdict(now=WED_10 + timedelta(hours=1), crossings=used)
    assert (replay.kind, replay.reason_code) == ("refuse", "already_used")


def test_other_slips_crossings_do_not_count():
    other = [Crossing("exit", "slip", WED_10 - timedelta(days=3), "other-slip"),
             Crossing("return", "slip", WED_10 - timedelta(days=2), "other-slip")]
    assert verdict(crossings=other).kind == "exit"


def test_slip_status_every_state():
    status = slip_rules.slip_status
    assert status(WED_10, APPROVED, PAYLOAD, []) == "issued"
    assert status(WED_10, SlipState(SLIP, False, False), PAYLOAD, []) == "pending"
    assert status(WED_10, SlipState(SLIP, True, True), PAYLOAD, []) == "revoked"
    assert status(PAYLOAD.leave_to + timedelta(minutes=1), APPROVED, PAYLOAD, []) == "expired"
    out = [Crossing("exit", "slip", WED_10, SLIP)]
    assert status(WED_10, APPROVED, PAYLOAD, out) == "out"
    assert status(PAYLOAD.return_by + timedelta(minutes=1), APPROVED, PAYLOAD, out) == "overdue"
    assert status(WED_10, APPROVED, PAYLOAD, out + [Crossing("return", "slip", WED_10, SLIP)]) == "returned"


@pytest.mark.parametrize("days,roles", [
    (1, ("head_teacher",)), (3, ("head_teacher",)), (3.01, ("head_teacher", "discipline")),
    (7, ("head_teacher", "discipline")), (7.01, ("head_teacher", "discipline", "principal")),
    (30, ("head_teacher", "discipline", "principal")),
])
def test_approval_ladder(days, roles):
    assert required_roles(WED_10, WED_10 + timedelta(days=days), SETTINGS) == roles


def test_approval_ladder_follows_settings():
    custom = Settings()
    custom.slips.head_teacher_max_days = 1
    assert required_roles(WED_10, WED_10 + timedelta(days=2), custom) == ("head_teacher", "discipline")


def test_closed_management_window():
    closed = slip_rules.in_closed_management
    assert closed(WED_10, SETTINGS)
    monday_0659 = datetime(2026, 11, 15, 22, 59, tzinfo=UTC)  # Mon 06:59 Shanghai
    assert not closed(monday_0659, SETTINGS)
    assert closed(monday_0659 + timedelta(minutes=1), SETTINGS)
    friday_1630 = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    assert closed(friday_1630 - timedelta(minutes=1), SETTINGS)
    assert not closed(friday_1630, SETTINGS)
    assert not closed(datetime(2026, 11, 21, 4, 0, tzinfo=UTC), SETTINGS)  # Saturday


def test_boarder_card_refused_in_closed_management_with_readable_reason():
    from kiosk.services.slips import reason_message

    v = card_verdict(WED_10, BOARDER, [], SETTINGS, "exit")
    assert (v.kind, v.reason_code) == ("refuse", "boarder_no_slip")
    assert str(reason_message(v)) == "寄宿生 · 周三 · 无有效出门条"
    saturday = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)
    assert card_verdict(saturday, BOARDER, [], SETTINGS, "exit").kind == "exit"
    assert card_verdict(WED_10, BOARDER, [], SETTINGS, "return").kind == "return"


def test_boarder_card_return_closes_open_slip():
    out = [Crossing("exit", "slip", WED_10 - timedelta(hours=2), SLIP)]
    v = card_verdict(WED_10, BOARDER, out, SETTINGS, "return")
    assert (v.kind, v.reason_code, v.slip_id) == ("return", "slip_return_card", SLIP)


def test_day_student_hours_and_lending():
    assert card_verdict(WED_10, DAY, [], SETTINGS, "return").kind == "return"
    night = datetime(2026, 11, 18, 14, 30, tzinfo=UTC)  # 22:30
    assert card_verdict(night, DAY, [], SETTINGS, "exit").reason_code == "outside_hours"
    early = datetime(2026, 11, 17, 22, 30, tzinfo=UTC)  # 06:30 boundary: allowed
    assert card_verdict(early, DAY, [], SETTINGS, "return").kind == "return"
    came_in = [Crossing("return", "day_card", WED_10 - timedelta(hours=2))]
    lent = card_verdict(WED_10, DAY, came_in, SETTINGS, "return")
    assert lent.kind == "return" and lent.flags == ("card_lending",)
    normal = card_verdict(WED_10, DAY, came_in, SETTINGS, "exit")
    assert normal.flags == ()
    back_and_forth = came_in + [Crossing("exit", "day_card", WED_10 - timedelta(hours=1))]
    assert card_verdict(WED_10, DAY, back_and_forth, SETTINGS, "return").flags == ()


def test_card_unknown_and_inactive():
    assert card_verdict(WED_10, None, [], SETTINGS, "exit").reason_code == "unknown_student"
    inactive = StudentInfo(**{**DAY.__dict__, "active": False})
    assert card_verdict(WED_10, inactive, [], SETTINGS, "exit").reason_code == "inactive"


def test_overdue_minutes():
    assert slip_rules.overdue_minutes(WED_10, WED_10 + timedelta(minutes=5)) == 0
    assert slip_rules.overdue_minutes(WED_10 + timedelta(minutes=61), WED_10) == 61
    assert slip_rules.overdue_minutes(WED_10 + timedelta(days=1), WED_10, WED_10 + timedelta(minutes=30)) == 30


def test_every_refusal_has_both_translations():
    from kiosk.i18n import catalog

    for code in slip_rules.REFUSALS:
        assert f"slips.reason_{code}" in catalog("zh-CN") and f"slips.reason_{code}" in catalog("en")


def test_slip_use_is_the_one_state_machine_of_a_slip():
    """Issue 12: one home for "one exit and one return per slip"; the status and the verdict read it."""
    from kiosk.services.slip_rules import SlipPhase, slip_use

    approved = SlipState(SLIP, approved=True, revoked=False)
    revoked = SlipState(SLIP, approved=True, revoked=True)
    out = Crossing("exit", "slip", WED_10 - timedelta(minutes=5), SLIP)
    back = Crossing("return", "slip", WED_10 + timedelta(minutes=30), SLIP)
    other = Crossing("exit", "slip", WED_10, "another-slip")
    late = PAYLOAD.return_by + timedelta(minutes=1)
    assert slip_use(WED_10, approved, PAYLOAD, [other]).phase == SlipPhase.ISSUED
    assert slip_use(WED_10, approved, PAYLOAD, [out]).phase == SlipPhase.OUT
    assert slip_use(late, approved, PAYLOAD, [out]).phase == SlipPhase.OVERDUE
    assert slip_use(late, revoked, PAYLOAD, [out]).phase == SlipPhase.OVERDUE  # revoked while out: still comes back
    assert slip_use(WED_10, approved, PAYLOAD, [back, out]).phase == SlipPhase.RETURNED
    assert slip_use(WED_10, revoked, PAYLOAD, []).phase == SlipPhase.REVOKED
    assert slip_use(PAYLOAD.leave_to + timedelta(seconds=1), approved, PAYLOAD, []).phase == SlipPhase.EXPIRED
    assert slip_use(WED_10, SlipState(SLIP, approved=False, revoked=False), PAYLOAD, []).phase == SlipPhase.PENDING
    assert slip_rules.slip_status(WED_10, approved, PAYLOAD, [out]) == "out"


def test_a_slip_scanned_again_just_after_its_exit_is_refused_not_a_return():
    """A student scanning twice at the gate: the second scan is not a return a habitual Enter could record."""
    out = Crossing("exit", "slip", WED_10, SLIP)
    again = verdict(now=WED_10 + timedelta(seconds=40), crossings=[out])
    assert (again.kind, again.reason_code) == ("refuse", "just_exited")
    later = verdict(now=WED_10 + timedelta(minutes=SETTINGS.gate.slip_rescan_minutes), crossings=[out])
    assert later.kind == "return"
