"""A broken or hostile station cannot hurt central or the other stations (issue 13, part B), continued: set-once
fields and clones, restore, reading its own rows, PIN verifiers by kind, the policy swept over every table, and a
push inside a transaction block. Each test uses a station's own database role straight against central.
"""
from __future__ import annotations

import json
from datetime import timedelta

import peewee
import pytest

from kiosk.models import database_proxy
from kiosk.services.facts import row_payload
from kiosk.sync import central
from tests.sync.conftest import central_scalar
from tests.sync.hostile import (NOW, Role, central_state, crossing_payload, hlc_at, push_row, valid_payload, visit_row,
                                write_scans)


# ------------------------------------------------------------------------------------------- 5. set once, clones

@pytest.mark.parametrize("first", ["a", "b"])
def test_a_visit_signed_out_at_two_gates_is_a_conflict_whichever_pushes_first(roles, central_url, school, first):
    """Both gates offline sign the same visitor out: the second time_out that reaches central never overwrites
    the first (it used to, silently, when gate A pushed first) and both versions are kept as a conflict."""
    gate_a, gate_b = roles("gate-a", "gate"), roles("gate-b", "gate")
    visit = row_payload(visit_row(school, gate_a.station_id))
    assert gate_a.push(push_row(0, "visit", visit))["accepted"] == 1
    out_a = {**visit, "status": "out", "time_out": "2026-11-30T08:05:00.000000Z", "out_station_id": gate_a.station_id}
    out_b = {**visit, "status": "out", "time_out": "2026-11-30T08:09:00.000000Z", "out_station_id": gate_b.station_id}
    pushes = [(gate_a, out_a, hlc_at(NOW + timedelta(seconds=5))), (gate_b, out_b, hlc_at(NOW + timedelta(seconds=9)))]
    if first == "b":
        pushes.reverse()
    answers = [role.push(push_row(0, "visit", payload, op="update", stamp=stamp)) for role, payload, stamp in pushes]
    assert [answer["conflicts"] for answer in answers] == [0, 1]
    kept = central_state(central_url, school, "visit")[visit["id"]]
    assert kept["time_out"] == pushes[0][1]["time_out"]  # the first value that reached central stands
    db = central.connect(central_url)
    try:
        (kind, detail), = db.execute_sql("SELECT kind, detail::text FROM conflict WHERE school_id = %s", (school,))
    finally:
        db.close()
    detail = json.loads(detail)
    assert kind == "set_once" and detail["fields"] == ["out_station_id", "time_out"]
    assert {detail["kept"]["time_out"], detail["lost"]["time_out"]} == {out_a["time_out"], out_b["time_out"]}


def test_a_gate_crossing_direction_never_changes(roles, central_url, school):
    gate = roles("gate-a", "gate")
    crossing = crossing_payload(school, gate.station_id)
    gate.push(push_row(0, "gate_crossing", crossing))
    answer = gate.push(push_row(0, "gate_crossing", {**crossing, "direction": "in"}, op="update",
                            stamp=hlc_at(NOW + timedelta(seconds=2))))
    assert answer["conflicts"] == 1
    assert central_state(central_url, school, "gate_crossing")[crossing["id"]]["direction"] == "out"


def test_clones_updating_one_row_are_flagged(make_station, central_url, tmp_path):
    """Two machines with one station id (a cloned disk): their updates of the same row are a conflict."""
    import shutil

    from tests.sync.conftest import central_rows

    original = make_station("gate")
    (row_id,) = original.write(1)
    original.sync()
    with original.use():
        database_proxy.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(original.path, tmp_path / "clone.sqlite3")
    clone = make_station("clone", "gate", path=tmp_path / "clone.sqlite3")
    clone.write(1)
    clone.sync()  # the first to push keeps epoch 1; the other meets its seqs and moves to epoch 2
    original.update(row_id, text="edited on the original")
    original.sync()
    clone.update(row_id, text="edited on the clone")
    clone.sync()
    kinds = [row[0] for row in central.connect(central_url).execute_sql(
        "SELECT kind FROM conflict WHERE school_id = %s AND row_id = %s", (original.school, row_id))]
    # each change of the row by the other machine (other epoch) is flagged; before, none was
    assert kinds and set(kinds) == {"clone_update"}
    assert central_rows(central_url, original.school)[row_id][0] == "edited on the clone"  # last writer still wins


