"""Row identities: UUIDv7, made on the station, time-ordered, unique without coordination."""
from __future__ import annotations

import uuid6


def new_id() -> str:
    return str(uuid6.uuid7())


def short_code(row_id: str) -> str:
    """A short ASCII code for labels and slips: the last 12 hex digits (random part) of a UUIDv7."""
    return row_id.replace("-", "")[-12:].upper()
