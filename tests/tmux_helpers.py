"""The kiosk in a real terminal for the tmux tests: start it in a tmux session, read the pane, send keys the way a
person types them or the way a USB scanner does, and leave nothing running afterwards.

Waits poll the pane for text, or for the cursor (Textual keeps it in the focused input) to reach a field, rather than
sleeping a fixed time, so a slow machine only makes a test slower. A scan
goes through a tmux control-mode client, one `send-keys` per character at the scanner's pace: a `tmux send-keys`
process per character costs a few ms of its own (more on a loaded machine), which would stretch a burst into
something no scanner types.
"""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping

from rich.cells import cell_len

ROOT = Path(__file__).resolve().parent.parent
KIOSK = f"{ROOT}/.venv/bin/python -m kiosk"


def kiosk_env(tmp_path: Path, **extra: object) -> dict[str, str]:
    """What every terminal test runs the kiosk with: its own XDG dirs, a colour terminal, UTF-8; plus `extra`."""
    env = {"XDG_CONFIG_HOME": tmp_path / "config", "XDG_DATA_HOME": tmp_path / "data", "TERM": "xterm-256color",
           "LANG": "C.UTF-8", **extra}
    return {key: str(value) for key, value in env.items()}


@contextmanager
def station_database(path: Path, settings) -> Iterator[None]:
    """Open `path` as the test's station database (settings point at it) to prepare it; closed afterwards, so the
    kiosk started in the terminal is its only user."""
    from kiosk.db import close_database, open_database

    settings.database.path = str(path)
    open_database(path)
    try:
        yield
    finally:
        close_database()


def capture(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout


def wait_for(session: str, text: str, timeout: float = 60) -> str:
    return wait_for_any(session, (text,), timeout)[1]


def wait_for_any(session: str, texts, timeout: float = 60) -> tuple[str, str]:
    """Poll the pane until one of `texts` is on it: (that text, the screen)."""
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = capture(session)
        for text in texts:
            if text in screen:
                return text, screen
        time.sleep(0.1)
    raise AssertionError(f"none of {list(texts)!r} on screen after {timeout}s:\n{screen}")


def log_in(session: str, number: str, pin: str, timeout: float = 30) -> str:
    """Staff number and PIN at the login screen, each with Enter, half a second apart; the screen once on duty."""
    for keys in ([number, "Enter"], [pin, "Enter"]):
        subprocess.run(["tmux", "send-keys", "-t", session, *keys], check=True)
        time.sleep(0.5)
    return wait_for(session, "值班：", timeout)


def pane_process_group(session: str) -> int | None:
    out = subprocess.run(["tmux", "display-message", "-p", "-t", session, "#{pane_pid}"], capture_output=True,
                         text=True)
    try:
        return os.getpgid(int(out.stdout.strip()))
    except (ValueError, ProcessLookupError):
        return None


def _quoted(char: str) -> str:
    """One character as a tmux command argument (single quotes take everything literally, but a single quote)."""
    return '"\'"' if char == "'" else f"'{char}'"


def start(session: str, command: str, env: Mapping[str, object], width: int = 120, height: int = 36) -> None:
    """Run `command` from the repository root in a new detached tmux session of that size, with `env` set."""
    exports = " ".join(f"{key}={value}" for key, value in env.items())
    for _ in range(3):  # a session closed just before may still hold the server ("server exited unexpectedly")
        started = subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", str(width), "-y", str(height),
                                  f"cd {ROOT} && env {exports} {command}"], capture_output=True)
        if started.returncode == 0:
            # The size stays as asked whatever clients attach (the scanner's control-mode client among them).
            subprocess.run(["tmux", "set-option", "-w", "-t", session, "window-size", "manual"], capture_output=True)
            return
        time.sleep(1)
    raise AssertionError(f"tmux would not start a session: {started.stderr!r}")


