"""Pure rules for overnight guests 陪宿 approved ahead: no database, no clock; dates in, answers out.

The head teacher approves a guest during the day at the office for a short range of nights; the dorm
registers the guest on arrival. These functions decide what an approval covers and who may give one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

# A relative stays a few nights (illness, an exam week), not a term: longer stays need a new approval.
MAX_GUEST_NIGHTS = 7
APPROVER_ROLE = "head_teacher"


@dataclass(frozen=True)
class ApprovalRange:
    first_night: date
    last_night: date
    revoked: bool = False


def last_night_of(first_night: date, nights: int) -> date:
    return first_night + timedelta(days=nights - 1)


def range_error(first_night: date, nights: int, today: date) -> str | None:
    """The i18n key saying why this range cannot be approved, or None. Tonight is allowed, the past is not."""
    if nights < 1 or nights > MAX_GUEST_NIGHTS:
        return "dorm.err_ga_nights"
    if first_night < today:
        return "dorm.err_ga_past"
    return None


def covers(approval: ApprovalRange, night: date) -> bool:
    """Whether the approval lets a guest stay on `night` (the evening's date)."""
    return not approval.revoked and approval.first_night <= night <= approval.last_night


def is_current(approval: ApprovalRange, today: date) -> bool:
    """Still of use: tonight or a later night is in its range (revoked ones are shown until they end)."""
    return approval.last_night >= today


def may_approve(roles: frozenset[str], staff_class: str, student_class: str) -> bool:
    """Only the student's own head teacher (Staff.class_name equals the student's class) or an admin."""
    if "admin" in roles:
        return True
    return APPROVER_ROLE in roles and bool(staff_class) and staff_class == student_class


def id_matches(typed_masked: str, approved_masked: str) -> bool:
    """The ID card shown at the dorm, masked the same way, equals the approved one: the same length, and the
    same character wherever both show one (approvals stored before masking had one home hid short numbers
    entirely; they still match on length, as they did)."""
    if not approved_masked or len(typed_masked) != len(approved_masked):
        return False
    return all(a == b for a, b in zip(typed_masked, approved_masked) if a != "*" and b != "*")
