"""A central whose sync_table holds no column check for a table (an older version's `kiosk central init` left
the column at its default, or someone cleared it) refuses that table's rows rather than taking them unchecked."""
from __future__ import annotations

import uuid

import pytest

from tests.sync.conftest import central_scalar
from tests.sync.hostile import Role, central_state, crossing_payload, push_row, valid_payload


def _set_check(url: str, table: str, check: str) -> None:
    from kiosk.sync.central import connect

    database = connect(url)
    try:
        database.execute_sql("UPDATE sync_table SET row_check = %s WHERE table_name = %s", (check, table))
    finally:
        database.close()


@pytest.mark.parametrize("stored", ["NULL", "", "  null\n"])
def test_rows_of_a_table_without_a_stored_check_are_dead_letters(own_central, stored):
    from kiosk.models.slips import GateScan

    school = "sch-" + uuid.uuid4().hex[:10]
    gate = Role(own_central, school, "gate-a", "gate", "st-gate-a")
    try:
        _set_check(own_central, "gate_crossing", stored)
        # A crossing that would be refused if checked (not a date), one that would pass, and a row of a table
        # whose check is still there: only the last is taken.
        broken = crossing_payload(school, gate.station_id, at="not-a-date")
        fine = crossing_payload(school, gate.station_id)
        scan = valid_payload(GateScan, school, gate.station_id)
        answer = gate.push(push_row(0, "gate_crossing", broken), push_row(0, "gate_crossing", fine),
                           push_row(0, "gate_scan", scan, row_id=scan["id"]))
        assert gate.reasons(answer) == ["no_row_check", "no_row_check"]
        assert answer["accepted"] == 1
        assert central_state(own_central, school, "gate_crossing") == {}
        assert set(central_state(own_central, school, "gate_scan")) == {scan["id"]}
        assert central_scalar(own_central, "SELECT count(*) FROM dead_letter WHERE school_id = %s AND reason = 'no_row_check'",
                              (school,)) == 2
    finally:
        gate.close()


def test_init_stores_a_check_for_every_table(own_central):
    from kiosk.sync.central import connect

    database = connect(own_central)
    try:
        rows = database.execute_sql("SELECT table_name, row_check FROM sync_table").fetchall()
    finally:
        database.close()
    assert rows and [name for name, check in rows if not check.lstrip().startswith("CASE")] == []
