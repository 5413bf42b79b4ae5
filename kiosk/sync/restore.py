"""A station restored from an older copy (or cloned): noticed at push, its own rows taken back at pull.

Central answers `epoch_conflict` when the seqs it holds for our epoch carry other rows, and its batch register
may hold more of our seqs than this copy's outbox ever had. Either way this database is an older copy: the next
pull takes back from central every row we created in tables we do not pull (a gate's gate_scan; pulled tables
come back by their streams), and since audit entries are never synced, the gap is recorded for
`kiosk audit verify` (kiosk.services.facts.verify_audit_chain) to name instead of saying "intact".
The station also reports its audit head to central each round (kiosk.sync.audit_sql): a copy whose log lacks a
head the lost copy reported is an older copy too, even when the lost copy wrote audited events without rows.
"""
from __future__ import annotations

import json
import logging
from datetime import timezone

from kiosk import clock
from kiosk.models import database_proxy
from kiosk.sync import local
from kiosk.sync.apply import apply_rows
from kiosk.sync.outbox import OUT_COLUMNS, OutRow

log = logging.getLogger(__name__)

RECOVER_KEY = "sync_recover_own_rows"  # set when central said we were restored or cloned (a new epoch)
AUDIT_GAP_KEY = "audit_gap"  # read by kiosk.services.facts.verify_audit_chain
AUDIT_HEAD_KEY = "audit_head"  # written by kiosk.services.facts with each entry: {"seq", "hash"}
# "id:seq": the newest audit_head row at central this log was checked against, and the newest entry known to be
# in both this log and the one central heard of
AUDIT_CHECKED_KEY = "sync_audit_checked"
AUDIT_REPORTED_KEY = "sync_audit_reported"  # the head last reported to central, as stored under AUDIT_HEAD_KEY


def mark_restored(cause: str, after_seq: int | None = None) -> None:
    """This database is an older copy (restored) or a clone: our rows come back from central at the next pull,
    but the audit entries the lost copy wrote after this one's newest are gone (they are never synced), and
    `kiosk audit verify` must say so instead of "intact". Call inside a write transaction."""
    local.set_value(RECOVER_KEY, "1")
    if local.value(AUDIT_GAP_KEY) is None:
        head = local.value(AUDIT_HEAD_KEY)
        after = after_seq if after_seq is not None else (json.loads(head)["seq"] if head else 0)
        local.set_value(AUDIT_GAP_KEY, json.dumps({"after_seq": after, "cause": cause, "epoch": local.epoch(),
                                                     "noticed_at": clock.now().astimezone(timezone.utc).isoformat()}))


def last_entry_before_restore(central, config, sid: str, ep: int, rows: list) -> int | None:
    """The newest audit entry this copy had when it was restored: just before the transaction of our first
    row that central holds differently under the same seq (outbox.txn is its audit entry's seq)."""
    held = dict(central.execute_sql(
        "SELECT seq, row_id FROM fact WHERE school_id = %s AND station_id = %s AND epoch = %s AND seq BETWEEN %s AND %s",
        (config.school_id, sid, ep, rows[0].seq, rows[-1].seq)))
    for row in rows:
        if row.seq in held and held[row.seq] != row.row_id and row.txn is not None and row.txn > 0:
            return row.txn - 1
    return None


def notice_older_copy(central, config, sid: str, last_seq: int) -> None:
    """Central holds more of our rows under this epoch than our outbox ever had: this database was restored
    from an older copy. Take our rows back at the next pull (before any new write forces a new epoch)."""
    row = central.execute_sql("SELECT last_seq FROM batch WHERE school_id = %s AND station_id = %s AND epoch = %s",
                              (config.school_id, sid, local.epoch())).fetchone()
    if row and row[0] > last_seq:
        log.warning("sync: central holds our rows up to seq %s, this copy only to %s: restored from an old copy",
                    row[0], last_seq)
        pending = [OutRow(*r) for r in database_proxy.execute_sql(
            OUT_COLUMNS + 'WHERE "acked_at" IS NULL AND "seq" <= ? ORDER BY "seq"', (row[0],))]
        after = last_entry_before_restore(central, config, sid, local.epoch(), pending) if pending else None
        with local.write_transaction():
            mark_restored("older_copy", after)


