"""IdCardWatch: the card reader's line under the visitor form, and the thread that polls the reader.

While the form is on screen the thread asks the reader for a card every `idcard.poll_ms`; the port is closed
whenever the form is not shown (`pause()`, e.g. under a dialog or after leaving it). A card is posted once as
`IdCardWatch.CardRead` (again only after it was taken off); a reader problem is shown on this line in the current
language and cleared when the reader works again, so typing by hand carries on meanwhile.

The poll loop is a plain daemon thread, not a Textual worker: it lives as long as the form, and Textual's
`workers.wait_for_complete()` (which tests and the save path wait on) must not wait for it.

With `idcard.port = "sim"` (`kiosk run --idcard-sim`) the line owns a simulated reader (kiosk.idcard.simulator)
and `place_next_demo_card()` puts the next demo card on it.
"""
from __future__ import annotations

import logging
import threading
from datetime import date
from typing import Callable

from textual.message import Message
from textual.widgets import Static

from kiosk.i18n import t

log = logging.getLogger(__name__)
SIMULATED_PORT = "sim"
RETRY_SECONDS = 2.0  # after a reader problem, try again this often (a replugged reader comes back by itself)


class IdCardWatch(Static):
    DEFAULT_CSS = """
    IdCardWatch { height: auto; padding: 0 1; color: $text-muted; }
    IdCardWatch.-problem { color: $error; text-style: bold; }
    """

    class CardRead(Message):
        def __init__(self, card) -> None:
            super().__init__()
            self.card = card

    def __init__(self, port: str, baud: int, poll_ms: int, today: Callable[[], date], **kwargs) -> None:
        super().__init__("", **kwargs)
        self.port = port
        self.baud = baud
        self.poll_seconds = poll_ms / 1000
        self.today = today
        self.problem = None  # the IdCardError shown, or None
        self.note: tuple[str, dict] | None = None  # (key, values) of the last card or demo line
        self.simulator = None
        self.demo_index = 0
        self._active = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def simulated(self) -> bool:
        return self.port == SIMULATED_PORT

    def on_mount(self) -> None:
        if self.simulated:
            from kiosk.idcard.simulator import SimulatedReader

            self.simulator = SimulatedReader().start()
        self._thread = threading.Thread(target=self._watch, name="idcard-watch", daemon=True)
        self._thread.start()
        self.resume()
        self.refresh_text()

    def on_unmount(self) -> None:
        self._stop.set()
        self._active.set()  # wake the loop so it sees the stop
        if self._thread is not None:
            self._thread.join(timeout=3)
        if self.simulator is not None:
            self.simulator.stop()

    def pause(self) -> None:
        self._active.clear()

    def resume(self) -> None:
        self._active.set()

    # ------------------------------------------------------------ the line

    def refresh_text(self) -> None:
        if self.problem is not None:
            self.update(self.problem.message())
        elif self.note is not None:
            key, values = self.note
            self.update(t(key, **values))
        else:
            self.update(t("idcard.status_ready"))
        self.set_class(self.problem is not None, "-problem")

    def show_note(self, key: str, **values) -> None:
        self.note = (key, values)
        self.refresh_text()

    def _set_problem(self, problem) -> None:
        self.problem = problem
        self.refresh_text()

    def place_next_demo_card(self) -> None:
        from kiosk.idcard.simulator import demo_cards

        cards = demo_cards()
        card = cards[self.demo_index % len(cards)]
        self.demo_index += 1
        self.simulator.remove()  # taken off and put on again: the next poll reads it even if it is the same
        threading.Timer(self.poll_seconds * 2 + 0.1, self.simulator.place, (card.text,)).start()
        self.show_note("idcard.demo_placed", label=card.label)

    # ------------------------------------------------------------ the poll thread

    class ProblemChanged(Message):
        def __init__(self, problem) -> None:
            super().__init__()
            self.problem = problem

    def on_id_card_watch_problem_changed(self, event: "ProblemChanged") -> None:
        event.stop()
        self._set_problem(event.problem)

    def _watch(self) -> None:
        from kiosk.idcard import IdCardError
        from kiosk.idcard.reader import CardReader

        port = self.simulator.port if self.simulator is not None else self.port
        reader = CardReader(port, self.baud)
        on_reader = False  # a card was read and has not been taken off yet
        shown = None  # the problem key on the line, to post changes only
        while not self._stop.is_set():
            if not self._active.is_set():
                reader.close()  # the form is not shown: let go of the port
                self._active.wait()
                continue
            wait = self.poll_seconds
            try:
                if on_reader:
                    on_reader = reader.card_present()
                else:
                    card = reader.poll(self.today())
                    if card is not None:
                        on_reader = True
                        self.post_message(self.CardRead(card))  # thread-safe; never blocks on the UI thread
                problem = None
            except IdCardError as error:
                problem, on_reader, wait = error, False, max(wait, RETRY_SECONDS)
                reader.close()  # reopen on the next round: the reader may have been replugged
            except Exception as error:  # a bug: logged with its traceback; the form keeps working without the reader
                log.exception("card reader poll failed")
                problem, wait = IdCardError("idcard.err_unreachable", port=port, reason=type(error).__name__), 10.0
                reader.close()
            key = (problem.key, tuple(sorted(problem.values.items()))) if problem else None
            if key != shown:
                shown = key
                self.post_message(self.ProblemChanged(problem))
            self._stop.wait(wait)
        reader.close()
