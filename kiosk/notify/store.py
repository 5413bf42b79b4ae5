"""Reading contacts from the roster and writing notification drafts inside the caller's transaction."""
from __future__ import annotations

from kiosk.models import Staff, Student
from kiosk.notify import rules
from kiosk.notify.model import GuardianOptOut, Notification


def enabled_channels(settings) -> list[str]:
    """Names of the channels with an address set, without building them (the hooks run on every write)."""
    notify = settings.notify
    names = []
    if notify.sms.url:
        names.append("sms")
    if notify.wecom.webhook:
        names.append("wecom")
    if notify.dingtalk.webhook:
        names.append("dingtalk")
    if notify.smtp.host and notify.smtp.sender and notify.smtp.to:
        names.append("smtp")
    return names


def staff_contacts(school_id: str) -> list[rules.StaffContact]:
    query = Staff.select().where((Staff.school_id == school_id) & (Staff.active == True))  # noqa: E712
    return [rules.StaffContact(s.id, s.name, s.role_set(), s.class_name, s.phone) for s in query]


def opted_out(student_id: str) -> bool:
    latest = (GuardianOptOut.select().where(GuardianOptOut.student == student_id)
              .order_by(GuardianOptOut.recorded_at.desc(), GuardianOptOut.id.desc()).first())
    return bool(latest and latest.opted_out)


def guardian_contact(student: Student) -> rules.GuardianContact:
    """The guardian's phone as the roster holds it (never typed at the gate)."""
    return rules.GuardianContact(student.id, student.guardian_name, student.guardian_phone, opted_out(student.id))


def student_params(student: Student) -> dict:
    """The minimum about a student a message may carry: name and class. Never an ID number."""
    return {"student": student.name, "class_name": student.class_name}


def write_drafts(w, drafts: list[rules.Draft], owner_station_id: str) -> int:
    """Insert the drafts not written yet (same dedupe key = same id, on any station); returns how many."""
    written = 0
    for draft in drafts:
        row_id = draft.id_for(w.actor.school_id)
        if Notification.get_or_none(Notification.id == row_id) is not None:
            continue
        w.insert(Notification(
            id=row_id, school_id=w.actor.school_id, station_id=w.actor.station_id, staff_id=w.actor.staff_id,
            recorded_at=w.at, owner_station_id=owner_station_id, dedupe_key=draft.dedupe_key, event=draft.event,
            subject_id=draft.subject_id, step=draft.step, recipient_role=draft.recipient_role,
            recipient_id=draft.recipient_id, recipient_name=draft.recipient_name, address=draft.address,
            channel=draft.channel, params=draft.params, due_at=draft.due_at, status="queued"))
        written += 1
    return written


def is_new(draft: rules.Draft, school_id: str) -> bool:
    return Notification.get_or_none(Notification.id == draft.id_for(school_id)) is None
