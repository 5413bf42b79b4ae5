"""A gate shift in a real terminal (tmux), the way issue 14 asks for it: 20 visitors (new ones, returning ones
prefilled from their last visit, one on the watchlist, night visits let in by the duty leader), 100 slip and card
scans typed the way a USB scanner types them (one `send-keys` per character, 2-30 ms apart, codes 0.1-3 s apart,
with quick repeats and garbage), a patrol and a handover. Afterwards the SQLite database holds every record once,
the crossing log has no false refusal, and the on-site list and the handover agree.

The shift is two sessions of the station on a Wednesday (closed management), both scripted with KIOSK_CLOCK:
the evening from 16:40 at 120x36 in Chinese (visitors, the dismissal rush at the student lane, parents leaving),
then, after the station restarts, the night from 21:40 at 80x24 in English after F9 (night visits, late returns,
evening study going home, a patrol, the handover to the night gatekeeper).
"""
from __future__ import annotations

import random
import re
import sqlite3
from collections import Counter
from datetime import date

import pytest

from tests import gate_shift_school
from tests.tmux_gate_steps import Gatekeeper
from tests.tmux_helpers import KIOSK, Terminal, kiosk_env, station_database

# Students by what they do during the shift (see gate_shift_school.build); 80 codes in the evening, 20 at night.
COUNTS = {"exit": 16, "return": 8, "late": 2, "day": 51, "study": 8, "no_slip": 2, "new_visitors": 14}
# The slow tier: a large school's dismissal rush, 908 codes in the evening and 92 at night.
SLOW_COUNTS = {"exit": 100, "return": 60, "late": 10, "day": 717, "study": 80, "no_slip": 20, "new_visitors": 14}
GARBAGE_EVENING = ["NOSUCHCODE", "QWERTYXYZ", "20269998"]
GARBAGE_NIGHT = ["S1:", "HELLO-WORLD", "123", "20269999"]


def damaged(code: str) -> str:
    """A slip with one character changed (a smudged print read wrong, or a forgery): its signature fails."""
    middle = len(code) // 2
    return code[:middle] + ("A" if code[middle] != "A" else "B") + code[middle + 1:]


def lane_scripts(school, rng: random.Random) -> tuple[list, list]:
    """The evening's and the night's scans: (code, kind, the verdict it must get, the flag or refusal reason)."""
    exits = list(school.exit_slips.values())
    back_on_time = list(school.return_slips.values())
    evening = [(code, "slip", "exit", "") for code in exits[:-2]]
    evening += [(code, "slip", "return", "") for code in back_on_time[:-2]]
    evening += [(code, "slip", "return", "late") for code in school.late_slips.values()]
    evening += [(number, "card", "exit", "") for number in school.day_cards]
    evening += [(number, "card", "refuse", "boarder_no_slip") for number in school.no_slip_boarders]
    evening += [(code, "garbage", "refuse", "") for code in GARBAGE_EVENING + [damaged(exits[0]), exits[1][:100]]]
    night = [(code, "slip", "return", "") for code in exits[:4] + back_on_time[-2:]]  # back from this evening's exit
    night += [(code, "slip", "refuse", "expired") for code in exits[-2:]]  # their leave window closed at 20:00
    night += [(number, "card", "exit", "") for number in school.study_cards]  # evening study is over
    night += [(code, "garbage", "refuse", "") for code in GARBAGE_NIGHT]
    rng.shuffle(evening)
    rng.shuffle(night)
    return evening, night


def run_station(terminal: Terminal, tmp_path, db, clock_text: str, width: int, height: int) -> None:
    env = kiosk_env(tmp_path, KIOSK_DB=db, KIOSK_STATION="gate", KIOSK_CLOCK=clock_text,
                    KIOSK_PRINTER__OUTPUT_DIR=tmp_path / "labels")
    terminal.start(f"{KIOSK} run", env, width, height)


def visit_code(db, name: str) -> str:
    with sqlite3.connect(db) as check:
        return check.execute("SELECT code FROM visit WHERE name = ? AND status = 'admitted' AND time_out IS NULL",
                             (name,)).fetchone()[0]


