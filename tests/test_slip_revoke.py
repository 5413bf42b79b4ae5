"""Revoking a slip only while it can still let the student out (the office's F8; kiosk.services.slip_revoke)."""


def test_only_a_slip_not_used_yet_can_be_revoked():
    from kiosk.services.slip_revoke import revoke_refusal

    assert revoke_refusal("issued") is None and revoke_refusal("pending") is None
    assert {status: revoke_refusal(status) for status in ("out", "overdue", "returned", "expired", "revoked")} == {
        "out": "office.revoke_out", "overdue": "office.revoke_out", "returned": "slips.err_already_returned",
        "expired": "office.revoke_expired", "revoked": "slips.err_revoked"}
