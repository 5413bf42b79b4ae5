"""Rosters as schools save them: .xls (Excel 97-2003), .ods, merged cells, numbers and dates Excel has
already changed, the header on another sheet, CSV/TSV in every encoding Excel and WPS write.

Every fixture is written here by a real library (xlwt, odfpy, openpyxl, the csv module), never by hand.
"""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.models import Staff, Student
from kiosk.services.actor import Actor
from kiosk.services.roster_files import cell_text, column_letter, read_book
from kiosk.services.roster_import import ImportFileError, import_roster, import_staff

HEADER = ["学号", "姓名", "性别", "年级", "班级", "住宿/走读", "宿舍楼", "房间", "床位", "监护人", "监护人电话"]
#          A       B       C       D       E       F            G         H       I       J         K
STAFF_HEADER = ["工号", "姓名", "角色", "班级", "电话", "卡号", "初始PIN"]


def student(number="2026001", name="张华丽", gender="女", class_name="高一(1)班", building="女生1号楼", room="101",
            bed="1", phone="13800138000") -> list:
    return [number, name, gender, "高一", class_name, "住宿", building, room, bed, "张伟", phone]


ROSTER = [student(), student("2026002", "李芳", bed="2"), student("2026003", "王丽", room="102", bed="1")]


@pytest.fixture
def actor(db, settings, frozen_now) -> Actor:
    return Actor(school_id=settings.school.id, station_id="st-test", staff_name="system")


def keys(report) -> list[tuple[int, str]]:
    return [(error.row, error.key) for error in report.errors]


def imported() -> dict[str, tuple]:
    return {s.number: (s.name, s.class_name, s.room.building.name if s.room else "", s.room.number if s.room else "",
                       s.bed) for s in Student.select()}


EXPECTED = {"2026001": ("张华丽", "高一(1)班", "女生1号楼", "101", 1), "2026002": ("李芳", "高一(1)班", "女生1号楼", "101", 2),
            "2026003": ("王丽", "高一(1)班", "女生1号楼", "102", 1)}


# ---------------------------------------------------------------- writers (real libraries)

def write_xls(path: Path, rows: list[list], header=HEADER, merges=(), sheet="名册") -> Path:
    """An Excel 97-2003 workbook written by xlwt; `merges` are (first row, last row, first col, last col), 0-based."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    page = book.add_sheet(sheet)
    dated = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    covered = {(r, c) for r0, r1, c0, c1 in merges for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
    rows = ([header] if header else []) + rows
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            if (r, c) in covered or value is None:
                continue
            if isinstance(value, (date, datetime)):
                page.write(r, c, value, dated)
            else:
                page.write(r, c, value)
    for r0, r1, c0, c1 in merges:
        value = rows[r0][c0]
        page.write_merge(r0, r1, c0, c1, value)
    book.save(str(path))
    return path


def write_ods(path: Path, sheets: dict[str, list[list]], spans: dict[tuple[str, int, int], int] | None = None) -> Path:
    """An OpenDocument spreadsheet written by odfpy. `spans[(sheet, row, col)] = n` merges n rows down from that
    cell (0-based, as LibreOffice writes it: number-rows-spanned on the first cell, covered cells below).
    Numbers are float cells, dates are date cells, everything else is a string cell."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import CoveredTableCell, Table, TableCell, TableRow
    from odf.text import P

    spans = spans or {}
    covered = {(name, r, c) for (name, r0, c), n in spans.items() for r in range(r0 + 1, r0 + n)}
    document = OpenDocumentSpreadsheet()
    for name, rows in sheets.items():
        table = Table(name=name)
        for r, values in enumerate(rows):
            row = TableRow()
            for c, value in enumerate(values):
                if (name, r, c) in covered:
                    row.addElement(CoveredTableCell())
                    continue
                extra = {"numberrowsspanned": spans[(name, r, c)]} if (name, r, c) in spans else {}
                if value is None or value == "":
                    cell = TableCell(**extra)
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    cell = TableCell(valuetype="float", value=value, **extra)
                    cell.addElement(P(text=str(value)))
                elif isinstance(value, date):
                    cell = TableCell(valuetype="date", datevalue=value.isoformat(), **extra)
                    cell.addElement(P(text=value.isoformat()))
                else:
                    cell = TableCell(valuetype="string", **extra)
                    cell.addElement(P(text=str(value)))
                row.addElement(cell)
            table.addElement(row)
        document.spreadsheet.addElement(table)
    document.save(str(path))
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list]], merges: dict[str, list[str]] | None = None,
               hidden_columns: dict[str, list[str]] | None = None) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        page = workbook.create_sheet(name)
        for values in rows:
            page.append(values)
        for cells in (merges or {}).get(name, []):
            page.merge_cells(cells)
        for letter in (hidden_columns or {}).get(name, []):
            page.column_dimensions[letter].hidden = True
    workbook.save(path)
    return path


