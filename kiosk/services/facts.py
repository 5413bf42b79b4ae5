"""The one write path. A fact's rows, their outbox entries and one audit entry commit together.

    with record(actor, "visit.register", entity="visit", entity_id=visit.id, detail={...}) as w:
        w.insert(visit)
        w.update(other_row)

If anything inside raises, nothing is written: no row without its audit entry, no audit entry
without its row, no row that sync would not push.
"""
from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterator

import peewee

from kiosk import clock
from kiosk.ids import new_id
from kiosk.models import AuditEntry, BaseModel, LocalState, Outbox, database_proxy
from kiosk.models.base import FactModel, SchoolModel, utc_text
from kiosk.services.actor import Actor

GENESIS = "0" * 64
AUDIT_HEAD_KEY = "audit_head"


def row_payload(row: BaseModel) -> dict[str, Any]:
    """The row as the database stores it (column name -> db value), for the outbox."""
    return {f.column_name: f.db_value(row.__data__.get(name)) for name, f in row._meta.fields.items()}


@dataclass
class FactWriter:
    actor: Actor
    at: datetime
    touched: list[tuple[str, str, str]] = field(default_factory=list)

    def stamp(self, row: BaseModel) -> BaseModel:
        """Who, where and when, from the writer: a fact's rows need not spell out school, station, staff and
        time. A value the caller set (a row recorded for another school by the roster import) is kept."""
        data = row.__data__
        if isinstance(row, SchoolModel) and not data.get("school_id"):
            row.school_id = self.actor.school_id
        if isinstance(row, FactModel):
            if not data.get("station_id"):
                row.station_id = self.actor.station_id
            if data.get("staff_id") is None:
                row.staff_id = self.actor.staff_id
            if data.get("recorded_at") is None:
                row.recorded_at = self.at
        return row

    def insert(self, row: BaseModel) -> BaseModel:
        self.stamp(row)
        row.save(force_insert=True)
        self._queue(row, "insert")
        return row

    def insert_many(self, rows: list[BaseModel], chunk: int = 500) -> list[BaseModel]:
        """Insert many rows of one model with set-based statements (a roster import, a demo week).

        Same guarantees as insert(): the rows, their outbox rows and the fact's audit entry commit together.
        Rows must be complete (ids come from field defaults when the row object is made).
        """
        if not rows:
            return rows
        model = type(rows[0])
        if any(type(row) is not model for row in rows):
            raise TypeError("insert_many takes rows of one model")
        table = model._meta.table_name
        for row in rows:
            self.stamp(row)
        for start in range(0, len(rows), chunk):
            part = rows[start:start + chunk]
            model.insert_many([row.__data__ for row in part]).execute()
            Outbox.insert_many([
                {"table": table, "row_id": str(row._pk), "op": "insert", "payload": row_payload(row), "created_at": self.at}
                for row in part
            ]).execute()
        self.touched.extend((table, str(row._pk), "insert") for row in rows)
        return rows

    def update(self, row: BaseModel, *only: peewee.Field) -> BaseModel:
        changed = row.save(only=list(only) or None)
        if changed != 1:
            raise RuntimeError(f"update of {row._meta.table_name} {row._pk} touched {changed} rows")
        self._queue(row, "update")
        return row

    def _queue(self, row: BaseModel, op: str) -> None:
        table = row._meta.table_name
        row_id = str(row._pk)
        Outbox.create(table=table, row_id=row_id, op=op, payload=row_payload(row), created_at=self.at)
        self.touched.append((table, row_id, op))


def _entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def _hashed_fields(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "school_id": entry.school_id,
        "station_id": entry.station_id,
        "staff_id": entry.staff_id,
        "at": utc_text(entry.at),
        "action": entry.action,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "detail": entry.detail,
    }


