"""Start the kiosk the README's way in a real terminal (tmux) and read the Chinese login screen."""
import os
import subprocess
import time

import pytest

from tests.tmux_helpers import ROOT, Terminal, kiosk_env, log_in, start, wait_for


@pytest.fixture
def tmux_session(have_tmux):
    terminal = Terminal("kiosk-test")
    yield terminal.session
    terminal.close()  # make and kiosk run in the pane's process group: leave nothing behind


def test_make_run_shows_the_chinese_login_screen(tmux_session, tmp_path):
    """`make run` creates the demo school and shows its login; a gatekeeper logs in; quitting needs an admin."""
    env = kiosk_env(tmp_path, DEMO_DB=tmp_path / "demo.sqlite3")
    start(tmux_session, "make run", env)
    screen = wait_for(tmux_session, "请输入工号", timeout=120)
    assert "示范寄宿学校" in screen and "门卫室" in screen
    log_in(tmux_session, "G001", "111111", timeout=20)
    subprocess.run(["tmux", "send-keys", "-t", tmux_session, "C-q"], check=True)
    wait_for(tmux_session, "退出程序需要管理员确认", timeout=10)


@pytest.mark.parametrize("launcher", ["direct", "make"])
def test_closing_the_terminal_ends_the_station(tmux_session, tmp_path, launcher):
    """A station whose terminal disappears exits (and systemd restarts it) instead of running on, unseen.

    Started directly (the systemd unit) it gets SIGHUP. Under `make run`, make leads the session and
    keeps the SIGHUP to itself, so the station must notice the hang-up on its own."""
    env = kiosk_env(tmp_path)
    database = tmp_path / "station.sqlite3"
    subprocess.run([str(ROOT / ".venv/bin/kiosk"), "demo", "--db", str(database)], check=True, capture_output=True,
                   env={**os.environ, **env})
    command = f"make run DEMO_DB={database}" if launcher == "make" else f".venv/bin/kiosk run --db {database}"
    start(tmux_session, command, env)
    wait_for(tmux_session, "请输入工号", timeout=60)
    pid = int(subprocess.run(["pgrep", "-f", f"kiosk run --db {database}"], capture_output=True, text=True).stdout.split()[0])
    subprocess.run(["tmux", "kill-session", "-t", tmux_session], check=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    raise AssertionError("the kiosk kept running after its terminal closed")


def test_gatekeeper_registers_a_visitor_in_a_real_terminal(tmux_session, tmp_path):
    """Keyboard only, as at the gate: log in, open the register, fill it, pick the host, save."""
    import sqlite3

    env = kiosk_env(tmp_path, KIOSK_GATE__VISITING_HOURS="00:00-23:59")  # never a night visit, whenever CI runs
    database = tmp_path / "station.sqlite3"
    subprocess.run([str(ROOT / ".venv/bin/kiosk"), "demo", "--db", str(database)], check=True, capture_output=True,
                   env={**os.environ, **env})
    start(tmux_session, f".venv/bin/kiosk run --db {database}", env)
    wait_for(tmux_session, "请输入工号", timeout=60)

    def keys(*sequence: str, literal: bool = False) -> None:
        subprocess.run(["tmux", "send-keys", "-t", tmux_session, *(["-l"] if literal else []), *sequence], check=True)
        time.sleep(0.5)

    keys("G001", literal=True), keys("Enter"), keys("111111", literal=True), keys("Enter")
    wait_for(tmux_session, "访客登记", timeout=20)
    keys("v", literal=True)
    wait_for(tmux_session, "证件号码", timeout=20)
    for value in ("11010519491231002X", "王建国", "13812345678"):
        keys(value, literal=True), keys("Enter")
    keys("Enter"), keys("Down"), keys("Enter")  # category: the first choice, 家长
    keys("Tab"), keys("Tab"), keys("送生活用品", literal=True), keys("Enter")
    keys("T001", literal=True), keys("Enter")
    wait_for(tmux_session, "教职工 T001", timeout=20)  # the host list
    keys("Enter"), keys("C-s")
    wait_for(tmux_session, "已登记：王建国", timeout=20)
    row = sqlite3.connect(database).execute("SELECT name, category, status, host_name FROM visit WHERE name = '王建国'").fetchone()
    assert row is not None and row[1:3] == ("parent", "admitted") and row[3]
