"""Printer backends: the same 1-bit image goes to a PNG file, a TSPL label printer (device file or
TCP 9100), an ESC/POS printer (python-escpos, optional) or a CUPS queue (`lp`).

A printer that is off, missing or misconfigured raises PrinterError with an i18n key; its str() is
bilingual (zh-CN / en). Nothing here touches the database: a recorded fact stays recorded and the
label can be printed again.
"""
from __future__ import annotations

import io
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from kiosk import paths
from kiosk.i18n import UserError
from kiosk.labels import ipp

if TYPE_CHECKING:
    from PIL import Image as PILImage

    from kiosk.config import PrinterSettings

BACKENDS = ("png", "tspl", "escpos", "cups")
TCP_TIMEOUT_SECONDS = 3.0
TSPL_GAP_MM = 2
CUPS_JOB_WAIT_SECONDS = 20.0  # a label takes a few seconds; longer means the printer is not printing it
CUPS_POLL_SECONDS = 0.2

# Before a label goes to a TSPL printer on the network, ask its state (<ESC>!?, TSC's TSPL manual): one byte
# back, a bit per problem. A printer with its head open or out of paper would otherwise take the job and
# print nothing, and the cook would walk away believing the sample is labelled.
TSPL_STATUS_QUERY = b"\x1b!?"
STATUS_WAIT_SECONDS = 0.5  # printers (and emulators) that do not answer are printed to anyway
TSPL_STATUS_PROBLEMS = (  # most actionable first; 0x20 "printing" is not a problem: the job queues
    (0x01, "labels.status_head_open"),
    (0x02, "labels.status_paper_jam"),
    (0x04, "labels.status_paper_out"),
    (0x08, "labels.status_ribbon_out"),
    (0x10, "labels.status_paused"),
    (0x80, "labels.status_other_error"),
)


class PrinterError(UserError):
    """The label was not printed. `key`/`values` give the message in the current language (`message()`)."""


class Printer(Protocol):
    def print_image(self, image: "PILImage.Image", name: str = "label") -> str:
        """Print one label; returns a short description of where it went. Raises PrinterError."""


def _check(image: "PILImage.Image") -> None:
    if image.mode != "1":
        raise ValueError(f"labels are 1-bit images (mode '1'), got mode {image.mode!r}")


def millimetres(dots: int, dpi: int) -> float:
    """A label's side in mm for the printer: whole millimetres when the dots are within half a dot of them
    (480 dots at 203 dpi is the 60 mm label, not 60.1 mm), else to 0.1 mm (a receipt's length)."""
    exact = dots * 25.4 / dpi
    whole = round(exact)
    return float(whole) if abs(exact - whole) < 12.7 / dpi else round(exact, 1)


def tspl_bytes(image: "PILImage.Image", *, dpi: int = 203, gap_mm: float = TSPL_GAP_MM, copies: int = 1) -> bytes:
    """One TSPL job for `image`: SIZE, GAP, CLS, BITMAP (mode 0, overwrite), PRINT.

    TSPL BITMAP rows are packed MSB first and a 0 bit prints black, as in Pillow's mode "1" bytes. But Pillow
    pads each row to a whole byte with 0 bits, which TSPL prints as a black stripe down the right edge of any
    label whose width is not a multiple of 8 dots (50x30 and 60x40 at 300 dpi): the rows are padded white here.
    """
    _check(image)
    width_bytes = (image.width + 7) // 8
    if image.width % 8:
        from PIL import Image

        padded = Image.new("1", (width_bytes * 8, image.height), 1)
        padded.paste(image, (0, 0))
        image_bytes = padded.tobytes()
    else:
        image_bytes = image.tobytes()
    width_mm = millimetres(image.width, dpi)
    height_mm = millimetres(image.height, dpi)
    header = (
        f"SIZE {width_mm:g} mm,{height_mm:g} mm\r\n"
        f"GAP {gap_mm:g} mm,0 mm\r\n"
        "DIRECTION 1\r\n"
        "CLS\r\n"
        f"BITMAP 0,0,{width_bytes},{image.height},0,"
    ).encode("ascii")
    return header + image_bytes + f"\r\nPRINT 1,{copies}\r\n".encode("ascii")


def parse_host_port(device: str) -> tuple[str, int] | None:
    """"host:port" (or "tcp://host:port") -> (host, port); None for a device path."""
    text = device.removeprefix("tcp://")
    if text.startswith("/") or ":" not in text:
        return None
    host, _, port = text.rpartition(":")
    if not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
        return None  # not a TCP address: then it is checked as a device path, with that message
    return host.strip("[]"), int(port)


def tspl_status_problem(answer: bytes) -> str | None:
    """The i18n key of the first problem a TSPL status answer reports; None when all is well or the answer
    is not a status byte at all (no answer, noise: the printer is then given the job anyway)."""
    if len(answer) != 1:
        return None
    return next((key for bit, key in TSPL_STATUS_PROBLEMS if answer[0] & bit), None)


