"""Core sub-commands: run, demo, config show, audit verify, export."""
from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from kiosk import config
from kiosk.cli_base import CliError, command
from kiosk.config import STATION_KINDS


def register_cli(subparsers) -> None:
    run = command(subparsers, "run", cmd_run, "start a station full-screen")
    run.add_argument("--station", choices=STATION_KINDS, help="station kind (default: from config)")
    run.add_argument("--lang", choices=config.LANGUAGES, help="language (default: from config)")
    run.add_argument("--idcard-sim", action="store_true",
                     help="gate: a simulated ID card reader on the visitor form (F7 places a demo card)")

    demo = command(subparsers, "demo", cmd_demo, "create the demo school in the database (if it is empty)")
    demo.add_argument("--seed", type=int, default=20261121, help="random seed (deterministic)")

    cfg = subparsers.add_parser("config", help="configuration")
    cfg_sub = cfg.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    command(cfg_sub, "show", cmd_config_show, "print the effective configuration as TOML", needs_db=False)

    audit = subparsers.add_parser("audit", help="audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    command(audit_sub, "verify", cmd_audit_verify, "check the audit log's hash chain")

    export = command(subparsers, "export", cmd_export, "export records as CSV or XLSX")
    export.add_argument("kind", help="what to export (students, staff, and each station's kinds)")
    export.add_argument("--from", dest="start", type=date.fromisoformat, help="first day (YYYY-MM-DD)")
    export.add_argument("--to", dest="end", type=date.fromisoformat, help="last day (YYYY-MM-DD)")
    export.add_argument("--format", choices=("csv", "xlsx"),
                        help="default: from the output file's name (.xlsx or .csv), else csv")
    export.add_argument("-o", "--output", required=True, help="output file")


def cmd_run(args: argparse.Namespace, settings: config.Settings) -> int:
    from kiosk.app import KioskApp
    from kiosk.db import ensure_station_identity
    from kiosk.services.stations import announce_station

    if args.idcard_sim:
        settings.idcard.port = "sim"  # kiosk.widgets.idcard_watch starts the simulator with the form
    station_id = ensure_station_identity()
    announce_station(settings, station_id)  # so other stations show this one by its name
    app = KioskApp(settings, station_id=station_id)
    app.run()
    return 0


def cmd_demo(args: argparse.Namespace, settings: config.Settings) -> int:
    from kiosk.services.demo import create_demo_school

    summary = create_demo_school(settings, seed=args.seed)
    print(summary)
    return 0


def cmd_config_show(args: argparse.Namespace, settings: config.Settings) -> int:
    sys.stdout.write(config.dumps(settings))
    return 0


def cmd_audit_verify(args: argparse.Namespace, settings: config.Settings) -> int:
    from kiosk.models import AuditEntry
    from kiosk.services.facts import verify_audit_chain

    problem = verify_audit_chain()
    if problem is not None:
        print(f"kiosk: audit log broken at {problem.message}", file=sys.stderr)
        return 1
    print(f"audit log intact: {AuditEntry.select().count()} entries")
    return 0


def day_range_utc(start: date | None, end: date | None, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """School-local days [start 00:00, end+1 00:00) as UTC bounds; open ends are unbounded."""
    low = datetime.combine(start, time(0), zone) if start else datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC"))
    high = datetime.combine(end + timedelta(days=1), time(0), zone) if end else datetime(9999, 1, 1, tzinfo=ZoneInfo("UTC"))
    return low, high


FORMAT_BY_SUFFIX = {".xlsx": "xlsx", ".csv": "csv"}


def export_format(output: str, asked: str | None) -> str:
    """The format to write: the one the file's name says, unless asked for; a name that says another is refused
    (CSV text in a file named .xlsx is one Excel will not open)."""
    named = FORMAT_BY_SUFFIX.get(Path(output).suffix.lower())
    if asked and named and asked != named:
        raise CliError(f"{output} is named as {named.upper()} but --format {asked} was asked: "
                       f"name the file .{asked}, or use --format {named}")
    return asked or named or "csv"


def cmd_export(args: argparse.Namespace, settings: config.Settings) -> int:
    from kiosk import features
    from kiosk.services.exports import write_table

    kinds = features.exports()
    if args.kind not in kinds:
        raise CliError(f"unknown export kind {args.kind!r}; choose from: {', '.join(sorted(kinds))}")
    if args.start and args.end and args.start > args.end:
        raise CliError("--from is after --to")
    fmt = export_format(args.output, args.format)
    table = kinds[args.kind](settings, args.start, args.end)
    try:
        count = write_table(table, args.output, fmt)
    except OSError as error:
        raise CliError(f"cannot write {args.output}: {error.strerror}") from None
    print(f"{count} rows -> {Path(args.output).resolve()}")  # where it went, whatever directory this ran in
    return 0
