"""The gate with the simulated card reader in a real terminal (tmux): `kiosk run --idcard-sim`, F7 places the demo
card, the form fills from it, the rest is typed key by key, Ctrl+S registers the visitor."""
import sqlite3
import time
from pathlib import Path

import pytest

from tests.tmux_helpers import KIOSK, Terminal, kiosk_env, station_database


def prepare(path: Path, settings) -> None:
    from tests.test_gate_services import make_school

    with station_database(path, settings):
        make_school(settings)


@pytest.mark.tmux
def test_register_a_visitor_from_the_simulated_card_in_a_real_terminal(have_tmux, tmp_path, settings):
    db = tmp_path / "gate.sqlite3"
    prepare(db, settings)
    terminal = Terminal("kiosk-idcard")
    env = kiosk_env(tmp_path, KIOSK_DB=db, KIOSK_STATION="gate",
                    KIOSK_GATE__VISITING_HOURS="00:00-23:59",  # not a night visit, whenever the test runs
                    KIOSK_PRINTER__OUTPUT_DIR=tmp_path / "labels")
    terminal.start(f"{KIOSK} run --idcard-sim", env, 120, 40)

    def keys(*sent, pause=0.3):
        terminal.press(*sent, pause=0.05)  # one key at a time, as a person types
        time.sleep(pause)

    def type_literal(text):
        for char in text:
            terminal.type(char, pause=0.05)
        time.sleep(0.3)

    try:
        terminal.wait_for("请输入工号", timeout=90)
        type_literal("G001")
        keys("Enter")
        type_literal("111111")
        keys("Enter")
        terminal.wait_for("访客登记", timeout=20)
        keys("v")
        terminal.wait_for("请把身份证放在读卡器上", timeout=20)
        keys("F7")  # the demo reader places its first card: 李明远's resident ID card
        screen = terminal.wait_for("已读取证件：李明远", timeout=20)
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
        terminal.wait_for("已登记", timeout=20)
        with sqlite3.connect(db) as check:
            rows = check.execute("SELECT name, id_number, id_type, status FROM visit").fetchall()
        assert rows == [("李明远", "110108198506121239", "resident", "admitted")]
    finally:
        terminal.close()
