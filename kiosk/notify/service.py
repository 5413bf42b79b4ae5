"""What the CLI and the screens ask of notifications: send a test now, list them, opt a guardian out.

Returns plain dataclasses and raises NotifyError (a UserError); never translated text.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from kiosk import clock
from kiosk.i18n import UserError
from kiosk.ids import new_id
from kiosk.models import Student
from kiosk.notify.channels import CHANNEL_NAMES
from kiosk.notify.model import GuardianOptOut, Notification, NotificationReceipt
from kiosk.services.facts import record


class NotifyError(UserError):
    """A notify request the user can fix (unknown channel, channel not configured, unknown student)."""


@dataclass(frozen=True)
class NotificationView:
    id: str
    event: str
    subject_id: str
    step: int
    recipient_role: str
    recipient_name: str
    channel: str
    status: str  # queued | sent | failed | cancelled
    due_at: datetime
    sent_at: datetime | None
    attempts: int
    reason: str
    owner_station_id: str

    def as_json(self) -> dict:
        data = asdict(self)
        for key in ("due_at", "sent_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


def _view(row: Notification) -> NotificationView:
    # The recipient's address (a phone) is not shown: the name and role say who it was.
    return NotificationView(row.id, row.event, row.subject_id, row.step, row.recipient_role, row.recipient_name,
                            row.channel, row.status, row.due_at, row.sent_at, row.attempts, row.reason,
                            row.owner_station_id)


def notifications(school_id: str, *, status: str | None = None, subject_id: str | None = None,
                  limit: int = 500) -> list[NotificationView]:
    query = Notification.select().where(Notification.school_id == school_id)
    if status == "undelivered":
        query = query.where(Notification.status.in_(("queued", "failed")))
    elif status:
        query = query.where(Notification.status == status)
    if subject_id:
        query = query.where(Notification.subject_id == subject_id)
    return [_view(row) for row in query.order_by(Notification.due_at.desc(), Notification.step.desc()).limit(limit)]


def undelivered(school_id: str) -> list[NotificationView]:
    """Given up or still waiting, newest first: the admin's list, with the provider's reason."""
    return notifications(school_id, status="undelivered")


def for_subject(subject_id: str) -> list[NotificationView]:
    """What was sent to whom about one incident (or alert, crossing, visit, meal), in ladder order."""
    rows = Notification.select().where(Notification.subject_id == subject_id)
    return [_view(row) for row in rows.order_by(Notification.step, Notification.due_at, Notification.channel)]


def receipts(notification_id: str) -> list[tuple[int, str, str, str, datetime]]:
    rows = NotificationReceipt.select().where(NotificationReceipt.notification == notification_id)
    return [(r.attempt, r.outcome, r.code, r.reason, r.recorded_at)
            for r in rows.order_by(NotificationReceipt.recorded_at, NotificationReceipt.attempt)]


def queue_test(actor, settings, channel: str, to: str) -> str:
    """Write a test notification to `to` (a phone for SMS, a mailbox for e-mail, a name for a robot), due now;
    `kiosk notify test` then delivers it through the same path as any other. Returns its id."""
    from kiosk.notify.store import enabled_channels

    if channel not in CHANNEL_NAMES:
        raise NotifyError("notify.err_channel_unknown", channel=channel, known=", ".join(CHANNEL_NAMES))
    if channel not in enabled_channels(settings):
        raise NotifyError("notify.err_channel_off", channel=channel)
    to = to.strip()
    if not to:
        raise NotifyError("notify.err_to_needed")
    now = clock.now()
    row_id = new_id()
    row = Notification(id=row_id, school_id=actor.school_id, station_id=actor.station_id, staff_id=actor.staff_id,
                       recorded_at=now, owner_station_id=actor.station_id, dedupe_key=f"test:{row_id}", event="test",
                       subject_id=row_id, step=0, recipient_role="test", recipient_name=to,
                       address=to if channel in ("sms", "smtp") else "", channel=channel,
                       params={"at": now.isoformat(), "to": to} if channel not in ("sms", "smtp") else {"at": now.isoformat()},
                       due_at=now, status="queued")
    with record(actor, "notify.test", entity="notification", entity_id=row_id, detail={"channel": channel}, at=now) as w:
        w.insert(row)
    return row_id


def set_guardian_opt_out(actor, student_number: str, opted_out: bool, note: str = "") -> str:
    """A guardian asked not to be told (or to be told again); recorded with who did it."""
    student = Student.get_or_none((Student.school_id == actor.school_id) & (Student.number == student_number.strip()))
    if student is None:
        raise NotifyError("notify.err_student_unknown", number=student_number)
    now = clock.now()
    row = GuardianOptOut(school_id=actor.school_id, station_id=actor.station_id, staff_id=actor.staff_id,
                         recorded_at=now, student=student.id, opted_out=opted_out, note=note.strip()[:200])
    with record(actor, "notify.guardian_opt_out" if opted_out else "notify.guardian_opt_in", entity="student",
                entity_id=student.id, detail={"student": student.number}, at=now) as w:
        w.insert(row)
    return student.id
