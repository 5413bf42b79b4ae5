"""A broken or hostile station cannot hurt central or the other stations (issue 13, part B): validation, the
write policy, identity, reads by kind. Set-once fields, clones, restore and the rest: test_hostile_conflicts.py.

Each test uses a station's own database role straight against central, as a thief with a station's disk
would: crafted rows through sync_push, reads and DDL on its own connection. Real PostgreSQL throughout.
"""
from __future__ import annotations

import json
from datetime import timedelta

import peewee
import pytest

from kiosk.models import database_proxy
from kiosk.services.facts import row_payload
from kiosk.sync import central, hlc, station_roles
from tests.sync.conftest import central_scalar
from tests.sync.hostile import NOW, Role, central_state, crossing_payload, hlc_at, push_row, visit_row


# ------------------------------------------------------------------------------------------- 1. validation

def test_central_refuses_wrong_types_missing_fields_and_impossible_stamps(roles, central_url, school):
    gate = roles("gate-a", "gate")
    good = crossing_payload(school, gate.station_id)
    rows = [
        push_row(0, "gate_crossing", crossing_payload(school, gate.station_id, at="not-a-date")),
        push_row(0, "gate_crossing", crossing_payload(school, gate.station_id, at="2026-13-01T00:00:00.000000Z")),
        push_row(0, "gate_crossing", {k: v for k, v in crossing_payload(school, gate.station_id).items() if k != "direction"}),
        push_row(0, "gate_crossing", crossing_payload(school, gate.station_id, direction=None)),
        push_row(0, "gate_crossing", crossing_payload(school, gate.station_id, direction=["out"])),
        push_row(0, "gate_crossing", crossing_payload(school, gate.station_id, flags="x" * 300)),
        push_row(0, "visit", {**row_payload(visit_row(school, gate.station_id)), "companions": "three"}),
        push_row(0, "visit", {**row_payload(visit_row(school, gate.station_id)), "companions": 2 ** 40}),
        push_row(0, "visit", {**row_payload(visit_row(school, gate.station_id)), "night": "yes"}),
        push_row(0, "gate_crossing", crossing_payload(school, gate.station_id), stamp=2 ** 63 - 1),
        push_row(0, "gate_crossing", crossing_payload(school, gate.station_id), stamp=hlc_at(NOW + timedelta(days=30))),
        push_row(0, "gate_crossing", crossing_payload(school, gate.station_id), stamp=-5),
        push_row(0, "gate_crossing", crossing_payload(school, gate.station_id), stamp=0),
        push_row(0, "gate_crossing", good),
    ]
    answer = gate.push(*rows)
    assert gate.reasons(answer) == [
        "bad_type:at", "bad_type:at", "missing_field:direction", "empty_field:direction", "bad_type:direction",
        "too_long:flags", "bad_type:companions", "bad_type:companions", "bad_type:night",
        "stamp_ahead", "stamp_ahead", "bad_stamp", "bad_stamp"]
    assert answer["accepted"] == 1
    assert set(central_state(central_url, school, "gate_crossing")) == {good["id"]}
    assert central_scalar(central_url, "SELECT count(*) FROM dead_letter WHERE school_id = %s", (school,)) == 13
    # A station three days ahead (SYNC.md's scenario) still syncs: the bound is a week.
    ahead = crossing_payload(school, gate.station_id)
    assert gate.push(push_row(0, "gate_crossing", ahead, stamp=hlc_at(NOW + timedelta(days=3))))["accepted"] == 1



def test_central_refuses_unknown_tables_and_sql_in_names_and_keys(roles, central_url, school):
    gate = roles("gate-a", "gate")
    crossing = crossing_payload(school, gate.station_id)
    answer = gate.push(
        push_row(0, "outbox", {"id": "o1"}, row_id="o1"),
        push_row(0, "local_state", {"id": "k"}, row_id="k"),
        push_row(0, "made_up", {"id": "m"}, row_id="m"),
        push_row(0, "gate_crossing; DROP TABLE fact; --", {"id": "d"}, row_id="d"),
        push_row(0, 'gate_crossing"', {"id": "q"}, row_id="q"),
        push_row(0, "gate_crossing", {**crossing, 'flags" = 1; DROP TABLE row_state; --': "x"}),
        push_row(0, "gate_crossing", [1, 2], row_id="list"),
    )
    assert gate.reasons(answer) == ["unknown_table"] * 5 + ['unknown_field:flags" = 1; DROP TABLE row_state; --',
                                                             "not_a_row"]
    assert answer["accepted"] == 0
    # A batch of unknown tables only (no table's column checks to splice in) is refused the same way.
    assert gate.reasons(gate.push(push_row(0, "made_up", {"id": "m2"}, row_id="m2"))) == ["unknown_table"]
    db = central.connect(central_url)
    try:
        assert db.execute_sql("SELECT count(*) FROM row_state WHERE school_id = %s", (school,)).fetchone()[0] == 0
        assert db.execute_sql("SELECT to_regclass('public.fact') IS NOT NULL").fetchone()[0]
    finally:
        db.close()


