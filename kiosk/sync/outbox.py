"""The station's outbox as sync reads it: the oldest pending rows cut at a transaction boundary, their HLC
stamps (saved before a batch is first sent, so a resend carries the same ones) and the batch's JSON text."""
from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from datetime import datetime

from kiosk.models import database_proxy
from kiosk.sync import hlc, local

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutRow:
    seq: int
    txn: int | None
    table: str
    row_id: str
    op: str
    payload: str
    created_at: str
    hlc: int | None


OUT_COLUMNS = 'SELECT "seq", "txn", "table_name", "row_id", "op", "payload", "created_at", "hlc" FROM "outbox" '


def next_batch(limit: int, after_seq: int = 0) -> list[OutRow]:
    """The oldest pending rows after `after_seq` (a batch still at central), at most `limit`, cut at a
    transaction boundary (a bigger transaction goes whole)."""
    rows = [OutRow(*row) for row in database_proxy.execute_sql(
        OUT_COLUMNS + 'WHERE "acked_at" IS NULL AND "seq" > ? ORDER BY "seq" LIMIT ?', (after_seq, limit + 1))]
    if len(rows) <= limit:
        return rows

    def txn_of(row: OutRow) -> int:
        return row.txn if row.txn is not None else -row.seq

    last = txn_of(rows[limit])
    cut = limit
    while cut > 0 and txn_of(rows[cut - 1]) == last:
        cut -= 1
    if cut > 0:
        return rows[:cut]
    # One transaction larger than a batch: send it whole rather than split it.
    return [OutRow(*row) for row in database_proxy.execute_sql(
        OUT_COLUMNS + 'WHERE "acked_at" IS NULL AND "seq" > ? AND "txn" = ? ORDER BY "seq"', (after_seq, last))]


@functools.lru_cache(maxsize=4096)
def _created_ms(text: str) -> int:
    """Milliseconds of an outbox created_at (rows of one transaction share it, hence the cache)."""
    return hlc.to_ms(datetime.fromisoformat(text))


def stamp(rows: list[OutRow]) -> tuple[list[OutRow], list[bool]]:
    """Give unstamped rows their HLC stamp (saved before sending, so a resend carries the same one)."""
    offset = hlc.Clock.server_offset_ms()
    suspects: list[bool] = []
    stamped: list[OutRow] = []
    updates: list[tuple[int, int]] = []
    with local.write_transaction():
        last = hlc.Clock.last()
        previous_created = int(local.value(local.LAST_CREATED_KEY, "0") or 0)
        for row in rows:
            created = _created_ms(row.created_at)
            suspect = (created < hlc.to_ms(hlc.EARLIEST_PLAUSIBLE)
                       or (previous_created and created < previous_created - hlc.SUSPECT_MS)
                       or (offset is not None and abs(offset) > hlc.SUSPECT_MS))
            suspects.append(bool(suspect))
            previous_created = max(previous_created, created)
            if row.hlc is None:
                last = hlc.advance(last, created)
                updates.append((last, row.seq))
                row = OutRow(row.seq, row.txn, row.table, row.row_id, row.op, row.payload, row.created_at, last)
            stamped.append(row)
        if updates:
            database_proxy.cursor().executemany('UPDATE "outbox" SET "hlc" = ? WHERE "seq" = ?', updates)
            hlc.Clock.save(last)
        local.set_value(local.LAST_CREATED_KEY, str(previous_created))
    return stamped, suspects


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _why_jsonb_refuses(text: str) -> str | None:
    if "\x00" in text:
        return "NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "lone surrogate"
    return None


def jsonb_readable(payload: str) -> None:
    """Raise ValueError unless PostgreSQL's jsonb can hold `payload` as a row: JSON Python's parser reads may
    still hold NaN/Infinity, a NUL character or a lone surrogate, which jsonb (or UTF-8) refuses, and a batch
    resent with them would fail again on every retry."""
    value = json.loads(payload, parse_constant=_refuse_constant)
    if not isinstance(value, dict):
        raise ValueError("not an object")
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            problem = _why_jsonb_refuses(item)
            if problem:
                raise ValueError(problem)


def batch_json(rows: list[OutRow], suspects: list[bool], valid_only: bool) -> tuple[str, list[tuple[OutRow, str]]]:
    """The batch as JSON; payloads are embedded as stored (already JSON). With valid_only, payloads central
    cannot read (see jsonb_readable) are left out and returned as poisoned rows instead."""
    parts: list[str] = []
    poisoned: list[tuple[OutRow, str]] = []
    for row, suspect in zip(rows, suspects):
        payload = row.payload
        if valid_only:
            try:
                jsonb_readable(payload)
            except (ValueError, TypeError) as error:
                # Sent as a stand-in in the same batch, so central dead-letters it under its own seq.
                log.warning("sync: outbox row %s holds an unreadable payload: %s", row.seq, error)
                poisoned.append((row, "unreadable"))
                row = OutRow(row.seq, row.txn, row.table, row.row_id, "unreadable", row.payload, row.created_at, row.hlc)
                payload = "null"
        parts.append('{"seq":%d,"txn":%s,"t":%s,"id":%s,"op":%s,"h":%d,"cs":%s,"p":%s}' % (
            row.seq, "null" if row.txn is None else int(row.txn), json.dumps(row.table), json.dumps(row.row_id),
            json.dumps(row.op), row.hlc, "true" if suspect else "false", payload))
    return "[" + ",".join(parts) + "]", poisoned

