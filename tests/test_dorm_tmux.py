"""The dorm station in a real terminal (tmux): log in, open tonight's headcount, count one room with Enter."""
from __future__ import annotations

import subprocess
import time

import pytest

from kiosk import clock
from tests.tmux_helpers import ROOT, Terminal, kiosk_env, log_in, start, wait_for
from tests.ui.test_dorm import build_tiny_dorm


@pytest.fixture
def tmux_session(have_tmux):
    terminal = Terminal("kiosk-dorm")
    yield terminal.session
    terminal.close()


@pytest.mark.tmux
def test_count_one_room_in_a_real_terminal(db, settings, tmux_session, tmp_path):
    build_tiny_dorm(settings, clock.now())
    env = kiosk_env(tmp_path, KIOSK_STATION__BUILDING="男生1号楼")
    start(tmux_session, f"{ROOT}/.venv/bin/python -m kiosk run --station dorm --db {settings.database.path}", env)
    wait_for(tmux_session, "请输入工号", timeout=120)
    log_in(tmux_session, "D001", "222222", timeout=30)
    subprocess.run(["tmux", "send-keys", "-t", tmux_session, "r"], check=True)
    screen = wait_for(tmux_session, "第 1 轮查寝", timeout=30)
    assert "男生1号楼" in screen and "房间 0/3" in screen
    subprocess.run(["tmux", "send-keys", "-t", tmux_session, "Enter"], check=True)
    screen = wait_for(tmux_session, "101 全到 6 人", timeout=30)
    assert "房间 1/3" in screen


