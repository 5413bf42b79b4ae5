"""The hang-up check sees a closed terminal and nothing else, and never eats a keystroke."""
import os
import pty

from kiosk.terminal_watch import terminal_gone


def test_a_live_terminal_is_not_gone_and_keeps_its_input():
    master, slave = pty.openpty()
    try:
        assert not terminal_gone(slave)
        os.write(master, b"G001\n")  # a scanner ends a code with Enter
        assert not terminal_gone(slave)
        assert os.read(slave, 16) == b"G001\n"  # the check read nothing
    finally:
        os.close(master), os.close(slave)


def test_a_terminal_whose_other_end_closed_is_gone():
    master, slave = pty.openpty()
    os.close(master)  # tmux closed the window
    try:
        assert terminal_gone(slave)
    finally:
        os.close(slave)


def test_a_station_that_lost_its_terminal_ends_even_if_shutdown_hangs(settings, db, monkeypatch):
    """Textual's shutdown was seen to hang on a closed terminal; the station must still end (systemd restarts it)."""
    import threading
    import time

    from kiosk import app as app_module
    from kiosk.app import KioskApp

    ended = threading.Event()
    calls = []
    monkeypatch.setattr(app_module.os, "_exit", lambda code: calls.append(code) or ended.set())
    station = KioskApp(settings, station_id="st-test")
    station.LOST_TERMINAL_GRACE_SECONDS = 0.2
    monkeypatch.setattr(station, "exit", lambda *a, **k: None)  # the clean exit never finishes
    station.exit_for_lost_terminal()
    station.exit_for_lost_terminal()  # SIGHUP and the hang-up check may both fire: one guard
    assert ended.wait(5)
    time.sleep(0.4)
    assert calls == [0]
