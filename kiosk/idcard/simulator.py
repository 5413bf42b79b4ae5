"""A card reader on a pseudo-terminal, for tests and demos: the kiosk opens its path like /dev/ttyUSB0.

It answers find / select / read frames like a reader, with the demo cards of assets/idcard/demo_cards.toml
(fictional people; a valid card, an expired one, a foreign permanent resident card, one whose text is garbage)
and with faults to inject: no card, the card removed between select and read, a bad checksum, a truncated
frame, a garbled header, silence, another device talking on the port.

    kiosk idcard sim          runs one in the terminal: it prints its port; type 1-4 + Enter to place a card,
                              0 to take it away, a fault's name to inject it (none clears it), q to stop
    kiosk run --idcard-sim    a gate whose register form has one built in: F7 places the next demo card
"""
from __future__ import annotations

import os
import pty
import select
import threading
import tomllib
import tty
from dataclasses import dataclass

from kiosk import paths
from kiosk.idcard.frames import (FIND_CARD, PREAMBLE, READ_TEXT_PHOTO, SELECT_CARD, SW_BAD_COMMAND, SW_CARD_FOUND,
                                 SW_NO_CARD, SW_OK, FrameDecoder, encode_response)

FAULTS = ("removed_mid_read", "bad_checksum", "truncated", "garbled", "silence", "other_device")
PHOTO_BYTES = 1024  # a real card's photo is a 1024-byte WLT image; the simulator sends filler of that size


def _ucs2(value: str, size: int) -> bytes:
    raw = value.encode("utf-16-le")[:size]
    return raw + " ".encode("utf-16-le") * ((size - len(raw)) // 2)


def resident_text(name: str, sex: str, nation: str, birth: str, address: str, id_number: str, authority: str,
                  valid_from: str, valid_to: str, mark: str = " ", pass_number: str = "") -> bytes:
    """256 bytes of card text in the resident layout (mark "J" and a pass number: a residence permit)."""
    text = (_ucs2(name, 30) + _ucs2(sex, 2) + _ucs2(nation, 4) + _ucs2(birth, 16) + _ucs2(address, 70)
            + _ucs2(id_number, 36) + _ucs2(authority, 30) + _ucs2(valid_from, 16) + _ucs2(valid_to, 16))
    return text + _ucs2(pass_number, 18) + _ucs2("", 10) + _ucs2(mark, 2) + _ucs2("", 6)


def foreign_text(name_en: str, sex: str, id_number: str, nationality: str, name: str, valid_from: str,
                 valid_to: str, birth: str, version: str = "01", authority: str = "1100") -> bytes:
    """256 bytes of card text in the 2017 foreign permanent resident layout (mark "I")."""
    return (_ucs2(name_en, 120) + _ucs2(sex, 2) + _ucs2(id_number, 30) + _ucs2(nationality, 6) + _ucs2(name, 30)
            + _ucs2(valid_from, 16) + _ucs2(valid_to, 16) + _ucs2(birth, 16) + _ucs2(version, 4)
            + _ucs2(authority, 8) + _ucs2("I", 2) + _ucs2("", 6))


@dataclass(frozen=True)
class DemoCard:
    key: str  # resident_valid, resident_expired, foreign, garbage
    label: str  # what the demo says it placed
    text: bytes


def demo_cards() -> list[DemoCard]:
    data = tomllib.loads((paths.assets_dir() / "idcard" / "demo_cards.toml").read_text(encoding="utf-8"))
    cards = []
    for key, fields in data.items():
        fields = dict(fields)
        label = fields.pop("label")
        layout = fields.pop("layout")
        if layout == "foreign":
            text = foreign_text(**fields)
        else:
            text = resident_text(**fields)
        cards.append(DemoCard(key, label, text))
    return cards


class SimulatedReader:
    """A reader on a pty. `place(text)` puts a card on it, `remove()` takes it off, `fault` injects a fault."""

    def __init__(self) -> None:
        self.master, self.slave = pty.openpty()
        tty.setraw(self.slave)  # raw bytes both ways: no echo, no line discipline
        tty.setraw(self.master)
        self.port = os.ttyname(self.slave)
        self.card: bytes | None = None
        self.fault: str | None = None
        self.requests: list[tuple[int, int]] = []  # what the kiosk asked, for tests
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="idcard-sim", daemon=True)

    def place(self, text: bytes) -> None:
        self.card = text

    def remove(self) -> None:
        self.card = None

    def start(self) -> "SimulatedReader":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> "SimulatedReader":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _serve(self) -> None:
        decoder = FrameDecoder(head_bytes=2)
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                return
            for request in decoder.feed(chunk):
                if not hasattr(request, "head"):
                    continue  # a damaged request: a real reader answers 0x10; ours waits for the next one
                command = (request.head[0], request.head[1])
                self.requests.append(command)
                answer = self.answer(command)
                if answer:
                    try:
                        os.write(self.master, answer)
                    except OSError:
                        return

    def answer(self, command: tuple[int, int]) -> bytes:
        """The bytes a reader sends back for `command`, given the card on it and the fault to inject."""
        fault = self.fault
        if fault == "silence":
            return b""
        if fault == "other_device":
            return b"ST,GS,+0000.132kg\r\n" * 3  # e.g. a scale on the port the reader was meant to be on
        if command == FIND_CARD:
            return encode_response(SW_CARD_FOUND if self.card is not None else SW_NO_CARD)
        if command == SELECT_CARD:
            return encode_response(SW_OK if self.card is not None else SW_NO_CARD)
        if command != READ_TEXT_PHOTO:
            return encode_response(SW_BAD_COMMAND)
        if fault == "removed_mid_read":
            self.card = None
        if self.card is None:
            return encode_response(SW_NO_CARD)
        photo = bytes(PHOTO_BYTES)  # filler: the kiosk drops the photo without looking at it
        data = len(self.card).to_bytes(2, "big") + PHOTO_BYTES.to_bytes(2, "big") + self.card + photo
        frame = encode_response(SW_OK, data)
        if fault == "bad_checksum":
            return frame[:-1] + bytes([frame[-1] ^ 0xFF])
        if fault == "truncated":
            return frame[:len(frame) // 2]
        if fault == "garbled":  # a damaged header: a length no reader sends
            return PREAMBLE + b"\xff\xff" + frame[7:64]
        return frame


def run_interactive(out=None) -> int:
    """`kiosk idcard sim`: a reader in this terminal until q (or end of input). A line "1".."4" places that demo
    card, "0" removes it, a name from FAULTS injects that fault, "none" clears it."""
    import sys

    out = out or sys.stdout
    cards = demo_cards()
    with SimulatedReader() as reader:
        print(f"port: {reader.port}", file=out, flush=True)
        for number, card in enumerate(cards, start=1):
            print(f"  {number}  {card.label}", file=out)
        print("  0  (remove the card)    q  (quit)", file=out)
        print(f"  faults: {' '.join(FAULTS)}  (none: no fault)", file=out, flush=True)
        for line in sys.stdin:
            choice = line.strip()
            if choice == "q":
                break
            if choice == "0":
                reader.remove()
                print("removed", file=out, flush=True)
            elif choice.isdigit() and 1 <= int(choice) <= len(cards):
                reader.place(cards[int(choice) - 1].text)
                print(f"placed: {cards[int(choice) - 1].label}", file=out, flush=True)
            elif choice in FAULTS or choice == "none":
                reader.fault = None if choice == "none" else choice
                print(f"fault: {choice}", file=out, flush=True)
    return 0
