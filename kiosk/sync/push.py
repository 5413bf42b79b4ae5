"""Push: the station's pending outbox rows to central's `sync_push`, one batch per statement.

Rows are marked acknowledged only after central answered; a lost answer means a harmless resend (central
answers `duplicate`). A restored or cloned station is noticed here (kiosk.sync.restore).
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import timezone

from kiosk import clock
from kiosk.models import database_proxy
from kiosk.sync import hlc, local, outbox, restore
from kiosk.sync.local import SyncConfig, SyncError
from kiosk.sync.outbox import OutRow
from kiosk.sync.sender import BatchSender

log = logging.getLogger(__name__)


@dataclass
class PushResult:
    batches: int = 0
    sent: int = 0
    accepted: int = 0
    duplicates: int = 0  # batches central had already applied
    dead: int = 0
    conflicts: int = 0
    epoch_bumps: int = 0


def call_push(central, config: SyncConfig, sid: str, ep: int, body: str) -> dict:
    # One statement in autocommit (peewee's default), not inside BEGIN ... COMMIT: the school's counter row
    # lock is then held only while central runs the statement, and released at its end whatever the station
    # does next. Inside an explicit transaction a station stalled before COMMIT held it, and every other
    # station of the school waited (issue 13). A lost answer is a harmless resend (duplicate batch).
    result = central.execute_sql("SELECT sync_push(%s, %s, %s, %s, %s)",
                                 (config.school_id, sid, ep, config.station_kind, body)).fetchone()[0]
    return result if isinstance(result, dict) else json.loads(result)


ACKED_KEY = "sync_acked"  # "epoch:seq" of the last row central acknowledged


def _requeue_what_central_lost(central, config: SyncConfig, sid: str) -> None:
    """Central restored from a backup older than our last acknowledgement: send those rows again."""
    acked = local.value(ACKED_KEY)
    if not acked:
        return
    acked_epoch, acked_seq = (int(part) for part in acked.split(":"))
    if acked_epoch != local.epoch():
        return
    row = central.execute_sql("SELECT last_seq FROM batch WHERE school_id = %s AND station_id = %s AND epoch = %s",
                              (config.school_id, sid, acked_epoch)).fetchone()
    held = row[0] if row else 0
    if held >= acked_seq:
        return
    log.warning("sync: central holds our rows only up to %s of %s; sending the rest again", held, acked_seq)
    with local.write_transaction():
        database_proxy.execute_sql('UPDATE "outbox" SET "acked_at" = NULL WHERE "seq" > ? AND "acked_at" IS NOT NULL', (held,))
        database_proxy.execute_sql('DELETE FROM "sync_dead_letter" WHERE "epoch" = ? AND "outbox_seq" > ?', (acked_epoch, held))
        local.set_value(ACKED_KEY, f"{acked_epoch}:{held}")


def send_batch(central, config: SyncConfig, sid: str, ep: int, rows: list[OutRow], suspects: list[bool]):
    """Send one stamped batch; returns central's answer and the rows found unreadable here."""
    import peewee

    body, poisoned = outbox.batch_json(rows, suspects, valid_only=False)
    try:
        return call_push(central, config, sid, ep, body), poisoned
    except peewee.DataError as error:
        # A payload is not valid JSON (22P02 and friends): send the rest, dead-letter the poisoned rows.
        log.warning("sync: batch refused (%s); checking each payload", str(error).splitlines()[0])
        body, poisoned = outbox.batch_json(rows, suspects, valid_only=True)
        return call_push(central, config, sid, ep, body), poisoned


def ack(rows: list[OutRow], dead: dict[int, str], sid: str, ep: int, school_id: str,
         pulled: set[str] | None = None) -> None:
    """Mark a batch acknowledged, remember its dead letters and our own row versions (only for tables this
    station pulls: versions serve the pull's last-writer-wins and checksum): one local transaction."""
    now = clock.now()
    now_text = now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    cursor = database_proxy.cursor
    with local.write_transaction():
        database_proxy.execute_sql(
            'UPDATE "outbox" SET "acked_at" = ? WHERE "seq" BETWEEN ? AND ? AND "acked_at" IS NULL',
            (now_text, rows[0].seq, rows[-1].seq))
        if dead:
            cursor().executemany(
                'INSERT OR IGNORE INTO "sync_dead_letter" ("school_id", "outbox_seq", "epoch", "table_name", "row_id", '
                '"reason", "payload", "at") VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
                [(school_id, row.seq, ep, row.table or "", row.row_id or "", dead[row.seq][:500], row.payload or "", now_text)
                 for row in rows if row.seq in dead])
        cursor().executemany(
            'INSERT INTO "sync_row_version" ("table_name", "row_id", "hlc", "station_id") VALUES (?, ?, ?, ?) '
            'ON CONFLICT ("table_name", "row_id") DO UPDATE SET "hlc" = excluded."hlc", "station_id" = excluded."station_id" '
            'WHERE (excluded."hlc", excluded."station_id") > ("sync_row_version"."hlc", "sync_row_version"."station_id")',
            [(row.table, row.row_id, row.hlc, sid) for row in rows
             if row.seq not in dead and (pulled is None or row.table in pulled)])
        local.set_value(local.LAST_PUSH_KEY, now_text)
        local.set_value(ACKED_KEY, f"{ep}:{rows[-1].seq}")


