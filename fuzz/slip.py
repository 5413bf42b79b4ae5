"""Slip QR codes: kiosk.services.slip_codec.decode and the gate's verdict on the result (slip_rules).

No database: codes are checked against a fixed test key (key id 1). The first byte picks how the
rest of the input becomes a code:

  0  the bytes as typed text (anything a scanner or keyboard can send)
  1  a slip signed with the test key from fuzzed fields, then up to 4 characters changed, the case
     changed or spaces added: the path a real, slightly damaged or forged code takes
  2  fuzzed body and signature bytes written in the code's own text form (reaches the binary layout)
  3  fuzzed fields signed by another key with the same key id (another school's slip)

Contract checked on every input:
- decode never raises and returns a DecodedSlip or a CodecError with a documented reason;
- a code is accepted only when it is exactly what the office signs for that payload (Ed25519 is
  deterministic), so no changed, re-cased-beyond-case or foreign code is ever accepted;
- slip_verdict on the result gives a known verdict; an exit needs an accepted code, an active boarder,
  an approved, unrevoked slip and `now` inside its window; every reason has a catalog text.
"""
from __future__ import annotations

import base64
import uuid
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fuzz.data import Data
from kiosk.config import Settings
from kiosk.i18n import t_in
from kiosk.services import slip_codec, slip_rules
from kiosk.services.slip_codec import CodecError, DecodedSlip, SlipPayload
from kiosk.services.slip_rules import Crossing, SlipState, StudentInfo

KEY_ID = 1
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(101, 133)))
PUBLIC_KEYS = {KEY_ID: KEY.public_key().public_bytes_raw()}
SETTINGS = Settings()
CODEC_REASONS = {"damaged", "unknown_key", "bad_signature"}
BASE = 29_000_000  # minutes since 1970: late 2025, where real slips live
NUMBER_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_./"


def _payload(data: Data) -> SlipPayload:
    key_id = KEY_ID if data.flag() else data.uint(2)
    length = data.int_in(1, slip_codec.MAX_NUMBER)
    number = "".join(data.choice(NUMBER_CHARS) for _ in range(length))
    start = BASE + data.int_in(0, 2_000_000)
    end = start + data.int_in(0, 20_000)
    back = end + data.int_in(0, 20_000)
    return SlipPayload(key_id=key_id, slip_id=str(uuid.UUID(bytes=data.bytes(16).ljust(16, b"\0"))),
                       student_number=number, leave_from=slip_codec.from_minutes(start),
                       leave_to=slip_codec.from_minutes(end), return_by=slip_codec.from_minutes(back),
                       flags=data.uint(1) & slip_codec.KNOWN_FLAGS)


def _damage(code: str, data: Data) -> str:
    chars = list(code)
    for _ in range(data.int_in(0, 4)):
        if not chars:
            break
        position = data.int_in(0, len(chars) - 1)
        action = data.int_in(0, 2)
        if action == 0:
            chars[position] = chr(data.uint(1))
        elif action == 1:
            del chars[position]
        else:
            chars.insert(position, chr(data.uint(1)))
    text = "".join(chars)
    if data.flag():
        text = text.lower()
    if data.flag():
        text = " " + text + "\t"
    return text


def make_code(data: Data) -> tuple[str, SlipPayload | None]:
    """(code text, the payload it was made from when it is a signed one)."""
    mode = data.int_in(0, 3)
    if mode == 0:
        return data.text(), None
    if mode == 2:
        body, signature = data.bytes(data.int_in(0, 120)), data.bytes(64)
        return slip_codec.PREFIX + base64.b32encode(body + signature).decode("ascii").rstrip("="), None
    payload = _payload(data)
    signer = KEY if mode == 1 else OTHER_KEY
    code = slip_codec.sign(payload, signer)
    return (_damage(code, data) if mode == 1 else code), payload


def _state(data: Data, payload: SlipPayload) -> SlipState | None:
    if data.flag():
        return None
    return SlipState(payload.slip_id, approved=data.flag(), revoked=data.flag())


def _student(data: Data, payload: SlipPayload) -> StudentInfo | None:
    if data.int_in(0, 7) == 0:
        return None
    return StudentInfo(id="s1", number=payload.student_number, name="张三", class_name="高一(1)班",
                       boarder=data.int_in(0, 7) != 0, active=data.int_in(0, 7) != 0)


def _crossings(data: Data, payload: SlipPayload) -> list[Crossing]:
    crossings = []
    for _ in range(data.int_in(0, 3)):
        direction = data.choice((slip_rules.EXIT, slip_rules.RETURN))
        at = payload.leave_from + timedelta(minutes=data.int_in(-600, 30_000))
        crossings.append(Crossing(direction, "slip", at, payload.slip_id if data.flag() else str(uuid.uuid4())))
    return crossings


def check_verdict(data: Data, decoded, payload: SlipPayload | None) -> None:
    subject = decoded.payload if isinstance(decoded, DecodedSlip) else payload
    if subject is None:
        subject = SlipPayload(0, str(uuid.UUID(int=0)), "0", slip_codec.EPOCH, slip_codec.EPOCH, slip_codec.EPOCH)
    now = subject.leave_from + timedelta(minutes=data.int_in(-3000, 30_000))
    state, student, crossings = _state(data, subject), _student(data, subject), _crossings(data, subject)
    verdict = slip_rules.slip_verdict(now, decoded, state, student, crossings, SETTINGS)
    assert verdict.kind in (slip_rules.EXIT, slip_rules.RETURN, slip_rules.REFUSE), verdict
    if verdict.kind == slip_rules.REFUSE:
        assert verdict.reason_code in slip_rules.REFUSALS, verdict
    if isinstance(decoded, CodecError):
        assert verdict.kind == slip_rules.REFUSE, verdict
    if verdict.kind == slip_rules.EXIT:
        assert isinstance(decoded, DecodedSlip) and student is not None and student.active and student.boarder
        assert state is None or (state.approved and not state.revoked), (verdict, state)
        assert subject.leave_from <= now <= subject.leave_to, (verdict, now)
        assert not any(c.slip_id == subject.slip_id for c in crossings), verdict
    for language in ("zh-CN", "en"):
        key = f"slips.reason_{verdict.reason_code}"
        args = dict(verdict.args)
        args.pop("weekday_key", None)
        assert t_in(language, key, **args) != key, f"no {language} text for {key}"


def TestOneInput(data: bytes) -> None:
    source = Data(data)
    code, payload = make_code(source)
    decoded = slip_codec.decode(code, PUBLIC_KEYS)
    assert isinstance(decoded, (DecodedSlip, CodecError)), decoded
    if isinstance(decoded, CodecError):
        assert decoded.reason in CODEC_REASONS, decoded
    else:
        # Accepted only if it is, up to case and surrounding space, exactly the office's own code.
        canonical = slip_codec.sign(decoded.payload, KEY)
        assert code.strip().upper() == canonical.upper(), (code, canonical)
        assert decoded.payload.key_id == KEY_ID
    check_verdict(source, decoded, payload)
