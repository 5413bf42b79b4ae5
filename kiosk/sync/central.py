"""The shared PostgreSQL: schema, the push function, station roles.

`kiosk central init --url postgresql://...` runs SCHEMA (idempotent: IF NOT EXISTS / OR REPLACE).
Tables (every key starts with school_id, so one server can hold a district):

- fact           append-only history: every row version a station pushed, keyed (school, station, epoch, seq)
- row_state      the current version of each (school, table, row) by last-writer-wins on (hlc, station_id);
                 pull streams read it by (school, table, server_seq)
- school_counter one row per school; the push function locks it, so server_seq follows commit order
- batch          per (school, station, epoch) the highest outbox seq received: a duplicate batch is a no-op
- dead_letter    rows refused, with the reason; conflict: policy conflicts for a person to review
- station        one row per station: its kind and its own database role (least privilege)
- write_policy   tables only some station kinds may write (roster, staff, slips, watchlist: office)

Stations never INSERT, UPDATE or DELETE a table: they call `sync_push(...)` (SECURITY DEFINER), which
checks the caller's role against `station`, and SELECT from row_state/conflict/school_counter/sync_meta.
"""
from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

from kiosk.sync import wake

# Tables only the office writes to the shared database (others are read-only for them).
OFFICE_ONLY_TABLES = (
    "school", "building", "room", "student", "staff",
    "pass_slip", "slip_approval", "slip_revocation", "slip_key", "slip_conflict_review", "watchlist_entry",
)

