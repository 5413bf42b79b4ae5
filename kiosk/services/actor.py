"""Who is doing something, and where: every fact records station, staff and time."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    school_id: str
    station_id: str
    staff_id: str | None = None  # None for system jobs (daily purge, sync)
    staff_number: str = ""
    staff_name: str = ""
    roles: frozenset[str] = frozenset()

    def has_role(self, *roles: str) -> bool:
        return "admin" in self.roles or any(role in self.roles for role in roles)


def system_actor(school_id: str) -> Actor:
    from kiosk.db import ensure_station_identity

    return Actor(school_id=school_id, station_id=ensure_station_identity(), staff_name="system")