# ------------------------------------------------------------------------------------------- 7. restore


def test_a_gate_restored_from_a_backup_gets_its_scans_back_without_duplicates(make_station, central_url, tmp_path):
    """The backup still held 3 unpushed scans; 5 more reached central before the disk died. The restored gate
    used to send the 3 again as new facts (same id, payload and stamp under epochs 1 and 2) and never got the
    5 back (gates do not pull gate_scan)."""
    import shutil

    gate = make_station("gate")
    gate_pulls = dict(pull_tables=())  # what a gate pulls in production: not gate_scan
    held = write_scans(gate, 3)
    with gate.use():
        database_proxy.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(gate.path, tmp_path / "backup.sqlite3")
    gate.sync(**gate_pulls)
    lost = write_scans(gate, 5)
    gate.sync(**gate_pulls)
    gate.close()  # the disk dies

    restored = make_station("restored", "gate", path=tmp_path / "backup.sqlite3")
    new = write_scans(restored, 2)
    restored.sync(**gate_pulls)
    restored.sync(**gate_pulls)
    assert restored.pending() == 0
    with restored.use():
        from kiosk.models.slips import GateScan

        assert {row.id for row in GateScan.select()} == set(held + lost + new)
    school = restored.school
    facts = central_scalar(central_url, "SELECT count(*) FROM fact WHERE school_id = %s AND table_name = 'gate_scan'",
                           (school,))
    assert facts == 10  # each scan once, whatever epoch sent it
    assert set(central_state(central_url, school, "gate_scan")) == set(held + lost + new)
    # `kiosk audit verify` names the gap (the lost copy's entries for the 5 scans) instead of "intact".
    from kiosk.services.facts import verify_audit_chain

    with restored.use():
        problem = verify_audit_chain()
    assert problem is not None and problem.kind == "gap" and problem.seq == 3
    assert "restored from an older copy" in problem.message and "5 of its rows taken back" in problem.message


def test_a_station_role_reads_its_own_rows_of_tables_its_kind_does_not_pull(roles, central_url, school):
    from kiosk.models.slips import GateScan

    gate_a, gate_b = roles("gate-a", "gate"), roles("gate-b", "gate")
    scan = row_payload(GateScan(school_id=school, station_id=gate_a.station_id, recorded_at=NOW, raw="X", verdict="refuse",
                                reason_code="forged", detail="{}"))
    assert gate_a.push(push_row(0, "gate_scan", scan))["accepted"] == 1
    with gate_a.db.atomic():
        assert gate_a.db.execute_sql("SELECT count(*) FROM row_state WHERE table_name = 'gate_scan'").fetchone()[0] == 1
    with gate_b.db.atomic():
        assert gate_b.db.execute_sql("SELECT count(*) FROM row_state WHERE table_name = 'gate_scan'").fetchone()[0] == 0


