"""The dorm station in a real terminal (tmux): log in, open tonight's headcount, count one room with Enter."""
from __future__ import annotations

import subprocess
import time

import pytest

from kiosk import clock
from tests.test_tmux_smoke import ROOT, start, wait_for
from tests.ui.test_dorm import build_tiny_dorm


@pytest.fixture
def tmux_session(have_tmux):
    import uuid

    name = f"kiosk-dorm-{uuid.uuid4().hex[:8]}"
    yield name
    subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


@pytest.mark.tmux
def test_count_one_room_in_a_real_terminal(db, settings, tmux_session, tmp_path):
    build_tiny_dorm(settings, clock.now())
    env = {"XDG_CONFIG_HOME": tmp_path / "config", "XDG_DATA_HOME": tmp_path / "data", "TERM": "xterm-256color",
           "LANG": "C.UTF-8", "KIOSK_STATION__BUILDING": "男生1号楼"}
    start(tmux_session, f"{ROOT}/.venv/bin/python -m kiosk run --station dorm --db {settings.database.path}", env)
    wait_for(tmux_session, "请输入工号", timeout=120)
    for keys in (["D001", "Enter"], ["222222", "Enter"]):
        subprocess.run(["tmux", "send-keys", "-t", tmux_session, *keys], check=True)
        time.sleep(0.5)
    wait_for(tmux_session, "值班：", timeout=30)
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
    env = {"XDG_CONFIG_HOME": tmp_path / "config", "XDG_DATA_HOME": tmp_path / "data", "TERM": "xterm-256color",
           "LANG": "C.UTF-8", "KIOSK_STATION__BUILDING": "男生1号楼", "KIOSK_CLOCK": f"{evening.isoformat()}T22:30"}
    start(tmux_session, f"{ROOT}/.venv/bin/python -m kiosk run --station dorm --db {settings.database.path}", env)
    screen = wait_for(tmux_session, "请输入工号", timeout=120)
    assert "模拟时间" in screen and f"{evening:%m-%d} 22:3" in screen
    for keys in (["D001", "Enter"], ["222222", "Enter"]):
        subprocess.run(["tmux", "send-keys", "-t", tmux_session, *keys], check=True)
        time.sleep(0.5)
    wait_for(tmux_session, "值班：", timeout=30)
    subprocess.run(["tmux", "send-keys", "-t", tmux_session, "r"], check=True)
    screen = wait_for(tmux_session, "第 1 轮查寝", timeout=30)
    assert evening.isoformat() in screen  # tonight's round is the scripted evening's