@dataclass
class _Batch:
    rows: list[OutRow]
    suspects: list[bool]


def _prepare(after_seq: int, end: int, batch_size: int) -> _Batch | None:
    """The next batch after `after_seq`, stamped (stamps are saved before the batch is first sent)."""
    rows = outbox.next_batch(batch_size, after_seq=after_seq)
    if not rows or rows[0].seq > end:
        return None
    rows, suspects = outbox.stamp(rows)
    return _Batch(rows, suspects)


def push(central, config: SyncConfig, *, max_batches: int | None = None) -> PushResult:
    """Push every pending row (rows written meanwhile too, up to the queue's end when we started).

    One batch is at central at a time; while central works on it, this thread acknowledges the batch before
    and stamps the one after, so the station's own work (a third of a push) overlaps central's. A batch is
    sent only after the answer to the one before, so central's order and the resend rules are unchanged; an
    acknowledgement still pending when something fails is written before the error goes up."""
    result = PushResult()
    sid = local.station_id()
    end = database_proxy.execute_sql('SELECT coalesce(max("seq"), 0) FROM "outbox"').fetchone()[0]
    _requeue_what_central_lost(central, config, sid)
    restore.notice_older_copy(central, config, sid, end)
    restore.check_audit_head(central, config, sid)
    pulled = set(local.streams_for(config))
    if local.pending_count():
        local.measure_clock_offset(central)
    shared = BatchSender(central)
    pending_ack: tuple[list[OutRow], dict[int, str], int] | None = None
    in_flight = None
    try:
        batch = _prepare(0, end, config.batch_size) if max_batches != 0 else None
        while batch is not None:
            ep = local.epoch()
            in_flight = shared.submit(send_batch, shared, config, sid, ep, batch.rows, batch.suspects)
            if pending_ack is not None:
                rows, dead, acked_epoch = pending_ack
                ack(rows, dead, sid, acked_epoch, config.school_id, pulled)
                pending_ack = None
            more = max_batches is None or result.batches + 1 < max_batches
            following = _prepare(batch.rows[-1].seq, end, config.batch_size) if more else None
            answer, poisoned = in_flight.result()
            in_flight = None
            result.sent += len(batch.rows)
            status = answer.get("status")
            if status == "epoch_conflict":
                # Restored from an old copy or cloned: central already holds other rows under our seqs.
                log.warning("sync: central holds other rows for our outbox seqs; moving to epoch %s", answer["next_epoch"])
                with local.write_transaction():
                    # the next pull takes back our own rows this copy lacks
                    restore.mark_restored("epoch_conflict",
                                          restore.last_entry_before_restore(central, config, sid, ep, batch.rows))
                    local.set_value(local.EPOCH_KEY, str(int(answer["next_epoch"])))
                result.epoch_bumps += 1
                if result.epoch_bumps > 5:
                    raise SyncError("central keeps refusing our epoch")
                batch = _prepare(0, end, config.batch_size)  # the same rows again, under the new epoch
                continue
            if status not in ("ok", "duplicate"):
                raise SyncError(f"unexpected answer from central: {answer}")
            dead = {int(item["seq"]): str(item["reason"]) for item in answer.get("dead", [])}
            for row, reason in poisoned:
                dead[row.seq] = reason
            pending_ack = (batch.rows, dead, ep)
            if "now_ms" in answer:
                local.set_value(hlc.OFFSET_KEY, str(int(answer["now_ms"]) - hlc.to_ms(clock.now())))
            result.batches += 1
            result.accepted += int(answer.get("accepted", 0))
            result.duplicates += status == "duplicate"
            result.dead += len(dead)
            result.conflicts += int(answer.get("conflicts", 0))
            batch = following
    finally:
        if in_flight is not None and not in_flight.done():
            shared.abort(in_flight)  # leaving while central works on a batch: never wait on a stalled one
        if pending_ack is not None:  # central holds this batch: remember that, whatever happens next
            rows, dead, acked_epoch = pending_ack
            ack(rows, dead, sid, acked_epoch, config.school_id, pulled)
    return result
