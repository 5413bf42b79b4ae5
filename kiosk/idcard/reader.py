"""A card reader on a serial port (pyserial): find the card, select it, read its text.

`CardReader.poll()` is one round: None when no card is on the reader, a Card when one was read, IdCardError
for everything else, each with its own message: the port is missing or was unplugged, the reader is silent,
another device is talking on the port, a frame came garbled, truncated or with a bad checksum, the card was
taken away during the read, the card's text does not read. The photo that comes with the text is dropped as
soon as the frame is decoded.
"""
from __future__ import annotations

import os
import time
from datetime import date

from kiosk.idcard import IdCardError
from kiosk.idcard.card import Card, parse_card_text
from kiosk.idcard.frames import (FIND_CARD, READ_TEXT_PHOTO, SELECT_CARD, SW_CARD_FOUND, SW_NO_CARD, SW_OK,
                                 SW_READ_FAILED, SW_SELECT_FAILED, BadFrame, FrameDecoder, encode_request)

ANSWER_SECONDS = 1.0  # a reader answers find/select in ~10 ms and the text+photo (1.3 KB) in ~0.2 s at 115200
CARD_GONE = (SW_NO_CARD, SW_SELECT_FAILED, SW_READ_FAILED)


def port_errors() -> tuple[type[BaseException], ...]:
    """What a serial port raises when it is missing, unplugged or not a port. termios.error is not an OSError:
    pyserial lets it through when a USB reader is pulled out while open."""
    import termios

    import serial

    return serial.SerialException, OSError, ValueError, termios.error


class CardReader:
    """One reader on `port`. Use as a context manager, or open() / close()."""

    def __init__(self, port: str, baud: int = 115200, answer_seconds: float = ANSWER_SECONDS) -> None:
        self.port = port
        self.baud = baud
        self.answer_seconds = answer_seconds
        self.connection = None

    def open(self) -> "CardReader":

        if not self.port:
            raise IdCardError("idcard.err_no_port")
        if "://" not in self.port and not os.path.exists(self.port):
            raise IdCardError("idcard.err_unplugged", port=self.port)
        try:
            import serial  # pyserial, loaded only at a gate with a reader

            self.connection = serial.serial_for_url(self.port, baudrate=self.baud, timeout=0.05)
            self.connection.reset_input_buffer()
        except port_errors() as error:
            raise IdCardError("idcard.err_unreachable", port=self.port, reason=str(error)) from None
        return self

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            except port_errors():
                pass
            self.connection = None

    def __enter__(self) -> "CardReader":
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------ one request, one answer

    def transact(self, command: tuple[int, int]):
        """Send one request and return the answer's Frame; IdCardError when no good answer comes."""
        decoder = FrameDecoder()
        received = 0
        try:
            self.connection.reset_input_buffer()  # an answer to an earlier, abandoned request is not this one
            self.connection.write(encode_request(command))
            deadline = time.monotonic() + self.answer_seconds
            while time.monotonic() < deadline:
                chunk = self.connection.read(max(1, self.connection.in_waiting or 1))
                if not chunk:
                    continue
                received += len(chunk)
                for item in decoder.feed(chunk):
                    if isinstance(item, BadFrame):
                        raise IdCardError("idcard.err_checksum" if item.reason == "checksum" else "idcard.err_garbled")
                    return item
        except port_errors() as error:
            self.close()
            raise IdCardError("idcard.err_unreachable", port=self.port, reason=str(error)) from None
        if received == 0:
            raise IdCardError("idcard.err_silent", port=self.port)
        if decoder.partial():
            raise IdCardError("idcard.err_truncated")
        if decoder.frames_seen == 0:
            raise IdCardError("idcard.err_other_device", port=self.port)
        raise IdCardError("idcard.err_garbled")

    # ------------------------------------------------------------ a card

    def card_present(self) -> bool:
        """True while a card is still on the reader (a find only: no select, no read)."""
        if self.connection is None:
            self.open()
        return self.transact(FIND_CARD).status == SW_CARD_FOUND

    def poll(self, today: date) -> Card | None:
        """One round on the reader: None if no card is there, else the card read (or IdCardError)."""
        if self.connection is None:
            self.open()
        found = self.transact(FIND_CARD)
        if found.status == SW_NO_CARD:
            return None
        if found.status != SW_CARD_FOUND:
            raise IdCardError("idcard.err_reader_status", code=f"{found.status:02X}")
        selected = self.transact(SELECT_CARD)
        if selected.status in CARD_GONE:
            raise IdCardError("idcard.err_removed")
        if selected.status != SW_OK:
            raise IdCardError("idcard.err_reader_status", code=f"{selected.status:02X}")
        answer = self.transact(READ_TEXT_PHOTO)
        if answer.status in CARD_GONE:
            raise IdCardError("idcard.err_removed")
        if answer.status != SW_OK:
            raise IdCardError("idcard.err_reader_status", code=f"{answer.status:02X}")
        return parse_card_text(card_text(answer.data), today)


def card_text(data: bytes) -> bytes:
    """The text part of a read answer (2-byte text length, 2-byte photo length, text, photo); the photo is
    not kept. A data block shorter than its own lengths is a garbled frame."""
    if len(data) < 4:
        raise IdCardError("idcard.err_garbled")
    text_length = int.from_bytes(data[0:2], "big")
    photo_length = int.from_bytes(data[2:4], "big")
    if len(data) < 4 + text_length + photo_length or text_length < 256:
        raise IdCardError("idcard.err_garbled")
    return data[4:4 + text_length]


def read_one_card(port: str, baud: int, timeout: float, poll_seconds: float, today: date) -> Card:
    """Wait up to `timeout` seconds for a card and read it (the CLI's `kiosk idcard test`)."""
    with CardReader(port, baud) as reader:
        deadline = time.monotonic() + timeout
        while True:
            card = reader.poll(today)
            if card is not None:
                return card
            if time.monotonic() + poll_seconds > deadline:
                raise IdCardError("idcard.err_no_card", seconds=f"{timeout:g}")
            time.sleep(poll_seconds)
