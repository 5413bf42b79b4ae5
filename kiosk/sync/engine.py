"""One station's push and pull against the shared PostgreSQL.

Works on whatever station database is bound to `kiosk.models.database_proxy` (the caller's thread
has its own SQLite connection) and a peewee PostgresqlDatabase from `connect(config)` (with the time limits).

Push: the oldest unacknowledged outbox rows (never splitting one local transaction) get their HLC
stamp saved locally first, go to central's `sync_push` in one call (one transaction there), and are
marked acknowledged only after central answered. A lost answer means a harmless resend.
Pull: per stream (a table name) a cursor on server_seq; each page is applied in one local transaction
together with its cursor; after catching up, count + checksum are compared with central and a
mismatch triggers a full refetch applied in one transaction.
Pull runs only after a complete push: a row's HLC stamp is fixed at push time from the wall time it was
written, and this order guarantees no remote stamp received after the write can inflate it.
"""
from __future__ import annotations

import fnmatch
import functools
import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from kiosk import clock
from kiosk.models import database_proxy
from kiosk.sync import hlc, restore, validation
from kiosk.sync.limits import Limits

log = logging.getLogger(__name__)

ROSTER = ("school", "building", "room", "student", "staff", "station_info")  # the core tables every station pulls


def pull_patterns(station_kind: str) -> tuple[str, ...]:
    """What a station kind pulls (fnmatch patterns over table names): the core tables, then what each feature's
    manifest declares for that kind (kiosk.features.Feature.pulls; the office pulls everything)."""
    from kiosk import features

    return ROSTER + features.pulled_tables(station_kind)


# Station-local tables: never pushed, never pulled.
LOCAL_TABLES = {"audit_entry", "local_state", "outbox", "login_state", "migration_history",
                "sync_cursor", "sync_row_version", "sync_dead_letter", "sync_conflict"}
CONFLICT_STREAM = "@conflict"

EPOCH_KEY = "epoch"
SERVER_EPOCH_KEY = "sync_server_epoch"
LAST_PUSH_KEY = "sync_last_push"
LAST_PULL_KEY = "sync_last_pull"
LAST_CREATED_KEY = "sync_last_created_ms"
class SyncError(Exception):
    """Central cannot be reached or refused the request; the caller retries later."""


@dataclass(frozen=True)
class SyncConfig:
    school_id: str
    station_kind: str
    central_url: str
    batch_size: int = 1000
    page_size: int = 5000
    pull_tables: tuple[str, ...] = ()  # override pull_patterns() for this station
    limits: Limits = Limits()

    @classmethod
    def from_settings(cls, settings) -> "SyncConfig":
        return cls(school_id=settings.school.id, station_kind=settings.station.kind,
                   central_url=settings.sync.central_url, batch_size=settings.sync.batch_size,
                   page_size=settings.sync.page_size, pull_tables=tuple(settings.sync.pull_tables),
                   limits=Limits.from_settings(settings.sync))


def connect(config: SyncConfig):
    """The station's connection to central, with its time limits (peewee reconnects with the same ones)."""
    from kiosk.sync import central

    return central.connect(config.central_url, **config.limits.connect_params())


@dataclass
class PushResult:
    batches: int = 0
    sent: int = 0
    accepted: int = 0
    duplicates: int = 0  # batches central had already applied
    dead: int = 0
    conflicts: int = 0
    epoch_bumps: int = 0


@dataclass
class PullResult:
    applied: int = 0
    skipped: int = 0  # older than what we hold, or a local edit is still pending
    pages: int = 0
    refetched: list[str] = field(default_factory=list)
    failed: int = 0
    central_reset: bool = False


# ----------------------------------------------------------------------------------------------- local state

def _local(key: str, default: str | None = None) -> str | None:
    from kiosk.db import local_value

    return local_value(key, default)


def _set_local(key: str, value: str) -> None:
    from kiosk.db import set_local_value

    set_local_value(key, value)


def station_id() -> str:
    from kiosk.db import ensure_station_identity

    return ensure_station_identity()


def epoch() -> int:
    return int(_local(EPOCH_KEY, "1") or 1)


