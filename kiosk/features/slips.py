"""Pass slips and day students: the office issues and revokes signed slips, the gate checks them offline.

Registered in kiosk.features. Tables: kiosk/models/slips.py; rules: kiosk/services/slip_rules.py (pure);
codec: slip_codec.py; keys: slip_keys.py; services: slips.py.

CLI: `kiosk keys init [--rotate]|list|export-public|import-public`, `kiosk slip issue|approve|revoke|list|png`,
`kiosk gate check CODE [--at ISO] [--direction out|in] [--record --staff NO] [--json]`.
Export `gate`: every crossing and every scan (refusals included) in a date range.
"""
from __future__ import annotations

import argparse
import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from kiosk.config import Settings
from kiosk.models.slip_review import SLIP_REVIEW_MODELS
from kiosk.models.slips import SLIP_MODELS
from kiosk.sync import policy
from kiosk.features import Feature

MODELS = list(SLIP_MODELS) + list(SLIP_REVIEW_MODELS)
GATE_ROLES = frozenset({"gatekeeper"})
ISSUE_ROLES = frozenset({"head_teacher"})
APPROVE_ROLES = frozenset({"head_teacher", "discipline", "principal"})
OFFICE_ROLES = frozenset({"head_teacher", "discipline", "principal", "duty_leader"})
REASON_WORDS = {"病假": "sick", "事假": "personal", "回家": "home", "其他": "other",
                "sick": "sick", "personal": "personal", "home": "home", "other": "other"}


# ---------------------------------------------------------------- CLI


def register_cli(subparsers) -> None:
    from kiosk.cli import command

    keys = subparsers.add_parser("keys", help="slip-signing keys (office private key, gate public keys)")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    init = command(keys_sub, "init", cmd_keys_init, "create the office's Ed25519 key pair (private file 0600)")
    init.add_argument("--out", metavar="DIR",
                      help="folder for the private key file (default: [slips] key_dir, else <database>.keys/ beside the database); "
                           "set [slips] key_dir to the same folder so the office can sign with it")
    init.add_argument("--rotate", action="store_true", help="make a new key even if one exists (old ones retire)")
    command(keys_sub, "list", cmd_keys_list, "list the signing keys this station knows")
    export = command(keys_sub, "export-public", cmd_keys_export, "write the public keys a gate station needs")
    export.add_argument("-o", "--output", required=True, metavar="FILE")
    imp = command(keys_sub, "import-public", cmd_keys_import, "add public keys from an export-public file")
    imp.add_argument("file", metavar="FILE")

    slip = subparsers.add_parser("slip", help="pass slips 出门条")
    slip_sub = slip.add_subparsers(dest="slip_command", required=True, metavar="ACTION")
    issue = command(slip_sub, "issue", cmd_slip_issue,
                    "issue a signed slip; prints the slip id, then the QR payload")
    issue.add_argument("--student", required=True, metavar="NO")
    issue.add_argument("--from", dest="leave_from", required=True, metavar="ISO")
    issue.add_argument("--to", dest="leave_to", required=True, metavar="ISO")
    issue.add_argument("--return-by", dest="return_by", required=True, metavar="ISO")
    issue.add_argument("--reason", required=True, metavar="TEXT",
                       help="病假/事假/回家/其他 (or sick/personal/home/other); any other text = 其他 with that note")
    issue.add_argument("--note", default="", metavar="TEXT")
    issue.add_argument("--issuer", required=True, metavar="STAFFNO")
    issue.add_argument("--companion", metavar="NAME,RELATION,PHONE")
    issue.add_argument("--png", metavar="FILE", help="also write the printable slip as PNG")
    approve = command(slip_sub, "approve", cmd_slip_approve, "give the next approval a slip needs")
    approve.add_argument("slip_id", metavar="SLIP_ID")
    approve.add_argument("--by", required=True, metavar="STAFFNO")
    revoke = command(slip_sub, "revoke", cmd_slip_revoke, "revoke a slip (never undone)")
    revoke.add_argument("slip_id", metavar="SLIP_ID")
    revoke.add_argument("--reason", required=True, metavar="TEXT")
    revoke.add_argument("--by", required=True, metavar="STAFFNO")
    listing = command(slip_sub, "list", cmd_slip_list, "list slips and their state")
    listing.add_argument("--class", dest="class_name", metavar="NAME")
    listing.add_argument("--json", action="store_true")
    png = command(slip_sub, "png", cmd_slip_png, "write a slip's printable PNG again")
    png.add_argument("slip_id", metavar="SLIP_ID")
    png.add_argument("-o", "--output", required=True, metavar="FILE")

    gate = subparsers.add_parser("gate", help="gate checks of slips and student cards")
    gate_sub = gate.add_subparsers(dest="gate_command", required=True, metavar="ACTION")
    check = command(gate_sub, "check", cmd_gate_check, "the gate's verdict for a scanned code or a student number")
    check.add_argument("code", metavar="CODE")
    check.add_argument("--at", metavar="ISO", help="judge as of this time (default: now)")
    check.add_argument("--direction", choices=("out", "in"),
                       help="a student card's direction (default: the opposite of the student's last crossing)")
    check.add_argument("--record", action="store_true", help="record the crossing as the gate would")
    check.add_argument("--staff", metavar="STAFFNO", help="the gatekeeper (with --record)")
    check.add_argument("--json", action="store_true")
    overdue = command(gate_sub, "overdue", cmd_gate_overdue, "students out past their return deadline")
    overdue.add_argument("--json", action="store_true")


