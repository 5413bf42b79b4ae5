"""Notify feature (issue 17): its tables, `kiosk notify ...`, the delivery worker, the admin's list.

The app starts the delivery loop in a worker thread through `on_app_start` when a channel is configured;
`kiosk notify deliver` runs the same loop from a script or a service unit.
"""
from __future__ import annotations

import argparse
import json
import time

from kiosk.background import WorkerSlot
from kiosk.cli_base import command
from kiosk.features import Feature, StationAction
from kiosk.notify.model import MODELS  # noqa: F401  (the registry reads MODELS)
from kiosk.sync import policy

def _make_worker(settings):
    from kiosk.notify.delivery import DeliveryWorker

    return DeliveryWorker(settings)


def _channel_configured(settings) -> bool:
    from kiosk.notify.store import enabled_channels

    return bool(enabled_channels(settings))


# The delivery worker runs with a station app when a channel is configured (nothing without one).
_WORKER = WorkerSlot(_make_worker, enabled=_channel_configured)
on_app_start, on_app_stop = _WORKER.on_app_start, _WORKER.on_app_stop


def station_actions(station_kind: str) -> list[StationAction]:
    if station_kind != "office":
        return []

    def make_screen():
        from kiosk.screens.notify_admin import UndeliveredScreen

        return UndeliveredScreen()

    return [StationAction("j", "notify.menu_undelivered", frozenset({"admin"}), make_screen)]


def status_alerts(ctx) -> list[str]:
    """The office's status bar: notifications given up (the admin's J list says why)."""
    if ctx.station_kind != "office":
        return []
    from kiosk.i18n import t
    from kiosk.notify.model import Notification

    failed = Notification.select().where((Notification.school_id == ctx.school_id)
                                         & (Notification.status == "failed")).count()
    return [t("notify.alert_failed", count=failed)] if failed else []


# ----------------------------------------------------------------------------------------------- CLI

def register_cli(subparsers) -> None:
    notify = subparsers.add_parser("notify", help="notifications to guardians and staff (SMS, WeCom, DingTalk, e-mail)")
    sub = notify.add_subparsers(dest="notify_command", required=True, metavar="ACTION")
    test = command(sub, "test", cmd_test, "send one test message now on a channel")
    test.add_argument("--channel", required=True, help="sms | wecom | dingtalk | smtp")
    test.add_argument("--to", required=True, help="a phone (sms), a mailbox (smtp) or a name to greet (robots)")
    deliver = command(sub, "deliver", cmd_deliver, "run the delivery loop (the app runs the same loop)")
    deliver.add_argument("--once", action="store_true", help="one pass, then exit")
    listing = command(sub, "list", cmd_list, "queued, sent and failed notifications, newest first")
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--status", choices=("queued", "sent", "failed", "cancelled", "undelivered"))
    opt = command(sub, "opt-out", cmd_opt_out, "a guardian asked not to be told (--undo: told again); at the office")
    opt.add_argument("--student", required=True, help="the student's number")
    opt.add_argument("--undo", action="store_true")
    opt.add_argument("--note", default="")


def _actor(settings):
    from kiosk.services.actor import system_actor

    return system_actor(settings.school.id)


def cmd_test(args: argparse.Namespace, settings) -> int:
    from kiosk.notify.delivery import send_now
    from kiosk.notify.model import Notification
    from kiosk.notify.service import queue_test

    row_id = queue_test(_actor(settings), settings, args.channel, args.to)
    send_now(settings, row_id)
    row = Notification.get_by_id(row_id)
    print(f"{args.channel} -> {args.to}: {row.status} {row.reason}".rstrip())
    return 0 if row.status == "sent" else 1


def cmd_deliver(args: argparse.Namespace, settings) -> int:
    from kiosk.notify.delivery import deliver_once

    while True:
        report = deliver_once(settings)
        print(" ".join(f"{key} {value}" for key, value in report.as_dict().items()), flush=True)
        if args.once:
            return 0
        time.sleep(max(1, settings.notify.interval_seconds))


def cmd_list(args: argparse.Namespace, settings) -> int:
    from kiosk.notify.service import notifications

    rows = notifications(settings.school.id, status=args.status)
    if args.json:
        print(json.dumps([row.as_json() for row in rows], ensure_ascii=False, indent=2))
        return 0
    for row in rows:
        when = (row.sent_at or row.due_at).isoformat(timespec="minutes")
        print(f"{when}  {row.status:9} {row.event:15} {row.step}  {row.channel:8} {row.recipient_role:22} "
              f"{row.recipient_name}  {row.reason}".rstrip())
    return 0


def cmd_opt_out(args: argparse.Namespace, settings) -> int:
    from kiosk.notify.service import set_guardian_opt_out

    set_guardian_opt_out(_actor(settings), args.student, not args.undo, args.note)
    print(f"guardian of {args.student}: {'told again' if args.undo else 'opted out'}")
    return 0


FEATURE = Feature(
    name="notify", models=tuple(MODELS), register_cli=register_cli, station_actions=station_actions,
    status_alerts=status_alerts, on_app_start=on_app_start, on_app_stop=on_app_stop,
    pulls={"gate": ("notification*", "guardian_opt_out"), "dorm": ("notification*", "guardian_opt_out")},
    # one writer each, the station that owns and sends it; opt-outs at the office
    sync_tables={"notification": policy.TablePolicy(insert=frozenset(policy.KINDS), set_once=("sent_at",)),
                 "notification_receipt": policy.TablePolicy(insert=frozenset(policy.KINDS)),
                 "guardian_opt_out": policy.TablePolicy(insert=frozenset({"office"}))},
)
