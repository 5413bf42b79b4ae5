"""A broken or hostile station cannot hurt central or the other stations (issue 13, part B).

Each test uses a station's own database role straight against central, as a thief with a station's disk
would: crafted rows through sync_push, reads and DDL on its own connection. Real PostgreSQL throughout.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import peewee
import pytest

from kiosk.models import database_proxy
from kiosk.services.facts import row_payload
from kiosk.sync import central, hlc, station_roles
from tests.sync.conftest import central_scalar

NOW = datetime.now(timezone.utc)


def _stamp(at: datetime = NOW) -> int:
    return hlc.pack(hlc.to_ms(at))


def _crossing(school: str, station_id: str, **changes) -> dict:
    from kiosk.models.slips import GateCrossing

    row = GateCrossing(school_id=school, station_id=station_id, recorded_at=NOW, student_id="stu-1", direction="out",
                       kind="slip", slip_id="slip-1", at=NOW, flags="")
    payload = row_payload(row)
    payload.update(changes)
    return payload


def _row(seq: int, table: str, payload: dict, *, op: str = "insert", stamp: int | None = None, row_id: str | None = None):
    return {"seq": seq, "txn": seq, "t": table, "id": row_id or payload.get("id", f"row-{seq}"), "op": op,
            "h": _stamp() if stamp is None else stamp, "p": payload}


class Role:
    """A station's own database role, bound to `station_id` by the administrator."""

    def __init__(self, url: str, school: str, name: str, kind: str, station_id: str | None):
        self.school, self.kind, self.station_id = school, kind, station_id
        self.role = station_roles.add_station(url, f"{name}-{school}", kind, school, station_id or None)
        self.db = central.connect(self.role.url)
        self.seq = 0

    def push(self, *rows: dict, station_id: str | None = None, epoch: int = 1) -> dict:
        body = []
        for row in rows:
            self.seq += 1
            body.append({**row, "seq": self.seq, "txn": self.seq})
        # As the engine does: one statement of its own (central refuses sync_push inside a transaction block).
        return self.db.execute_sql("SELECT sync_push(%s, %s, %s, %s, %s)", (
            self.school, station_id or self.station_id, epoch, self.kind, json.dumps(body))).fetchone()[0]

    def reasons(self, answer: dict) -> list[str]:
        return [item["reason"] for item in answer["dead"]]

    def close(self) -> None:
        self.db.close()


@pytest.fixture
def roles(central_url, school):
    made: list[Role] = []

    def make(name: str, kind: str, station_id: str | None = None) -> Role:
        role = Role(central_url, school, name, kind, station_id if station_id is not None else f"st-{name}")
        made.append(role)
        return role

    yield make
    for role in made:
        role.close()


def _state(url: str, school: str, table: str) -> dict[str, dict]:
    db = central.connect(url)
    try:
        return {row_id: json.loads(payload) for row_id, payload in db.execute_sql(
            "SELECT row_id, payload::text FROM row_state WHERE school_id = %s AND table_name = %s", (school, table))}
    finally:
        db.close()


# ------------------------------------------------------------------------------------------- 1. validation

def test_central_refuses_wrong_types_missing_fields_and_impossible_stamps(roles, central_url, school):
    gate = roles("gate-a", "gate")
    good = _crossing(school, gate.station_id)
    rows = [
        _row(0, "gate_crossing", _crossing(school, gate.station_id, at="not-a-date")),
        _row(0, "gate_crossing", _crossing(school, gate.station_id, at="2026-13-01T00:00:00.000000Z")),
        _row(0, "gate_crossing", {k: v for k, v in _crossing(school, gate.station_id).items() if k != "direction"}),
        _row(0, "gate_crossing", _crossing(school, gate.station_id, direction=None)),
        _row(0, "gate_crossing", _crossing(school, gate.station_id, direction=["out"])),
        _row(0, "gate_crossing", _crossing(school, gate.station_id, flags="x" * 300)),
        _row(0, "visit", {**row_payload(_visit(school, gate.station_id)), "companions": "three"}),
        _row(0, "visit", {**row_payload(_visit(school, gate.station_id)), "companions": 2 ** 40}),
        _row(0, "visit", {**row_payload(_visit(school, gate.station_id)), "night": "yes"}),
        _row(0, "gate_crossing", _crossing(school, gate.station_id), stamp=2 ** 63 - 1),
        _row(0, "gate_crossing", _crossing(school, gate.station_id), stamp=_stamp(NOW + timedelta(days=30))),
        _row(0, "gate_crossing", _crossing(school, gate.station_id), stamp=-5),
        _row(0, "gate_crossing", _crossing(school, gate.station_id), stamp=0),
        _row(0, "gate_crossing", good),
    ]
    answer = gate.push(*rows)
    assert gate.reasons(answer) == [
        "bad_type:at", "bad_type:at", "missing_field:direction", "empty_field:direction", "bad_type:direction",
        "too_long:flags", "bad_type:companions", "bad_type:companions", "bad_type:night",
        "stamp_ahead", "stamp_ahead", "bad_stamp", "bad_stamp"]
    assert answer["accepted"] == 1
    assert set(_state(central_url, school, "gate_crossing")) == {good["id"]}
    assert central_scalar(central_url, "SELECT count(*) FROM dead_letter WHERE school_id = %s", (school,)) == 13
    # A station three days ahead (SYNC.md's scenario) still syncs: the bound is a week.
    ahead = _crossing(school, gate.station_id)
    assert gate.push(_row(0, "gate_crossing", ahead, stamp=_stamp(NOW + timedelta(days=3))))["accepted"] == 1