SCHEMA = r"""
CREATE TABLE IF NOT EXISTS sync_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS school_counter (school_id text PRIMARY KEY, server_seq bigint NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS station (
    name text PRIMARY KEY,
    school_id text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('gate', 'dorm', 'canteen', 'office')),
    role_name text NOT NULL UNIQUE,
    station_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    removed_at timestamptz
);
CREATE TABLE IF NOT EXISTS write_policy (table_name text PRIMARY KEY, writer_kinds text[] NOT NULL);
CREATE TABLE IF NOT EXISTS batch (
    school_id text NOT NULL, station_id text NOT NULL, epoch integer NOT NULL,
    last_seq bigint NOT NULL DEFAULT 0, batches bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (school_id, station_id, epoch)
);
CREATE TABLE IF NOT EXISTS fact (
    school_id text NOT NULL, station_id text NOT NULL, epoch integer NOT NULL, seq bigint NOT NULL,
    txn bigint, table_name text NOT NULL, row_id text NOT NULL, op text NOT NULL, payload jsonb NOT NULL,
    hlc bigint NOT NULL, clock_suspect boolean NOT NULL DEFAULT false, server_seq bigint NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (school_id, station_id, epoch, seq)
);
CREATE TABLE IF NOT EXISTS row_state (
    school_id text NOT NULL, table_name text NOT NULL, row_id text NOT NULL, payload jsonb NOT NULL,
    hlc bigint NOT NULL, station_id text NOT NULL, server_seq bigint NOT NULL,
    PRIMARY KEY (school_id, table_name, row_id)
);
-- The stream index is on an expression so that key lookups (school, table, row) can only use the primary
-- key: with a plain (school_id, table_name, server_seq) index the planner, short of statistics, picked it
-- for key lookups and each batch scanned the whole stream.
CREATE INDEX IF NOT EXISTS row_state_stream ON row_state ((school_id || '/' || table_name), server_seq);
CREATE TABLE IF NOT EXISTS dead_letter (
    id bigserial PRIMARY KEY, school_id text NOT NULL, station_id text NOT NULL, epoch integer NOT NULL,
    seq bigint NOT NULL, table_name text NOT NULL, row_id text NOT NULL, payload text NOT NULL,
    reason text NOT NULL, at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (school_id, station_id, epoch, seq)
);
CREATE TABLE IF NOT EXISTS conflict (
    id bigserial PRIMARY KEY, school_id text NOT NULL, server_seq bigint NOT NULL, kind text NOT NULL,
    table_name text NOT NULL, row_id text NOT NULL, station_id text NOT NULL, other_station_id text NOT NULL,
    detail jsonb NOT NULL, at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS conflict_stream ON conflict (school_id, server_seq);

CREATE OR REPLACE FUNCTION sync_push(p_school text, p_station text, p_epoch integer, p_kind text, p_rows text)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
    st station%ROWTYPE;
    v_kind text := p_kind;
    v_base bigint;
    v_reg bigint;
    v_first bigint;
    v_last bigint;
    v_bad integer;
    v_new integer;
    v_conf integer;
    v_next integer;
    v_dead jsonb;
BEGIN
    SELECT * INTO st FROM station WHERE role_name = session_user AND removed_at IS NULL;
    IF FOUND THEN
        IF st.school_id <> p_school THEN
            RAISE EXCEPTION 'station % belongs to school %, not %', st.name, st.school_id, p_school USING ERRCODE = '42501';
        END IF;
        IF st.station_id IS NULL THEN
            UPDATE station SET station_id = p_station WHERE name = st.name;
        ELSIF st.station_id <> p_station THEN
            RAISE EXCEPTION 'role % pushes for station %, not %', session_user, st.station_id, p_station USING ERRCODE = '42501';
        END IF;
        v_kind := st.kind;
    ELSIF NOT coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = session_user), false) THEN
        RAISE EXCEPTION 'role % is not a registered station', session_user USING ERRCODE = '42501';
    END IF;

    -- The school's counter row: its lock serialises the school's writers, so server_seq is commit-ordered.
    INSERT INTO school_counter (school_id) VALUES (p_school) ON CONFLICT DO NOTHING;
    SELECT server_seq INTO v_base FROM school_counter WHERE school_id = p_school FOR UPDATE;
    SELECT last_seq INTO v_reg FROM batch WHERE school_id = p_school AND station_id = p_station AND epoch = p_epoch;
    v_reg := coalesce(v_reg, 0);

    -- One pass over the batch: parse (json, not jsonb: only payloads are converted) and judge each row.
    DROP TABLE IF EXISTS _push;
    CREATE TEMP TABLE _push ON COMMIT DROP AS
        SELECT r.seq, r.txn, r.t, r.id, r.op, r.p, r.h, coalesce(r.cs, false) AS cs,
            CASE
            WHEN r.op = 'unreadable' THEN 'unreadable payload'
            WHEN r.id IS NULL OR r.id = '' THEN 'missing row id'
            WHEN r.t IS NULL OR r.t !~ '^[a-z][a-z0-9_]*$' THEN 'bad table name'
            WHEN r.op IS NULL OR r.op NOT IN ('insert', 'update') THEN 'bad operation'
            WHEN r.h IS NULL THEN 'missing clock stamp'
            WHEN r.p IS NULL OR jsonb_typeof(r.p) <> 'object' THEN 'payload is not a row'
            WHEN r.p ? 'id' AND r.p->>'id' <> r.id THEN 'payload id does not match the row id'
            WHEN r.p ? 'school_id' AND r.p->>'school_id' <> p_school THEN 'row belongs to another school'
            WHEN w.table_name IS NOT NULL AND NOT (v_kind = ANY (w.writer_kinds))
                THEN 'table ' || r.t || ' is written by ' || array_to_string(w.writer_kinds, '/') || ' stations only'
            END AS reason
        FROM json_to_recordset(p_rows::json) AS r(seq bigint, txn bigint, t text, id text, op text, p jsonb, h bigint, cs boolean)
        LEFT JOIN write_policy w ON w.table_name = r.t;
    SELECT min(seq), max(seq) INTO v_first, v_last FROM _push;
    IF v_last IS NULL THEN
        RETURN jsonb_build_object('status', 'ok', 'accepted', 0, 'dead', '[]'::jsonb, 'conflicts', 0);
    END IF;

    -- Seqs we already hold must carry the same rows; otherwise the station was restored from an old
    -- copy or cloned: it gets a fresh epoch (reserved here so two clones never share one).
    IF v_first <= v_reg THEN
        SELECT count(*) INTO v_bad FROM _push x
        WHERE x.seq <= v_reg
          AND NOT EXISTS (SELECT 1 FROM fact f WHERE f.school_id = p_school AND f.station_id = p_station
                          AND f.epoch = p_epoch AND f.seq = x.seq AND f.row_id = x.id)
          AND NOT EXISTS (SELECT 1 FROM dead_letter d WHERE d.school_id = p_school AND d.station_id = p_station
                          AND d.epoch = p_epoch AND d.seq = x.seq AND d.row_id = coalesce(x.id, ''));
        IF v_bad > 0 THEN
            SELECT coalesce(max(epoch), 0) + 1 INTO v_next FROM batch WHERE school_id = p_school AND station_id = p_station;
            INSERT INTO batch (school_id, station_id, epoch, last_seq) VALUES (p_school, p_station, v_next, 0);
            RETURN jsonb_build_object('status', 'epoch_conflict', 'next_epoch', v_next, 'mismatched', v_bad);
        END IF;
        IF v_last <= v_reg THEN
            UPDATE batch SET batches = batches + 1, updated_at = now()
            WHERE school_id = p_school AND station_id = p_station AND epoch = p_epoch;
            RETURN jsonb_build_object('status', 'duplicate', 'accepted', 0, 'dead', '[]'::jsonb, 'conflicts', 0,
                                      'now_ms', (extract(epoch FROM clock_timestamp()) * 1000)::bigint);
        END IF;
    END IF;

    INSERT INTO dead_letter (school_id, station_id, epoch, seq, table_name, row_id, payload, reason)
    SELECT p_school, p_station, p_epoch, seq, coalesce(t, ''), coalesce(id, ''), coalesce(p::text, ''), reason
    FROM _push WHERE seq > v_reg AND reason IS NOT NULL
    ON CONFLICT DO NOTHING;
    SELECT coalesce(jsonb_agg(jsonb_build_object('seq', seq, 'reason', reason) ORDER BY seq), '[]'::jsonb) INTO v_dead
    FROM _push WHERE seq > v_reg AND reason IS NOT NULL;

    -- New facts, numbered in station order after the counter; then the current state by last writer
    -- wins on (hlc, station_id), repeated keys collapsed first (one statement may not touch a row twice).
    -- row_state read in the same statement is the state before this batch, so each key's previous version
    -- is known: a version that lost to another station's newer one, and an insert of a key another station
    -- had already created, are kept in the history and listed as conflicts for a person to review.
    -- EXECUTE: planned on every call with the tables' real sizes (a plan cached while they were empty
    -- would scan row_state by its stream index for every row).
    SELECT count(*) INTO v_new FROM _push WHERE seq > v_reg AND reason IS NULL;
    EXECUTE $q$
    WITH ins AS (
        INSERT INTO fact (school_id, station_id, epoch, seq, txn, table_name, row_id, op, payload, hlc, clock_suspect, server_seq)
        SELECT $1, $2, $3, seq, txn, t, id, op, p, h, cs, $4 + row_number() OVER (ORDER BY seq)
        FROM _push WHERE seq > $5 AND reason IS NULL
        ORDER BY seq
        ON CONFLICT DO NOTHING
        RETURNING table_name, row_id, op, payload, hlc, station_id, server_seq, seq
    ), latest AS (
        SELECT DISTINCT ON (i.table_name, i.row_id) i.*, o.hlc AS old_hlc, o.station_id AS old_station, o.payload AS old_payload
        FROM ins i LEFT JOIN row_state o ON o.school_id = $1 AND o.table_name = i.table_name AND o.row_id = i.row_id
        ORDER BY i.table_name, i.row_id, i.hlc DESC, i.server_seq DESC
    ), up AS (
        INSERT INTO row_state AS s (school_id, table_name, row_id, payload, hlc, station_id, server_seq)
        SELECT $1, table_name, row_id, payload, hlc, station_id, server_seq FROM latest
        WHERE old_hlc IS NULL OR (hlc, station_id) > (old_hlc, old_station)
        ON CONFLICT (school_id, table_name, row_id) DO UPDATE
            SET payload = EXCLUDED.payload, hlc = EXCLUDED.hlc, station_id = EXCLUDED.station_id, server_seq = EXCLUDED.server_seq
            WHERE (EXCLUDED.hlc, EXCLUDED.station_id) > (s.hlc, s.station_id)
    )
    INSERT INTO conflict (school_id, server_seq, kind, table_name, row_id, station_id, other_station_id, detail)
    SELECT $1, $4 + $6 + row_number() OVER (ORDER BY l.server_seq),
           CASE WHEN (l.hlc, l.station_id) < (l.old_hlc, l.old_station) THEN 'stale_update' ELSE 'duplicate_insert' END,
           l.table_name, l.row_id, $2, l.old_station,
           jsonb_build_object('epoch', $3, 'seq', l.seq, 'hlc', l.hlc, 'other_hlc', l.old_hlc,
                              'kept', CASE WHEN (l.hlc, l.station_id) < (l.old_hlc, l.old_station) THEN l.old_payload ELSE l.payload END,
                              'lost', CASE WHEN (l.hlc, l.station_id) < (l.old_hlc, l.old_station) THEN l.payload ELSE l.old_payload END)
    FROM latest l
    WHERE l.old_station IS NOT NULL AND l.old_station <> $2
      AND ((l.hlc, l.station_id) < (l.old_hlc, l.old_station) OR l.op = 'insert')
    $q$ USING p_school, p_station, p_epoch, v_base, v_reg, v_new;
    GET DIAGNOSTICS v_conf = ROW_COUNT;

    UPDATE school_counter SET server_seq = v_base + v_new + v_conf WHERE school_id = p_school;
    INSERT INTO batch AS b (school_id, station_id, epoch, last_seq, batches) VALUES (p_school, p_station, p_epoch, v_last, 1)
    ON CONFLICT (school_id, station_id, epoch) DO UPDATE
        SET last_seq = greatest(b.last_seq, EXCLUDED.last_seq), batches = b.batches + 1, updated_at = now();
    RETURN jsonb_build_object('status', 'ok', 'accepted', v_new, 'dead', v_dead, 'conflicts', v_conf,
                              'server_seq', v_base + v_new + v_conf,
                              'now_ms', (extract(epoch FROM clock_timestamp()) * 1000)::bigint);
END
$fn$;
REVOKE ALL ON FUNCTION sync_push(text, text, integer, text, text) FROM PUBLIC;

-- A station role reads its own school only (one server can hold a district). The owner (and sync_push,
-- which runs as the owner) is not subject to these policies.
CREATE OR REPLACE FUNCTION station_school() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $fn$
    SELECT school_id FROM station WHERE role_name = session_user AND removed_at IS NULL
$fn$;
ALTER TABLE row_state ENABLE ROW LEVEL SECURITY;
ALTER TABLE conflict ENABLE ROW LEVEL SECURITY;
ALTER TABLE school_counter ENABLE ROW LEVEL SECURITY;
ALTER TABLE batch ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS own_school ON row_state;
CREATE POLICY own_school ON row_state FOR SELECT USING (school_id = (SELECT station_school()));
DROP POLICY IF EXISTS own_school ON conflict;
CREATE POLICY own_school ON conflict FOR SELECT USING (school_id = (SELECT station_school()));
DROP POLICY IF EXISTS own_school ON school_counter;
CREATE POLICY own_school ON school_counter FOR SELECT USING (school_id = (SELECT station_school()));
DROP POLICY IF EXISTS own_school ON batch;
CREATE POLICY own_school ON batch FOR SELECT USING (school_id = (SELECT station_school()));
"""

