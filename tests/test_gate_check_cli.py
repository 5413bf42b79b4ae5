"""`kiosk gate check CODE`: a turnstile's question. It writes nothing unless --record, and its exit
status tells allow (0) from refuse (3) from an error (1, 2)."""
from __future__ import annotations

import json
from datetime import timedelta

from kiosk import clock
from kiosk.cli import main
from kiosk.models import AuditEntry
from kiosk.models.slips import GateCrossing, GateScan
from kiosk.services import slips_office
from tests.ui.test_slips_ui import teacher, tiny  # noqa: F401  (fixture)


def slip_code(settings) -> str:
    now = clock.now()
    return slips_office.issue_slip(teacher(), settings, student_number="20260101", reason_kind="home",
                          leave_from=now - timedelta(minutes=5), leave_to=now + timedelta(hours=2),
                          return_by=now + timedelta(hours=8), companion_name="张建国", companion_relation="父亲",
                          companion_phone="13900000001").code


def written() -> tuple[int, int, int]:
    return GateScan.select().count(), GateCrossing.select().count(), AuditEntry.select().count()


def test_check_without_record_writes_nothing_and_exits_3_on_a_refusal(tiny, capsys):
    """Defect 8: refusals were written (the office saw them with an empty gatekeeper) and the exit was 0."""
    db = ["--db", tiny.database.path]
    assert main(["gate", "check", *db, "20260101", "--direction", "out", "--json"]) == 3  # boarder, no slip
    assert json.loads(capsys.readouterr().out)["reason_code"] == "boarder_no_slip"
    code = slip_code(tiny)
    before = written()
    assert main(["gate", "check", *db, "NOSUCHCODE"]) == 3
    assert "拒绝" in capsys.readouterr().out
    assert main(["gate", "check", *db, code, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["recorded"] is None
    assert written() == before
    assert GateScan.select().count() == 0


def test_check_with_record_logs_the_scan_and_records_the_crossing(tiny, capsys):
    code = slip_code(tiny)
    db = ["--db", tiny.database.path]
    assert main(["gate", "check", *db, code, "--record"]) == 2  # no --staff: a usage error, nothing written
    assert GateScan.select().count() == 0
    assert main(["gate", "check", *db, code, "--record", "--staff", "G001", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["recorded"]["direction"] == "exit"
    assert (GateScan.select().count(), GateCrossing.select().count()) == (1, 1)
    assert GateScan.get().staff_id is not None
    assert main(["gate", "check", *db, "NOSUCHCODE", "--record", "--staff", "G001"]) == 3
    assert GateScan.select().where(GateScan.verdict == "refuse").count() == 1


def test_a_verdict_that_needs_the_gatekeeper_exits_3_and_records_nothing(tiny, capsys):
    """A day student outside hours with gate.day_student_outside_hours = "confirm": a turnstile cannot
    confirm, so it is not an allow (exit 3), and --record does not record the crossing."""
    db = ["--db", tiny.database.path]
    env = {"KIOSK_GATE__DAY_STUDENT_HOURS": "1-5 06:30-07:50,16:30-22:00", "KIOSK_GATE__DAY_STUDENT_OUTSIDE_HOURS": "confirm"}
    import os
    from unittest import mock

    with mock.patch.dict(os.environ, env):
        assert main(["gate", "check", *db, "20260102", "--json", "--record", "--staff", "G001"]) == 3
    result = json.loads(capsys.readouterr().out)
    assert (result["verdict"], result["flags"], result["needs_confirmation"], result["recorded"]) == (
        "return", ["outside_hours"], True, None)
    assert (GateScan.select().count(), GateCrossing.select().count()) == (1, 0)
