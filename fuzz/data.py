"""A small stand-in for atheris.FuzzedDataProvider, in plain Python.

The harnesses use this rather than atheris's own provider so the default test suite can replay the
seed corpus without atheris installed. It reads the input from the front; when the bytes run out every
method returns its smallest value, so any input (even b"") is a valid input.
"""
from __future__ import annotations

from typing import Sequence, TypeVar

T = TypeVar("T")


class Data:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0

    def remaining(self) -> int:
        return len(self._data) - self._at

    def bytes(self, count: int) -> bytes:
        chunk = self._data[self._at:self._at + max(0, count)]
        self._at += len(chunk)
        return chunk

    def rest(self) -> bytes:
        return self.bytes(self.remaining())

    def uint(self, size: int = 1) -> int:
        """An unsigned big-endian integer of `size` bytes (0 when the input has run out)."""
        return int.from_bytes(self.bytes(size), "big")

    def int_in(self, low: int, high: int) -> int:
        """An integer in [low, high]."""
        span = high - low + 1
        size = max(1, (span.bit_length() + 7) // 8)
        return low + self.uint(size) % span

    def choice(self, options: Sequence[T]) -> T:
        return options[self.int_in(0, len(options) - 1)]

    def flag(self) -> bool:
        return bool(self.uint(1) & 1)

    def text(self, max_bytes: int | None = None) -> str:
        """Text from the next bytes (a length byte first when `max_bytes` is given).

        UTF-8 with invalid bytes kept as lone surrogates (`surrogateescape`), as Python hands over
        command-line arguments and environment values it cannot decode.
        """
        if max_bytes is None:
            raw = self.rest()
        else:
            raw = self.bytes(self.int_in(0, max_bytes))
        return raw.decode("utf-8", "surrogateescape")

    def clean_text(self, max_bytes: int | None = None) -> str:
        """Like `text`, but undecodable bytes become U+FFFD, as a terminal or a file reader gives them."""
        if max_bytes is None:
            raw = self.rest()
        else:
            raw = self.bytes(self.int_in(0, max_bytes))
        return raw.decode("utf-8", "replace")
