"""Station names: a station records what it calls itself; screens show names instead of station ids."""
from __future__ import annotations

from kiosk import clock
from kiosk.config import Settings
from kiosk.i18n import Msg
from kiosk.models.stations import StationInfo
from kiosk.services.actor import Actor
from kiosk.services.facts import record


def announce_station(settings: Settings, station_id: str) -> bool:
    """Record this station's name and kind if they are new or changed (at start-up); True if written."""
    name, kind = settings.station.name.strip()[:60], settings.station.kind
    row = StationInfo.get_or_none(StationInfo.id == station_id)
    if row is not None and (row.name, row.kind) == (name, kind):
        return False
    actor = Actor(school_id=settings.school.id, station_id=station_id, staff_name="system")
    with record(actor, "station.announce", entity="station", entity_id=station_id,
                detail={"name": name, "kind": kind}) as w:
        if row is None:
            w.insert(StationInfo(id=station_id, school_id=settings.school.id, name=name, kind=kind,
                                 updated_at=clock.now()))
        else:
            row.name, row.kind, row.updated_at = name, kind, clock.now()
            w.update(row)
    return True


def station_names(school_id: str) -> dict[str, str | Msg]:
    """Station id -> how to show it: its name, else its kind and the id's tail (for stations without a name,
    translated when shown)."""
    return {row.id: row.name or Msg("core.station_unnamed", kind=Msg(f"core.station_{row.kind}"), tail=row.id[-4:])
            for row in StationInfo.select().where(StationInfo.school_id == school_id)}


def station_label(names: dict[str, str | Msg], station_id: str) -> str | Msg:
    """A station for people: its name when known here (after sync), else its id."""
    return names.get(station_id, station_id)
