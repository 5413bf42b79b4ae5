"""The reader's frame protocol (the security module's serial frames, as in GA 467).

A request:  AA AA AA 96 69 | length (2 bytes, big-endian) | command | parameter | data | checksum
A response: AA AA AA 96 69 | length (2 bytes, big-endian) | SW1 SW2 SW3       | data | checksum

`length` counts everything after itself (command or status bytes, data and the checksum); the checksum is the
XOR of every byte after the preamble except itself. SW3 says what happened (0x90 done, 0x9F card found, ...).

`FrameDecoder` takes bytes as they arrive (a frame may come in pieces, or glued to the next one) and hands
back whole frames; bytes that are not a frame are skipped up to the next preamble, and a frame whose checksum
or length is wrong is reported, never taken.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
HEADER_BYTES = len(PREAMBLE) + 2  # preamble + length
MAX_LENGTH = 4096  # text + photo + fingerprint is under 2.4 KB; a larger length is a misread header

FIND_CARD = (0x20, 0x01)
SELECT_CARD = (0x20, 0x02)
READ_TEXT_PHOTO = (0x30, 0x01)

# SW3 status codes a reader answers with.
SW_OK = 0x90
SW_CARD_FOUND = 0x9F
SW_NO_CARD = 0x80
SW_SELECT_FAILED = 0x81
SW_READ_FAILED = 0x41
SW_BAD_CHECKSUM = 0x10  # the reader received our request damaged
SW_BAD_LENGTH = 0x11
SW_BAD_COMMAND = 0x21


def checksum(body: bytes) -> int:
    return reduce(lambda total, byte: total ^ byte, body, 0)


def _frame(head: bytes, data: bytes) -> bytes:
    body = (len(head) + len(data) + 1).to_bytes(2, "big") + head + data
    return PREAMBLE + body + bytes([checksum(body)])


def encode_request(command: tuple[int, int], data: bytes = b"") -> bytes:
    return _frame(bytes(command), data)


def encode_response(status: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    return _frame(bytes([sw1, sw2, status]), data)


@dataclass(frozen=True)
class Frame:
    """A whole frame: `head` is SW1 SW2 SW3 for a response (command + parameter for a request), then data."""

    head: bytes
    data: bytes

    @property
    def status(self) -> int:
        return self.head[-1]


@dataclass(frozen=True)
class BadFrame:
    """A frame that cannot be taken: `reason` is "checksum" or "length"."""

    reason: str


class FrameDecoder:
    """Incremental decoder. `feed(bytes)` returns the Frames and BadFrames completed by those bytes."""

    def __init__(self, head_bytes: int = 3) -> None:
        self.head_bytes = head_bytes  # 3 for responses (SW1-SW3), 2 for requests (command, parameter)
        self.buffer = bytearray()
        self.skipped = 0  # bytes thrown away because they were not part of a frame
        self.frames_seen = 0  # preambles found (whole or not): tells a reader from another device

    def feed(self, chunk: bytes) -> list[Frame | BadFrame]:
        self.buffer += chunk
        out: list[Frame | BadFrame] = []
        while True:
            start = self.buffer.find(PREAMBLE)
            if start < 0:
                keep = len(PREAMBLE) - 1  # the tail may be the start of a preamble split across reads
                drop = max(0, len(self.buffer) - keep)
                self._skip(drop)
                return out
            self._skip(start)
            if len(self.buffer) < HEADER_BYTES:
                return out
            length = int.from_bytes(self.buffer[len(PREAMBLE):HEADER_BYTES], "big")
            if not self.head_bytes + 1 <= length <= MAX_LENGTH:
                self.frames_seen += 1
                out.append(BadFrame("length"))
                self._skip(1)  # resync: look for the next preamble after this one
                continue
            end = HEADER_BYTES + length
            if len(self.buffer) < end:
                return out
            self.frames_seen += 1
            body = bytes(self.buffer[len(PREAMBLE):end - 1])
            if checksum(body) != self.buffer[end - 1]:
                out.append(BadFrame("checksum"))
                self._skip(1)
                continue
            payload = body[2:]
            out.append(Frame(payload[:self.head_bytes], payload[self.head_bytes:]))
            del self.buffer[:end]

    def _skip(self, count: int) -> None:
        if count:
            del self.buffer[:count]
            self.skipped += count

    def partial(self) -> bool:
        """True while a frame has started (preamble seen) but not all of it has arrived."""
        return self.buffer.startswith(PREAMBLE)
