"""The single write path and the hash-chained audit log."""
import peewee
import pytest

from kiosk import cli, clock
from kiosk.models import AuditEntry, LocalState, Outbox, School, Staff
from kiosk.services.actor import Actor
from kiosk.services.facts import audit_only, record, verify_audit_chain

ACTOR = Actor(school_id="demo", station_id="st-test", staff_id="s1")


def add_school(name="一中", school_id="demo"):
    with record(ACTOR, "school.add", entity="school", entity_id=school_id) as w:
        w.insert(School(id=school_id, name=name, timezone="Asia/Shanghai"))


def test_row_outbox_and_audit_commit_together(db, frozen_now):
    add_school()
    assert School.get_by_id("demo").name == "一中"
    outbox = list(Outbox.select())
    assert [(o.table, o.row_id, o.op) for o in outbox] == [("school", "demo", "insert")]
    assert outbox[0].payload == {"id": "demo", "name": "一中", "timezone": "Asia/Shanghai"}
    entry = AuditEntry.get()
    assert (entry.action, entry.staff_id, entry.station_id, entry.at) == ("school.add", "s1", "st-test", frozen_now)


def test_a_failing_fact_writes_nothing(db):
    with pytest.raises(RuntimeError):
        with record(ACTOR, "school.add") as w:
            w.insert(School(id="x", name="x", timezone="Asia/Shanghai"))
            raise RuntimeError("boom")
    assert School.select().count() == 0
    assert Outbox.select().count() == 0
    assert AuditEntry.select().count() == 0


def test_update_is_queued_with_the_full_row(db):
    add_school()
    school = School.get_by_id("demo")
    school.name = "二中"
    with record(ACTOR, "school.rename") as w:
        w.update(school, School.name)
    last = Outbox.select().order_by(Outbox.seq.desc()).get()
    assert last.op == "update" and last.payload["name"] == "二中"


def chain_of(n):
    for i in range(n):
        audit_only(ACTOR, f"event.{i}", detail={"i": i})


def test_intact_chain_verifies(db):
    chain_of(5)
    assert verify_audit_chain() is None


def test_edited_entry_is_found(db):
    chain_of(5)
    AuditEntry.update(detail={"i": 99}).where(AuditEntry.seq == 3).execute()
    problem = verify_audit_chain()
    assert (problem.seq, problem.kind) == (3, "edited")


def test_deleted_entry_is_found(db):
    chain_of(5)
    AuditEntry.delete().where(AuditEntry.seq == 2).execute()
    problem = verify_audit_chain()
    assert (problem.seq, problem.kind) == (3, "missing_or_reordered")


def test_reordered_entries_are_found(db):
    chain_of(4)
    a, b = AuditEntry.get(AuditEntry.seq == 2), AuditEntry.get(AuditEntry.seq == 3)
    # swap their contents (as if reordered), keeping their own hashes
    for entry, other in ((a, b), (b, a)):
        AuditEntry.update(action=other.action, detail=other.detail, hash=other.hash, prev_hash=other.prev_hash,
                          id=other.id + "x").where(AuditEntry.seq == entry.seq).execute()
    problem = verify_audit_chain()
    assert problem is not None and problem.seq == 2


def test_deleted_newest_entry_is_found(db):
    chain_of(3)
    AuditEntry.delete().where(AuditEntry.seq == 3).execute()
    problem = verify_audit_chain()
    assert (problem.seq, problem.kind) == (3, "truncated")


def test_audit_verify_command_exits_non_zero_on_tampering(settings, capsys):
    db_path = settings.database.path
    assert cli.main(["audit", "verify", "--db", db_path]) == 0
    from kiosk.db import open_database
    open_database(db_path)
    chain_of(3)
    AuditEntry.update(action="hidden").where(AuditEntry.seq == 2).execute()
    assert cli.main(["audit", "verify", "--db", db_path]) == 1
    assert "entry 2" in capsys.readouterr().err


def test_sequence_numbers_are_never_reused(db):
    chain_of(3)
    AuditEntry.delete().where(AuditEntry.seq == 3).execute()
    LocalState.delete().execute()
    audit_only(ACTOR, "after")
    assert AuditEntry.select().order_by(AuditEntry.seq.desc()).get().seq == 4


def test_times_are_stored_as_utc_text(db, frozen_now):
    add_school()
    raw = db.execute_sql('SELECT "at" FROM audit_entry').fetchone()[0]
    assert raw == "2026-11-18T02:00:00.000000Z"
    with pytest.raises(ValueError):
        with record(ACTOR, "naive") as w:
            w.insert(Staff(school_id="demo", number="1", name="x", roles="admin", pin_hash="x",
                           updated_at=clock.now().replace(tzinfo=None)))


def test_insert_many_queues_every_row_in_one_fact(db):
    from kiosk.models import Building

    add_school()
    rows = [Building(school_id="demo", name=f"楼{i}", gender="M") for i in range(1203)]
    with record(ACTOR, "building.bulk") as w:
        w.insert_many(rows, chunk=500)
    assert Building.select().count() == 1203
    queued = Outbox.select().where(Outbox.table == "building")
    assert queued.count() == 1203
    assert {o.row_id for o in queued} == {b.id for b in rows}
    assert AuditEntry.select().where(AuditEntry.action == "building.bulk").count() == 1
    assert verify_audit_chain() is None


def test_insert_many_is_all_or_nothing(db):
    from kiosk.models import Building

    add_school()
    rows = [Building(school_id="demo", name="同名", gender="M") for _ in range(2)]  # unique (school, name)
    with pytest.raises(peewee.IntegrityError):
        with record(ACTOR, "building.bulk") as w:
            w.insert_many(rows)
    assert Building.select().count() == 0
    assert Outbox.select().where(Outbox.table == "building").count() == 0


def test_the_writer_stamps_school_station_staff_and_time(db, frozen_now):
    """Issue 12: a fact's rows need not repeat school_id=actor.school_id, station_id=..., staff_id=..."""
    from kiosk.models import Building
    from kiosk.models.slips import GateScan

    actor = Actor(school_id="demo", station_id="st-gate", staff_id="staff-1", staff_name="门卫甲")
    with record(actor, "test.stamp") as w:
        w.insert(School(id="demo", name="x", timezone="Asia/Shanghai"))
        scan = w.insert(GateScan(raw="X", verdict="refuse", reason_code="damaged"))
        kept = w.insert(Building(school_id="other", name="楼", gender="F"))
        many = w.insert_many([GateScan(raw=f"Y{i}", verdict="refuse", reason_code="damaged") for i in range(3)])
    stored = GateScan.get_by_id(scan.id)
    assert (stored.school_id, stored.station_id, stored.staff_id, stored.recorded_at) == (
        "demo", "st-gate", "staff-1", frozen_now)
    assert {(r.school_id, r.station_id, r.staff_id) for r in GateScan.select().where(GateScan.id.in_([m.id for m in many]))} \
        == {("demo", "st-gate", "staff-1")}
    assert Building.get_by_id(kept.id).school_id == "other"  # set by the caller: kept
    assert Outbox.select().where(Outbox.row_id == scan.id).get().payload["station_id"] == "st-gate"
