"""Revoking a slip only where it means something: not yet used, or the student is out on it.

`revoke_refusal(status)` is the rule (pure: a slip's status in, the reason to refuse or None out). The office
screen asks it before asking for a reason; kiosk.services.slips_office.revoke_slip applies it to the slip as it is
at that moment (so the CLI is held to it too), after checking who may.
"""
from __future__ import annotations

# A slip used up (back), expired (its leave window is over unused: the gate refuses it anyway) or already
# revoked cannot be revoked: that would put a meaningless record in the file. A slip the student is out on
# CAN be: the leave is called off, so the dorm no longer counts the student as legitimately away and the
# headcount escalates (headcount_rules.GATE_REVOKED_OUT); the gate still lets them back in.
_REFUSALS = {
    "returned": "slips.err_already_returned",
    "expired": "office.revoke_expired",
    "revoked": "slips.err_revoked",
}


def revoke_refusal(status: str) -> str | None:
    """The catalog key saying why a slip in `status` cannot be revoked, or None when it can (pending approval,
    issued, out or overdue)."""
    return _REFUSALS.get(status)