def test_a_station_pulling_a_poisoned_row_dead_letters_it_and_keeps_working(make_station, central_url, school):
    """A row that slipped into central's current state (an older central accepted anything): the dorm that pulls
    it refuses it locally instead of taking an HLC of 2^63-1 (its pushes then failed with OverflowError) or a
    crossing whose time is not a time (`kiosk gate check` then failed with ValueError)."""
    dorm = make_station("dorm", "dorm")
    poisoned = {"huge": (crossing_payload(school, "st-gate-x"), 2 ** 63 - 1),
                "not-a-date": (crossing_payload(school, "st-gate-x", at="not-a-date"), hlc_at()),
                "no-direction": ({k: v for k, v in crossing_payload(school, "st-gate-x").items() if k != "direction"}, hlc_at())}
    good = crossing_payload(school, "st-gate-x")
    db = central.connect(central_url)
    try:
        with db.atomic():
            for seq, (row_id, (payload, stamp)) in enumerate([*poisoned.items(), ("good", (good, hlc_at()))], 1):
                payload = {**payload, "id": row_id}
                db.execute_sql(
                    "INSERT INTO row_state (school_id, table_name, row_id, payload, hlc, station_id, server_seq, owner) "
                    "VALUES (%s, 'gate_crossing', %s, %s, %s, 'st-gate-x', %s, 'st-gate-x')",
                    (school, row_id, json.dumps(payload), stamp, seq))
            db.execute_sql("INSERT INTO school_counter (school_id, server_seq) VALUES (%s, 4)", (school,))
    finally:
        db.close()
    result = dorm.sync(pull_tables=("gate_crossing", "probe"))
    assert result.pull.failed == 3
    with dorm.use():
        assert [row[0] for row in database_proxy.execute_sql("SELECT id FROM gate_crossing")] == ["good"]
        reasons = dict(database_proxy.execute_sql("SELECT row_id, reason FROM sync_dead_letter WHERE epoch = 0"))
        assert reasons == {"huge": "stamp_ahead", "not-a-date": "bad_type:at", "no-direction": "missing_field:direction"}
        assert hlc.physical_ms(hlc.Clock.last()) < hlc.to_ms(NOW + timedelta(days=1))
        from kiosk.models.slips import GateCrossing

        assert [row.at for row in GateCrossing.select()]  # every row it holds reads back
    # Its own later writes still push (the poisoned clock made every push fail with OverflowError).
    ids = dorm.write(2)
    pushed = dorm.sync(pull_tables=("gate_crossing", "probe")).push
    assert pushed.accepted == 2 and dorm.pending() == 0
    assert set(ids) <= set(central_state(central_url, school, "probe"))
    with dorm.use():
        stream = dict(database_proxy.execute_sql("SELECT stream, converged FROM sync_cursor"))
    assert stream["gate_crossing"] == 0  # not converged while refused rows wait for a person


# ------------------------------------------------------------------------------------------- 2. write policy

