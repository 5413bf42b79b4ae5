"""Revoking a slip only where it means something (the office's F8 and `kiosk slip revoke`; kiosk.services.slip_revoke)."""


def test_a_slip_not_used_up_can_be_revoked():
    from kiosk.services.slip_revoke import revoke_refusal

    # out (or overdue) on the slip: revoking calls the leave off, and the dorm escalates instead of counting it
    assert {status: revoke_refusal(status) for status in ("issued", "pending", "out", "overdue")} == dict.fromkeys(
        ("issued", "pending", "out", "overdue"))
    assert {status: revoke_refusal(status) for status in ("returned", "expired", "revoked")} == {
        "returned": "slips.err_already_returned", "expired": "office.revoke_expired", "revoked": "slips.err_revoked"}
