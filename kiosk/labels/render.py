"""Render a label as ONE 1-bit image (Pillow mode "1"): the PNG preview is exactly what prints.

Sizes are millimetres at the printer's dpi: 40x30 mm at 203 dpi = 320x240 dots (also 50x30, 60x40).
Chinese comes from the shipped font (assets/fonts, a GB 2312 subset of Noto Sans CJK SC, SIL OFL);
a character the shipped font lacks is drawn from a system CJK font if one is installed, otherwise
drawn as "?" and listed in `Label.missing`, so nothing becomes a silent box.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from kiosk import paths

if TYPE_CHECKING:
    from PIL import Image as PILImage
    from PIL import ImageFont

LABEL_SIZES = {"40x30": (40, 30), "50x30": (50, 30), "60x40": (60, 40)}
FONT_FILE = "NotoSansSC-LabelSubset-Bold.otf"
# Tried in order for characters the shipped subset lacks (face index 2 of Noto .ttc is Simplified Chinese).
FALLBACK_FONTS = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
)
MISSING_PROBE = "\ue000"  # a private-use code point no font here maps: it renders as .notdef
MIN_QR_MODULE_DOTS = 3


class LabelError(ValueError):
    """A label that cannot be laid out (unknown size, QR too long for the label)."""


@dataclass(frozen=True)
class Label:
    image: "PILImage.Image"  # mode "1", exactly the printer's dots
    missing: str = ""  # characters no available font has (drawn as "?")
    qr_module_dots: int = 0


def label_dots(size: str, dpi: int = 203) -> tuple[int, int]:
    """(width, height) in dots for a size name like "40x30" at `dpi`."""
    if size not in LABEL_SIZES:
        raise LabelError(f"unknown label size {size!r}; choose from {', '.join(LABEL_SIZES)}")
    width_mm, height_mm = LABEL_SIZES[size]
    return int(width_mm * dpi / 25.4 + 0.5), int(height_mm * dpi / 25.4 + 0.5)


def font_path() -> Path:
    return paths.assets_dir() / "fonts" / FONT_FILE


@lru_cache(maxsize=64)
def _font(size: int, fallback: int = -1) -> "ImageFont.FreeTypeFont":
    from PIL import ImageFont

    if fallback < 0:
        return ImageFont.truetype(str(font_path()), size)
    path, index = FALLBACK_FONTS[fallback]
    return ImageFont.truetype(path, size, index=index)


def _glyph_signature(font: "ImageFont.FreeTypeFont", char: str) -> bytes:
    mask = font.getmask(char, mode="1")
    return bytes(mask.size) + bytes(mask)


@lru_cache(maxsize=4096)
def _font_has(fallback: int, char: str) -> bool:
    """True if the font draws `char` with its own glyph (not the .notdef box)."""
    if char.isspace():
        return True
    if fallback >= 0 and not Path(FALLBACK_FONTS[fallback][0]).exists():
        return False
    font = _font(32, fallback)
    return _glyph_signature(font, char) != _glyph_signature(font, MISSING_PROBE)


def _font_for(char: str) -> int | None:
    """Which font draws `char`: -1 the shipped one, 0.. a fallback, None nothing here."""
    for index in range(-1, len(FALLBACK_FONTS)):
        if _font_has(index, char):
            return index
    return None


def missing_chars(text: str) -> str:
    """Characters of `text` that no available font can draw, each once, in order."""
    seen: list[str] = []
    for char in text:
        if char not in seen and _font_for(char) is None:
            seen.append(char)
    return "".join(seen)


def _runs(text: str) -> list[tuple[str, int | None]]:
    runs: list[tuple[str, int | None]] = []
    for char in text:
        which = _font_for(char)
        if runs and runs[-1][1] == which:
            runs[-1] = (runs[-1][0] + char, which)
        else:
            runs.append((char, which))
    return runs


def text_width(text: str, size: int) -> int:
    width = 0
    for run, which in _runs(text):
        shown = run if which is not None else "?" * len(run)
        width += int(_font(size, -1 if which is None else which).getlength(shown))
    return width


def draw_text(draw, xy: tuple[int, int], text: str, size: int) -> int:
    """Draw `text` at xy (top-left) in black, font by font; returns the width drawn."""
    x, y = xy
    for run, which in _runs(text):
        font = _font(size, -1 if which is None else which)
        shown = run if which is not None else "?" * len(run)
        draw.text((x, y), shown, font=font, fill=0)
        x += int(font.getlength(shown))
    return x - xy[0]


def fit_size(text: str, width: int, largest: int, smallest: int) -> int:
    """The largest font size (step 2) at which `text` fits in `width` dots; `smallest` if none."""
    size = largest
    while size > smallest and text_width(text, size) > width:
        size -= 2
    return size


def clip_to_width(text: str, width: int, size: int) -> str:
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "..", size) > width:
        text = text[:-1]
    return text + ".."


def qr_matrix(payload: str) -> list[list[bool]]:
    """QR modules (True = dark), no quiet zone. ASCII payloads only (scanners type ASCII)."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    if not payload.isascii():
        raise LabelError("QR payload must be ASCII")
    code = qrcode.QRCode(version=None, error_correction=ERROR_CORRECT_M, box_size=1, border=0)
    code.add_data(payload)
    code.make(fit=True)
    return code.get_matrix()