def test_office_only_tables_and_other_stations_rows(roles, central_url, school):
    from kiosk.models import Building
    from kiosk.models.dorm import GuestApproval
    from kiosk.models.stations import StationInfo

    office, gate_a, gate_b = roles("office", "office"), roles("gate-a", "gate"), roles("gate-b", "gate")
    dorm = roles("dorm", "dorm")
    approval = row_payload(GuestApproval(school_id=school, station_id=gate_a.station_id, recorded_at=NOW, student_id="stu-1",
                                         guest_name="母亲", id_masked="", relation="母亲", first_night="2026-12-01",
                                         last_night="2026-12-01", note="", teacher_id="t1", teacher_name="李老师"))
    office_info = row_payload(StationInfo(id=office.station_id, school_id=school, name="office", kind="office",
                                          updated_at=NOW))
    assert office.push(push_row(0, "station_info", office_info))["accepted"] == 1
    renamed = {**office_info, "name": "hacked"}
    building = row_payload(Building(school_id=school, name="A", gender="M"))
    answer = gate_a.push(
        push_row(0, "guest_approval", approval),
        push_row(0, "station_info", renamed, op="update", stamp=hlc_at(NOW + timedelta(seconds=5))),
        push_row(0, "station_info", {**office_info, "id": "st-new", "name": "fake"}),
        push_row(0, "building", building),
    )
    assert gate_a.reasons(answer) == ["not_writer:gate", f"not_owner:{office.station_id}", "not_owner:st-new",
                                      "not_writer:gate"]
    assert central_state(central_url, school, "station_info")[office.station_id]["name"] == "office"
    assert dorm.push(push_row(0, "guest_approval", {**approval, "station_id": dorm.station_id}))["dead"][0]["reason"] == "not_writer:dorm"
    # Each station announces itself; the office writes the approvals.
    own = row_payload(StationInfo(id=gate_a.station_id, school_id=school, name="east gate", kind="gate", updated_at=NOW))
    assert gate_a.push(push_row(0, "station_info", own))["accepted"] == 1
    assert office.push(push_row(0, "guest_approval", {**approval, "station_id": office.station_id}))["accepted"] == 1

    # Another gate's crossings: no rewrite (it erased the office's double-use conflict), no insert in its name.
    crossing = crossing_payload(school, gate_a.station_id)
    assert gate_a.push(push_row(0, "gate_crossing", crossing))["accepted"] == 1
    answer = gate_b.push(
        push_row(0, "gate_crossing", {**crossing, "direction": "in"}, op="update", stamp=hlc_at(NOW + timedelta(seconds=9))),
        push_row(0, "gate_crossing", {**crossing, "direction": "in"}, stamp=hlc_at(NOW + timedelta(seconds=9))),
        push_row(0, "gate_crossing", crossing_payload(school, gate_a.station_id)),
    )
    assert gate_b.reasons(answer) == [f"not_owner:{gate_a.station_id}"] * 2 + [f"claims_station:{gate_a.station_id}"]
    assert central_state(central_url, school, "gate_crossing")[crossing["id"]]["direction"] == "out"


def test_a_visit_may_be_signed_out_at_another_gate(roles, central_url, school):
    """The policy's one gate exception: a visitor may leave by another gate."""
    gate_a, gate_b, dorm = roles("gate-a", "gate"), roles("gate-b", "gate"), roles("dorm", "dorm")
    visit = row_payload(visit_row(school, gate_a.station_id))
    assert gate_a.push(push_row(0, "visit", visit))["accepted"] == 1
    out = {**visit, "status": "out", "time_out": visit["time_in"], "out_station_id": gate_b.station_id}
    assert gate_b.push(push_row(0, "visit", out, op="update", stamp=hlc_at(NOW + timedelta(seconds=3))))["accepted"] == 1
    answer = dorm.push(push_row(0, "visit", {**out, "status": "x"}, op="update", stamp=hlc_at(NOW + timedelta(seconds=4))))
    assert dorm.reasons(answer) == [f"not_owner:{gate_a.station_id}"]
    # Who recorded the visit cannot be rewritten by the gate that signs it out.
    answer = gate_b.push(push_row(0, "visit", {**out, "station_id": gate_b.station_id}, op="update",
                              stamp=hlc_at(NOW + timedelta(seconds=5))))
    assert gate_b.reasons(answer) == [f"claims_station:{gate_b.station_id}"]
    assert central_state(central_url, school, "visit")[visit["id"]]["status"] == "out"


def test_the_policy_is_default_deny_and_matches_the_models():
    from kiosk.models import all_models
    from kiosk.sync import policy
    from kiosk.sync.local import LOCAL_TABLES

    tables = {model._meta.table_name for model in all_models()} - LOCAL_TABLES
    declared = policy.policies()
    assert set(declared) == tables, f"without a policy: {sorted(tables - set(declared))}"
    for name in ("guest_approval", "school", "student", "staff", "pass_slip", "slip_revocation", "watchlist_entry"):
        assert declared[name].insert == {"office"} and declared[name].owner == policy.OFFICE
    assert declared["station_info"].owner == policy.SELF
    for rule in declared.values():
        assert rule.insert <= set(policy.KINDS) and rule.update_others <= set(policy.KINDS)
        assert not rule.update_others or rule.why or rule.owner == policy.OFFICE


# ------------------------------------------------------------------------------------------- 3. identity

