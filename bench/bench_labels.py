"""Label rendering: our sample label (fonts fitted, CJK runs, QR with quiet zone, 1-bit) and the TSPL
stream, beside a bare qrcode + Pillow render of the same payload in the same run."""
from __future__ import annotations

from pathlib import Path

from bench.common import Result, median, percentile, timings_ms

PAYLOAD = "LY0A1B2C3D4E5F"
LINES = ["午餐 2026-11-18", "150 g", "留样 11-18 11:20", "留样人 张三丰"]
FOOTER = ["可处理时间 11-20 11:20"]
DISHES = ["红烧狮子头", "番茄炒蛋", "清炒时蔬", "土豆烧牛肉", "紫菜蛋花汤", "宫保鸡丁", "米饭", "糖醋里脊"]


def run(workdir: Path) -> list[Result]:
    import qrcode
    from PIL import Image, ImageDraw

    from kiosk.labels.printers import tspl_bytes
    from kiosk.labels.render import _font, render_text_qr_label

    counter = iter(range(10**9))

    def ours():
        dish = DISHES[next(counter) % len(DISHES)]
        return render_text_qr_label(dish, LINES, PAYLOAD, footer=FOOTER)

    font = _font(22)

    def bare():
        # the least one could do: qrcode's own PIL image, pasted onto a 1-bit canvas with one line of text
        canvas = Image.new("1", (320, 240), 1)
        qr = qrcode.make(PAYLOAD, box_size=5, border=2).get_image().convert("1")
        canvas.paste(qr, (320 - qr.width, 50))
        ImageDraw.Draw(canvas).text((5, 5), DISHES[0], font=font, fill=0)
        return canvas

    label = ours().image
    ours_ms = timings_ms(ours, repeat=200)
    bare_ms = timings_ms(bare, repeat=200)
    tspl_ms = timings_ms(lambda: tspl_bytes(label), repeat=200)
    first = workdir / "label.png"
    label.save(first)
    return [
        Result("sample label render + QR (40x30 mm, 1-bit) median", median(ours_ms), "ms",
               "bare qrcode + Pillow render median", median(bare_ms), "< 50 ms"),
        Result("sample label render + QR p99", percentile(ours_ms, 99), "ms",
               "bare qrcode + Pillow render p99", percentile(bare_ms, 99), "< 100 ms"),
        Result("TSPL job from the label image median", median(tspl_ms), "ms", aim="< 5 ms"),
        Result("label PNG size", first.stat().st_size / 1024, "KiB", aim="< 10 KiB"),
    ]