def write_text(path: Path, rows: list[list], encoding: str, delimiter: str = ",") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def merged_down(rows: list[list], columns: tuple[int, ...]) -> list[list]:
    """The rows as a teacher's merged sheet shows them: the merged columns blank below the first row."""
    return [values if index == 0 else [None if c in columns else v for c, v in enumerate(values)]
            for index, values in enumerate(rows)]


# ---------------------------------------------------------------- formats

def test_xls_written_by_xlwt_imports(tmp_path, actor):
    rows = [[2026001, "张华丽", "女", "高一", "高一(1)班", "住宿", "女生1号楼", 101, 1, "张伟", 13800138000]] + ROSTER[1:]
    report = import_roster(write_xls(tmp_path / "roster.xls", rows), actor)
    assert report.errors == () and report.created == 3
    assert imported() == EXPECTED
    assert Student.get(Student.number == "2026001").guardian_phone == "13800138000"


def test_ods_written_by_odfpy_imports(tmp_path, actor):
    rows = [[2026001, "张华丽", "女", "高一", "高一(1)班", "住宿", "女生1号楼", 101, 1, "张伟", 13800138000]] + ROSTER[1:]
    report = import_roster(write_ods(tmp_path / "roster.ods", {"名册": [HEADER] + rows}), actor)
    assert report.errors == () and report.created == 3
    assert imported() == EXPECTED


def test_spreadsheet_is_recognised_by_its_bytes_not_its_name(tmp_path, actor):
    ods = write_ods(tmp_path / "roster.ods", {"名册": [HEADER] + ROSTER})
    renamed = tmp_path / "roster.xlsx"  # a school renamed it by hand
    renamed.write_bytes(ods.read_bytes())
    assert import_roster(renamed, actor, dry_run=True).errors == ()
    xls = write_xls(tmp_path / "roster.xls", ROSTER)
    disguised = tmp_path / "export.csv"  # some school systems name their .xls export .csv
    disguised.write_bytes(xls.read_bytes())
    assert import_roster(disguised, actor, dry_run=True).errors == ()


@pytest.mark.parametrize("encoding, delimiter", [
    ("utf-8", ","), ("utf-8-sig", ","), ("gb18030", ","), ("utf-16", "\t"),  # utf-16 = Excel's "Unicode text"
    ("utf-16-le", "\t"), ("utf-8-sig", "\t"), ("gb18030", ";"),
])
def test_text_files_in_every_encoding_excel_and_wps_write(tmp_path, actor, encoding, delimiter):
    path = write_text(tmp_path / "roster.txt", [HEADER] + ROSTER, encoding, delimiter)
    report = import_roster(path, actor)
    assert report.errors == () and imported() == EXPECTED


# ---------------------------------------------------------------- merged cells

@pytest.mark.parametrize("kind", ["xlsx", "xls", "ods"])
def test_merged_class_and_room_cells_give_their_value_to_every_row(tmp_path, actor, kind):
    # 班级 (E) merged down the three rows; 宿舍楼 (G) and 房间 (H) merged down the two rows of room 101.
    rows = merged_down(ROSTER, (4, 6))
    rows[1][7] = None
    if kind == "xlsx":
        path = write_xlsx(tmp_path / "r.xlsx", {"名册": [HEADER] + rows}, merges={"名册": ["E2:E4", "G2:G4", "H2:H3"]})
    elif kind == "xls":
        path = write_xls(tmp_path / "r.xls", rows, merges=[(1, 3, 4, 4), (1, 3, 6, 6), (1, 2, 7, 7)])
    else:
        spans = {("名册", 1, 4): 3, ("名册", 1, 6): 3, ("名册", 1, 7): 2}
        path = write_ods(tmp_path / "r.ods", {"名册": [HEADER] + rows}, spans)
    report = import_roster(path, actor)
    assert report.errors == ()
    assert imported() == EXPECTED