@pytest.mark.long
@pytest.mark.tmux
def test_a_gate_shift_in_a_real_terminal(have_tmux, tmp_path, settings, monkeypatch):
    run_shift(tmp_path, settings, monkeypatch, COUNTS, seed=14)


@pytest.mark.slow
@pytest.mark.tmux
@pytest.mark.timeout(3600)
def test_a_gate_shift_with_a_thousand_scans(have_tmux, tmp_path, settings, monkeypatch):
    run_shift(tmp_path, settings, monkeypatch, SLOW_COUNTS, seed=1014)


def run_shift(tmp_path, settings, monkeypatch, counts: dict[str, int], seed: int) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the office key is made where the station looks
    db = tmp_path / "gate.sqlite3"
    with station_database(db, settings):
        school = gate_shift_school.build(settings, date.today(), counts)
    rng = random.Random(seed)
    evening_lane, night_lane = lane_scripts(school, rng)
    evening_visitors = school.new_visitors[:5] + school.returning_visitors[:1] + school.new_visitors[5:8] + [
        school.watchlisted] + school.returning_visitors[1:2] + school.new_visitors[8:] + school.returning_visitors[2:]
    leaving = [v for v in evening_visitors if v is not school.watchlisted][:4]

    evening = Terminal("kiosk-shift")
    try:
        run_station(evening, tmp_path, db, school.clock_text(16, 40), 120, 36)
        keeper = Gatekeeper(evening)
        keeper.log_in("G001", "111111")
        outcomes = keeper.register_all(evening_visitors, rng)
        lane = keeper.student_lane(evening_lane, rng)
        print(f"evening lane: {lane}")
        keeper.open("o", "onsite_input")
        for visitor in leaving:  # parents who came at dismissal leave with their children
            keeper.sign_out(visitor.name, visit_code(db, visitor.name), rng)
    finally:
        evening.close()

    night = Terminal("kiosk-shift")
    try:
        run_station(night, tmp_path, db, school.clock_text(21, 40), 80, 24)
        keeper = Gatekeeper(night)
        night.wait_for("请输入工号", timeout=90)
        keeper.switch_language("en")
        keeper.log_in("G001", "111111")
        outcomes.update(keeper.register_all(school.night_visitors, rng, duty_leader=("L001", "777777")))
        lane_night = keeper.student_lane(night_lane, rng)
        print(f"night lane: {lane_night}")
        keeper.open("p", "patrol")
        night.press("Tab", "Tab", "Tab")  # from the place (the main gate) past "other" and "all clear"
        night.wait_field(("Other", "Findings"), ("Findings",))
        night.type("North fence checked, lights on")
        night.wait_for("North fence checked, lights on")  # Ctrl+S acts at once, before keys still on their way
        night.press("C-s")
        night.wait_for(keeper.word("patrol_saved"))
        keeper.back_home()
        keeper.open("o", "onsite_input")
        first_night = school.night_visitors[0]
        keeper.sign_out(first_night.name, visit_code(db, first_night.name), rng)
        onsite_screen = night.screen()
        keeper.back_home()
        keeper.open("h", "handover")
        on_site = re.search(r"(\d+) visitors? on site", onsite_screen).group(1)
        handover_list = night.wait_for(f"Handed over: {on_site} visitor")  # once the list is read: the items
        night.fill_field("East door lock reported", "Tab")
        night.fill_field("111111", "Tab", secret=True)
        night.fill_field("G002", "Tab")
        night.fill_field("222222", "Enter", secret=True)
        night.wait_for(keeper.word("handover_saved"))
    finally:
        night.close()

    with sqlite3.connect(db) as check:
        patrols = check.execute("SELECT place, findings, all_clear FROM patrol_round").fetchall()
    check_records(school, db, evening_lane + night_lane, outcomes)
    check_onsite_and_handover(db, onsite_screen, handover_list)
    assert patrols == [("main_gate", "North fence checked, lights on", 1)]
    assert lane.repeats and lane_night.repeats, "quick repeats were scanned (and, as checked above, ignored)"


