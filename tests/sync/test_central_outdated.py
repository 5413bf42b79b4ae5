"""A central initialised by an older version (no sync_table.row_check, an older schema version) is named as such
on the station, in Chinese and English: `kiosk central init` must be run there. Never a raw SQL error, and
nothing is sent to a central that would judge it by older rules."""
from __future__ import annotations

import pytest

from tests.sync.conftest import assert_converged, central_scalar
from tests.sync.test_sync_stalls import FAST, wait_for
from tests.sync.test_sync_stalls import worker_state  # noqa: F401


def _age(url: str, how: str) -> None:
    """Make `url` look as an older version's init left it."""
    from kiosk.sync.central import connect

    database = connect(url)
    try:
        if how == "no_version":
            database.execute_sql("DELETE FROM sync_meta WHERE key = 'schema_version'")
        else:
            database.execute_sql("UPDATE sync_meta SET value = '1' WHERE key = 'schema_version'")
        if how == "no_row_check":
            database.execute_sql("ALTER TABLE sync_table DROP COLUMN row_check")
    finally:
        database.close()


@pytest.mark.parametrize("how", ["older_version", "no_version", "no_row_check"])
def test_a_station_says_central_needs_init_and_sends_nothing(own_central, tmp_path, school, how):
    from kiosk.i18n import set_language
    from kiosk.sync import central
    from kiosk.sync.engine import CentralOutdated, SyncError
    from tests.sync.conftest import Station

    _age(own_central, how)
    gate = Station(name="gate", kind="gate", path=tmp_path / "gate.sqlite3", url=own_central, school=school).open()
    dorm = Station(name="dorm", kind="dorm", path=tmp_path / "dorm.sqlite3", url=own_central, school=school).open()
    try:
        ids = set(gate.write(3))
        with pytest.raises(CentralOutdated) as raised:
            gate.sync()
        assert isinstance(raised.value, SyncError)
        assert "kiosk central init" in str(raised.value) and "中心库" in str(raised.value)
        set_language("en")
        try:
            assert "kiosk central init" in str(raised.value) and "central database" in str(raised.value)
        finally:
            set_language("zh-CN")
        assert gate.pending() == 3
        assert central_scalar(own_central, "SELECT count(*) FROM fact") == 0
        central.init(own_central)  # the administrator runs it: sync goes on
        gate.sync()
        dorm.sync()
        assert_converged(own_central, [gate, dorm], ids)
    finally:
        gate.close()
        dorm.close()


def test_the_status_bar_names_the_fix_not_an_sql_error(own_central, tmp_path, school, worker_state):  # noqa: F811
    from zoneinfo import ZoneInfo

    from kiosk.config import Settings
    from kiosk.features.sync import status_text
    from kiosk.i18n import set_language
    from kiosk.sync.worker import SyncWorker, sync_state
    from tests.sync.conftest import Station

    _age(own_central, "no_row_check")
    gate = Station(name="gate", kind="gate", path=tmp_path / "gate.sqlite3", url=own_central, school=school,
                   limits=FAST).open()
    gate.write(2)
    settings = Settings()
    settings.school.id = school
    settings.sync.central_url = own_central
    settings.sync.interval_seconds = 1
    zone = ZoneInfo("Asia/Shanghai")
    try:
        with gate.use():
            worker = SyncWorker(settings, config=gate.config())
            worker.start()
            try:
                wait_for(lambda: worker.failures >= 1, 15, "a first round")
                text = status_text(sync_state(settings), zone)
                assert "kiosk central init" in text and "中心库" in text and "离线" not in text, text
                set_language("en")
                try:
                    assert "kiosk central init" in status_text(sync_state(settings), zone)
                finally:
                    set_language("zh-CN")
            finally:
                worker.stop(20)
    finally:
        gate.close()