def test_ods_merges_after_repeated_rows_and_columns_land_on_the_right_cells(tmp_path):
    # LibreOffice compresses runs of empty cells and rows (number-columns-repeated / number-rows-repeated).
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import CoveredTableCell, Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = Table(name="Sheet1")
    table.addElement(TableRow(numberrowsrepeated=2))  # rows 1-2 blank
    first = TableRow()
    first.addElement(TableCell(numbercolumnsrepeated=3))  # A-C blank
    merged = TableCell(valuetype="string", numberrowsspanned=2, numbercolumnsspanned=2)
    merged.addElement(P(text="高一(1)班"))
    first.addElement(merged)
    first.addElement(CoveredTableCell())
    table.addElement(first)
    second = TableRow()
    second.addElement(TableCell(numbercolumnsrepeated=3))
    second.addElement(CoveredTableCell(numbercolumnsrepeated=2))
    marker = TableCell(valuetype="string")
    marker.addElement(P(text="x"))
    second.addElement(marker)
    table.addElement(second)
    document.spreadsheet.addElement(table)
    document.save(str(tmp_path / "m.ods"))
    (sheet,) = read_book(tmp_path / "m.ods")
    assert sheet.rows == ((3, ("", "", "", "高一(1)班", "高一(1)班")), (4, ("", "", "", "高一(1)班", "高一(1)班", "x")))


# ---------------------------------------------------------------- values Excel has changed

@pytest.mark.parametrize("kind", ["xlsx", "xls", "ods"])
def test_an_18_digit_number_stored_as_a_number_is_refused_naming_the_cell(tmp_path, actor, kind):
    rows = [student(), student(430102200801011234, "李芳", bed="2")]
    if kind == "xlsx":
        path = write_xlsx(tmp_path / "r.xlsx", {"名册": [HEADER] + rows})
    elif kind == "xls":
        path = write_xls(tmp_path / "r.xls", rows)
    else:
        path = write_ods(tmp_path / "r.ods", {"名册": [HEADER] + rows})
    report = import_roster(path, actor)
    assert keys(report) == [(3, "cell_inexact")]
    message = report.errors[0].message
    assert "A3" in message and "学号" in message and "文本" in message and "Format the column as Text" in message
    assert "430102200801011000" in message  # what Excel kept, so the school sees the lost digits
    assert not report.imported and Student.select().count() == 0


def test_a_16_digit_phone_or_card_number_is_refused_too_but_15_digits_are_exact(tmp_path, actor):
    rows = [student(), student("2026002", "李芳", bed="2")]
    rows[0][0] = 123456789012345  # 15 digits: a double holds it exactly
    rows[1][10] = 1234567890123456  # 16 digits in the phone column
    report = import_roster(write_xlsx(tmp_path / "r.xlsx", {"名册": [HEADER] + rows}), actor, dry_run=True)
    assert keys(report) == [(3, "cell_inexact")]
    assert "K3" in report.errors[0].message


# 2.0260101E7: how WPS, pandas or a Java export write the number 20260101 (no sign in the exponent).
@pytest.mark.parametrize("text, column", [("4.30102E+17", 0), ("1.38001E+10", 10), ("4.30102e+17", 0), ("2.0260101E7", 0)])
def test_scientific_notation_text_is_refused_naming_the_cell(tmp_path, actor, text, column):
    rows = [student(), student("2026002", "李芳", bed="2")]
    rows[1][column] = text
    report = import_roster(write_text(tmp_path / "r.csv", [HEADER] + rows, "gb18030"), actor)
    assert keys(report) == [(3, "cell_scientific")]
    assert f"{column_letter(column)}3" in report.errors[0].message and text in report.errors[0].message


