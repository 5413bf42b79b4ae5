"""Build the label font shipped in assets/fonts/: a subset of Noto Sans CJK SC (SIL OFL 1.1).

Stations have no CJK font installed, so the label renderer ships its own. This script is run by a
developer, not at install time:

    apt-get install fonts-noto-cjk && pip install fonttools
    python tools/make_label_font.py

It keeps all of GB 2312 (levels 1 and 2, 6,763 hanzi: every common dish name), ASCII, CJK and
full-width punctuation and a few symbols (°, ×, ·), from face index 2 (Simplified Chinese) of the
Bold .ttc (bold survives a 203 dpi thermal head better than regular). Characters outside the subset
are reported by kiosk.labels.render.missing_chars(), never drawn as boxes silently.
"""
from __future__ import annotations

import sys
from pathlib import Path

SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
FACE_SC = 2  # Noto Sans CJK .ttc: 0 JP, 1 KR, 2 SC, 3 TC, 4 HK
OUT = Path(__file__).resolve().parent.parent / "assets" / "fonts" / "NotoSansSC-LabelSubset-Bold.otf"


def gb2312_chars() -> str:
    chars = []
    for high in range(0xB0, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.append(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return "".join(chars)


def wanted_text() -> str:
    ascii_ = "".join(chr(c) for c in range(0x20, 0x7F))
    punct = "，。、；：？！「」『』（）【】《》〈〉“”‘’—－～·・°℃×÷±％＋＝／＼｜＃＠＆＊　"
    fullwidth = "".join(chr(c) for c in range(0xFF01, 0xFF5F))
    return ascii_ + punct + fullwidth + gb2312_chars()


def main() -> int:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(SOURCE), fontNumber=FACE_SC)
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.desubroutinize = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=wanted_text())
    subsetter.subset(font)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(OUT))
    print(f"{OUT}: {OUT.stat().st_size / 1e6:.2f} MB, {len(font.getBestCmap())} code points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
