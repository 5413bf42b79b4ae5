"""What a running station knows: its settings, its identity and who is logged in."""
from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from kiosk.config import Settings
from kiosk.services.actor import Actor
from kiosk.services.auth import StaffSession


@dataclass
class KioskContext:
    settings: Settings
    station_id: str
    session: StaffSession | None = None

    @property
    def school_id(self) -> str:
        return self.settings.school.id

    @property
    def station_kind(self) -> str:
        return self.settings.station.kind

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.school.timezone)

    def actor(self) -> Actor:
        """The logged-in staff member at this station, for the write path."""
        session = self.session
        if session is None:
            return Actor(school_id=self.school_id, station_id=self.station_id)
        return Actor(school_id=self.school_id, station_id=self.station_id, staff_id=session.staff_id,
                     staff_number=session.number, staff_name=session.name, roles=session.roles)