def _visit(school: str, station_id: str):
    from kiosk.models.visitors import Visit

    return Visit(school_id=school, station_id=station_id, recorded_at=NOW, status="in", id_type="none", id_number="",
                 name="王五", phone="", category="parent", unit="", reason="", host_kind="staff", host_id="s1",
                 host_name="李老师", companions=0, companion_names="", vehicle_plate="", items="", time_in=NOW,
                 night=False, duty_leader="", code="V1")


def test_central_refuses_unknown_tables_and_sql_in_names_and_keys(roles, central_url, school):
    gate = roles("gate-a", "gate")
    crossing = _crossing(school, gate.station_id)
    answer = gate.push(
        _row(0, "outbox", {"id": "o1"}, row_id="o1"),
        _row(0, "local_state", {"id": "k"}, row_id="k"),
        _row(0, "made_up", {"id": "m"}, row_id="m"),
        _row(0, "gate_crossing; DROP TABLE fact; --", {"id": "d"}, row_id="d"),
        _row(0, 'gate_crossing"', {"id": "q"}, row_id="q"),
        _row(0, "gate_crossing", {**crossing, 'flags" = 1; DROP TABLE row_state; --': "x"}),
        _row(0, "gate_crossing", [1, 2], row_id="list"),
    )
    assert gate.reasons(answer) == ["unknown_table"] * 5 + ['unknown_field:flags" = 1; DROP TABLE row_state; --',
                                                             "not_a_row"]
    assert answer["accepted"] == 0
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
    poisoned = {"huge": (_crossing(school, "st-gate-x"), 2 ** 63 - 1),
                "not-a-date": (_crossing(school, "st-gate-x", at="not-a-date"), _stamp()),
                "no-direction": ({k: v for k, v in _crossing(school, "st-gate-x").items() if k != "direction"}, _stamp())}
    good = _crossing(school, "st-gate-x")
    db = central.connect(central_url)
    try:
        with db.atomic():
            for seq, (row_id, (payload, stamp)) in enumerate([*poisoned.items(), ("good", (good, _stamp()))], 1):
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
    assert set(ids) <= set(_state(central_url, school, "probe"))
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
    assert office.push(_row(0, "station_info", office_info))["accepted"] == 1
    renamed = {**office_info, "name": "hacked"}
    building = row_payload(Building(school_id=school, name="A", gender="M"))
    answer = gate_a.push(
        _row(0, "guest_approval", approval),
        _row(0, "station_info", renamed, op="update", stamp=_stamp(NOW + timedelta(seconds=5))),
        _row(0, "station_info", {**office_info, "id": "st-new", "name": "fake"}),
        _row(0, "building", building),
    )
    assert gate_a.reasons(answer) == ["not_writer:gate", f"not_owner:{office.station_id}", "not_owner:st-new",
                                      "not_writer:gate"]
    assert _state(central_url, school, "station_info")[office.station_id]["name"] == "office"
    assert dorm.push(_row(0, "guest_approval", {**approval, "station_id": dorm.station_id}))["dead"][0]["reason"] == "not_writer:dorm"
    # Each station announces itself; the office writes the approvals.
    own = row_payload(StationInfo(id=gate_a.station_id, school_id=school, name="east gate", kind="gate", updated_at=NOW))
    assert gate_a.push(_row(0, "station_info", own))["accepted"] == 1
    assert office.push(_row(0, "guest_approval", {**approval, "station_id": office.station_id}))["accepted"] == 1

    # Another gate's crossings: no rewrite (it erased the office's double-use conflict), no insert in its name.
    crossing = _crossing(school, gate_a.station_id)
    assert gate_a.push(_row(0, "gate_crossing", crossing))["accepted"] == 1
    answer = gate_b.push(
        _row(0, "gate_crossing", {**crossing, "direction": "in"}, op="update", stamp=_stamp(NOW + timedelta(seconds=9))),
        _row(0, "gate_crossing", {**crossing, "direction": "in"}, stamp=_stamp(NOW + timedelta(seconds=9))),
        _row(0, "gate_crossing", _crossing(school, gate_a.station_id)),
    )
    assert gate_b.reasons(answer) == [f"not_owner:{gate_a.station_id}"] * 2 + [f"claims_station:{gate_a.station_id}"]
    assert _state(central_url, school, "gate_crossing")[crossing["id"]]["direction"] == "out"


