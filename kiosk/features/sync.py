"""Sync feature: local sync tables, `kiosk sync`, `kiosk central ...`, the status-bar text, the admin screen.

A station app with `sync.central_url` set starts the background SyncWorker (kiosk.sync.worker) through
`on_app_start`; the status bar reads its state through `sync_status(ctx)` every few seconds.
"""
from __future__ import annotations

import argparse
import json
import sys

from kiosk.background import WorkerSlot
from kiosk.cli import CliError, command
from kiosk.config import STATION_KINDS
from kiosk.models.sync import MODELS  # noqa: F401  (the registry reads MODELS)
from kiosk.features import Feature



def _make_worker(settings):
    from kiosk.sync.worker import SyncWorker

    return SyncWorker(settings)


# A station app with a central URL runs the background sync worker while it runs (nothing without one).
_WORKER = WorkerSlot(_make_worker, enabled=lambda settings: bool(settings.sync.central_url))
on_app_start, on_app_stop = _WORKER.on_app_start, _WORKER.on_app_stop


def status_text(state, zone) -> str:
    """The status bar's sync text (pure: state in, text out)."""
    from kiosk.i18n import t

    if not state.enabled:
        return t("sync.local_only")
    parts = []
    stalled = getattr(state, "stalled", None)
    if getattr(state, "central_outdated", False):
        parts.append(t("sync.central_outdated"))  # not "offline": a person must act, and where
    elif stalled is not None:
        parts.append(stalled_text(stalled))  # never "online" while no round completes
    elif state.online is None:
        parts.append(t("sync.connecting"))
    elif state.online:
        parts.append(t("sync.online"))
    else:
        parts.append(t("sync.offline"))
    parts.append(t("sync.pending", count=state.pending))
    if state.last_success is not None:
        parts.append(t("sync.last_success", time=state.last_success.astimezone(zone).strftime("%m-%d %H:%M")))
    if state.dead_letters or state.conflicts:
        parts.append(t("sync.problems", dead=state.dead_letters, conflicts=state.conflicts))
    if state.clock_warning:
        parts.append(t("sync.clock_warning"))
    return " ".join(parts)


