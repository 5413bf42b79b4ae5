"""The canteen station in a real terminal (tmux): log in, open today's meals, record one sample, see the label printed."""
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.test_tmux_smoke import wait_for

ROOT = Path(__file__).resolve().parent.parent


def prepare(path: Path, settings) -> None:
    """A school with one canteen worker (C001 / 333333) and today's breakfast menu, in its own database file."""
    from kiosk.db import close_database, ensure_station_identity, open_database
    from kiosk.models import School, Staff
    from kiosk.services import canteen
    from kiosk.services.actor import Actor
    from kiosk.services.auth import hash_pin
    from kiosk.services.facts import record

    settings.database.path = str(path)
    open_database(path)
    try:
        system = Actor(school_id=settings.school.id, station_id=ensure_station_identity(), staff_name="test")
        with record(system, "test.setup") as w:
            w.insert(School(id=settings.school.id, name=settings.school.name, timezone=settings.school.timezone))
            from kiosk import clock
            w.insert(Staff(school_id=settings.school.id, number="C001", name="王师傅", initials="wsf", roles="canteen",
                           card_code="STAFF-C001", pin_hash=hash_pin("333333"), updated_at=clock.now()))
        cook = Actor(settings.school.id, system.station_id, "setup", staff_name="王师傅", roles=frozenset({"canteen"}))
        meal = canteen.add_meal(cook, settings, canteen.school_today(settings), "breakfast", "23:59")
        canteen.add_dishes(cook, settings, meal, ["白粥", "肉包"])
    finally:
        close_database()


@pytest.mark.tmux
def test_record_one_sample_in_a_real_terminal(have_tmux, tmp_path, settings):
    db = tmp_path / "canteen.sqlite3"
    prepare(db, settings)
    session = f"kiosk-canteen-{uuid.uuid4().hex[:8]}"
    env = {"XDG_CONFIG_HOME": tmp_path / "config", "XDG_DATA_HOME": tmp_path / "data", "TERM": "xterm-256color",
           "LANG": "C.UTF-8", "KIOSK_DB": db, "KIOSK_STATION": "canteen",
           "KIOSK_PRINTER__OUTPUT_DIR": tmp_path / "labels"}
    exports = " ".join(f"{key}={value}" for key, value in env.items())
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "36",
                    f"cd {ROOT} && env {exports} .venv/bin/python -m kiosk run"], check=True)
    try:
        wait_for(session, "请输入工号", timeout=90)

        def keys(*sent):
            subprocess.run(["tmux", "send-keys", "-t", session, *sent], check=True)
            time.sleep(0.4)

        keys("C001", "Enter")
        keys("333333", "Enter")
        wait_for(session, "今日餐次与留样", timeout=20)
        keys("m")
        wait_for(session, "白粥", timeout=20)
        keys("Down")  # from the breakfast row to its first dish
        keys("F2")
        wait_for(session, "重量", timeout=10)
        keys("150", "Enter")
        keys("Enter")
        keys("Enter")
        keys("Enter")
        screen = wait_for(session, "标签已打印", timeout=20)
        assert "已记录：白粥 150 克" in screen
        assert list((tmp_path / "labels").glob("sample-*.png"))
        import sqlite3

        with sqlite3.connect(db) as check:
            assert check.execute("SELECT dish_name, grams, sampler_name FROM sample").fetchall() == [("白粥", 150, "王师傅")]
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
