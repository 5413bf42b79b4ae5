"""The pass slip's QR payload: a compact signed binary form, written as ASCII for a keyboard-wedge scanner.

Binary layout (big-endian), version 1:

    offset size field
    0      1    version (1)
    1      2    key id (which office key signed it)
    3      16   slip id (UUID bytes)
    19     1    length n of the student number (1..32)
    20     n    student number (ASCII printable, no spaces)
    20+n   4    leave from, minutes since 1970-01-01 UTC
    24+n   4    leave to, minutes
    28+n   4    return by, minutes
    32+n   1    flags (bit 0: needs approval beyond the head teacher; other bits must be 0)
    33+n   64   Ed25519 signature over bytes [0, 33+n)

With an 8-digit student number the whole is 105 bytes. Text form: `S1:` + RFC 4648 base32 without padding
(168 characters for 105 bytes).

Why base32 and not base45: both use only QR alphanumeric-mode characters (5.5 bits per character), so the
QR stays in the dense mode either way. base45 is about 6% shorter (158 vs 168 characters, 869 vs 924 bits),
but its alphabet includes space, `$ % * + - . / :`. A USB scanner "types" the code through the keyboard
layout; symbols that need Shift differ between layouts and IMEs, and a space at either end is trimmed by
input fields. base32's alphabet (A-Z, 2-7) types identically on every layout, and decoding accepts lower
case too, so a scanner with Caps Lock on still works. Robust typing is worth one QR version step at most.

`decode()` never raises on any input: it returns a DecodedSlip or a CodecError (damaged / unknown_key /
bad_signature). Signature verification uses `cryptography` (imported lazily, public keys cached).
"""
from __future__ import annotations

import base64
import binascii
import struct
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Mapping

PREFIX = "S1:"
VERSION = 1
FLAG_NEEDS_APPROVAL = 0x01
KNOWN_FLAGS = FLAG_NEEDS_APPROVAL
SIGNATURE_SIZE = 64
MAX_NUMBER = 32
MAX_CODE_LENGTH = 400  # anything longer is damaged without looking further
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

_HEAD = struct.Struct(">BH16sB")
_TAIL = struct.Struct(">IIIB")


@dataclass(frozen=True)
class SlipPayload:
    """What the office signs. Times are aware UTC, whole minutes."""

    key_id: int
    slip_id: str  # UUID text
    student_number: str
    leave_from: datetime
    leave_to: datetime
    return_by: datetime
    flags: int = 0

    @property
    def needs_approval(self) -> bool:
        return bool(self.flags & FLAG_NEEDS_APPROVAL)


@dataclass(frozen=True)
class DecodedSlip:
    """A code whose signature checked out against a known public key."""

    payload: SlipPayload
    ok: bool = True


@dataclass(frozen=True)
class CodecError:
    """Why a code is not a valid slip: damaged (unreadable, wrong shape), unknown_key, bad_signature."""

    reason: str
    key_id: int | None = None
    ok: bool = False


DecodeResult = DecodedSlip | CodecError


