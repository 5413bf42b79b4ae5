"""A round submitted as a signed record: the summary payload (who, when, counts and names per room), its hash,
the submission (the logged-in supervisor's PIN) and the check that nobody edited the stored record since."""
from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import datetime

from kiosk import clock
from kiosk.models.base import utc_text
from kiosk.models.dorm import HeadcountRound, Incident
from kiosk.services import headcount_rules as rules
from kiosk.services.actor import Actor
from kiosk.services.auth import StaffSession
from kiosk.services.facts import record
from kiosk.services.headcount_common import HeadcountError, current_staff, require_login, short_code_of
from kiosk.services.headcount_rounds import RoundView, get_round, round_view, unsubmitted_round


def summary_payload(view: RoundView, actor: Actor, at: datetime) -> dict:
    """The signed record: who, when, where, and per room expected / present / absent by reason with names."""
    open_ids = [i.id for i in Incident.select(Incident.id).where(
        (Incident.round == view.round_id) & Incident.closed_at.is_null())]
    rooms = []
    for room in view.rooms:
        rooms.append({
            "room": room.number,
            "residents": room.residents,
            "expected": room.expected_count,
            "present": room.present_count,
            "absent": room.absent_by_reason(),
            "expected_absent": [
                {"number": a.number, "name": a.name, "class": a.class_name, "reason": a.reason, "slip": a.slip_code,
                 "exited_at": utc_text(a.exited_at) if a.exited_at else "", "note": a.note,
                 **({"return_due": utc_text(a.return_due), "minutes_late": a.minutes_late,
                     "whereabouts": a.whereabouts, **{f"incident_{k}": v for k, v in
                                                       resolution_fields(a.resolution).items()}}
                    if a.reason == rules.OVERDUE else {})}
                for a in room.expected_absent],
            "absent_students": [{"number": l.number, "name": l.name, "reason": l.reason, "note": l.note,
                                 **resolution_fields(l.resolution)} for l in room.absent],
            "guests": [g.name for g in room.guests],
            "extras": [e.name for e in room.extras],
            "disagreements": [{"number": d.number, "name": d.name, "kind": d.kind, "slip": short_code_of(d.slip_id),
                               "at": utc_text(d.at) if d.at else ""} for d in room.disagreements],
        })
    totals = view.totals
    return {
        "round_id": view.round_id, "building": view.building_name, "night": view.night.isoformat(), "seq": view.seq,
        "started_at": utc_text(view.started_at), "submitted_at": utc_text(at), "station_id": actor.station_id,
        "staff_id": actor.staff_id, "staff_number": actor.staff_number, "staff_name": actor.staff_name,
        "totals": {"rooms": totals.rooms, "residents": totals.residents, "expected": totals.expected,
                   "present": totals.present, "guests": totals.guests, "extras": totals.extras,
                   "disagreements": totals.disagreements, "absent": dict(totals.absent)},
        "rooms": rooms, "open_incidents": open_ids,
    }


def resolution_fields(resolution: rules.Resolution | None) -> dict:
    if resolution is None:
        return {}
    return {"whereabouts": resolution.whereabouts, "confirmed_by": resolution.confirmed_name,
            "closed_at": utc_text(resolution.closed_at)}


def summary_hash(payload: dict) -> str:
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def submit_round(actor: Actor, round_id: str, signer: StaffSession) -> RoundView:
    """Submit the round as a signed record (the logged-in supervisor confirms with their PIN: `signer`).
    Open incidents stay open. Every expected student must be marked first; the submitted round is never
    changed afterwards (a later round the same night is a new record)."""
    require_login(actor)
    now = clock.now()
    row = unsubmitted_round(round_id)
    if signer.staff_id != actor.staff_id:
        raise HeadcountError("dorm.err_signer")
    current_staff(signer)
    view = round_view(round_id, now)
    if view.totals.unmarked:
        raise HeadcountError("dorm.err_unmarked", count=view.totals.unmarked)
    payload = summary_payload(view, actor, now)
    digest = summary_hash(payload)
    row.submitted_at, row.submitted_by, row.submitted_name = now, actor.staff_id, actor.staff_name
    row.summary, row.summary_hash = payload, digest
    with record(actor, "dorm.round_submit", entity="headcount_round", entity_id=row.id,
                detail={"building": view.building_name, "night": view.night.isoformat(), "seq": view.seq,
                        "hash": digest, "expected": view.totals.expected, "present": view.totals.present,
                        "open_incidents": len(payload["open_incidents"])}) as w:
        w.update(row, HeadcountRound.submitted_at, HeadcountRound.submitted_by, HeadcountRound.submitted_name,
                 HeadcountRound.summary, HeadcountRound.summary_hash)
    return replace(view, submitted_at=now, submitted_name=actor.staff_name, summary_hash=digest)


def verify_summary(round_id: str) -> bool:
    """True when the submitted summary still matches its hash (nobody edited the stored record)."""
    row = get_round(round_id)
    return row.summary is not None and summary_hash(row.summary) == row.summary_hash