def write_transaction():
    """A local write transaction that takes the write lock up front (IMMEDIATE): in WAL mode a transaction
    that read first and writes later fails at once if a UI write committed meanwhile, while an IMMEDIATE
    one waits its turn (busy_timeout), like kiosk.services.facts.record does."""
    if database_proxy.transaction_depth() == 0:
        return database_proxy.atomic("IMMEDIATE")
    return database_proxy.atomic()


def pending_count() -> int:
    return database_proxy.execute_sql('SELECT count(*) FROM "outbox" WHERE "acked_at" IS NULL').fetchone()[0]


def synced_tables() -> list[str]:
    """Every local table that can hold synced rows: the model registry's (core first), then any other
    table the station's migrations created (generic: no table is named here)."""
    from kiosk.models import all_models

    names: list[str] = []
    for model in all_models():
        name = model._meta.table_name
        if name not in LOCAL_TABLES and name not in names:
            names.append(name)
    present = set(database_proxy.get_tables())
    extra = sorted(present - set(names) - LOCAL_TABLES)
    return [name for name in names if name in present] + [name for name in extra if not name.startswith("sqlite_")]


def streams_for(config: SyncConfig) -> list[str]:
    patterns = config.pull_tables or pull_patterns(config.station_kind)
    return [name for name in synced_tables() if any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)]


# ----------------------------------------------------------------------------------------------- push

@dataclass(frozen=True)
class _OutRow:
    seq: int
    txn: int | None
    table: str
    row_id: str
    op: str
    payload: str
    created_at: str
    hlc: int | None


_OUT_COLUMNS = 'SELECT "seq", "txn", "table_name", "row_id", "op", "payload", "created_at", "hlc" FROM "outbox" '


def measure_clock_offset(central) -> int:
    """Central's clock minus ours (ms), remembered for the clock warning and the clock_suspect flag."""
    server_ms = central.execute_sql("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint").fetchone()[0]
    offset = int(server_ms) - hlc.to_ms(clock.now())
    with write_transaction():
        _set_local(hlc.OFFSET_KEY, str(offset))
    return offset


def next_batch(limit: int) -> list[_OutRow]:
    """The oldest pending rows, at most `limit`, cut at a transaction boundary (a bigger transaction goes whole)."""
    rows = [_OutRow(*row) for row in database_proxy.execute_sql(
        _OUT_COLUMNS + 'WHERE "acked_at" IS NULL ORDER BY "seq" LIMIT ?', (limit + 1,))]
    if len(rows) <= limit:
        return rows

    def txn_of(row: _OutRow) -> int:
        return row.txn if row.txn is not None else -row.seq

    last = txn_of(rows[limit])
    cut = limit
    while cut > 0 and txn_of(rows[cut - 1]) == last:
        cut -= 1
    if cut > 0:
        return rows[:cut]
    # One transaction larger than a batch: send it whole rather than split it.
    return [_OutRow(*row) for row in database_proxy.execute_sql(
        _OUT_COLUMNS + 'WHERE "acked_at" IS NULL AND "txn" = ? ORDER BY "seq"', (last,))]


@functools.lru_cache(maxsize=4096)
def _created_ms(text: str) -> int:
    """Milliseconds of an outbox created_at (rows of one transaction share it, hence the cache)."""
    return hlc.to_ms(datetime.fromisoformat(text))


def _stamp(rows: list[_OutRow]) -> tuple[list[_OutRow], list[bool]]:
    """Give unstamped rows their HLC stamp (saved before sending, so a resend carries the same one)."""
    offset = hlc.Clock.server_offset_ms()
    suspects: list[bool] = []
    stamped: list[_OutRow] = []
    updates: list[tuple[int, int]] = []
    with write_transaction():
        last = hlc.Clock.last()
        previous_created = int(_local(LAST_CREATED_KEY, "0") or 0)
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
                row = _OutRow(row.seq, row.txn, row.table, row.row_id, row.op, row.payload, row.created_at, last)
            stamped.append(row)
        if updates:
            database_proxy.cursor().executemany('UPDATE "outbox" SET "hlc" = ? WHERE "seq" = ?', updates)
            hlc.Clock.save(last)
        _set_local(LAST_CREATED_KEY, str(previous_created))
    return stamped, suspects


