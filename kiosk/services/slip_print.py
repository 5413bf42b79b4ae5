"""The paper pass slip: one 1-bit image (80 mm receipt width at 203 dpi) with the student's name, class,
leave window, return deadline, companion and the signed QR. Reuses the label renderer's fonts and QR
(kiosk.labels.render), so the PNG preview is exactly what a receipt/label printer gets.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from kiosk.config import Settings
from kiosk.i18n import Msg, UserError, t

if TYPE_CHECKING:
    from PIL import Image as PILImage

    from kiosk.services.slips_office import IssuedSlip
    from kiosk.services.slips import SlipView

WIDTH_DOTS = 576  # 72 mm printable on an 80 mm receipt printer at 203 dpi
MARGIN = 16


def slip_lines(view: "SlipView", settings: Settings) -> list[str]:
    zone = ZoneInfo(settings.school.timezone)

    def fmt(at):
        return at.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    reason = t(f"slips.kind_{view.reason_kind}") + (f"（{view.reason_note}）" if view.reason_note else "")
    companion = " ".join(part for part in (view.companion_name, view.companion_relation, view.companion_phone) if part)
    roles = "、".join(t(f"slips.role_{r}") for r in view.required_roles)
    return [
        t("slips.print_student", name=view.student_name, number=view.student_number),
        t("slips.print_class", class_name=view.class_name),
        t("slips.print_reason", reason=reason),
        t("slips.print_from", at=fmt(view.leave_from)),
        t("slips.print_to", at=fmt(view.leave_to)),
        t("slips.print_return_by", at=fmt(view.return_by)),
        t("slips.print_companion", companion=companion or "-"),
        t("slips.print_issuer", name=view.issuer_name or "-"),
        t("slips.print_approvals", roles=roles),
    ]


def render_slip(view: "SlipView", settings: Settings) -> "PILImage.Image":
    from PIL import Image, ImageDraw

    from kiosk.labels.render import clip_to_width, draw_text, fit_size, qr_image

    lines = slip_lines(view, settings)
    qr, _dots = qr_image(view.code, WIDTH_DOTS - 2 * MARGIN - 120)
    title = t("slips.print_title", school=settings.school.name)
    line_size, title_size = 28, 40
    height = MARGIN * 3 + int(title_size * 1.4) + len(lines) * int(line_size * 1.4) + qr.height + 60
    image = Image.new("1", (WIDTH_DOTS, height), 1)
    draw = ImageDraw.Draw(image)
    inner = WIDTH_DOTS - 2 * MARGIN
    size = fit_size(title, inner, title_size, 24)
    draw_text(draw, (MARGIN, MARGIN), clip_to_width(title, inner, size), size)
    y = MARGIN + int(title_size * 1.4)
    for line in lines:
        size = fit_size(line, inner, line_size, 18)
        draw_text(draw, (MARGIN, y), clip_to_width(line, inner, size), size)
        y += int(line_size * 1.4)
    y += MARGIN
    image.paste(qr, ((WIDTH_DOTS - qr.width) // 2, y))
    y += qr.height + 8
    footer = t("slips.print_footer", short=view.short)
    size = fit_size(footer, inner, 24, 16)
    draw_text(draw, (MARGIN, y), clip_to_width(footer, inner, size), size)
    return image


@dataclass(frozen=True)
class SlipPrinted:
    """Where a slip went: always a PNG file; a printer too unless the printer backend is `png` (none attached)."""

    saved_to: str  # the PNG file
    printed_on: str  # the printer (device, queue) it was sent to; '' when it was only saved

    def as_msg(self) -> Msg:
        """What actually happened, never "printed" when nothing was printed."""
        if self.printed_on:
            return Msg("office.slip_printed_on", printer=self.printed_on)
        return Msg("office.slip_saved_only", path=self.saved_to)


def print_slip(view: "SlipView", settings: Settings, png_path: Path | None = None) -> SlipPrinted:
    """Save the PNG (always) and send it to the configured printer when it is not the PNG backend.
    Raises kiosk.labels.printers.PrinterError when the printer fails (the slip stays issued)."""
    from kiosk import paths
    from kiosk.labels.printers import get_printer

    image = render_slip(view, settings)
    folder = Path(settings.printer.output_dir) if settings.printer.output_dir else paths.data_dir() / "labels"
    png_path = png_path or folder / f"slip-{view.short}.png"
    try:
        png_path.parent.mkdir(parents=True, exist_ok=True)
        image.save(png_path)
    except OSError as error:  # a full disk or a folder that cannot be written: the staff's to fix
        from kiosk.labels.printers import PrinterError, os_reason

        raise PrinterError("slips.print_save_failed", reason=os_reason(error)) from None
    if settings.printer.backend == "png":
        return SlipPrinted(str(png_path), "")
    return SlipPrinted(str(png_path), get_printer(settings.printer).print_image(image, f"slip-{view.short}"))


@dataclass(frozen=True)
class IssuedAndPrinted:
    """A slip issued, and printed or not: a printer fault never undoes the slip (it is printed again from
    the list)."""

    issued: "IssuedSlip"
    printed: SlipPrinted | None  # None when printing failed (print_error says why)
    print_error: UserError | None

    @property
    def where(self) -> str:
        return (self.printed.printed_on or self.printed.saved_to) if self.printed else ""


def issue_and_print(actor, settings: Settings, **slip) -> IssuedAndPrinted:
    """What the issue form does: issue (a refusal raises SlipError, nothing written), then print it."""
    from kiosk.labels.printers import PrinterError
    from kiosk.services.slips_office import issue_slip

    issued = issue_slip(actor, settings, **slip)
    try:
        return IssuedAndPrinted(issued, print_slip(issued.slip, settings), None)
    except PrinterError as error:
        return IssuedAndPrinted(issued, None, error)
