"""The roster and staff importers (kiosk.services.roster_import): a file's bytes, read as CSV or XLSX.

The first byte picks the file:

  0  the bytes as they are, saved as `.csv` (any encoding, or none)
  1  the bytes as they are, saved as `.xlsx` (a broken or hostile workbook)
  2  a roster CSV built from a real header and fuzzed cells, written in UTF-8, UTF-8 with BOM,
     GB18030 or UTF-16 (the encodings schools' exports come in), with `,`, tab or `;` between cells
  3  the same rows written into a real XLSX workbook (cells as text, numbers or formulas)

Each file goes through read_book, locate_header and the row checks for both students and staff, then
through import_roster and import_staff with dry_run=True against the demo school (fuzz/school.py).

Contract: ImportFileError is the only exception; a dry run reports imported=False and writes nothing;
every row the checks accept is well formed: a number of letters, digits and `-`, a gender of M or F,
a bed of 1-20, a phone of 11 ASCII digits, and no value that a spreadsheet would run as a formula.
"""
from __future__ import annotations

import atexit
import csv
import io
import re
import shutil
import tempfile
from pathlib import Path

from fuzz.data import Data
from fuzz.school import school
from kiosk.services import roster_import as ri

FOLDER = Path(tempfile.mkdtemp(prefix="kiosk-fuzz-roster-"))
atexit.register(shutil.rmtree, FOLDER, ignore_errors=True)
STUDENT_HEADER = ("学号", "姓名", "性别", "班级", "住宿/走读", "宿舍楼", "房间", "床位", "监护人", "监护人电话", "在籍")
STAFF_HEADER = ("工号", "姓名", "角色", "班级", "手机", "卡号", "初始PIN", "在职")
SAMPLE_CELLS = ("20260101", "张三", "男", "女", "高一(1)班", "住宿", "走读", "男生1号楼", "305", "3号床", "13800138000",
                "是", "否", "门卫", "班主任、宿管", "STAFF-1", "1234", "=HYPERLINK(\"http://x\",\"a\")", "+1", "@SUM(A1)",
                "-2", "", " ", "\u3000", "１３８００１３８０００", "፩", "²")
ENCODINGS = ("utf-8", "utf-8-sig", "gb18030", "utf-16")
NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")
MOBILE = re.compile(r"1[3-9][0-9]{9}")
FORMULA_START = ("=",)  # the importer refuses these; exports escape + - @ as well


_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _strip_illegal(text: str) -> str:
    """openpyxl refuses to write control characters; a real workbook cannot hold them either."""
    return _ILLEGAL.sub("", text)


def _cell(data: Data) -> str:
    """A sample value, or fuzzed text without control characters (those make the whole file "binary",
    which mode 0 already covers; here the rows should reach the row checks)."""
    return data.choice(SAMPLE_CELLS) if data.flag() else _strip_illegal(data.clean_text(24))


def _rows(data: Data) -> list[list[str]]:
    header = list(data.choice((STUDENT_HEADER, STAFF_HEADER)))
    rows = [header]
    for _ in range(data.int_in(0, 6)):
        width = len(header) if data.int_in(0, 3) else data.int_in(0, len(header) + 1)
        rows.append([_cell(data) for _ in range(width)])
    return rows


def build_csv(data: Data) -> bytes:
    rows = _rows(data)
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=data.choice((",", "\t", ";"))).writerows(rows)
    return buffer.getvalue().encode(data.choice(ENCODINGS), "replace")


def build_xlsx(data: Data) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in _rows(data):
        values = []
        for text in row:
            kind = data.int_in(0, 3)
            if kind == 1 and text.strip().isdigit() and text.isascii():
                values.append(int(text))
            elif kind == 2:
                values.append(data.int_in(-10, 10**6) / 4)
            else:
                values.append(_strip_illegal(text))
        sheet.append(values)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def make_file(data: Data) -> Path:
    mode = data.int_in(0, 3)
    if mode == 0:
        name, content = "roster.csv", data.rest()
    elif mode == 1:
        name, content = "roster.xlsx", data.rest()
    elif mode == 2:
        name, content = "roster.csv", build_csv(data)
    else:
        name, content = "roster.xlsx", build_xlsx(data)
    path = FOLDER / name
    path.write_bytes(content)
    return path


def _no_formula(*values: str) -> None:
    for value in values:
        assert not value.startswith(FORMULA_START), f"formula accepted: {value!r}"


def check_student_rows(sheet: ri.Sheet) -> None:
    try:
        columns, rows = ri.locate_header(sheet, ri.STUDENT_HEADERS, ri.STUDENT_REQUIRED)
    except ri.ImportFileError:
        return
    for number, cells in rows:
        student, errors = ri.check_student_row(number, cells, columns)
        assert (student is None) == bool(errors), (student, errors)
        if student is None:
            assert all(error.key and error.message for error in errors), errors
            continue
        assert NUMBER.fullmatch(student.number) and student.name and student.class_name, student
        assert student.gender in ("M", "F"), student
        assert student.bed is None or 1 <= student.bed <= ri.MAX_BED, student
        assert student.guardian_phone == "" or MOBILE.fullmatch(student.guardian_phone), student
        _no_formula(student.number, student.name, student.class_name, student.grade, student.building, student.room,
                    student.guardian_name)


def check_staff_rows(sheet: ri.Sheet) -> None:
    try:
        columns, rows = ri.locate_header(sheet, ri.STAFF_HEADERS, ri.STAFF_REQUIRED, staff=True)
    except ri.ImportFileError:
        return
    for number, cells in rows:
        member, errors = ri.check_staff_row(number, cells, columns)
        assert (member is None) == bool(errors), (member, errors)
        if member is None:
            continue
        assert NUMBER.fullmatch(member.number) and member.name and member.roles, member
        assert member.phone == "" or MOBILE.fullmatch(member.phone), member
        assert member.pin == "" or (member.pin.isascii() and member.pin.isdigit()), member
        _no_formula(member.number, member.name, member.class_name, member.card_code)


def _written() -> tuple[int, int, int]:
    from kiosk.models import Room, Staff, Student

    return Student.select().count(), Staff.select().count(), Room.select().count()


def check_dry_runs(path: Path) -> None:
    place = school()
    before = _written()
    for importer in (ri.import_roster, ri.import_staff):
        try:
            report = importer(path, place.actor, dry_run=True)
        except ri.ImportFileError as error:
            assert str(error) and error.key, error
            continue
        assert report.dry_run and not report.imported, report
        assert report.rows >= 0 and len(report.bad_rows) == report.skipped, report
    assert _written() == before, "a dry run wrote rows"


prepare = school  # fuzz.run builds the demo school before the clock starts


def TestOneInput(data: bytes) -> None:
    path = make_file(Data(data))
    try:
        sheets = ri.read_book(path)
    except ri.ImportFileError as error:
        assert str(error) and error.key, error
        return
    assert any(sheet.rows for sheet in sheets), sheets
    for sheet in sheets:
        assert all(any(cells) for _, cells in sheet.rows), sheet
        check_student_rows(sheet)
        check_staff_rows(sheet)
    check_dry_runs(path)
