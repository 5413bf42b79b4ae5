"""A station restored from an older copy (or cloned): noticed at push, its own rows taken back at pull.

Central answers `epoch_conflict` when the seqs it holds for our epoch carry other rows, and its batch register
may hold more of our seqs than this copy's outbox ever had. Either way this database is an older copy: the next
pull takes back from central every row we created in tables we do not pull (a gate's gate_scan; pulled tables
come back by their streams), and since audit entries are never synced, the gap is recorded for
`kiosk audit verify` (kiosk.services.facts.verify_audit_chain) to name instead of saying "intact".
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


def mark_restored(cause: str, after_seq: int | None = None) -> None:
    """This database is an older copy (restored) or a clone: our rows come back from central at the next pull,
    but the audit entries the lost copy wrote after this one's newest are gone (they are never synced), and
    `kiosk audit verify` must say so instead of "intact". Call inside a write transaction."""
    local.set_value(RECOVER_KEY, "1")
    if local.value(AUDIT_GAP_KEY) is None:
        head = local.value("audit_head")
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
                local.set_value(AUDIT_GAP_KEY, json.dumps({**json.loads(gap), "rows_taken_back": recovered}))
    finally:
        database_proxy.execute_sql("PRAGMA foreign_keys = ON")