# What a station role may read (pull streams, conflicts, the counter and server epoch).
STATION_READS = ("row_state", "conflict", "school_counter", "sync_meta", "batch")


class CentralError(Exception):
    """A problem with the shared database a person must fix (bad URL, not initialised, unknown station)."""


def connect(url: str, **connect_params):
    """A peewee PostgresqlDatabase for `url` (psycopg2 is imported only here); `connect_params` go to libpq
    (stations pass their time limits, see kiosk.sync.engine.Limits)."""
    from playhouse.db_url import connect as db_connect

    if not url.startswith(("postgres://", "postgresql://")):
        raise CentralError(f"not a PostgreSQL URL: {redact(url)}")
    return db_connect(url.replace("postgres://", "postgresql://", 1), **connect_params)


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def init(url: str) -> str:
    """Create or upgrade the shared schema; returns the server epoch (kept across re-runs)."""
    database = connect(url)
    try:
        with database.atomic():
            database.execute_sql("SELECT pg_advisory_xact_lock(7007)")  # two inits at once take turns
            with database.cursor() as cursor:
                cursor.execute(SCHEMA)  # no parameters: the function body's % signs stay as they are
                wake.install(cursor)  # NOTIFY on each push, so stations pull at once (kiosk/sync/wake.py)
            for table in OFFICE_ONLY_TABLES:
                database.execute_sql(
                    "INSERT INTO write_policy (table_name, writer_kinds) VALUES (%s, ARRAY['office']) ON CONFLICT DO NOTHING",
                    (table,))
            database.execute_sql("INSERT INTO sync_meta (key, value) VALUES ('server_epoch', %s) ON CONFLICT DO NOTHING",
                                 (str(uuid.uuid4()),))
            database.execute_sql("INSERT INTO sync_meta (key, value) VALUES ('schema_version', '1') ON CONFLICT (key) DO UPDATE SET value = '1'")
            return database.execute_sql("SELECT value FROM sync_meta WHERE key = 'server_epoch'").fetchone()[0]
    finally:
        database.close()


