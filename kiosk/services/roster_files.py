"""Read a roster or staff file, as schools save them, into sheets of cleaned text cells.

    sheets = read_book(path)   # tuple of Sheet(name, rows); rows are (row number, cells)

Spreadsheets (.xlsx, .xlsm, .xls, .ods, recognised by their bytes, not their name) go through
python-calamine in a child process (spreadsheet_reader: a damaged file cannot take the station down);
text files are CSV or TSV in UTF-8 (with or without BOM), GB18030 or UTF-16.

Two things a spreadsheet does to a roster are undone or caught here, because later steps only see text:
- A merged cell (班级 or 宿舍楼 merged down the rows of a class) gives its value to every cell it covers.
- A value Excel has already changed is kept as a `SuspectCell`: a date where text was typed (`3-12` became
  2026-03-12), or a number too long for Excel to keep exact (an 18-digit 学籍号 keeps 15 significant digits).
  The row check refuses such a cell wherever it is used, naming it; it never imports it as text.
"""
from __future__ import annotations

import codecs
import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from kiosk.i18n import Msg, UserError, t_in
from kiosk.services.names import clean_text

MAX_ROWS = 50_000
# Excel stores numbers as IEEE doubles and shows at most 15 significant digits: from 10^15 on, the
# digits a school typed are no longer what the file holds.
EXACT_NUMBER_LIMIT = 10 ** 15
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 .xls (and encrypted Office files)


class ImportFileError(UserError):
    """The file cannot be read at all (missing, empty, binary, damaged, no usable header). Raised with a key
    under `people.` (given without the prefix); Column values are translated when the message is shown."""

    def __init__(self, key: str, /, **values: object) -> None:
        super().__init__(f"people.{key}", **{name: Msg(f"people.{value}") if isinstance(value, Column) else value
                                             for name, value in values.items()})


class Column(str):
    """A catalog key whose text is looked up per language when a message is formatted."""


def bilingual(key: str, **values: object) -> str:
    """`people.<key>` in Chinese and English on one line (CLI output, audit-friendly)."""

    def text(language: str) -> str:
        local = {name: t_in(language, f"people.{value}") if isinstance(value, Column) else value
                 for name, value in values.items()}
        return t_in(language, f"people.{key}", **local)

    return f"{text('zh-CN')} / {text('en')}"


class SuspectCell(str):
    """A cell's text that must not be imported as it reads; `problem` says why ("date" or "inexact")."""

    problem: str

    def __new__(cls, text: str, problem: str) -> SuspectCell:
        cell = super().__new__(cls, text)
        cell.problem = problem
        return cell


Rows = tuple[tuple[int, tuple[str, ...]], ...]  # (row number as the spreadsheet shows it, cleaned cells)


@dataclass(frozen=True)
class Sheet:
    """One sheet's non-blank rows, header (and any title rows above it) included. A CSV is one sheet."""

    rows: Rows
    name: str = ""