def _ask_tspl_status(connection: socket.socket) -> bytes:
    connection.sendall(TSPL_STATUS_QUERY)
    connection.settimeout(STATUS_WAIT_SECONDS)
    try:
        return connection.recv(16)
    except TimeoutError:
        return b""
    finally:
        connection.settimeout(TCP_TIMEOUT_SECONDS)


def send_raw(device: str, data: bytes, *, ask_tspl_status: bool = False) -> str:
    """Write bytes to a TCP printer (host:port) or a device file; PrinterError when it is not there or,
    with `ask_tspl_status`, when a network printer says it cannot print (head open, out of paper...)."""
    if not device:
        raise PrinterError("labels.printer_not_configured")
    address = parse_host_port(device)
    if address is not None:
        try:
            with socket.create_connection(address, timeout=TCP_TIMEOUT_SECONDS) as connection:
                problem = tspl_status_problem(_ask_tspl_status(connection)) if ask_tspl_status else None
                if problem is not None:
                    raise PrinterError(problem, device=device)
                connection.sendall(data)
        except OSError as error:
            raise PrinterError("labels.printer_unreachable", device=device, reason=error.strerror or str(error)) from None
        return device
    if not os.path.exists(device):
        raise PrinterError("labels.printer_missing", device=device)
    try:
        # O_NONBLOCK: a printer that is switched off must not hang the station on open().
        fd = os.open(device, os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
        with os.fdopen(fd, "wb", closefd=True) as handle:
            handle.write(data)
    except OSError as error:
        raise PrinterError("labels.printer_unreachable", device=device, reason=error.strerror or str(error)) from None
    return device


def save_png(image: "PILImage.Image", target) -> None:
    """Save a label as PNG (a path or a binary file) with its dpi in the file (pHYs), so viewers and CUPS know
    its real size. Pillow writes the dpi only when told at save time, not from image.info."""
    dpi = image.info.get("dpi")
    image.save(target, format="PNG", **({"dpi": dpi} if dpi else {}))


@dataclass
class PngPrinter:
    """The default: the label as a PNG file (the preview is exactly what prints)."""

    output_dir: Path

    def print_image(self, image: "PILImage.Image", name: str = "label") -> str:
        _check(image)
        try:
            self.output_dir.mkdir(parents=True, exist_ok=True)
            path = self.output_dir / f"{name}.png"
            save_png(image, path)
        except OSError as error:
            raise PrinterError("labels.printer_unreachable", device=str(self.output_dir),
                               reason=error.strerror or str(error)) from None
        return str(path)


@dataclass
class TsplPrinter:
    device: str
    dpi: int = 203

    def print_image(self, image: "PILImage.Image", name: str = "label") -> str:
        return send_raw(self.device, tspl_bytes(image, dpi=self.dpi), ask_tspl_status=True)


def _escpos_profile(width_dots: int):
    """python-escpos's default profile with the paper's width in dots set to the label's width. Left unknown,
    python-escpos print()s a "media.width.pixel" warning to stdout on every image: over the kiosk's screen."""
    import copy

    from escpos.capabilities import Profile

    data = copy.deepcopy(Profile.profile_data)  # the default profile's; changed on this instance only
    data.setdefault("media", {}).setdefault("width", {})["pixels"] = width_dots
    profile = Profile(features=data.get("features"))  # a user profile (python-escpos takes it as it is)
    profile.profile_data = data
    return profile


@dataclass
class EscposPrinter:
    """ESC/POS receipt printers through python-escpos (optional: `pip install .[escpos]`)."""

    device: str

    def print_image(self, image: "PILImage.Image", name: str = "label") -> str:
        _check(image)
        try:
            from escpos import printer as escpos_printer
        except ImportError:
            raise PrinterError("labels.escpos_missing") from None
        if not self.device:
            raise PrinterError("labels.printer_not_configured")
        address = parse_host_port(self.device)
        profile = _escpos_profile(image.width)
        try:
            if address is not None:
                device = escpos_printer.Network(address[0], port=address[1], timeout=TCP_TIMEOUT_SECONDS,
                                                profile=profile)
            else:
                if not os.path.exists(self.device):
                    raise PrinterError("labels.printer_missing", device=self.device)
                device = escpos_printer.File(self.device, profile=profile)
            device.image(image.convert("L"))
            device.cut()
            device.close()
        except PrinterError:
            raise
        except Exception as error:  # python-escpos raises its own and OS errors alike
            raise PrinterError("labels.printer_unreachable", device=self.device, reason=str(error)) from None
        return self.device


def cups_media(image: "PILImage.Image", dpi: int) -> str:
    """The `-o media=` value for a label: its own size in mm (Custom.WxHmm). Without it CUPS prints on the
    queue's default paper (often A4): the label comes out rotated and blown up to a full page. (`-o ppi=`
    is not wanted: on a cups-pdf queue it splits a label over four pages.)"""
    dpi = int(round(image.info.get("dpi", (dpi, dpi))[0])) or dpi
    return f"Custom.{millimetres(image.width, dpi):g}x{millimetres(image.height, dpi):g}mm"


@dataclass
class CupsPrinter:
    """A CUPS queue: the queue's state is asked first (a stopped queue takes the job and prints nothing), the
    label goes through `lp` at its own media size, then the job is followed until CUPS says it completed. A
    job that cannot finish is cancelled, so "not printed" stays true and a reprint does not print twice."""

    queue: str
    dpi: int = 203
    job_wait_seconds: float = CUPS_JOB_WAIT_SECONDS

    def print_image(self, image: "PILImage.Image", name: str = "label") -> str:
        _check(image)
        lp = shutil.which("lp")
        if lp is None:
            raise PrinterError("labels.cups_missing")
        try:
            queue = self.queue or ipp.default_queue()
            if not queue:
                raise PrinterError("labels.cups_no_queue")
            self._check_queue(queue)
            job_id = self._submit(lp, queue, image, name)
            self._wait_until_printed(queue, job_id)
        except ipp.IppError as error:
            raise PrinterError("labels.cups_unreachable", reason=str(error)) from None
        return queue

    @staticmethod
    def _check_queue(queue: str) -> None:
        state = ipp.printer_state(queue)
        if state.status == ipp.STATUS_NOT_FOUND:
            raise PrinterError("labels.cups_queue_unknown", queue=queue)
        reason = _cups_reason(state, "printer-state-message", "printer-state-reasons")
        if state.first("printer-state") == ipp.PRINTER_STOPPED:
            raise PrinterError("labels.cups_queue_stopped", queue=queue, reason=reason)
        if state.first("printer-is-accepting-jobs") is False:
            raise PrinterError("labels.cups_queue_rejecting", queue=queue, reason=reason)

    def _submit(self, lp: str, queue: str, image: "PILImage.Image", name: str) -> int:
        with tempfile.NamedTemporaryFile(suffix=".png", delete=False) as handle:
            buffer = io.BytesIO()
            save_png(image, buffer)
            handle.write(buffer.getvalue())
            path = handle.name
        command = [lp, "-d", queue, "-t", name, "-o", f"media={cups_media(image, self.dpi)}", path]
        try:  # lp in English, so its "request id is QUEUE-N" can be read whatever the station's locale
            result = subprocess.run(command, capture_output=True, text=True, timeout=15,
                                    env={**os.environ, "LC_ALL": "C", "LANG": "C"})
        except (OSError, subprocess.TimeoutExpired) as error:
            raise PrinterError("labels.printer_unreachable", device=queue, reason=str(error)) from None
        finally:
            Path(path).unlink(missing_ok=True)
        output = (result.stdout + result.stderr).strip()
        match = re.search(r"request id is .*-(\d+)", result.stdout)
        if result.returncode != 0 or match is None:
            reason = output.splitlines()[:1]
            raise PrinterError("labels.printer_unreachable", device=queue,
                               reason=reason[0] if reason else f"lp exit {result.returncode}")
        return int(match.group(1))

    def _wait_until_printed(self, queue: str, job_id: int) -> None:
        deadline = time.monotonic() + self.job_wait_seconds
        while True:
            job = ipp.job_state(queue, job_id)
            state = job.first("job-state")
            if state == ipp.JOB_COMPLETED:
                return
            if state in (ipp.JOB_CANCELED, ipp.JOB_ABORTED):
                raise PrinterError("labels.cups_job_failed", queue=queue,
                                   reason=_cups_reason(job, "job-printer-state-message", "job-state-reasons"))
            printer = ipp.printer_state(queue)
            if printer.first("printer-state") == ipp.PRINTER_STOPPED:  # stopped while the job waited
                ipp.cancel_job(queue, job_id)
                raise PrinterError("labels.cups_queue_stopped", queue=queue,
                                   reason=_cups_reason(printer, "printer-state-message", "printer-state-reasons"))
            if time.monotonic() >= deadline:
                ipp.cancel_job(queue, job_id)
                raise PrinterError("labels.cups_job_stuck", queue=queue, seconds=round(self.job_wait_seconds))
            time.sleep(CUPS_POLL_SECONDS)


def _cups_reason(answer: "ipp.IppResponse", message_attribute: str, reasons_attribute: str) -> str:
    """What CUPS says is wrong: its message (e.g. "head open"), else its reason keywords, else "-"."""
    message = str(answer.first(message_attribute, "") or "").strip()
    reasons = [str(r) for r in answer.attributes.get(reasons_attribute, []) if r not in ("none", "")]
    return message or ", ".join(reasons) or "-"


def get_printer(settings: "PrinterSettings") -> Printer:
    """The backend named in [printer] settings."""
    backend = settings.backend
    if backend == "png":
        folder = Path(settings.output_dir) if settings.output_dir else paths.data_dir() / "labels"
        return PngPrinter(folder)
    if backend == "tspl":
        return TsplPrinter(settings.device, settings.dpi)
    if backend == "escpos":
        return EscposPrinter(settings.device)
    if backend == "cups":
        return CupsPrinter(settings.cups_queue, settings.dpi)
    raise PrinterError("labels.unknown_backend", backend=backend, choices=", ".join(BACKENDS))
