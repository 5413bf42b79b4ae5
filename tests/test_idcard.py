"""The ID card reader: frame codec, card text, what the form takes, the keyboard-wedge split, and a reader on a
real pseudo-terminal (the simulator) with each fault."""
from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from hypothesis import given, strategies as st

from kiosk.idcard import IdCardError
from kiosk.idcard.card import Card, card_type_of, form_fill, parse_card_text
from kiosk.idcard.frames import (FIND_CARD, PREAMBLE, READ_TEXT_PHOTO, BadFrame, Frame, FrameDecoder, checksum,
                                 encode_request, encode_response)
from kiosk.idcard.reader import CardReader, card_text, read_one_card
from kiosk.idcard.simulator import SimulatedReader, demo_cards, foreign_text, resident_text
from kiosk.idcard.wedge import split_wedge
from tests.test_gate_services import actor_for, form, gate  # noqa: F401 (gate is a fixture)

TODAY = date(2026, 11, 18)
VALID = dict(name="李明远", sex="1", nation="01", birth="19850612", address="北京市海淀区中关村大街27号",
             id_number="110108198506121239", authority="北京市公安局海淀分局", valid_from="20160301",
             valid_to="20360301")


# ---------------------------------------------------------------- frames

def test_find_card_request_is_the_documented_bytes():
    # AA AA AA 96 69 | 00 03 | 20 01 | checksum = 00 ^ 03 ^ 20 ^ 01 = 22
    assert encode_request(FIND_CARD) == bytes.fromhex("AAAAAA9669 0003 2001 22")
    assert encode_request(READ_TEXT_PHOTO) == bytes.fromhex("AAAAAA9669 0003 3001 32")


def test_response_length_counts_status_data_and_checksum():
    frame = encode_response(0x90, b"\x01\x02")
    assert frame[:5] == PREAMBLE
    assert int.from_bytes(frame[5:7], "big") == 3 + 2 + 1
    assert frame[-1] == checksum(frame[5:-1])
    assert FrameDecoder().feed(frame) == [Frame(b"\x00\x00\x90", b"\x01\x02")]


def test_a_frame_split_into_single_bytes_decodes_once_whole():
    frame = encode_response(0x90, bytes(range(200)))
    decoder = FrameDecoder()
    out = []
    for byte in frame:
        assert not out
        out += decoder.feed(bytes([byte]))
    assert out == [Frame(b"\x00\x00\x90", bytes(range(200)))]


def test_two_frames_in_one_read_and_garbage_before_them():
    first, second = encode_response(0x9F), encode_response(0x90, b"xy")
    decoder = FrameDecoder()
    assert decoder.feed(b"\x00noise\xaa\xaa" + first + second[:4]) == [Frame(b"\x00\x00\x9f", b"")]
    assert decoder.feed(second[4:]) == [Frame(b"\x00\x00\x90", b"xy")]
    assert decoder.skipped == len(b"\x00noise\xaa\xaa")


def test_a_bad_checksum_is_reported_and_the_next_good_frame_still_found():
    bad = bytearray(encode_response(0x90, b"abc"))
    bad[-2] ^= 0x01
    good = encode_response(0x9F)
    assert FrameDecoder().feed(bytes(bad) + good) == [BadFrame("checksum"), Frame(b"\x00\x00\x9f", b"")]


def test_an_impossible_length_is_reported_without_waiting_for_4_gigabytes():
    out = FrameDecoder().feed(PREAMBLE + b"\xff\xff" + b"\x00" * 10 + encode_response(0x80))
    assert out == [BadFrame("length"), Frame(b"\x00\x00\x80", b"")]


def test_a_truncated_frame_stays_pending():
    decoder = FrameDecoder()
    assert decoder.feed(encode_response(0x90, bytes(50))[:30]) == []
    assert decoder.partial() and decoder.frames_seen == 0


@given(st.binary(max_size=300), st.integers(min_value=1, max_value=40))
def test_any_bytes_never_crash_and_a_good_frame_after_them_is_found(noise, piece):
    frame = encode_response(0x90, b"payload")
    decoder = FrameDecoder()
    stream = noise + PREAMBLE + b"\x00\x00" + frame  # a stray preamble with length 0 in between
    out = []
    for start in range(0, len(stream), piece):
        out += decoder.feed(stream[start:start + piece])
    assert Frame(b"\x00\x00\x90", b"payload") in out


# ---------------------------------------------------------------- card text

def test_resident_card():
    card = parse_card_text(resident_text(**VALID), TODAY)
    assert card == Card("resident", "李明远", "male", date(1985, 6, 12), "110108198506121239", date(2016, 3, 1),
                        date(2036, 3, 1), address="北京市海淀区中关村大街27号", nation="汉",
                        authority="北京市公安局海淀分局")
    assert not card.expired(TODAY)


