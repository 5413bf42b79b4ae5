"""The shared PostgreSQL's tables, as SQL run by `kiosk central init` (idempotent: IF NOT EXISTS).

Every key starts with school_id, so one server can hold a district; what each table holds is described in
kiosk.sync.central and the README's Sync section.
"""

TABLES = r"""
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
-- The table's column checks, a SQL expression on r.p (kiosk.sync.validation.sql_table_check).
ALTER TABLE sync_table ADD COLUMN IF NOT EXISTS row_check text NOT NULL DEFAULT 'NULL';
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

"""
