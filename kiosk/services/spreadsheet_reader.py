"""Read a spreadsheet's raw cells in a child process with a memory and time limit.

    sheets = read_spreadsheet(data, kind, max_rows)   # [(name, visible, grid, merges, padded)]

python-calamine builds each sheet as a dense grid in Rust, and a Rust allocation failure aborts the whole
process: one stray cell at XFD1048576 (a slip of the hand in a real roster) asks for billions of cells, and a
damaged .xls can ask for 4 GiB while parsing its container. In the kiosk or the CLI that would kill the
station, so the reading runs here, in `python -m kiosk.services.spreadsheet_reader`, which the parent
starts with the file on stdin and reads a pickle back from. Only raw values cross: cleaning stays in
roster_files. This module imports nothing from the kiosk.
"""
from __future__ import annotations

import io
import os
import pickle
import re
import subprocess
import sys
import zipfile
from pathlib import Path

MEMORY_LIMIT = 2 * 1024 ** 3  # address space for the child; a 50,000-row roster needs a few hundred MiB
TIME_LIMIT = 120  # seconds
EXIT_TOO_MANY_ROWS = 3
EXIT_BROKEN = 4
EXIT_PASSWORD = 5


class SpreadsheetUnreadable(Exception):
    """`reason` is "broken" (calamine refused it; `detail` is its error type), "password" (the file is
    encrypted with an open password), "too_many_rows", or "crashed" (the child died: out of memory, aborted,
    or out of time)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


Sheets = list[tuple[str, bool, list[list[object]], list, dict[tuple[int, int], int]]]


def read_spreadsheet(data: bytes, kind: str, max_rows: int) -> Sheets:
    """Every sheet as (name, visible, grid of raw values from A1, merged ranges ((r0, c0), (r1, c1)),
    {(row, col): digits} of number cells an .xlsx shows padded with zeros); SpreadsheetUnreadable if not."""
    package_root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (package_root, os.environ.get("PYTHONPATH"))))}
    try:
        child = subprocess.run([sys.executable, "-m", "kiosk.services.spreadsheet_reader", kind, str(max_rows)],
                               input=data, capture_output=True, timeout=TIME_LIMIT, env=env, check=False)
    except subprocess.TimeoutExpired:
        raise SpreadsheetUnreadable("crashed", "timeout") from None
    if child.returncode == 0:
        return pickle.loads(child.stdout)
    if child.returncode == EXIT_TOO_MANY_ROWS:
        raise SpreadsheetUnreadable("too_many_rows")
    if child.returncode == EXIT_PASSWORD:
        raise SpreadsheetUnreadable("password")
    if child.returncode == EXIT_BROKEN:
        raise SpreadsheetUnreadable("broken", child.stderr.decode("ascii", "replace").strip()[:80])
    raise SpreadsheetUnreadable("crashed", f"exit {child.returncode}")


# An .xlsx with an open password is an OLE container holding this stream instead of a zip; calamine cannot
# tell its format from the bytes and would call it damaged.
ENCRYPTED_OOXML = "EncryptedPackage".encode("utf-16-le")


def _read(data: bytes, kind: str, max_rows: int) -> Sheets:
    from python_calamine import CalamineWorkbook, PasswordError, SheetVisibleEnum

    if kind == "XLS" and ENCRYPTED_OOXML in data:
        raise PasswordError("encrypted OOXML package")
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    ods_merges = _ods_merges(data) if kind == "ODS" else {}
    padded = {}
    if kind == "XLSX":
        try:
            padded = _xlsx_padded_numbers(data)
        except Exception:  # noqa: BLE001 - an odd package layout: no zero padding, as before; calamine read it
            padded = {}
    sheets = []
    for meta in workbook.sheets_metadata:
        sheet = workbook.get_sheet_by_name(meta.name)
        if sheet.total_height > max_rows + 1:
            sys.exit(EXIT_TOO_MANY_ROWS)
        merges = ods_merges.get(meta.name, []) if kind == "ODS" else list(sheet.merged_cell_ranges or ())
        grid = [_trimmed(values) for values in sheet.to_python(skip_empty_area=False)]
        sheets.append((meta.name, meta.visible == SheetVisibleEnum.Visible, grid, merges, padded.get(meta.name, {})))
    workbook.close()
    return sheets


def _trimmed(values: list[object]) -> list[object]:
    """A row without its trailing blanks: calamine pads every row to the sheet's widest, so one stray cell in
    column ZZ would otherwise send 700 cells for every row to the parent."""
    end = len(values)
    while end and (values[end - 1] is None or values[end - 1] == ""):
        end -= 1
    return values[:end]


_ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"


def _ods_merges(data: bytes) -> dict[str, list[tuple[tuple[int, int], tuple[int, int]]]]:
    """Merged ranges per sheet of an .ods, 0-based and inclusive like calamine's `merged_cell_ranges`
    (which calamine gives for .xlsx and .xls only). They are the `number-rows-spanned` and
    `number-columns-spanned` attributes of table cells in content.xml; repeated rows and cells count as many."""
    from xml.etree.ElementTree import iterparse

    merges: dict[str, list[tuple[tuple[int, int], tuple[int, int]]]] = {}
    table_name = ""
    depth = 0  # tables nested inside a cell (rare) are not sheets
    row = col = 0
    with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open("content.xml") as content:
        for event, element in iterparse(content, events=("start", "end")):
            tag = element.tag
            if not tag.startswith(_ODS_TABLE):
                continue
            local = tag[len(_ODS_TABLE):]
            if local == "table":
                depth += 1 if event == "start" else -1
                if event == "start" and depth == 1:
                    table_name = element.get(_ODS_TABLE + "name", "")
                    merges[table_name] = []
                    row = 0
            elif depth != 1:
                continue
            elif local == "table-row":
                if event == "start":
                    col = 0
                else:
                    row += int(element.get(_ODS_TABLE + "number-rows-repeated", "1"))
                    element.clear()
            elif local in ("table-cell", "covered-table-cell") and event == "start":
                rows = int(element.get(_ODS_TABLE + "number-rows-spanned", "1"))
                cols = int(element.get(_ODS_TABLE + "number-columns-spanned", "1"))
                if rows > 1 or cols > 1:
                    merges[table_name].append(((row, col), (row + rows - 1, col + cols - 1)))
                col += int(element.get(_ODS_TABLE + "number-columns-repeated", "1"))
    return merges


_XLSX_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_XLSX_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_ZERO_PADDED = re.compile(r"^0{2,}$")  # a number format such as 000000: 123 shows as 000123


def _xlsx_padded_numbers(data: bytes) -> dict[str, dict[tuple[int, int], int]]:
    """{sheet: {(row, col): digits}} for number cells whose format pads them with zeros (学号 123 shown as
    000123). calamine gives the bare number; the school sees and uses the padded one. Read from styles.xml
    and the sheet XML, and only when some style pads (otherwise nothing is parsed)."""
    from xml.etree.ElementTree import fromstring, iterparse

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        if "xl/styles.xml" not in names:
            return {}
        styles = fromstring(archive.read("xl/styles.xml"))
        formats = {fmt.get("numFmtId"): fmt.get("formatCode", "")
                   for fmt in styles.iter(_XLSX_MAIN + "numFmt")}
        cell_xfs = styles.find(_XLSX_MAIN + "cellXfs")
        widths = {}
        for index, xf in enumerate(cell_xfs if cell_xfs is not None else ()):
            code = formats.get(xf.get("numFmtId"), "")
            if _ZERO_PADDED.match(code):
                widths[str(index)] = len(code)
        if not widths:
            return {}
        workbook = fromstring(archive.read("xl/workbook.xml"))
        rels = fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
        padded: dict[str, dict[tuple[int, int], int]] = {}
        for sheet in workbook.iter(_XLSX_MAIN + "sheet"):
            target = targets.get(sheet.get(_XLSX_REL + "id"), "")
            path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            if path not in names:
                continue
            cells = padded.setdefault(sheet.get("name", ""), {})
            with archive.open(path) as content:
                row = col = -1
                for event, element in iterparse(content, events=("start", "end")):
                    if event == "start":
                        if element.tag == _XLSX_MAIN + "row":
                            row, col = int(element.get("r", row + 2)) - 1, -1
                    elif element.tag == _XLSX_MAIN + "c":
                        row, col = _cell_position(element.get("r"), row, col)
                        width = widths.get(element.get("s", "0"))
                        if width and element.get("t", "n") == "n":
                            cells[(row, col)] = width
                    elif element.tag == _XLSX_MAIN + "row":
                        element.clear()
    return padded


def _cell_position(reference: str | None, row: int, col: int) -> tuple[int, int]:
    """(row, col), 0-based, from `B12`; without a reference (it is optional), the cell after the last one."""
    if not reference:
        return row, col + 1
    letters = reference.rstrip("0123456789")
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter.upper()) - 64
    return int(reference[len(letters):]) - 1, number - 1


def _child(kind: str, max_rows: int) -> None:
    import resource

    from python_calamine import PasswordError

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    data = sys.stdin.buffer.read()
    try:
        sheets = _read(data, kind, max_rows)
    except PasswordError:
        sys.exit(EXIT_PASSWORD)
    except MemoryError:  # out of memory on the Python side: "crashed", as when Rust aborts
        os._exit(70)
    except Exception as error:  # noqa: BLE001 - calamine, zip and XML errors of a damaged file; the parent reports it
        sys.stderr.write(type(error).__name__)
        sys.exit(EXIT_BROKEN)
    sys.stdout.buffer.write(pickle.dumps(sheets, protocol=pickle.HIGHEST_PROTOCOL))


if __name__ == "__main__":
    _child(sys.argv[1], int(sys.argv[2]))
