"""What the station admin screen shows: refused rows (dead letters) and conflicts, as plain dataclasses."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from kiosk.models.sync import SyncConflict, SyncDeadLetter


@dataclass(frozen=True)
class DeadLetterView:
    at: datetime
    table: str
    row_id: str
    reason: str


@dataclass(frozen=True)
class ConflictView:
    at: datetime
    kind: str
    table: str
    row_id: str
    station_id: str
    other_station_id: str
    kept: str  # short summary of the version kept
    lost: str


@dataclass(frozen=True)
class SyncProblems:
    pending: int
    last_success: datetime | None
    dead_letters: tuple[DeadLetterView, ...]
    conflicts: tuple[ConflictView, ...]


def _summary(value) -> str:
    if not isinstance(value, dict):
        return ""
    shown = {k: v for k, v in value.items() if k not in ("id", "school_id", "station_id", "staff_id") and v not in (None, "")}
    return json.dumps(shown, ensure_ascii=False, sort_keys=True)[:80]


def sync_problems(settings=None, limit: int = 200) -> SyncProblems:
    """Newest first; at most `limit` of each."""
    from kiosk.sync.worker import sync_state

    state = sync_state(settings)
    dead = tuple(DeadLetterView(at=row.at, table=row.table, row_id=row.row_id, reason=row.reason)
                 for row in SyncDeadLetter.select().order_by(SyncDeadLetter.id.desc()).limit(limit))
    conflicts = tuple(ConflictView(at=row.at, kind=row.kind, table=row.table, row_id=row.row_id, station_id=row.station_id,
                                   other_station_id=row.other_station_id, kept=_summary(row.detail.get("kept")),
                                   lost=_summary(row.detail.get("lost")))
                      for row in SyncConflict.select().order_by(SyncConflict.server_seq.desc()).limit(limit))
    return SyncProblems(pending=state.pending, last_success=state.last_success, dead_letters=dead, conflicts=conflicts)
