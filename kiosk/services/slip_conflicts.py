"""Slip conflicts a person must review (SYNC.md, "Conflicts"): what two gates did while offline.

- double_use: one slip used twice in one direction (two exits, or two returns), typically at two gates
  that were both offline. The earliest crossing by (at, station_id) stands; each later one is a conflict.
- after_revocation: a slip crossing that did not happen before the slip's revocation (the gate had not pulled
  the revocation yet, so it could not know). Decided by causal (HLC) order, not by wall clocks: a gate's HLC
  has received every stamp it pulled, so a crossing stamped below the revocation's stamp was written before
  the gate could know of it. The HLC still follows the gate's wall clock between syncs, so when the crossing's
  own stamp shows that clock was off (its HLC ran ahead of its wall clock: it had seen later times than its
  clock said), the order is unknown and the crossing is listed, marked `clock_off`: a gate 10 minutes slow
  and offline used to hide an exit on a revoked slip. Rows not stamped yet (still pending here) fall back to
  wall-clock order.

Conflicts are derived from the synced facts (gate_crossing, slip_revocation), never stored, so every station
computes the same list once it has the same rows. A review (kiosk.models.slip_review) is a fact: who looked,
where, when, with a note. `find_conflicts` is pure; the rest reads or writes the database.
"""
from __future__ import annotations

import threading

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from kiosk import clock
from kiosk.ids import new_id
from kiosk.i18n import UserError
from kiosk.models import Staff, Student, database_proxy
from kiosk.models.base import UtcDateTimeField
from kiosk.models.slip_review import SlipConflictReview
from kiosk.models.slips import SlipRevocation
from kiosk.services import acting_roles
from kiosk.services.actor import Actor
from kiosk.services.facts import record
from kiosk.services.names import clean_text

DOUBLE_USE, AFTER_REVOCATION = "double_use", "after_revocation"
REVIEW_ROLES = frozenset({"head_teacher", "discipline", "principal", "duty_leader"})


# ---------------------------------------------------------------- pure rule


@dataclass(frozen=True)
class CrossingFact:
    id: str
    slip_id: str
    student_id: str
    direction: str  # exit | return
    at: datetime
    station_id: str
    staff_id: str | None = None
    hlc: int | None = None  # its sync stamp (None while not pushed yet)

    @property
    def clock_off(self) -> bool:
        """The gate's own stamp says its wall clock was off when it wrote this (see the module notes)."""
        from kiosk.sync.hlc import SUSPECT_MS, physical_ms, to_ms

        return self.hlc is not None and abs(physical_ms(self.hlc) - to_ms(self.at)) > SUSPECT_MS


@dataclass(frozen=True)
class RevocationFact:
    slip_id: str
    at: datetime  # when the office revoked it
    station_id: str
    hlc: int | None = None


@dataclass(frozen=True)
class SlipConflict:
    kind: str  # double_use | after_revocation
    slip_id: str
    student_id: str
    conflicting: CrossingFact
    standing: CrossingFact | None  # double_use: the crossing that stands
    revocation: RevocationFact | None  # after_revocation: the (first) revocation

    @property
    def key(self) -> tuple[str, str]:
        return self.kind, self.conflicting.id


def _order(c: CrossingFact) -> tuple[datetime, str, str]:
    return c.at, c.station_id, c.id


def happened_before(crossing: CrossingFact, revocation: RevocationFact) -> bool:
    """Did the crossing happen before the revocation, as far as the facts can tell? (see the module notes)"""
    if crossing.hlc is None or revocation.hlc is None:
        return crossing.at <= revocation.at
    return crossing.hlc < revocation.hlc and not crossing.clock_off


def find_conflicts(crossings: Iterable[CrossingFact], revocations: Iterable[RevocationFact]) -> list[SlipConflict]:
    """Every slip conflict in these facts, ordered by the conflicting crossing's (at, station_id)."""
    first_revocation: dict[str, RevocationFact] = {}
    for r in revocations:
        known = first_revocation.get(r.slip_id)
        if known is None or (r.at, r.station_id) < (known.at, known.station_id):
            first_revocation[r.slip_id] = r
    groups: dict[tuple[str, str], list[CrossingFact]] = {}
    for c in crossings:
        groups.setdefault((c.slip_id, c.direction), []).append(c)
    found: list[SlipConflict] = []
    for group in groups.values():
        group.sort(key=_order)
        standing = group[0]
        for later in group[1:]:
            found.append(SlipConflict(DOUBLE_USE, later.slip_id, later.student_id, later, standing, None))
        for c in group:
            revocation = first_revocation.get(c.slip_id)
            if revocation is not None and not happened_before(c, revocation):
                found.append(SlipConflict(AFTER_REVOCATION, c.slip_id, c.student_id, c, None, revocation))
    found.sort(key=lambda conflict: (_order(conflict.conflicting), conflict.kind))
    return found


