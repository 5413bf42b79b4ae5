"""Revoking a slip only where it means something: a slip that can still let the student out.

`revoke_refusal(status)` is the rule (pure: a slip's status in, the reason to refuse or None out);
`revoke(actor, slip_id, reason)` is what the office calls: it checks the rule on the slip as it is now,
then revokes (kiosk.services.slips.revoke_slip checks who may and records it).
"""
from __future__ import annotations

# A used-up slip (the student is back) and an expired one (its leave window is over, the gate refuses it
# anyway) cannot let anyone out again: revoking them would put a meaningless record in the file.
_REFUSALS = {
    "returned": "slips.err_already_returned",
    "expired": "office.revoke_expired",
    "revoked": "slips.err_revoked",
}


def revoke_refusal(status: str) -> str | None:
    """The catalog key saying why a slip in `status` cannot be revoked, or None when it can (issued, pending
    approval, or out: an out slip is revoked so the office's record says so; the gate still lets them back)."""
    return _REFUSALS.get(status)


def revoke(actor, slip_id: str, reason: str):
    """Revoke the slip if that still means something; SlipError (nothing written) if not."""
    from kiosk.services import slips

    view = slips.slip_view(actor.school_id, slip_id)
    refusal = revoke_refusal(view.status)
    if refusal is not None:
        raise slips.SlipError(refusal, name=view.student_name)
    return slips.revoke_slip(actor, slip_id, reason)
