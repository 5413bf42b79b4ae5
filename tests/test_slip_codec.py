"""The slip QR payload: round trip, tampering of any byte, other keys, truncation, garbage (never raises)."""
from __future__ import annotations

import base64
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from kiosk.services import slip_codec
from kiosk.services.slip_codec import CodecError, DecodedSlip, SlipPayload


def _keypair():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return private, public


PRIVATE, PUBLIC = _keypair()
OTHER_PRIVATE, OTHER_PUBLIC = _keypair()
PAYLOAD = SlipPayload(
    key_id=3, slip_id="0196f0a0-1c2b-7d3e-8f40-123456789abc", student_number="20260105",
    leave_from=datetime(2026, 11, 18, 8, 0, tzinfo=timezone.utc),
    leave_to=datetime(2026, 11, 18, 10, 0, tzinfo=timezone.utc),
    return_by=datetime(2026, 11, 19, 10, 30, tzinfo=timezone.utc), flags=slip_codec.FLAG_NEEDS_APPROVAL,
)
CODE = slip_codec.sign(PAYLOAD, PRIVATE)
KEYS = {3: PUBLIC}


def _raw(code: str) -> bytes:
    body = code[len(slip_codec.PREFIX):]
    return base64.b32decode(body + "=" * (-len(body) % 8))


def _code(raw: bytes) -> str:
    return slip_codec.PREFIX + base64.b32encode(raw).decode().rstrip("=")


def test_round_trip_and_size():
    result = slip_codec.decode(CODE, KEYS)
    assert isinstance(result, DecodedSlip)
    assert result.payload == PAYLOAD
    assert result.payload.needs_approval
    assert len(_raw(CODE)) == 105 and len(CODE) == 3 + 168
    assert set(CODE[3:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def test_lower_case_scan_still_reads():
    assert slip_codec.decode("s1:" + CODE[3:].lower(), KEYS).ok
    assert slip_codec.decode("  " + CODE + "\n", KEYS).ok


def test_unknown_key_and_other_key():
    assert slip_codec.decode(CODE, {4: PUBLIC}) == CodecError("unknown_key", 3)
    assert slip_codec.decode(CODE, {3: OTHER_PUBLIC}) == CodecError("bad_signature", 3)
    forged = slip_codec.sign(PAYLOAD, OTHER_PRIVATE)  # a stolen gate cannot sign: other key, same id
    assert slip_codec.decode(forged, KEYS).reason == "bad_signature"


@pytest.mark.parametrize("cut", [1, 5, 64, 100, 104])
def test_truncated_is_refused(cut):
    raw = _raw(CODE)
    assert not slip_codec.decode(_code(raw[:-cut]), KEYS).ok
    assert not slip_codec.decode(CODE[:-cut], KEYS).ok


@given(st.data())
@hsettings(max_examples=300, deadline=None)
def test_every_single_byte_change_is_refused(data):
    raw = bytearray(_raw(CODE))
    index = data.draw(st.integers(0, len(raw) - 1))
    value = data.draw(st.integers(0, 255).filter(lambda v: v != raw[index]))
    raw[index] = value
    result = slip_codec.decode(_code(bytes(raw)), KEYS)
    assert isinstance(result, CodecError)


def test_every_byte_position_exhaustively_flipped():
    raw = _raw(CODE)
    for index in range(len(raw)):
        for bit in range(8):
            changed = bytearray(raw)
            changed[index] ^= 1 << bit
            assert not slip_codec.decode(_code(bytes(changed)), KEYS).ok, (index, bit)


@given(st.data())
@hsettings(max_examples=300, deadline=None)
def test_every_single_character_change_is_refused(data):
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    body = list(CODE[3:])
    index = data.draw(st.integers(0, len(body) - 1))
    body[index] = data.draw(st.sampled_from([c for c in alphabet if c != body[index]]))
    assert not slip_codec.decode("S1:" + "".join(body), KEYS).ok


@given(st.one_of(st.text(max_size=300), st.binary(max_size=300).map(lambda b: "S1:" + base64.b32encode(b).decode()),
                 st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567=:S1 ", max_size=250).map(lambda s: "S1:" + s),
                 st.none(), st.integers(), st.binary()))
@hsettings(max_examples=400, deadline=None)
def test_garbage_never_crashes(garbage):
    result = slip_codec.decode(garbage, KEYS)
    assert isinstance(result, CodecError)


def test_non_canonical_padding_bits_refused():
    # 105 bytes fill the last base32 character exactly; 104 bytes leave spare bits that must be zero.
    raw = _raw(CODE)
    shorter = _code(raw[:-1])
    assert not slip_codec.decode(shorter, KEYS).ok


def test_pack_refuses_unrepresentable():
    with pytest.raises(ValueError):
        slip_codec.pack(SlipPayload(1, PAYLOAD.slip_id, "学号", PAYLOAD.leave_from, PAYLOAD.leave_to, PAYLOAD.return_by))
    with pytest.raises(ValueError):
        slip_codec.pack(SlipPayload(70000, PAYLOAD.slip_id, "1", PAYLOAD.leave_from, PAYLOAD.leave_to, PAYLOAD.return_by))
