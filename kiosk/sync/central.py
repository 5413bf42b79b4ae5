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
- sync_table     the syncable tables and their write policy (kiosk.sync.policy), copied at init: a row for a
                 table not listed here, or one its columns refuse (the column checks generated from the
                 models by kiosk.sync.validation), is a dead letter and never touches row_state

Stations never INSERT, UPDATE or DELETE a table: they call `sync_push(...)` (SECURITY DEFINER), which
checks the caller's role against `station` (bound to one station id by the administrator, never by a
push), and SELECT from row_state/conflict/school_counter/sync_meta.
"""
from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

from kiosk.sync import wake

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
DROP TABLE IF EXISTS write_policy;
CREATE TABLE IF NOT EXISTS sync_table (
    table_name text PRIMARY KEY,
    insert_kinds text[] NOT NULL,   -- station kinds that may create rows
    owner text NOT NULL,            -- creator / office / self (see kiosk.sync.policy)
    update_others text[] NOT NULL,  -- kinds that may change a row another station owns
    set_once text[] NOT NULL
);
ALTER TABLE sync_table ADD COLUMN IF NOT EXISTS reader_kinds text[] NOT NULL DEFAULT '{}';
-- Staff roles whose PIN verifiers a station of each kind receives (kiosk.sync.policy.verifier_roles).
CREATE TABLE IF NOT EXISTS sync_kind_login (kind text PRIMARY KEY, roles text[] NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS station_bound_id ON station (school_id, station_id) WHERE removed_at IS NULL;
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
-- The station that created the row: it alone may change it, unless the table's policy names an exception.
ALTER TABLE row_state ADD COLUMN IF NOT EXISTS owner text;
ALTER TABLE row_state ADD COLUMN IF NOT EXISTS epoch integer;  -- of the station that wrote this version
UPDATE row_state SET owner = station_id WHERE owner IS NULL;
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
    v_same integer;
    v_now_ms bigint := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
    v_max_stamp bigint;
BEGIN
    -- The highest stamp accepted: central's clock plus the allowed skew (kiosk.sync.validation.MAX_AHEAD_MS).
    v_max_stamp := (v_now_ms + coalesce((SELECT value::bigint FROM sync_meta WHERE key = 'max_stamp_ahead_ms'), 0)) << 16;
    SELECT * INTO st FROM station WHERE role_name = session_user AND removed_at IS NULL;
    IF FOUND THEN
        IF st.school_id <> p_school THEN
            RAISE EXCEPTION 'station % belongs to school %, not %', st.name, st.school_id, p_school USING ERRCODE = '42501';
        END IF;
        IF st.station_id IS NULL THEN
            -- Bound by the administrator only (add-station --station-id, or bind-station): a push that claims
            -- an id could otherwise take over another station's identity and force it to a new epoch.
            RAISE EXCEPTION 'station % is not bound to a station id yet: run kiosk central bind-station % %',
                st.name, st.name, p_station USING ERRCODE = '42501';
        ELSIF st.station_id <> p_station THEN
            RAISE EXCEPTION 'role % pushes for station %, not %', session_user, st.station_id, p_station USING ERRCODE = '42501';
        END IF;
        v_kind := st.kind;
        -- A station pushes in a statement of its own (autocommit). Inside a transaction it opened itself it
        -- could keep the school's counter locked after this returns, stalling every other station's push.
        IF transaction_timestamp() <> statement_timestamp() THEN
            RAISE EXCEPTION 'sync_push runs as a statement of its own, not inside a transaction block'
                USING ERRCODE = '25001';
        END IF;
    ELSIF NOT coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = session_user), false) THEN
        RAISE EXCEPTION 'role % is not a registered station', session_user USING ERRCODE = '42501';
    END IF;

    -- The school's counter row: its lock serialises the school's writers, so server_seq is commit-ordered.
    INSERT INTO school_counter (school_id) VALUES (p_school) ON CONFLICT DO NOTHING;
    SELECT server_seq INTO v_base FROM school_counter WHERE school_id = p_school FOR UPDATE;
    SELECT last_seq INTO v_reg FROM batch WHERE school_id = p_school AND station_id = p_station AND epoch = p_epoch;
    v_reg := coalesce(v_reg, 0);

    -- One pass over the batch: parse (json, not jsonb: only payloads are converted) and judge each row
    -- against the policy (sync_table), the row's owner (row_state before this batch) and its columns. The
    -- reasons are codes (kiosk.sync.validation) the admin screen translates.
    DROP TABLE IF EXISTS _push;
    -- EXECUTE: planned per call with row_state's real size (see below), so the owner lookup uses the key.
    EXECUTE $q$
    CREATE TEMP TABLE _push ON COMMIT DROP AS
        SELECT r.seq, r.txn, r.t, r.id, r.op, r.p, r.h, coalesce(r.cs, false) AS cs,
            CASE
            WHEN r.op = 'unreadable' THEN 'unreadable'
            WHEN r.id IS NULL OR r.id = '' OR length(r.id) > 64 THEN 'bad_row_id'
            WHEN c.table_name IS NULL THEN 'unknown_table'
            WHEN r.op IS NULL OR r.op NOT IN ('insert', 'update') THEN 'bad_operation'
            WHEN r.h IS NULL OR r.h <= 0 THEN 'bad_stamp'
            WHEN r.h > $4 THEN 'stamp_ahead'
            WHEN r.p IS NULL OR jsonb_typeof(r.p) <> 'object' THEN 'not_a_row'
            WHEN r.p ? 'id' AND r.p->>'id' IS DISTINCT FROM r.id THEN 'id_mismatch'
            WHEN r.p ? 'school_id' AND r.p->>'school_id' IS DISTINCT FROM $1 THEN 'other_school'
            WHEN o.owner IS NULL AND NOT ($3 = ANY (c.insert_kinds)) THEN 'not_writer:' || $3
            WHEN o.owner IS NULL AND c.owner = 'self' AND r.id <> $2 THEN 'not_owner:' || left(r.id, 40)
            WHEN o.owner IS NULL AND c.owner = 'creator' AND r.p ? 'station_id' AND r.p->>'station_id' IS DISTINCT FROM $2
                THEN 'claims_station:' || left(coalesce(r.p->>'station_id', ''), 40)
            WHEN o.owner IS NOT NULL AND o.owner <> $2 AND NOT ($3 = ANY (c.update_others))
                THEN 'not_owner:' || o.owner
            WHEN o.owner IS NOT NULL AND c.owner = 'creator' AND r.op = 'update' AND r.p ? 'station_id'
                 AND r.p->>'station_id' IS DISTINCT FROM o.owner
                THEN 'claims_station:' || left(coalesce(r.p->>'station_id', ''), 40)
            ELSE /*ROW_CHECK*/ NULL
            END AS reason,
            -- The row as central already holds it from this station (a restored station resending under a new
            -- epoch): the same fact, not a second one.
            (o.station_id IS NOT DISTINCT FROM $2 AND o.payload = r.p) AS same
        FROM json_to_recordset($5::json) AS r(seq bigint, txn bigint, t text, id text, op text, p jsonb, h bigint, cs boolean)
        LEFT JOIN sync_table c ON c.table_name = r.t
        LEFT JOIN row_state o ON o.school_id = $1 AND o.table_name = r.t AND o.row_id = r.id
    $q$ USING p_school, p_station, v_kind, v_max_stamp, p_rows;
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
                                      'now_ms', v_now_ms);
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
    SELECT count(*) FILTER (WHERE NOT same), count(*) FILTER (WHERE same) INTO v_new, v_same
    FROM _push WHERE seq > v_reg AND reason IS NULL;
    EXECUTE $q$
    WITH ins AS (
        INSERT INTO fact (school_id, station_id, epoch, seq, txn, table_name, row_id, op, payload, hlc, clock_suspect, server_seq)
        SELECT $1, $2, $3, seq, txn, t, id, op, p, h, cs, $4 + row_number() OVER (ORDER BY seq)
        FROM _push WHERE seq > $5 AND reason IS NULL AND NOT same
        ORDER BY seq
        ON CONFLICT DO NOTHING
        RETURNING table_name, row_id, op, payload, hlc, station_id, server_seq, seq
    ), latest AS (
        SELECT DISTINCT ON (i.table_name, i.row_id) i.*, o.hlc AS old_hlc, o.station_id AS old_station,
               o.payload AS old_payload, o.epoch AS old_epoch, c.set_once
        FROM ins i LEFT JOIN row_state o ON o.school_id = $1 AND o.table_name = i.table_name AND o.row_id = i.row_id
        JOIN sync_table c ON c.table_name = i.table_name
        ORDER BY i.table_name, i.row_id, i.hlc DESC, i.server_seq DESC
    ), judged AS (
        -- broken: the set-once fields (kiosk.sync.policy) this version would change once they hold a value.
        -- Such a version never replaces the current one, whichever arrived first: it is kept as a conflict.
        SELECT l.*,
               CASE WHEN l.old_payload IS NULL OR cardinality(l.set_once) = 0 THEN NULL
                    ELSE (SELECT array_agg(f ORDER BY f) FROM unnest(l.set_once) AS f
                          WHERE coalesce(jsonb_typeof(l.old_payload -> f), 'null') <> 'null'
                            AND (l.old_payload -> f) IS DISTINCT FROM (l.payload -> f)) END AS broken,
               (l.old_hlc IS NOT NULL AND (l.hlc, l.station_id) < (l.old_hlc, l.old_station)) AS stale
        FROM latest l
    ), up AS (
        INSERT INTO row_state AS s (school_id, table_name, row_id, payload, hlc, station_id, server_seq, owner, epoch)
        SELECT $1, table_name, row_id, payload, hlc, station_id, server_seq, station_id, $3 FROM judged
        WHERE broken IS NULL AND NOT stale
        ON CONFLICT (school_id, table_name, row_id) DO UPDATE
            SET payload = EXCLUDED.payload, hlc = EXCLUDED.hlc, station_id = EXCLUDED.station_id,
                server_seq = EXCLUDED.server_seq, epoch = EXCLUDED.epoch
            WHERE (EXCLUDED.hlc, EXCLUDED.station_id) > (s.hlc, s.station_id)
    )
    -- clone_update: the same station id under another epoch (a cloned disk, or a station restored from an
    -- old copy) changed a row that epoch did not write: two machines may have edited it, a person looks.
    INSERT INTO conflict (school_id, server_seq, kind, table_name, row_id, station_id, other_station_id, detail)
    SELECT $1, $4 + $6 + row_number() OVER (ORDER BY j.server_seq),
           CASE WHEN j.broken IS NOT NULL THEN 'set_once'
                WHEN j.old_station = $2 THEN 'clone_update'
                WHEN j.stale THEN 'stale_update' ELSE 'duplicate_insert' END,
           j.table_name, j.row_id, $2, j.old_station,
           jsonb_build_object('epoch', $3, 'other_epoch', j.old_epoch, 'seq', j.seq, 'hlc', j.hlc, 'other_hlc', j.old_hlc,
                              'fields', to_jsonb(j.broken),
                              'kept', CASE WHEN j.broken IS NOT NULL OR j.stale THEN j.old_payload ELSE j.payload END,
                              'lost', CASE WHEN j.broken IS NOT NULL OR j.stale THEN j.payload ELSE j.old_payload END)
    FROM judged j
    WHERE j.broken IS NOT NULL
       OR (j.old_station <> $2 AND (j.stale OR j.op = 'insert'))
       OR (j.old_station = $2 AND j.old_epoch <> $3 AND j.payload IS DISTINCT FROM j.old_payload)
    $q$ USING p_school, p_station, p_epoch, v_base, v_reg, v_new;
    GET DIAGNOSTICS v_conf = ROW_COUNT;

    UPDATE school_counter SET server_seq = v_base + v_new + v_conf WHERE school_id = p_school;
    INSERT INTO batch AS b (school_id, station_id, epoch, last_seq, batches) VALUES (p_school, p_station, p_epoch, v_last, 1)
    ON CONFLICT (school_id, station_id, epoch) DO UPDATE
        SET last_seq = greatest(b.last_seq, EXCLUDED.last_seq), batches = b.batches + 1, updated_at = now();
    RETURN jsonb_build_object('status', 'ok', 'accepted', v_new, 'same', v_same, 'dead', v_dead, 'conflicts', v_conf,
                              'server_seq', v_base + v_new + v_conf, 'now_ms', v_now_ms);
END
$fn$;
REVOKE ALL ON FUNCTION sync_push(text, text, integer, text, text) FROM PUBLIC;

-- A station role reads its own school only (one server can hold a district). The owner (and sync_push,
-- which runs as the owner) is not subject to these policies.
CREATE OR REPLACE FUNCTION station_school() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $fn$
    SELECT school_id FROM station WHERE role_name = session_user AND removed_at IS NULL
$fn$;
-- ... and only the tables its kind pulls (sync_table.reader_kinds): a stolen dorm or canteen station cannot
-- read visitors' ID numbers, and no station reads the conflicts of tables it may not read.
CREATE OR REPLACE FUNCTION station_tables() RETURNS text[] LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $fn$
    SELECT coalesce(array_agg(t.table_name), '{}') FROM sync_table t
    JOIN station s ON s.kind = ANY (t.reader_kinds)
    WHERE s.role_name = session_user AND s.removed_at IS NULL
$fn$;
-- ... plus the rows it created itself, in any table: a station restored from an old copy gets back every row
-- it had pushed, including tables its kind does not pull (a gate's gate_scan).
CREATE OR REPLACE FUNCTION station_bound_id() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $fn$
    SELECT station_id FROM station WHERE role_name = session_user AND removed_at IS NULL
$fn$;
-- Payloads reach a station only through station_rows(): a station role may not select row_state.payload
-- (column privileges, see add_station), so the PIN verifier and card code of staff who may not log in at
-- its kind never leave central (the gate still sees every teacher's name, for visit hosts).
CREATE OR REPLACE FUNCTION station_rows(p_school text, p_table text, p_after bigint, p_limit integer,
                                        p_owner text DEFAULT NULL)
RETURNS TABLE (server_seq bigint, row_id text, payload text, hlc bigint, station_id text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
    st station%ROWTYPE;
    v_roles text[];
BEGIN
    SELECT * INTO st FROM station WHERE role_name = session_user AND removed_at IS NULL;
    IF NOT FOUND THEN
        IF NOT coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = session_user), false) THEN
            RAISE EXCEPTION 'role % is not a registered station', session_user USING ERRCODE = '42501';
        END IF;
        st.kind := 'office';  -- an administrator reads everything as it is
    ELSIF st.school_id <> p_school THEN
        RAISE EXCEPTION 'station % belongs to school %, not %', st.name, st.school_id, p_school USING ERRCODE = '42501';
    ELSIF p_owner IS NOT NULL AND p_owner IS DISTINCT FROM st.station_id THEN
        RAISE EXCEPTION 'station % may read back only its own rows', st.name USING ERRCODE = '42501';
    ELSIF p_owner IS NULL AND NOT EXISTS (SELECT 1 FROM sync_table t WHERE t.table_name = p_table
                                          AND st.kind = ANY (t.reader_kinds)) THEN
        RETURN;  -- a table this kind does not read: nothing, as row-level security would answer
    END IF;
    SELECT k.roles INTO v_roles FROM sync_kind_login k WHERE k.kind = st.kind;
    RETURN QUERY
        SELECT s.server_seq, s.row_id,
               (CASE WHEN s.table_name = 'staff' AND st.kind <> 'office'
                          AND NOT (string_to_array(coalesce(s.payload->>'roles', ''), ',') && (v_roles || 'admin'::text))
                     THEN s.payload || '{"pin_hash": "", "card_code": ""}'::jsonb
                     ELSE s.payload END)::text,
               s.hlc, s.station_id
        FROM row_state s
        WHERE (s.school_id || '/' || s.table_name) = p_school || '/' || p_table AND s.server_seq > p_after
          AND (p_owner IS NULL OR s.owner = p_owner)
        ORDER BY s.server_seq LIMIT p_limit;
END
$fn$;
ALTER TABLE row_state ENABLE ROW LEVEL SECURITY;
ALTER TABLE conflict ENABLE ROW LEVEL SECURITY;
ALTER TABLE school_counter ENABLE ROW LEVEL SECURITY;
ALTER TABLE batch ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS own_school ON row_state;
CREATE POLICY own_school ON row_state FOR SELECT
    USING (school_id = (SELECT station_school())
           AND (table_name IN (SELECT unnest(station_tables())) OR owner = (SELECT station_bound_id())));
DROP POLICY IF EXISTS own_school ON conflict;
CREATE POLICY own_school ON conflict FOR SELECT
    USING (school_id = (SELECT station_school()) AND table_name IN (SELECT unnest(station_tables())));
DROP POLICY IF EXISTS own_school ON school_counter;
CREATE POLICY own_school ON school_counter FOR SELECT USING (school_id = (SELECT station_school()));
DROP POLICY IF EXISTS own_school ON batch;
CREATE POLICY own_school ON batch FOR SELECT USING (school_id = (SELECT station_school()));
"""