# ---------------------------------------------------------------- reading the database

# Only slips that can hold a conflict: used twice in one direction, or revoked. The inner GROUP BY reads
# only the covering index gate_crossing(slip_id, direction) (slip ids are UUIDs, unique across schools; the
# outer query filters the school): about 0.6 s over 2 million crossings on this machine, 4x faster than
# filtering school and kind inside, which needs a table lookup per row.
# `+c.school_id`: keeps SQLite off the school_id indexes (every crossing of the school, 4.7 s at 6 M crossings)
# so it searches by slip id (the few slips used twice or revoked, 0.05 s); same rows either way.
_CANDIDATES_SQL = """
SELECT c.id, c.slip_id, c.student_id, c.direction, c.at, c.station_id, c.staff_id FROM gate_crossing c
WHERE +c.school_id = ? AND c.kind = 'slip' AND c.slip_id IN (
    SELECT d.slip_id FROM gate_crossing d WHERE d.slip_id IS NOT NULL
    GROUP BY d.slip_id, d.direction HAVING COUNT(*) > 1
    UNION SELECT r.slip_id FROM slip_revocation r WHERE r.school_id = ?)
"""


@dataclass(frozen=True)
class ConflictRow:
    """One conflict as the office screen shows it."""

    kind: str
    slip_id: str
    crossing_id: str
    student_number: str
    student_name: str
    class_name: str
    direction: str
    at: datetime  # the conflicting crossing
    station_id: str
    gatekeeper: str
    standing_at: datetime | None  # double_use: the crossing that stands
    standing_station_id: str
    revoked_at: datetime | None  # after_revocation
    clock_off: bool  # the gate's clock was off when it wrote the crossing: its time is not to be trusted
    reviewed_at: datetime | None
    reviewed_by: str
    review_note: str


def _stamps(table: str, row_ids: list[str]) -> dict[str, int]:
    """The sync stamps of these rows: central's version as pulled, else our own as pushed (outbox)."""
    found: dict[str, int] = {}
    for start in range(0, len(row_ids), 500):
        chunk = row_ids[start:start + 500]
        marks = ",".join("?" for _ in chunk)
        for row_id, stamp in database_proxy.execute_sql(
                f'SELECT "row_id", min("hlc") FROM "outbox" WHERE "table_name" = ? AND "hlc" IS NOT NULL '
                f'AND "row_id" IN ({marks}) GROUP BY "row_id"', [table, *chunk]):
            found[row_id] = stamp
        for row_id, stamp in database_proxy.execute_sql(
                f'SELECT "row_id", "hlc" FROM "sync_row_version" WHERE "table_name" = ? AND "row_id" IN ({marks})',
                [table, *chunk]):
            found.setdefault(row_id, stamp)
    return found


def load_facts(school_id: str) -> tuple[list[CrossingFact], list[RevocationFact]]:
    field = UtcDateTimeField()
    rows = database_proxy.execute_sql(_CANDIDATES_SQL, (school_id, school_id)).fetchall()
    crossing_stamps = _stamps("gate_crossing", [row[0] for row in rows])
    crossings = [CrossingFact(id_, slip_id, student_id, direction, field.python_value(at), station_id, staff_id,
                              crossing_stamps.get(id_))
                 for id_, slip_id, student_id, direction, at, station_id, staff_id in rows]
    slips = {c.slip_id for c in crossings}
    found = list(SlipRevocation.select(SlipRevocation.id, SlipRevocation.slip, SlipRevocation.recorded_at,
                                       SlipRevocation.station_id)
                 .where((SlipRevocation.school_id == school_id) & SlipRevocation.slip.in_(list(slips)))) if slips else []
    revocation_stamps = _stamps("slip_revocation", [r.id for r in found])
    revocations = [RevocationFact(r.slip_id, r.recorded_at, r.station_id, revocation_stamps.get(r.id)) for r in found]
    return crossings, revocations


def _reviews(school_id: str, crossing_ids: list[str]) -> dict[tuple[str, str], SlipConflictReview]:
    if not crossing_ids:
        return {}
    found = {}
    for review in (SlipConflictReview.select().where((SlipConflictReview.school_id == school_id)
                                                     & SlipConflictReview.crossing_id.in_(crossing_ids))
                   .order_by(SlipConflictReview.recorded_at)):
        found.setdefault((review.kind, review.crossing_id), review)  # the first review counts
    return found