def qr_image(payload: str, box: int) -> tuple["PILImage.Image", int]:
    """A mode "1" QR at the largest whole module size that fits in `box` dots with a 2-module quiet zone."""
    from PIL import Image

    matrix = qr_matrix(payload)
    modules = len(matrix)
    dots = box // (modules + 4)
    if dots < MIN_QR_MODULE_DOTS:
        raise LabelError(f"QR of {modules} modules needs {MIN_QR_MODULE_DOTS * (modules + 4)} dots, label has {box}")
    small = Image.new("1", (modules, modules), 1)
    small.putdata([0 if dark else 1 for row in matrix for dark in row])
    big = small.resize((modules * dots, modules * dots), Image.NEAREST)
    framed = Image.new("1", ((modules + 4) * dots,) * 2, 1)
    framed.paste(big, (2 * dots, 2 * dots))
    return framed, dots


def render_text_qr_label(title: str, lines: Sequence[str], qr_payload: str, *, footer: Sequence[str] = (),
                         size: str = "40x30", dpi: int = 203) -> Label:
    """The generic label: a large title across the top, `lines` left of a QR code, `footer` lines
    across the bottom. Fonts shrink to fit; nothing is drawn outside the label."""
    from PIL import Image, ImageDraw

    width, height = label_dots(size, dpi)
    image = Image.new("1", (width, height), 1)
    draw = ImageDraw.Draw(image)
    margin = max(4, width // 64)
    scale = height / 240

    title_size = fit_size(title, width - 2 * margin, int(46 * scale), int(26 * scale))
    title_text = clip_to_width(title, width - 2 * margin, title_size)
    draw_text(draw, (margin, margin - int(title_size * 0.1)), title_text, title_size)
    top = margin + int(title_size * 1.25)

    footer_size = int(24 * scale)
    footer_height = len(footer) * int(footer_size * 1.25)
    bottom = height - margin - footer_height

    qr_box = min(bottom - top, width // 2)
    qr, dots = qr_image(qr_payload, qr_box)
    image.paste(qr, (width - qr.width, top + (bottom - top - qr.height) // 2))  # quiet zone inside the label

    text_width_max = width - margin - qr.width
    line_size = int(22 * scale)
    step = max(line_size + 2, (bottom - top) // max(1, len(lines))) if lines else 0
    step = min(step, int(line_size * 1.35))
    for index, line in enumerate(lines):
        size_here = fit_size(line, text_width_max, line_size, int(16 * scale))
        draw_text(draw, (margin, top + index * step), clip_to_width(line, text_width_max, size_here), size_here)
    for index, line in enumerate(footer):
        size_here = fit_size(line, width - 2 * margin, footer_size, int(16 * scale))
        y = bottom + index * int(footer_size * 1.25)
        draw_text(draw, (margin, y), clip_to_width(line, width - 2 * margin, size_here), size_here)

    text = title + "".join(lines) + "".join(footer)
    return Label(image=image, missing=missing_chars(text), qr_module_dots=dots)
