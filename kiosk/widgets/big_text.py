"""Big text for the gate's verdict: a word readable from two metres on an ordinary terminal.

The word is drawn with the shipped font (assets/fonts, the one the labels use) into a small bitmap, and each
pixel becomes one terminal cell: a space with a background colour. Only spaces are drawn, never block
characters (▀ ▄ █ are East-Asian "ambiguous": some Chinese terminals draw them two cells wide and the
picture falls apart). A terminal cell is about twice as tall as it is wide, so the bitmap is rendered at
twice the rows wanted and halved vertically. Pillow is imported only when a first big word is drawn.
"""
from __future__ import annotations

from functools import lru_cache

from kiosk.paths import assets_dir

ROWS = 8  # terminal rows of a big word
FONT_PIXELS = ROWS * 2


@lru_cache(maxsize=128)
def big_rows(text: str, max_width: int) -> tuple[str, ...]:
    """The word as ROWS strings of '#' (ink) and ' ', at most `max_width` cells wide (squeezed if needed)."""
    from PIL import Image, ImageFont

    font = ImageFont.truetype(str(assets_dir() / "fonts" / "NotoSansSC-LabelSubset-Bold.otf"), FONT_PIXELS)
    left, top, right, bottom = font.getbbox(text)
    width, height = max(1, right - left), max(1, bottom - top)
    image = Image.new("L", (width, height), 0)
    from PIL import ImageDraw

    ImageDraw.Draw(image).text((-left, -top), text, font=font, fill=255)
    cells = max(1, min(width, max_width))
    small = image.resize((cells, ROWS), Image.Resampling.BOX)  # average: thin strokes still leave ink
    pixels = small.load()
    return tuple("".join("#" if pixels[x, y] >= 80 else " " for x in range(cells)) for y in range(ROWS))
