"""A sample's label: its text (for inspectors: Chinese by default), the rendered 1-bit image, and printing it on
the station's printer (kiosk.labels loads Pillow and qrcode only when a label is drawn)."""
from __future__ import annotations

from dataclasses import dataclass

from kiosk.config import Settings
from kiosk.i18n import t_in
from kiosk.labels.printers import get_printer
from kiosk.labels.render import render_text_qr_label
from kiosk.services.actor import Actor
from kiosk.services.canteen.core import SampleView, sample_view, zone
from kiosk.services.facts import audit_only


@dataclass(frozen=True)
class PrintedLabel:
    where: str  # file, device or queue it went to
    missing: str = ""  # characters no font could draw (printed as "?"): shown to the user, never silent
    to_file: bool = False  # no label printer (the png backend): saved as an image, nothing came out of a printer


def label_lines(view: SampleView, settings: Settings, language: str = "zh-CN") -> tuple[str, list[str], list[str]]:
    """(title, lines, footer) of a sample's label. Labels are for inspectors: Chinese by default."""
    here = zone(settings)
    meal = t_in(language, f"canteen.meal_{view.meal_kind}")
    sampled = view.sampled_at.astimezone(here)
    until = view.disposable_at.astimezone(here)
    lines = [
        f"{meal} {view.meal_date.isoformat()}",
        t_in(language, "canteen.label_weight", grams=view.grams),
        t_in(language, "canteen.label_sampled", at=sampled.strftime("%m-%d %H:%M")),
        t_in(language, "canteen.label_sampler", name=view.sampler_name),
    ]
    footer = [t_in(language, "canteen.label_disposable", at=until.strftime("%m-%d %H:%M"))]
    return view.dish_name, lines, footer


def render_label(settings: Settings, view: SampleView):
    title, lines, footer = label_lines(view, settings)
    return render_text_qr_label(title, lines, view.qr_payload, footer=footer, size=settings.printer.label_size,
                                dpi=settings.printer.dpi)


def print_label(actor: Actor, settings: Settings, sample_id: str) -> PrintedLabel:
    """Print (or reprint) a sample's label on the configured printer; says where it went.
    Raises kiosk.labels.printers.PrinterError when the printer is off or missing: the sample stays recorded."""
    view = sample_view(settings, sample_id)
    label = render_label(settings, view)
    where = get_printer(settings.printer).print_image(label.image, name=f"sample-{view.label_code}")
    audit_only(actor, "canteen.label_print", entity="sample", entity_id=view.id,
               detail={"backend": settings.printer.backend, "to": where, "missing_chars": label.missing})
    return PrintedLabel(where, label.missing, to_file=settings.printer.backend == "png")
