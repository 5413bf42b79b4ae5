"""Label rendering and printer backends: exact dots, 1-bit, real CJK glyphs, QR read back by zxing-cpp."""
from __future__ import annotations

import re
import socket
import threading

import pytest
from hypothesis import given, strategies as st
from PIL import Image, ImageChops

from kiosk.config import PrinterSettings
from kiosk.i18n import t_in
from kiosk.labels import render
from kiosk.labels.printers import (TSPL_STATUS_PROBLEMS, TSPL_STATUS_QUERY, PngPrinter, PrinterError, TsplPrinter,
                                   get_printer, send_raw, tspl_bytes, tspl_status_problem)
from kiosk.labels.render import label_dots, render_text_qr_label

LINES = ["午餐 2026-11-18", "128 g", "留样 11-18 10:05", "留样人 张三丰"]


def make(size="40x30", payload="LY3F9A2B7C1D0E", title="红烧狮子头"):
    return render_text_qr_label(title, LINES, payload, footer=["可处理时间 11-20 10:06"], size=size)


@pytest.mark.parametrize("size,dots", [("40x30", (320, 240)), ("50x30", (400, 240)), ("60x40", (480, 320))])
def test_label_has_exact_printer_dots_and_is_one_bit(size, dots):
    assert label_dots(size, 203) == dots
    label = make(size)
    assert label.image.size == dots
    assert label.image.mode == "1"
    assert label.missing == ""
    assert label.qr_module_dots >= 3


def test_unknown_size_is_refused():
    with pytest.raises(render.LabelError):
        label_dots("10x10")


def test_chinese_glyphs_come_from_a_real_font_not_the_notdef_box():
    font = render._font(40)
    box = render._glyph_signature(font, render.MISSING_PROBE)
    for char in "红烧狮子头可处理时间留样人餐":
        assert render._glyph_signature(font, char) != box, char
    # and the probe really is the box: a private-use code point is reported missing
    assert render.missing_chars("鱼\ue001") == "\ue001"


def test_title_pixels_differ_from_boxes():
    real = make(title="红烧狮子头").image
    boxes = make(title="\ue001\ue002\ue003\ue004\ue005").image
    top = (0, 0, 320, 50)
    assert ImageChops.difference(real.crop(top).convert("L"), boxes.crop(top).convert("L")).getbbox() is not None


def test_missing_characters_are_reported_and_drawn_as_question_marks():
    label = make(title="鱼\ue001")
    assert label.missing == "\ue001"