def to_minutes(at: datetime) -> int:
    return int((at.astimezone(timezone.utc) - EPOCH).total_seconds() // 60)


def from_minutes(minutes: int) -> datetime:
    return EPOCH + timedelta(minutes=minutes)


def floor_minute(at: datetime) -> datetime:
    """The time as the payload carries it (whole minutes, UTC)."""
    return from_minutes(to_minutes(at))


def _valid_number(number: str) -> bool:
    return 1 <= len(number) <= MAX_NUMBER and all(33 <= ord(ch) <= 126 for ch in number)


def pack(payload: SlipPayload) -> bytes:
    """The signed part (without signature). Raises ValueError on a payload that cannot be represented."""
    if not _valid_number(payload.student_number):
        raise ValueError(f"student number {payload.student_number!r} cannot go into a slip code")
    if not 0 <= payload.key_id <= 0xFFFF or payload.flags & ~KNOWN_FLAGS:
        raise ValueError("key id or flags out of range")
    number = payload.student_number.encode("ascii")
    minutes = [to_minutes(t) for t in (payload.leave_from, payload.leave_to, payload.return_by)]
    if any(not 0 <= m <= 0xFFFFFFFF for m in minutes):
        raise ValueError("time out of range")
    return (_HEAD.pack(VERSION, payload.key_id, uuid.UUID(payload.slip_id).bytes, len(number)) + number
            + _TAIL.pack(*minutes, payload.flags))


def encode_bytes(signed: bytes, signature: bytes) -> str:
    return PREFIX + base64.b32encode(signed + signature).decode("ascii").rstrip("=")


def sign(payload: SlipPayload, private_key) -> str:
    """The ASCII code for `payload`, signed with an Ed25519PrivateKey."""
    body = pack(payload)
    return encode_bytes(body, private_key.sign(body))


def _unpack(body: bytes) -> SlipPayload | None:
    if len(body) < _HEAD.size + 1 + _TAIL.size:
        return None
    version, key_id, slip_bytes, length = _HEAD.unpack_from(body, 0)
    if version != VERSION or not 1 <= length <= MAX_NUMBER or len(body) != _HEAD.size + length + _TAIL.size:
        return None
    raw_number = body[_HEAD.size:_HEAD.size + length]
    if any(not 33 <= b <= 126 for b in raw_number):
        return None
    start, end, back, flags = _TAIL.unpack_from(body, _HEAD.size + length)
    if flags & ~KNOWN_FLAGS:
        return None
    return SlipPayload(key_id=key_id, slip_id=str(uuid.UUID(bytes=slip_bytes)), student_number=raw_number.decode("ascii"),
                       leave_from=from_minutes(start), leave_to=from_minutes(end), return_by=from_minutes(back), flags=flags)


def looks_like_slip(code: str) -> bool:
    return code.strip()[:len(PREFIX)].upper() == PREFIX


_key_cache: dict[bytes, object] = {}


def _public_key(raw: bytes):
    key = _key_cache.get(raw)
    if key is None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        key = Ed25519PublicKey.from_public_bytes(raw)
        _key_cache[raw] = key
    return key


def decode(code: object, public_keys: Mapping[int, bytes]) -> DecodeResult:
    """Check a scanned code against the known public keys (key id -> 32 raw bytes). Never raises."""
    try:
        return _decode(code, public_keys)
    except Exception:  # noqa: BLE001 - contract: any input gives a result, never an exception
        return CodecError("damaged")


def _decode(code: object, public_keys: Mapping[int, bytes]) -> DecodeResult:
    if not isinstance(code, str) or len(code) > MAX_CODE_LENGTH:
        return CodecError("damaged")
    text = code.strip()
    if not looks_like_slip(text):
        return CodecError("damaged")
    body_text = text[len(PREFIX):].upper()
    if not body_text.isascii() or not body_text.isalnum():
        return CodecError("damaged")
    try:
        raw = base64.b32decode(body_text + "=" * (-len(body_text) % 8))
    except (binascii.Error, ValueError):
        return CodecError("damaged")
    # Non-canonical text (extra bits in the last character) would decode like a valid one: refuse it.
    if base64.b32encode(raw).decode("ascii").rstrip("=") != body_text:
        return CodecError("damaged")
    if len(raw) <= SIGNATURE_SIZE:
        return CodecError("damaged")
    body, signature = raw[:-SIGNATURE_SIZE], raw[-SIGNATURE_SIZE:]
    payload = _unpack(body)
    if payload is None:
        return CodecError("damaged")
    key = public_keys.get(payload.key_id)
    if key is None:
        return CodecError("unknown_key", payload.key_id)
    from cryptography.exceptions import InvalidSignature

    try:
        _public_key(bytes(key)).verify(signature, body)
    except (InvalidSignature, ValueError):
        return CodecError("bad_signature", payload.key_id)
    return DecodedSlip(payload)
