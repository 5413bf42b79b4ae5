"""Tonight's headcount round of a building: opened (or found) for the night, and shown as a RoundView, every
room reconciled with the gate as of now. Marking rooms and students: kiosk.services.headcount_counting; the
signed record: kiosk.services.headcount_submit."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Mapping
from zoneinfo import ZoneInfo

from kiosk import clock
from kiosk.models import Building, Staff
from kiosk.models.dorm import HeadcountRound
from kiosk.services import headcount_rules as rules
from kiosk.services.actor import Actor
from kiosk.services.facts import record
from kiosk.services.headcount_common import Contact, HeadcountError, contacts, require_login
from kiosk.services.headcount_facts import reconcile
from kiosk.services.headcount_incidents import open_incident_count


@dataclass(frozen=True)
class RoundView:
    round_id: str
    building_id: str
    building_name: str
    night: date
    seq: int
    started_at: datetime
    started_by: str
    submitted_at: datetime | None
    submitted_name: str
    summary_hash: str
    rooms: tuple[rules.RoomResult, ...]
    totals: rules.BuildingTotals
    open_incidents: int
    as_of: datetime
    contacts: Mapping[str, Contact] = field(default_factory=dict)  # students out on a slip: who to call

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None

    def room(self, room_id: str) -> rules.RoomResult:
        for room in self.rooms:
            if room.room_id == room_id:
                return room
        raise HeadcountError("dorm.err_room_unknown")


def get_round(round_id: str) -> HeadcountRound:
    """The round's row (services only: screens get RoundView)."""
    row = HeadcountRound.get_or_none(HeadcountRound.id == round_id)
    if row is None:
        raise HeadcountError("dorm.err_round_unknown")
    return row


def unsubmitted_round(round_id: str) -> HeadcountRound:
    """The round's row, refused once submitted: a signed record is never changed."""
    row = get_round(round_id)
    if row.submitted_at is not None:
        raise HeadcountError("dorm.err_round_submitted")
    return row


def round_view(round_id: str, now: datetime | None = None) -> RoundView:
    now = now or clock.now()
    row = get_round(round_id)
    night = date.fromisoformat(row.night)
    rooms = reconcile(row.building_id, night, now, row.id)
    starter = Staff.get_or_none(Staff.id == row.staff_id)
    out_on_slips = [a.student_id for room in rooms for a in room.expected_absent if a.reason in ("on_leave", rules.OVERDUE)]
    return RoundView(
        round_id=row.id, building_id=row.building_id, building_name=row.building.name, night=night, seq=row.seq,
        started_at=row.started_at, started_by=starter.name if starter else "", submitted_at=row.submitted_at,
        submitted_name=row.submitted_name, summary_hash=row.summary_hash, rooms=rooms, totals=rules.totals(rooms),
        open_incidents=open_incident_count(row.school_id), as_of=now,
        contacts=contacts(row.school_id, out_on_slips))


def open_headcount(actor: Actor, building_id: str, zone: ZoneInfo, *, new_round: bool = False) -> RoundView:
    """Tonight's round for the building: the open one; else the last submitted one; a new round is started
    when there is none yet tonight, or when `new_round` is asked for after a submission."""
    require_login(actor)
    now = clock.now()
    night = rules.night_of(now, zone).isoformat()
    building = Building.get_or_none((Building.id == building_id) & (Building.school_id == actor.school_id))
    if building is None:
        raise HeadcountError("dorm.err_building_unknown", name=building_id)
    rounds = list(HeadcountRound.select().where((HeadcountRound.building == building_id) & (HeadcountRound.night == night))
                  .order_by(HeadcountRound.seq))
    current = next((r for r in reversed(rounds) if r.submitted_at is None), None)
    if current is None and rounds and not new_round:
        return round_view(rounds[-1].id, now)  # tonight's submitted round; a new round only when asked
    if current is None or new_round:
        if current is not None:
            raise HeadcountError("dorm.err_round_still_open")
        seq = (rounds[-1].seq + 1) if rounds else 1
        current = HeadcountRound(recorded_at=now, building=building_id, night=night, seq=seq, started_at=now)
        with record(actor, "dorm.round_open", entity="headcount_round", entity_id=current.id,
                    detail={"building": building.name, "night": night, "seq": seq}) as w:
            w.insert(current)
    return round_view(current.id, now)


def current_round_id(building_id: str, zone: ZoneInfo) -> str | None:
    night = rules.night_of(clock.now(), zone).isoformat()
    row = (HeadcountRound.select(HeadcountRound.id)
           .where((HeadcountRound.building == building_id) & (HeadcountRound.night == night)
                  & HeadcountRound.submitted_at.is_null())
           .order_by(HeadcountRound.seq.desc()).first())
    return row.id if row else None