def test_a_visit_may_be_signed_out_at_another_gate(roles, central_url, school):
    """The policy's one gate exception: a visitor may leave by another gate."""
    gate_a, gate_b, dorm = roles("gate-a", "gate"), roles("gate-b", "gate"), roles("dorm", "dorm")
    visit = row_payload(_visit(school, gate_a.station_id))
    assert gate_a.push(_row(0, "visit", visit))["accepted"] == 1
    out = {**visit, "status": "out", "time_out": visit["time_in"], "out_station_id": gate_b.station_id}
    assert gate_b.push(_row(0, "visit", out, op="update", stamp=_stamp(NOW + timedelta(seconds=3))))["accepted"] == 1
    answer = dorm.push(_row(0, "visit", {**out, "status": "x"}, op="update", stamp=_stamp(NOW + timedelta(seconds=4))))
    assert dorm.reasons(answer) == [f"not_owner:{gate_a.station_id}"]
    # Who recorded the visit cannot be rewritten by the gate that signs it out.
    answer = gate_b.push(_row(0, "visit", {**out, "station_id": gate_b.station_id}, op="update",
                              stamp=_stamp(NOW + timedelta(seconds=5))))
    assert gate_b.reasons(answer) == [f"claims_station:{gate_b.station_id}"]
    assert _state(central_url, school, "visit")[visit["id"]]["status"] == "out"


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
        stranger.push(_row(0, "station_info", info), station_id=office.station_id)
    assert central_scalar(central_url, "SELECT station_id FROM station WHERE name = %s", (f"stranger-{school}",)) is None
    # The real office keeps its identity and epoch.
    answer = office.push(_row(0, "station_info", info))
    assert answer["status"] == "ok" and answer["accepted"] == 1
    # Binding to an id another station holds is refused; after binding, only that id may be pushed for.
    with pytest.raises(central.CentralError, match="already bound"):
        station_roles.bind_station(central_url, f"stranger-{school}", office.station_id)
    station_roles.bind_station(central_url, f"stranger-{school}", "st-stranger")
    with pytest.raises(peewee.ProgrammingError, match="pushes for station"):
        stranger.push(_row(0, "station_info", info), station_id=office.station_id)
    stranger.station_id = "st-stranger"
    assert stranger.push(_row(0, "gate_crossing", _crossing(school, "st-stranger")))["accepted"] == 1
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
    visit = row_payload(_visit(school, gate.station_id))
    visit["id_number"] = "110101199003074514"
    assert gate.push(_row(0, "visit", visit), _row(0, "gate_crossing", _crossing(school, gate.station_id)))["accepted"] == 2
    # a conflict about a visit (a second sign-in of the same key by another gate)
    other_gate = roles("gate-b", "gate")
    other_gate.push(_row(0, "visit", {**visit, "station_id": other_gate.station_id}))
    teacher = row_payload(Staff(school_id=school, number="T1", name="李老师", initials="lls", roles="head_teacher",
                                class_name="", phone="", card_code="", pin_hash="x", active=True, updated_at=NOW))
    assert office.push(_row(0, "staff", teacher))["accepted"] == 1

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


# ------------------------------------------------------------------------------------------- 5. set once, clones

@pytest.mark.parametrize("first", ["a", "b"])
def test_a_visit_signed_out_at_two_gates_is_a_conflict_whichever_pushes_first(roles, central_url, school, first):
    """Both gates offline sign the same visitor out: the second time_out that reaches central never overwrites
    the first (it used to, silently, when gate A pushed first) and both versions are kept as a conflict."""
    gate_a, gate_b = roles("gate-a", "gate"), roles("gate-b", "gate")
    visit = row_payload(_visit(school, gate_a.station_id))
    assert gate_a.push(_row(0, "visit", visit))["accepted"] == 1
    out_a = {**visit, "status": "out", "time_out": "2026-11-30T08:05:00.000000Z", "out_station_id": gate_a.station_id}
    out_b = {**visit, "status": "out", "time_out": "2026-11-30T08:09:00.000000Z", "out_station_id": gate_b.station_id}
    pushes = [(gate_a, out_a, _stamp(NOW + timedelta(seconds=5))), (gate_b, out_b, _stamp(NOW + timedelta(seconds=9)))]
    if first == "b":
        pushes.reverse()
    answers = [role.push(_row(0, "visit", payload, op="update", stamp=stamp)) for role, payload, stamp in pushes]
    assert [answer["conflicts"] for answer in answers] == [0, 1]
    kept = _state(central_url, school, "visit")[visit["id"]]
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
    crossing = _crossing(school, gate.station_id)
    gate.push(_row(0, "gate_crossing", crossing))
    answer = gate.push(_row(0, "gate_crossing", {**crossing, "direction": "in"}, op="update",
                            stamp=_stamp(NOW + timedelta(seconds=2))))
    assert answer["conflicts"] == 1
    assert _state(central_url, school, "gate_crossing")[crossing["id"]]["direction"] == "out"


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

