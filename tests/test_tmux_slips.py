"""A pass slip in a real terminal (tmux): the gatekeeper logs in, scans a signed slip, sees 放行出校,
confirms with Enter, and the exit is in the database."""
import subprocess
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from tests.test_tmux_smoke import wait_for

ROOT = Path(__file__).resolve().parent.parent


def prepare(path: Path, settings) -> str:
    """A tiny school (office key made in this test's data dir) and one slip valid now; returns its code."""
    from kiosk import clock
    from kiosk.db import close_database, open_database
    from kiosk.services import slips_office
    from tests.ui.test_slips_ui import make_tiny_school, teacher

    settings.database.path = str(path)
    open_database(path)
    try:
        make_tiny_school(settings)
        now = clock.now()
        issued = slips_office.issue_slip(teacher(), settings, student_number="20260101", reason_kind="home",
                                leave_from=now - timedelta(minutes=5), leave_to=now + timedelta(hours=2),
                                return_by=now + timedelta(hours=8), companion_name="张建国", companion_relation="父亲",
                                companion_phone="13900000001")
        return issued.code
    finally:
        close_database()


@pytest.mark.tmux
def test_scan_one_slip_in_a_real_terminal(have_tmux, tmp_path, settings, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    db = tmp_path / "gate.sqlite3"
    code = prepare(db, settings)
    session = f"kiosk-slips-{uuid.uuid4().hex[:8]}"
    env = {"XDG_CONFIG_HOME": tmp_path / "config", "XDG_DATA_HOME": tmp_path / "data", "TERM": "xterm-256color",
           "LANG": "C.UTF-8", "KIOSK_DB": db, "KIOSK_STATION": "gate"}
    exports = " ".join(f"{key}={value}" for key, value in env.items())
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "36",
                    f"cd {ROOT} && env {exports} .venv/bin/python -m kiosk run"], check=True)
    try:
        wait_for(session, "请输入工号", timeout=90)

        def keys(*sent, literal=False):
            subprocess.run(["tmux", "send-keys", "-t", session, *(["-l"] if literal else []), *sent], check=True)
            time.sleep(0.4)

        keys("G001", "Enter")
        keys("111111", "Enter")
        wait_for(session, "学生出入", timeout=20)
        keys("s")
        wait_for(session, "请扫码", timeout=20)
        keys(code, literal=True)
        keys("Enter")
        screen = wait_for(session, "放行出校", timeout=20)
        assert "张华丽" in screen and "张建国" in screen
        keys("Enter")
        wait_for(session, "已记录", timeout=20)
        import sqlite3

        with sqlite3.connect(db) as check:
            assert check.execute("SELECT direction, kind FROM gate_crossing").fetchall() == [("exit", "slip")]
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
