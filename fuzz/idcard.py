"""The ID card reader's input: the serial frames (FrameDecoder) and the card's 256 bytes of text (parse_card_text).

Input: the first byte picks the path. Bit 0 clear: the rest is a byte stream from the port, fed to the decoder in
pieces whose sizes come from the second byte; bit 7 set puts a valid frame after the noise. Bit 0 set: card text,
either the bytes as they are (padded to 256) or, with bit 7, a valid resident card with a few bytes changed.

Contract: the decoder never raises, never returns a frame whose checksum is wrong (each re-encodes to the bytes it
came from), and finds a valid frame that follows noise, unless the noise holds a preamble: a plausible frame
begun there may swallow it (a reader transaction then times out as "truncated"; if the 8-bit checksum matches by
chance it takes a wrong answer, which is why the card text is checked field by field). Card text raises only IdCardError (with text in both
catalogs); a card it accepts has a known sex, real dates, printable name, and (resident cards) an ID number with
the right check character whose birth date is the card's: a misread field never comes out as a card.
"""
from __future__ import annotations

from datetime import date

from fuzz.data import Data
from kiosk.i18n import t_in
from kiosk.idcard import IdCardError
from kiosk.idcard.card import Card, parse_card_text
from kiosk.idcard.frames import PREAMBLE, Frame, FrameDecoder, encode_response
from kiosk.idcard.simulator import resident_text
from kiosk.services.visitor_rules import SEXES, check_resident_id

TODAY = date(2026, 11, 18)
VALID = resident_text("李明远", "1", "01", "19850612", "北京市海淀区中关村大街27号", "110108198506121239",
                      "北京市公安局海淀分局", "20160301", "20360301")
GOOD_FRAME = encode_response(0x90, b"good")


def frames(source: Data, selector: int) -> None:
    piece = source.int_in(1, 64)
    noise = source.rest()
    stream = noise + GOOD_FRAME if selector & 0x80 else noise
    decoder = FrameDecoder()
    out = []
    for start in range(0, len(stream), piece):
        out += decoder.feed(stream[start:start + piece])
    for item in out:
        if isinstance(item, Frame):
            assert encode_response(item.head[2], item.data, item.head[0], item.head[1]) in stream, item
    if selector & 0x80:
        if PREAMBLE[:2] not in noise:  # plain noise: the frame after it is always found
            assert Frame(b"\x00\x00\x90", b"good") in out, out


def card(source: Data, selector: int) -> None:
    if selector & 0x80:
        text = bytearray(VALID)
        for _ in range(source.int_in(1, 4)):
            text[source.int_in(0, 255)] = source.uint(1)
        text = bytes(text)
    else:
        text = (source.rest() + bytes(256))[:256]
    try:
        result = parse_card_text(text, TODAY)
    except IdCardError as error:
        assert t_in("zh-CN", error.key) != error.key and t_in("en", error.key) != error.key, error.key
        return
    assert isinstance(result, Card)
    assert result.sex in SEXES and isinstance(result.birth_date, date) and isinstance(result.valid_from, date)
    assert result.name.isprintable() and (result.name or result.name_en)
    if result.card_type in ("resident", "permit_hmt"):
        checked = check_resident_id(result.id_number, date.max)
        assert checked.ok and checked.birth_date == result.birth_date, (result, checked)


def TestOneInput(data: bytes) -> None:
    source = Data(data)
    selector = source.uint(1)
    if selector & 1:
        card(source, selector)
    else:
        frames(source, selector)
