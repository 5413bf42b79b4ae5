"""The demo week shows the two-step 陪宿 flow: approved at the office, registered at the dorm with one PIN."""
from __future__ import annotations

from datetime import date

from kiosk.models.dorm import GuestApproval, OvernightGuest
from kiosk.services import headcount_guest_approvals

from tests.test_dorm_feature import seeded  # noqa: F401  (fixture)
from tests.test_headcount_service import bare_school  # noqa: F401  (fixture)


def test_demo_guest_was_approved_at_the_office_and_the_approval_still_covers_tonight(seeded):
    (approval,) = GuestApproval.select()
    (guest,) = OvernightGuest.select()
    assert guest.approval_id == approval.id and guest.teacher_name == approval.teacher_name
    assert (approval.first_night, approval.last_night) == ("2026-11-17", "2026-11-18")
    (view,) = headcount_guest_approvals.class_approvals("demo", approval.student.class_name, date(2026, 11, 18))
    assert view.nights_used == (date(2026, 11, 17),) and view.covers(date(2026, 11, 18))
