"""The append-only, hash-chained audit log and the local station state."""
from __future__ import annotations

import peewee
from playhouse.sqlite_ext import AutoIncrementField

from kiosk.models.base import BaseModel, JSONField, UtcDateTimeField


class AuditEntry(BaseModel):
    # AUTOINCREMENT: a sequence number is never reused, even after the newest row is deleted.
    seq = AutoIncrementField()
    id = peewee.CharField(unique=True, max_length=36)
    school_id = peewee.CharField(max_length=40)
    station_id = peewee.CharField(max_length=40)
    staff_id = peewee.CharField(max_length=36, null=True)
    at = UtcDateTimeField()
    action = peewee.CharField()
    entity = peewee.CharField(default="")
    entity_id = peewee.CharField(default="")
    detail = JSONField(default=dict)
    prev_hash = peewee.CharField(max_length=64)
    hash = peewee.CharField(max_length=64)


class LocalState(BaseModel):
    """Small key/value facts about this station's own database (station id, epoch, audit head)."""

    key = peewee.CharField(primary_key=True)
    value = peewee.TextField()


class Outbox(BaseModel):
    """Rows waiting to be pushed to the shared database; written in the fact's own transaction."""

    seq = AutoIncrementField()
    table = peewee.CharField(column_name="table_name")
    row_id = peewee.CharField(max_length=36)
    op = peewee.CharField(max_length=8)  # insert | update
    payload = JSONField()
    created_at = UtcDateTimeField()
    acked_at = UtcDateTimeField(null=True, index=True)
