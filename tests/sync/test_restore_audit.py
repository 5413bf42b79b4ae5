"""A station restored from an older copy keeps writing; `kiosk audit verify` must then name the gap in its audit
log and its cause, never say "intact" over the entries the lost copy wrote (issue 13: restore without loss).
Real PostgreSQL; the gate's disk is copied as a backup would be."""
from __future__ import annotations

import shutil

from kiosk.models import database_proxy
from tests.sync.hostile import write_scans

GATE_PULLS = dict(pull_tables=())  # what a gate pulls in production: not gate_scan


def _backup(station, path) -> None:
    with station.use():
        database_proxy.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(station.path, path)


def _logins(station, count: int) -> None:
    """Audited events that write no row (a login, a reveal of an ID number): nothing of them is in the outbox."""
    from kiosk.services.facts import audit_only

    with station.use():
        for _ in range(count):
            audit_only(station.actor(), "auth.login")


def _verify(station):
    from kiosk.services.facts import verify_audit_chain

    with station.use():
        return verify_audit_chain()


def _entries(station) -> int:
    from kiosk.models import AuditEntry

    with station.use():
        return AuditEntry.select().count()


def test_restored_with_unpushed_rows_then_syncing_and_writing_names_the_gap(make_station, tmp_path):
    """The backup still held 3 unpushed scans; the lost disk pushed 5 more. The restored gate syncs first (central
    holds more of its rows than this copy ever had), then keeps writing and syncing."""
    gate = make_station("gate")
    write_scans(gate, 3)
    _backup(gate, tmp_path / "backup.sqlite3")
    gate.sync(**GATE_PULLS)
    write_scans(gate, 5)
    gate.sync(**GATE_PULLS)
    gate.close()

    restored = make_station("restored", "gate", path=tmp_path / "backup.sqlite3")
    restored.sync(**GATE_PULLS)
    for _ in range(3):
        write_scans(restored, 2)
        _logins(restored, 1)
        restored.sync(**GATE_PULLS)
    assert restored.pending() == 0
    problem = _verify(restored)
    assert problem is not None and problem.kind == "gap" and problem.seq == 3, problem
    assert "restored from an older copy" in problem.message and "5 of its rows taken back" in problem.message
    assert "central holding more of this station's rows than this copy ever had" in problem.message  # the cause
    assert f"up to entry {_entries(restored)} verify" in problem.message  # what was written since still verifies


def test_entries_the_lost_copy_wrote_without_rows_are_a_gap_too(make_station, tmp_path):
    """After the backup the lost disk wrote only audited events without rows (logins) and kept syncing: central
    held no row of it that the restored copy lacks, and `kiosk audit verify` said "intact" over 4 missing
    entries. The station now tells central its audit head each round; a copy whose log does not hold that head
    is an older copy."""
    gate = make_station("gate")
    write_scans(gate, 2)
    gate.sync(**GATE_PULLS)
    _backup(gate, tmp_path / "backup.sqlite3")
    _logins(gate, 4)
    gate.sync(**GATE_PULLS)
    gate.close()

    restored = make_station("restored", "gate", path=tmp_path / "backup.sqlite3")
    _logins(restored, 2)  # keeps writing before and after its first round
    restored.sync(**GATE_PULLS)
    write_scans(restored, 1)
    restored.sync(**GATE_PULLS)
    problem = _verify(restored)
    assert problem is not None and problem.kind == "gap" and problem.seq == 2, problem
    assert "restored from an older copy" in problem.message
    assert "an audit entry central heard of from this station that this log does not hold" in problem.message


def test_a_station_that_was_not_restored_stays_intact(make_station):
    gate = make_station("gate")
    for _ in range(3):
        write_scans(gate, 2)
        _logins(gate, 2)
        gate.sync(**GATE_PULLS)
        gate.sync(**GATE_PULLS)
    assert _verify(gate) is None


def test_a_station_role_reports_and_reads_only_its_own_audit_head(central_url, school):
    import peewee
    import pytest

    from tests.sync.hostile import Role

    gate_a, gate_b = Role(central_url, school, "gate-a", "gate", "st-a"), Role(central_url, school, "gate-b", "gate", "st-b")
    try:
        head = "ab" * 32
        assert gate_a.db.execute_sql("SELECT sync_audit_head(%s, 'st-a', 3, %s)", (school, head)).fetchone()[0] > 0
        with pytest.raises(peewee.ProgrammingError, match="not st-b"):
            gate_a.db.execute_sql("SELECT sync_audit_head(%s, 'st-b', 9, %s)", (school, head))
        with pytest.raises(peewee.ProgrammingError, match="not st-a"):
            gate_b.db.execute_sql("SELECT * FROM station_audit_heads(%s, 'st-a', 0)", (school,))
        with pytest.raises(peewee.DatabaseError, match="not an audit head"):
            gate_a.db.execute_sql("SELECT sync_audit_head(%s, 'st-a', 4, 'x'' OR 1=1')", (school,))
        with pytest.raises(peewee.ProgrammingError, match="permission denied"):
            gate_a.db.execute_sql("SELECT * FROM audit_head")
        assert [row[1:] for row in gate_a.db.execute_sql("SELECT * FROM station_audit_heads(%s, 'st-a', 0)", (school,))] \
            == [(3, head)]
    finally:
        gate_a.close()
        gate_b.close()


def test_a_central_initialised_by_an_older_version_still_syncs(make_station, own_central):
    """Stations are updated before central's `kiosk central init` is run again: without the audit-head functions
    the push goes on (the check waits for the new schema)."""
    from kiosk.sync import central

    admin = central.connect(own_central)
    admin.execute_sql("DROP FUNCTION station_audit_heads(text, text, bigint); "
                      "DROP FUNCTION sync_audit_head(text, text, bigint, text)")
    admin.close()
    gate = make_station("gate", url=own_central)
    write_scans(gate, 2)
    gate.sync(**GATE_PULLS)
    assert gate.pending() == 0 and _verify(gate) is None
