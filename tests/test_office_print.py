"""What the office says after printing a slip is what happened: saved to a file (no printer), printed on a
printer, or the printer is missing (the slip stays issued)."""
from __future__ import annotations

import pytest

from kiosk import i18n
from kiosk.services.slip_print import issue_and_print
from tests.ui.test_slips_ui import make_tiny_school, svc_settings, teacher


@pytest.fixture
def school(db, settings, frozen_now):
    svc_settings["s"] = settings
    yield make_tiny_school(settings)
    svc_settings.clear()


def issue_now(settings):
    from kiosk import clock
    from datetime import timedelta

    now = clock.now()
    return issue_and_print(teacher(), settings, student_number="20260101", reason_kind="home", leave_from=now,
                           leave_to=now + timedelta(hours=2), return_by=now + timedelta(hours=5))


def test_no_printer_says_saved_to_a_file_not_printed(school):
    i18n.set_language("zh-CN")
    done = issue_now(school)
    assert done.print_error is None and done.printed.printed_on == ""
    said = str(done.printed.as_msg())
    assert done.printed.saved_to in said and "没有打印" in said and "已打印" not in said
    i18n.set_language("en")
    assert "not printed" in str(done.printed.as_msg())
    i18n.set_language("zh-CN")


def test_a_printer_says_which_printer(school, tmp_path):
    device = tmp_path / "usb-lp0"
    device.write_bytes(b"")
    school.printer.backend, school.printer.device = "tspl", str(device)
    done = issue_now(school)
    assert done.printed.printed_on == str(device) and device.read_bytes().startswith(b"SIZE")
    assert str(device) in str(done.printed.as_msg()) and done.printed.saved_to.endswith(".png")


def test_a_missing_printer_keeps_the_slip_and_says_what_to_do(school, tmp_path):
    school.printer.backend, school.printer.device = "tspl", str(tmp_path / "no-such-printer")
    done = issue_now(school)
    assert done.printed is None and done.where == "" and done.issued.slip.student_name == "张华丽"
    assert done.print_error.key == "labels.printer_missing"

