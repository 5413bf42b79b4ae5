"""Roster and staff import: encodings, XLSX, headers, every kind of bad row, skip-bad, dry run, re-import,
formula cells, broken files, and a property test that the importer only ever fails with its own error."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from kiosk.cli import main
from kiosk.models import AuditEntry, Building, Outbox, Room, Staff, Student
from kiosk.services.actor import Actor
from kiosk.services.auth import check_pin
from kiosk.services.facts import verify_audit_chain
from kiosk.services.roster_import import (
    ImportFileError, import_roster, import_staff, normalise_phone, parse_roles, read_book,
)

HEADER = ["学号", "姓名", "性别", "年级", "班级", "住宿/走读", "宿舍楼", "房间", "床位", "监护人", "监护人电话"]
STAFF_HEADER = ["工号", "姓名", "角色", "班级", "电话", "卡号", "初始PIN"]


def student(number="2026001", name="张华丽", gender="女", grade="高一", class_name="高一(1)班", board="住宿",
            building="女生1号楼", room="101", bed="1", guardian="张伟", phone="13800138000") -> list:
    return [number, name, gender, grade, class_name, board, building, room, bed, guardian, phone]


def day_student(number, name, gender="男", class_name="高一(1)班", phone="13900139000") -> list:
    return [number, name, gender, "高一", class_name, "走读", "", "", "", "家长", phone]


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8", header=HEADER) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list], header=HEADER) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    if header:
        sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


@pytest.fixture
def actor(db, settings, frozen_now) -> Actor:
    return Actor(school_id=settings.school.id, station_id="st-test", staff_name="system")


def keys(report) -> list[tuple[int, str]]:
    return [(error.row, error.key) for error in report.errors]


def snapshot() -> tuple[int, int, int, int]:
    return Student.select().count(), Building.select().count(), AuditEntry.select().count(), Outbox.select().count()


ROSTER = [
    student(),
    student("2026002", "李明", "男", building="男生1号楼", room="201", bed="3", guardian="李强", phone="13900139000"),
    day_student("2026003", "王五"),
]


# ---------------------------------------------------------------- reading

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings_import_the_same_roster(tmp_path, actor, encoding):
    # 䶮 exists in GB18030 but not in GBK: a GBK decoder would garble it.
    rows = ROSTER + [student("2026004", "刘䶮", bed="2")]
    report = import_roster(write_csv(tmp_path / "roster.csv", rows, encoding), actor)
    assert report.imported and report.errors == ()
    assert (report.created, report.updated, report.deactivated) == (4, 0, 0)
    assert Student.get(Student.number == "2026004").name == "刘䶮"
    first = Student.get(Student.number == "2026001")
    assert (first.name, first.gender, first.grade, first.class_name, first.boarder, first.bed) == (
        "张华丽", "F", "高一", "高一(1)班", True, 1)
    assert (first.room.building.name, first.room.number, first.initials) == ("女生1号楼", "101", "zhl")
    assert (first.guardian_name, first.guardian_phone) == ("张伟", "13800138000")
    day = Student.get(Student.number == "2026003")
    assert (day.boarder, day.room_id, day.bed) == (False, None, None)


def test_xlsx_with_typed_cells(tmp_path, actor):
    # Excel stores numbers as numbers: ids, phones and beds arrive as int/float cells.
    rows = [[2026001, "张华丽", "女", "高一", "高一(1)班", "住宿", "女生1号楼", 101, 2.0, "张伟", 13800138000],
            [2026002, "李明", "男", "高一", "高一(1)班", "否", None, None, None, "李强", 13900139000]]
    report = import_roster(write_xlsx(tmp_path / "roster.xlsx", rows), actor)
    assert report.errors == () and report.created == 2
    first = Student.get(Student.number == "2026001")
    assert (first.room.number, first.bed, first.guardian_phone) == ("101", 2, "13800138000")
    assert Student.get(Student.number == "2026002").boarder is False


def test_new_buildings_take_their_students_gender_and_rooms_are_created(tmp_path, actor):
    rows = [student(), student("2026002", "李明", "男", building="男生1号楼", room="201", bed="7")]
    import_roster(write_csv(tmp_path / "r.csv", rows), actor)
    assert {b.name: b.gender for b in Building.select()} == {"女生1号楼": "F", "男生1号楼": "M"}
    room = Room.get(Room.number == "201")
    assert room.beds == 7  # a bed beyond the default six makes the new room big enough


def test_english_headers_fullwidth_spaces_and_hints(tmp_path, actor):
    header = ["Number", "　Name　", "Gender", "Grade", "Class", "Boarder", "Building", "Room", "Bed",
              "Guardian", "Guardian Phone", "备注"]
    rows = [["２０２６００１", "李　明", " M ", "高一", "高一（２）班", "yes", "男生1号楼", "３０５", "４", "李　强",
             "+86 139-0013-9000", "any note"]]
    report = import_roster(write_csv(tmp_path / "r.csv", rows, header=header), actor)
    assert report.errors == ()
    row = Student.get()
    assert (row.number, row.name, row.gender, row.class_name, row.room.number, row.bed) == (
        "2026001", "李明", "M", "高一(2)班", "305", 4)
    assert (row.guardian_name, row.guardian_phone, row.initials) == ("李强", "13900139000", "lm")


def test_header_hints_and_grade_from_class(tmp_path, actor):
    header = ["*学籍号", "姓名", "性别（男/女）", "班级", "住宿生", "宿舍号", "宿舍楼", "床号", "家长电话"]
    rows = [["G2026001", "陈静", "女", "高二(3)班", "是", "402", "女生2号楼", "5号床", "15800158000"]]
    report = import_roster(write_csv(tmp_path / "r.csv", rows, header=header), actor)
    assert report.errors == ()
    row = Student.get()
    assert (row.number, row.grade, row.bed, row.room.number) == ("G2026001", "高二", 5, "402")


def test_title_rows_above_the_header_are_skipped(tmp_path, actor):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["示范寄宿学校 2026 级学生名册"])
    sheet.append(["制表：教务处", None, None, "2026-09-01"])
    sheet.append(HEADER)
    sheet.append(student())
    sheet.append(student("2026002", "", bed="2"))
    workbook.save(tmp_path / "titled.xlsx")
    report = import_roster(tmp_path / "titled.xlsx", actor, skip_bad=True)
    assert report.created == 1 and keys(report) == [(5, "missing")]


def test_utf16_unicode_text_from_excel(tmp_path, actor):
    text = "\t".join(HEADER) + "\r\n" + "\t".join(student()) + "\r\n"
    path = tmp_path / "roster.txt"
    path.write_bytes(text.encode("utf-16"))
    assert import_roster(path, actor).created == 1


def test_blank_rows_keep_spreadsheet_row_numbers(tmp_path, actor):
    path = tmp_path / "r.csv"
    body = "\n".join([",".join(HEADER), ",".join(student()), "", ",,,,,,,,,,", ",".join(student("2026002", "", bed="2"))])
    path.write_text(body + "\n", encoding="utf-8")
    report = import_roster(path, actor)
    assert keys(report) == [(5, "missing")]


# ---------------------------------------------------------------- bad rows

BAD_ROWS = {
    "dup_number": [student(), student("2026001", "李明", "女", bed="2")],
    "missing": [student(name="")],
    "bad_gender": [student(gender="未知")],
    "bad_phone": [student(phone="12345")],
    "bed_twice": [student(), student("2026002", "刘芳", bed="1")],
    "boarder_without_room": [student(building="", room="", bed="")],
    "day_with_room": [student(board="走读")],
    "bad_bed": [student(bed="七")],
    "building_girls": [student(), student("2026002", "李明", "男", bed="2")],
    "bad_number": [student(number="2026 001")],
    "formula": [student(name='=HYPERLINK("http://x","y")')],
    "bad_boarder": [student(board="maybe")],
    "too_long": [student(name="长" * 41)],
    "no_grade": [student(grade="", class_name="火箭班")],
}


@pytest.mark.parametrize("reason", sorted(BAD_ROWS))
def test_every_kind_of_bad_row_is_reported_and_nothing_imported(tmp_path, actor, reason):
    rows = [day_student("2026100", "好学生")] + BAD_ROWS[reason]
    before = snapshot()
    report = import_roster(write_csv(tmp_path / "r.csv", rows), actor)
    assert reason in {error.key for error in report.errors}
    bad_row = max(error.row for error in report.errors)
    assert bad_row == len(rows) + 1  # header is row 1, so the last data row is len+1
    assert not report.imported and report.created == 0
    assert snapshot() == before
    message = next(error.message for error in report.errors if error.key == reason)
    assert " / " in message and message.strip()  # Chinese / English


def test_bed_taken_by_a_student_not_in_a_partial_file(tmp_path, actor):
    import_roster(write_csv(tmp_path / "a.csv", [student()]), actor)
    newcomer = [student("2026009", "周敏")]
    report = import_roster(write_csv(tmp_path / "b.csv", newcomer), actor, full=False)
    assert keys(report) == [(2, "bed_taken")]
    assert "2026001" in report.errors[0].message
    # A full roster without 2026001 frees the bed: she leaves, the newcomer takes it.
    report = import_roster(write_csv(tmp_path / "b.csv", newcomer), actor, full=True)
    assert report.errors == () and (report.created, report.deactivated) == (1, 1)
    gone = Student.get(Student.number == "2026001")
    assert (gone.active, gone.room_id, gone.bed) == (False, None, None)


def test_bed_beyond_an_existing_rooms_size(tmp_path, actor):
    import_roster(write_csv(tmp_path / "a.csv", [student()]), actor)
    report = import_roster(write_csv(tmp_path / "b.csv", [student(), student("2026002", "刘芳", bed="9")]), actor)
    assert keys(report) == [(3, "bad_bed")]


def test_student_moving_into_a_bed_freed_in_the_same_file(tmp_path, actor):
    import_roster(write_csv(tmp_path / "a.csv", [student(), student("2026002", "刘芳", bed="2")]), actor)
    swapped = [student(bed="2"), student("2026002", "刘芳", bed="1")]
    report = import_roster(write_csv(tmp_path / "b.csv", swapped), actor)
    assert report.errors == () and report.updated == 2
    assert Student.get(Student.number == "2026002").bed == 1


def test_skip_bad_imports_good_rows_and_reports_bad_ones(tmp_path, actor):
    rows = [student(), student("2026002", "", bed="2"), day_student("2026003", "王五", gender="?")]
    report = import_roster(write_csv(tmp_path / "r.csv", rows), actor, skip_bad=True)
    assert report.imported and report.created == 1 and report.skipped == 2
    assert keys(report) == [(3, "missing"), (4, "bad_gender")]
    assert [s.number for s in Student.select()] == ["2026001"]


def test_skip_bad_does_not_deactivate_a_student_whose_row_is_bad(tmp_path, actor):
    import_roster(write_csv(tmp_path / "a.csv", ROSTER), actor)
    rows = [student(), student("2026002", "李明", "男", building="男生1号楼", room="201", bed="3", phone="1")]
    report = import_roster(write_csv(tmp_path / "b.csv", rows), actor, skip_bad=True)
    assert report.deactivated == 1  # only 2026003, who is missing; 2026002 is listed (badly)
    assert Student.get(Student.number == "2026002").active
    assert not Student.get(Student.number == "2026003").active


def test_dry_run_changes_nothing_but_reports_what_it_would_do(tmp_path, actor):
    import_roster(write_csv(tmp_path / "a.csv", ROSTER), actor)
    before = snapshot()
    changed = [student(guardian="张军"), student("2026010", "赵六", bed="2")]
    report = import_roster(write_csv(tmp_path / "b.csv", changed), actor, dry_run=True)
    assert (report.created, report.updated, report.deactivated, report.imported) == (1, 1, 2, False)
    assert snapshot() == before
    assert Student.get(Student.number == "2026001").guardian_name == "张伟"


def test_reimport_updates_by_number_deactivates_missing_and_reactivates(tmp_path, actor, frozen_now):
    from kiosk import clock
    from datetime import timedelta

    import_roster(write_csv(tmp_path / "a.csv", ROSTER), actor)
    original = Student.get(Student.number == "2026002")
    clock.advance(timedelta(days=30))
    moved = [student(),
             student("2026002", "李明", "男", "高二", "高二(1)班", building="男生2号楼", room="305", bed="6",
                     guardian="李强", phone="13900139000")]
    report = import_roster(write_csv(tmp_path / "b.csv", moved), actor)
    assert (report.created, report.updated, report.unchanged, report.deactivated) == (0, 1, 1, 1)
    row = Student.get(Student.number == "2026002")
    assert row.id == original.id  # same student, history keeps pointing at them
    assert (row.class_name, row.grade, row.room.building.name, row.room.number, row.bed) == (
        "高二(1)班", "高二", "男生2号楼", "305", 6)
    assert row.updated_at > original.updated_at
    gone = Student.get(Student.number == "2026003")
    assert gone.active is False  # never deleted
    assert Student.select().count() == 3
    report = import_roster(write_csv(tmp_path / "c.csv", ROSTER), actor)
    assert Student.get(Student.number == "2026003").active
    assert report.updated == 2 and report.deactivated == 0
    # Each import is one audited fact; every changed row went to the outbox.
    actions = [entry.action for entry in AuditEntry.select().order_by(AuditEntry.seq)]
    assert actions == ["people.import_roster"] * 3
    assert verify_audit_chain() is None
    assert Outbox.select().where((Outbox.table == "student") & (Outbox.row_id == row.id)).count() == 3


def test_partial_import_leaves_missing_students_alone(tmp_path, actor):
    import_roster(write_csv(tmp_path / "a.csv", ROSTER), actor)
    report = import_roster(write_csv(tmp_path / "b.csv", [student()]), actor, full=False)
    assert report.deactivated == 0
    assert Student.select().where(Student.active).count() == 3


def test_inactive_rows_import_as_inactive_without_a_bed(tmp_path, actor):
    header = HEADER + ["在籍"]
    rows = [student() + ["否"], student("2026002", "刘芳", bed="1") + ["是"]]
    report = import_roster(write_csv(tmp_path / "r.csv", rows, header=header), actor)
    assert report.errors == ()  # the leaver does not hold the bed
    leaver = Student.get(Student.number == "2026001")
    assert (leaver.active, leaver.room_id) == (False, None)


# ---------------------------------------------------------------- formula cells

def test_xlsx_formula_cells_are_never_stored_as_formulas(tmp_path, actor):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(student())
    sheet.append(student("2026002", "刘芳", bed="2"))
    sheet.append(student("2026003", "周敏", bed="3"))
    sheet["B3"] = '=HYPERLINK("http://evil","点我")'  # a real formula cell: no cached value
    sheet["J4"].value = "=1+2"
    sheet["J4"].data_type = "s"  # text that looks like a formula
    workbook.save(tmp_path / "f.xlsx")
    report = import_roster(tmp_path / "f.xlsx", actor, skip_bad=True)
    assert keys(report) == [(3, "missing"), (4, "formula")]
    assert report.created == 1
    assert not Student.select().where(Student.name.startswith("=") | Student.guardian_name.startswith("=")).exists()


def test_csv_formula_text_is_rejected(tmp_path, actor):
    report = import_roster(write_csv(tmp_path / "r.csv", [student(guardian="=cmd|' /C calc'!A0")]), actor)
    assert keys(report) == [(2, "formula")]


# ---------------------------------------------------------------- broken files

def _truncated_xlsx(tmp_path: Path) -> Path:
    good = write_xlsx(tmp_path / "good.xlsx", [student()])
    data = good.read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return path


BROKEN = {  # case: (the error's key, the file)
    "truncated_xlsx": ("file_spreadsheet_broken", _truncated_xlsx),
    "ole_header_only": ("file_spreadsheet_broken",
                        lambda tmp: _write(tmp / "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)),
    "binary": ("file_binary", lambda tmp: _write(tmp / "bin.csv", bytes(range(256)) * 4)),
    "latin": ("file_encoding", lambda tmp: _write(tmp / "latin.csv", "学号,姓名\n".encode() + b"\xff\xfe\x80\x80,\xff\n")),
    "empty": ("file_empty", lambda tmp: _write(tmp / "empty.csv", b"")),
    "header_only": ("file_no_rows", lambda tmp: write_csv(tmp / "header.csv", [])),
    "missing_columns": ("file_missing_columns",
                        lambda tmp: write_csv(tmp / "cols.csv", [["1", "x"]], header=["学号", "备注"])),
    "missing_file": ("file_cannot_open", lambda tmp: tmp / "missing.csv"),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_files_give_one_clean_error(tmp_path, actor, case):
    key, make = BROKEN[case]
    path = make(tmp_path)
    before = snapshot()
    with pytest.raises(ImportFileError) as caught:
        import_roster(path, actor)
    assert caught.value.key == f"people.{key}"
    assert "\n" not in str(caught.value) and " / " in str(caught.value)
    assert snapshot() == before


def test_garbage_with_xlsx_suffix(tmp_path, actor):
    with pytest.raises(ImportFileError) as caught:
        import_roster(_write(tmp_path / "x.xlsx", b"PK\x03\x04" + b"garbage" * 50), actor)
    assert caught.value.key == "people.file_spreadsheet_broken"


def test_missing_columns_names_them(tmp_path, actor):
    with pytest.raises(ImportFileError) as caught:
        import_roster(write_csv(tmp_path / "c.csv", [["1", "x"]], header=["学号", "备注"]), actor)
    assert "姓名" in str(caught.value) and "gender" in str(caught.value)


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400))
def test_random_bytes_only_raise_import_errors(tmp_path, actor, data):
    path = tmp_path / "random.csv"
    path.write_bytes(data)
    try:
        import_roster(path, actor, dry_run=True)
    except ImportFileError:
        pass


CELL = st.one_of(st.text(max_size=12), st.sampled_from(["男", "女", "住宿", "走读", "1", "=A1", "高一(1)班", "13800138000"]))


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.lists(st.sampled_from(HEADER + ["x", "", "在籍"]), max_size=12),
       rows=st.lists(st.lists(CELL, max_size=12), max_size=6),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_random_csv_text_only_raises_import_errors(tmp_path, actor, header, rows, encoding):
    path = tmp_path / "random.csv"
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header] + rows)
    try:
        path.write_bytes(buffer.getvalue().encode(encoding))
    except UnicodeEncodeError:
        return  # lone surrogates cannot be in a real file
    try:
        report = import_roster(path, actor, dry_run=True, skip_bad=True)
    except ImportFileError:
        return
    assert report.rows >= len(report.bad_rows)


def test_read_book_handles_bytes_from_a_truncated_multibyte_char(tmp_path):
    path = _write(tmp_path / "cut.csv", ",".join(HEADER).encode("gb18030")[:-1])
    try:
        read_book(path)
    except ImportFileError:
        pass


# ---------------------------------------------------------------- value rules

@pytest.mark.parametrize("text, expected", [
    ("13800138000", "13800138000"), ("+86 138 0013 8000", "13800138000"), ("0086-13800138000", "13800138000"),
    ("138-0013-8000", "13800138000"), ("12800138000", None), ("1380013800", None), ("010-12345678", None), ("", None),
])
def test_mobile_numbers(text, expected):
    assert normalise_phone(text) == expected


def test_role_names_in_chinese_and_english():
    assert parse_roles("门卫、宿管,食堂;班主任 政教处/校长，值班领导；管理员") == (
        ["gatekeeper", "dorm_supervisor", "canteen", "head_teacher", "discipline", "principal", "duty_leader", "admin"], [])
    assert parse_roles("food_safety canteen 厨师") == (["food_safety", "canteen"], ["厨师"])


# ---------------------------------------------------------------- staff

def test_staff_import_with_roles_pins_and_cards(tmp_path, actor):
    import_roster(write_csv(tmp_path / "r.csv", ROSTER), actor)
    rows = [["G001", "周　强", "门卫", "", "13700137000", "CARD-1", "1234"],
            ["T001", "吴敏", "班主任、政教处", "高一(1)班", "", "", "567890"],
            ["A001", "郑一", "admin", "", "", "", "0001"]]
    report = import_staff(write_csv(tmp_path / "s.csv", rows, header=STAFF_HEADER), actor)
    assert report.errors == () and report.created == 3
    gate = Staff.get(Staff.number == "G001")
    assert (gate.name, gate.roles, gate.card_code, gate.phone, gate.initials) == ("周强", "gatekeeper", "CARD-1", "13700137000", "zq")
    assert check_pin("1234", gate.pin_hash) and gate.pin_hash.startswith("scrypt$")  # salted hash, never the PIN
    teacher = Staff.get(Staff.number == "T001")
    assert teacher.role_set() == {"head_teacher", "discipline"} and teacher.class_name == "高一(1)班"
    assert check_pin("0001", Staff.get(Staff.number == "A001").pin_hash)


def test_existing_staff_keep_their_pin_when_the_file_has_none(tmp_path, actor):
    import_staff(write_csv(tmp_path / "a.csv", [["G001", "周强", "门卫", "", "", "", "1234"]], header=STAFF_HEADER), actor)
    report = import_staff(write_csv(tmp_path / "b.csv", [["G001", "周强", "门卫 宿管", "", "", "", ""]], header=STAFF_HEADER), actor)
    assert report.updated == 1 and report.errors == ()
    member = Staff.get(Staff.number == "G001")
    assert check_pin("1234", member.pin_hash) and member.role_set() == {"gatekeeper", "dorm_supervisor"}
    import_staff(write_csv(tmp_path / "c.csv", [["G001", "周强", "门卫 宿管", "", "", "", "9999"]], header=STAFF_HEADER), actor)
    assert check_pin("9999", Staff.get(Staff.number == "G001").pin_hash)


STAFF_BAD = {
    "unknown_role": [["G001", "周强", "厨师", "", "", "", "1234"]],
    "missing_roles": [["G001", "周强", "", "", "", "", "1234"]],
    "bad_pin": [["G001", "周强", "门卫", "", "", "", "12a4"]],
    "need_pin": [["G001", "周强", "门卫", "", "", "", ""]],
    "bad_phone": [["G001", "周强", "门卫", "", "555", "", "1234"]],
    "teacher_without_class": [["T001", "吴敏", "班主任", "", "", "", "1234"]],
    "unknown_class": [["T001", "吴敏", "班主任", "高九(9)班", "", "", "1234"]],
    "dup_staff_number": [["G001", "周强", "门卫", "", "", "", "1234"], ["G001", "吴敏", "门卫", "", "", "", "1234"]],
    "dup_card": [["G001", "周强", "门卫", "", "", "C1", "1234"], ["G002", "吴敏", "门卫", "", "", "C1", "1234"]],
    "missing": [["G001", "", "门卫", "", "", "", "1234"]],
}


@pytest.mark.parametrize("reason", sorted(STAFF_BAD))
def test_every_kind_of_bad_staff_row(tmp_path, actor, reason):
    import_roster(write_csv(tmp_path / "r.csv", ROSTER), actor)
    before = Staff.select().count()
    report = import_staff(write_csv(tmp_path / "s.csv", STAFF_BAD[reason], header=STAFF_HEADER), actor)
    assert reason in {error.key for error in report.errors}
    assert not report.imported and Staff.select().count() == before


def test_card_taken_by_another_staff_member(tmp_path, actor):
    import_staff(write_csv(tmp_path / "a.csv", [["G001", "周强", "门卫", "", "", "C1", "1234"]], header=STAFF_HEADER), actor)
    report = import_staff(write_csv(tmp_path / "b.csv", [["G002", "吴敏", "门卫", "", "", "C1", "1234"]], header=STAFF_HEADER), actor)
    assert keys(report) == [(2, "card_taken")]


def test_staff_dry_run_and_skip_bad(tmp_path, actor):
    rows = [["G001", "周强", "门卫", "", "", "", "1234"], ["G002", "吴敏", "厨师", "", "", "", "1234"]]
    path = write_csv(tmp_path / "s.csv", rows, header=STAFF_HEADER)
    report = import_staff(path, actor, dry_run=True, skip_bad=True)
    assert report.created == 1 and Staff.select().count() == 0
    report = import_staff(path, actor, skip_bad=True)
    assert report.imported and [s.number for s in Staff.select()] == ["G001"]


def test_a_staff_list_without_a_say_on_active_leaves_a_disabled_account_disabled(tmp_path, actor):
    """Walk-through finding: the admin disabled a leaver (F6), then imported the staff list again to add a new
    gatekeeper; the leaver's row, with no 在职 column, switched the account back on (report: updated 1)."""
    rows = [["G001", "周强", "门卫", "", "", "", "1234"]]
    path = write_csv(tmp_path / "s.csv", rows, header=STAFF_HEADER)
    import_staff(path, actor)
    Staff.update(active=False).where(Staff.number == "G001").execute()
    report = import_staff(write_csv(tmp_path / "s2.csv", rows + [["G002", "吴敏", "门卫", "", "", "", "1234"]],
                                    header=STAFF_HEADER), actor)
    assert (report.created, report.updated, report.unchanged) == (1, 0, 1)
    assert {s.number: s.active for s in Staff.select()} == {"G001": False, "G002": True}
    said = write_csv(tmp_path / "s3.csv", [rows[0] + ["是"]], header=STAFF_HEADER + ["在职"])
    assert import_staff(said, actor).updated == 1 and Staff.get(Staff.number == "G001").active  # said so: back on


