"""Readers that work as a keyboard type the ID number, some also the name, then Enter, into the scan field.

`split_wedge` takes what arrived there and returns (ID number, name): the name is whatever follows an
18-character resident ID number (after an optional space, comma or tab), so "110108198506121239李明远" and
"110108198506121239 李明远" both fill the two fields. Anything else is left whole as the number, to be checked
as a typed number is.
"""
from __future__ import annotations

import re

_NUMBER_THEN_NAME = re.compile(r"^\s*([0-9]{17}[0-9Xx])[\s,，;；]*(\D.*?)?\s*$")


def split_wedge(text: str) -> tuple[str, str]:
    match = _NUMBER_THEN_NAME.match(text)
    if match is None:
        return text, ""
    name = (match.group(2) or "").strip()
    if name and not name.isprintable():
        name = ""
    return match.group(1).upper(), name
