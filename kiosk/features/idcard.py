"""ID card reader feature: `kiosk idcard test` (wait for one card, print what was read) and `kiosk idcard sim`
(a simulated reader in this terminal). The visitor form's reader glue is kiosk.widgets.idcard_watch."""
from __future__ import annotations

import argparse
import json
import sys

from kiosk.config import Settings
from kiosk.features import Feature


def register_cli(subparsers) -> None:
    from kiosk.cli import command

    idcard = subparsers.add_parser("idcard", help="resident ID card reader")
    idcard_sub = idcard.add_subparsers(dest="idcard_command", required=True, metavar="ACTION")
    test = command(idcard_sub, "test", cmd_idcard_test, "wait for one card on the reader and print what was read",
                   needs_db=False)
    test.add_argument("--port", help="serial port of the reader (default: idcard.port)")
    test.add_argument("--timeout", type=float, default=30.0, metavar="S", help="seconds to wait for a card")
    test.add_argument("--json", action="store_true", help="print one JSON object")
    command(idcard_sub, "sim", cmd_idcard_sim, "run a simulated reader here; prints its port (type 1-4 + Enter to place a card)",
            needs_db=False)


def card_summary(card) -> dict:
    """The card as the CLI prints it: the ID number masked as everywhere, ISO dates, no photo (never read)."""
    from kiosk.services.visitor_rules import mask_id

    return {
        "card_type": card.card_type, "name": card.name, "name_en": card.name_en, "sex": card.sex,
        "id_number_masked": mask_id(card.id_number), "birth_date": card.birth_date.isoformat(),
        "nation": card.nation, "nationality": card.nationality,
        "valid_from": card.valid_from.isoformat(), "valid_to": card.valid_to.isoformat() if card.valid_to else None,
    }


def cmd_idcard_test(args: argparse.Namespace, settings: Settings) -> int:
    from zoneinfo import ZoneInfo

    from kiosk import clock
    from kiosk.i18n import t
    from kiosk.idcard import IdCardError
    from kiosk.idcard.reader import read_one_card

    port = args.port or settings.idcard.port
    today = clock.now().astimezone(ZoneInfo(settings.school.timezone)).date()
    if not port:
        raise IdCardError("idcard.err_no_port")
    # An IdCardError (no card in time, reader missing or failing) is a UserError: kiosk.cli.main prints its line.
    card = read_one_card(port, settings.idcard.baud, args.timeout, settings.idcard.poll_ms / 1000, today)
    summary = card_summary(card)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
        return 0
    valid_to = summary["valid_to"] or t("idcard.valid_long_term")
    rows = [
        (t("idcard.label_name"), card.name), (t("idcard.label_name_en"), card.name_en),
        (t("idcard.label_sex"), t(f"idcard.sex_{card.sex}")), (t("idcard.label_nation"), card.nation),
        (t("idcard.label_nationality"), card.nationality), (t("idcard.label_birth"), summary["birth_date"]),
        (t("idcard.label_id_number"), summary["id_number_masked"]),
        (t("idcard.label_valid"), f"{summary['valid_from']} - {valid_to}"),
    ]
    print(t(f"idcard.type_{card.card_type}"))
    for label, value in rows:
        if value:
            print(f"  {label}: {value}")
    return 0


def cmd_idcard_sim(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.idcard.simulator import run_interactive

    return run_interactive(sys.stdout)


FEATURE = Feature(name="idcard", register_cli=register_cli)
