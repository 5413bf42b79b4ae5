"""A pass slip in a real terminal (tmux): the gatekeeper logs in, scans a signed slip, sees 放行出校,
confirms with Enter, and the exit is in the database."""
from datetime import timedelta
from pathlib import Path

import pytest

from tests.tmux_helpers import KIOSK, Terminal, kiosk_env, station_database


def prepare(path: Path, settings) -> str:
    """A tiny school (office key made in this test's data dir) and one slip valid now; returns its code."""
    from kiosk import clock
    from kiosk.services import slips_office
    from tests.ui.test_slips_ui import make_tiny_school, teacher

    with station_database(path, settings):
        make_tiny_school(settings)
        now = clock.now()
        issued = slips_office.issue_slip(teacher(), settings, student_number="20260101", reason_kind="home",
                                leave_from=now - timedelta(minutes=5), leave_to=now + timedelta(hours=2),
                                return_by=now + timedelta(hours=8), companion_name="张建国", companion_relation="父亲",
                                companion_phone="13900000001")
        return issued.code


@pytest.mark.tmux
def test_scan_one_slip_in_a_real_terminal(have_tmux, tmp_path, settings, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    db = tmp_path / "gate.sqlite3"
    code = prepare(db, settings)
    terminal = Terminal("kiosk-slips")
    terminal.start(f"{KIOSK} run", kiosk_env(tmp_path, KIOSK_DB=db, KIOSK_STATION="gate"))
    try:
        terminal.wait_for("请输入工号", timeout=90)

        def keys(*sent, literal=False):
            terminal.send(*sent, literal=literal, pause=0.4)

        keys("G001", "Enter")
        keys("111111", "Enter")
        terminal.wait_for("学生出入", timeout=20)
        keys("s")
        terminal.wait_for("请扫码", timeout=20)
        keys(code, literal=True)
        keys("Enter")
        screen = terminal.wait_for("放行出校", timeout=20)
        assert "张华丽" in screen and "张建国" in screen
        keys("Enter")
        terminal.wait_for("已记录", timeout=20)
        import sqlite3

        with sqlite3.connect(db) as check:
            assert check.execute("SELECT direction, kind FROM gate_crossing").fetchall() == [("exit", "slip")]
    finally:
        terminal.close()
