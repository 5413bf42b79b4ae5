"""Local sync state: pull cursors, row versions (last writer wins), dead letters and conflicts seen here.

None of these tables is ever pushed: they describe this station's view of the shared database.
The outbox (kiosk.models.audit.Outbox) gains two columns in migration m0007: `txn` (filled by a trigger
with the audit entry's seq, so a batch never splits one local transaction) and `hlc` (the hybrid
logical clock stamp, fixed before the first push so a resend carries the same stamp).
"""
from __future__ import annotations

import peewee

from kiosk.models.base import BaseModel, JSONField, UtcDateTimeField


class SyncCursor(BaseModel):
    """How far this station has applied one pull stream (a table name), in central server_seq."""

    stream = peewee.CharField(primary_key=True)
    school_id = peewee.CharField(max_length=40)
    server_seq = peewee.BigIntegerField(default=0)
    verified_count = peewee.BigIntegerField(null=True)  # count/checksum that matched central last time
    verified_checksum = peewee.CharField(null=True)
    converged = peewee.BooleanField(default=False)
    refetches = peewee.IntegerField(default=0)
    updated_at = UtcDateTimeField(null=True)


class SyncRowVersion(BaseModel):
    """The version (hlc, station) of each synced row held here: pulls apply only newer versions."""

    table = peewee.CharField(column_name="table_name")
    row_id = peewee.CharField(max_length=36)
    hlc = peewee.BigIntegerField()
    station_id = peewee.CharField(max_length=40)

    class Meta:
        primary_key = peewee.CompositeKey("table", "row_id")


class SyncDeadLetter(BaseModel):
    """A row of ours that central refused, with the reason; the queue moved on without it."""

    id = peewee.AutoField()
    school_id = peewee.CharField(max_length=40)
    outbox_seq = peewee.BigIntegerField()
    epoch = peewee.IntegerField()
    table = peewee.CharField(column_name="table_name")
    row_id = peewee.CharField()
    reason = peewee.CharField()
    payload = peewee.TextField()
    at = UtcDateTimeField()

    class Meta:
        indexes = ((("epoch", "outbox_seq"), True),)


class SyncConflict(BaseModel):
    """A policy conflict recorded at central (e.g. a stale update lost to a newer one), for a person to review."""

    id = peewee.BigIntegerField(primary_key=True)  # central conflict id
    school_id = peewee.CharField(max_length=40)
    server_seq = peewee.BigIntegerField(index=True)
    kind = peewee.CharField()
    table = peewee.CharField(column_name="table_name")
    row_id = peewee.CharField()
    station_id = peewee.CharField(max_length=40)
    other_station_id = peewee.CharField(max_length=40)
    detail = JSONField(default=dict)
    at = UtcDateTimeField()


MODELS = [SyncCursor, SyncRowVersion, SyncDeadLetter, SyncConflict]