def test_long_term_card_has_no_end_date():
    card = parse_card_text(resident_text(**{**VALID, "valid_to": "长期"}), TODAY)
    assert card.valid_to is None and not card.expired(date(2099, 1, 1))


def test_hk_macau_taiwan_residence_permit_fills_its_travel_permit():
    text = resident_text(**{**VALID, "nation": "", "id_number": "810000199001010019", "birth": "19900101"},
                         mark="J", pass_number="H12345678")
    card = parse_card_text(text, TODAY)
    assert card.card_type == "permit_hmt" and card.pass_number == "H12345678"
    fill = form_fill(card, TODAY, keep_address=False)
    assert (fill.id_type, fill.id_number) == ("hk_macau", "H12345678")


def test_foreign_permanent_resident_card_reads_but_the_register_refuses_it():
    text = foreign_text("SMITH JOHN", "1", "USA110085061201", "USA", "史密斯", "20200101", "20300101", "19850612")
    card = parse_card_text(text, TODAY)
    assert (card.card_type, card.name_en, card.nationality, card.birth_date) == (
        "foreign_permanent", "SMITH JOHN", "USA", date(1985, 6, 12))
    with pytest.raises(IdCardError) as caught:
        form_fill(card, TODAY, keep_address=True)
    assert caught.value.key == "idcard.err_foreign_on_form"


def test_an_unknown_card_type_is_refused_by_its_mark():
    text = resident_text(**VALID, mark="Y")
    with pytest.raises(IdCardError) as caught:
        card_type_of(text)
    assert caught.value.key == "idcard.err_card_type" and caught.value.values == {"mark": "Y"}


@pytest.mark.parametrize("change", [
    {"sex": "7"}, {"nation": "77"}, {"birth": "19851399"}, {"valid_from": "2016"},
    {"id_number": "110108198506121230"},  # wrong check character
    {"birth": "19850613"},  # the number says another birthday: one of them is misread
    {"name": ""}, {"name": "李\x07明"},
])
def test_a_misread_field_refuses_the_whole_card(change):
    with pytest.raises(IdCardError) as caught:
        parse_card_text(resident_text(**{**VALID, **change}), TODAY)
    assert caught.value.key == "idcard.err_bad_text"


def test_text_that_is_not_utf16_is_refused():
    with pytest.raises(IdCardError):
        parse_card_text(b"\x00\xd8" * 128, TODAY)  # lone surrogates


def test_the_form_takes_the_address_only_when_the_school_keeps_it_and_flags_expiry():
    card = parse_card_text(resident_text(**VALID), TODAY)
    assert form_fill(card, TODAY, keep_address=False).address == ""
    assert form_fill(card, TODAY, keep_address=True).address == "北京市海淀区中关村大街27号"
    fill = form_fill(card, date(2036, 3, 2), keep_address=False)
    assert fill.expired and (fill.id_type, fill.id_number, fill.name, fill.sex) == (
        "resident", "110108198506121239", "李明远", "male")


def test_the_photo_is_dropped_from_the_read_answer():
    text = resident_text(**VALID)
    data = (256).to_bytes(2, "big") + (1024).to_bytes(2, "big") + text + b"\x55" * 1024
    assert card_text(data) == text
    with pytest.raises(IdCardError):
        card_text(data[:-1])  # shorter than its own lengths
    assert "photo" not in {f.name for f in dataclasses.fields(Card)}


def test_demo_cards_cover_valid_expired_foreign_and_garbage():
    cards = {card.key: card for card in demo_cards()}
    assert list(cards) == ["resident_valid", "resident_expired", "foreign", "garbage"]
    assert parse_card_text(cards["resident_expired"].text, TODAY).expired(TODAY)
    with pytest.raises(IdCardError):
        parse_card_text(cards["garbage"].text, TODAY)


# ---------------------------------------------------------------- keyboard-wedge readers

@pytest.mark.parametrize("typed, expected", [
    ("110108198506121239李明远", ("110108198506121239", "李明远")),
    ("110108198506121239 李明远", ("110108198506121239", "李明远")),
    ("11010819850612123x", ("11010819850612123X", "")),
    ("H12345678", ("H12345678", "")),
    ("1101081985", ("1101081985", "")),
])
def test_wedge_split(typed, expected):
    assert split_wedge(typed) == expected


# ---------------------------------------------------------------- a reader on a pseudo-terminal

@pytest.fixture
def sim():
    with SimulatedReader() as reader:
        yield reader


def test_no_card_then_a_card(sim):
    with CardReader(sim.port) as reader:
        assert reader.poll(TODAY) is None
        sim.place(resident_text(**VALID))
        assert reader.poll(TODAY).id_number == "110108198506121239"
    assert sim.requests[-3:] == [(0x20, 0x01), (0x20, 0x02), (0x30, 0x01)]