def _zone(settings: Settings) -> ZoneInfo:
    return ZoneInfo(settings.school.timezone)


def _parse_time(text: str, settings: Settings, flag: str) -> datetime:
    from kiosk import clock
    from kiosk.cli import CliError

    try:
        return clock.parse_local(text, _zone(settings))
    except ValueError:
        raise CliError(f"{flag}: {text!r} is not an ISO date-time (e.g. 2026-11-20T16:30)") from None


def _staff_actor(settings: Settings, number: str, flag: str):
    from kiosk.cli import CliError
    from kiosk.db import ensure_station_identity
    from kiosk.services.actor import Actor
    from kiosk.services.auth import find_staff

    staff = find_staff(number, settings.school.id)
    if staff is None or not staff.active:
        raise CliError(f"{flag}: no active staff member {number!r}")
    return Actor(school_id=settings.school.id, station_id=ensure_station_identity(), staff_id=staff.id,
                 staff_number=staff.number, staff_name=staff.name, roles=staff.role_set())


def _system_actor(settings: Settings):
    from kiosk.services.actor import system_actor

    return system_actor(settings.school.id)


def cmd_keys_init(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.cli import CliError
    from kiosk.services.slip_keys import SlipKeyError, create_key

    try:
        folder = args.out or settings.slips.key_dir
        info = create_key(_system_actor(settings), key_dir=Path(folder) if folder else None, rotate=args.rotate)
    except SlipKeyError as error:
        raise CliError(str(error)) from None
    print(f"key {info.key_id}: public {info.public_key}")
    print(f"private key: {info.private_file} (keep it on this office PC only)")
    return 0


def cmd_keys_list(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.services.slip_keys import list_keys

    for key in list_keys(settings.school.id, Path(settings.slips.key_dir) if settings.slips.key_dir else None):
        state = "retired" if key.retired_at else "active"
        print(f"{key.key_id}\t{state}\t{key.public_key}\t{'private: ' + key.private_file if key.private_file else ''}")
    return 0


def cmd_keys_export(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.cli import CliError
    from kiosk.services.slip_keys import SlipKeyError, export_public

    try:
        count = export_public(settings.school.id, Path(args.output))
    except SlipKeyError as error:
        raise CliError(str(error)) from None
    except OSError as error:
        raise CliError(f"cannot write {args.output}: {error.strerror}") from None
    print(f"{count} public keys -> {args.output}")
    return 0


def cmd_keys_import(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.cli import CliError
    from kiosk.services.slip_keys import SlipKeyError, import_public

    try:
        count = import_public(_system_actor(settings), Path(args.file))
    except SlipKeyError as error:
        raise CliError(str(error)) from None
    print(f"{count} new public keys imported")
    return 0


def _reason(text: str, note: str) -> tuple[str, str]:
    text = text.strip()
    if text in REASON_WORDS:
        return REASON_WORDS[text], note
    return "other", (text + (" " + note if note else "")).strip()


def cmd_slip_issue(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.cli import CliError
    from kiosk.services.slips_office import issue_slip

    actor = _staff_actor(settings, args.issuer, "--issuer")
    companion = ["", "", ""]
    if args.companion:
        parts = [part.strip() for part in args.companion.split(",")]
        if len(parts) != 3:
            raise CliError("--companion: expected NAME,RELATION,PHONE")
        companion = parts
    kind, note = _reason(args.reason, args.note)
    issued = issue_slip(actor, settings, student_number=args.student, reason_kind=kind, reason_note=note,
                        leave_from=_parse_time(args.leave_from, settings, "--from"),
                        leave_to=_parse_time(args.leave_to, settings, "--to"),
                        return_by=_parse_time(args.return_by, settings, "--return-by"),
                        companion_name=companion[0], companion_relation=companion[1], companion_phone=companion[2])
    if args.png:
        _write_png(settings, issued.slip, Path(args.png))
    print(issued.slip.id)
    print(issued.code)
    return 0


def _write_png(settings: Settings, view, path: Path) -> None:
    from kiosk.cli import CliError
    from kiosk.services.slip_print import render_slip

    try:
        render_slip(view, settings).save(path)
    except OSError as error:
        raise CliError(f"cannot write {path}: {error.strerror}") from None


def cmd_slip_png(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.services.slips import slip_view

    view = slip_view(settings.school.id, args.slip_id)
    _write_png(settings, view, Path(args.output))
    print(args.output)
    return 0


def cmd_slip_approve(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.services.slips_office import approve_slip

    view = approve_slip(_staff_actor(settings, args.by, "--by"), args.slip_id)
    print(f"{view.id}\t{view.status}")
    return 0


def cmd_slip_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.services.slips_office import revoke_slip

    view = revoke_slip(_staff_actor(settings, args.by, "--by"), args.slip_id, args.reason)
    print(f"{view.id}\t{view.status}")
    return 0


def cmd_slip_list(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.services.slips_office import class_slips
    from kiosk.services.slips import to_plain

    views = class_slips(settings.school.id, args.class_name)
    if args.json:
        print(json.dumps([{k: v for k, v in to_plain(view).items() if k != "code"} for view in views],
                         ensure_ascii=False, indent=1))
        return 0
    zone = _zone(settings)
    for view in views:
        print("\t".join([view.short, view.status, view.student_number, view.student_name, view.class_name,
                         view.leave_from.astimezone(zone).strftime("%m-%d %H:%M"),
                         view.return_by.astimezone(zone).strftime("%m-%d %H:%M")]))
    return 0


# Exit status of `kiosk gate check` when the student may not pass without a gatekeeper: refused, or allowed only
# on a gatekeeper's confirmation (outside a day student's hours with gate.day_student_outside_hours = "confirm";
# the JSON says "needs_confirmation"). 0: allowed; 1, 2: errors.
GATE_CHECK_REFUSED = 3


def cmd_gate_check(args: argparse.Namespace, settings: Settings) -> int:
    """A turnstile's or a script's question. Without --record it only reads: no scan row, no refusal on
    the office's list with an empty gatekeeper. With --record it does what the gate screen does."""
    from kiosk import clock
    from kiosk.cli import CliError
    from kiosk.services.slips import SlipError
    from kiosk.services.slips_gate import check_at_gate, check_code, record_crossing

    now = _parse_time(args.at, settings, "--at") if args.at else clock.now()
    if args.record and not args.staff:
        raise CliError("--record needs --staff STAFFNO (the gatekeeper)")
    direction = {"out": "exit", "in": "return", None: None}[args.direction]
    result_recorded = None
    if args.record:
        actor = _staff_actor(settings, args.staff, "--staff")
        check = check_at_gate(actor, settings, args.code, now, direction)
        if check.verdict.allowed and not check.needs_confirmation:
            try:
                done = record_crossing(actor, settings, check, args.code, now)
            except SlipError as error:
                raise CliError(str(error)) from error
            result_recorded = {"crossing_id": done.crossing_id, "direction": done.direction, "at": done.at.isoformat()}
    else:
        check = check_code(settings, args.code, now, direction)
    if args.json:
        result = check.as_json()
        result["recorded"] = result_recorded
        print(json.dumps(result, ensure_ascii=False))
    else:
        from kiosk.i18n import t

        who = f"{check.student.name} {check.student.class_name}" if check.student else ""
        print(f"{t(f'slips.verdict_{check.verdict.kind}')}\t{check.reason}\t{who}")
    return 0 if check.verdict.allowed and not check.needs_confirmation else GATE_CHECK_REFUSED


def cmd_gate_overdue(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.services.slips_overdue import overdue_board, raise_overdue_alerts
    from kiosk.services.slips import to_plain

    raise_overdue_alerts(_system_actor(settings), settings)
    rows = overdue_board(settings)
    if args.json:
        print(json.dumps([to_plain(r) for r in rows], ensure_ascii=False, indent=1))
        return 0
    for row in rows:
        print(f"{row.student.name}\t{row.student.class_name}\t{row.minutes_late} min\t{row.head_teacher}\t"
              f"{row.guardian_phone}")
    return 0


# ---------------------------------------------------------------- export


def export_gate(settings: Settings, start: date | None, end: date | None):
    """Every crossing and every scan (refusals and forgeries included) in the school-local date range."""
    from kiosk.commands import day_range_utc
    from kiosk.i18n import t
    from kiosk.ids import short_code
    from kiosk.models import Staff, Student
    from kiosk.models.slips import GateCrossing, GateScan
    from kiosk.services.exports import Table
    from kiosk.services.slips import stored_reason
    from kiosk.services.stations import station_label, station_names

    def flags_text(flags: str) -> str:  # "typed,late" -> 手动输入、逾期返校
        return t("slips.export_flag_separator").join(t(f"slips.flag_short_{flag}") for flag in flags.split(",") if flag)

    zone = _zone(settings)
    stations = station_names(settings.school.id)
    low, high = day_range_utc(start, end, zone)
    school = settings.school.id
    students = {s.id: s for s in Student.select().where(Student.school_id == school)}
    staff = {s.id: s.name for s in Staff.select(Staff.id, Staff.name).where(Staff.school_id == school)}
    rows: list[tuple[datetime, list[object]]] = []
    for c in GateCrossing.select().where((GateCrossing.school_id == school) & (GateCrossing.at >= low)
                                         & (GateCrossing.at < high)):
        student = students.get(c.student_id)
        rows.append((c.at, [c.at.astimezone(zone).replace(tzinfo=None), t("slips.export_crossing"),
                            student.number if student else "", student.name if student else "",
                            student.class_name if student else "", t(f"slips.direction_{c.direction}"),
                            t(f"slips.ckind_{c.kind}"), short_code(c.slip_id) if c.slip_id else "",
                            flags_text(c.flags), str(station_label(stations, c.station_id)), staff.get(c.staff_id, "")]))
    for s in GateScan.select().where((GateScan.school_id == school) & (GateScan.recorded_at >= low)
                                     & (GateScan.recorded_at < high)):
        student = students.get(s.student_id) if s.student_id else None
        reason = str(stored_reason(s.reason_code, s.detail))
        if s.typed:
            reason = t("slips.export_typed", reason=reason)
        rows.append((s.recorded_at, [s.recorded_at.astimezone(zone).replace(tzinfo=None), t("slips.export_scan"),
                                     student.number if student else "", student.name if student else "",
                                     student.class_name if student else "", t(f"slips.verdict_{s.verdict}"), reason,
                                     short_code(s.slip_id) if s.slip_id else "", s.raw,
                                     str(station_label(stations, s.station_id)), staff.get(s.staff_id, "")]))
    rows.sort(key=lambda pair: pair[0])
    headers = [t(f"slips.col_{k}") for k in ("time", "record", "number", "name", "class", "direction", "detail",
                                             "slip", "extra", "station", "staff")]
    return Table(t("slips.export_gate_title"), headers, [row for _, row in rows])


EXPORTS = {"gate": export_gate}


# ---------------------------------------------------------------- status bar


def status_alerts(ctx) -> list[str]:
    """Open overdue alerts and unreviewed slip conflicts (gate and office); unconfirmed verbal exceptions (office)."""
    if ctx.station_kind not in ("gate", "office"):
        return []
    from kiosk.i18n import t
    from kiosk.models.slips import OverdueAlert, VerbalException

    alerts = []
    count = OverdueAlert.select().where((OverdueAlert.school_id == ctx.school_id)
                                        & OverdueAlert.resolved_at.is_null()).count()
    if count:
        alerts.append(t("slips.alert_overdue", count=count))
    from kiosk.services.slip_conflicts import unreviewed_count

    conflicts = unreviewed_count(ctx.school_id)
    if conflicts:
        alerts.append(t("slips.alert_conflicts", count=conflicts))
    if ctx.station_kind == "office":
        from kiosk.models import Student
        from kiosk.services.acting_roles import session_listing_class

        own = session_listing_class(ctx.session)  # a head teacher counts what their own list shows: their class
        pending = VerbalException.select().join(Student).where((VerbalException.school_id == ctx.school_id)
                                                               & VerbalException.confirmed_at.is_null())
        if own is not None:
            pending = pending.where(Student.class_name == own)
        pending = pending.count()
        if pending:
            alerts.append(t("slips.alert_verbal", count=pending))
    return alerts


# ---------------------------------------------------------------- station menu


def station_actions(station_kind: str):
    from kiosk.features import StationAction

    if station_kind == "gate":
        def check():
            from kiosk.screens.slip_gate import SlipCheckScreen
            return SlipCheckScreen()

        def overdue():
            from kiosk.screens.slip_gate import OverdueScreen
            return OverdueScreen()

        def verbal():
            from kiosk.screens.gate_verbal import VerbalExceptionScreen
            return VerbalExceptionScreen()

        return [StationAction("s", "slips.menu_check", GATE_ROLES, check),
                StationAction("l", "slips.menu_overdue", GATE_ROLES, overdue),
                StationAction("x", "slips.menu_verbal", GATE_ROLES, verbal)]
    if station_kind == "office":
        def issue():
            from kiosk.screens.slip_office import IssueScreen
            return IssueScreen()

        def slips():
            from kiosk.screens.slip_office import SlipListScreen
            return SlipListScreen()

        def refusals():
            from kiosk.screens.slip_office import RefusalsScreen
            return RefusalsScreen()

        def exceptions():
            from kiosk.screens.slip_office import ExceptionsScreen
            return ExceptionsScreen()

        def conflicts():
            from kiosk.screens.slip_conflicts import ConflictsScreen
            return ConflictsScreen()

        return [StationAction("i", "slips.menu_issue", ISSUE_ROLES, issue),
                StationAction("c", "slips.menu_list", APPROVE_ROLES, slips),
                StationAction("f", "slips.menu_refusals", OFFICE_ROLES, refusals),
                StationAction("y", "slips.menu_exceptions", OFFICE_ROLES, exceptions),
                StationAction("k", "slips.menu_conflicts", OFFICE_ROLES, conflicts)]
    return []


# ---------------------------------------------------------------- demo


def seed_demo(demo) -> None:
    from kiosk.services.slip_demo import seed

    seed(demo)


_SLIPS_AT_THE_GATES = ("pass_slip", "slip_*", "verbal_exception", "gate_crossing", "overdue_alert")
FEATURE = Feature(
    name="slips", models=tuple(MODELS), register_cli=register_cli, exports=EXPORTS, seed_demo=seed_demo,
    station_actions=station_actions, status_alerts=status_alerts,
    # the dorm reconciles its count with the gate's crossings; every station shows overdue returns
    pulls={"gate": _SLIPS_AT_THE_GATES, "dorm": _SLIPS_AT_THE_GATES, "canteen": ("overdue_alert",)},
    sync_tables={
        **{name: policy.OFFICE_ONLY for name in ("slip_key", "pass_slip", "slip_approval", "slip_revocation",
                                                 "slip_conflict_review")},
        "gate_crossing": policy.TablePolicy(insert=frozenset({"gate"}),
                                            set_once=("direction", "student_id", "at", "slip_id")),
        "gate_scan": policy.GATE_ONLY,
        "verbal_exception": policy.TablePolicy(insert=frozenset({"gate"}), update_others=frozenset({"office"}),
                                               set_once=("direction", "confirmed_at"),
                                               why="the head teacher confirms it the next day at the office"),
        "overdue_alert": policy.TablePolicy(insert=frozenset({"gate", "office"}),
                                            update_others=frozenset({"gate", "office"}), set_once=("resolved_at",),
                                            why="resolved where the student turns up, or at the office"),
    },
)
