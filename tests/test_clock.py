from datetime import datetime, timedelta, timezone

import pytest

from kiosk import clock

T0 = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)


def test_frozen_at_restores_a_running_clock():
    with clock.frozen_at(T0):
        assert clock.now() == T0
    assert abs(clock.now() - datetime.now(timezone.utc)) < timedelta(seconds=5)


def test_frozen_at_restores_a_frozen_clock_even_after_an_error():
    clock.freeze(T0)
    with pytest.raises(RuntimeError):
        with clock.frozen_at(T0 - timedelta(days=3)):
            assert clock.now() == T0 - timedelta(days=3)
            raise RuntimeError
    assert clock.now() == T0


def test_naive_times_are_refused_and_school_time_is_parsed():
    with pytest.raises(ValueError):
        clock.freeze(datetime(2026, 1, 1))
    assert clock.parse_local("2026-11-18 10:00", clock.school_zone("Asia/Shanghai")) == T0