def test_staff_pin_verifiers_reach_only_the_kinds_they_may_log_in_at(roles, central_url, school):
    """Every station gets the staff directory (the gate's visit hosts are teachers), but the PIN verifier and
    card code only of staff who may log in or confirm with a PIN at its kind, and of admins."""
    from kiosk.models import Staff

    kinds = {kind: roles(kind, kind) for kind in ("office", "gate", "dorm", "canteen")}
    people = {"teacher": "head_teacher", "keeper": "gatekeeper", "warden": "dorm_supervisor", "cook": "canteen",
              "boss": "admin"}
    rows = [push_row(0, "staff", row_payload(Staff(id=f"s-{name}", school_id=school, number=name, name=name,
                                               initials="", roles=role, class_name="", phone="", card_code=f"card-{name}",
                                               pin_hash=f"scrypt-{name}", active=True, updated_at=NOW)))
            for name, role in people.items()]
    assert kinds["office"].push(*rows)["accepted"] == 5

    def verifiers(role: Role) -> dict[str, str]:
        with role.db.atomic():
            return {row_id: json.loads(payload)["pin_hash"] for _, row_id, payload, _, _ in role.db.execute_sql(
                "SELECT * FROM station_rows(%s, 'staff', 0, 100)", (school,))}

    assert verifiers(kinds["office"]) == {f"s-{name}": f"scrypt-{name}" for name in people}
    assert verifiers(kinds["gate"]) == {"s-teacher": "", "s-keeper": "scrypt-keeper", "s-warden": "", "s-cook": "",
                                        "s-boss": "scrypt-boss"}
    # the dorm also needs the head teacher's (an overnight guest is approved with both PINs there)
    assert verifiers(kinds["dorm"]) == {"s-teacher": "scrypt-teacher", "s-keeper": "", "s-warden": "scrypt-warden",
                                        "s-cook": "", "s-boss": "scrypt-boss"}
    assert verifiers(kinds["canteen"]) == {"s-teacher": "", "s-keeper": "", "s-warden": "", "s-cook": "scrypt-cook",
                                           "s-boss": "scrypt-boss"}
    with kinds["dorm"].db.atomic():
        assert not list(kinds["dorm"].db.execute_sql("SELECT * FROM station_rows(%s, 'visit', 0, 100)", (school,)))
        with pytest.raises(peewee.ProgrammingError, match="belongs to school"):
            list(kinds["dorm"].db.execute_sql("SELECT * FROM station_rows('elsewhere', 'staff', 0, 100)"))
    with pytest.raises(peewee.ProgrammingError, match="only its own rows"):
        with kinds["gate"].db.atomic():
            kinds["gate"].db.execute_sql("SELECT * FROM station_rows(%s, 'visit', 0, 100, 'st-office')", (school,))



def test_every_table_is_created_only_by_the_kinds_its_policy_names(roles, central_url, school):
    """The whole policy, table by table, with each kind's own role: who may create rows, nobody else."""
    from kiosk.sync import policy

    kinds = {kind: roles(kind, kind) for kind in policy.KINDS}
    for table, rule in sorted(policy.policies().items()):
        model = policy.syncable()[table][0]
        for kind, role in kinds.items():
            payload = valid_payload(model, school, role.station_id)
            if rule.owner == policy.SELF:
                payload["id"] = role.station_id
            else:
                payload["id"] = f"{table}-{kind}"
            answer = role.push(push_row(0, table, payload))
            expected = [] if kind in rule.insert else [f"not_writer:{kind}"]
            assert role.reasons(answer) == expected, (table, kind)


def test_a_station_cannot_push_inside_its_own_transaction_and_hold_the_school(roles, central_url, school):
    """A hostile gate that opens a transaction, pushes and then idles would keep the school's counter row locked
    (its session limits are its own to switch off). Central refuses sync_push inside a transaction block, so
    the lock never outlives the statement and another station of the school pushes at once."""
    import threading

    hostile, honest = roles("gate-a", "gate"), roles("gate-b", "gate")
    body = json.dumps([{**push_row(1, "gate_crossing", crossing_payload(school, hostile.station_id)), "seq": 1, "txn": 1}])
    with pytest.raises(peewee.DatabaseError, match="not inside a transaction block"):
        with hostile.db.atomic():
            hostile.db.execute_sql("SET LOCAL statement_timeout = 0")
            hostile.db.execute_sql("SET LOCAL idle_in_transaction_session_timeout = 0")
            hostile.db.execute_sql("SELECT sync_push(%s, %s, %s, %s, %s)",
                                   (school, hostile.station_id, 1, "gate", body))
    # While the hostile station sits in another open transaction, the honest gate's push goes through.
    started = threading.Event()
    release = threading.Event()

    def idle_in_transaction() -> None:
        with hostile.db.atomic():
            hostile.db.execute_sql("SELECT 1")
            started.set()
            release.wait(10)

    idler = threading.Thread(target=idle_in_transaction)
    idler.start()
    try:
        started.wait(5)
        answer = honest.push(push_row(0, "gate_crossing", crossing_payload(school, honest.station_id)))
        assert answer["accepted"] == 1
    finally:
        release.set()
        idler.join()
