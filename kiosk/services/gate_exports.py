"""The gate's records as tables for files: the visitor register (the paper register's columns, masked IDs, the
remarks an inspector reads), the evacuation list of who is on site now, and the night patrols. Also the labels a
visit's category and a patrol's place show under, shared by the gate's screens and these exports."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from kiosk.config import Settings


def _bounds(settings: Settings, start: date | None, end: date | None) -> tuple[datetime, datetime]:
    from kiosk.commands import day_range_utc

    return day_range_utc(start, end, ZoneInfo(settings.school.timezone))


def category_label(category: str) -> str:
    from kiosk.i18n import t

    return t(f"gate.category_{category}")


def _watch_remark(decision) -> str:
    """A watchlist decision as the register's remark: who let a listed visitor in, on what ground."""
    from kiosk.i18n import t

    level = t(f"gate.level_{decision.level}")
    if decision.decision == "allow":
        return t("gate.remark_watch_allowed", level=level, approver=decision.approver_name or "-",
                 reason=decision.reason or "-")
    return t("gate.remark_watch_refused", level=level, reason=decision.reason or "-")


def _visit_rows(views, zone: ZoneInfo, *, with_status: bool = True,
                decisions: dict[str, list] | None = None) -> list[list[object]]:
    from kiosk.i18n import t

    rows = []
    for v in views:
        time_in = v.time_in.astimezone(zone)
        time_out = v.time_out.astimezone(zone).strftime("%H:%M") if v.time_out else ""
        if v.time_out and v.time_out.astimezone(zone).date() != time_in.date():
            time_out = v.time_out.astimezone(zone).strftime("%m-%d %H:%M")
        remarks = []
        if v.status == "refused":
            remarks.append(t("gate.status_refused"))
        remarks.extend(_watch_remark(d) for d in (decisions or {}).get(v.id, ()))
        if v.night:
            remarks.append(t("gate.remark_night", leader=v.duty_leader))
        if v.overstay_minutes:
            remarks.append(t("gate.remark_overstay", minutes=v.overstay_minutes))
        if v.purged:
            remarks.append(t("gate.remark_purged"))
        unit = category_label(v.category) + (f" / {v.unit}" if v.unit else "")
        companions = str(v.companions) + (f" ({v.companion_names})" if v.companion_names else "") if v.companions else ""
        row = [time_in.strftime("%Y-%m-%d"), time_in.strftime("%H:%M"), time_out, v.name, v.id_masked, v.phone, unit,
               v.reason, v.host_name, companions, v.vehicle_plate, v.gatekeeper]
        if with_status:
            row.append("; ".join(remarks))
        rows.append(row)
    return rows


REGISTER_HEADERS = ("col_date", "col_time_in", "col_time_out", "col_name", "col_id", "col_phone", "col_unit",
                    "col_reason", "col_host", "col_companions", "col_vehicle", "col_gatekeeper", "col_remarks")


def export_visits(settings: Settings, start: date | None, end: date | None):
    from kiosk import clock
    from kiosk.i18n import t
    from kiosk.models.visitors import Visit, WatchlistDecision
    from kiosk.services.exports import Table
    from kiosk.services.visitors import _views

    low, high = _bounds(settings, start, end)
    visits = list(Visit.select().where((Visit.school_id == settings.school.id) & (Visit.time_in >= low)
                                       & (Visit.time_in < high)).order_by(Visit.time_in))
    views = _views(visits, clock.now())
    decisions: dict[str, list] = {}
    ids = [v.id for v in visits]
    for start_at in range(0, len(ids), 500):  # bounded IN lists
        for decision in WatchlistDecision.select().where(WatchlistDecision.visit_id.in_(ids[start_at:start_at + 500])):
            decisions.setdefault(decision.visit_id, []).append(decision)
    return Table(t("gate.export_visits_title"), [t(f"gate.{key}") for key in REGISTER_HEADERS],
                 _visit_rows(views, ZoneInfo(settings.school.timezone), decisions=decisions))


def export_onsite(settings: Settings, start: date | None = None, end: date | None = None):
    """The evacuation list: everyone on campus now (dates are ignored)."""
    from kiosk.i18n import t
    from kiosk.services.exports import Table
    from kiosk.services.visitors import onsite

    zone = ZoneInfo(settings.school.timezone)
    rows = []
    for v in onsite(settings.school.id):
        leave = v.expected_leave_at.astimezone(zone).strftime("%m-%d %H:%M") if v.expected_leave_at else ""
        rows.append([v.name, v.id_masked, v.phone, category_label(v.category), v.host_name, v.companions,
                     v.time_in.astimezone(zone).strftime("%m-%d %H:%M"), leave,
                     t("gate.remark_overstay", minutes=v.overstay_minutes) if v.overstay_minutes else "", v.code])
    headers = [t(f"gate.{key}") for key in ("col_name", "col_id", "col_phone", "col_category", "col_host",
                                             "col_companions", "col_time_in", "col_expected_leave", "col_remarks",
                                             "col_code")]
    return Table(t("gate.export_onsite_title"), headers, rows)


def export_patrols(settings: Settings, start: date | None, end: date | None):
    from kiosk.i18n import t
    from kiosk.services.exports import Table
    from kiosk.services.gate_shift import patrols

    zone = ZoneInfo(settings.school.timezone)
    low, high = _bounds(settings, start, end)
    rows = []
    for p in reversed(patrols(settings.school.id, low, high)):
        at = p.at.astimezone(zone)
        rows.append([at.strftime("%Y-%m-%d"), at.strftime("%H:%M"), place_label(p.place), p.findings,
                     t("gate.patrol_clear") if p.all_clear else t("gate.patrol_not_clear"), p.staff_name])
    headers = [t(f"gate.{key}") for key in ("col_date", "col_time", "col_place", "col_findings", "col_result",
                                             "col_gatekeeper")]
    return Table(t("gate.export_patrols_title"), headers, rows)


def place_label(place: str) -> str:
    from kiosk.i18n import t
    from kiosk.services.gate_shift import PATROL_PLACES

    return t(f"gate.place_{place}") if place in PATROL_PLACES else place


@dataclass(frozen=True)
class EvacuationList:
    path: str
    count: int


def write_evacuation_list(settings: Settings, zone: ZoneInfo) -> EvacuationList:
    """Write everyone on campus now as a CSV in the station's export folder (F7 on the on-site screen).
    A full disk or a folder that cannot be written is the staff's to fix: GateError says what to do."""
    from kiosk import clock, paths
    from kiosk.labels.printers import os_reason
    from kiosk.services.exports import write_table
    from kiosk.services.visitors import GateError

    stamp = clock.now().astimezone(zone).strftime("%Y%m%d-%H%M%S")
    folder = paths.data_dir() / "exports"
    path = folder / f"evacuation-{stamp}.csv"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        count = write_table(export_onsite(settings), path, "csv")
    except OSError as error:
        raise GateError("evacuation_failed", error=os_reason(error)) from None
    return EvacuationList(str(path), count)
