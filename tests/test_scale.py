"""The sample scale: line formats, when a weight counts as settled, what each failure says, a real port."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from kiosk.scale import Reading, ScaleError, parse_reading, read_weight, settled, weight_verdict
from tests.fake_scale import FakeScale


@pytest.mark.parametrize("line, expected", [
    (b"ST,GS,+0000.132kg\r\n", Reading(132, True)),
    (b"US,NT,-   12.5 g\r\n", Reading(-12, False)),  # half-even rounding of -12.5
    (b"ST,NT,+  150.4 g\r\n", Reading(150, True)),
    (b"wn0000.132kg\r\n", Reading(132, None)),
    (b"ww000.250kg", Reading(250, None)),
    (b"  132 g\r\n", Reading(132, None)),
    (b"0.2kg\n", Reading(200, None)),
    (b"\x02+0000.150kg\x03", Reading(150, None)),
    (b"OL,GS,+9999.999kg", Reading(0, False, overload=True)),
])
def test_lines_the_scales_send(line, expected):
    assert parse_reading(line) == expected


def test_a_bare_number_takes_the_configured_unit():
    assert parse_reading(b"0.135\r\n", default_unit="kg") == Reading(135, None)
    assert parse_reading(b"135\r\n", default_unit="g") == Reading(135, None)


@pytest.mark.parametrize("line", [b"", b"hello", b"ST,GS,", b"12.3.4 g", b"\xff\xfe\x00", b"1" * 200, b"12 lb"])
def test_noise_is_not_a_weight(line):
    assert parse_reading(line) is None


@given(st.binary(max_size=120))
def test_any_bytes_parse_to_a_reading_or_none(data):
    result = parse_reading(data)
    assert result is None or isinstance(result.grams, int)


def unmarked(*grams: int) -> list[Reading]:
    return [Reading(g, None) for g in grams]


def test_unmarked_readings_settle_after_three_equal_in_a_row():
    assert settled(unmarked(80, 120, 131, 132, 132)) is None  # still being put down
    assert settled(unmarked(80, 120, 131, 132, 132, 132)) == Reading(132, None)
    assert settled(unmarked(132, 132, 131, 132)) is None


def test_a_stable_mark_is_taken_at_once_and_unstable_or_overload_resets():
    assert settled([Reading(90, False), Reading(140, True)]) == Reading(140, True)
    assert settled(unmarked(132, 132) + [Reading(132, False), Reading(132, None)]) is None
    assert settled(unmarked(132, 132) + [Reading(0, False, overload=True)] + unmarked(132)) is None


@pytest.mark.parametrize("readings, lines, key", [
    ([], 0, "scale.err_silent"),
    ([], 12, "scale.err_garbled"),
    (unmarked(100, 110, 120, 130), 4, "scale.err_unsteady"),
    ([Reading(0, False, overload=True)], 1, "scale.err_overload"),
    (unmarked(0, 0, 0), 3, "scale.err_empty"),
    ([Reading(-5, True)], 1, "scale.err_empty"),
])
def test_why_there_is_no_weight(readings, lines, key):
    with pytest.raises(ScaleError) as raised:
        weight_verdict(readings, lines)
    assert raised.value.key == key
    assert "/" in str(raised.value)  # both languages in the log line


def test_reads_a_settled_weight_from_a_serial_port():
    with FakeScale([b"US,GS,+0000.090kg\r\n", b"ST,GS,+0000.142kg\r\n"]) as scale:
        assert read_weight(scale.port, 9600, seconds=3) == 142


def test_a_scale_sending_bare_numbers_in_kilograms():
    with FakeScale([b"0.151\r\n"]) as scale:
        assert read_weight(scale.port, 9600, default_unit="kg", seconds=3) == 151


def test_a_missing_a_silent_and_a_garbled_scale_say_what_to_do(tmp_path):
    with pytest.raises(ScaleError) as raised:
        read_weight(str(tmp_path / "ttyUSB9"))
    assert raised.value.key == "scale.err_missing"
    with FakeScale([]) as scale, pytest.raises(ScaleError) as raised:
        read_weight(scale.port, seconds=0.5)
    assert raised.value.key == "scale.err_silent"
    with FakeScale([b"\xf3\x9a\x11\x80garble\r\n"]) as scale, pytest.raises(ScaleError) as raised:
        read_weight(scale.port, seconds=0.5)  # the wrong baud rate looks like this
    assert raised.value.key == "scale.err_garbled"
