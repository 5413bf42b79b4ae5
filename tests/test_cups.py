"""The CUPS backend against a real cupsd with a cups-pdf queue (tools/setup-cups.sh installs them; CI runs it).

Each test module run starts its own cupsd on a private socket (CUPS_SERVER), so the system's CUPS, if any, is
not touched. cups-pdf writes the job's PDF to the requesting user's ~/PDF; the test finds it by a unique title.
"""
from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from hypothesis import given, strategies as st
from PIL import Image, ImageChops

from kiosk.labels import ipp
from kiosk.labels.printers import CupsPrinter, PrinterError, cups_media
from kiosk.labels.render import LABEL_SIZES, render_text_qr_label
from tests.conftest import require

NEEDED = ("/usr/sbin/cupsd", "/usr/bin/lp", "/usr/bin/lpstat", "/usr/bin/cancel", "/usr/sbin/lpadmin",
          "/usr/sbin/cupsdisable", "/usr/sbin/cupsenable",
          "/usr/lib/cups/backend/cups-pdf", "/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd", "/usr/bin/pdfinfo",
          "/usr/bin/pdfimages")
PPD = "/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd"
LINES = ["午餐 2026-11-18", "128 g", "留样 11-18 10:05", "留样人 张三丰"]


def _wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def cupsd():
    """A private cupsd (foreground child) with a cups-pdf queue "labels" (A4 by default, as CUPS sets it)."""
    missing = [path for path in NEEDED if not os.path.exists(path)]
    require(not missing, f"CUPS and cups-pdf are not installed (run tools/setup-cups.sh as root): {missing}")
    require(os.geteuid() == 0, "cupsd runs the cups-pdf backend only as root")
    # not under pytest's tmp_path: its folders are private to root, and CUPS's filters run as user lp
    root = Path(tempfile.mkdtemp(prefix="kiosk-cupsd-"))
    for name in ("conf", "spool", "spool/tmp", "cache", "state", "log"):
        (root / name).mkdir(exist_ok=True)
    os.chmod(root, 0o755)
    os.chmod(root / "spool" / "tmp", 0o1777)
    shutil.chown(root / "spool", group="lp")
    os.chmod(root / "spool", 0o710)
    sock = root / "cups.sock"
    (root / "conf" / "cupsd.conf").write_text(
        f"Listen {sock}\nLogLevel info\nWebInterface No\nBrowsing No\nDefaultAuthType None\n"
        "<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
        "<Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n")
    (root / "conf" / "cups-files.conf").write_text(
        f"ServerRoot {root}/conf\nRequestRoot {root}/spool\nTempDir {root}/spool/tmp\nCacheDir {root}/cache\n"
        f"StateDir {root}/state\nAccessLog {root}/log/access_log\nErrorLog {root}/log/error_log\n"
        f"PageLog {root}/log/page_log\nServerBin /usr/lib/cups\nDataDir /usr/share/cups\n"
        f"Printcap {root}/printcap\nUser lp\nGroup lp\nSystemGroup root\nFileDevice No\n")
    daemon = subprocess.Popen(["/usr/sbin/cupsd", "-f", "-c", str(root / "conf" / "cupsd.conf"),
                               "-s", str(root / "conf" / "cups-files.conf")])
    saved = os.environ.get("CUPS_SERVER")
    os.environ["CUPS_SERVER"] = str(sock)
    try:
        _wait_for(sock.exists, 15, "cupsd's socket")
        subprocess.run(["lpadmin", "-p", "labels", "-E", "-v", "cups-pdf:/", "-P", PPD], check=True,
                       capture_output=True)
        yield root
    finally:
        daemon.terminate()
        daemon.wait(15)
        shutil.rmtree(root, ignore_errors=True)
        if saved is None:
            os.environ.pop("CUPS_SERVER", None)
        else:
            os.environ["CUPS_SERVER"] = saved


@pytest.fixture
def queue(cupsd):
    """The "labels" queue, enabled and empty, at the start of each test."""
    subprocess.run(["cupsenable", "labels"], check=True)
    subprocess.run(["cancel", "-a", "labels"], check=False, capture_output=True)
    return "labels"


def _pdf_of(title: str) -> Path:
    """cups-pdf's output for the job titled `title` (it puts the title first in the file name)."""
    folder = Path(pwd.getpwuid(os.geteuid()).pw_dir) / "PDF"
    found: list[Path] = []
    _wait_for(lambda: found.extend(folder.glob(f"{title}*.pdf")) or found, 15, f"cups-pdf's {title}*.pdf")
    return found[0]


