"""Notice that the station's terminal has gone away, without reading from it.

When tmux closes, an SSH session drops or the console is torn down, a SIGHUP normally ends the
station. It does not when something else leads the terminal's session and keeps the signal to itself
(`make run` does: make waits for its child on SIGHUP). Textual's input thread then sees end-of-file
on every select(), reads nothing and loops, so an unseen station keeps running at half a CPU.

A tty that was hung up reports POLLHUP to poll(); a live one never does. Polling with a zero
timeout consumes no input, so it cannot steal a keystroke from Textual's reader.
"""
from __future__ import annotations

import select

GONE = select.POLLHUP | select.POLLERR | select.POLLNVAL


def terminal_gone(fd: int) -> bool:
    """True once the terminal on `fd` was hung up or closed (never blocks, never reads)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return any(mask & GONE for _fd, mask in poller.poll(0))