def cell_text(value: object) -> str:
    """A spreadsheet value as cleaned text: integral floats lose `.0`, full-width forms fold, and values
    Excel has changed (dates, numbers past 15 significant digits) come back as a `SuspectCell`."""
    if value is None:
        return ""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        if abs(value) >= EXACT_NUMBER_LIMIT:  # shown as Excel shows it: 15 significant digits, then zeros
            return SuspectCell(format(Decimal(f"{value:.15g}"), "f"), "inexact")
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return SuspectCell(value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat(), "date")
    if isinstance(value, timedelta):
        return SuspectCell(str(value), "date")
    return clean_text(value)


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: the column as the spreadsheet shows it."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def read_book(path: Path | str) -> tuple[Sheet, ...]:
    """Every sheet of a spreadsheet, or the one sheet of a CSV/TSV; `ImportFileError` if it cannot be read."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ImportFileError("file_cannot_open", path=str(path), error=error.strerror or type(error).__name__) from None
    if not data.strip():
        raise ImportFileError("file_empty", path=str(path))
    kind = spreadsheet_kind(path, data)
    if kind:
        sheets = _spreadsheet_sheets(path, data, kind)
    else:
        sheets = (Sheet(rows=_csv_rows(path, data)),)
    if not any(sheet.rows for sheet in sheets):
        raise ImportFileError("file_no_header", path=str(path))
    return sheets


def spreadsheet_kind(path: Path, data: bytes) -> str:
    """"XLS", "ODS" or "XLSX" from the file's bytes (a name can lie); "" for text, or for a zip that holds
    no spreadsheet (a Word or Writer file, a zipped folder), which is then refused as not a spreadsheet.
    A zip or OLE file whose inside is damaged still counts as a spreadsheet, so it is reported as one."""
    suffix = path.suffix.lower()
    if data.startswith(OLE_MAGIC):
        return "XLS"
    if data.startswith(b"PK\x03\x04"):
        if data[30:38] == b"mimetype" and data[38:38 + len(ODS_MIMETYPE)] == ODS_MIMETYPE:  # OpenDocument's place
            return "ODS"
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
                if any(name.startswith("xl/") for name in names):
                    return "XLSX"
                if "mimetype" in names:  # OpenDocument with the mimetype elsewhere, or a text document
                    return "ODS" if archive.read("mimetype").strip() == ODS_MIMETYPE else ""
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, NotImplementedError):
            return "ODS" if suffix == ".ods" else "XLSX"
        return ""
    return {".xls": "XLS", ".ods": "ODS", ".xlsx": "XLSX", ".xlsm": "XLSX", ".xlsb": "XLSX"}.get(suffix, "")


def _spreadsheet_sheets(path: Path, data: bytes, kind: str) -> tuple[Sheet, ...]:
    from kiosk.services.spreadsheet_reader import SpreadsheetUnreadable, read_spreadsheet

    try:
        raw = read_spreadsheet(data, kind, MAX_ROWS)
    except SpreadsheetUnreadable as error:
        if error.reason == "too_many_rows":
            raise ImportFileError("file_too_many_rows", path=str(path), max=MAX_ROWS) from None
        if error.reason == "crashed":
            raise ImportFileError("file_spreadsheet_crashed", kind=kind, path=str(path)) from None
        if error.reason == "password":
            raise ImportFileError("file_password", path=str(path)) from None
        raise ImportFileError("file_spreadsheet_broken", kind=kind, path=str(path), error=error.detail) from None
    # Visible sheets first: a hidden sheet is usually a lookup list for drop-downs, or last year's roster.
    raw.sort(key=lambda sheet: not sheet[1])
    return tuple(Sheet(rows=_clean_rows(grid, merges, padded), name=name) for name, _, grid, merges, padded in raw)


def _clean_rows(grid: list[list[object]], merges, padded: dict[tuple[int, int], int]) -> Rows:
    """Non-blank rows of cleaned cells, numbers shown with leading zeros given them, each merged range's
    value copied into every cell it covers."""
    cleaned = [[cell_text(value) for value in values] for values in grid]
    for (row, col), digits in padded.items():
        value = grid[row][col] if row < len(grid) and col < len(grid[row]) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < EXACT_NUMBER_LIMIT \
                and float(value).is_integer():
            cleaned[row][col] = str(int(value)).zfill(digits)  # what the sheet shows: 000123, not 123
    width = max(map(len, cleaned), default=0)
    for (first_row, first_col), (last_row, last_col) in merges:
        if first_row >= len(cleaned) or first_col >= len(cleaned[first_row]):
            continue
        value = cleaned[first_row][first_col]
        last_col = min(last_col, width - 1)  # a range past the used area (a whole-row merge) stops at its edge
        for row in range(first_row, min(last_row, len(cleaned) - 1) + 1):
            cells = cleaned[row]
            if len(cells) <= last_col:
                cells.extend([""] * (last_col + 1 - len(cells)))
            for col in range(first_col, last_col + 1):
                cells[col] = value
    return tuple((number, tuple(cells)) for number, cells in enumerate(cleaned, start=1) if any(cells))


def decode_text(data: bytes) -> str | None:
    """UTF-16 (with BOM, or without one when every other byte is NUL), UTF-8 (with or without BOM), else
    GB18030; None if none decodes strictly."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = _bomless_utf16(data)
    if encoding:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _bomless_utf16(data: bytes) -> str:
    """"utf-16-le"/"utf-16-be" when the file looks like UTF-16 text without a BOM, else "". In a roster,
    digits, delimiters and line breaks are ASCII: as UTF-16 each leaves a NUL byte on the same side of its
    pair, while CJK characters rarely do (一 U+4E00 is one that does)."""
    if len(data) % 2 or b"\x00" not in data:
        return ""
    even, odd = data[0::2].count(0), data[1::2].count(0)
    half = len(data) // 2
    if odd >= half * 0.2 and even * 4 <= odd:
        return "utf-16-le"
    if even >= half * 0.2 and odd * 4 <= even:
        return "utf-16-be"
    return ""


def _csv_rows(path: Path, data: bytes) -> Rows:
    text = decode_text(data)
    if text is None:
        raise ImportFileError("file_binary" if b"\x00" in data else "file_encoding", path=str(path))
    if "\x00" in text or any(ch in text for ch in "\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x7f"):
        raise ImportFileError("file_binary", path=str(path))
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((",", "\t", ";"), key=first_line.count)
    rows: list[tuple[int, tuple[str, ...]]] = []
    try:
        for number, values in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            if number > MAX_ROWS + 1:
                raise ImportFileError("file_too_many_rows", path=str(path), max=MAX_ROWS)
            cells = tuple(clean_text(value) for value in values)
            if any(cells):
                rows.append((number, cells))
    except csv.Error as error:
        raise ImportFileError("file_csv_broken", path=str(path), error=str(error)) from None
    return tuple(rows)


__all__ = [
    "Column", "ImportFileError", "MAX_ROWS", "Rows", "Sheet", "SuspectCell", "bilingual", "cell_text", "column_letter",
    "decode_text", "read_book", "spreadsheet_kind",
]
