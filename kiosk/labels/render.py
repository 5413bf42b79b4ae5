"""Render a label as ONE 1-bit image (Pillow mode "1"): the PNG preview is exactly what prints.

Sizes are millimetres at the printer's dpi: 40x30 mm at 203 dpi = 320x240 dots (also 50x30, 60x40).
Chinese comes from the shipped font (assets/fonts, a GB 2312 subset of Noto Sans CJK SC, SIL OFL);
a character the shipped font lacks is drawn from a system CJK font if one is installed, otherwise
drawn as "?" and listed in `Label.missing`, so nothing becomes a silent box.
"""
from __future__ import annotations

import re
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
QR_QUIET_MODULES = 4  # ISO/IEC 18004: four light modules on every side, or phones and scanners misread it
TITLE_SHARE = 0.30  # a long dish name may take up to this part of the label's height, on several lines


class LabelError(ValueError):
    """A label that cannot be laid out (unknown size, QR too long for the label)."""


@dataclass(frozen=True)
class Label:
    image: "PILImage.Image"  # mode "1", exactly the printer's dots
    missing: str = ""  # characters no available font has (drawn as "?")
    qr_module_dots: int = 0
    title_lines: tuple[str, ...] = ()  # the title as drawn, line by line (clipped with ".." only if even the
    # smallest size cannot hold it)
    code_text: str = ""  # printed under the QR, to type in when the QR is damaged


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


def _wrap_tokens(text: str) -> list[str]:
    """Break points: Latin words and numbers stay whole, each CJK character may start a line."""
    return re.findall(r"[A-Za-z0-9.,:/'-]+|\s+|.", text)


def wrap_to_width(text: str, width: int, size: int) -> list[str]:
    """`text` in as few lines as fit `width` at `size`; a word wider than a line is split by character."""
    lines: list[str] = []
    current = ""
    for token in _wrap_tokens(text):
        if text_width(current + token, size) <= width:
            current += token
            continue
        if current.strip():
            lines.append(current.rstrip())
        current = "" if token.isspace() else token
        while text_width(current, size) > width and len(current) > 1:  # one long word: split it
            cut = len(current) - 1
            while cut > 1 and text_width(current[:cut], size) > width:
                cut -= 1
            lines.append(current[:cut])
            current = current[cut:]
    if current.strip():
        lines.append(current.rstrip())
    return lines


def fit_block(text: str, width: int, height: int, largest: int, smallest: int) -> tuple[int, list[str]]:
    """The largest font size (step 2) at which `text`, wrapped, fits `width` x `height` dots, with its lines.
    Only when even `smallest` does not fit is the last line clipped (with ".."), so nothing is cut silently
    while there is room to shrink or wrap."""
    size = largest
    while True:
        lines = wrap_to_width(text, width, size)
        if len(lines) * line_height(size) <= height or size <= smallest:
            break
        size -= 2
    room = max(1, height // line_height(size))
    if len(lines) > room:
        lines = lines[:room - 1] + [clip_to_width("".join(lines[room - 1:]), width, size)]
    return size, lines


def line_height(size: int) -> int:
    return int(size * 1.25)


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
    """A mode "1" QR at the largest whole module size that fits in `box` dots, its 4-module quiet zone included
    (white, so whatever is pasted next to it keeps its distance)."""
    from PIL import Image

    matrix = qr_matrix(payload)
    modules = len(matrix)
    framed_modules = modules + 2 * QR_QUIET_MODULES
    dots = box // framed_modules
    if dots < MIN_QR_MODULE_DOTS:
        raise LabelError(f"QR of {modules} modules needs {MIN_QR_MODULE_DOTS * framed_modules} dots, label has {box}")
    small = Image.new("1", (modules, modules), 1)
    small.putdata([0 if dark else 1 for row in matrix for dark in row])
    big = small.resize((modules * dots, modules * dots), Image.NEAREST)
    framed = Image.new("1", (framed_modules * dots,) * 2, 1)
    framed.paste(big, (QR_QUIET_MODULES * dots, QR_QUIET_MODULES * dots))
    return framed, dots


def render_text_qr_label(title: str, lines: Sequence[str], qr_payload: str, *, footer: Sequence[str] = (),
                         size: str = "40x30", dpi: int = 203, code_text: str | None = None) -> Label:
    """The generic label: the title across the top (wrapped onto more lines and shrunk rather than cut),
    `lines` left of a QR code with `code_text` (default: the QR payload) printed under it so a damaged QR can
    be typed in, `footer` lines across the bottom. Nothing is drawn outside the label; the image carries
    its dpi (`image.info["dpi"]`), so the PNG says how large it prints."""
    from PIL import Image, ImageDraw

    width, height = label_dots(size, dpi)
    image = Image.new("1", (width, height), 1)
    image.info["dpi"] = (dpi, dpi)
    draw = ImageDraw.Draw(image)
    margin = max(4, width // 64)
    scale = height / 240

    title_size, title_lines = fit_block(title, width - 2 * margin, int(height * TITLE_SHARE),
                                        int(46 * scale), int(16 * scale))
    for index, text in enumerate(title_lines):
        draw_text(draw, (margin, margin - int(title_size * 0.1) + index * line_height(title_size)), text, title_size)
    top = margin + len(title_lines) * line_height(title_size)

    footer_size = int(24 * scale)
    footer_height = len(footer) * line_height(footer_size)
    bottom = height - margin - footer_height

    code = qr_payload if code_text is None else code_text
    column = width // 2  # the QR's column on the right: the QR (with its quiet zone), the code under it
    code_size = fit_size(code, column - margin, int(20 * scale), int(14 * scale)) if code else 0
    code_height = line_height(code_size) if code else 0
    qr, dots = qr_image(qr_payload, min(bottom - top - code_height, column))
    qr_x = width - qr.width  # the quiet zone lies inside the label: the label's edge is the symbol's margin
    qr_y = top + (bottom - top - code_height - qr.height) // 2
    image.paste(qr, (qr_x, qr_y))
    code_x = qr_x
    if code:
        code_width = text_width(code, code_size)  # centred under the QR, kept inside the label and its column
        code_x = max(width - column, min(qr_x + (qr.width - code_width) // 2, width - margin - code_width))
        draw_text(draw, (code_x, qr_y + qr.height - int(code_size * 0.1)),
                  clip_to_width(code, width - margin - code_x, code_size), code_size)

    text_width_max = min(qr_x, code_x) - margin  # the lines stay left of the QR's quiet zone and of the code
    line_size = int(22 * scale)
    step = max(line_size + 2, (bottom - top) // max(1, len(lines))) if lines else 0
    step = min(step, int(line_size * 1.35))
    for index, line in enumerate(lines):
        size_here = fit_size(line, text_width_max, line_size, int(16 * scale))
        draw_text(draw, (margin, top + index * step), clip_to_width(line, text_width_max, size_here), size_here)
    for index, line in enumerate(footer):
        size_here = fit_size(line, width - 2 * margin, footer_size, int(16 * scale))
        y = bottom + index * line_height(footer_size)
        draw_text(draw, (margin, y), clip_to_width(line, width - 2 * margin, size_here), size_here)

    text = title + "".join(lines) + "".join(footer) + code
    return Label(image=image, missing=missing_chars(text), qr_module_dots=dots, title_lines=tuple(title_lines),
                 code_text=code)