def _batch_json(rows: list[_OutRow], suspects: list[bool], valid_only: bool) -> tuple[str, list[tuple[_OutRow, str]]]:
    """The batch as JSON; payloads are embedded as stored (already JSON). With valid_only, unreadable
    payloads are left out and returned as poisoned rows instead."""
    parts: list[str] = []
    poisoned: list[tuple[_OutRow, str]] = []
    for row, suspect in zip(rows, suspects):
        payload = row.payload
        if valid_only:
            try:
                if not isinstance(json.loads(payload), dict):
                    raise ValueError("not an object")
            except (ValueError, TypeError) as error:
                # Sent as a stand-in in the same batch, so central dead-letters it under its own seq.
                log.warning("sync: outbox row %s holds an unreadable payload: %s", row.seq, error)
                poisoned.append((row, "unreadable"))
                row = _OutRow(row.seq, row.txn, row.table, row.row_id, "unreadable", row.payload, row.created_at, row.hlc)
                payload = "null"
        parts.append('{"seq":%d,"txn":%s,"t":%s,"id":%s,"op":%s,"h":%d,"cs":%s,"p":%s}' % (
            row.seq, "null" if row.txn is None else int(row.txn), json.dumps(row.table), json.dumps(row.row_id),
            json.dumps(row.op), row.hlc, "true" if suspect else "false", payload))
    return "[" + ",".join(parts) + "]", poisoned


def _call_push(central, config: SyncConfig, sid: str, ep: int, body: str) -> dict:
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
    acked = _local(ACKED_KEY)
    if not acked:
        return
    acked_epoch, acked_seq = (int(part) for part in acked.split(":"))
    if acked_epoch != epoch():
        return
    row = central.execute_sql("SELECT last_seq FROM batch WHERE school_id = %s AND station_id = %s AND epoch = %s",
                              (config.school_id, sid, acked_epoch)).fetchone()
    held = row[0] if row else 0
    if held >= acked_seq:
        return
    log.warning("sync: central holds our rows only up to %s of %s; sending the rest again", held, acked_seq)
    with write_transaction():
        database_proxy.execute_sql('UPDATE "outbox" SET "acked_at" = NULL WHERE "seq" > ? AND "acked_at" IS NOT NULL', (held,))
        database_proxy.execute_sql('DELETE FROM "sync_dead_letter" WHERE "epoch" = ? AND "outbox_seq" > ?', (acked_epoch, held))
        _set_local(ACKED_KEY, f"{acked_epoch}:{held}")


def send_batch(central, config: SyncConfig, sid: str, ep: int, rows: list[_OutRow], suspects: list[bool]):
    """Send one stamped batch; returns central's answer and the rows found unreadable here."""
    import peewee

    body, poisoned = _batch_json(rows, suspects, valid_only=False)
    try:
        return _call_push(central, config, sid, ep, body), poisoned
    except peewee.DataError as error:
        # A payload is not valid JSON (22P02 and friends): send the rest, dead-letter the poisoned rows.
        log.warning("sync: batch refused (%s); checking each payload", str(error).splitlines()[0])
        body, poisoned = _batch_json(rows, suspects, valid_only=True)
        return _call_push(central, config, sid, ep, body), poisoned


def _ack(rows: list[_OutRow], dead: dict[int, str], sid: str, ep: int, school_id: str,
         pulled: set[str] | None = None) -> None:
    """Mark a batch acknowledged, remember its dead letters and our own row versions (only for tables this
    station pulls: versions serve the pull's last-writer-wins and checksum): one local transaction."""
    now = clock.now()
    now_text = now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    cursor = database_proxy.cursor
    with write_transaction():
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
        _set_local(LAST_PUSH_KEY, now_text)
        _set_local(ACKED_KEY, f"{ep}:{rows[-1].seq}")


