"""`kiosk export students|staff` as CSV and XLSX, read back; formula-looking text is neutralised in both formats."""
from __future__ import annotations

import csv

import pytest

from kiosk.cli import main
from kiosk.models import Staff, Student
from kiosk.services.actor import Actor
from kiosk.services.facts import record
from kiosk.services.names import pinyin_initials
from kiosk.services.roster_import import import_roster, import_staff
from tests.test_roster_import import STAFF_HEADER, day_student, student, write_csv

DANGEROUS = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(A1)"]


@pytest.fixture
def school(db, settings, frozen_now, tmp_path):
    actor = Actor(school_id=settings.school.id, station_id="st-test")
    rows = [student(), student("2026002", "李明", "男", building="男生1号楼", room="201", bed="3"),
            day_student("2026003", "王五")]
    import_roster(write_csv(tmp_path / "r.csv", rows), actor)
    staff = [["G001", "周强", "门卫、宿管", "", "13700137000", "CARD-1", "1234"],
             ["T001", "吴敏", "班主任", "高一(1)班", "", "", "5678"]]
    import_staff(write_csv(tmp_path / "s.csv", staff, header=STAFF_HEADER), actor)
    return settings


def export(settings, kind: str, fmt: str, out) -> int:
    return main(["export", kind, "--format", fmt, "-o", str(out), "--db", str(settings.database_path())])


def read_csv(path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def read_xlsx(path) -> list[list[object]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def test_students_csv(school, tmp_path):
    out = tmp_path / "students.csv"
    assert export(school, "students", "csv", out) == 0
    rows = read_csv(out)
    assert rows[0] == ["学号", "姓名", "性别", "年级", "班级", "住宿/走读", "宿舍楼", "房间", "床位", "监护人", "监护人电话", "在籍"]
    assert rows[1] == ["2026001", "张华丽", "女", "高一", "高一(1)班", "住宿", "女生1号楼", "101", "1", "张伟", "13800138000", "是"]
    assert rows[3][5:9] == ["走读", "", "", ""]
    assert len(rows) == 4


def test_students_xlsx(school, tmp_path):
    out = tmp_path / "students.xlsx"
    assert export(school, "students", "xlsx", out) == 0
    rows = read_xlsx(out)
    assert rows[0][:3] == ["学号", "姓名", "性别"]
    assert rows[2][:9] == ["2026002", "李明", "男", "高一", "高一(1)班", "住宿", "男生1号楼", "201", 3]


def test_staff_exports_never_include_pins(school, tmp_path):
    out_csv, out_xlsx = tmp_path / "staff.csv", tmp_path / "staff.xlsx"
    assert export(school, "staff", "csv", out_csv) == 0
    assert export(school, "staff", "xlsx", out_xlsx) == 0
    rows = read_csv(out_csv)
    assert rows[0] == ["工号", "姓名", "角色", "班级", "电话", "卡号", "在职"]
    assert rows[1] == ["G001", "周强", "门卫、宿管", "", "13700137000", "CARD-1", "是"]
    assert rows[2][:4] == ["T001", "吴敏", "班主任", "高一(1)班"]
    hashes = {member.pin_hash for member in Staff.select()}
    for path in (out_csv, out_xlsx):
        data = path.read_bytes()
        assert b"scrypt" not in data and not any(h.encode() in data for h in hashes)
    assert [row[:3] for row in read_xlsx(out_xlsx)] == [row[:3] for row in rows]


def test_exports_read_back_by_the_importer(school, tmp_path):
    """The export's headers are the importer's: exporting and re-importing changes nothing."""
    actor = Actor(school_id=school.school.id, station_id="st-test")
    for fmt in ("csv", "xlsx"):
        students, staff = tmp_path / f"students.{fmt}", tmp_path / f"staff.{fmt}"
        export(school, "students", fmt, students)
        export(school, "staff", fmt, staff)
        report = import_roster(students, actor)
        assert report.errors == () and (report.unchanged, report.created, report.updated) == (3, 0, 0)
        report = import_staff(staff, actor)
        assert report.errors == () and (report.unchanged, report.updated) == (2, 0)


def _insert_dangerous_students(settings, now) -> None:
    # Written directly (not imported: the importer rejects `=`), as a form typed by a user might store them.
    actor = Actor(school_id=settings.school.id, station_id="st-test")
    with record(actor, "test.students") as w:
        for index, text in enumerate(DANGEROUS):
            w.insert(Student(school_id=settings.school.id, number=f"X{index}", name=text, initials=pinyin_initials(text),
                             gender="M", grade="高一", class_name="高一(9)班", boarder=False, guardian_name=text,
                             guardian_phone="", active=True, updated_at=now))


def test_formula_text_is_escaped_in_csv(school, tmp_path, frozen_now):
    _insert_dangerous_students(school, frozen_now)
    out = tmp_path / "students.csv"
    assert export(school, "students", "csv", out) == 0
    names = {row[0]: (row[1], row[9]) for row in read_csv(out)[1:]}
    for index, text in enumerate(DANGEROUS):
        assert names[f"X{index}"] == ("'" + text, "'" + text)


def test_formula_text_is_escaped_in_xlsx(school, tmp_path, frozen_now):
    from openpyxl import load_workbook

    _insert_dangerous_students(school, frozen_now)
    out = tmp_path / "students.xlsx"
    assert export(school, "students", "xlsx", out) == 0
    sheet = load_workbook(out).active
    seen = {}
    for row in sheet.iter_rows(min_row=2):
        seen[row[0].value] = row[1]
        assert row[1].data_type != "f" and row[9].data_type != "f"
    for index, text in enumerate(DANGEROUS):
        cell = seen[f"X{index}"]
        assert cell.value == "'" + text and cell.data_type == "s"


def test_unknown_export_kind_is_a_clean_error(school, tmp_path, capsys):
    assert export(school, "nonsense", "csv", tmp_path / "x.csv") == 2
    assert "students" in capsys.readouterr().err


def test_the_output_file_name_decides_the_format_and_the_whole_path_is_said(school, tmp_path, capsys, monkeypatch):
    """Walk-through finding: `kiosk export students -o students.xlsx` wrote CSV text into a file named .xlsx, which
    Excel refuses to open; and the path it printed was only as typed (relative), not where the file went."""
    monkeypatch.chdir(tmp_path)
    database = str(school.database_path())
    assert main(["export", "students", "-o", "students.xlsx", "--db", database]) == 0
    assert read_xlsx(tmp_path / "students.xlsx")[0][:2] == ["学号", "姓名"]
    assert str(tmp_path / "students.xlsx") in capsys.readouterr().out
    assert main(["export", "students", "-o", "students.csv", "--db", database]) == 0
    assert read_csv(tmp_path / "students.csv")[0][:2] == ["学号", "姓名"]


def test_a_format_that_contradicts_the_file_name_is_refused_and_nothing_is_written(school, tmp_path, capsys):
    assert export(school, "students", "csv", tmp_path / "students.xlsx") == 2
    assert "--format xlsx" in capsys.readouterr().err
    assert not (tmp_path / "students.xlsx").exists()
