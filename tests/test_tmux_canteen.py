"""The canteen station in a real terminal (tmux): log in, open today's meals, record one sample, see the label printed."""
import subprocess
from pathlib import Path

import pytest

from tests.tmux_helpers import KIOSK, ROOT, Terminal, kiosk_env, station_database


def prepare(path: Path, settings) -> None:
    """A school with one canteen worker (C001 / 333333) and today's breakfast menu, in its own database file."""
    from kiosk.db import ensure_station_identity
    from kiosk.models import School, Staff
    from kiosk.services.canteen import core as canteen_core, meals
    from kiosk.services.actor import Actor
    from kiosk.services.auth import hash_pin
    from kiosk.services.facts import record

    with station_database(path, settings):
        system = Actor(school_id=settings.school.id, station_id=ensure_station_identity(), staff_name="test")
        with record(system, "test.setup") as w:
            w.insert(School(id=settings.school.id, name=settings.school.name, timezone=settings.school.timezone))
            from kiosk import clock
            w.insert(Staff(school_id=settings.school.id, number="C001", name="王师傅", initials="wsf", roles="canteen",
                           card_code="STAFF-C001", pin_hash=hash_pin("333333"), updated_at=clock.now()))
        cook = Actor(settings.school.id, system.station_id, "setup", staff_name="王师傅", roles=frozenset({"canteen"}))
        meal = meals.add_meal(cook, settings, canteen_core.school_today(settings), "breakfast", "23:59")
        meals.add_dishes(cook, settings, meal, ["白粥", "肉包"])


@pytest.mark.tmux
def test_record_one_sample_in_a_real_terminal(have_tmux, tmp_path, settings):
    db = tmp_path / "canteen.sqlite3"
    prepare(db, settings)
    terminal = Terminal("kiosk-canteen")
    terminal.start(f"{KIOSK} run", kiosk_env(tmp_path, KIOSK_DB=db, KIOSK_STATION="canteen",
                                            KIOSK_PRINTER__OUTPUT_DIR=tmp_path / "labels"))
    try:
        terminal.wait_for("请输入工号", timeout=90)

        def keys(*sent):
            terminal.send(*sent, pause=0.4)

        keys("C001", "Enter")
        keys("333333", "Enter")
        terminal.wait_for("今日餐次与留样", timeout=20)
        keys("m")
        terminal.wait_for("白粥", timeout=20)
        keys("Down")  # from the breakfast row to its first dish
        keys("F2")
        terminal.wait_for("重量", timeout=10)
        keys("150", "Enter")
        keys("Enter")
        keys("Enter")
        keys("Enter")
        screen = terminal.wait_for("标签已存为图片", timeout=20)
        assert "已记录：白粥 150 克" in screen
        assert list((tmp_path / "labels").glob("sample-*.png"))
        import sqlite3

        with sqlite3.connect(db) as check:
            assert check.execute("SELECT dish_name, grams, sampler_name FROM sample").fetchall() == [("白粥", 150, "王师傅")]
    finally:
        terminal.close()


def prepare_day(path: Path, settings, day) -> None:
    """A canteen worker (C001), a food-safety officer (F001) and three meals with their menus on `day`."""
    from kiosk.db import ensure_station_identity
    from kiosk.models import School, Staff
    from kiosk.services.canteen import meals
    from kiosk.services.actor import Actor
    from kiosk.services.auth import hash_pin
    from kiosk.services.facts import record

    with station_database(path, settings):
        system = Actor(school_id=settings.school.id, station_id=ensure_station_identity(), staff_name="test")
        with record(system, "test.setup") as w:
            from kiosk import clock

            w.insert(School(id=settings.school.id, name=settings.school.name, timezone=settings.school.timezone))
            for number, name, roles, pin in (("C001", "王师傅", "canteen", "333333"),
                                             ("F001", "李安全", "food_safety,canteen", "555555")):
                w.insert(Staff(school_id=settings.school.id, number=number, name=name, roles=roles,
                               pin_hash=hash_pin(pin), updated_at=clock.now()))
        cook = Actor(settings.school.id, system.station_id, "setup", staff_name="王师傅", roles=frozenset({"canteen"}))
        for kind, at, dishes in (("breakfast", "07:00", ["白粥", "肉包"]), ("lunch", "11:50", ["红烧肉", "清炒时蔬"]),
                                 ("dinner", "17:30", ["番茄炒蛋"])):
            meals.add_dishes(cook, settings, meals.add_meal(cook, settings, day, kind, at), dishes)