@pytest.mark.parametrize("fault, key", [
    ("removed_mid_read", "idcard.err_removed"),
    ("bad_checksum", "idcard.err_checksum"),
    ("truncated", "idcard.err_truncated"),
    ("garbled", "idcard.err_garbled"),
    ("silence", "idcard.err_silent"),
    ("other_device", "idcard.err_other_device"),
])
def test_each_fault_has_its_own_message(sim, fault, key):
    sim.place(resident_text(**VALID))
    sim.fault = fault
    with CardReader(sim.port, answer_seconds=0.4) as reader, pytest.raises(IdCardError) as caught:
        reader.poll(TODAY)
    assert caught.value.key == key
    sim.fault = None  # the next card reads again on the same connection
    sim.place(resident_text(**VALID))
    with CardReader(sim.port) as reader:
        assert reader.poll(TODAY).name == "李明远"


def test_an_unplugged_reader_and_no_card_within_the_timeout(sim, tmp_path):
    with pytest.raises(IdCardError) as caught:
        CardReader(str(tmp_path / "ttyUSB9")).open()
    assert caught.value.key == "idcard.err_unplugged"
    with pytest.raises(IdCardError) as caught:
        read_one_card(sim.port, 115200, timeout=0.3, poll_seconds=0.1, today=TODAY)
    assert caught.value.key == "idcard.err_no_card"


# ---------------------------------------------------------------- kiosk idcard test

def test_cli_prints_one_json_object_with_the_number_masked(sim, capsys):
    import json

    from kiosk.cli import main

    sim.place(resident_text(**{**VALID, "valid_to": "长期"}))
    assert main(["idcard", "test", "--port", sim.port, "--timeout", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["card_type"] == "resident" and out["name"] == "李明远" and out["sex"] == "male"
    assert out["id_number_masked"] == "110108********1239"
    assert (out["birth_date"], out["valid_from"], out["valid_to"]) == ("1985-06-12", "2016-03-01", None)
    assert "110108198506121239" not in json.dumps(out)


def test_cli_without_a_card_or_reader_says_so_on_one_line(sim, capsys, tmp_path):
    from kiosk.cli import main

    assert main(["idcard", "test", "--port", sim.port, "--timeout", "0.5"]) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "没有读到证件" in err
    assert main(["idcard", "test", "--port", str(tmp_path / "ttyUSB0"), "--timeout", "0.5"]) != 0
    assert "找不到读卡器" in capsys.readouterr().err


# ---------------------------------------------------------------- what the register keeps

def test_the_cards_sex_is_kept_with_the_visit_and_purged_with_the_name(gate):
    from datetime import timedelta

    from kiosk import clock
    from kiosk.models.visitors import Visit
    from kiosk.services import visitors

    keeper = actor_for("G001")
    carded = visitors.register_visit(keeper, form(sex="female"), gate).visit
    typed = visitors.register_visit(keeper, form(id_number="360426199101010071", sex="not-a-sex"), gate).visit
    assert (Visit.get_by_id(carded.id).sex, Visit.get_by_id(typed.id).sex) == ("female", "")
    clock.advance(timedelta(days=181))
    assert visitors.purge_visitor_data(keeper, 180).purged == 2
    assert Visit.get_by_id(carded.id).sex == ""


def test_a_reader_unplugged_while_open_says_so_and_then_that_it_is_missing():
    reader_port = None
    with SimulatedReader() as sim:
        reader_port = sim.port
        reader = CardReader(sim.port, answer_seconds=0.3).open()
        assert reader.poll(TODAY) is None
    try:  # the simulator is gone: its pseudo-terminal hangs up like a USB reader pulled out
        with pytest.raises(IdCardError) as caught:
            reader.poll(TODAY)
        assert caught.value.key in ("idcard.err_unreachable", "idcard.err_silent")
        with pytest.raises(IdCardError) as caught:
            CardReader(reader_port).open()
        assert caught.value.key in ("idcard.err_unplugged", "idcard.err_unreachable")
    finally:
        reader.close()


def test_kiosk_idcard_sim_serves_kiosk_idcard_test(tmp_path):
    import json
    import subprocess
    import sys

    sim = subprocess.Popen([sys.executable, "-m", "kiosk", "idcard", "sim"], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, text=True)
    try:
        port = sim.stdout.readline().split("port:", 1)[1].strip()
        sim.stdin.write("1\n")
        sim.stdin.flush()
        while "placed" not in sim.stdout.readline():
            pass
        done = subprocess.run([sys.executable, "-m", "kiosk", "idcard", "test", "--port", port, "--timeout", "5",
                               "--json"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["name"] == "李明远"
    finally:
        sim.stdin.close()
        sim.wait(timeout=10)