@pytest.mark.parametrize("size", ["40x30", "50x30", "60x40"])
def test_qr_reads_back_with_zxing(size):
    import zxingcpp  # a dev dependency: the real decoder, never skipped
    label = make(size, payload="LY0A1B2C3D4E5F")
    results = zxingcpp.read_barcodes(label.image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    assert [r.text for r in results] == ["LY0A1B2C3D4E5F"]


def test_non_ascii_qr_payload_is_refused():
    with pytest.raises(render.LabelError):
        make(payload="留样1")


def test_tspl_stream_carries_the_image_bit_for_bit():
    image = make().image
    data = tspl_bytes(image)
    head, _, rest = data.partition(b"BITMAP ")
    assert b"SIZE 40 mm,30 mm\r\n" in head and b"GAP 2 mm,0 mm\r\n" in head and b"CLS\r\n" in head
    match = re.match(rb"(\d+),(\d+),(\d+),(\d+),(\d+),", rest)
    x, y, width_bytes, height, mode = (int(v) for v in match.groups())
    assert (x, y, width_bytes, height, mode) == (0, 0, 40, 240, 0)
    bitmap = rest[match.end():match.end() + width_bytes * height]
    assert rest[match.end() + width_bytes * height:] == b"\r\nPRINT 1,1\r\n"
    back = Image.frombytes("1", (width_bytes * 8, height), bitmap)
    assert ImageChops.difference(back.convert("L"), image.convert("L")).getbbox() is None
    # a 0 bit prints black: the QR finder's top-left dark module is a black pixel and a 0 bit
    black = next((px, py) for py in range(height) for px in range(image.width) if image.getpixel((px, py)) == 0)
    byte = bitmap[black[1] * width_bytes + black[0] // 8]
    assert byte & (0x80 >> (black[0] % 8)) == 0


class FakeTcpPrinter:
    """A socket server on 127.0.0.1 that keeps what one connection sends. `answer`: what it replies to the
    first bytes it gets (the status query); None = a printer that never answers. `hang_up`: it closes the
    connection right after answering."""

    def __init__(self, answer: bytes | None = None, hang_up: bool = False):
        self.answer, self.hang_up = answer, hang_up
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(1)
        self.server.settimeout(5)
        self.port = self.server.getsockname()[1]
        self.received = b""
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        connection, _ = self.server.accept()
        with connection:
            connection.settimeout(5)
            while chunk := connection.recv(65536):
                if not self.received and self.answer is not None:
                    connection.sendall(self.answer)
                self.received += chunk
                if self.hang_up:
                    return

    def close(self):
        self.thread.join(5)
        self.server.close()


def test_fake_tcp_printer_receives_the_label():
    fake = FakeTcpPrinter()
    image = make().image
    where = TsplPrinter(f"127.0.0.1:{fake.port}").print_image(image)
    fake.close()
    assert where == f"127.0.0.1:{fake.port}"
    assert fake.received == TSPL_STATUS_QUERY + tspl_bytes(image)  # it did not answer: printed anyway


@pytest.mark.parametrize("status", [b"\x00", b"\x20"])  # ready; busy printing the previous label
def test_a_ready_or_busy_printer_gets_the_label(status):
    fake = FakeTcpPrinter(answer=status)
    image = make().image
    TsplPrinter(f"127.0.0.1:{fake.port}").print_image(image)
    fake.close()
    assert fake.received == TSPL_STATUS_QUERY + tspl_bytes(image)


@pytest.mark.parametrize("status, key", [
    (b"\x01", "labels.status_head_open"), (b"\x02", "labels.status_paper_jam"), (b"\x04", "labels.status_paper_out"),
    (b"\x05", "labels.status_head_open"), (b"\x08", "labels.status_ribbon_out"), (b"\x10", "labels.status_paused"),
    (b"\x80", "labels.status_other_error"), (b"\x24", "labels.status_paper_out"),
])
def test_a_printer_that_cannot_print_says_why_and_gets_no_job(status, key):
    fake = FakeTcpPrinter(answer=status)
    with pytest.raises(PrinterError) as caught:
        TsplPrinter(f"127.0.0.1:{fake.port}").print_image(make().image)
    fake.close()
    assert caught.value.key == key and "/" in str(caught.value)
    assert fake.received == TSPL_STATUS_QUERY  # no label sent into a printer that would swallow it


@pytest.mark.parametrize("answer", [b"", b"\x00\x00", b"OK\r\n", bytes(range(16))])
def test_an_answer_that_is_not_a_status_byte_does_not_stop_printing(answer):
    assert tspl_status_problem(answer) is None


@given(st.binary(max_size=64))
def test_any_printer_answer_is_read_as_a_known_problem_or_none(answer):
    problem = tspl_status_problem(answer)
    assert problem is None or problem in {key for _, key in TSPL_STATUS_PROBLEMS}
    if problem is not None:
        assert t_in("zh-CN", problem, device="x") != problem and t_in("en", problem, device="x") != problem


@pytest.mark.parametrize("answer", [b"\xff\xfe garbage", b"\x00", None])
def test_a_printer_that_hangs_up_after_the_query_is_a_printer_error_or_printed(answer):
    fake = FakeTcpPrinter(answer=answer, hang_up=True)
    try:
        TsplPrinter(f"127.0.0.1:{fake.port}").print_image(make().image)
    except PrinterError as error:
        assert error.key in {"labels.printer_unreachable"} | {key for _, key in TSPL_STATUS_PROBLEMS}
    finally:
        fake.close()


def test_printer_off_gives_a_clear_bilingual_error():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now: a printer that is switched off
    with pytest.raises(PrinterError) as caught:
        TsplPrinter(f"127.0.0.1:{port}").print_image(make().image)
    text = str(caught.value)
    assert "打印机" in text and "Printer" in text and "reprint" in text


def test_missing_device_file_and_unconfigured_printer(tmp_path):
    with pytest.raises(PrinterError) as caught:
        send_raw(str(tmp_path / "lp0"), b"x")
    assert caught.value.key == "labels.printer_missing"
    with pytest.raises(PrinterError) as caught:
        send_raw("", b"x")
    assert caught.value.key == "labels.printer_not_configured"


def test_device_file_backend_writes_the_stream(tmp_path):
    device = tmp_path / "lp0"
    device.write_bytes(b"")
    image = make().image
    TsplPrinter(str(device)).print_image(image)
    assert device.read_bytes() == tspl_bytes(image)


def test_png_backend_preview_is_exactly_the_image(tmp_path):
    image = make().image
    path = PngPrinter(tmp_path).print_image(image, name="s1")
    saved = Image.open(path)
    assert saved.mode == "1" and ImageChops.difference(saved.convert("L"), image.convert("L")).getbbox() is None


def test_escpos_without_the_package_says_how_to_install(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_escpos(name, *args, **kwargs):
        if name.startswith("escpos"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_escpos)
    printer = get_printer(PrinterSettings(backend="escpos", device="127.0.0.1:9"))
    with pytest.raises(PrinterError) as caught:
        printer.print_image(make().image)
    assert "python-escpos" in str(caught.value)


def test_unknown_backend_is_a_printer_error():
    with pytest.raises(PrinterError):
        get_printer(PrinterSettings(backend="fax"))


def test_escpos_backend_sends_a_raster_image_to_a_tcp_printer(capfd):
    import escpos  # noqa: F401  (a dev dependency, so this backend is tested, not skipped)
    fake = FakeTcpPrinter()
    image = make().image
    where = get_printer(PrinterSettings(backend="escpos", device=f"127.0.0.1:{fake.port}")).print_image(image)
    fake.close()
    # nothing written over the kiosk's terminal (python-escpos warns about the profile's media width on stdout)
    assert capfd.readouterr() == ("", "")
    assert where == f"127.0.0.1:{fake.port}"
    assert b"\x1dv0" in fake.received  # GS v 0: raster bit image
    assert fake.received.endswith(b"\x1dVA\x00") or b"\x1dV" in fake.received  # cut


def test_escpos_printer_off_is_a_printer_error():
    import escpos  # noqa: F401
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    with pytest.raises(PrinterError) as caught:
        get_printer(PrinterSettings(backend="escpos", device=f"127.0.0.1:{port}")).print_image(make().image)
    assert caught.value.key == "labels.printer_unreachable"


def parse_tspl(data: bytes) -> tuple[tuple[float, float], Image.Image]:
    """Read a TSPL job back the way the printer does: SIZE in mm and the BITMAP's full rows (padding
    included), a 0 bit printing black."""
    size = re.search(rb"SIZE ([\d.]+) mm,([\d.]+) mm\r\n", data)
    bitmap = re.search(rb"BITMAP (\d+),(\d+),(\d+),(\d+),(\d+),", data)
    x, y, width_bytes, height, mode = (int(v) for v in bitmap.groups())
    assert (x, y, mode) == (0, 0, 0)
    raw = data[bitmap.end():bitmap.end() + width_bytes * height]
    assert data[bitmap.end() + width_bytes * height:] == b"\r\nPRINT 1,1\r\n"
    dots = Image.new("L", (width_bytes * 8, height), 255)
    dots.putdata([0 if not raw[row * width_bytes + col // 8] & (0x80 >> (col % 8)) else 255
                  for row in range(height) for col in range(width_bytes * 8)])
    return (float(size.group(1)), float(size.group(2))), dots


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("size", list(render.LABEL_SIZES))
def test_tspl_stream_prints_exactly_the_png_with_no_black_stripe(size, dpi):
    label = render_text_qr_label("红烧狮子头", LINES, "LY3F9A2B7C1D0E", footer=["可处理时间 11-20 10:06"],
                                 size=size, dpi=dpi)
    size_mm, printed = parse_tspl(tspl_bytes(label.image, dpi=dpi))
    assert size_mm == tuple(float(v) for v in render.LABEL_SIZES[size])  # the label's own size, as printed on it
    width, height = label.image.size
    assert ImageChops.difference(printed.crop((0, 0, width, height)), label.image.convert("L")).getbbox() is None
    # the padding dots right of the label (50x30 and 60x40 at 300 dpi are not whole bytes wide) print white
    if printed.width > width:
        assert printed.crop((width, 0, printed.width, height)).getextrema() == (255, 255)


def _qr_symbol_box(image: Image.Image) -> tuple[int, int, int, int]:
    """Where the QR symbol is, measured on the label: zxing finds it, then its dark modules' bounding box."""
    import zxingcpp
    (result,) = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    corners = [result.position.top_left, result.position.top_right, result.position.bottom_left,
               result.position.bottom_right]
    xs, ys = [p.x for p in corners], [p.y for p in corners]
    near = (max(0, min(xs) - 2), max(0, min(ys) - 2), min(image.width, max(xs) + 3), min(image.height, max(ys) + 3))
    dark = ImageChops.invert(image.crop(near).convert("L")).getbbox()
    return near[0] + dark[0], near[1] + dark[1], near[0] + dark[2], near[1] + dark[3]


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("size", list(render.LABEL_SIZES))
def test_qr_has_a_four_module_quiet_zone_inside_the_label(size, dpi):
    label = render_text_qr_label("红烧狮子头配上海青与木耳", LINES, "LY3F9A2B7C1D0E",
                                 footer=["可处理时间 11-20 10:06"], size=size, dpi=dpi)
    left, top, right, bottom = _qr_symbol_box(label.image)
    quiet = 4 * label.qr_module_dots
    ring = (left - quiet, top - quiet, right + quiet, bottom + quiet)
    assert ring[0] >= 0 and ring[1] >= 0 and ring[2] <= label.image.width and ring[3] <= label.image.height, ring
    around = label.image.crop(ring).convert("L")
    around.paste(255, (quiet, quiet, quiet + right - left, quiet + bottom - top))  # blank the symbol itself
    assert around.getextrema() == (255, 255)  # nothing printed in the quiet zone


def _ink_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    return ImageChops.invert(image.convert("L")).getbbox()


@pytest.mark.parametrize("size", list(render.LABEL_SIZES))
def test_the_code_is_printed_under_the_qr_so_a_damaged_qr_can_be_typed(size):
    from PIL import ImageDraw
    label = make(size, payload="LY3F9A2B7C1D0E")
    assert label.code_text == "LY3F9A2B7C1D0E"
    image = label.image
    left, top, right, bottom = _qr_symbol_box(image)
    # the first line of ink under the QR's quiet zone, in the QR's half of the label
    below = bottom + 4 * label.qr_module_dots
    rows = [y for y in range(below, image.height) if _ink_box(image.crop((image.width // 2, y, image.width, y + 1)))]
    first = rows[0]
    last = next(y for y in range(first, image.height) if y not in rows) - 1
    band = image.crop((image.width // 2, first, image.width, last + 1))
    printed = band.crop(_ink_box(band))
    # it is the code, glyph for glyph: the code drawn on its own at one of the sizes the label uses
    def drawn(font_size):
        alone = Image.new("1", (image.width, 60), 1)
        render.draw_text(ImageDraw.Draw(alone), (0, 0), "LY3F9A2B7C1D0E", font_size)
        return alone.crop(_ink_box(alone))
    assert any(drawn(s).size == printed.size
               and _ink_box(ImageChops.invert(ImageChops.difference(drawn(s).convert("L"), printed.convert("L"))))
               is None for s in range(10, 40))


@pytest.mark.parametrize("size", list(render.LABEL_SIZES))
def test_a_long_dish_name_wraps_or_shrinks_instead_of_being_cut(size):
    import zxingcpp
    name = "红烧狮子头配上海青与木耳炒山药片"
    label = render_text_qr_label(name, LINES, "LY3F9A2B7C1D0E", footer=["可处理时间 11-20 10:06"], size=size)
    assert "".join(label.title_lines) == name and len(label.title_lines) >= 1
    assert not any(line.endswith("..") for line in label.title_lines)
    found = zxingcpp.read_barcodes(label.image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    assert [r.text for r in found] == ["LY3F9A2B7C1D0E"]
    # the premise: at the size the old layout stopped shrinking (26 dots at 240 high), one line cannot hold it
    width, height = label.image.size
    assert render.text_width(name, int(26 * height / 240)) > width - 2 * max(4, width // 64)


def test_an_english_title_wraps_at_spaces():
    lines = render.wrap_to_width("Braised pork balls with bok choy", 200, 26)
    assert len(lines) > 1 and " ".join(lines) == "Braised pork balls with bok choy"


def test_the_png_carries_its_dpi(tmp_path):
    for dpi in (203, 300):
        label = render_text_qr_label("红烧狮子头", LINES, "LY3F9A2B7C1D0E", size="40x30", dpi=dpi)
        saved = Image.open(PngPrinter(tmp_path).print_image(label.image, name=f"dpi{dpi}"))
        assert saved.info["dpi"] == pytest.approx((dpi, dpi), abs=0.1)


def test_escpos_to_a_device_file_writes_nothing_on_the_terminal(tmp_path, capfd):
    import escpos  # noqa: F401
    device = tmp_path / "usb-lp0"
    device.write_bytes(b"")
    get_printer(PrinterSettings(backend="escpos", device=str(device))).print_image(make("60x40").image)
    assert b"\x1dv0" in device.read_bytes()
    assert capfd.readouterr() == ("", "")


def test_the_cli_test_label_png_carries_its_dpi(tmp_path):
    from kiosk.cli import main
    assert main(["label", "test", "-o", str(tmp_path / "t.png")]) == 0
    assert Image.open(tmp_path / "t.png").info["dpi"] == pytest.approx((203, 203), abs=0.1)
