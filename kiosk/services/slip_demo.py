"""Demo history for pass slips: a signing key under the data dir, a week of slips in every state,
their crossings, a few students overdue now, verbal exceptions, day students coming and going
(one lent card), and a few refused scans. Everything goes through the write path.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from kiosk.ids import new_id
from kiosk.models.slips import GateCrossing, GateScan, SlipKey, SlipRevocation, VerbalException
from kiosk.services.facts import record
from kiosk.services.slip_codec import floor_minute
from kiosk.services.slips_overdue import raise_overdue_alerts
from kiosk.services.slips import sanitize_raw
from kiosk.services.slips_office import write_slip

COMPANIONS = (("父亲", "爸爸"), ("母亲", "妈妈"), ("爷爷", "爷爷"), ("外婆", "外婆"))


def seed(demo) -> None:
    """One outer transaction (each fact still commits its rows + outbox + audit entry as a savepoint):
    one fsync for the whole week instead of one per fact."""
    from kiosk.models import database_proxy

    with database_proxy.atomic():
        _seed(demo)


def _seed(demo) -> None:
    from kiosk.services.actor import Actor
    from kiosk.services.slip_keys import create_key

    settings = demo.settings
    school_id = demo.school_id
    rng = demo.rng
    now = floor_minute(demo.now)
    zone = ZoneInfo(settings.school.timezone)
    boarders = demo.boarders
    teachers = {m.class_name: m for m in demo.staff_with_role("head_teacher")}
    gatekeepers = demo.staff_with_role("gatekeeper")
    discipline = demo.staff_with_role("discipline")
    if not boarders or not teachers or not gatekeepers:
        return
    system = Actor(school_id=school_id, station_id=demo.station_id, staff_name="demo")
    if not SlipKey.select().where(SlipKey.school_id == school_id).exists():
        create_key(system, label="demo office key")
    gate = demo.actor_for(gatekeepers[0])
    picked = rng.sample(boarders, min(len(boarders), 24))

    def issue(student, start: datetime, hours: float, return_after: float, *, kind="home", note="", issued=None):
        teacher = teachers.get(student.class_name)
        actor = demo.actor_for(teacher) if teacher else system
        relation, _ = rng.choice(COMPANIONS)
        leave_from = floor_minute(start)
        return write_slip(actor, settings, student, reason_kind=kind, reason_note=note, leave_from=leave_from,
                          leave_to=leave_from + timedelta(hours=hours),
                          return_by=leave_from + timedelta(hours=return_after),
                          companion_name=student.guardian_name, companion_relation=relation,
                          companion_phone=student.guardian_phone, at=issued or leave_from - timedelta(hours=2))

    def cross(slip, student, direction, at, flags=""):
        with record(gate, f"gate.{direction}", entity="gate_crossing", at=at,
                    detail={"student": student.number, "demo": True}) as w:
            w.insert(GateCrossing(school_id=school_id, station_id=demo.station_id, staff_id=gate.staff_id,
                                  recorded_at=at, student=student, direction=direction,
                                  kind="slip" if slip else "day_card", slip_id=slip.id if slip else None, at=at,
                                  return_by=slip.return_by if slip and direction == "exit" else None, flags=flags))

    today_8 = datetime.combine(now.astimezone(zone).date(), time(8, 0), zone)
    queue = list(picked)
    # Returned, spread over the past week (one of them late).
    for day in range(1, 6):
        student = queue.pop()
        start = today_8 - timedelta(days=day + 1) + timedelta(hours=6)
        slip = issue(student, start, 2, 26, kind=rng.choice(("home", "sick", "personal")))
        cross(slip, student, "exit", start + timedelta(minutes=20))
        late = 90 if day == 3 else -60
        cross(slip, student, "return", slip.return_by + timedelta(minutes=late), "late" if late > 0 else "")
    # Out now, not yet due back.
    for _ in range(3):
        student = queue.pop()
        start = now - timedelta(hours=rng.randint(1, 3))
        slip = issue(student, start, 3, 30, kind="sick", note="发烧就医")
        cross(slip, student, "exit", start + timedelta(minutes=10))
    # Overdue now: out past their deadline (alerts raised below).
    for hours_late in (1, 3, 20):
        student = queue.pop()
        start = now - timedelta(hours=hours_late + 6)
        slip = issue(student, start, 2, 5, kind="personal")
        cross(slip, student, "exit", start + timedelta(minutes=15))
    # Issued, usable now or later today.
    for offset in (-1, 2, 5):
        issue(queue.pop(), now + timedelta(hours=offset), 4, 28, kind="home")
    # Waiting for the discipline office (5 days) and for the principal (9 days).
    issue(queue.pop(), now + timedelta(days=1), 6, 5 * 24, kind="sick", note="住院观察", issued=now - timedelta(hours=1))
    issue(queue.pop(), now + timedelta(days=2), 6, 9 * 24, kind="other", note="家中有事", issued=now - timedelta(hours=3))
    # Expired unused, and revoked.
    issue(queue.pop(), now - timedelta(days=2), 3, 28, kind="personal")
    revoked = issue(queue.pop(), now + timedelta(hours=3), 3, 28, kind="home")
    teacher = teachers.get(revoked.student.class_name)
    actor = demo.actor_for(teacher) if teacher else system
    with record(actor, "slip.revoke", entity="pass_slip", entity_id=revoked.id, at=now - timedelta(minutes=30)) as w:
        w.insert(SlipRevocation(school_id=school_id, station_id=demo.station_id, staff_id=actor.staff_id,
                                recorded_at=now - timedelta(minutes=30), slip=revoked, reason="家长改期接送"))
    # A 5-day slip fully approved by the discipline office, out now.
    if discipline:
        from kiosk.models.slips import PassSlip, SlipApproval

        student = queue.pop()
        slip = issue(student, now - timedelta(hours=4), 3, 4 * 24, kind="sick", note="术后休养")
        approver = demo.actor_for(discipline[0])
        at = slip.leave_from - timedelta(hours=1)
        with record(approver, "slip.approve", entity="pass_slip", entity_id=slip.id, at=at) as w:
            w.insert(SlipApproval(school_id=school_id, station_id=demo.station_id, staff_id=approver.staff_id,
                                  recorded_at=at, slip=slip, role="discipline"))
            slip.approved_at = at
            w.update(slip, PassSlip.approved_at)
        cross(slip, student, "exit", now - timedelta(hours=3, minutes=40))
    # Verbal exceptions: one confirmed yesterday, one waiting for the teacher.
    for index, student in enumerate((queue.pop(), queue.pop())):
        teacher = teachers.get(student.class_name)
        at = now - timedelta(days=1 - index, hours=2)
        exception_id = new_id()
        with record(gate, "gate.verbal_exception", entity="verbal_exception", entity_id=exception_id, at=at) as w:
            w.insert(VerbalException(
                id=exception_id, school_id=school_id, station_id=demo.station_id, staff_id=gate.staff_id,
                recorded_at=at, student=student, direction="exit", teacher_name=teacher.name if teacher else "班主任",
                teacher_phone=teacher.phone if teacher else "13800000000",
                teacher_staff_id=teacher.id if teacher else None, note="家长在门口，班主任电话同意",
                confirmed_by=teacher.id if (teacher and index == 0) else None,
                confirmed_at=at + timedelta(hours=14) if index == 0 else None,
            ))
            w.insert(GateCrossing(school_id=school_id, station_id=demo.station_id, staff_id=gate.staff_id,
                                  recorded_at=at, student=student, direction="exit", kind="verbal_exception",
                                  exception_id=exception_id, at=at, flags="verbal_exception"))
        if index == 0:
            cross(None, student, "return", at + timedelta(hours=5))
    # Day students: mornings in, afternoons out, for the week; one card lent (two entries in a row).
    day_students = [s for s in demo.students if not s.boarder and s.active][:12]
    for day in range(demo.days, -1, -1):
        local_day = now.astimezone(zone).date() - timedelta(days=day)
        if local_day.isoweekday() > 5:
            continue
        morning = datetime.combine(local_day, time(7, 20), zone)
        evening = datetime.combine(local_day, time(17, 10), zone)
        with record(gate, "gate.day_students", entity="gate_crossing", at=morning,
                    detail={"day": local_day.isoformat(), "demo": True}) as w:
            for student in day_students:
                for direction, base in (("return", morning), ("exit", evening)):
                    at = base + timedelta(minutes=rng.randint(0, 35))
                    if at > now:
                        continue
                    w.insert(GateCrossing(school_id=school_id, station_id=demo.station_id, staff_id=gate.staff_id,
                                          recorded_at=at, student=student, direction=direction, kind="day_card",
                                          at=at, flags=""))
    if day_students:
        lent = day_students[0]
        at = datetime.combine(now.astimezone(zone).date(), time(7, 58), zone)
        if at <= now:
            cross(None, lent, "return", at, "card_lending")
    # Refused scans: a boarder's card during closed management, a damaged code, a forged slip.
    refused = [(queue.pop() if queue else boarders[0], "boarder_no_slip"), (None, "damaged"), (None, "forged")]
    for index, (student, reason) in enumerate(refused):
        at = now - timedelta(hours=index + 1, minutes=13)
        raw = student.number if student else ("S1:AAAAB3NZ" if reason == "damaged" else "S1:AEAQCAIB" + "A" * 40)
        scan_id = new_id()
        detail = {"source": "card" if student else "slip"}
        if reason == "boarder_no_slip":
            detail["weekday_key"] = f"slips.weekday_{at.astimezone(zone).isoweekday()}"
        with record(gate, "gate.scan", entity="gate_scan", entity_id=scan_id, at=at,
                    detail={"verdict": "refuse", "reason": reason}) as w:
            w.insert(GateScan(id=scan_id, school_id=school_id, station_id=demo.station_id, staff_id=gate.staff_id,
                              recorded_at=at, raw=sanitize_raw(raw), verdict="refuse", reason_code=reason,
                              student=student, detail=detail))
    raise_overdue_alerts(gate, settings, demo.now)