@pytest.mark.tmux
def test_a_canteen_day_scripted_in_a_real_terminal_matches_the_register(have_tmux, tmp_path, settings):
    """Issue 15: three meals through the real UI at scripted times (KIOSK_CLOCK): breakfast sampled on time,
    lunch sampled 45 min after service with a warm fridge, a dish of each of those meals never sampled, dinner
    on time; 48 h later the breakfast sample is disposed by scanning its label; then a hold over that day.
    `kiosk export samples` and `held_samples` say exactly that."""
    import csv
    import os
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    day = datetime.now(ZoneInfo(settings.school.timezone)).date() + timedelta(days=1)
    db = tmp_path / "canteen.sqlite3"
    prepare_day(db, settings, day)
    def session_at(when: str, steps) -> None:
        terminal = Terminal("kiosk-canteen")
        terminal.start(f"{KIOSK} run", kiosk_env(tmp_path, KIOSK_DB=db, KIOSK_STATION="canteen", KIOSK_CLOCK=when,
                                                KIOSK_PRINTER__OUTPUT_DIR=tmp_path / "labels"))
        try:
            terminal.wait_for("请输入工号", timeout=90)

            def keys(*sent, literal=False):
                terminal.send(*sent, literal=literal, pause=0.3)

            keys("C001", literal=True), keys("Enter"), keys("333333", literal=True), keys("Enter")
            terminal.wait_for("今日餐次与留样", timeout=20)
            steps(terminal, keys)
        finally:
            terminal.close()

    def record_sample(downs: int, grams: str, temperature: str, expect: str):
        def steps(terminal, keys):
            keys("m")
            terminal.wait_for("番茄炒蛋", timeout=20)
            for _ in range(downs):
                keys("Down")
            keys("F2")
            terminal.wait_for("重量", timeout=10)
            keys(grams, literal=True), keys("Enter"), keys("1号柜", literal=True), keys("Enter"), keys("Enter")
            keys(temperature, literal=True), keys("Enter")
            screen = terminal.wait_for("标签已存为图片", timeout=20)
            assert "".join(expect.split()) in "".join(screen.split())  # the message may wrap onto more lines
        return steps

    iso = day.isoformat()
    session_at(f"{iso}T06:40", record_sample(1, "150", "4", "已记录：白粥 150 克"))  # breakfast, on time
    session_at(f"{iso}T12:35", record_sample(4, "160", "10", "开餐后 45 分钟才留样"))  # lunch: late, warm fridge
    session_at(f"{iso}T17:00", record_sample(7, "130", "3", "已记录：番茄炒蛋 130 克"))  # dinner, on time

    import sqlite3

    with sqlite3.connect(db) as check:
        breakfast_code = check.execute("SELECT label_code FROM sample WHERE dish_name = '白粥'").fetchone()[0]

    def dispose(terminal, keys):
        keys("d")
        terminal.wait_for("扫码处理留样", timeout=20)
        for char in "LY" + breakfast_code:  # a scanner: one key at a time, quickly
            terminal.type(char)
        keys("Enter")
        terminal.wait_for("密码", timeout=20)
        keys("F001", literal=True), keys("Enter"), keys("555555", literal=True), keys("Enter")
        terminal.wait_for("已处理", timeout=20)

    session_at(f"{(day + timedelta(days=2)).isoformat()}T07:00", dispose)  # 48 h 20 min later

    # The food-safety incident: the admin's hold over that day (the service the holds screen calls).
    from kiosk.db import close_database, open_database
    from kiosk.services.canteen import holds
    from kiosk.services.actor import Actor

    open_database(db)
    try:
        admin = Actor(settings.school.id, "st-office", "admin-1", staff_name="赵管理", roles=frozenset({"admin"}))
        holds.set_hold(admin, settings, day, day, "学生腹泻")
    finally:
        close_database()

    def export(kind: str) -> list[list[str]]:
        out = tmp_path / f"{kind}.csv"
        done = subprocess.run([f"{ROOT}/.venv/bin/python", "-m", "kiosk", "export", kind, "--from", iso, "--to", iso,
                               "--format", "csv", "-o", str(out), "--db", str(db)],
                              capture_output=True, text=True, env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "c"),
                                   "KIOSK_CLOCK": f"{(day + timedelta(days=2)).isoformat()}T07:30"})
        assert done.returncode == 0, done.stderr
        return list(csv.reader(out.open(encoding="utf-8-sig")))

    register = export("samples")
    header, rows = register[0], {row[2]: row for row in register[1:]}
    assert header[-2:] == ["标签码", "备注"]
    assert set(rows) == {"白粥", "肉包", "红烧肉", "清炒时蔬", "番茄炒蛋"}
    assert rows["白粥"][-1] == "" and rows["白粥"][-2] == "LY" + breakfast_code  # as printed under the label's QR
    assert (rows["白粥"][10], rows["白粥"][11]) == ("王师傅", "李安全") and rows["白粥"][9].startswith(
        (day + timedelta(days=2)).isoformat())  # disposer, reviewer, when
    assert rows["肉包"][-1] == "未留样（违规）" and rows["清炒时蔬"][-1] == "未留样（违规）"
    assert "开餐后 45 分钟才留样" in rows["红烧肉"][-1] and "冰箱温度 10.0 摄氏度" in rows["红烧肉"][-1]
    assert rows["番茄炒蛋"][-1] == "封存中" and rows["番茄炒蛋"][3] == "130"  # held; on time, fridge fine
    held = export("held_samples")
    by_dish = {row[2]: row for row in held[1:]}
    assert by_dish["红烧肉"][-1] == "学生腹泻" and by_dish["番茄炒蛋"][-1] == "学生腹泻"
    assert by_dish["白粥"][-1].startswith("已处理，无法封存（王师傅，")
