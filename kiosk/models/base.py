"""Base model, the database proxy and the field types every table shares.

The database is bound at start-up (`kiosk.db.open_database`), never on import.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

import peewee

from kiosk.ids import new_id

database_proxy = peewee.DatabaseProxy()

_UTC_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class UtcDateTimeField(peewee.Field):
    """Aware UTC datetimes stored as fixed-width ISO text (`2026-11-21T13:05:00.000000Z`).

    Fixed width keeps text order equal to time order, in SQLite and PostgreSQL alike.
    """

    field_type = "TEXT"

    def db_value(self, value):
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if value.tzinfo is None:
            raise ValueError(f"{self.name}: naive datetime {value!r}; use kiosk.clock.now()")
        return value.astimezone(timezone.utc).strftime(_UTC_FORMAT)

    def python_value(self, value):
        if value is None or isinstance(value, datetime):
            return value
        return datetime.strptime(value, _UTC_FORMAT).replace(tzinfo=timezone.utc)


def utc_text(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime(_UTC_FORMAT)


class JSONField(peewee.TextField):
    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)

    def python_value(self, value):
        return None if value is None else json.loads(value)


class BaseModel(peewee.Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class SchoolModel(BaseModel):
    """A row owned by one school; every table carries school_id (see SYNC.md: many schools, one server)."""

    id = peewee.CharField(primary_key=True, default=new_id, max_length=36)
    school_id = peewee.CharField(max_length=40, index=True)


class FactModel(SchoolModel):
    """A fact seen at a station: who recorded it, where and when. Written through kiosk.services.facts."""

    station_id = peewee.CharField(max_length=40)
    staff_id = peewee.CharField(max_length=36, null=True)
    recorded_at = UtcDateTimeField()
