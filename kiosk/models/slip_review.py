"""A person's review of a slip conflict (see kiosk.services.slip_conflicts).

Conflicts themselves are derived, never stored: two exits (or two returns) on one slip, written by gates
that were offline, or a crossing after the slip's revocation. What is stored is the fact that somebody
looked at one: `staff_id` reviewed it at `recorded_at` on `station_id`, with a note. A conflict is named
by its kind and the id of the crossing that conflicts, so the review stays attached however the other
stations' rows arrive. Written through kiosk.services.facts.record, synced like every fact.
"""
from __future__ import annotations

import peewee

from kiosk.models.base import FactModel

CONFLICT_KINDS = ("double_use", "after_revocation")


class SlipConflictReview(FactModel):
    kind = peewee.CharField(max_length=20)  # CONFLICT_KINDS
    crossing_id = peewee.CharField(max_length=36)  # the conflicting gate_crossing (not a foreign key: may sync later)
    slip_id = peewee.CharField(max_length=36)
    note = peewee.CharField(default="")

    class Meta:
        indexes = ((("school_id", "crossing_id"), False),)


SLIP_REVIEW_MODELS = [SlipConflictReview]
