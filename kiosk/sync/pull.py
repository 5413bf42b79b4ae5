"""Pull: per stream (a table name) a cursor on server_seq; each page is applied in one local transaction
together with its cursor; after catching up, count + checksum are compared with central and a mismatch
triggers a full refetch applied in one transaction. Pull runs only after a complete push (kiosk.sync.engine).
"""
from __future__ import annotations

import hashlib
import logging
from datetime import timezone

from kiosk import clock
from kiosk.models import database_proxy
from kiosk.sync import local, restore
from kiosk.sync.apply import PullResult, apply_rows
from kiosk.sync.local import CONFLICT_STREAM, LAST_PULL_KEY, SERVER_EPOCH_KEY, SyncConfig, write_transaction

log = logging.getLogger(__name__)


def row_digest(row_id: str, stamp: int) -> int:
    """The per-row term of a stream checksum; central computes the same in SQL (see _CENTRAL_DIGEST)."""
    return int(hashlib.md5(f"{row_id}:{stamp}".encode()).hexdigest()[:15], 16)


_CENTRAL_DIGEST = (
    "SELECT count(*), coalesce(sum(('x' || substr(md5(row_id || ':' || hlc::text), 1, 15))::bit(60)::bigint), 0)::text, "
    "coalesce(max(server_seq), 0) FROM row_state WHERE school_id = %s AND table_name = %s")


def local_digest(stream: str) -> tuple[int, str]:
    count, total = 0, 0
    for row_id, stamp in database_proxy.execute_sql(
            'SELECT "row_id", "hlc" FROM "sync_row_version" WHERE "table_name" = ?', (stream,)):
        count += 1
        total += row_digest(row_id, stamp)
    return count, str(total)


def cursor_of(stream: str) -> int:
    row = database_proxy.execute_sql('SELECT "server_seq" FROM "sync_cursor" WHERE "stream" = ?', (stream,)).fetchone()
    return row[0] if row else 0


def _set_verified(stream: str, count: int | None, checksum: str | None, converged: bool, refetched: bool = False) -> None:
    database_proxy.execute_sql(
        'UPDATE "sync_cursor" SET "verified_count" = ?, "verified_checksum" = ?, "converged" = ?, '
        '"refetches" = "refetches" + ? WHERE "stream" = ?', (count, checksum, int(converged), int(refetched), stream))


def _ensure_cursor(stream: str, school_id: str) -> None:
    database_proxy.execute_sql(
        'INSERT OR IGNORE INTO "sync_cursor" ("stream", "school_id", "server_seq", "converged", "refetches") VALUES (?, ?, 0, 0, 0)',
        (stream, school_id))


def _check_central_epoch(central, config: SyncConfig, result: PullResult) -> None:
    """A re-created or restored central (new epoch, or a counter behind our cursors): start the streams over and
    push everything we hold again (central keeps only what it has; our copy fills the gap)."""
    server_epoch = central.execute_sql("SELECT value FROM sync_meta WHERE key = 'server_epoch'").fetchone()
    server_epoch = server_epoch[0] if server_epoch else ""
    counter = central.execute_sql("SELECT server_seq FROM school_counter WHERE school_id = %s", (config.school_id,)).fetchone()
    counter = counter[0] if counter else 0
    known = local.value(SERVER_EPOCH_KEY)
    highest = database_proxy.execute_sql(
        'SELECT coalesce(max("server_seq"), 0) FROM "sync_cursor" WHERE "school_id" = ?', (config.school_id,)).fetchone()[0]
    if known == server_epoch and highest <= counter:
        return
    with write_transaction():
        if known is not None or highest > counter:
            log.warning("sync: central was re-created or restored; refetching and pushing our rows again")
            result.central_reset = True
            database_proxy.execute_sql('UPDATE "sync_cursor" SET "server_seq" = 0, "converged" = 0')
            database_proxy.execute_sql('DELETE FROM "sync_row_version"')
            database_proxy.execute_sql('UPDATE "outbox" SET "acked_at" = NULL')
        local.set_value(SERVER_EPOCH_KEY, server_epoch)


def _fetch(central, config: SyncConfig, stream: str, after: int, limit: int) -> list[tuple]:
    if stream == CONFLICT_STREAM:
        return list(central.execute_sql(
            "SELECT server_seq, id, kind, table_name, row_id, station_id, other_station_id, detail::text, "
            "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
            "FROM conflict WHERE school_id = %s AND server_seq > %s ORDER BY server_seq LIMIT %s",
            (config.school_id, after, limit)))
    # through central's station_rows(): a station role may not read payloads directly (staff PIN verifiers
    # are masked for staff who may not log in at this kind)
    return list(central.execute_sql("SELECT * FROM station_rows(%s, %s, %s, %s)", (config.school_id, stream, after, limit)))


