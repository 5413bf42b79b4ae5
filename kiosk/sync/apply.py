"""Applying rows pulled from central to the station's tables: checked as central checks a push, written by
primary key only when newer than the version held, never over a local edit still pending."""
from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass, field
from datetime import timezone

from kiosk import clock
from kiosk.models import database_proxy
from kiosk.sync import hlc, policy, validation
from kiosk.sync.local import write_transaction

log = logging.getLogger(__name__)


@dataclass
class PullResult:
    applied: int = 0
    skipped: int = 0  # older than what we hold, or a local edit is still pending
    pages: int = 0
    refetched: list[str] = field(default_factory=list)
    failed: int = 0
    central_reset: bool = False


def _table_info(table: str) -> tuple[list[str], str]:
    info = list(database_proxy.execute_sql(f'PRAGMA table_info("{table}")'))
    columns = [row[1] for row in info]
    pk = [row[1] for row in sorted(info, key=lambda r: r[5]) if row[5]]
    return columns, (pk[0] if len(pk) == 1 else "id")


def _upsert_sql(table: str, columns: list[str], pk: str) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c != pk) or f'"{pk}" = excluded."{pk}"'
    return f'INSERT INTO "{table}" ({names}) VALUES ({marks}) ON CONFLICT ("{pk}") DO UPDATE SET {updates}'


def _pending_ids(table: str) -> set[str]:
    return {row[0] for row in database_proxy.execute_sql(
        'SELECT "row_id" FROM "outbox" WHERE "acked_at" IS NULL AND "table_name" = ?', (table,))}


def apply_rows(stream: str, rows: list[tuple], *, force: bool, result: PullResult, cursor_to: int | None) -> None:
    """Apply pulled (server_seq, row_id, payload_text, hlc, station_id) rows and move the cursor, in one transaction.
    Rows are written straight into the table (no outbox row: pulled rows are not pushed again)."""
    columns, pk = _table_info(stream)
    known = set(columns)
    now_text = clock.now().astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with write_transaction():
        pending = _pending_ids(stream)
        versions: dict[str, tuple[int, str]] = {}
        ids = [row[1] for row in rows]
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" for _ in chunk)
            for row_id, stamp, sid in database_proxy.execute_sql(
                    f'SELECT "row_id", "hlc", "station_id" FROM "sync_row_version" WHERE "table_name" = ? AND "row_id" IN ({marks})',
                    [stream, *chunk]):
                versions[row_id] = (stamp, sid)
        winners: dict[str, tuple] = {}
        refused: list[tuple[int, str, str, str]] = []
        columns = _pull_columns(stream)
        now_ms = hlc.to_ms(clock.now()) + (hlc.Clock.server_offset_ms() or 0)  # central's clock, as best we know
        for row in rows:
            server_seq, row_id, payload_text, stamp, sid = row
            if row_id in pending:
                result.skipped += 1  # our own edit is on its way and will carry a later stamp
                continue
            mine = versions.get(row_id)
            if mine is not None and (mine == (stamp, sid) or (not force and mine > (stamp, sid))):
                result.skipped += 1
                continue
            # Checked as central checks a push: a row that slipped past it (an older central, a bug) must not
            # crash this station later, stall the stream or carry our clock to the end of time.
            payload = json.loads(payload_text) if isinstance(payload_text, str) else payload_text
            problem = (validation.stamp_problem(stamp, now_ms)
                       or (validation.payload_problem(columns, payload) if columns is not None else "unknown_table"))
            if problem:
                refused.append((server_seq, row_id, problem, payload_text if isinstance(payload_text, str) else json.dumps(payload)))
                continue
            winners[row_id] = (server_seq, row_id, payload, stamp, sid)
        for server_seq, row_id, problem, payload_text in refused:
            log.warning("sync: pulled %s row %s refused: %s", stream, row_id, problem)
            result.failed += 1
            database_proxy.execute_sql(
                'INSERT OR REPLACE INTO "sync_dead_letter" ("school_id", "outbox_seq", "epoch", "table_name", '
                '"row_id", "reason", "payload", "at") VALUES (?, ?, 0, ?, ?, ?, ?, ?)',
                ("", -server_seq, stream, row_id, problem, payload_text[:5000], now_text))
        groups: dict[tuple[str, ...], list[tuple]] = {}
        for server_seq, row_id, payload, stamp, sid in winners.values():
            cols = tuple(c for c in payload if c in known)
            groups.setdefault(cols, []).append((server_seq, row_id, tuple(payload[c] for c in cols)))
        for cols, items in groups.items():
            sql = _upsert_sql(stream, list(cols), pk)
            try:
                with write_transaction():
                    database_proxy.cursor().executemany(sql, [item[2] for item in items])
            except Exception as error:  # e.g. a unique key held locally by another row: row by row
                log.warning("sync: pulled rows of %s need one-by-one apply: %s", stream, error)
                for server_seq, row_id, value in items:
                    try:
                        with write_transaction():
                            database_proxy.execute_sql(sql, value)
                    except Exception as row_error:
                        # Kept as a local dead letter (epoch 0, seq = -server_seq) for the admin screen; the
                        # stream's checksum stays unequal, so the station does not claim convergence.
                        winners.pop(row_id, None)
                        result.failed += 1
                        database_proxy.execute_sql(
                            'INSERT OR REPLACE INTO "sync_dead_letter" ("school_id", "outbox_seq", "epoch", "table_name", '
                            '"row_id", "reason", "payload", "at") VALUES (?, ?, 0, ?, ?, ?, ?, ?)',
                            ("", -server_seq, stream, row_id, f"pull: {row_error}"[:500],
                             json.dumps(dict(zip(cols, value)), ensure_ascii=False), now_text))
        database_proxy.cursor().executemany(
            'INSERT OR REPLACE INTO "sync_row_version" ("table_name", "row_id", "hlc", "station_id") VALUES (?, ?, ?, ?)',
            [(stream, row[1], row[3], row[4]) for row in winners.values()])
        result.applied += len(winners)
        sane = [row[3] for row in rows if validation.stamp_problem(row[3], now_ms) is None]
        if sane:
            hlc.Clock.receive(max(sane), clock.now())
        if cursor_to is not None:
            # Cursors never go backwards (only a re-created central resets them, see _check_central_epoch).
            database_proxy.execute_sql(
                'UPDATE "sync_cursor" SET "server_seq" = max("server_seq", ?), "updated_at" = ? WHERE "stream" = ?',
                (cursor_to, now_text, stream))


@functools.lru_cache(maxsize=None)
def _pull_columns(stream: str):
    """The column rules of a pulled table (None: not a syncable table, so nothing pulled into it is trusted)."""
    entry = policy.syncable().get(stream)
    return validation.columns_of(entry[0]) if entry else None

