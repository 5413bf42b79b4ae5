"""Revoking a slip only where it means something: a slip that can still let the student out.

`revoke_refusal(status)` is the rule (pure: a slip's status in, the reason to refuse or None out). The office
screen asks it before asking for a reason; kiosk.services.slips_office.revoke_slip applies it to the slip as it is
at that moment (so the CLI is held to it too), after checking who may.
"""
from __future__ import annotations

# Only a slip that can still let the student out can be revoked. A used-up slip (back), an expired one (its
# leave window is over: the gate refuses it anyway) and one already used to go out (the gate lets the student
# back whatever the office does, and a return after a revocation is listed as a conflict to review) cannot:
# revoking them would put a meaningless record in the file.
_REFUSALS = {
    "returned": "slips.err_already_returned",
    "expired": "office.revoke_expired",
    "revoked": "slips.err_revoked",
    "out": "office.revoke_out",
    "overdue": "office.revoke_out",
}


def revoke_refusal(status: str) -> str | None:
    """The catalog key saying why a slip in `status` cannot be revoked, or None when it can (issued, or pending
    approval: not used yet)."""
    return _REFUSALS.get(status)