def test_a_station_id_is_bound_by_the_administrator_never_by_a_push(roles, central_url, school):
    office = roles("office", "office")
    stranger = roles("stranger", "gate", station_id="")  # added without an id: not bound yet
    info = {"id": office.station_id, "school_id": school, "name": "office", "kind": "office",
            "updated_at": "2026-11-30T08:00:00.000000Z"}
    with pytest.raises(peewee.ProgrammingError, match="not bound"):
        stranger.push(push_row(0, "station_info", info), station_id=office.station_id)
    assert central_scalar(central_url, "SELECT station_id FROM station WHERE name = %s", (f"stranger-{school}",)) is None
    # The real office keeps its identity and epoch.
    answer = office.push(push_row(0, "station_info", info))
    assert answer["status"] == "ok" and answer["accepted"] == 1
    # Binding to an id another station holds is refused; after binding, only that id may be pushed for.
    with pytest.raises(central.CentralError, match="already bound"):
        station_roles.bind_station(central_url, f"stranger-{school}", office.station_id)
    station_roles.bind_station(central_url, f"stranger-{school}", "st-stranger")
    with pytest.raises(peewee.ProgrammingError, match="pushes for station"):
        stranger.push(push_row(0, "station_info", info), station_id=office.station_id)
    stranger.station_id = "st-stranger"
    assert stranger.push(push_row(0, "gate_crossing", crossing_payload(school, "st-stranger")))["accepted"] == 1
    assert central_scalar(central_url, "SELECT count(*) FROM batch WHERE school_id = %s AND station_id = %s",
                          (school, office.station_id)) == 1


def test_the_cli_binds_and_the_station_shows_its_id(capsys, central_url, school, make_station):
    from kiosk.cli import main

    gate = make_station("gate")
    assert main(["central", "add-station", f"g-{school}", "--kind", "gate", "--url", central_url, "--school", school,
                 "--station-id", gate.station_id]) == 0
    assert central_scalar(central_url, "SELECT station_id FROM station WHERE name = %s", (f"g-{school}",)) == gate.station_id
    capsys.readouterr()
    assert main(["central", "bind-station", f"g-{school}", "st-other", "--url", central_url]) == 0
    assert "st-other" in capsys.readouterr().out
    assert main(["central", "bind-station", f"nobody-{school}", "st-x", "--url", central_url]) != 0


# ------------------------------------------------------------------------------------------- 4. reads by kind

def test_a_station_role_reads_only_the_tables_its_kind_pulls_and_creates_nothing(roles, central_url, school):
    from kiosk.models import Staff

    office, gate, dorm, canteen = (roles("office", "office"), roles("gate-a", "gate"), roles("dorm", "dorm"),
                                   roles("canteen", "canteen"))
    visit = row_payload(visit_row(school, gate.station_id))
    visit["id_number"] = "110101199003074514"
    assert gate.push(push_row(0, "visit", visit), push_row(0, "gate_crossing", crossing_payload(school, gate.station_id)))["accepted"] == 2
    # a conflict about a visit (a second sign-in of the same key by another gate)
    other_gate = roles("gate-b", "gate")
    other_gate.push(push_row(0, "visit", {**visit, "station_id": other_gate.station_id}))
    teacher = row_payload(Staff(school_id=school, number="T1", name="李老师", initials="lls", roles="head_teacher",
                                class_name="", phone="", card_code="", pin_hash="x", active=True, updated_at=NOW))
    assert office.push(push_row(0, "staff", teacher))["accepted"] == 1

    def visible(role: Role, table: str, relation: str = "row_state") -> int:
        with role.db.atomic():
            return role.db.execute_sql(f"SELECT count(*) FROM {relation} WHERE table_name = %s", (table,)).fetchone()[0]

    assert visible(gate, "visit") == 1 and visible(office, "visit") == 1
    assert visible(dorm, "visit") == 0 and visible(canteen, "visit") == 0
    assert visible(dorm, "gate_crossing") == 1 and visible(canteen, "gate_crossing") == 0
    assert visible(canteen, "staff") == 1  # the directory every station needs (see the README: what a station leaks)
    # the conflict (both versions of the visitor's row) is as private as the visit
    assert visible(gate, "visit", "conflict") == 1 and visible(office, "visit", "conflict") == 1
    assert visible(dorm, "visit", "conflict") == 0 and visible(canteen, "visit", "conflict") == 0
    for role in (gate, dorm, canteen):
        with pytest.raises(peewee.ProgrammingError, match="permission denied"):
            with role.db.atomic():
                role.db.execute_sql("SELECT payload FROM row_state")  # payloads only through station_rows()
        for statement in ("CREATE TEMP TABLE stolen (a int)", "CREATE TABLE public.stolen (a int)",
                          "CREATE FUNCTION pg_temp.leak() RETURNS int LANGUAGE sql AS 'SELECT 1'"):
            with pytest.raises(peewee.ProgrammingError, match="permission denied"):
                with role.db.atomic():
                    role.db.execute_sql(statement)