@pytest.mark.tmux
def test_a_scripted_22_30_round_through_the_real_ui(db, settings, tmux_session, tmp_path):
    """Issue 15: KIOSK_CLOCK runs the station at another time (a test database), shown on the status bar."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(settings.school.timezone)
    evening = datetime.now(zone).date() + timedelta(days=1)
    build_tiny_dorm(settings, clock.now())
    env = kiosk_env(tmp_path, KIOSK_STATION__BUILDING="男生1号楼", KIOSK_CLOCK=f"{evening.isoformat()}T22:30")
    start(tmux_session, f"{ROOT}/.venv/bin/python -m kiosk run --station dorm --db {settings.database.path}", env)
    screen = wait_for(tmux_session, "请输入工号", timeout=120)
    assert f"模拟 {evening:%m-%d} 22:3" in screen
    log_in(tmux_session, "D001", "222222", timeout=30)
    subprocess.run(["tmux", "send-keys", "-t", tmux_session, "r"], check=True)
    screen = wait_for(tmux_session, "第 1 轮查寝", timeout=30)
    assert evening.isoformat() in screen  # tonight's round is the scripted evening's


def _setup_night(settings, night):
    """The tiny building plus what makes a real night: an overdue boarder (room 102) and a guest approved at the
    office for a boarder of room 103."""
    from datetime import datetime, time as clock_time, timedelta
    from zoneinfo import ZoneInfo

    from kiosk.models import Staff
    from kiosk.services import headcount_guest_approvals
    from kiosk.services.actor import Actor
    from tests.ui.test_dorm import leave_on_a_slip

    zone = ZoneInfo(settings.school.timezone)
    build_tiny_dorm(settings, clock.now())
    at = lambda hour: datetime.combine(night, clock_time(hour, 0), zone)  # noqa: E731
    leave_on_a_slip("20250112", at(8), at(20))  # due back at 20:00: 150 min late at 22:30
    teacher = Staff.get(Staff.number == "T001")
    with clock.frozen_at(at(9)):
        headcount_guest_approvals.approve_guest(Actor(school_id="demo", station_id="st-office", staff_id=teacher.id, roles=teacher.role_set()),
                         zone, "20250113", "王芳", "110101199003074514", "母亲", night, 1)
    return at


@pytest.mark.tmux
def test_a_dorm_night_scripted_in_a_real_terminal_matches_the_report(db, settings, tmux_session, tmp_path):
    """Issue 15: a whole building at 22:30 (KIOSK_CLOCK): complete rooms, a short count naming who is missing,
    an overdue boarder, an unknown escalated and closed, a guest with and one without approval, submit; then
    `kiosk report headcount --json` says what was done, each absent student with one of the six reasons."""
    import json
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(settings.school.timezone)
    night = datetime.now(zone).date() + timedelta(days=1)
    _setup_night(settings, night)
    env = kiosk_env(tmp_path, KIOSK_STATION__BUILDING="男生1号楼", KIOSK_CLOCK=f"{night.isoformat()}T22:30")
    start(tmux_session, f"{ROOT}/.venv/bin/python -m kiosk run --station dorm --db {settings.database.path}", env)

    def send(*keys: str) -> None:
        for key in keys:
            subprocess.run(["tmux", "send-keys", "-t", tmux_session, key], check=True)
            time.sleep(0.25)

    def type_(text: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", tmux_session, "-l", text], check=True)
        time.sleep(0.3)

    def pin(number: str | None, code: str) -> None:
        wait_for(tmux_session, "密码", timeout=20)
        if number is not None:
            type_(number)
            send("Enter")
        type_(code)
        send("Enter")

    wait_for(tmux_session, "请输入工号", timeout=120)
    type_("D001"), send("Enter"), type_("222222"), send("Enter")
    screen = wait_for(tmux_session, "值班：", timeout=30)
    assert f"模拟 {night:%m-%d} 22:3" in screen  # the status bar says the clock is scripted
    send("r")
    wait_for(tmux_session, "第 1 轮查寝", timeout=30)
    send("Enter")  # room 101 complete
    wait_for(tmux_session, "101 全到 6 人", timeout=20)
    # Room 102: five expected (the overdue boarder is apart); three counted: pick the two missing.
    type_("3"), send("Enter")
    wait_for(tmux_session, "请选出缺的 2 人", timeout=20)
    send("Space", "Down", "Space", "Enter")
    wait_for(tmux_session, "缺勤原因", timeout=20)
    send("2")  # the first: sick bay
    time.sleep(0.5)
    send("5")  # the second: unknown -> an incident
    wait_for(tmux_session, "去向不明，已上报", timeout=20)
    # Room 103: the approved guest (ID card typed, the manager's PIN only), then one without approval.
    send("g")
    wait_for(tmux_session, "母亲", timeout=20)  # the approval found for room 103 prefills the form
    type_("110101199003074514"), send("Enter")
    pin("M001", "222222")
    wait_for(tmux_session, "陪宿已登记：王芳", timeout=20)
    type_("103"), send("Enter")
    type_("20250114"), send("Enter")
    type_("李强"), send("Enter")
    type_("110101198001010015"), send("Enter")
    type_("父亲"), send("Enter")
    pin("T001", "444444")
    pin("M001", "222222")
    wait_for(tmux_session, "陪宿已登记：李强", timeout=20)
    send("Escape")
    wait_for(tmux_session, "第 1 轮查寝", timeout=20)
    time.sleep(1)
    send("Enter")  # room 103 complete, its two guests included
    wait_for(tmux_session, "103 全到 8 人", timeout=20)
    # The unknown: the head teacher acknowledges, the duty leader confirms where the student was.
    send("i")
    wait_for(tmux_session, "去向不明事件", timeout=20)
    send("a")
    pin("T001", "444444")
    wait_for(tmux_session, "已确认", timeout=20)
    send("c")
    wait_for(tmux_session, "学生现在在哪里", timeout=20)
    type_("在图书馆自习，已回宿舍"), send("Enter")
    pin("L001", "777777")
    wait_for(tmux_session, "事件已结案", timeout=20)
    send("Escape")
    wait_for(tmux_session, "第 1 轮查寝", timeout=20)
    send("F10")
    wait_for(tmux_session, "提交前核对", timeout=20)
    send("Enter")
    pin(None, "222222")
    wait_for(tmux_session, "已提交，签名", timeout=20)

    report = subprocess.run([f"{ROOT}/.venv/bin/python", "-m", "kiosk", "report", "headcount", "--date",
                             night.isoformat(), "--json", "--db", settings.database.path],
                            capture_output=True, text=True, env={**__import__("os").environ,
                                                                 "KIOSK_CLOCK": f"{night.isoformat()}T23:00"})
    assert report.returncode == 0, report.stderr
    (building,) = json.loads(report.stdout)["buildings"]
    assert building["source"] == "submitted"
    summary = building["summary"]
    rooms = {room["room"]: room for room in summary["rooms"]}
    assert rooms["101"]["present"] == 6 and rooms["103"]["present"] == 8
    assert sorted(rooms["103"]["guests"]) == ["李强", "王芳"]
    absent = [(room["room"], a["number"], a["reason"]) for room in summary["rooms"] for a in room["absent_students"]]
    out = [(room["room"], a["number"], a["reason"]) for room in summary["rooms"] for a in room["expected_absent"]]
    assert sorted(r for _, _, r in absent) == ["sick_bay", "unknown"]
    assert out == [("102", "20250112", "overdue")]
    assert all(reason in ("on_leave", "overdue", "sick_bay", "with_parent", "other", "unknown")
               for _, _, reason in absent + out)
    assert summary["totals"]["absent"]["overdue"] == 1 and summary["totals"]["guests"] == 2
    unknown_number = next(number for _, number, reason in absent if reason == "unknown")
    # Closed before the submission: the signed record itself says where the student was.
    stored = next(a for a in rooms["102"]["absent_students"] if a["number"] == unknown_number)
    assert stored["whereabouts"] == "在图书馆自习，已回宿舍" and stored["confirmed_by"] == "值班领导丙"
    assert json.loads(report.stdout)["open_incidents"] == []