def schema() -> str:
    """SCHEMA with the models' column checks (kiosk.sync.validation) spliced into sync_push."""
    from kiosk.sync import policy, validation

    check = validation.sql_row_check({name: validation.columns_of(model) for name, (model, _) in policy.syncable().items()})
    return SCHEMA.replace("/*ROW_CHECK*/ NULL", check)


# What a station role may read (pull streams, conflicts, the counter and server epoch); row_state only
# without its payload (see station_rows).
STATION_READS = ("conflict", "school_counter", "sync_meta", "batch")
ROW_STATE_COLUMNS = ("school_id", "table_name", "row_id", "hlc", "station_id", "server_seq", "owner", "epoch")


class CentralError(Exception):
    """A problem with the shared database a person must fix (bad URL, not initialised, unknown station)."""


def connect(url: str, **connect_params):
    """A peewee PostgresqlDatabase for `url` (psycopg2 is imported only here); `connect_params` go to libpq
    (stations pass their time limits, see kiosk.sync.limits.Limits)."""
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
                cursor.execute(schema())  # no parameters: the function body's % signs stay as they are
                wake.install(cursor)  # NOTIFY on each push, so stations pull at once (kiosk/sync/wake.py)
            _install_policy(database)
            database.execute_sql("INSERT INTO sync_meta (key, value) VALUES ('server_epoch', %s) ON CONFLICT DO NOTHING",
                                 (str(uuid.uuid4()),))
            database.execute_sql("INSERT INTO sync_meta (key, value) VALUES ('schema_version', '1') ON CONFLICT (key) DO UPDATE SET value = '1'")
            return database.execute_sql("SELECT value FROM sync_meta WHERE key = 'server_epoch'").fetchone()[0]
    finally:
        database.close()