def check_records(school, db, lanes: list[tuple[str, str, str, str]], outcomes: dict[str, str]) -> None:
    """Every record once: each visitor's visit, each code's check, each allowed check's crossing; no false verdict."""
    from kiosk.services.slips import sanitize_raw

    with sqlite3.connect(db) as check:
        keeper = check.execute("SELECT id FROM staff WHERE number = 'G001'").fetchone()[0]
        visits = check.execute("SELECT name, status, night, duty_leader FROM visit WHERE staff_id = ?",
                               (keeper,)).fetchall()
        decisions = check.execute("SELECT v.name, d.decision FROM watchlist_decision d "
                                  "JOIN visit v ON v.id = d.visit_id").fetchall()
        scans = check.execute("SELECT raw, verdict, reason_code FROM gate_scan WHERE staff_id = ? ORDER BY recorded_at",
                              (keeper,)).fetchall()
        crossings = check.execute("SELECT s.number, c.direction, c.flags, p.code FROM gate_crossing c "
                                  "JOIN student s ON s.id = c.student_id LEFT JOIN pass_slip p ON p.id = c.slip_id "
                                  "WHERE c.staff_id = ?", (keeper,)).fetchall()
    assert sorted(name for name, *_ in visits) == sorted(outcomes), "each visitor registered once"
    assert {name: status for name, status, *_ in visits} == outcomes
    assert outcomes[school.watchlisted.name] == "refused" and decisions == [(school.watchlisted.name, "refuse")]
    assert {name: leader for name, _, night, leader in visits if night} == {
        visitor.name: "李国强" for visitor in school.night_visitors}, "night visits, each let in by the duty leader"

    expected = {}  # raw code as logged -> the verdicts it must get, in the order scanned
    for code, _, verdict, detail in lanes:
        expected.setdefault(sanitize_raw(code), []).append((verdict, detail))
    got = {}
    for raw, verdict, reason in scans:
        got.setdefault(raw, []).append((verdict, reason))
    fragments = {raw[:24]: [code[:24] for code in expected if raw in code] for raw in got if raw not in expected}
    missing = [raw[:24] for raw in expected if raw not in got]
    assert not fragments and not missing, f"checked but never sent (part of): {fragments}; never checked: {missing}"
    wrong = [(raw[:24], want, got[raw]) for raw, want in expected.items() if len(got[raw]) != len(want) or any(
        verdict != wanted or (verdict == "refuse" and detail not in reason) for (wanted, detail), (verdict, reason)
        in zip(want, got[raw]))]
    assert not wrong, f"false verdicts or codes checked twice (code, expected, logged): {wrong}"
    number_of = {code: number for number, code in school.all_slips()}
    allowed = Counter((number_of.get(code, code), verdict, detail, code if code in number_of else None)
                      for code, _, verdict, detail in lanes if verdict != "refuse")
    assert Counter(crossings) == allowed, "one crossing for each allowed code, none for anything else"


def check_onsite_and_handover(db, onsite_screen: str, handover_list: str) -> None:
    """The on-site list as the night gatekeeper saw it, the handover's open items and the visits still open agree."""
    import json

    with sqlite3.connect(db) as check:
        still_in = check.execute("SELECT name, code FROM visit WHERE status = 'admitted' AND time_out IS NULL"
                                 ).fetchall()
        (count, items, incoming), = check.execute("SELECT onsite_count, open_items, incoming_name FROM shift_handover"
                                                  ).fetchall()
    assert count == len(still_in) and incoming == "门卫乙"
    assert sorted(item["text"].split(" (")[0] for item in json.loads(items)) == sorted(name for name, _ in still_in)
    assert re.search(rf"\b{len(still_in)} visitors on site", onsite_screen), onsite_screen
    # At 80x24 the handover form scrolls its title ("Handed over: N visitors") off the screen; the items stay.
    shown = re.findall(r"^\s*(\S+) \(.*\) \d\d-\d\d \d\d:\d\d", handover_list, re.MULTILINE)
    assert shown and set(shown) <= {name for name, _ in still_in}, handover_list
    listed = re.findall(r"\b[0-9A-F]{12}\b", onsite_screen)  # as many rows as fit at 80x24, each code whole
    assert listed and set(listed) <= {code for _, code in still_in}, onsite_screen
