"""A scale on a pseudo-terminal: pyserial opens its path like /dev/ttyUSB0 and reads what we send."""
from __future__ import annotations

import os
import pty
import threading
import tty


class FakeScale:
    """Sends `lines` in a loop every `interval` seconds, like a scale set to continuous output.
    `lines` may be changed while it runs (the cook puts the sample down)."""

    def __init__(self, lines: list[bytes], interval: float = 0.02) -> None:
        self.lines = lines
        self.interval = interval
        self.master, self.slave = pty.openpty()
        tty.setraw(self.slave)  # no echo back into the master, no line discipline
        self.port = os.ttyname(self.slave)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._send, daemon=True)

    def _send(self) -> None:
        while not self._stop.is_set():
            for line in list(self.lines):
                try:
                    os.write(self.master, line)
                except OSError:
                    return
                if self._stop.wait(self.interval):
                    return

    def __enter__(self) -> "FakeScale":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        os.close(self.master)
        os.close(self.slave)
