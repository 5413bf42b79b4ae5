"""A gate shift in a real terminal (tmux), with codes typed the way a USB scanner types them: one tmux
send-keys per character (a few ms apart), codes 0.1-0.9 s apart, while the gatekeeper answers each
allowed verdict with Enter. Afterwards every code was checked exactly once, no refusal is false, and the
crossing log holds one crossing per student.

Scope (smaller than issue 14's full shift): 8 slips, 10 day-student cards, 2 garbage codes and 2 quick
repeats at the slip check screen. Visitors, the watchlist, a night visit, patrol and handover are covered
by the Pilot tests (tests/ui/test_gate.py, tests/ui/test_gate_defects.py), not yet in this terminal run."""
import random
import sqlite3
import subprocess
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from tests.test_tmux_smoke import capture, wait_for

ROOT = Path(__file__).resolve().parent.parent


def prepare(path: Path, settings) -> tuple[list[str], list[str]]:
    """The tiny school plus 8 boarders with a slip valid now and 10 day students; returns (slip codes, cards)."""
    from kiosk import clock
    from kiosk.db import close_database, open_database
    from kiosk.models import Room, Student
    from kiosk.services import slips_office
    from kiosk.services.actor import Actor
    from kiosk.services.facts import record
    from tests.ui.test_slips_ui import make_tiny_school, teacher

    settings.database.path = str(path)
    open_database(path)
    try:
        make_tiny_school(settings)
        now = clock.now()
        room = Room.get()
        boarders = [f"2026{1000 + i}" for i in range(8)]
        cards = [f"2026{5000 + i}" for i in range(10)]
        with record(Actor(school_id="demo", station_id="st-test"), "test.students") as w:
            for number in boarders + cards:
                boarder = number in boarders
                w.insert(Student(school_id="demo", number=number, name=f"学生{number[-4:]}", initials="", gender="F",
                                 grade="高一", class_name="高一(1)班", boarder=boarder, room=room if boarder else None,
                                 guardian_name="家长", guardian_phone="13900000002", active=True, updated_at=now))
        codes = [slips_office.issue_slip(teacher(), settings, student_number=number, reason_kind="home",
                                leave_from=now - timedelta(minutes=5), leave_to=now + timedelta(hours=4),
                                return_by=now + timedelta(hours=8), companion_name="家长", companion_relation="母亲",
                                companion_phone="13900000002").code for number in boarders]
        return codes, cards
    finally:
        close_database()


@pytest.mark.tmux
def test_a_shift_of_scans_at_scanner_speed_in_a_real_terminal(have_tmux, tmp_path, settings, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    db = tmp_path / "gate.sqlite3"
    slips, cards = prepare(db, settings)
    rng = random.Random(14)
    script = [(code, "slip") for code in slips] + [(card, "card") for card in cards]
    script += [("NOSUCHCODE", "garbage"), ("QWERTYXYZ", "garbage")]
    rng.shuffle(script)
    session = f"kiosk-shift-{uuid.uuid4().hex[:8]}"
    env = {"XDG_CONFIG_HOME": tmp_path / "config", "XDG_DATA_HOME": tmp_path / "data", "TERM": "xterm-256color",
           "LANG": "C.UTF-8", "KIOSK_DB": db, "KIOSK_STATION": "gate"}
    exports = " ".join(f"{key}={value}" for key, value in env.items())
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "36",
                    f"cd {ROOT} && env {exports} .venv/bin/python -m kiosk run"], check=True)

    def keys(*sent, literal=False):
        subprocess.run(["tmux", "send-keys", "-t", session, *(["-l"] if literal else []), *sent], check=True)

    def scanner(code: str) -> None:
        for char in code:  # one send-keys per character: the app sees keys a few ms apart, as from a scanner
            keys(char, literal=True)
        keys("Enter")

    def answer_allowed() -> None:
        """The gatekeeper: Enter on an allowed verdict that has been on screen for a moment."""
        screen = capture(session)
        if ("放行出校" in screen or "准予返校" in screen) and "按 Enter 记录" in screen:
            time.sleep(0.4)
            keys("Enter")

    try:
        wait_for(session, "请输入工号", timeout=90)
        keys("G001", "Enter")
        time.sleep(0.4)
        keys("111111", "Enter")
        wait_for(session, "学生出入", timeout=20)
        keys("s")
        wait_for(session, "请扫码", timeout=20)
        for index, (code, kind) in enumerate(script):
            scanner(code)
            if index in (3, 11) and kind != "slip":  # a shaky hand: the same code again 0.15 s later
                time.sleep(0.15)
                scanner(code)
            time.sleep(rng.choice([0.1, 0.3, 0.5, 0.7, 0.9]))
            answer_allowed()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with sqlite3.connect(db) as check:
                crossings = check.execute("SELECT count(*) FROM gate_crossing").fetchone()[0]
            if crossings == len(slips) + len(cards):
                break
            answer_allowed()
            time.sleep(0.3)
        with sqlite3.connect(db) as check:
            scans = check.execute("SELECT raw, verdict, reason_code FROM gate_scan").fetchall()
            crossings = check.execute("SELECT s.number, c.direction FROM gate_crossing c JOIN student s "
                                      "ON s.id = c.student_id").fetchall()
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    from kiosk.services.slips import sanitize_raw

    sent = sorted(sanitize_raw(code) for code, _ in script)
    assert sorted(raw for raw, _, _ in scans) == sent, "every code checked once, no fragment, repeats ignored"
    refused = sorted(raw for raw, verdict, _ in scans if verdict == "refuse")
    assert refused == ["NOSUCHCODE", "QWERTYXYZ"], f"false refusals: {scans}"
    assert sorted(number for number, _ in crossings) == sorted([f"2026{1000 + i}" for i in range(8)] + cards)
