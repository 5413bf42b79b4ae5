"""The stations of a school by name, so a record made elsewhere shows "east-gate", not "st-3f9a2b7c1d0e"."""
from __future__ import annotations

import peewee

from kiosk.models.base import SchoolModel, UtcDateTimeField


class StationInfo(SchoolModel):
    """What a station calls itself ([station] name and kind). `id` is the station id; the station rewrites
    its own row when its name or kind changes, and sync carries it to the others (last writer wins)."""

    name = peewee.CharField(max_length=60)
    kind = peewee.CharField(max_length=10)
    updated_at = UtcDateTimeField()