@dataclass(frozen=True)
class StationRole:
    name: str
    kind: str
    role: str
    password: str
    url: str  # the station's own connection URL


def role_name(database_name: str, station_name: str) -> str:
    base = re.sub(r"[^a-z0-9_]", "_", f"kiosk_{database_name}_{station_name}".lower())
    return base[:63]


def add_station(url: str, name: str, kind: str, school_id: str) -> StationRole:
    """Create (or re-key) the station's own login role with the least privilege it needs."""
    if kind not in ("gate", "dorm", "canteen", "office"):
        raise CentralError(f"unknown station kind {kind!r}")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}", name):
        raise CentralError(f"station name {name!r}: use letters, digits, - and _ (at most 40)")
    database = connect(url)
    try:
        database_name = database.execute_sql("SELECT current_database()").fetchone()[0]
        if not database.execute_sql("SELECT to_regclass('public.station')").fetchone()[0]:
            raise CentralError("the shared database is not initialised: run `kiosk central init` first")
        role = role_name(database_name, name)
        password = secrets.token_urlsafe(24)
        with database.atomic():
            exists = database.execute_sql("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            verb = "ALTER" if exists else "CREATE"
            database.execute_sql(f'{verb} ROLE "{role}" LOGIN NOINHERIT PASSWORD %s', (password,))
            database.execute_sql(f'GRANT CONNECT ON DATABASE "{database_name}" TO "{role}"')
            database.execute_sql(f'GRANT USAGE ON SCHEMA public TO "{role}"')
            database.execute_sql(f'GRANT SELECT ON {", ".join(STATION_READS)} TO "{role}"')
            database.execute_sql(f'GRANT EXECUTE ON FUNCTION sync_push(text, text, integer, text, text) TO "{role}"')
            # Re-adding a station re-keys it and lets a rebuilt station (new station_id) bind again.
            database.execute_sql(
                "INSERT INTO station (name, school_id, kind, role_name) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (name) DO UPDATE SET school_id = EXCLUDED.school_id, kind = EXCLUDED.kind, "
                "role_name = EXCLUDED.role_name, station_id = NULL, removed_at = NULL",
                (name, school_id, kind, role))
    finally:
        database.close()
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{quote(role)}:{quote(password)}@{host}" + (f":{parts.port}" if parts.port else "")
    station_url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    return StationRole(name=name, kind=kind, role=role, password=password, url=station_url)


def remove_station(url: str, name: str) -> str:
    """Revoke the station's role (and end its sessions); its facts stay in the history."""
    database = connect(url)
    try:
        with database.atomic():
            row = database.execute_sql("SELECT role_name FROM station WHERE name = %s AND removed_at IS NULL", (name,)).fetchone()
            if row is None:
                raise CentralError(f"no active station named {name!r}")
            role = row[0]
            database.execute_sql("UPDATE station SET removed_at = now() WHERE name = %s", (name,))
            if database.execute_sql("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                database.execute_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,))
                database.execute_sql(f'DROP OWNED BY "{role}"')
                database.execute_sql(f'DROP ROLE "{role}"')
        return role
    finally:
        database.close()


def station_roles(url: str) -> list[str]:
    database = connect(url)
    try:
        return [row[0] for row in database.execute_sql("SELECT role_name FROM station")]
    finally:
        database.close()
