"""The gate with the simulated card reader in a real terminal (tmux): `kiosk run --idcard-sim`, F7 places the demo
card, the form fills from it, the rest is typed key by key, Ctrl+S registers the visitor."""
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
    from tests.test_gate_services import make_school

    settings.database.path = str(path)
    open_database(path)
    try:
        make_school(settings)
    finally:
        close_database()


@pytest.mark.tmux
def test_register_a_visitor_from_the_simulated_card_in_a_real_terminal(have_tmux, tmp_path, settings):
    db = tmp_path / "gate.sqlite3"
    prepare(db, settings)
    session = f"kiosk-idcard-{uuid.uuid4().hex[:8]}"
    env = {"XDG_CONFIG_HOME": tmp_path / "config", "XDG_DATA_HOME": tmp_path / "data", "TERM": "xterm-256color",
           "LANG": "C.UTF-8", "KIOSK_DB": db, "KIOSK_STATION": "gate",
           "KIOSK_GATE__VISITING_HOURS": "00:00-23:59",  # not a night visit, whenever the test runs
           "KIOSK_PRINTER__OUTPUT_DIR": tmp_path / "labels"}
    exports = " ".join(f"{key}={value}" for key, value in env.items())
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40",
                    f"cd {ROOT} && env {exports} .venv/bin/python -m kiosk run --idcard-sim"], check=True)

    def keys(*sent, pause=0.3):
        for key in sent:  # one key at a time, as a person types
            subprocess.run(["tmux", "send-keys", "-t", session, key], check=True)
            time.sleep(0.05)
        time.sleep(pause)

    def type_literal(text):
        for char in text:
            subprocess.run(["tmux", "send-keys", "-t", session, "-l", char], check=True)
            time.sleep(0.05)
        time.sleep(0.3)

    try:
        wait_for(session, "请输入工号", timeout=90)
        type_literal("G001")
        keys("Enter")
        type_literal("111111")
        keys("Enter")
        wait_for(session, "访客登记", timeout=20)
        keys("v")
        wait_for(session, "请把身份证放在读卡器上", timeout=20)
        keys("F7")  # the demo reader places its first card: 李明远's resident ID card
        screen = wait_for(session, "已读取证件：李明远", timeout=20)
        assert "110108198506121239" in screen
        type_literal("13812345678")
        keys("Enter")
        keys("Enter")  # opens the category list
        keys("Down", "Enter")  # 家长 (the cursor stays on the list)
        keys("Tab", "Tab")  # past the unit, to the reason
        type_literal("家长会")
        keys("Enter")
        type_literal("zhl")
        keys("Enter", pause=1.0)
        keys("Enter")  # the first host found
        keys("C-s", pause=1.0)
        wait_for(session, "已登记", timeout=20)
        with sqlite3.connect(db) as check:
            rows = check.execute("SELECT name, id_number, id_type, status FROM visit").fetchall()
        assert rows == [("李明远", "110108198506121239", "resident", "admitted")]
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
