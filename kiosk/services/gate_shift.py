"""Gate night patrol log and shift handover. Frozen dataclasses out; writes through the write path."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from kiosk import clock
from kiosk.models import Staff
from kiosk.models.visitors import PatrolRound, ShiftHandover
from kiosk.services.actor import Actor
from kiosk.services.auth import confirm_pin, find_staff
from kiosk.services.facts import audit_only, record
from kiosk.services.names import clean_text
from kiosk.services.visitors import GateError, onsite

PATROL_PLACES = ("main_gate", "teaching_building", "dorm_area", "canteen", "sports_ground", "fence", "car_park", "other")
HANDOVER_ROLES = frozenset({"gatekeeper", "admin"})


@dataclass(frozen=True)
class PatrolView:
    id: str
    at: datetime
    place: str
    findings: str
    all_clear: bool
    staff_name: str


def log_patrol(actor: Actor, place: str, findings: str, all_clear: bool) -> PatrolView:
    """One patrol check: where, what was found. A check that is not all clear needs findings."""
    place = clean_text(place)
    findings = clean_text(findings)
    if not place:
        raise GateError("patrol_place_required")
    if not all_clear and len(findings) < 2:
        raise GateError("patrol_findings_required")
    now = clock.now()
    row = PatrolRound(place=place, findings=findings, all_clear=all_clear)
    with record(actor, "gate.patrol", entity="patrol_round", entity_id=row.id,
                detail={"place": place, "all_clear": all_clear}, at=now) as w:
        w.insert(row)
    return PatrolView(row.id, now, place, findings, all_clear, actor.staff_name)


def patrols(school_id: str, start: datetime | None = None, end: datetime | None = None, limit: int | None = None) -> list[PatrolView]:
    query = PatrolRound.select().where(PatrolRound.school_id == school_id)
    if start is not None:
        query = query.where(PatrolRound.recorded_at >= start)
    if end is not None:
        query = query.where(PatrolRound.recorded_at < end)
    query = query.order_by(PatrolRound.recorded_at.desc())
    if limit:
        query = query.limit(limit)
    rows = list(query)
    ids = list({row.staff_id for row in rows if row.staff_id})
    names = {s.id: s.name for s in Staff.select(Staff.id, Staff.name).where(Staff.id.in_(ids))} if ids else {}
    return [PatrolView(r.id, r.recorded_at, r.place, r.findings, r.all_clear, names.get(r.staff_id or "", "")) for r in rows]


@dataclass(frozen=True)
class OpenItem:
    kind: str  # visitor | note
    text: str  # who, whose visitor, since when: the same in every language
    overstay_minutes: int = 0  # past the visit's expected end; words added when shown, in the language of the moment


@dataclass(frozen=True)
class HandoverView:
    id: str
    at: datetime
    outgoing_name: str
    incoming_name: str
    onsite_count: int
    open_items: tuple[OpenItem, ...]
    notes: str


def open_items(school_id: str, now: datetime | None = None, zone: ZoneInfo | None = None) -> list[OpenItem]:
    """What the outgoing gatekeeper hands over: every visitor still on site (overstayers marked)."""
    zone = zone or ZoneInfo("Asia/Shanghai")
    items = []
    for visit in onsite(school_id, now):
        since = visit.time_in.astimezone(zone).strftime('%m-%d %H:%M')
        items.append(OpenItem("visitor", f"{visit.name} ({visit.host_name}) {since}", visit.overstay_minutes))
    return items


def record_handover(actor: Actor, outgoing_pin: str, incoming_code: str, incoming_pin: str, notes: str,
                    zone: ZoneInfo | None = None) -> HandoverView:
    """交接班: the logged-in (outgoing) gatekeeper and the incoming one both confirm with their PIN.

    Nothing is recorded unless both PINs are right and the incoming person is another gatekeeper.
    """
    if actor.staff_id is None:
        raise GateError("handover_login_required")
    if not confirm_pin(actor.staff_id, outgoing_pin):
        audit_only(actor, "gate.handover_pin_failed", entity="staff", entity_id=actor.staff_id, detail={"who": "outgoing"})
        raise GateError("handover_outgoing_pin")
    incoming = find_staff(incoming_code, actor.school_id)
    if incoming is None or not incoming.active or not (incoming.role_set() & HANDOVER_ROLES):
        raise GateError("handover_incoming_unknown")
    if incoming.id == actor.staff_id:
        raise GateError("handover_same_person")
    if not confirm_pin(incoming.id, incoming_pin):
        audit_only(actor, "gate.handover_pin_failed", entity="staff", entity_id=incoming.id, detail={"who": "incoming"})
        raise GateError("handover_incoming_pin")
    now = clock.now()
    items = open_items(actor.school_id, now, zone)
    notes = clean_text(notes)
    row = ShiftHandover(outgoing_id=actor.staff_id, outgoing_name=actor.staff_name, incoming_id=incoming.id,
                        incoming_name=incoming.name, onsite_count=len(items),
                        open_items=[{"kind": i.kind, "text": i.text, "overstay_minutes": i.overstay_minutes}
                                    for i in items], notes=notes)
    with record(actor, "gate.handover", entity="shift_handover", entity_id=row.id,
                detail={"incoming": incoming.id, "onsite": len(items)}, at=now) as w:
        w.insert(row)
    return HandoverView(row.id, now, actor.staff_name, incoming.name, len(items), tuple(items), notes)


@dataclass(frozen=True)
class HandoverOutcome:
    """What the handover form does: the handover recorded with the incoming gatekeeper's session, or refused.
    A refusal comes back as data (not only raised) because the form must also empty both PINs and put the
    cursor on the field to fix (`refused.field_key`)."""

    done: HandoverView | None
    incoming_session: object | None
    refused: GateError | None


def hand_over(actor: Actor, outgoing_pin: str, incoming_code: str, incoming_pin: str, notes: str,
              zone: ZoneInfo | None = None) -> HandoverOutcome:
    from kiosk.services.auth import session_for

    try:
        done = record_handover(actor, outgoing_pin, incoming_code, incoming_pin, notes, zone)
    except GateError as error:
        return HandoverOutcome(None, None, error)
    return HandoverOutcome(done, session_for(find_staff(incoming_code, actor.school_id)), None)


def handovers(school_id: str, limit: int = 20) -> list[HandoverView]:
    rows = ShiftHandover.select().where(ShiftHandover.school_id == school_id).order_by(ShiftHandover.recorded_at.desc()).limit(limit)
    return [HandoverView(r.id, r.recorded_at, r.outgoing_name, r.incoming_name, r.onsite_count,
                         tuple(OpenItem(i["kind"], i["text"], int(i.get("overstay_minutes") or 0)) for i in r.open_items),
                         r.notes) for r in rows]
