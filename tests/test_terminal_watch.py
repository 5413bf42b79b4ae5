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