def _scan(station, n: int) -> list[str]:
    from kiosk.models.slips import GateScan
    from kiosk.services.facts import record

    from kiosk import clock

    ids = []
    with station.use():
        actor = station.actor()
        for i in range(n):
            with record(actor, "gate.scan") as w:
                row = w.insert(GateScan(school_id=station.school, station_id=actor.station_id, recorded_at=clock.now(),
                                        raw=f"CODE-{i}", verdict="refuse", reason_code="forged", detail={}))
            ids.append(row.id)
    return ids


def test_a_gate_restored_from_a_backup_gets_its_scans_back_without_duplicates(make_station, central_url, tmp_path):
    """The backup still held 3 unpushed scans; 5 more reached central before the disk died. The restored gate
    used to send the 3 again as new facts (same id, payload and stamp under epochs 1 and 2) and never got the
    5 back (gates do not pull gate_scan)."""
    import shutil

    gate = make_station("gate")
    gate_pulls = dict(pull_tables=())  # what a gate pulls in production: not gate_scan
    held = _scan(gate, 3)
    with gate.use():
        database_proxy.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(gate.path, tmp_path / "backup.sqlite3")
    gate.sync(**gate_pulls)
    lost = _scan(gate, 5)
    gate.sync(**gate_pulls)
    gate.close()  # the disk dies

    restored = make_station("restored", "gate", path=tmp_path / "backup.sqlite3")
    new = _scan(restored, 2)
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
    assert set(_state(central_url, school, "gate_scan")) == set(held + lost + new)
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
    assert gate_a.push(_row(0, "gate_scan", scan))["accepted"] == 1
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
    rows = [_row(0, "staff", row_payload(Staff(id=f"s-{name}", school_id=school, number=name, name=name,
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


def _valid_payload(model, school: str, station_id: str) -> dict:
    """A row of `model` that passes the column checks (built from the same rules), for policy sweeps."""
    from kiosk.sync.validation import columns_of

    values = {"text": "x", "time": "2026-11-30T08:00:00.000000Z", "date": "2026-11-30", "int": 1, "bigint": 1,
              "bool": True, "float": 1.5}
    payload = {column.name: values[column.kind] for column in columns_of(model)}
    for key, value in (("school_id", school), ("station_id", station_id)):
        if key in payload:
            payload[key] = value
    return payload


def test_every_table_is_created_only_by_the_kinds_its_policy_names(roles, central_url, school):
    """The whole policy, table by table, with each kind's own role: who may create rows, nobody else."""
    from kiosk.sync import policy

    kinds = {kind: roles(kind, kind) for kind in policy.KINDS}
    for table, rule in sorted(policy.policies().items()):
        model = policy.syncable()[table][0]
        for kind, role in kinds.items():
            payload = _valid_payload(model, school, role.station_id)
            if rule.owner == policy.SELF:
                payload["id"] = role.station_id
            else:
                payload["id"] = f"{table}-{kind}"
            answer = role.push(_row(0, table, payload))
            expected = [] if kind in rule.insert else [f"not_writer:{kind}"]
            assert role.reasons(answer) == expected, (table, kind)


def test_a_station_cannot_push_inside_its_own_transaction_and_hold_the_school(roles, central_url, school):
    """A hostile gate that opens a transaction, pushes and then idles would keep the school's counter row locked
    (its session limits are its own to switch off). Central refuses sync_push inside a transaction block, so
    the lock never outlives the statement and another station of the school pushes at once."""
    import threading

    hostile, honest = roles("gate-a", "gate"), roles("gate-b", "gate")
    body = json.dumps([{**_row(1, "gate_crossing", _crossing(school, hostile.station_id)), "seq": 1, "txn": 1}])
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
        answer = honest.push(_row(0, "gate_crossing", _crossing(school, honest.station_id)))
        assert answer["accepted"] == 1
    finally:
        release.set()
        idler.join()