def test_an_excel_error_value_in_a_csv_is_refused_naming_the_cell(tmp_path, actor):
    """Walk-through finding: a CSV saved from a sheet whose formulas failed holds #N/A or #REF! as text; a name
    #N/A was imported as the student's name, and a class #REF! was reported as a class without a grade."""
    rows = [student(), student("2026002", "#N/A", bed="2"), student("2026003", "王丽", class_name="#REF!")]
    report = import_roster(write_text(tmp_path / "r.csv", [HEADER] + rows, "utf-8-sig"), actor)
    assert keys(report) == [(3, "cell_error"), (4, "cell_error")]
    assert "B3" in report.errors[0].message and "#N/A" in report.errors[0].message
    assert "E4" in report.errors[1].message and "Correct the cell" in report.errors[1].message
    assert Student.select().count() == 0


@pytest.mark.parametrize("kind", ["xlsx", "xls", "ods"])
def test_a_room_excel_turned_into_a_date_is_refused_naming_the_cell(tmp_path, actor, kind):
    rows = [student(), student("2026002", "李芳", room=datetime(2026, 3, 12), bed="2")]
    if kind == "xlsx":
        path = write_xlsx(tmp_path / "r.xlsx", {"名册": [HEADER] + rows})
    elif kind == "xls":
        path = write_xls(tmp_path / "r.xls", rows)
    else:
        rows[1][7] = date(2026, 3, 12)
        path = write_ods(tmp_path / "r.ods", {"名册": [HEADER] + rows})
    report = import_roster(path, actor)
    assert keys(report) == [(3, "cell_date")]
    message = report.errors[0].message
    assert "H3" in message and "房间" in message and "2026-03-12" in message and "Format the column as Text" in message
    assert Student.select().count() == 0


@pytest.mark.parametrize("text", ["2026/3/12", "3月12日", "2026年3月12日", "12-Mar", "2026-03-12 00:00:00", "3/12/2026"])
def test_date_text_in_a_room_or_class_column_of_a_csv_is_refused(tmp_path, actor, text):
    rows = [student(), student("2026002", "李芳", room=text, bed="2"), student("2026003", "王丽", class_name=text)]
    report = import_roster(write_text(tmp_path / "r.csv", [HEADER] + rows, "utf-8-sig"), actor)
    assert ("cell_date" in {key for _, key in keys(report)}) and {row for row, _ in keys(report)} == {3, 4}
    assert "H3" in report.errors_by_row()[3][0].message


@pytest.mark.parametrize("room", ["3-12", "1E5", "2024-03-12", "A-301"])
def test_codes_that_only_look_like_dates_or_numbers_are_kept(tmp_path, actor, room):
    report = import_roster(write_text(tmp_path / "r.csv", [HEADER, student(room=room)], "utf-8"), actor)
    assert report.errors == ()
    assert Student.get().room.number == room


def test_a_date_in_a_staff_phone_or_an_inexact_staff_number_is_refused(tmp_path, actor):
    rows = [["G001", "周强", "门卫", "", datetime(2026, 3, 12), "", "1234"],
            [1234567890123456789, "吴敏", "门卫", "", "", "", "1234"]]
    report = import_staff(write_xls(tmp_path / "s.xls", rows, header=STAFF_HEADER), actor)
    assert keys(report) == [(2, "cell_date"), (3, "cell_inexact")]
    assert "E2" in report.errors[0].message and "工号" in report.errors[1].message
    assert Staff.select().count() == 0


def test_cell_text_keeps_what_excel_shows_for_an_inexact_number():
    value = cell_text(430102200801011234.0)
    assert value.problem == "inexact" and value == "430102200801011000"
    assert cell_text(13800138000.0) == "13800138000" and not hasattr(cell_text(13800138000.0), "problem")
    assert cell_text(datetime(2026, 3, 12)).problem == "date"


# ---------------------------------------------------------------- sheets

def test_the_header_is_found_on_the_second_sheet(tmp_path, actor):
    sheets = {"填写说明": [["请在“名册”页填写学生信息"], ["学号请设为文本格式"]], "名册": [HEADER] + ROSTER}
    report = import_roster(write_xlsx(tmp_path / "r.xlsx", sheets), actor)
    assert report.errors == () and imported() == EXPECTED


def test_a_template_sheet_with_only_a_header_gives_way_to_the_sheet_with_rows(tmp_path, actor):
    sheets = {"模板": [HEADER], "高一": [HEADER] + ROSTER}
    report = import_roster(write_ods(tmp_path / "r.ods", sheets), actor)
    assert report.created == 3


