"""The hybrid logical clock and the retry backoff: pure functions."""
import random
from datetime import datetime, timezone

from hypothesis import given, strategies as st

from kiosk.sync import hlc
from kiosk.sync.worker import BACKOFF_FIRST, BACKOFF_MAX, backoff_delay


@given(st.lists(st.integers(min_value=0, max_value=2**42), min_size=1, max_size=50))
def test_stamps_strictly_increase_whatever_the_wall_clock_does(walls):
    last = 0
    for wall in walls:
        stamp = hlc.advance(last, wall)
        assert stamp > last
        assert hlc.physical_ms(stamp) >= wall or stamp == last + 1
        last = stamp


@given(st.integers(0, 2**50), st.integers(0, 2**50), st.integers(0, 2**42))
def test_receiving_a_stamp_moves_past_it(last, remote, wall):
    stamp = hlc.merge(last, remote, wall)
    assert stamp > last and stamp > remote


def test_a_plausible_clock_is_not_suspect_and_bad_ones_are():
    now = datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc)
    last = hlc.pack(hlc.to_ms(now))
    assert not hlc.wall_is_suspect(now, last, 1000)
    assert hlc.wall_is_suspect(datetime(1970, 1, 1, tzinfo=timezone.utc), 0, None)
    assert hlc.wall_is_suspect(now, last, 3 * 86_400_000)
    assert hlc.wall_is_suspect(datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc), last, None)


def test_backoff_grows_from_two_seconds_to_five_minutes_with_jitter():
    rng = random.Random(1)
    delays = [backoff_delay(n, rng) for n in range(1, 15)]
    assert all(BACKOFF_FIRST <= d <= BACKOFF_MAX for d in delays)
    assert delays[0] <= 2.0 + 1e-9 and max(delays[-5:]) > 100
    assert len({round(backoff_delay(10, rng), 3) for _ in range(5)}) > 1  # jitter
