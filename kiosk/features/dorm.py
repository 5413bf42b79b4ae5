"""Dorm station: nightly headcount reconciled with the gate, unknown-whereabouts incidents, overnight guests.

Registered in kiosk.features (after slips: the dorm reads gate crossings). Tables: kiosk/models/dorm.py;
rules: kiosk/services/headcount_rules.py and escalation_rules.py; services: kiosk/services/headcount_*.py (one job
each, listed in headcount_common); screens: kiosk/screens/dorm*.py. The status bar of every station shows open
incidents through `status_alerts` (count: kiosk.services.headcount_incidents.open_incident_count(school_id)).
"""
from __future__ import annotations

import argparse
import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kiosk import clock
from kiosk.config import Settings
from kiosk.models.dorm import DORM_MODELS
from kiosk.sync import policy
from kiosk.features import Feature

MODELS = list(DORM_MODELS)
DORM_ROLES = frozenset({"dorm_supervisor", "dorm_manager"})
# Who approves 陪宿 at the office: a head teacher for their class, and the ladder above (kiosk.services.acting_roles).
GUEST_APPROVERS = frozenset({"head_teacher", "duty_leader", "principal"})


# ---------------------------------------------------------------- CLI

def _report_subparsers(subparsers):
    """The `kiosk report` group's sub-commands (created here if no other feature made it first)."""
    report = subparsers.choices.get("report")
    if report is None:
        report = subparsers.add_parser("report", help="print a report")
        return report.add_subparsers(dest="report_command", required=True, metavar="REPORT")
    for action in report._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return report.add_subparsers(dest="report_command", required=True, metavar="REPORT")


def register_cli(subparsers) -> None:
    from kiosk.cli import command

    group = _report_subparsers(subparsers)
    headcount = command(group, "headcount", cmd_report_headcount,
                        "a night's headcount per building and room: the leave list (请假名单), incidents, disagreements")
    headcount.add_argument("--date", required=True, type=date.fromisoformat, help="the night (YYYY-MM-DD, evening's date)")
    headcount.add_argument("--building", help="building name (default: all)")
    headcount.add_argument("--json", action="store_true", help="print JSON instead of text")


def _local(text: str, zone: ZoneInfo) -> str:
    if not text:
        return ""
    from kiosk.models.base import UtcDateTimeField

    return UtcDateTimeField().python_value(text).astimezone(zone).strftime("%m-%d %H:%M")