def check_audit_head(central, config, sid: str) -> None:
    """Compare the audit heads this station reported to central since the last check with this log: a head this
    log does not hold was written by another copy (the lost disk this one was restored from, or a clone), so the
    entries after the newest common one are missing here. Then report our own head if it moved."""
    import peewee

    checked_id, common = (int(part) for part in (local.value(AUDIT_CHECKED_KEY) or "0:0").split(":"))
    try:
        heads = list(central.execute_sql("SELECT id, seq, hash FROM station_audit_heads(%s, %s, %s)",
                                         (config.school_id, sid, checked_id)))
    except peewee.ProgrammingError as error:
        if getattr(error.__context__, "pgcode", None) != "42883":  # undefined_function
            raise
        # A central initialised by an older version: sync goes on; its administrator runs `kiosk central init`.
        log.warning("sync: central has no audit heads yet (run `kiosk central init` there); not checked")
        return
    ours = _entry_hashes([seq for _, seq, _ in heads])
    for head_id, seq, digest in heads:
        if ours.get(seq) != digest:
            log.warning("sync: central heard of audit entry %s from this station, which this log does not hold: "
                        "restored from an older copy or cloned", seq)
            with local.write_transaction():
                mark_restored("audit_head", common)
            break
        common = max(common, seq)
    last_id = heads[-1][0] if heads else checked_id
    head = local.value(AUDIT_HEAD_KEY)
    if head is not None and head != local.value(AUDIT_REPORTED_KEY):
        entry = json.loads(head)
        reported = central.execute_sql("SELECT sync_audit_head(%s, %s, %s, %s)",
                                       (config.school_id, sid, entry["seq"], entry["hash"])).fetchone()[0]
        last_id, common = max(last_id, reported), entry["seq"]
        with local.write_transaction():
            local.set_value(AUDIT_REPORTED_KEY, head)
    checked = f"{last_id}:{common}"
    if checked != local.value(AUDIT_CHECKED_KEY):
        with local.write_transaction():
            local.set_value(AUDIT_CHECKED_KEY, checked)


def _entry_hashes(seqs: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for start in range(0, len(seqs), 500):
        chunk = seqs[start:start + 500]
        marks = ",".join("?" for _ in chunk)
        found.update(database_proxy.execute_sql(
            f'SELECT "seq", "hash" FROM "audit_entry" WHERE "seq" IN ({marks})', chunk).fetchall())
    return found


def recover_own_rows(central, config, tables: list[str], result) -> None:
    """After a restore from an old copy: take back, from central, the rows this station had pushed in tables it
    does not pull (the pulled ones come back by their streams), e.g. a gate's gate_scan. Checked and applied
    like pulled rows; nothing is pushed again (no outbox rows)."""
    sid = local.station_id()
    recovered = 0
    database_proxy.execute_sql("PRAGMA foreign_keys = OFF")
    try:
        for table in tables:
            rows = list(central.execute_sql("SELECT * FROM station_rows(%s, %s, 0, %s, %s)",
                                            (config.school_id, table, 2 ** 31 - 1, sid)))
            if rows:
                count = f'SELECT count(*) FROM "{table}"'
                before = database_proxy.execute_sql(count).fetchone()[0]
                apply_rows(table, rows, force=False, result=result, cursor_to=None)
                taken = database_proxy.execute_sql(count).fetchone()[0] - before
                recovered += taken
                log.warning("sync: restored copy: took back %s of our %s rows of %s from central", taken, len(rows), table)
        with local.write_transaction():
            database_proxy.execute_sql('DELETE FROM "local_state" WHERE "key" = ?', (RECOVER_KEY,))
            gap = local.value(AUDIT_GAP_KEY)
            if gap is not None:
                # added up: a restored copy that keeps writing may be told again (a new epoch) and find nothing new
                gap = json.loads(gap)
                local.set_value(AUDIT_GAP_KEY, json.dumps({**gap, "rows_taken_back": gap.get("rows_taken_back", 0) + recovered}))
    finally:
        database_proxy.execute_sql("PRAGMA foreign_keys = ON")
