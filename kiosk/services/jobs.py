"""Daily jobs (retention purge and the like): each feature lists its own; they run once per school day."""
from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from kiosk import features
from kiosk.config import Settings
from kiosk.db import local_value, set_local_value

log = logging.getLogger(__name__)
LAST_RUN_KEY = "daily_jobs_last_day"


def run_daily_jobs_if_due(settings: Settings, now: datetime) -> list[str]:
    """Run every feature's daily jobs unless they already ran on this school day; returns the names run.

    A job that fails is logged and the others still run; the day is marked done only if all succeeded,
    so a failed purge is retried at the next check.
    """
    today = now.astimezone(ZoneInfo(settings.school.timezone)).date().isoformat()
    if local_value(LAST_RUN_KEY) == today:
        return []
    ran, failed = [], False
    for feature in features.loaded():
        for job in feature.daily_jobs:
            try:
                job(settings)
                ran.append(f"{feature.name}.{job.__name__}")
            except Exception:
                failed = True
                log.exception("daily job %s failed", job.__name__)
    if not failed:
        set_local_value(LAST_RUN_KEY, today)
    return ran