def close(session: str) -> None:
    """End the session and whatever runs in its pane (make and the kiosk share the pane's process group)."""
    group = pane_process_group(session)
    subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    if group is not None:
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Terminal:
    """One tmux session running a command (the kiosk) in a window of a given size."""

    def __init__(self, prefix: str = "kiosk") -> None:
        self.session = f"{prefix}-{uuid.uuid4().hex[:8]}"
        self._control: subprocess.Popen | None = None
        self._control_lock = threading.Lock()

    # ------------------------------------------------------------ start and stop

    def start(self, command: str, env: Mapping[str, object], width: int = 120, height: int = 36) -> None:
        start(self.session, command, env, width, height)

    def close(self) -> None:
        if self._control is not None:
            try:
                self._control.stdin.close()
            except OSError:
                pass
        close(self.session)
        if self._control is not None:
            try:
                self._control.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._control.kill()
            self._control = None

    # ------------------------------------------------------------ reading

    def screen(self) -> str:
        return capture(self.session)

    def wait_for(self, text: str, timeout: float = 30) -> str:
        return wait_for(self.session, text, timeout)

    def wait_for_any(self, *texts: str, timeout: float = 30) -> tuple[str, str]:
        return wait_for_any(self.session, texts, timeout)

    def cursor(self) -> tuple[int, int]:
        """Where the terminal cursor is (column, row): Textual puts it in the focused input, so it says which
        field has the focus, and its moving says that the app acted on the keys sent before."""
        out = subprocess.run(["tmux", "display-message", "-p", "-t", self.session, "#{cursor_x} #{cursor_y}"],
                             capture_output=True, text=True).stdout.split()
        return int(out[0]), int(out[1])

    def field_label(self, labels) -> str:
        """Which of `labels` stands last on the cursor's row left of the cursor: the focused field's label."""
        column, row = self.cursor()
        lines = self.screen().splitlines()
        line = lines[row] if row < len(lines) else ""
        left = ""
        for char in line:
            if cell_len(left + char) > column:
                break
            left += char
        found = [(left.rfind(label), label) for label in labels if label in left]
        return max(found)[1] if found else ""

    def fill_field(self, text: str, key: str = "Enter", timeout: float = 15, secret: bool = False) -> None:
        """Type `text` in the focused input, then `key` (Enter, Tab), and wait for the focus to move on (the cursor
        leaves): the input handles a key before the focus moves, so keys sent sooner would land in it still."""
        if secret:  # shown as dots: wait for the cursor to step past them instead
            column, row = self.cursor()
            self.type(text)
            deadline = time.monotonic() + timeout
            while self.cursor() != (column + len(text), row) and time.monotonic() < deadline:
                time.sleep(0.05)
        else:
            self.type(text)
            self.wait_for(text, timeout)
        start = self.cursor()
        self.press(key)
        deadline = time.monotonic() + timeout
        while self.cursor() == start:
            if time.monotonic() > deadline:
                raise AssertionError(f"Enter after {text!r} did not move on in {timeout}s:\n{self.screen()}")
            time.sleep(0.05)

    def wait_field(self, labels, wanted, timeout: float = 15) -> str:
        """Wait until the focused field (see field_label) is one of `wanted`; its label."""
        deadline = time.monotonic() + timeout
        while (label := self.field_label(labels)) not in wanted:
            if time.monotonic() > deadline:
                raise AssertionError(f"the cursor is on {label!r}, not {wanted}, after {timeout}s:\n{self.screen()}")
            time.sleep(0.05)
        return label

    def wait_until_gone(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        screen = self.screen()
        while text in screen:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} still on screen after {timeout}s:\n{screen}")
            time.sleep(0.1)
            screen = self.screen()
        return screen

    # ------------------------------------------------------------ typing

    def send(self, *keys: str, literal: bool = False, pause: float = 0.0) -> None:
        """One `tmux send-keys` with all of `keys` (taken literally if `literal`), then `pause`."""
        subprocess.run(["tmux", "send-keys", "-t", self.session, *(["-l"] if literal else []), *keys], check=True)
        if pause:
            time.sleep(pause)

    def press(self, *keys: str, pause: float = 0.0) -> None:
        """Named keys (Enter, Escape, F9, C-s, Down) or text, one send-keys per key, `pause` after each."""
        for key in keys:
            self.send(key, pause=pause)

    def type(self, text: str, pause: float = 0.0) -> None:
        """Text taken literally, in one send (as a quick typist's burst), then `pause`."""
        self.send(text, literal=True, pause=pause)

    def scan(self, code: str, gap_ms: float, terminator: str = "Enter") -> None:
        """A keyboard-wedge scanner: the code one key at a time, `gap_ms` apart, then its Enter. Keys are due on a
        fixed schedule from the first one, so a late key does not push the rest of the burst back."""
        client = self._control_client()
        start = time.monotonic()
        lines = [f"send-keys -t {self.session} -l -- {_quoted(char)}\n" for char in code]
        lines.append(f"send-keys -t {self.session} {terminator}\n")
        with self._control_lock:
            for index, line in enumerate(lines):
                delay = start + index * gap_ms / 1000 - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                client.stdin.write(line)
                client.stdin.flush()

    def _control_client(self) -> subprocess.Popen:
        if self._control is None:
            self._control = subprocess.Popen(
                ["tmux", "-C", "attach-session", "-t", self.session, "-f", "no-output,ignore-size"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
            # The client answers every command: drain it, or the server stalls once the pipe is full.
            threading.Thread(target=self._control.stdout.read, daemon=True).start()
        return self._control
