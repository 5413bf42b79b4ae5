"""Time limits on a station's connection to central (issue 13): what they are and how libpq gets them.

Without them a stall waits forever: libpq has no connect timeout by default, and PostgreSQL's statement,
lock and idle-in-transaction limits default to 0. The values come from the `[sync]` settings.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Seconds; see kiosk.config.SyncSettings for what each bounds."""
    connect_timeout: int = 10
    statement_timeout: float = 30.0
    lock_timeout: float = 20.0
    idle_in_transaction: float = 15.0
    keepalive_idle: int = 10
    keepalive_interval: int = 5
    keepalive_count: int = 3

    @classmethod
    def from_settings(cls, sync) -> "Limits":
        return cls(connect_timeout=sync.connect_timeout_seconds, statement_timeout=sync.statement_timeout_seconds,
                   lock_timeout=sync.lock_timeout_seconds, idle_in_transaction=sync.idle_in_transaction_seconds,
                   keepalive_idle=sync.keepalive_idle_seconds, keepalive_interval=sync.keepalive_interval_seconds,
                   keepalive_count=sync.keepalive_count)

    def connect_params(self) -> dict:
        """libpq parameters: client-side connect timeout and TCP keepalives, and the server-side limits as
        session settings (`options`), so they hold for any role, a station's own or an administrator's."""
        def ms(seconds: float) -> int:
            return max(1, int(seconds * 1000))

        return {
            "connect_timeout": max(1, int(self.connect_timeout)),
            "keepalives": 1,
            "keepalives_idle": self.keepalive_idle,
            "keepalives_interval": self.keepalive_interval,
            "keepalives_count": self.keepalive_count,
            "options": f"-c statement_timeout={ms(self.statement_timeout)} -c lock_timeout={ms(self.lock_timeout)} "
                       f"-c idle_in_transaction_session_timeout={ms(self.idle_in_transaction)}",
        }
