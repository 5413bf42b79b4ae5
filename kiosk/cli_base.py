"""What every `kiosk` sub-command is made with: `command()` to add one, and CliError for a mistake in its
own words. Separate from kiosk.cli so that the modules defining commands need not import the entry point
that imports them (kiosk.cli builds the parser from them)."""
from __future__ import annotations

import argparse
from typing import Callable

from kiosk import config

Handler = Callable[[argparse.Namespace, config.Settings], int]


class CliError(Exception):
    """A mistake in the command's own words (a bad option value): one line on stderr, exit status 2, nothing
    changed. Errors from services are UserErrors and reach `main` as they are."""


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH", help="station database (default: from config)")
    parser.add_argument("--config", metavar="PATH", help="config file (default: XDG config path)")


def command(subparsers, name: str, handler: Handler, help: str, *, needs_db: bool = True) -> argparse.ArgumentParser:
    """Add a sub-command that opens the database (unless needs_db=False) before `handler` runs."""
    parser = subparsers.add_parser(name, help=help, description=help)
    add_common(parser)
    parser.set_defaults(handler=handler, needs_db=needs_db)
    return parser