def slip_conflicts(school_id: str, *, include_reviewed: bool = False) -> list[ConflictRow]:
    """The school's slip conflicts (unreviewed only unless asked), oldest first."""
    conflicts = find_conflicts(*load_facts(school_id))
    if not conflicts:
        return []
    reviews = _reviews(school_id, sorted({c.conflicting.id for c in conflicts}))
    if not include_reviewed:
        conflicts = [c for c in conflicts if c.key not in reviews]
    students = {s.id: s for s in Student.select().where(Student.id.in_(list({c.student_id for c in conflicts})))}
    staff_ids = {c.conflicting.staff_id for c in conflicts} | {r.staff_id for r in reviews.values()}
    names = {s.id: s.name for s in Staff.select(Staff.id, Staff.name).where(Staff.id.in_([i for i in staff_ids if i]))}
    rows = []
    for c in conflicts:
        student = students.get(c.student_id)
        review = reviews.get(c.key)
        rows.append(ConflictRow(
            kind=c.kind, slip_id=c.slip_id, crossing_id=c.conflicting.id,
            student_number=student.number if student else "", student_name=student.name if student else "",
            class_name=student.class_name if student else "", direction=c.conflicting.direction,
            at=c.conflicting.at, station_id=c.conflicting.station_id, gatekeeper=names.get(c.conflicting.staff_id, ""),
            standing_at=c.standing.at if c.standing else None,
            standing_station_id=c.standing.station_id if c.standing else "",
            revoked_at=c.revocation.at if c.revocation else None, clock_off=c.conflicting.clock_off,
            reviewed_at=review.recorded_at if review else None,
            reviewed_by=names.get(review.staff_id, "") if review else "", review_note=review.note if review else ""))
    return rows


_count_cache: dict[tuple[str, str], tuple[tuple, int]] = {}
_count_lock = threading.Lock()


def _facts_fingerprint() -> tuple:
    """Changes whenever a crossing, revocation or review is added. All three are append-only facts
    (sync applies pulled rows by insert, or in place with the same content), so MAX(rowid) is enough."""
    row = database_proxy.execute_sql(
        'SELECT (SELECT MAX(rowid) FROM gate_crossing), (SELECT MAX(rowid) FROM slip_revocation), '
        '(SELECT MAX(rowid) FROM slip_conflict_review)').fetchone()
    return tuple(row)


def unreviewed_count(school_id: str) -> int:
    """How many conflicts wait for review. The status bar asks every few seconds and the full check reads
    every crossing (0.6 s at 2 million), so it is recomputed only when the facts it reads have grown."""
    key = (str(getattr(database_proxy.obj, "database", "")), school_id)
    fingerprint = _facts_fingerprint()
    with _count_lock:
        cached = _count_cache.get(key)
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    count = len(slip_conflicts(school_id))
    with _count_lock:
        _count_cache[key] = (fingerprint, count)
    return count


# ---------------------------------------------------------------- review


class ConflictError(UserError):
    """A user error when reviewing a conflict. Nothing was changed."""


def may_review_for_class(actor: Actor, class_name: str) -> bool:
    """The discipline office reviews every class; a head teacher only their own (or a role above them)."""
    if actor.roles & (REVIEW_ROLES - {acting_roles.HEAD_TEACHER}):
        return True
    staff = Staff.get_or_none(Staff.id == actor.staff_id) if actor.staff_id else None
    return acting_roles.may_act_as_head_teacher(actor.roles, staff.class_name if staff else "", class_name)


def review_conflict(actor: Actor, kind: str, crossing_id: str, note: str) -> ConflictRow:
    """Mark one conflict reviewed with a note (who, where, when come from the actor and the clock)."""
    note = clean_text(note or "")[:200]
    if not note:
        raise ConflictError("slips.err_review_note")
    if not actor.has_role(*REVIEW_ROLES):
        raise ConflictError("slips.err_review_role")
    current = {(row.kind, row.crossing_id): row for row in slip_conflicts(actor.school_id, include_reviewed=True)}
    row = current.get((kind, crossing_id))
    if row is None:
        raise ConflictError("slips.err_unknown_conflict")
    if row.reviewed_at is not None:
        raise ConflictError("slips.err_already_reviewed")
    if not may_review_for_class(actor, row.class_name):
        raise ConflictError("slips.err_review_class", class_name=row.class_name)
    now = clock.now()
    review = SlipConflictReview(id=new_id(), school_id=actor.school_id, station_id=actor.station_id,
                                staff_id=actor.staff_id, recorded_at=now, kind=kind, crossing_id=crossing_id,
                                slip_id=row.slip_id, note=note)
    with record(actor, "slip.conflict_review", entity="slip_conflict_review", entity_id=review.id,
                detail={"kind": kind, "crossing": crossing_id, "slip": row.slip_id}, at=now) as w:
        w.insert(review)
    return next(r for r in slip_conflicts(actor.school_id, include_reviewed=True)
                if (r.kind, r.crossing_id) == (kind, crossing_id))
