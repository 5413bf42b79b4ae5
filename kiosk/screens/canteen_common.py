"""What the canteen screens share: how a meal, a time and a sample row are shown, styles, and messages made of
several catalog texts."""
from __future__ import annotations

from datetime import date

from rich.text import Text

from kiosk.i18n import Msg, t
from kiosk.services.canteen.core import CanteenError

MISSED_STYLE = "bold white on red"
OVERDUE_STYLE = "bold red"
HELD_STYLE = "bold yellow"
OK_STYLE = "green"
WARNING_STYLE = "bold yellow"


def local_time(ctx, at, fmt: str = "%m-%d %H:%M") -> str:
    """`at` in the school's time zone ("" when there is none)."""
    return at.astimezone(ctx.zone).strftime(fmt) if at else ""


def typed_date(text: str) -> date:
    """A date typed into a dialog (YYYY-MM-DD), or CanteenError canteen.err_date naming what was typed."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CanteenError("canteen.err_date", value=text.strip()) from None


def meal_name(kind: str, name: str = "") -> str:
    kind_text = t(f"canteen.meal_{kind}")
    return kind_text + (f" {name}" if name and name != kind_text else "")


class Joined(Msg):
    """Several catalog texts said as one message (recorded + fridge + printed ...), each rendered in the language
    current when shown, so F9 re-renders all of it."""

    def __init__(self, *parts: object, separator: str = " ") -> None:
        super().__init__("core.verbatim")
        self.parts = [part.as_msg() if hasattr(part, "as_msg") else part for part in parts if part]
        self.separator = separator

    def __str__(self) -> str:
        return self.separator.join(str(part) for part in self.parts)


def printed_msg(printed) -> tuple[Msg, str]:
    """What became of a label, and at which level: printed; or only saved as an image (no label printer: the
    sample box has no label yet), or drawn with characters no font has (a warning each)."""
    if printed.to_file:
        said, level = Msg("canteen.label_saved_file", path=printed.where), "warning"
    else:
        said, level = Msg("canteen.printed", where=printed.where), "ok"
    if printed.missing:
        return Joined(said, Msg("canteen.label_missing_chars", chars=printed.missing)), "warning"
    return said, level


# What the worker acts on first: the state, the label code to scan or type, the dish, where it is kept and from
# when it may go; at 80 columns these stay whole in both languages, the rest may run off to the right.
SAMPLE_COLUMNS = ("state", "code", "dish", "place", "disposable_at", "meal", "sampled_at")


def sample_row(ctx, sample) -> list[object]:
    """A sample's cells in SAMPLE_COLUMNS order (the disposal lists and the held samples)."""
    style = {"overdue": OVERDUE_STYLE, "held": HELD_STYLE, "disposed": OVERDUE_STYLE}.get(sample.state, "")
    place = " ".join(part for part in (sample.fridge, sample.shelf) if part)
    meal = f"{sample.meal_date.strftime('%m-%d')} {meal_name(sample.meal_kind)}"
    return [Text(t(f"canteen.state_{sample.state}"), style=style), sample.qr_payload, sample.dish_name, place,
            local_time(ctx, sample.disposable_at), meal, local_time(ctx, sample.sampled_at)]
