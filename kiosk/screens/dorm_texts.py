"""How the dorm's screens word a headcount: reasons, gate hints, overdue students, whom to call, and what the
supervisor signs on F10. Pure functions of the services' dataclasses and the school's zone (translated when
called, so F9 re-renders them)."""
from __future__ import annotations

from kiosk.clock_times import hhmm, mmdd_hhmm
from kiosk.i18n import Msg, t
from kiosk.services import headcount_rules as rules

# The F10 summary lists at most this many abnormal items, then says how many more: the dialog, its keys line
# included, must fit an 80x24 console.
SUBMIT_SUMMARY_LINES = 10
# Rooms named when F10 is refused because students are not counted yet (the cursor goes to the first).
UNCOUNTED_ROOMS_NAMED = 3


def reason_label(reason: str) -> str:
    return t(f"dorm.reason_{reason}")


def disagreement_text(kind: str) -> str:
    return t(f"dorm.dis_{kind}")


def contact_text(contact) -> str:
    """Whom to call about a student: the head teacher's name and phone, the guardian's phone."""
    return t("dorm.overdue_contacts", teacher=contact.teacher_name or "-", teacher_phone=contact.teacher_phone or "-",
             guardian_phone=contact.guardian_phone or "-")


def gate_text(line: rules.StudentLine, zone) -> str:
    if not line.gate or line.gate == "out":
        return ""
    return t(f"dorm.gate_{line.gate}", at=hhmm(line.gate_at, zone))


def resolution_text(resolution: rules.Resolution | None, zone) -> str:
    """A closed incident's whereabouts and who confirmed it (shown with the mark, which stays as made)."""
    if resolution is None:
        return ""
    return t("dorm.resolved_line", where=resolution.whereabouts, who=resolution.confirmed_name,
             at=mmdd_hhmm(resolution.closed_at, zone))


def overdue_text(absence: rules.ExpectedAbsence, zone, contact=None) -> str:
    """逾期未归: how late, the return deadline, whom to call, and the whereabouts once someone recorded them."""
    # Hours and minutes, as the gate's overdue board says it ("717 分钟" had to be worked out at 2 a.m.).
    late = t("slips.late", hours=absence.minutes_late // 60, minutes=absence.minutes_late % 60)
    parts = [t("dorm.overdue_late", late=late, due=mmdd_hhmm(absence.return_due, zone))]
    if contact is not None:
        parts.append(contact_text(contact))
    if absence.resolution is not None:
        parts.append(resolution_text(absence.resolution, zone))
    elif absence.whereabouts:
        parts.append(t("dorm.overdue_recorded", reason=reason_label(absence.whereabouts), note=absence.note).rstrip())
    else:
        parts.append(t("dorm.overdue_record_hint"))
    return "  ".join(parts)


def absence_text(absence: rules.ExpectedAbsence, zone, contact=None) -> str:
    if absence.reason == rules.OVERDUE:
        return overdue_text(absence, zone, contact)
    if absence.reason == "on_leave":
        if absence.exception_id and not absence.slip_id:
            return t("dorm.verbal_out", at=hhmm(absence.exited_at, zone))
        return t("dorm.slip_out", slip=absence.slip_code, at=hhmm(absence.exited_at, zone))
    return absence.note


def line_state(line: rules.StudentLine) -> tuple[str, str]:
    """A student's mark in the round as (text, style): present, absent with the reason, or not counted yet."""
    if line.state == "present":
        return t("dorm.state_present"), "green"
    if line.state == "absent":
        return t("dorm.state_absent", reason=reason_label(line.reason)), "yellow" if line.resolution else "bold red"
    return t("dorm.state_unmarked"), "yellow"


def incident_opened(name: str, contact) -> Msg:
    """An unknown whereabouts was reported: say whom to call, by name and number."""
    if contact is None:
        return Msg("dorm.incident_opened", name=name)
    return Msg("dorm.incident_opened_call", name=name, teacher=contact.teacher_name or "-",
               teacher_phone=contact.teacher_phone or "-", guardian_phone=contact.guardian_phone or "-")


def uncounted_refusal(view) -> Msg | None:
    """F10 before every expected student is counted: nothing to sign yet. Says how many and in which rooms (None
    when everyone is counted), before any list or PIN, since the round could not be submitted anyway."""
    rooms = [room.number for room in view.rooms if room.unmarked]
    if not rooms:
        return None
    named = " ".join(rooms[:UNCOUNTED_ROOMS_NAMED])  # a space reads in both languages (、 is Chinese only)
    if len(rooms) > UNCOUNTED_ROOMS_NAMED:
        named = Msg("dorm.submit_rooms_more", rooms=named, count=len(rooms))
    return Msg("dorm.submit_uncounted", count=view.totals.unmarked, rooms=named)


def submit_summary(view, limit: int = SUBMIT_SUMMARY_LINES) -> str:
    """What the supervisor signs: the totals and everything abnormal, named (the first `limit` items, then how
    many more: the signed record and the history keep them all)."""
    totals = view.totals
    items = []
    for room in view.rooms:
        for line in room.unmarked:
            items.append(t("dorm.submit_summary_unmarked", room=room.number, name=line.name))
        for line in room.absent:
            items.append(t("dorm.submit_summary_absent", room=room.number, name=line.name,
                           reason=reason_label(line.reason)))
        for absence in room.overdue:
            items.append(t("dorm.submit_summary_absent", room=room.number, name=absence.name,
                           reason=reason_label(absence.reason)))
        for d in room.disagreements:
            items.append(t("dorm.submit_summary_absent", room=room.number, name=d.name, reason=disagreement_text(d.kind)))
        for extra in room.extras:
            items.append(t("dorm.submit_summary_absent", room=room.number, name=extra.name, reason=t("dorm.key_extra")))
        for guest in room.guests:
            items.append(t("dorm.submit_summary_absent", room=room.number, name=guest.name, reason=t("dorm.key_guest")))
    lines = [t("dorm.submit_summary_head", expected=totals.expected, present=totals.present, rooms=totals.rooms)]
    lines += items[:limit] or [t("dorm.submit_summary_nothing")]
    if len(items) > limit:
        lines.append(t("dorm.submit_summary_more", count=len(items) - limit))
    return "\n".join(lines)
