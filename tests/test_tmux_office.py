"""The office in a real terminal (tmux, 80x24): a head teacher finds a student by full pinyin, sees who it is,
issues the slip with F2, and is told the slip was saved as a picture (no printer), not "printed"."""
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.test_tmux_smoke import wait_for

ROOT = Path(__file__).resolve().parent.parent


def prepare(path: Path, settings) -> None:
    from kiosk.db import close_database, open_database
    from kiosk.models import Student
    from kiosk.services.names import pinyin_initials
    from tests.ui.test_slips_ui import make_tiny_school

    settings.database.path = str(path)
    open_database(path)
    try:
        make_tiny_school(settings)
        for student in Student.select():
            Student.update(initials=pinyin_initials(student.name)).where(Student.id == student.id).execute()
    finally:
        close_database()


@pytest.mark.tmux
def test_issue_a_slip_at_80x24_in_a_real_terminal(have_tmux, tmp_path, settings, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    db = tmp_path / "office.sqlite3"
    prepare(db, settings)
    session = f"kiosk-office-{uuid.uuid4().hex[:8]}"
    env = {"XDG_CONFIG_HOME": tmp_path / "config", "XDG_DATA_HOME": tmp_path / "data", "TERM": "xterm-256color",
           "LANG": "C.UTF-8", "KIOSK_DB": db, "KIOSK_STATION": "office"}
    exports = " ".join(f"{key}={value}" for key, value in env.items())
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24",
                    f"cd {ROOT} && env {exports} .venv/bin/python -m kiosk run"], check=True)
    try:
        wait_for(session, "请输入工号", timeout=90)

        def keys(*sent, literal=False):
            subprocess.run(["tmux", "send-keys", "-t", session, *(["-l"] if literal else []), *sent], check=True)
            time.sleep(0.4)

        keys("T001", "Enter")
        keys("444444", "Enter")
        wait_for(session, "开具出门条", timeout=20)
        keys("i")
        wait_for(session, "学生（姓名、学号或拼音）", timeout=20)
        keys("zhanghuali", literal=True)
        screen = wait_for(session, "签发给", timeout=20)
        assert "张华丽" in screen and "女生1号楼 305" in screen and "张建国" in screen  # who it is, before signing
        keys("F2")
        screen = wait_for(session, "未接打印机", timeout=20)
        assert screen.count("已签发") == 1 and "已打印" not in screen
        with sqlite3.connect(db) as check:
            assert check.execute("SELECT student_number FROM pass_slip").fetchall() == [("20260101",)]
        keys("Escape")  # the issue is done: Esc leaves without asking to discard
        wait_for(session, "按左侧按键进入功能", timeout=20)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
