"""The visitor slip: a label with the visitor's name, host and times and a short ASCII QR of the visit code.

Rendered by kiosk.labels (one 1-bit image) and sent to the printer backend in [printer] settings;
with the default `png` backend it is a PNG file whose path is returned. Scanned at sign-out.
"""
from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from kiosk.config import Settings
from kiosk.i18n import t
from kiosk.services.visitors import VisitView


@dataclass(frozen=True)
class SlipResult:
    where: str  # file path (png backend) or device / queue
    is_file: bool = False


def slip_lines(visit: VisitView, zone: ZoneInfo) -> tuple[str, list[str], list[str]]:
    time_in = visit.time_in.astimezone(zone).strftime("%m-%d %H:%M")
    leave = visit.expected_leave_at.astimezone(zone).strftime("%H:%M") if visit.expected_leave_at else ""
    title = f"{t('gate.slip_title')} {visit.name}"
    lines = [f"{t('gate.f_host')}: {visit.host_name}", f"{t('gate.col_time_in')}: {time_in}",
             f"{t('gate.f_expected_leave')}: {leave}"]
    return title, lines, []  # the code is printed under the QR (render_text_qr_label), once


def print_visitor_slip(settings: Settings, visit: VisitView) -> SlipResult:
    """Render and print (or save) the slip. A printer the person can fix raises its PrinterError (a UserError);
    a label that cannot be made or a file that cannot be written raises GateError("slip_failed") saying what to do."""
    from kiosk.labels.printers import PrinterError, get_printer, os_reason
    from kiosk.labels.render import LabelError, render_text_qr_label
    from kiosk.services.visitors import GateError

    title, lines, footer = slip_lines(visit, ZoneInfo(settings.school.timezone))
    try:
        label = render_text_qr_label(title, lines, visit.code, footer=footer, size=settings.printer.label_size,
                                     dpi=settings.printer.dpi)
        where = get_printer(settings.printer).print_image(label.image, name=f"visitor-{visit.code}")
    except PrinterError:
        raise
    except LabelError as error:
        raise GateError("slip_failed", error=str(error)) from None
    except OSError as error:
        raise GateError("slip_failed", error=os_reason(error)) from None
    return SlipResult(where, settings.printer.backend == "png")
