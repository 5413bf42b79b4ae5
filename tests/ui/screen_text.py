"""What a person can read on a screen, as plain text: every visible Static, Label, input, table and option list.
Used by the F9 sweep to find text left in the other language."""
from __future__ import annotations

import re

from textual.widgets import DataTable, Input, OptionList, Static

from kiosk.i18n import catalog

HAN = re.compile(r"[\u3400-\u9fff]")


def visible_texts(screen) -> list[str]:
    texts: list[str] = []
    for widget in screen.walk_children(with_self=False):
        if not widget.display or not widget.visible:
            continue
        if isinstance(widget, Static):
            texts.append(str(widget.render()))
        elif isinstance(widget, Input):
            texts.extend([widget.placeholder or "", widget.value or ""])
        elif isinstance(widget, DataTable):
            texts.extend(str(column.label) for column in widget.columns.values())
            for index in range(min(widget.row_count, 30)):
                texts.extend(str(cell) for cell in widget.get_row_at(index))
        elif isinstance(widget, OptionList):
            texts.extend(str(widget.get_option_at_index(i).prompt) for i in range(widget.option_count))
    return [text for text in texts if text]


def chinese_catalog_phrases() -> set[str]:
    """Fixed Chinese texts of the catalog (no placeholders, two or more Han characters): any of them on an
    English screen is a text F9 did not reach."""
    english = " ".join(str(v) for v in catalog("en").values())  # "Overnight guests (陪宿)" is meant
    phrases = set()
    for value in catalog("zh-CN").values():
        forms = value.values() if isinstance(value, dict) else [value]
        for form in forms:
            for part in re.split(r"\{[^}]*\}", form):
                part = part.strip(" ：:，,。（）()[]/·-")
                if len(HAN.findall(part)) >= 2 and part not in english:
                    phrases.add(part)
    return phrases


SEGMENT = re.compile(r"\s*(?:·|：|:|，|,|（|）|\(|\)|\[|\]|/|\n|\s{2,})\s*")


def leftover_chinese(screen, phrases: set[str]) -> list[str]:
    """Catalog phrases standing as a whole text, or a whole segment of one (between separators such as
    ` · `, `：` or two spaces): a phrase inside a longer run is most likely typed data (a note, a place)."""
    found = []
    for text in visible_texts(screen):
        for segment in SEGMENT.split(text):
            segment = segment.strip(" 。")
            if segment in phrases:
                found.append(f"{segment!r} in {text[:80]!r}")
    return sorted(set(found))