def stalled_text(age) -> str:
    """`同步中断 12 分钟` / `sync stalled 12 min` for a timedelta (pure), in the largest unit that fits."""
    from kiosk.i18n import t

    seconds = max(0, int(age.total_seconds()))
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size:
            return t(f"sync_health.stalled_{unit}", count=seconds // size)
    return t("sync_health.stalled_seconds", count=seconds)


def sync_status(ctx) -> str | None:
    """The status bar's sync text; None without a central database (the shell then says "local only")."""
    from kiosk.sync.worker import sync_state

    if not ctx.settings.sync.central_url:
        return None
    return status_text(sync_state(ctx.settings), ctx.zone)


def station_actions(station_kind: str):
    from kiosk.features import StationAction

    try:
        import kiosk.screens.sync_admin  # noqa: F401
    except ImportError:
        return []

    def make_screen():
        from kiosk.screens.sync_admin import SyncAdminScreen

        return SyncAdminScreen()

    return [StationAction(key="f12", label_key="sync.menu_admin", roles=frozenset({"admin"}), make_screen=make_screen)]


# ------------------------------------------------------------------------------------------------ CLI

def register_cli(subparsers) -> None:
    sync = command(subparsers, "sync", cmd_sync, "push and pull with the shared database (loop; --once for one round)")
    sync.add_argument("action", nargs="?", choices=("status",), help="status: show pending rows, cursors, convergence")
    sync.add_argument("--once", action="store_true", help="one round, then exit (status 1 if central is unreachable)")
    sync.add_argument("--json", action="store_true", help="status as JSON")

    central = subparsers.add_parser("central", help="the shared PostgreSQL database")
    central_sub = central.add_subparsers(dest="central_command", required=True, metavar="ACTION")
    init = command(central_sub, "init", cmd_central_init, "create or upgrade the shared schema", needs_db=False)
    init.add_argument("--url", help="postgresql://... (default: sync.central_url)")
    add = command(central_sub, "add-station", cmd_central_add, "create a station's own role; prints its config TOML",
                  needs_db=False)
    add.add_argument("name")
    add.add_argument("--kind", choices=STATION_KINDS, required=True)
    add.add_argument("--url", help="postgresql://... as an administrator (default: sync.central_url)")
    add.add_argument("--school", help="school id (default: school.id)")
    add.add_argument("--station-id", help="the station's id (`kiosk sync status` on the station); else bind it later")
    bind = command(central_sub, "bind-station", cmd_central_bind,
                   "bind a station's role to its station id (its pushes are refused until then)", needs_db=False)
    bind.add_argument("name")
    bind.add_argument("station_id", help="as shown by `kiosk sync status` on the station")
    bind.add_argument("--url", help="postgresql://... as an administrator (default: sync.central_url)")
    remove = command(central_sub, "remove-station", cmd_central_remove, "revoke a station's role", needs_db=False)
    remove.add_argument("name")
    remove.add_argument("--url", help="postgresql://... as an administrator (default: sync.central_url)")


def _url(args, settings) -> str:
    url = args.url or settings.sync.central_url
    if not url:
        raise CliError("no central database: pass --url postgresql://... or set sync.central_url")
    return url


def _central_call(call, failure: str):
    """Run one administrative call on the central database: its own refusals are shown as they are, anything
    else (unreachable, no permission) as `failure` plus the first line of the reason."""
    from kiosk.sync import central

    try:
        return call()
    except central.CentralError as error:
        raise CliError(str(error)) from None
    except Exception as error:
        raise CliError(f"{failure}: {_first_line(error)}") from None


def cmd_central_init(args: argparse.Namespace, settings) -> int:
    from kiosk.sync import central

    url = _url(args, settings)
    def busy(attempt: int, seconds: float) -> None:
        from kiosk.i18n import t

        print(t("sync.central_init_busy", attempt=attempt, seconds=f"{seconds:g}"), file=sys.stderr, flush=True)

    server_epoch = _central_call(lambda: central.init(url, on_busy=busy), f"cannot initialise {central.redact(url)}")
    print(f"central schema ready (server epoch {server_epoch})")
    return 0


def cmd_central_add(args: argparse.Namespace, settings) -> int:
    from kiosk import config
    from kiosk.sync import station_roles

    role = _central_call(
        lambda: station_roles.add_station(_url(args, settings), args.name, args.kind, args.school or settings.school.id,
                                          args.station_id),
        f"cannot add station {args.name}")
    station = config.Settings()
    station.school.id = args.school or settings.school.id
    station.school.name = settings.school.name
    station.school.timezone = settings.school.timezone
    station.station.kind = args.kind
    station.station.name = args.name
    station.sync.central_url = role.url
    station.sync.interval_seconds = settings.sync.interval_seconds
    sys.stdout.write(f"# station {args.name} ({args.kind}); role {role.role}. Keep this file private: it holds the password.\n")
    if not args.station_id:
        sys.stdout.write(f"# Its pushes are refused until you run: kiosk central bind-station {args.name} <station id>\n"
                         "# (the station shows its id with `kiosk sync status`)\n")
    sys.stdout.write(config.dumps(station, reveal=True))
    return 0


def cmd_central_bind(args: argparse.Namespace, settings) -> int:
    from kiosk.sync import station_roles

    _central_call(lambda: station_roles.bind_station(_url(args, settings), args.name, args.station_id),
                  f"cannot bind station {args.name}")
    print(f"station {args.name} bound to station id {args.station_id}")
    return 0


def cmd_central_remove(args: argparse.Namespace, settings) -> int:
    from kiosk.sync import station_roles

    role = _central_call(lambda: station_roles.remove_station(_url(args, settings), args.name),
                         f"cannot remove station {args.name}")
    print(f"station {args.name} removed; role {role} dropped")
    return 0


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def cmd_sync(args: argparse.Namespace, settings) -> int:
    if args.action == "status":
        report = status_report(settings)
        if args.json:
            print(json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True))
        else:
            print(f"station id {report['station_id']} (epoch {report['epoch']})")
            print(f"pending {report['pending']}; last push {report['last_push'] or '-'}; last pull {report['last_pull'] or '-'}; "
                  f"converged {'yes' if report['converged'] else 'no'}")
            for stream, cursor in sorted(report["cursors"].items()):
                print(f"  {stream:24} {cursor['server_seq']:>10} {'ok' if cursor['converged'] else '--'}")
        return 0
    if not settings.sync.central_url:
        raise CliError("no central database: set sync.central_url (see `kiosk central add-station`)")
    from kiosk.sync import engine

    from kiosk.sync.worker import SyncWorker

    # The loop is the app's worker run in front: the same NOTIFY wake-up (a row from another station arrives
    # within a round trip, not an interval), watchdog, backoff and time limits; --once is one watched round.
    worker = SyncWorker(settings, config=engine.SyncConfig.from_settings(settings), on_round=_print_round,
                        on_error=lambda message, delay: print(f"kiosk: {message}; retrying in {delay:.0f} s",
                                                              file=sys.stderr, flush=True))
    if not args.once:
        worker.run_in_front()
        return 0
    try:
        worker.run_in_front(once=True)
        return 0
    except engine.SyncError as error:
        print(f"kiosk: {error}", file=sys.stderr)
        return 1


def _print_round(result) -> None:
    from kiosk.sync import engine

    print(f"pushed {result.push.sent} ({result.push.accepted} new, {result.push.dead} dead), "
          f"pulled {result.pull.applied if result.pull else 0}, pending {engine.pending_count()}, "
          f"{result.seconds:.2f} s", flush=True)


def status_report(settings) -> dict:
    """`kiosk sync status --json`: pending, last push/pull, cursors and whether this station has converged."""
    from kiosk.db import ensure_station_identity, local_value
    from kiosk.models.sync import SyncConflict, SyncCursor, SyncDeadLetter
    from kiosk.sync import engine
    from kiosk.sync.worker import sync_state

    state = sync_state(settings)
    cursors = {row.stream: {"server_seq": row.server_seq, "converged": bool(row.converged),
                            "count": row.verified_count, "checksum": row.verified_checksum, "refetches": row.refetches}
               for row in SyncCursor.select()}
    pending = engine.pending_count()
    return {
        "station_id": ensure_station_identity(),
        "epoch": engine.epoch(),
        "central": bool(settings.sync.central_url),
        "pending": pending,
        "last_push": local_value(engine.LAST_PUSH_KEY),
        "last_pull": local_value(engine.LAST_PULL_KEY),
        "cursors": cursors,
        "converged": pending == 0 and bool(cursors) and all(c["converged"] for c in cursors.values()),
        "dead_letters": SyncDeadLetter.select().count(),
        "conflicts": SyncConflict.select().count(),
        "clock_warning": state.clock_warning,
        "hlc": local_value("sync_hlc"),
    }


FEATURE = Feature(name="sync", models=tuple(MODELS), register_cli=register_cli, station_actions=station_actions,
                  sync_status=sync_status, on_app_start=on_app_start, on_app_stop=on_app_stop,
                  pulls={"office": ("*",)})  # the office sees every station's records
