"""Exports: a table of plain values written as CSV or XLSX, safe to open in a spreadsheet.

Every feature's export builds a `Table`; this module only writes it. A cell that a spreadsheet
would execute (leading `=`, `+`, `-`, `@`, tab or carriage return) is written with a leading
apostrophe, so `=HYPERLINK(...)` typed into a form stays text.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Iterable

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class Table:
    title: str
    headers: list[str]
    rows: list[list[object]] = field(default_factory=list)


def safe_cell(value: object) -> object:
    """Numbers and dates stay typed; text that starts like a formula is neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float, date, datetime)):
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _text(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def write_table(table: Table, path: Path | str, fmt: str) -> int:
    """Write `table` to `path` as csv or xlsx; returns the number of data rows."""
    path = Path(path)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    rows: Iterable[list[object]] = ([safe_cell(v) for v in row] for row in table.rows)
    count = 0
    if fmt == "csv":
        # UTF-8 with BOM: Excel on a Chinese Windows opens it without garbling.
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([safe_cell(h) for h in table.headers])
            for row in rows:
                writer.writerow([_text(v) for v in row])
                count += 1
        return count
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=table.title[:31] or "export")
    sheet.append([safe_cell(h) for h in table.headers])
    for row in rows:
        sheet.append([v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in row])
        count += 1
    workbook.save(str(path))
    return count
