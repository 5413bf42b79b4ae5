"""Core feature: roster and staff (import, export, search). Registered in kiosk.features.

`kiosk import roster FILE [--dry-run] [--skip-bad] [--partial] [--sheet NAME]`,
`kiosk import staff FILE [--dry-run] [--skip-bad] [--sheet NAME]`;
exports `students` and `staff` (their Chinese headers are ones the importer reads back).
"""
from __future__ import annotations

import argparse
from datetime import date

from kiosk import config
from kiosk.cli import command
from kiosk.i18n import t_in
from kiosk.services.exports import Table
from kiosk.features import Feature

# Exit statuses of `kiosk import`: 0 imported (or a clean dry run), 1 bad rows and nothing imported
# (or a dry run that found bad rows), 2 the file itself cannot be read (CliError).
EXIT_BAD_ROWS = 1

STUDENT_EXPORT_HEADERS = ["学号", "姓名", "性别", "年级", "班级", "住宿/走读", "宿舍楼", "房间", "床位", "监护人",
                          "监护人电话", "在籍"]
STAFF_EXPORT_HEADERS = ["工号", "姓名", "角色", "班级", "电话", "卡号", "在职"]


def register_cli(subparsers) -> None:
    imports = subparsers.add_parser("import", help="import the student roster or the staff list "
                                    "(.xlsx, .xlsm, .xls, .ods, CSV or TSV)")
    kinds = imports.add_subparsers(dest="import_kind", required=True, metavar="WHAT")
    roster = command(kinds, "roster", cmd_import_roster,
                     "import students from .xlsx/.xlsm/.xls/.ods or CSV/TSV (UTF-8/GB18030/UTF-16); "
                     "students missing from the file become inactive")
    roster.add_argument("file", help="roster file (.xlsx, .xlsm, .xls, .ods, .csv or .tsv)")
    roster.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    roster.add_argument("--skip-bad", action="store_true", help="import the good rows even if some rows are bad")
    roster.add_argument("--partial", action="store_true",
                        help="the file lists only some students: do not deactivate the ones it leaves out")
    roster.add_argument("--sheet", metavar="NAME", help="the sheet to read (default: the first one with the header)")
    roster.add_argument("--allow-mass-leave", action="store_true",
                        help="deactivate more than half the active students if the file leaves them out")
    staff = command(kinds, "staff", cmd_import_staff,
                    "import staff from .xlsx/.xlsm/.xls/.ods or CSV/TSV (UTF-8/GB18030/UTF-16)")
    staff.add_argument("file", help="staff file (.xlsx, .xlsm, .xls, .ods, .csv or .tsv)")
    staff.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    staff.add_argument("--skip-bad", action="store_true", help="import the good rows even if some rows are bad")
    staff.add_argument("--sheet", metavar="NAME", help="the sheet to read (default: the first one with the header)")


def _both(key: str, **values: object) -> str:
    zh = t_in("zh-CN", f"people.{key}", **values)
    en = t_in("en", f"people.{key}", **values)
    return f"{zh} / {en}"


def report_lines(report) -> list[str]:
    """The import report as printed: counts, one line per bad row, then the outcome."""
    counts = dict(rows=report.rows, created=report.created, updated=report.updated, deactivated=report.deactivated,
                  unchanged=report.unchanged, skipped=report.skipped)
    lines = [_both("cli_summary", **counts)]
    for row, errors in report.errors_by_row().items():
        zh = "；".join(error.message.split(" / ", 1)[0] for error in errors)
        en = "; ".join(error.message.split(" / ", 1)[-1] for error in errors)
        lines.append(f"{t_in('zh-CN', 'people.cli_row', row=row, reasons=zh)} / {t_in('en', 'people.cli_row', row=row, reasons=en)}")
    if report.dry_run:
        lines.append(_both("cli_dry_run"))
    elif not report.imported:
        lines.append(_both("cli_blocked", count=report.skipped))
    elif report.skipped:
        lines.append(_both("cli_imported_skipped", count=report.skipped))
    else:
        lines.append(_both("cli_imported"))
    return lines


def _run_import(args: argparse.Namespace, settings: config.Settings, kind: str) -> int:
    from kiosk.services.actor import system_actor
    from kiosk.services.roster_import import import_roster, import_staff

    actor = system_actor(settings.school.id)
    if kind == "roster":
        report = import_roster(args.file, actor, dry_run=args.dry_run, skip_bad=args.skip_bad,
                               full=not args.partial, school_name=settings.school.name, sheet=args.sheet,
                               allow_mass_leave=args.allow_mass_leave)
    else:
        report = import_staff(args.file, actor, dry_run=args.dry_run, skip_bad=args.skip_bad,
                              school_name=settings.school.name, sheet=args.sheet)
    for line in report_lines(report):
        print(line)
    if report.errors and (report.dry_run or not report.imported):
        return EXIT_BAD_ROWS
    return 0


def cmd_import_roster(args: argparse.Namespace, settings: config.Settings) -> int:
    return _run_import(args, settings, "roster")


def cmd_import_staff(args: argparse.Namespace, settings: config.Settings) -> int:
    return _run_import(args, settings, "staff")


def export_students(settings: config.Settings, start: date | None, end: date | None) -> Table:
    """Every student, active first, in the roster's own column layout (re-importable); dates do not apply."""
    import peewee

    from kiosk.models import Building, Room, Student

    query = (Student.select(Student, Room, Building).join(Room, peewee.JOIN.LEFT_OUTER).join(Building, peewee.JOIN.LEFT_OUTER)
             .where(Student.school_id == settings.school.id)
             .order_by(Student.active.desc(), Student.class_name, Student.number))
    rows = []
    for student in query:
        room = student.room if student.room_id else None
        rows.append([
            student.number, student.name, {"M": "男", "F": "女"}.get(student.gender, student.gender), student.grade,
            student.class_name, "住宿" if student.boarder else "走读", room.building.name if room else "",
            room.number if room else "", student.bed if student.bed is not None else "", student.guardian_name,
            student.guardian_phone, student.active,
        ])
    return Table("学生名册", list(STUDENT_EXPORT_HEADERS), rows)


def export_staff(settings: config.Settings, start: date | None, end: date | None) -> Table:
    """Every staff member (never PIN hashes), in the staff import's column layout."""
    from kiosk.models import Staff

    query = Staff.select().where(Staff.school_id == settings.school.id).order_by(Staff.active.desc(), Staff.number)
    rows = []
    for member in query:
        roles = "、".join(t_in("zh-CN", f"people.role_{role}") for role in member.roles.split(",") if role)
        rows.append([member.number, member.name, roles, member.class_name, member.phone, member.card_code, member.active])
    return Table("教职工", list(STAFF_EXPORT_HEADERS), rows)


EXPORTS = {"students": export_students, "staff": export_staff}


FEATURE = Feature(name="people", register_cli=register_cli, exports=EXPORTS)
