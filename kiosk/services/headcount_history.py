"""Previous nights of a building (from the signed summaries) and the night report: each building's night as
signed, else as it stands, else the expected list (请假名单) computed as of lights-out."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from kiosk import clock
from kiosk.config import DormSettings
from kiosk.models import Student
from kiosk.models.dorm import HeadcountRound
from kiosk.services import headcount_rules as rules
from kiosk.services.actor import Actor
from kiosk.services.headcount_common import buildings, find_building
from kiosk.services.headcount_facts import reconcile, resolutions
from kiosk.services.headcount_rounds import RoundView, round_view
from kiosk.services.headcount_submit import resolution_fields, summary_payload


@dataclass(frozen=True)
class NightSummary:
    round_id: str
    building_name: str
    night: date
    seq: int
    submitted_at: datetime | None
    submitted_name: str
    expected: int
    present: int
    on_leave: int
    sick_bay: int
    with_parent: int
    other: int
    unknown: int
    guests: int
    disagreements: int
    overdue: int = 0


def _night_summary(row: HeadcountRound, view: RoundView | None = None) -> NightSummary:
    if row.summary is not None:
        totals = row.summary["totals"]
        absent = totals["absent"]
        expected, present, guests_n, disagreements = (totals["expected"], totals["present"], totals["guests"],
                                                      totals["disagreements"])
    else:
        view = view or round_view(row.id)
        absent = view.totals.absent
        expected, present, guests_n, disagreements = (view.totals.expected, view.totals.present, view.totals.guests,
                                                      view.totals.disagreements)
    return NightSummary(row.id, row.building.name, date.fromisoformat(row.night), row.seq, row.submitted_at,
                        row.submitted_name, expected, present, absent.get("on_leave", 0), absent.get("sick_bay", 0),
                        absent.get("with_parent", 0), absent.get("other", 0), absent.get("unknown", 0), guests_n,
                        disagreements, absent.get("overdue", 0))


def history(building_id: str, *, limit: int = 14, before: date | None = None) -> list[NightSummary]:
    """Previous nights' submitted rounds of a building, newest first."""
    query = (HeadcountRound.select().where((HeadcountRound.building == building_id)
                                           & HeadcountRound.submitted_at.is_null(False)))
    if before is not None:
        query = query.where(HeadcountRound.night < before.isoformat())
    rows = query.order_by(HeadcountRound.night.desc(), HeadcountRound.seq.desc()).limit(limit)
    return [_night_summary(row) for row in rows]


@dataclass(frozen=True)
class BuildingNight:
    building_name: str
    source: str  # submitted | open | computed
    round_id: str
    submitted_name: str
    submitted_at: datetime | None
    summary: dict  # same shape as a submitted summary
    summary_hash: str = ""  # the stored signature (submitted rounds)
    # Incidents of the round closed since (late changes update the incident, not the signed record), by number.
    resolved: dict = field(default_factory=dict)


def night_report(school_id: str, night: date, zone: ZoneInfo, dorm: DormSettings,
                 building: str | None = None) -> list[BuildingNight]:
    """Each building's night: the latest submitted round's signed summary, else the open round as it stands,
    else the expected list (请假名单) computed as of lights-out."""
    chosen = [find_building(school_id, building)] if building else buildings(school_id)
    result = []
    for info in chosen:
        rows = list(HeadcountRound.select().where((HeadcountRound.building == info.building_id)
                                                  & (HeadcountRound.night == night.isoformat()))
                    .order_by(HeadcountRound.seq.desc()))
        submitted = next((r for r in rows if r.submitted_at is not None), None)
        if submitted is not None:
            result.append(BuildingNight(info.name, "submitted", submitted.id, submitted.submitted_name,
                                        submitted.submitted_at, submitted.summary, submitted.summary_hash,
                                        _resolved_by_number(submitted.id)))
            continue
        now = clock.now()
        lights_out = _lights_out(night, zone, dorm)
        at = min(now, lights_out)
        actor = Actor(school_id=school_id, station_id="report")
        if rows:
            view = round_view(rows[0].id, at)
            result.append(BuildingNight(info.name, "open", rows[0].id, "", None, summary_payload(view, actor, at),
                                        resolved=_resolved_by_number(rows[0].id)))
        else:
            rooms = reconcile(info.building_id, night, at)
            view = RoundView("", info.building_id, info.name, night, 0, at, "", None, "", "", rooms,
                             rules.totals(rooms), 0, at)
            payload = summary_payload(view, actor, at)
            result.append(BuildingNight(info.name, "computed", "", "", None, payload))
    return result


def _resolved_by_number(round_id: str) -> dict:
    """Closed incidents of a round, keyed by student number, as plain data for the report."""
    found = resolutions(round_id)
    if not found:
        return {}
    numbers = dict(Student.select(Student.id, Student.number).where(Student.id.in_(list(found))).tuples())
    return {numbers[sid]: resolution_fields(res) for sid, res in found.items() if sid in numbers}


def _lights_out(night: date, zone: ZoneInfo, dorm: DormSettings) -> datetime:
    moment = dorm.lights_out_time
    local = datetime.combine(night, moment, zone)
    if moment.hour < 12:  # lights-out after midnight belongs to the next calendar day
        local += timedelta(days=1)
    return local.astimezone(ZoneInfo("UTC"))
