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


# ---- the scripted-run clock (issue 15) --------------------------------------------------------------

def test_a_scripted_clock_is_a_shift_or_a_local_time():
    from kiosk.services.scripted_clock import parse

    zone = clock.school_zone("Asia/Shanghai")
    assert parse("+49h", T0, zone) == timedelta(hours=49)
    assert parse("-30m", T0, zone) == timedelta(minutes=-30)
    assert parse("+2d", T0, zone) == timedelta(days=2)
    assert parse("2026-11-18 22:30", T0, zone) == timedelta(hours=12, minutes=30)  # T0 is 10:00 in Shanghai
    with pytest.raises(ValueError):
        parse("tonight", T0, zone)


def test_kiosk_clock_is_refused_on_a_real_school_database_and_runs_the_cli_at_another_time(settings, tmp_path,
                                                                                              monkeypatch, capsys):
    """Through the real CLI: refused (exit 2, nothing changed) on a database that is neither demo nor test;
    on a test database the report runs at the scripted time."""
    import json

    from kiosk.cli import main
    from kiosk.db import close_database, ensure_station_identity, open_database
    from kiosk.models import School
    from kiosk.services.actor import Actor
    from kiosk.services.facts import record

    real = tmp_path / "real.sqlite3"
    open_database(real)
    system = Actor(school_id="demo", station_id=ensure_station_identity(), staff_name="it")
    with record(system, "school.create") as w:
        w.insert(School(id="demo", name="一中", timezone="Asia/Shanghai"))
    close_database()
    monkeypatch.setenv("KIOSK_CLOCK", "+49h")
    assert main(["report", "headcount", "--date", "2026-11-18", "--json", "--db", str(real)]) == 2
    assert "KIOSK_CLOCK" in capsys.readouterr().err and clock.offset() == timedelta(0)

    test_db = tmp_path / "test.sqlite3"
    open_database(test_db)
    with record(system, "test.setup") as w:
        w.insert(School(id="demo", name="一中", timezone="Asia/Shanghai"))
    close_database()
    wall = datetime.now(timezone.utc)
    assert main(["report", "headcount", "--date", "2026-11-18", "--json", "--db", str(test_db)]) == 0
    json.loads(capsys.readouterr().out)
    assert abs(clock.now() - (wall + timedelta(hours=49))) < timedelta(minutes=1)