def _install_policy(database) -> None:
    """Copy the write policy and the models' column rules to central (replacing what an older version left)."""
    from kiosk.sync import policy, validation

    tables = policy.syncable()
    database.execute_sql("DELETE FROM sync_table")
    for name, (_, rule) in sorted(tables.items()):
        database.execute_sql(
            "INSERT INTO sync_table (table_name, insert_kinds, owner, update_others, set_once, reader_kinds) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            (name, sorted(rule.insert), rule.owner, sorted(rule.update_others), list(rule.set_once),
             sorted(policy.readers(name, rule))))
    database.execute_sql("DELETE FROM sync_kind_login")
    for kind in policy.KINDS:
        database.execute_sql("INSERT INTO sync_kind_login (kind, roles) VALUES (%s, %s)",
                             (kind, sorted(policy.verifier_roles(kind))))
    # Roles made by an older version could select row_state whole: payloads now only through station_rows().
    for (role,) in database.execute_sql(
            "SELECT s.role_name FROM station s JOIN pg_roles r ON r.rolname = s.role_name WHERE s.removed_at IS NULL").fetchall():
        database.execute_sql(f'REVOKE SELECT ON row_state FROM "{role}"')
        database.execute_sql(f'GRANT SELECT ({", ".join(ROW_STATE_COLUMNS)}) ON row_state TO "{role}"')
    # Station roles create nothing: no temporary tables (PUBLIC has TEMP on a new database), no objects in
    # public (PostgreSQL 15 no longer grants CREATE there; revoked again for older servers).
    database_name = database.execute_sql("SELECT current_database()").fetchone()[0]
    database.execute_sql(f'REVOKE TEMPORARY ON DATABASE "{database_name}" FROM PUBLIC')
    database.execute_sql("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    database.execute_sql("INSERT INTO sync_meta (key, value) VALUES ('max_stamp_ahead_ms', %s) "
                         "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", (str(validation.MAX_AHEAD_MS),))


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