def push(central, config: SyncConfig, *, max_batches: int | None = None) -> PushResult:
    """Push every pending row (rows written meanwhile too, up to the queue's end when we started)."""
    result = PushResult()
    sid = station_id()
    end = database_proxy.execute_sql('SELECT coalesce(max("seq"), 0) FROM "outbox"').fetchone()[0]
    _requeue_what_central_lost(central, config, sid)
    restore.notice_older_copy(central, config, sid, end)
    pulled = set(streams_for(config))
    if pending_count():
        measure_clock_offset(central)
    while max_batches is None or result.batches < max_batches:
        rows = next_batch(config.batch_size)
        if not rows or rows[0].seq > end:
            break
        rows, suspects = _stamp(rows)
        ep = epoch()
        answer, poisoned = send_batch(central, config, sid, ep, rows, suspects)
        result.sent += len(rows)
        status = answer.get("status")
        if status == "epoch_conflict":
            # Restored from an old copy or cloned: central already holds other rows under our seqs.
            log.warning("sync: central holds other rows for our outbox seqs; moving to epoch %s", answer["next_epoch"])
            with write_transaction():
                # the next pull takes back our own rows this copy lacks
                restore.mark_restored("epoch_conflict", restore.last_entry_before_restore(central, config, sid, ep, rows))
                _set_local(EPOCH_KEY, str(int(answer["next_epoch"])))
            result.epoch_bumps += 1
            if result.epoch_bumps > 5:
                raise SyncError("central keeps refusing our epoch")
            continue
        if status not in ("ok", "duplicate"):
            raise SyncError(f"unexpected answer from central: {answer}")
        dead = {int(item["seq"]): str(item["reason"]) for item in answer.get("dead", [])}
        for row, reason in poisoned:
            dead[row.seq] = reason
        _ack(rows, dead, sid, ep, config.school_id, pulled)
        if "now_ms" in answer:
            _set_local(hlc.OFFSET_KEY, str(int(answer["now_ms"]) - hlc.to_ms(clock.now())))
        result.batches += 1
        result.accepted += int(answer.get("accepted", 0))
        result.duplicates += status == "duplicate"
        result.dead += len(dead)
        result.conflicts += int(answer.get("conflicts", 0))
    return result


# ----------------------------------------------------------------------------------------------- pull

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


def _apply(stream: str, rows: list[tuple], *, force: bool, result: PullResult, cursor_to: int | None) -> None:
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
    from kiosk.sync import policy

    entry = policy.syncable().get(stream)
    return validation.columns_of(entry[0]) if entry else None


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
    known = _local(SERVER_EPOCH_KEY)
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
        _set_local(SERVER_EPOCH_KEY, server_epoch)


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
    measure_clock_offset(central)
    _check_central_epoch(central, config, result)
    streams = streams_for(config)
    with write_transaction():
        for stream in [*streams, CONFLICT_STREAM]:
            _ensure_cursor(stream, config.school_id)
    if _local(restore.RECOVER_KEY):
        restore.recover_own_rows(central, config, [name for name in synced_tables() if name not in streams], result)
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
    _set_local(LAST_PULL_KEY, clock.now().astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    return result


def _pull_stream(central, config: SyncConfig, stream: str, result: PullResult, verify: bool) -> None:
    while True:
        after = cursor_of(stream)
        rows = _fetch(central, config, stream, after, config.page_size)
        if not rows:
            break
        _apply(stream, rows, force=False, result=result, cursor_to=rows[-1][0])
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
        _apply(stream, shadow, force=True, result=result, cursor_to=shadow[-1][0] if shadow else 0)
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


# ----------------------------------------------------------------------------------------------- one round

@dataclass(frozen=True)
class RoundResult:
    push: PushResult
    pull: PullResult | None
    seconds: float


def sync_once(central, config: SyncConfig, *, pull_after: bool = True) -> RoundResult:
    """Push everything pending, then pull (only after a complete push; see the module notes).
    A lost connection closes it (the next round reconnects) and raises SyncError."""
    import peewee

    started = time.perf_counter()
    try:
        pushed = push(central, config)
        pulled = pull(central, config) if pull_after else None
    except (peewee.OperationalError, peewee.InterfaceError) as error:
        _drop_connection(central)
        raise SyncError(f"central unreachable: {str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__}") from error
    except peewee.ProgrammingError as error:
        if getattr(error.__context__, "pgcode", None) != "42501":  # peewee re-raises psycopg2's error as its own
            raise
        # Central refused this station (not bound yet, bound to another id, removed): a person must act.
        raise SyncError(f"central refused this station: {str(error).strip().splitlines()[0]}") from error
    return RoundResult(pushed, pulled, time.perf_counter() - started)


def _drop_connection(central) -> None:
    try:
        central.close()
    except Exception:  # a dead connection may fail to close; it is gone either way
        pass