def test_sheet_option_chooses_the_sheet_and_names_the_sheets_when_wrong(tmp_path, actor, settings, capsys):
    sheets = {"高一": [HEADER, ROSTER[0]], "高二": [HEADER, student("2025001", "赵敏", class_name="高二(1)班", room="201")]}
    path = write_xlsx(tmp_path / "r.xlsx", sheets)
    assert import_roster(path, actor, sheet="高二").created == 1
    assert Student.get().number == "2025001"
    with pytest.raises(ImportFileError) as caught:
        import_roster(path, actor, sheet="高三")
    assert caught.value.key == "people.file_no_sheet" and "高一、高二" in str(caught.value)
    db_args = ["--db", str(settings.database_path())]
    assert main(["import", "roster", str(path), "--sheet", "高一", "--partial", *db_args]) == 0
    assert Student.select().count() == 2
    assert main(["import", "roster", str(path), "--sheet", "Sheet9", *db_args]) == 2
    assert "Sheet9" in capsys.readouterr().err


def test_missing_columns_error_names_the_sheets_it_looked_at(tmp_path, actor):
    sheets = {"说明": [["请填写第二页"]], "名单": [["学号", "姓名", "性别"], ["2026001", "张三", "男"]]}
    with pytest.raises(ImportFileError) as caught:
        import_roster(write_xls_book(tmp_path / "r.xls", sheets), actor)
    assert caught.value.key == "people.file_missing_columns_sheets"
    assert "说明、名单" in str(caught.value) and "班级" in str(caught.value) and "--sheet" in str(caught.value)


def write_xls_book(path: Path, sheets: dict[str, list[list]]) -> Path:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    for name, rows in sheets.items():
        page = book.add_sheet(name)
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                page.write(r, c, value)
    book.save(str(path))
    return path


# ---------------------------------------------------------------- other files schools make

def test_title_merged_across_the_top_hidden_column_and_trailing_blank_rows(tmp_path, actor):
    title = ["2026 级学生名册"] + [None] * (len(HEADER) - 1)
    rows = [title, [None] * len(HEADER), HEADER + ["备注"], *[r + [""] for r in ROSTER], [None] * 12, [None] * 12]
    path = write_xlsx(tmp_path / "r.xlsx", {"Sheet1": rows}, merges={"Sheet1": ["A1:K1"]},
                      hidden_columns={"Sheet1": ["L"]})
    report = import_roster(path, actor)
    assert report.errors == () and report.rows == 3 and imported() == EXPECTED


def test_full_width_digits_and_padded_numbers_stored_as_text(tmp_path, actor):
    rows = [student(number=" ２０２６００１ ", room="１０１", phone="138 0013 8000")]
    report = import_roster(write_ods(tmp_path / "r.ods", {"名册": [HEADER] + rows}), actor)
    assert report.errors == ()
    row = Student.get()
    assert (row.number, row.room.number, row.guardian_phone) == ("2026001", "101", "13800138000")


def test_staff_import_reads_xls_and_ods_too(tmp_path, actor):
    rows = [["G001", "周强", "门卫", "", 13800138000, "", "1234"]]
    assert import_staff(write_xls(tmp_path / "s.xls", rows, header=STAFF_HEADER), actor).created == 1
    rows = [["G002", "吴敏", "宿管", "", "13900139000", "", "5678"]]
    assert import_staff(write_ods(tmp_path / "s.ods", {"教职工": [STAFF_HEADER] + rows}), actor).created == 1
    assert {s.number: s.phone for s in Staff.select()} == {"G001": "13800138000", "G002": "13900139000"}


def test_a_csv_saved_from_a_merged_sheet_says_the_cells_look_merged(tmp_path, actor):
    # Saved as CSV, a merged 班级 or 宿舍楼/房间 keeps its value in the first row only: nothing can restore it,
    # so the refusal says what the blank looks like and what to do.
    rows = [student(), student("2026002", "李芳", class_name="", building="", room="", bed="2")]
    report = import_roster(write_text(tmp_path / "r.csv", [HEADER] + rows, "gb18030"), actor)
    assert keys(report) == [(3, "missing_below"), (3, "boarder_without_room_below")]
    assert "合并单元格" in report.errors[0].message and "merges these cells" in report.errors[0].message
    alone = [student(class_name="")]  # no row above with a value: the plain message
    report = import_roster(write_text(tmp_path / "one.csv", [HEADER] + alone, "gb18030"), actor)
    assert keys(report) == [(2, "missing")]


