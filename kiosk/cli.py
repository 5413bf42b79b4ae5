"""`kiosk` command line. Every command takes --db and --config; errors exit non-zero with one line on stderr.

Feature modules add their own sub-commands through `register_cli(subparsers)` (see kiosk.features);
each handler is `handler(args, settings) -> int`, called with the database already open.
"""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

from kiosk import config
from kiosk.cli_base import CliError, Handler, add_common, command
from kiosk.i18n import UserError

__all__ = ["CliError", "Handler", "add_common", "command", "main", "build_parser", "load_settings"]

def load_settings(args: argparse.Namespace) -> config.Settings:
    settings = config.load(getattr(args, "config", None))
    if getattr(args, "db", None):
        settings.database.path = args.db
    if getattr(args, "station", None):
        settings.station.kind = args.station
    if getattr(args, "lang", None):
        settings.language = args.lang
    config.validate(settings)
    return settings


def build_parser() -> argparse.ArgumentParser:
    from kiosk import commands, features

    parser = argparse.ArgumentParser(prog="kiosk", description="School Station Kiosk")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands.register_cli(subparsers)
    for feature in features.loaded():
        if feature.register_cli is not None:
            feature.register_cli(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args)
        if args.needs_db:
            from kiosk.db import open_database

            open_database(settings.database_path())
            from zoneinfo import ZoneInfo

            from kiosk.services.scripted_clock import apply_environment

            apply_environment(ZoneInfo(settings.school.timezone))  # KIOSK_CLOCK: demo and test databases only
        return args.handler(args, settings)
    except (UserError, CliError, config.ConfigError) as error:  # the one place the CLI turns them into a line
        print(f"kiosk: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # a bug, not a user error: one line here, the traceback in the log
        log_path = log_unexpected(error)
        print(f"kiosk: unexpected error: {type(error).__name__}: {error} (details in {log_path})", file=sys.stderr)
        return 1


def log_unexpected(error: BaseException) -> str:
    import logging
    import traceback

    from kiosk import paths

    path = paths.data_dir() / "kiosk.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write("".join(traceback.format_exception(error)))
    except OSError:
        logging.getLogger(__name__).exception("unexpected error")
        return "stderr"
    return str(path)
