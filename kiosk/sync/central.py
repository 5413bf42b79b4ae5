"""The shared PostgreSQL: connecting to it and `kiosk central init` (station roles: kiosk.sync.station_roles).

`init` runs the schema (idempotent: IF NOT EXISTS / OR REPLACE): the tables (kiosk.sync.central_schema), the
push function (kiosk.sync.push_sql) and what stations may read (kiosk.sync.central_reads).
Tables (every key starts with school_id, so one server can hold a district):

- fact           append-only history: every row version a station pushed, keyed (school, station, epoch, seq)
- row_state      the current version of each (school, table, row) by last-writer-wins on (hlc, station_id);
                 pull streams read it by (school, table, server_seq)
- school_counter one row per school; the push function locks it, so server_seq follows commit order
- batch          per (school, station, epoch) the highest outbox seq received: a duplicate batch is a no-op
- dead_letter    rows refused, with the reason; conflict: policy conflicts for a person to review
- station        one row per station: its kind and its own database role (least privilege)
- sync_table     the syncable tables, their write policy (kiosk.sync.policy) and column checks (generated from
                 the models by kiosk.sync.validation), copied at init: a row for a table not listed here, or
                 one its columns refuse, is a dead letter and never touches row_state

Stations never INSERT, UPDATE or DELETE a table: they call `sync_push(...)` (SECURITY DEFINER), which
checks the caller's role against `station` (bound to one station id by the administrator, never by a
push), and SELECT from row_state/conflict/school_counter/sync_meta.
"""
from __future__ import annotations

import logging
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

from kiosk.sync import policy, validation, wake
from kiosk.sync.audit_sql import AUDIT
from kiosk.sync.central_reads import READS
from kiosk.sync.central_schema import TABLES
from kiosk.sync.push_sql import PUSH


def schema() -> str:
    """The whole schema: tables, the push function, what stations read, the audit heads."""
    return TABLES + PUSH + READS + AUDIT


# The shape of the schema above; stored at init, and a station refuses to sync with a central whose stored
# version is older (kiosk.sync.engine.check_schema): an older init's sync_push and sync_table judge rows by
# older rules or fail on what they lack (2: sync_table.row_check, the column checks).
SCHEMA_VERSION = 2

# How long a station session may hold its school's push turn before a waiting push ends it (sync_push_turn):
# the stations' default statement_timeout. Kept on re-init; an administrator may change it in sync_meta.
PUSH_LIMIT_MS = 30_000

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


# `kiosk central init` on a live school: pushes and pulls wait for it (sync_push and station_rows take the
# shared side of its advisory lock first), but a station of an older version (its functions not yet replaced)
# can still meet init in a deadlock; PostgreSQL then ends one side, and init tries again.
INIT_ATTEMPTS = 5
INIT_RETRY_SECONDS = 1.0
_BUSY_CODES = ("40P01", "55P03", "40001")  # deadlock, lock not available, serialization failure

log = logging.getLogger(__name__)


def init(url: str, on_busy=None) -> str:
    """Create or upgrade the shared schema; returns the server epoch (kept across re-runs). When stations in
    use get in its way, tries again (`on_busy(attempt, seconds)` is told, e.g. to say so on the CLI)."""
    for attempt in range(1, INIT_ATTEMPTS + 1):
        database = connect(url)
        try:
            return _init_once(database)
        except Exception as error:  # psycopg2's own (the schema runs on a raw cursor) or peewee's wrapping it
            if (getattr(error, "pgcode", None) or getattr(error.__context__, "pgcode", None)) not in _BUSY_CODES:
                raise
            if attempt == INIT_ATTEMPTS:
                raise CentralError(f"stations kept the shared database busy through {INIT_ATTEMPTS} attempts "
                                   f"({str(error).splitlines()[0]}); run kiosk central init again") from error
            log.warning("central init: %s; trying again", str(error).splitlines()[0])
            if on_busy is not None:
                on_busy(attempt, INIT_RETRY_SECONDS)
            time.sleep(INIT_RETRY_SECONDS)
        finally:
            database.close()
    raise AssertionError("unreachable")


def _init_once(database) -> str:
    with database.atomic():
        # Exclusive: two inits take turns, and pushes and pulls (which take it shared, first) wait for this one.
        database.execute_sql("SELECT pg_advisory_xact_lock(7007)")
        with database.cursor() as cursor:
            cursor.execute(schema())  # no parameters: the function body's % signs stay as they are
            wake.install(cursor)  # NOTIFY on each push, so stations pull at once (kiosk/sync/wake.py)
        _install_policy(database)
        database.execute_sql("INSERT INTO sync_meta (key, value) VALUES ('server_epoch', %s) ON CONFLICT DO NOTHING",
                             (str(uuid.uuid4()),))
        database.execute_sql("INSERT INTO sync_meta (key, value) VALUES ('schema_version', %s) "
                             "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", (str(SCHEMA_VERSION),))
        return database.execute_sql("SELECT value FROM sync_meta WHERE key = 'server_epoch'").fetchone()[0]


def _install_policy(database) -> None:
    """Copy the write policy and the models' column rules to central (replacing what an older version left)."""
    tables = policy.syncable()
    database.execute_sql("DELETE FROM sync_table")
    for name, (model, rule) in sorted(tables.items()):
        database.execute_sql(
            "INSERT INTO sync_table (table_name, insert_kinds, owner, update_others, set_once, reader_kinds, row_check) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (name, sorted(rule.insert), rule.owner, sorted(rule.update_others), list(rule.set_once),
             sorted(policy.readers(name, rule)), validation.sql_table_check(validation.columns_of(model))))
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
    database.execute_sql("INSERT INTO sync_meta (key, value) VALUES ('push_limit_ms', %s) ON CONFLICT DO NOTHING",
                         (str(PUSH_LIMIT_MS),))