TWO_ROW_HEADER = [
    ["学号", "姓名", "性别", "年级", "班级", "住宿/走读", "宿舍", None, "床位", "监护人", None],
    [None, None, None, None, None, None, "宿舍楼", "房间", None, "姓名", "联系电话"],
]


@pytest.mark.parametrize("kind", ["xlsx", "xls"])
def test_a_two_row_header_with_grouped_columns_is_read(tmp_path, actor, kind):
    # The school template: 宿舍 over 宿舍楼 | 房间 and 监护人 over 姓名 | 联系电话; the other titles merged down.
    rows = TWO_ROW_HEADER + [list(r) for r in ROSTER]
    if kind == "xlsx":
        merges = ["A1:A2", "B1:B2", "C1:C2", "D1:D2", "E1:E2", "F1:F2", "G1:H1", "I1:I2", "J1:K1"]
        path = write_xlsx(tmp_path / "r.xlsx", {"名册": rows}, merges={"名册": merges})
    else:
        merges = [(0, 1, c, c) for c in (0, 1, 2, 3, 4, 5, 8)] + [(0, 0, 6, 7), (0, 0, 9, 10)]
        path = write_xls(tmp_path / "r.xls", rows, header=None, merges=merges)
    report = import_roster(path, actor)
    assert report.errors == () and report.rows == 3 and imported() == EXPECTED
    first = Student.get(Student.number == "2026001")
    assert (first.guardian_name, first.guardian_phone) == ("张伟", "13800138000")


def test_a_data_row_is_never_taken_for_a_second_header_row(tmp_path, actor):
    # Two neighbouring columns share a title and the first data row has values only there: still a data row,
    # refused for what it lacks, not skipped.
    header = HEADER[:9] + ["监护人", "监护人"]
    rows = [header, ["", "", "", "", "", "", "", "", "", "张伟", "13800138000"], ROSTER[0]]
    report = import_roster(write_xlsx(tmp_path / "r.xlsx", {"名册": rows}), actor, dry_run=True)
    assert report.rows == 2 and 2 in report.bad_rows


def test_header_repeated_between_classes_is_not_a_student(tmp_path, actor):
    rows = [HEADER, ROSTER[0], ROSTER[1], HEADER, ROSTER[2]]  # pasted together class by class
    report = import_roster(write_text(tmp_path / "r.csv", rows, "utf-8-sig"), actor)
    assert report.errors == () and report.rows == 3 and imported() == EXPECTED


def test_a_hidden_sheet_is_looked_at_after_the_visible_ones(tmp_path, actor):
    from openpyxl import load_workbook

    path = write_xlsx(tmp_path / "r.xlsx", {"旧名册": [HEADER, student("2020001", "旧生")], "名册": [HEADER] + ROSTER})
    workbook = load_workbook(path)
    workbook["旧名册"].sheet_state = "hidden"
    workbook.save(path)
    report = import_roster(path, actor)
    assert report.errors == () and imported() == EXPECTED


def test_a_stray_cell_at_the_sheets_far_corner_is_refused_without_taking_the_station_down(tmp_path, actor):
    # python-calamine reads a sheet as one dense grid; a cell typed into XFD1048576 by mistake asks for 17
    # billion cells and Rust aborts the process. The reading runs in a child process, so only that child dies.
    rows = [HEADER] + ROSTER
    path = write_xlsx(tmp_path / "r.xlsx", {"名册": rows})
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    workbook["名册"]["XFD1048576"] = "x"
    workbook.save(path)
    with pytest.raises(ImportFileError) as caught:
        import_roster(path, actor)
    assert caught.value.key == "people.file_spreadsheet_crashed"
    assert "删除表格以外多余的行和列" in str(caught.value) and "delete the extra rows and columns" in str(caught.value)
    assert Student.select().count() == 0


