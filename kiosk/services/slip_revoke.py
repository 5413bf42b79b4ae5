"""Revoking a slip only where it means something: a slip that can still let the student out.

`revoke_refusal(status)` is the rule (pure: a slip's status in, the reason to refuse or None out);
`revoke(actor, slip_id, reason)` is what the office calls: it checks the rule on the slip as it is now,
then revokes (kiosk.services.slips.revoke_slip checks who may and records it).
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


def revoke(actor, slip_id: str, reason: str):
    """Revoke the slip if that still means something; SlipError (nothing written) if not."""
    from kiosk.services import slips

    view = slips.slip_view(actor.school_id, slip_id)
    refusal = revoke_refusal(view.status)
    if refusal is not None:
        raise slips.SlipError(refusal, name=view.student_name)
    return slips.revoke_slip(actor, slip_id, reason)
