"""Station roles at central: each station's own login role with the least privilege it needs, bound to one
station id by the administrator (`kiosk central add-station`, `bind-station`, `remove-station`)."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

from kiosk.sync.central import ROW_STATE_COLUMNS, STATION_READS, CentralError, connect


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