def test_a_title_merged_across_the_whole_row_stops_at_the_tables_edge(tmp_path, actor):
    rows = [["2026 级学生名册"], HEADER] + ROSTER
    path = write_xlsx(tmp_path / "r.xlsx", {"名册": rows}, merges={"名册": ["A1:XFD1", "E3:E5"]})
    (sheet,) = read_book(path)
    assert sheet.rows[0] == (1, ("2026 级学生名册",) * len(HEADER))
    assert import_roster(path, actor).created == 3


def test_with_both_xuejihao_and_xuehao_the_school_number_is_the_students_number(tmp_path, actor):
    header = ["学籍号"] + HEADER  # the national registry number first, then the school's 学号
    rows = [[f"G43010220080101{index:04d}"] + row for index, row in enumerate(ROSTER)]
    report = import_roster(write_text(tmp_path / "r.csv", [header] + rows, "gb18030"), actor)
    assert report.errors == () and imported() == EXPECTED


def test_a_password_protected_workbook_says_to_remove_the_password(tmp_path, actor):
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = write_xlsx(tmp_path / "plain.xlsx", {"名册": [HEADER] + ROSTER})
    path = tmp_path / "名册（加密）.xlsx"
    with plain.open("rb") as source, path.open("wb") as target:
        OOXMLFile(source).encrypt("1234", target)
    with pytest.raises(ImportFileError) as caught:
        import_roster(path, actor)
    assert caught.value.key == "people.file_password"
    assert "取消密码" in str(caught.value) and "remove the password" in str(caught.value)


def test_a_date_column_the_importer_does_not_read_is_no_problem(tmp_path, actor):
    header = HEADER + ["出生日期", "入学时间"]
    rows = [row + [date(2010, 5, 1), datetime(2025, 9, 1, 8, 0)] for row in ROSTER]
    report = import_roster(write_xlsx(tmp_path / "r.xlsx", {"名册": [header] + rows}), actor)
    assert report.errors == () and imported() == EXPECTED


def test_an_ods_whose_mimetype_is_not_the_first_entry_still_reads_with_its_merges(tmp_path, actor):
    import zipfile

    source = write_ods(tmp_path / "r.ods", {"名册": [HEADER] + merged_down(ROSTER, (4,))}, {("名册", 1, 4): 3})
    path = tmp_path / "repacked.ods"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as repacked:
        for name in sorted(original.namelist(), reverse=True):  # mimetype last, compressed
            repacked.writestr(name, original.read(name))
    report = import_roster(path, actor)
    assert report.errors == () and imported() == EXPECTED


def test_numbers_an_xlsx_shows_with_leading_zeros_keep_them(tmp_path, actor):
    # 学号 typed as 123 in a column formatted 000000: everyone sees (and the card carries) 000123.
    from openpyxl import load_workbook

    rows = [[123, "张华丽", "女", "高一", "高一(1)班", "住宿", "女生1号楼", "101", 1, "张伟", "13800138000"],
            ROSTER[1], ROSTER[2]]
    path = write_xlsx(tmp_path / "r.xlsx", {"说明": [["见名册页"]], "名册": [HEADER] + rows})
    workbook = load_workbook(path)
    workbook["名册"]["A2"].number_format = "000000"
    workbook["名册"]["I2"].number_format = "0"  # an ordinary number format changes nothing
    workbook.save(path)
    report = import_roster(path, actor)
    assert report.errors == ()
    assert Student.get(Student.name == "张华丽").number == "000123" and Student.get(Student.name == "张华丽").bed == 1


def test_a_writer_document_or_a_zipped_roster_is_refused_as_not_a_spreadsheet(tmp_path, actor):
    import zipfile

    from odf.opendocument import OpenDocumentText
    from odf.text import P

    document = OpenDocumentText()
    document.text.addElement(P(text="学号 姓名 性别 班级"))
    document.save(str(tmp_path / "名单.odt"))
    roster = write_xlsx(tmp_path / "名单.xlsx", {"名册": [HEADER] + ROSTER})
    with zipfile.ZipFile(tmp_path / "名单.zip", "w") as archive:
        archive.write(roster, "名单.xlsx")
    for name in ("名单.odt", "名单.zip"):
        with pytest.raises(ImportFileError) as caught:
            import_roster(tmp_path / name, actor)
        assert caught.value.key == "people.file_binary", name
        assert ".xlsx、.xlsm、.xls、.ods" in str(caught.value)