def _page_size_mm(pdf: Path) -> tuple[int, tuple[float, float]]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    width, height = (float(v) for v in re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", info, re.M).groups())
    return pages, (width * 25.4 / 72, height * 25.4 / 72)


@pytest.mark.parametrize("size", list(LABEL_SIZES))
def test_cups_prints_one_page_of_the_labels_size_with_the_png_pixel_for_pixel(queue, tmp_path, size):
    label = render_text_qr_label("红烧狮子头", LINES, "LY3F9A2B7C1D0E", footer=["可处理时间 11-20 10:06"], size=size)
    title = f"kiosk-test-{uuid.uuid4().hex[:12]}"
    assert CupsPrinter(queue).print_image(label.image, name=title) == queue
    pdf = _pdf_of(title)
    try:
        pages, (width_mm, height_mm) = _page_size_mm(pdf)
        expected = LABEL_SIZES[size]
        assert pages == 1
        assert abs(width_mm - expected[0]) < 0.5 and abs(height_mm - expected[1]) < 0.5, (width_mm, height_mm)
        subprocess.run(["pdfimages", "-png", str(pdf), str(tmp_path / "img")], check=True)
        (only,) = sorted(tmp_path.glob("img-*.png"))
        inside = Image.open(only).convert("L")
        assert inside.size == label.image.size
        assert ImageChops.difference(inside, label.image.convert("L")).getbbox() is None
    finally:
        pdf.unlink(missing_ok=True)


def test_the_media_option_is_the_labels_own_size():
    assert cups_media(render_text_qr_label("x", [], "LY1", size="40x30").image, 203) == "Custom.40x30mm"
    assert cups_media(render_text_qr_label("x", [], "LY1", size="60x40").image, 203) == "Custom.60x40mm"
    assert cups_media(render_text_qr_label("x", [], "LY1", size="50x30", dpi=300).image, 300) == "Custom.50x30mm"
    assert cups_media(Image.new("1", (576, 800), 1), 203) == "Custom.72.1x100.1mm"  # a receipt: its own size


def test_a_stopped_queue_is_a_clear_message_and_no_job(queue):
    subprocess.run(["cupsdisable", "-r", "head open", queue], check=True)
    label = render_text_qr_label("红烧狮子头", LINES, "LY3F9A2B7C1D0E")
    with pytest.raises(PrinterError) as caught:
        CupsPrinter(queue).print_image(label.image, name=f"kiosk-test-{uuid.uuid4().hex[:12]}")
    assert caught.value.key == "labels.cups_queue_stopped"
    text = str(caught.value)
    assert "head open" in text and f"cupsenable {queue}" in text and "没有打印" in text and "NOT printed" in text
    jobs = subprocess.run(["lpstat", "-o", queue], capture_output=True, text=True).stdout
    assert jobs.strip() == ""  # nothing left waiting to come out later


def test_a_printer_that_never_takes_the_job_is_cancelled_and_reported(cupsd):
    # a queue whose printer is switched off: the socket backend keeps retrying, the job never completes
    subprocess.run(["lpadmin", "-p", "off", "-E", "-v", "socket://127.0.0.1:9", "-P", PPD], check=True,
                   capture_output=True)
    label = render_text_qr_label("红烧狮子头", LINES, "LY3F9A2B7C1D0E")
    with pytest.raises(PrinterError) as caught:
        CupsPrinter("off", job_wait_seconds=3).print_image(label.image, name="kiosk-test-off")
    assert caught.value.key in {"labels.cups_job_stuck", "labels.cups_queue_stopped"}
    assert "off" in str(caught.value)
    jobs = subprocess.run(["lpstat", "-o", "off"], capture_output=True, text=True).stdout
    assert jobs.strip() == ""  # cancelled: it will not print by surprise after the user reprints


def test_an_unknown_queue_says_how_to_list_the_queues(cupsd):
    label = render_text_qr_label("红烧狮子头", LINES, "LY3F9A2B7C1D0E")
    with pytest.raises(PrinterError) as caught:
        CupsPrinter("no-such-queue").print_image(label.image)
    assert caught.value.key == "labels.cups_queue_unknown" and "lpstat -p" in str(caught.value)


def test_cups_not_running_is_a_printer_error(tmp_path, monkeypatch):
    require(shutil.which("lp") is not None, "CUPS's lp is not installed (tools/setup-cups.sh)")
    monkeypatch.setenv("CUPS_SERVER", str(tmp_path / "nobody-listens.sock"))
    with pytest.raises(PrinterError) as caught:
        CupsPrinter("labels").print_image(render_text_qr_label("x", [], "LY1").image)
    assert caught.value.key == "labels.cups_unreachable"


def test_ipp_messages_round_trip():
    data = ipp.encode_request(ipp.GET_JOB_ATTRIBUTES, [(0x45, "printer-uri", "ipp://localhost/printers/a"),
                                                       (0x21, "job-id", 7), (0x44, "requested-attributes",
                                                                             ["job-state", "job-state-reasons"])])
    decoded = ipp.decode_response(data)  # a request has the same layout; its "status" is the operation
    assert decoded.status == ipp.GET_JOB_ATTRIBUTES
    assert decoded.attributes["job-id"] == [7]
    assert decoded.attributes["requested-attributes"] == ["job-state", "job-state-reasons"]


def test_the_cli_says_the_queue_is_stopped_and_exits_2(queue, tmp_path, monkeypatch, capsys):
    from kiosk.cli import main
    monkeypatch.setenv("KIOSK_PRINTER__BACKEND", "cups")
    monkeypatch.setenv("KIOSK_PRINTER__CUPS_QUEUE", queue)
    subprocess.run(["cupsdisable", "-r", "head open", queue], check=True)
    assert main(["label", "test", "-o", str(tmp_path / "t.png"), "--print"]) == 2
    err = capsys.readouterr().err
    assert "打印队列 labels 已停止（head open）" in err and "cupsenable labels" in err


@given(st.binary(max_size=200))
def test_any_bytes_from_a_server_are_an_ipp_response_or_an_ipp_error(data):
    try:
        answer = ipp.decode_response(data)
    except ipp.IppError:
        return
    assert isinstance(answer.status, int) and isinstance(answer.attributes, dict)


def test_no_queue_set_uses_cups_default_or_says_to_set_one(queue):
    label = render_text_qr_label("红烧狮子头", LINES, "LY3F9A2B7C1D0E")
    with pytest.raises(PrinterError) as caught:
        CupsPrinter("").print_image(label.image, name="kiosk-test-nodefault")
    assert caught.value.key == "labels.cups_no_queue"
    subprocess.run(["lpadmin", "-d", queue], check=True, capture_output=True)  # this private cupsd's default
    title = f"kiosk-test-{uuid.uuid4().hex[:12]}"
    assert CupsPrinter("").print_image(label.image, name=title) == queue
    _pdf_of(title).unlink()
