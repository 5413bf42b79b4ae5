"""What a gatekeeper does at the gate, as keys sent to the kiosk in a real terminal (tests/tmux_helpers.Terminal):
log in, register a visitor (new, returning, on the watchlist, at night), scan codes at the student lane while
answering verdicts, sign visitors out, log a patrol, hand over the shift.

Every step waits for what the screen shows (a text, or the cursor reaching a field) before the next key, never
for a fixed time, so a slow machine makes the shift slower, not wrong. Texts are short fragments of the catalog in
the language on screen (WORDS), short enough not to be wrapped at 80 columns.
"""
from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

from tests.scanner import scanner_gap
from tests.tmux_helpers import Terminal

WORDS = {
    "zh-CN": {
        "labels": ("证件号码", "姓名", "电话", "单位", "事由", "被访人", "随行人数", "随行人员", "车牌", "携带物品",
                   "预计离校", "值班领导"),
        "login": "请输入工号", "home": "门卫室 · 功能", "option": "施工", "host_hit": "学生 {number}",
        "host_chosen": "被访人：", "saved": "已登记：{name}", "refused": "已记录：{name} 拒绝入校",
        "returning": "回访人员", "decision": "禁止入校人员名单提示", "leader": "值班领导确认",
        "lane_input": "扫描出门条", "scan_ready": "请扫码", "confirm": "按 Enter 记录", "recorded": "已记录：",
        "onsite_input": "扫描访客单", "signed_out": "{name} 已离校",
        "patrol": "发现的情况和处理", "patrol_saved": "已记录巡逻", "handover": "交接事项：", "handover_saved": "交接班已记录",
    },
    "en": {
        "labels": ("ID number", "Name", "Phone", "Unit", "Reason", "Host", "Companions", "Vehicle", "Items", "Expected",
                   "Duty leader"),
        "login": "staff number", "home": "Gate · tasks", "option": "Contractor", "host_hit": "Student {number}",
        "host_chosen": "Host: ", "saved": "Registered: {name}", "refused": "Recorded: {name} refused",
        "returning": "Returning visitor", "decision": "Watchlist match", "leader": "duty leader confirms",
        "lane_input": "Scan a slip QR", "scan_ready": "Scan please", "confirm": "Enter to record",
        "recorded": "Recorded: ",
        "onsite_input": "Scan the visitor slip", "signed_out": "{name} signed out",
        "patrol": "Findings", "patrol_saved": "Patrol recorded", "handover": "Handed over:",
        "handover_saved": "Handover recorded",
    },
}


