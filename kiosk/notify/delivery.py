"""The offline-first delivery loop: each station delivers the notifications it owns.

One pass (`deliver_once`): plan what time made due (planner.py), recover attempts a crash interrupted,
then for each due notification, oldest first: cancel it if it is moot (the student came back, someone
acknowledged), give it up if stale, wait if the recipient's hourly limit is reached, else send it.

Exactly once per (event, recipient, channel): the dedupe key makes one row per triple on every station,
only its owner station sends it, and a receipt commits with the status change. A send is claimed first:
`sending_since` and the attempt number commit *before* the provider is called, the receipt after it answers.

A crash between send and receipt (power cut, kill -9 after the provider accepted, before our commit):
the claim survives, the receipt does not. After LEASE the next pass records an `interrupted` receipt and
sends again. We cannot know whether the provider delivered, and for a missing student a lost message is
worse than a repeated one, so the recipient may get that one message twice, never zero times. The SMS
request carries the notification id as `out_id` and the e-mail a fixed Message-ID, so a provider or mail
client that deduplicates drops the repeat. The window is the few milliseconds between the provider's
answer and our commit.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from kiosk import clock
from kiosk.notify import planner, rules
from kiosk.notify.model import Notification, NotificationReceipt
from kiosk.services.facts import record

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # longer than any channel's timeout: a claim older than this was interrupted


@dataclass
class DeliveryReport:
    planned: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    interrupted: int = 0
    rate_limited: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _receipt(w, row: Notification, outcome: str, code: str = "", reason: str = "") -> None:
    w.insert(NotificationReceipt(school_id=row.school_id, station_id=w.actor.station_id, staff_id=w.actor.staff_id,
                                 recorded_at=w.at, notification=row.id, attempt=row.attempts, outcome=outcome,
                                 code=code[:40], reason=reason[:300]))


def _finish(actor, row: Notification, status: str, outcome: str, now: datetime, *, code: str = "", reason: str = "",
            next_try_at: datetime | None = None) -> None:
    """Write the attempt's receipt and the notification's new state in one transaction."""
    with record(actor, f"notify.{outcome}", entity="notification", entity_id=row.id,
                detail={"channel": row.channel, "event": row.event, "code": code}, at=now) as w:
        row.status, row.sending_since, row.next_try_at = status, None, next_try_at
        if status == "sent":
            row.sent_at = now
        if reason or code:
            row.reason = f"{code} {reason}".strip()[:300]
        w.update(row, Notification.status, Notification.sending_since, Notification.next_try_at, Notification.sent_at,
                 Notification.reason)
        _receipt(w, row, outcome, code, reason)


class _Taken(Exception):
    """Another worker (the app's, or a `kiosk notify deliver` beside it) claimed or finished it first."""


def _claim(actor, row_id: str, now: datetime) -> Notification | None:
    """Mark the attempt as started (committed before the provider is called); None if another worker has it.
    Re-read inside the write transaction, so two workers on one station never both send."""
    try:
        with record(actor, "notify.sending", entity="notification", entity_id=row_id, at=now) as w:
            row = Notification.get_by_id(row_id)
            if row.status != "queued" or row.sending_since is not None:
                raise _Taken
            row.sending_since, row.attempts = now, row.attempts + 1
            w.update(row, Notification.sending_since, Notification.attempts)
            return row
    except _Taken:
        return None


def recover_interrupted(actor, now: datetime) -> int:
    """Attempts claimed more than LEASE ago without a receipt: a crash came between send and receipt."""
    stuck = list(Notification.select().where(
        (Notification.owner_station_id == actor.station_id) & (Notification.status == "queued")
        & Notification.sending_since.is_null(False) & (Notification.sending_since < now - LEASE)))
    for row in stuck:
        _finish(actor, row, "queued", "interrupted", now, code="interrupted",
                reason="no receipt after the attempt (crash?): sending again", next_try_at=now)
    return len(stuck)


def moot_reason(row: Notification) -> str:
    """Why this notification should not go out any more ("" = it should)."""
    if row.event == "overdue":
        from kiosk.models.slips import GateCrossing, OverdueAlert

        alert = OverdueAlert.get_or_none(OverdueAlert.id == row.subject_id)
        if alert is None:
            return ""
        returned = GateCrossing.select().where((GateCrossing.slip_id == alert.slip_id)
                                               & (GateCrossing.direction == "return")).exists()
        return rules.cancel_reason("overdue", returned=returned, resolved=alert.resolved_at is not None)
    if row.event == "missing":
        from kiosk.models.dorm import Incident, IncidentAck

        incident = Incident.get_or_none(Incident.id == row.subject_id)
        if incident is None:
            return ""
        acknowledged = IncidentAck.select().where(IncidentAck.incident == incident.id).exists()
        return rules.cancel_reason("missing", acknowledged=acknowledged, closed=incident.closed_at is not None)
    return ""


def _sent_times(row: Notification, now: datetime) -> list[datetime]:
    """When this recipient was last sent something on this channel (the past hour)."""
    who = (Notification.recipient_id == row.recipient_id) if row.recipient_id else (Notification.recipient_role == row.recipient_role)
    query = (NotificationReceipt.select(NotificationReceipt.recorded_at).join(Notification)
             .where((Notification.channel == row.channel) & who & (NotificationReceipt.outcome == "sent")
                    & (NotificationReceipt.recorded_at > now - timedelta(hours=1))))
    return [r.recorded_at for r in query]


def due_rows(station_id: str, now: datetime) -> list[Notification]:
    query = Notification.select().where(
        (Notification.owner_station_id == station_id) & (Notification.status == "queued")
        & Notification.sending_since.is_null() & (Notification.due_at <= now)
        & (Notification.next_try_at.is_null() | (Notification.next_try_at <= now)))
    return list(query.order_by(Notification.due_at, Notification.recorded_at, Notification.step, Notification.id))


def deliver_once(settings, now: datetime | None = None, *, channels: dict | None = None) -> DeliveryReport:
    """One pass of the loop on this station (see the module docstring)."""
    from kiosk.notify.channels.registry import configured
    from kiosk.services.actor import system_actor

    now = now or clock.now()
    actor = system_actor(settings.school.id)
    channels = configured(settings) if channels is None else channels
    report = DeliveryReport()
    report.planned = planner.plan_due(actor, settings, now)
    report.interrupted = recover_interrupted(actor, now)
    for row in due_rows(actor.station_id, now):
        _deliver_row(actor, settings, row, channels, now, report)
    return report


def send_now(settings, row_id: str, now: datetime | None = None) -> DeliveryReport:
    """Deliver one notification at once (`kiosk notify test`), through the same steps as the loop."""
    from kiosk.notify.channels.registry import configured
    from kiosk.services.actor import system_actor

    report = DeliveryReport()
    _deliver_row(system_actor(settings.school.id), settings, Notification.get_by_id(row_id), configured(settings),
                 now or clock.now(), report)
    return report


def _deliver_row(actor, settings, row: Notification, channels: dict, now: datetime, report: DeliveryReport) -> None:
    from kiosk.notify import render

    row = Notification.get_by_id(row.id)  # as it is now: another worker may have taken it since the list was read
    if row.status != "queued" or row.sending_since is not None:
        return
    reason = moot_reason(row)
    if reason:
        _finish(actor, row, "cancelled", "cancelled", now, code=reason)
        report.cancelled += 1
        return
    channel = channels.get(row.channel)
    if channel is None:
        _finish(actor, row, "failed", "failed", now, code="channel_off",
                reason=f"[notify.{row.channel}] is not configured on this station")
        report.failed += 1
        return
    if now - row.due_at >= timedelta(hours=settings.notify.expire_hours):
        _finish(actor, row, "failed", "failed", now, code="stale", reason=row.reason)
        report.failed += 1
        return
    wait_until = rules.rate_limit_until(_sent_times(row, now), now, settings.notify.rate_limit_per_hour)
    if wait_until is not None:
        with record(actor, "notify.rate_limited", entity="notification", entity_id=row.id, at=now) as w:
            row.next_try_at = wait_until
            w.update(row, Notification.next_try_at)
        report.rate_limited += 1
        return
    claimed = _claim(actor, row.id, now)
    if claimed is None:
        return
    outcome = channel.send(render.message_for(claimed, settings))
    if outcome.result == "sent":
        _finish(actor, claimed, "sent", "sent", now, code=outcome.code, reason=outcome.reason)
        report.sent += 1
        return
    status, next_try = rules.after_failure(claimed.attempts, outcome.code, outcome.result == "give_up", now,
                                           claimed.due_at, max_attempts=settings.notify.max_attempts,
                                           expire_hours=settings.notify.expire_hours)
    _finish(actor, claimed, status, "retry" if status == "queued" else "failed", now, code=outcome.code,
            reason=outcome.reason, next_try_at=next_try)
    if status == "queued":
        report.retrying += 1
    else:
        report.failed += 1


class DeliveryWorker(threading.Thread):
    """The app's delivery loop: one pass every [notify] interval_seconds until stopped. A failing pass is
    logged and the loop goes on (the next pass retries); nothing it does can lose a committed record."""

    def __init__(self, settings) -> None:
        super().__init__(name="notify-delivery", daemon=True)
        self.settings = settings
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                deliver_once(self.settings)
            except Exception:
                log.exception("notify: delivery pass failed")
            self._stop_event.wait(max(1, self.settings.notify.interval_seconds))

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=15)