_STATION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")


def add_station(url: str, name: str, kind: str, school_id: str, station_id: str | None = None) -> StationRole:
    """Create (or re-key) the station's own login role with the least privilege it needs. The role pushes
    only for `station_id` (shown by `kiosk sync status` on the station); without one, the station's pushes are
    refused until the administrator binds it with bind_station."""
    if kind not in ("gate", "dorm", "canteen", "office"):
        raise CentralError(f"unknown station kind {kind!r}")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}", name):
        raise CentralError(f"station name {name!r}: use letters, digits, - and _ (at most 40)")
    if station_id is not None and not _STATION_ID.fullmatch(station_id):
        raise CentralError(f"station id {station_id!r}: use letters, digits, - and _ (at most 40)")
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
            # row_state without its payload column: payloads come through station_rows() (masked by kind)
            database.execute_sql(f'REVOKE SELECT ON row_state FROM "{role}"')
            database.execute_sql(f'GRANT SELECT ({", ".join(ROW_STATE_COLUMNS)}) ON row_state TO "{role}"')
            database.execute_sql(f'GRANT EXECUTE ON FUNCTION sync_push(text, text, integer, text, text) TO "{role}"')
            # Re-adding a station re-keys it and binds it again (a rebuilt station has a new station_id).
            _refuse_bound_elsewhere(database, school_id, station_id, name)
            database.execute_sql(
                "INSERT INTO station (name, school_id, kind, role_name, station_id) VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT (name) DO UPDATE SET school_id = EXCLUDED.school_id, kind = EXCLUDED.kind, "
                "role_name = EXCLUDED.role_name, station_id = EXCLUDED.station_id, removed_at = NULL",
                (name, school_id, kind, role, station_id))
    finally:
        database.close()
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{quote(role)}:{quote(password)}@{host}" + (f":{parts.port}" if parts.port else "")
    station_url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    return StationRole(name=name, kind=kind, role=role, password=password, url=station_url)


def _refuse_bound_elsewhere(database, school_id: str, station_id: str | None, name: str) -> None:
    if station_id is None:
        return
    other = database.execute_sql(
        "SELECT name FROM station WHERE school_id = %s AND station_id = %s AND name <> %s AND removed_at IS NULL",
        (school_id, station_id, name)).fetchone()
    if other:
        raise CentralError(f"station id {station_id} is already bound to station {other[0]}")


def bind_station(url: str, name: str, station_id: str) -> None:
    """The administrator binds a station's role to the station id its database generated (an identity is never
    taken by a push that claims it)."""
    if not _STATION_ID.fullmatch(station_id):
        raise CentralError(f"station id {station_id!r}: use letters, digits, - and _ (at most 40)")
    database = connect(url)
    try:
        with database.atomic():
            row = database.execute_sql("SELECT school_id FROM station WHERE name = %s AND removed_at IS NULL FOR UPDATE",
                                       (name,)).fetchone()
            if row is None:
                raise CentralError(f"no active station named {name!r}")
            _refuse_bound_elsewhere(database, row[0], station_id, name)
            database.execute_sql("UPDATE station SET station_id = %s WHERE name = %s", (station_id, name))
    finally:
        database.close()


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