class Gatekeeper:
    """One person at the gate's keyboard, reading the screen in `language`."""

    def __init__(self, terminal: Terminal, language: str = "zh-CN") -> None:
        self.term = terminal
        self.language = language

    def word(self, key: str, **values: str) -> str:
        return WORDS[self.language][key].format(**values)

    @property
    def labels(self) -> tuple[str, ...]:
        return WORDS[self.language]["labels"]

    def switch_language(self, language: str) -> None:
        self.term.press("F9")
        self.language = language

    def log_in(self, number: str, pin: str) -> None:
        self.term.wait_for(self.word("login"), timeout=90)
        self.term.fill_field(number)
        self.term.type(pin)
        self.term.press("Enter")
        self.term.wait_for(self.word("home"))

    def pin(self, number: str, pin: str) -> None:
        """A PIN dialog: staff number, Enter, PIN, Enter."""
        self.term.fill_field(number)
        self.term.type(pin)
        self.term.press("Enter")

    def open(self, key: str, title_word: str) -> None:
        """A task from the home menu by its key; waits for a text only that task's screen shows (not its name on
        the menu). For a scan input, its placeholder: set as the input takes the focus, so a code scanned after it
        shows is typed into the input whole."""
        self.term.press(key)
        self.term.wait_for(self.labels[0] if title_word == "register" else self.word(title_word))

    def back_home(self) -> None:
        self.term.press("Escape")
        self.term.wait_for(self.word("home"))

    # ------------------------------------------------------------ visitors

    def move_to(self, label: str, tries: int = 8) -> None:
        """Tab to the field labelled `label` (Tab moves the focus at once; Enter in an input moves it later)."""
        for _ in range(tries):
            current = self.term.field_label(self.labels)
            if current == label:
                return
            self.term.press("Tab")
            deadline = time.monotonic() + 2
            while self.term.field_label(self.labels) == current and time.monotonic() < deadline:
                time.sleep(0.05)
        raise AssertionError(f"could not reach {label!r}:\n{self.term.screen()}")

    def scan_id(self, id_number: str, rng: random.Random) -> str:
        """The ID card's number through the ID field's scanner; returns what followed: the returning visitor's
        prefill, the watchlist decision, or the cursor on the name for a new visitor."""
        self.term.scan(id_number, rng.choice([2, 3, 5, 8]))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            screen = self.term.screen()
            if self.word("decision") in screen:
                return "decision"
            if self.word("returning") in screen:
                return "returning"
            if self.term.field_label(self.labels) == self.labels[1]:
                return "new"
            time.sleep(0.05)
        raise AssertionError(f"nothing followed the ID scan:\n{self.term.screen()}")

    def fill_new_visitor(self, visitor, category_downs: int = 1) -> None:
        labels = self.labels
        self.term.fill_field(visitor.name, "Tab")
        self.term.type(visitor.phone)
        self.term.wait_for(visitor.phone)
        self.term.press("Tab")  # to the category list, which shows no cursor: Down opens it once it has the focus
        for _ in range(20):
            self.term.press("Down")
            try:
                self.term.wait_for(self.word("option"), timeout=0.5)
                break
            except AssertionError:
                continue
        self.term.press(*["Down"] * category_downs, "Enter")
        self.term.wait_until_gone(self.word("option"))
        self.move_to(labels[4])
        self.term.type(visitor.reason)
        self.move_to(labels[5])
        self.term.type(visitor.host_query)
        self.term.press("Enter")
        self.term.wait_for(self.word("host_hit", number=visitor.host_query))
        self.term.press("Enter")
        self.term.wait_for(self.word("host_chosen"))

    def refuse_on_watchlist(self, visitor) -> None:
        self.term.wait_for(self.word("decision"))
        self.term.press("r")
        self.term.wait_for(self.word("refused", name=visitor.name))

    def save_visitor(self, visitor) -> str:
        """Ctrl+S; the screen after the save, or "decision" when the watchlist stopped it."""
        self.term.press("C-s")
        found, screen = self.term.wait_for_any(self.word("saved", name=visitor.name), self.word("decision"),
                                               self.word("leader"))
        return "decision" if found == self.word("decision") else "leader" if found == self.word("leader") else screen

    def register(self, visitor, rng: random.Random, *, duty_leader: tuple[str, str] | None = None) -> str:
        """One visitor from the ID scan to the saved register line; "admitted" or "refused"."""
        answer = self.scan_id(visitor.id_number, rng)
        if answer == "decision":
            self.refuse_on_watchlist(visitor)  # a deny entry: the gatekeeper refuses (only a leader could allow)
            return "refused"
        if answer == "new":
            self.fill_new_visitor(visitor)
        after = self.save_visitor(visitor)
        if after == "decision":
            self.refuse_on_watchlist(visitor)
            return "refused"
        if after == "leader":
            assert duty_leader is not None, "a night visit needs the duty leader"
            self.pin(*duty_leader)
            self.term.wait_for(self.word("saved", name=visitor.name))
        return "admitted"

    def register_all(self, visitors, rng: random.Random, *, duty_leader: tuple[str, str] | None = None) -> dict:
        """From the home menu: the register, each visitor in turn, back home. {name: "admitted" | "refused"}."""
        self.open("v", "register")
        outcomes = {visitor.name: self.register(visitor, rng, duty_leader=duty_leader) for visitor in visitors}
        self.back_home()
        return outcomes

    def student_lane(self, script, rng: random.Random) -> "LaneLog":
        """From the home menu: the student lane for `script` ((code, kind, ...) in order; see run_lane), back home."""
        self.open("s", "lane_input")
        log = run_lane(self, [(code, kind) for code, kind, *_ in script], rng)
        self.back_home()
        return log

    def sign_out(self, visitor_name: str, code: str, rng: random.Random) -> None:
        """On the on-site list: scan the visitor slip's code."""
        self.term.scan(code, rng.choice([2, 3, 5, 8]))
        self.term.wait_for(self.word("signed_out", name=visitor_name))