def _apply_conflicts(rows: list[tuple], school_id: str) -> None:
    with write_transaction():
        database_proxy.cursor().executemany(
            'INSERT OR IGNORE INTO "sync_conflict" ("id", "school_id", "server_seq", "kind", "table_name", "row_id", '
            '"station_id", "other_station_id", "detail", "at") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
            [(r[1], school_id, r[0], r[2], r[3], r[4], r[5], r[6], r[7], r[8]) for r in rows])
        database_proxy.execute_sql(
            'UPDATE "sync_cursor" SET "server_seq" = max("server_seq", ?), "converged" = 1 WHERE "stream" = ?',
            (rows[-1][0], CONFLICT_STREAM))


def pull(central, config: SyncConfig, *, verify: bool = True) -> PullResult:
    """Bring every subscribed stream up to date (and the conflicts a person must review)."""
    result = PullResult()
    local.measure_clock_offset(central)
    _check_central_epoch(central, config, result)
    streams = local.streams_for(config)
    with write_transaction():
        for stream in [*streams, CONFLICT_STREAM]:
            _ensure_cursor(stream, config.school_id)
    if local.value(restore.RECOVER_KEY):
        restore.recover_own_rows(central, config, [name for name in local.synced_tables() if name not in streams], result)
    # Pulled rows arrive in commit order per table, not across tables: references are checked at the
    # office where rows are written; a station applies central's truth without local FK checks.
    database_proxy.execute_sql("PRAGMA foreign_keys = OFF")
    try:
        for stream in streams:
            _pull_stream(central, config, stream, result, verify)
        while True:
            rows = _fetch(central, config, CONFLICT_STREAM, cursor_of(CONFLICT_STREAM), config.page_size)
            if not rows:
                break
            _apply_conflicts(rows, config.school_id)
            if len(rows) < config.page_size:
                break
        database_proxy.execute_sql('UPDATE "sync_cursor" SET "converged" = 1 WHERE "stream" = ?', (CONFLICT_STREAM,))
    finally:
        database_proxy.execute_sql("PRAGMA foreign_keys = ON")
    local.set_value(LAST_PULL_KEY, clock.now().astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    return result


def _pull_stream(central, config: SyncConfig, stream: str, result: PullResult, verify: bool) -> None:
    while True:
        after = cursor_of(stream)
        rows = _fetch(central, config, stream, after, config.page_size)
        if not rows:
            break
        apply_rows(stream, rows, force=False, result=result, cursor_to=rows[-1][0])
        result.pages += 1
        if len(rows) < config.page_size:
            break
    if not verify:
        return
    count, checksum, top = central.execute_sql(_CENTRAL_DIGEST, (config.school_id, stream)).fetchone()
    if top > cursor_of(stream):
        _set_verified(stream, None, None, False)  # central moved on meanwhile; next round compares
        return
    mine = local_digest(stream)
    if mine == (count, checksum):
        _set_verified(stream, count, checksum, True)
        return
    refused = database_proxy.execute_sql(
        'SELECT count(*) FROM "sync_dead_letter" WHERE "epoch" = 0 AND "table_name" = ?', (stream,)).fetchone()[0]
    if refused and count - mine[0] == refused:
        # Explained by rows this station could not hold (listed on the admin screen): a refetch would only
        # fail the same way. Not converged until a person resolves them.
        _set_verified(stream, mine[0], mine[1], False)
        return
    log.warning("sync: stream %s differs from central (%s rows here, %s there); refetching", stream, mine[0], count)
    _refetch(central, config, stream, result)


def _refetch(central, config: SyncConfig, stream: str, result: PullResult) -> None:
    """Fetch the whole stream (the shadow copy, in memory), then apply it in ONE transaction, so the
    station never shows half a roster; versions are rebuilt from central's."""
    shadow: list[tuple] = []
    after = 0
    while True:
        rows = _fetch(central, config, stream, after, config.page_size)
        shadow.extend(rows)
        if len(rows) < config.page_size:
            break
        after = rows[-1][0]
    with write_transaction():
        database_proxy.execute_sql('DELETE FROM "sync_row_version" WHERE "table_name" = ?', (stream,))
        apply_rows(stream, shadow, force=True, result=result, cursor_to=shadow[-1][0] if shadow else 0)
        # Our own acknowledged rows that central does not hold would be lost silently: push them again.
        held = {row[1] for row in shadow}
        missing = [row[0] for row in database_proxy.execute_sql(
            'SELECT "seq", "row_id" FROM "outbox" WHERE "table_name" = ? AND "acked_at" IS NOT NULL', (stream,))
            if row[1] not in held and not _is_dead(row[0])]
        if missing:
            database_proxy.cursor().executemany('UPDATE "outbox" SET "acked_at" = NULL WHERE "seq" = ?', [(s,) for s in missing])
    count, checksum = local_digest(stream)
    _set_verified(stream, count, checksum, not missing, refetched=True)
    result.refetched.append(stream)


def _is_dead(seq: int) -> bool:
    return database_proxy.execute_sql('SELECT 1 FROM "sync_dead_letter" WHERE "outbox_seq" = ? AND "epoch" > 0', (seq,)).fetchone() is not None

