"""Read-only questions other stations ask about slips and crossings (the dorm's "who is out tonight").

No rules here, only queries; each returns frozen dataclasses, never peewee rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kiosk.models import database_proxy
from kiosk.models.base import UtcDateTimeField, utc_text

_OUT_SQL = """
SELECT c.student_id, c.kind, c.slip_id, c.exception_id, c.at, c.return_by
FROM gate_crossing c
WHERE c.school_id = ? AND c.direction = 'exit' AND c.kind IN ('slip', 'verbal_exception') AND c.at <= ?
  AND NOT EXISTS (SELECT 1 FROM gate_crossing r
                  WHERE r.student_id = c.student_id AND r.direction = 'return' AND r.at > c.at AND r.at <= ?)
  AND NOT EXISTS (SELECT 1 FROM gate_crossing e
                  WHERE e.student_id = c.student_id AND e.direction = 'exit'
                    AND e.kind IN ('slip', 'verbal_exception') AND e.at > c.at AND e.at <= ?)
ORDER BY c.at
"""


@dataclass(frozen=True)
class OutOnLeave:
    student_id: str
    kind: str  # slip | verbal_exception
    slip_id: str | None
    exception_id: str | None
    exited_at: datetime
    return_by: datetime | None  # None for a verbal exception (no deadline was signed)
    overdue: bool  # return_by passed as of the time asked


def students_out(school_id: str, at: datetime) -> list[OutOnLeave]:
    """Students who exited on a slip (or a recorded verbal exception) at or before `at` and had not returned by `at`."""
    stamp = utc_text(at)
    field = UtcDateTimeField()
    rows = database_proxy.execute_sql(_OUT_SQL, (school_id, stamp, stamp, stamp)).fetchall()
    result = []
    for student_id, kind, slip_id, exception_id, exited, return_by in rows:
        deadline = field.python_value(return_by)
        result.append(OutOnLeave(student_id, kind, slip_id, exception_id, field.python_value(exited), deadline,
                                 deadline is not None and at > deadline))
    return result