def cmd_report_headcount(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.cli import CliError
    from kiosk.i18n import set_language, t
    from kiosk.services import headcount_common, headcount_history, headcount_incidents

    set_language(settings.language)
    zone = ZoneInfo(settings.school.timezone)
    try:
        nights = headcount_history.night_report(settings.school.id, args.date, zone, settings.dorm, args.building)
    except headcount_common.HeadcountError as error:
        raise CliError(error.text()) from None
    incidents = [i for i in headcount_incidents.incidents(settings.school.id, settings.dorm, open_only=True)
                 if not args.building or i.building_name == args.building]
    if args.json:
        print(json.dumps({
            "night": args.date.isoformat(),
            "buildings": [{"building": n.building_name, "source": n.source, "round_id": n.round_id,
                           "summary": n.summary, "resolved_since": n.resolved} for n in nights],
            "open_incidents": [{"id": i.incident_id, "student": i.student_number, "name": i.student_name,
                                "building": i.building_name, "room": i.room_number, "night": i.night.isoformat(),
                                "opened_at": i.opened_at.isoformat(), "gate_return_at":
                                    i.gate_return_at.isoformat() if i.gate_return_at else None,
                                "steps": [{"role": s.role, "state": s.state, "by": s.ack.staff_name if s.ack else ""}
                                          for s in i.steps]} for i in incidents],
        }, ensure_ascii=False, indent=2))
        return 0
    for night in nights:
        summary = night.summary
        if night.source == "submitted":
            source = t("dorm.report_source_submitted", name=night.submitted_name,
                       at=night.submitted_at.astimezone(zone).strftime("%H:%M"), hash=night.summary_hash[:12])
        else:
            source = t(f"dorm.report_source_{night.source}")
        print(t("dorm.report_building", building=night.building_name, night=args.date.isoformat(), source=source))
        totals = summary["totals"]
        print("  " + t("dorm.report_totals", expected=totals["expected"], present=totals["present"],
                       guests=totals["guests"], **{"overdue": 0, **totals["absent"]}))
        print("  " + t("dorm.report_leave_list") + ":")
        leave_lines = 0
        for room in summary["rooms"]:
            for x in room["expected_absent"]:
                why = t(f"dorm.reason_{x['reason']}")
                detail = x["note"]
                if x["reason"] == "on_leave":
                    detail = f"{x['slip'] or '-'} {_local(x['exited_at'], zone)}"
                elif x["reason"] == "overdue" and x["whereabouts"] == "unknown" and x["number"] in night.resolved:
                    resolved = night.resolved[x["number"]]
                    detail = t("dorm.report_overdue", slip=x["slip"] or "-", due=_local(x["return_due"], zone),
                               late=x["minutes_late"], where=t("dorm.resolved_line", where=resolved["whereabouts"],
                                                               who=resolved["confirmed_by"],
                                                               at=_local(resolved["closed_at"], zone)))
                elif x["reason"] == "overdue":
                    detail = t("dorm.report_overdue", slip=x["slip"] or "-", due=_local(x["return_due"], zone),
                               late=x["minutes_late"],
                               where=(reason_text(x["whereabouts"]) + " " + x["note"]).strip()
                               if x["whereabouts"] else t("dorm.report_overdue_unrecorded"))
                print(f"    {room['room']:>5}  {x['number']}  {x['name']}  {x['class']}  {why}  {detail}".rstrip())
                leave_lines += 1
        if not leave_lines:
            print("    " + t("dorm.report_none"))
        absent = [(room["room"], a) for room in summary["rooms"] for a in room["absent_students"]]
        if absent:
            print("  " + t("dorm.report_absent_list") + ":")
            for number, a in absent:
                print(f"    {number:>5}  {a['number']}  {a['name']}  {reason_text(a['reason'])}  {a['note']}".rstrip())
                resolved = night.resolved.get(a["number"]) if a["reason"] == "unknown" else None
                if resolved:  # closed after the count: the incident says where the student was
                    print("           " + t("dorm.resolved_line", where=resolved["whereabouts"],
                                            who=resolved["confirmed_by"], at=_local(resolved["closed_at"], zone)))
        for kind, title in (("guests", "dorm.report_guests"), ("extras", "dorm.report_extras")):
            people = [(room["room"], name) for room in summary["rooms"] for name in room[kind]]
            if people:  # the JSON has them: the text report must not leave them out
                print("  " + t(title) + ":")
                for number, name in people:
                    print(f"    {number:>5}  {name}")
        disagreements = [(room["room"], d) for room in summary["rooms"] for d in room["disagreements"]]
        print("  " + t("dorm.report_disagreements") + ":")
        for number, d in disagreements:
            print(f"    {number:>5}  {d['number']}  {d['name']}  {disagreement_text(d['kind'])}  {d['slip']} "
                  f"{_local(d['at'], zone)}".rstrip())
        if not disagreements:
            print("    " + t("dorm.report_none"))
    print(t("dorm.report_incidents") + ":")
    for i in incidents:
        print("  " + t("dorm.inc_line", name=i.student_name, number=i.student_number, klass=i.class_name,
                       building=i.building_name, room=i.room_number,
                       opened=i.opened_at.astimezone(zone).strftime("%m-%d %H:%M")))
    if not incidents:
        print("  " + t("dorm.report_none"))
    return 0


def reason_text(reason: str) -> str:
    from kiosk.i18n import t

    return t(f"dorm.reason_{reason}")


def disagreement_text(kind: str) -> str:
    from kiosk.i18n import t

    return t(f"dorm.dis_{kind}")


# ---------------------------------------------------------------- exports

def _night_bounds(start: date | None, end: date | None) -> tuple[str, str]:
    return (start.isoformat() if start else "0000-00-00"), (end.isoformat() if end else "9999-99-99")


def export_headcounts(settings: Settings, start: date | None, end: date | None):
    """One row per submitted round and room: expected, present, absent by reason, names of who was out and why."""
    from kiosk.models.dorm import HeadcountRound
    from kiosk.services.exports import Table

    low, high = _night_bounds(start, end)
    zone = ZoneInfo(settings.school.timezone)
    rows = []
    query = (HeadcountRound.select().where((HeadcountRound.school_id == settings.school.id)
                                           & HeadcountRound.submitted_at.is_null(False)
                                           & (HeadcountRound.night >= low) & (HeadcountRound.night <= high))
             .order_by(HeadcountRound.night, HeadcountRound.seq))
    for row in query:
        summary = row.summary or {}
        for room in summary.get("rooms", []):
            absent = room["absent"]
            names = "; ".join(f"{x['name']}({x['number']}) {x['reason']} {x['slip'] or x['note']}".strip()
                              for x in room["expected_absent"])
            missing = "; ".join(f"{x['name']}({x['number']}) {x['reason']} {x['note']}".strip()
                                for x in room["absent_students"])
            rows.append([row.night, summary.get("building", ""), row.seq, room["room"], room["expected"],
                         room["present"], absent["on_leave"], absent["sick_bay"], absent["with_parent"],
                         absent["other"], absent["unknown"], len(room["guests"]), ", ".join(room["extras"]),
                         len(room["disagreements"]), names, missing, row.submitted_name,
                         row.submitted_at.astimezone(zone).replace(tzinfo=None), row.summary_hash])
    headers = ["night", "building", "round", "room", "expected", "present", "on_leave", "sick_bay", "with_parent",
               "other", "unknown", "guests", "extra_persons", "disagreements", "expected_absent", "absent",
               "submitted_by", "submitted_at", "signature"]
    return Table("headcounts", headers, rows)


def export_incidents(settings: Settings, start: date | None, end: date | None):
    """Unknown-whereabouts incidents with their ladder, in the station's language (headers, roles, states)."""
    from kiosk.i18n import t
    from kiosk.services import headcount_incidents
    from kiosk.services.exports import Table

    low, high = _night_bounds(start, end)
    zone = ZoneInfo(settings.school.timezone)

    def local(at: datetime | None):
        return at.astimezone(zone).replace(tzinfo=None) if at else None

    def step_text(step) -> str:
        text = f"{t(f'dorm.role_{step.role}')}：{t(f'dorm.step_{step.state}')}"
        return text + (f"（{step.ack.staff_name} {local(step.ack.at):%H:%M}）" if step.ack else "")

    rows = []
    for i in headcount_incidents.incidents(settings.school.id, settings.dorm, open_only=False):
        if not low <= i.night.isoformat() <= high:
            continue
        rows.append([i.night.isoformat(), i.building_name, i.room_number, i.student_number, i.student_name,
                     i.class_name, local(i.opened_at), i.opened_by, i.note, "；".join(step_text(s) for s in i.steps),
                     local(i.gate_return_at), local(i.closed_at), i.whereabouts, i.confirmed_name])
    keys = ["night", "building", "room", "student_number", "student_name", "class", "opened_at", "opened_by",
            "note", "escalation", "gate_return_at", "closed_at", "whereabouts", "confirmed_by"]
    return Table(t("dorm.export_incidents_title"), [t(f"dorm.xcol_{key}") for key in keys], rows)


EXPORTS = {"headcounts": export_headcounts, "incidents": export_incidents}


# ---------------------------------------------------------------- status bar and menu

def status_alerts(ctx) -> list[str]:
    """Open unknown-whereabouts incidents, on every station's status bar; at the dorm also the boarders past their
    slip's return deadline (请假未归, as the gate and office show it: the gate's feature shows it there)."""
    from kiosk.i18n import t
    from kiosk.services.headcount_incidents import open_incident_count, overdue_count

    alerts = []
    if ctx.station_kind == "dorm":
        overdue = overdue_count(ctx.school_id, clock.now(), ctx.settings.station.building)  # its own building
        if overdue:
            alerts.append(t("dorm.alert_overdue", count=overdue))
    count = open_incident_count(ctx.school_id)
    if count:
        alerts.append(t("dorm.status_alert", count=count))
    return alerts


def station_actions(station_kind: str):
    from kiosk.features import StationAction

    def headcount():
        from kiosk.screens.dorm_buildings import BuildingPickScreen
        return BuildingPickScreen()

    def incident_list():
        from kiosk.screens.dorm_incidents import IncidentScreen
        return IncidentScreen()

    def guest_approvals():
        from kiosk.screens.guest_approvals import GuestApprovalListScreen
        return GuestApprovalListScreen()

    leaders = frozenset({"head_teacher", "duty_leader", "principal", "discipline"})
    if station_kind == "dorm":
        return [StationAction("r", "dorm.action_headcount", DORM_ROLES, headcount),
                StationAction("u", "dorm.action_incidents", DORM_ROLES, incident_list)]
    if station_kind == "office":
        # 陪宿 is approved here by day (the student's head teacher), registered at the dorm at night.
        return [StationAction("u", "dorm.action_incidents", leaders, incident_list),
                StationAction("g", "dorm.action_guest_approvals", GUEST_APPROVERS, guest_approvals)]
    return []


# ---------------------------------------------------------------- demo

def seed_demo(demo) -> None:
    """A week of submitted nights for every building; one night with an unknown whereabouts escalated and
    closed; one gate/dorm disagreement (from the slips' demo crossings); a sick-bay record; a guest approved at
    the office for last night and tonight, registered at the dorm last night."""
    from kiosk.models import Building
    from kiosk.services import headcount_counting, headcount_guest_approvals, headcount_guests, headcount_incidents, headcount_rounds, headcount_submit, headcount_whereabouts
    from kiosk.services import headcount_rules as rules
    from kiosk.services.auth import session_for

    zone = ZoneInfo(demo.settings.school.timezone)
    supervisors = demo.staff_with_role("dorm_supervisor")
    managers = demo.staff_with_role("dorm_manager")
    leaders = demo.staff_with_role("duty_leader")
    teachers = {m.class_name: m for m in demo.staff_with_role("head_teacher")}
    if not supervisors or not managers or not leaders or not teachers:
        return
    buildings = list(Building.select().where(Building.school_id == demo.school_id).order_by(Building.name))
    today = demo.now.astimezone(zone).date()  # nights up to yesterday evening; tonight is counted live
    nights = [today - timedelta(days=k) for k in range(demo.days, 0, -1)]
    incident_night, disagreement_night, guest_night = nights[-3], nights[-2], nights[-1]
    disagreement_done = False
    for night in nights:
        at = datetime.combine(night, time(21, 35), zone)
        for index, building in enumerate(buildings):
            if index > 0 and night < nights[-2]:
                continue  # the first building has the whole week; the others the last two nights (keeps seeding fast)
            member = supervisors[index % len(supervisors)]
            actor = demo.actor_for(member)
            with clock.frozen_at(at - timedelta(hours=3)):
                if night == nights[-4] and index == 0:
                    boarder = next(s for s in demo.boarders if s.room_id and s.room.building_id == building.id)
                    record_id = headcount_whereabouts.record_whereabouts(actor, boarder.id, "sick_bay", "发烧 38.2℃，校医留观")
                    sick_record = record_id
            if night == guest_night and index == 1:
                room_student = next(s for s in demo.boarders if s.room_id and s.room.building_id == building.id)
                teacher = teachers.get(room_student.class_name)
                if teacher is not None:
                    # Approved by the head teacher at the office that morning for two nights (so tonight too),
                    # registered at the dorm on arrival with the dorm manager's PIN only.
                    with clock.frozen_at(datetime.combine(night, time(10, 0), zone)):
                        approval = headcount_guest_approvals.approve_guest(demo.actor_for(teacher), zone, room_student.number, "张秀英",
                                                    "11010119800307451X", "母亲", night, 2, "学生术后休养，母亲陪护")
                    with clock.frozen_at(at - timedelta(hours=1)):
                        headcount_guests.register_approved_guest(actor, building.id, approval.id, night, "11010119800307451X",
                                                   session_for(managers[0]))
            with clock.frozen_at(at):
                view = headcount_rounds.open_headcount(actor, building.id, zone)
                unknown = None
                flagged = None
                if night == incident_night and index == 0:
                    unknown = view.rooms[min(3, len(view.rooms) - 1)].expected[0]
                if night == disagreement_night and not disagreement_done:
                    flagged = _disagreement_candidate(view)
                    disagreement_done = flagged is not None
                headcount_counting.confirm_rooms(actor, view.round_id, [r.room_id for r in view.rooms])
                if flagged is not None:
                    student_id, kind = flagged
                    if kind == rules.RETURNED_NOT_IN_ROOM:
                        headcount_counting.mark_absent(actor, view.round_id, student_id, "other", "说在教学楼自习，未见到本人")
                    else:
                        headcount_counting.tick(actor, view.round_id, student_id)
                mark = headcount_counting.mark_absent(actor, view.round_id, unknown.student_id, "unknown", "室友称晚饭后未见") \
                    if unknown else None
            with clock.frozen_at(at + timedelta(minutes=12)):
                headcount_submit.submit_round(actor, view.round_id, session_for(member))
            if mark is not None:
                teacher = teachers.get(unknown.class_name) or next(iter(teachers.values()))
                with clock.frozen_at(at + timedelta(minutes=4)):
                    headcount_incidents.acknowledge(actor, mark.incident_id, 0, session_for(teacher), demo.settings.dorm, "已电话联系家长")
                with clock.frozen_at(at + timedelta(minutes=33)):
                    headcount_incidents.acknowledge(actor, mark.incident_id, 1, session_for(leaders[0]), demo.settings.dorm, "组织寻找")
                with clock.frozen_at(at + timedelta(minutes=52)):
                    headcount_incidents.close_incident(actor, mark.incident_id, "在校外网吧，由父亲接回家，明早返校",
                                      session_for(leaders[0]), demo.settings.dorm)
        if night == nights[-4]:
            with clock.frozen_at(datetime.combine(night + timedelta(days=1), time(7, 30), zone)):
                headcount_whereabouts.end_whereabouts(demo.actor_for(supervisors[0]), sick_record)


def _disagreement_candidate(view) -> tuple[str, str] | None:
    """A student the gate saw return today (-> not in the room), else one out on a slip (-> present)."""
    from kiosk.services import headcount_rules as rules

    for room in view.rooms:
        for line in room.expected:
            if line.gate in (rules.GATE_RETURNED, rules.GATE_RETURNED_LATE):
                return line.student_id, rules.RETURNED_NOT_IN_ROOM
    for room in view.rooms:
        for absence in room.expected_absent:
            if absence.reason == "on_leave" and absence.slip_id:
                return absence.student_id, rules.OUT_BUT_PRESENT
    return None


FEATURE = Feature(
    name="dorm", models=tuple(MODELS), register_cli=register_cli, exports=EXPORTS, seed_demo=seed_demo,
    station_actions=station_actions, status_alerts=status_alerts,
    # every station's status bar shows open incidents
    pulls={"dorm": ("whereabouts", "headcount_round", "room_mark", "room_confirm", "extra_person", "overnight_guest",
                    "guest_approval*", "incident", "incident_ack"),
           "gate": ("incident", "incident_ack"), "canteen": ("incident", "incident_ack")},
    sync_tables={
        "guest_approval": policy.OFFICE_ONLY,
        "guest_approval_revocation": policy.OFFICE_ONLY,
        "headcount_round": policy.TablePolicy(insert=frozenset({"dorm"}), set_once=("submitted_at",)),
        "room_mark": policy.DORM_ONLY,
        "room_confirm": policy.DORM_ONLY,
        "whereabouts": policy.DORM_ONLY,
        "extra_person": policy.DORM_ONLY,
        "overnight_guest": policy.DORM_ONLY,
        "incident": policy.TablePolicy(insert=frozenset({"dorm"}), update_others=frozenset({"dorm", "office"}),
                                       set_once=("closed_at",),
                                       why="leaders close an unknown whereabouts from the office or another dorm"),
        "incident_ack": policy.TablePolicy(insert=frozenset({"dorm", "office"})),
    },
)