# ---------------------------------------------------------------- CLI

def _cli(settings, *args: str) -> int:
    return main([*args, "--db", str(settings.database_path())])


def test_cli_import_roster_exit_codes_and_report(tmp_path, actor, settings, capsys):
    good = write_csv(tmp_path / "good.csv", ROSTER, "gb18030")
    assert _cli(settings, "import", "roster", str(good), "--dry-run") == 0
    assert Student.select().count() == 0
    assert _cli(settings, "import", "roster", str(good)) == 0
    out = capsys.readouterr().out
    assert "新增 3" in out and "created 3" in out
    bad = write_csv(tmp_path / "bad.csv", [student(), student("2026002", "刘芳", gender="X", bed="2")])
    assert _cli(settings, "import", "roster", str(bad)) == 1
    out = capsys.readouterr().out
    assert "第 3 行" in out and "row 3" in out and "--skip-bad" in out
    assert _cli(settings, "import", "roster", str(bad), "--skip-bad", "--partial") == 0
    assert Student.select().where(Student.active).count() == 3  # --partial kept the others
    garbage = _write(tmp_path / "junk.xlsx", b"not a workbook")
    assert _cli(settings, "import", "roster", str(garbage)) == 2
    assert "XLSX" in capsys.readouterr().err


def test_cli_import_staff(tmp_path, actor, settings, capsys):
    path = write_csv(tmp_path / "s.csv", [["G001", "周强", "门卫", "", "", "", "1234"]], header=STAFF_HEADER)
    assert _cli(settings, "import", "staff", str(path)) == 0
    assert Staff.get().number == "G001"
    entry = AuditEntry.select().order_by(AuditEntry.seq.desc()).get()
    assert entry.action == "people.import_staff" and entry.detail["created"] == 1 and entry.station_id.startswith("st-")