@dataclass
class LaneLog:
    """What the scanner sent and what the gatekeeper did at the student lane."""
    sent: list[tuple[str, str]] = field(default_factory=list)  # (code, kind) in the order scanned
    confirms: int = 0
    repeats: int = 0  # codes scanned again at once (to be ignored)
    scanned_in: float = 0.0  # seconds from the first scan to the last one sent
    settled_in: float = 0.0  # seconds from the first scan until nothing was left to answer

    def __repr__(self) -> str:
        return (f"LaneLog({len(self.sent)} codes, {self.repeats} quick repeats, {self.confirms} Enter presses, "
                f"scanned in {self.scanned_in:.1f} s, "
                f"settled in {self.settled_in:.1f} s)")


def run_lane(gatekeeper: Gatekeeper, script: list[tuple[str, str]], rng: random.Random, *,
             repeat_every: int = 5, slow_slip_every: int = 25) -> LaneLog:
    """The student lane at scanner speed: `script` is (code, kind) scanned in order, per-key gaps of 2-30 ms, 0.1-3 s
    between codes (mostly short: a queue of students), a quick second scan now and then (a shaky hand), while the
    gatekeeper (another thread, as another person) answers each allowed verdict with Enter once it has been on
    screen for a moment. Returns once every code is sent and nothing waits for an answer."""
    term, log = gatekeeper.term, LaneLog()
    reading = random.Random(rng.random())  # the gatekeeper's own pace: the scanner's sequence stays the seed's
    # Between codes: mostly the next student right behind, sometimes a pause, now and then a long one. (While codes
    # come less than 0.3 s apart the app takes the gatekeeper's Enter for the scanner's own trailing terminator, so
    # verdicts queue up during a rush and are answered when it eases.)
    pauses = [lambda: rng.uniform(0.1, 0.18)] * 34 + [lambda: rng.uniform(0.18, 0.8)] * 5 + [lambda: rng.uniform(1, 3)]
    done = threading.Event()
    confirm, ready, recorded = gatekeeper.word("confirm"), gatekeeper.word("scan_ready"), gatekeeper.word("recorded")

    def recorded_line(screen: str) -> str:
        return next((line for line in screen.splitlines() if recorded in line), "")

    def answer_verdicts() -> None:
        while not done.is_set():
            screen = term.screen()
            if confirm not in screen:
                time.sleep(0.05)
                continue
            time.sleep(reading.uniform(0.3, 0.4))  # reading the verdict (an Enter sooner is taken as the last one's)
            term.press("Enter")
            log.confirms += 1
            before, deadline = recorded_line(screen), time.monotonic() + 0.6
            while time.monotonic() < deadline:  # until the app says it recorded it (or the verdict went away)
                now = term.screen()
                if recorded_line(now) != before or confirm not in now:
                    break
                time.sleep(0.05)

    gatekeeper_thread = threading.Thread(target=answer_verdicts, daemon=True)
    gatekeeper_thread.start()
    started, cards = time.monotonic(), 0
    try:
        for index, (code, kind) in enumerate(script):
            # A 171-character slip at 30 ms a key takes 5 s: most slips go at a quicker scanner's pace.
            gap = scanner_gap(rng) if kind != "slip" or index % slow_slip_every == 0 else rng.choice([2, 3])
            term.scan(code, gap)
            log.sent.append((code, kind))
            cards += kind == "card"
            if kind == "card" and cards % repeat_every == 2:
                time.sleep(rng.uniform(0.1, 0.4))  # the same card again at once: ignored as a repeat
                term.scan(code, gap)
                log.repeats += 1
            time.sleep(rng.choice(pauses)())
        log.scanned_in = time.monotonic() - started
        # The queue drains at the gatekeeper's pace; the last verdicts are answered.
        deadline = time.monotonic() + 60 + len(script)
        while time.monotonic() < deadline:
            screen = term.screen()
            if confirm not in screen and ready in screen and "排队" not in screen and "queued" not in screen:
                log.settled_in = time.monotonic() - started
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"the lane did not settle:\n{term.screen()}")
    finally:
        done.set()
        gatekeeper_thread.join(timeout=5)
    return log