def _append_audit(actor: Actor, at: datetime, action: str, entity: str, entity_id: str, detail: dict) -> AuditEntry:
    head = LocalState.get_or_none(LocalState.key == AUDIT_HEAD_KEY)
    prev_hash = json.loads(head.value)["hash"] if head else GENESIS
    entry = AuditEntry(
        id=new_id(), school_id=actor.school_id, station_id=actor.station_id, staff_id=actor.staff_id,
        at=at, action=action, entity=entity, entity_id=entity_id,
        detail=json.loads(json.dumps(detail, ensure_ascii=False, default=str)), prev_hash=prev_hash,
    )
    entry.hash = _entry_hash(prev_hash, _hashed_fields(entry))
    entry.save(force_insert=True)
    # The head lets verify() notice a deleted newest entry, which the chain alone cannot.
    LocalState.insert(key=AUDIT_HEAD_KEY, value=json.dumps({"seq": entry.seq, "hash": entry.hash})).on_conflict_replace().execute()
    return entry


@contextmanager
def record(actor: Actor, action: str, *, entity: str = "", entity_id: str = "", detail: dict | None = None,
           at: datetime | None = None) -> Iterator[FactWriter]:
    """Open one transaction for a fact; commit rows + outbox + audit together, or nothing.

    A full (or failing) disk raises kiosk.db.StorageError (StationDatabase maps SQLite's error at the
    statement or the COMMIT): the fact was NOT saved, the transaction is rolled
    back whole, and the next fact simply tries again (nothing to restart once space is freed)."""
    at = at or clock.now()
    # IMMEDIATE takes the write lock up front, so two writers queue instead of deadlocking on upgrade.
    with database_proxy.atomic("IMMEDIATE") if database_proxy.transaction_depth() == 0 else database_proxy.atomic():
        writer = FactWriter(actor=actor, at=at)
        yield writer
        _append_audit(actor, at, action, entity, entity_id, detail or {})


def audit_only(actor: Actor, action: str, **kwargs: Any) -> None:
    """An audited event that writes no domain row (a login, a reveal of an ID number, a refusal)."""
    with record(actor, action, **kwargs):
        pass


# What made sync notice an older copy (kiosk.sync.restore), in `kiosk audit verify`'s words.
GAP_CAUSES = {
    "epoch_conflict": "central holding other rows under this station's outbox numbers",
    "older_copy": "central holding more of this station's rows than this copy ever had",
    "audit_head": "an audit entry central heard of from this station that this log does not hold",
}


@dataclass(frozen=True)
class AuditProblem:
    seq: int | None
    kind: str  # edited | missing_or_reordered | truncated
    message: str


def verify_audit_chain() -> AuditProblem | None:
    """The first entry that was edited, deleted or reordered; None if the chain is intact."""
    prev_hash = GENESIS
    last_seq = 0
    query = AuditEntry.select().order_by(AuditEntry.seq)
    for entry in query.iterator():
        if entry.prev_hash != prev_hash:
            return AuditProblem(entry.seq, "missing_or_reordered",
                                f"entry {entry.seq}: does not follow entry {last_seq} (an entry before it was deleted or reordered)")
        try:
            expected = _entry_hash(entry.prev_hash, _hashed_fields(entry))
        except (TypeError, ValueError):
            expected = ""
        if expected != entry.hash:
            return AuditProblem(entry.seq, "edited", f"entry {entry.seq}: content does not match its hash (edited)")
        prev_hash = entry.hash
        last_seq = entry.seq
    head = LocalState.get_or_none(LocalState.key == AUDIT_HEAD_KEY)
    if head is not None:
        recorded = json.loads(head.value)
        if recorded["hash"] != prev_hash:
            return AuditProblem(recorded["seq"], "truncated",
                                f"entry {recorded['seq']}: the newest entries are missing (log ends at entry {last_seq})")
    elif last_seq:
        return AuditProblem(last_seq, "truncated", "audit head is missing")
    # Sync noticed this database is an older copy (restored) or a clone: the chain here verifies, but the
    # entries the lost copy wrote after `after_seq` are gone (audit entries are never synced).
    gap = LocalState.get_or_none(LocalState.key == "audit_gap")
    if gap is not None:
        info = json.loads(gap.value)
        cause = GAP_CAUSES.get(info.get("cause"), info.get("cause"))
        return AuditProblem(info.get("after_seq"), "gap",
                            f"entry {info.get('after_seq')}: the entries written after it on the lost copy are missing: "
                            f"this database was restored from an older copy or cloned (sync noticed {cause} "
                            f"at {info.get('noticed_at')}; {info.get('rows_taken_back', 0)} of its rows taken back from "
                            f"central); the entries here up to entry {last_seq} verify")
    return None
