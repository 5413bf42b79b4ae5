"""Roster and staff import from CSV (UTF-8, UTF-8 with BOM, GB18030) and XLSX.

    report = import_roster(path, actor, dry_run=False, skip_bad=False, full=True)

Reading, checking and writing are separate steps: `read_sheet` turns the file into cleaned text
rows (or raises `ImportFileError` for a file that cannot be read at all), `check_*` turns rows into
planned records and row errors, and only then one `record(...)` transaction writes everything.
Nothing is written if any row is bad, unless `skip_bad`; `dry_run` never writes.

Formula cells: XLSX is opened with `data_only=True`, so a formula gives its cached value (or
nothing); text that still looks like a formula (`=HYPERLINK(...)`) is rejected, never stored.
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from kiosk import clock
from kiosk.i18n import Msg, UserError, t_in
from kiosk.models import ROLES, Building, Room, School, Staff, Student
from kiosk.services.actor import Actor
from kiosk.services.facts import record
from kiosk.services.names import clean_text, pinyin_initials

MAX_ROWS = 50_000
MAX_NAME = 40
MAX_TEXT = 100
MAX_BED = 20
DEFAULT_BEDS = 6

_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")  # not \d, which matches Arabic-Indic and other decimal digits
_PHONE_NOISE = re.compile(r"[\s()\-]")
_GRADE_FROM_CLASS = re.compile(r"^(.+?)\s*[(（]")
_HEADER_NOISE = re.compile(r"[\s_\-*:：]")
_HEADER_HINT = re.compile(r"[(（\[【].*$")
_ROLE_SPLIT = re.compile(r"[、,，;；/\s]+")
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")


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


class RowError(NamedTuple):
    row: int  # as the spreadsheet shows it, header = row 1
    key: str  # catalog key under people.
    message: str  # bilingual text


@dataclass(frozen=True)
class ImportReport:
    kind: str  # roster | staff
    rows: int  # data rows read
    created: int
    updated: int
    deactivated: int
    unchanged: int
    skipped: int  # bad rows, not imported
    errors: tuple[RowError, ...]
    imported: bool  # True when the import was written
    dry_run: bool

    @property
    def bad_rows(self) -> list[int]:
        return sorted({error.row for error in self.errors})

    def errors_by_row(self) -> dict[int, list[RowError]]:
        grouped: dict[int, list[RowError]] = {}
        for error in self.errors:
            grouped.setdefault(error.row, []).append(error)
        return dict(sorted(grouped.items()))


# ---------------------------------------------------------------- reading files

Rows = tuple[tuple[int, tuple[str, ...]], ...]  # (row number as the spreadsheet shows it, cleaned cells)


@dataclass(frozen=True)
class Sheet:
    """A file's non-blank rows, header (and any title rows above it) included."""

    rows: Rows


def cell_text(value: object) -> str:
    """A spreadsheet value as cleaned text: integral floats lose `.0`, full-width spaces fold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean_text(value)


def read_sheet(path: Path | str) -> Sheet:
    """Read a CSV or XLSX file into cleaned text rows; `ImportFileError` if it cannot be read."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ImportFileError("file_cannot_open", path=str(path), error=error.strerror or type(error).__name__) from None
    if not data.strip():
        raise ImportFileError("file_empty", path=str(path))
    suffix = path.suffix.lower()
    if data.startswith(b"\xd0\xcf\x11\xe0") or suffix == ".xls":
        raise ImportFileError("file_xls", path=str(path))
    if data.startswith(b"PK\x03\x04") or suffix in (".xlsx", ".xlsm"):
        raw_rows = _xlsx_rows(path, data)
    else:
        raw_rows = _csv_rows(path, data)
    if not raw_rows:
        raise ImportFileError("file_no_header", path=str(path))
    return Sheet(rows=tuple(raw_rows))


def _xlsx_rows(path: Path, data: bytes) -> list[tuple[int, tuple[str, ...]]]:
    from openpyxl import load_workbook

    rows: list[tuple[int, tuple[str, ...]]] = []
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()  # some writers store a wrong dimension; read what is there
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                if number > MAX_ROWS + 1:
                    raise ImportFileError("file_too_many_rows", path=str(path), max=MAX_ROWS)
                cells = tuple(cell_text(value) for value in values)
                if any(cells):
                    rows.append((number, cells))
        finally:
            workbook.close()
    except ImportFileError:
        raise
    except Exception as error:  # noqa: BLE001 - a damaged zip/XML raises any of a dozen types inside openpyxl
        raise ImportFileError("file_xlsx_broken", path=str(path), error=type(error).__name__) from None
    return rows


def decode_text(data: bytes) -> str | None:
    """UTF-16 (with BOM), UTF-8 (with or without BOM), else GB18030; None if none decodes strictly."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _csv_rows(path: Path, data: bytes) -> list[tuple[int, tuple[str, ...]]]:
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
            cells = tuple(cell_text(value) for value in values)
            if any(cells):
                rows.append((number, cells))
    except csv.Error as error:
        raise ImportFileError("file_csv_broken", path=str(path), error=str(error)) from None
    return rows


def header_key(text: str) -> str:
    """`性别（男/女）` -> `性别`; `Guardian Phone` -> `guardianphone`; `*姓名` -> `姓名`."""
    text = clean_text(text).lower()
    stripped = _HEADER_HINT.sub("", text)
    return _HEADER_NOISE.sub("", stripped or text)


def _aliases(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {header_key(alias): field for field, aliases in table.items() for alias in aliases}


STUDENT_HEADERS = _aliases({
    "number": ("学号", "学籍号", "学生编号", "学生学号", "number", "student number", "student no", "student_id", "no"),
    "name": ("姓名", "学生姓名", "name", "student name"),
    "gender": ("性别", "gender", "sex"),
    "grade": ("年级", "grade"),
    "class_name": ("班级", "班别", "class", "class name", "class_name"),
    "boarder": ("住宿/走读", "走读/住宿", "住宿", "住宿生", "是否住宿", "住宿情况", "就读方式", "住校", "boarder", "boarding",
                "boarder/day"),
    "building": ("宿舍楼", "楼栋", "宿舍楼栋", "楼号", "building", "dorm building"),
    "room": ("房间", "宿舍号", "房间号", "宿舍", "寝室", "寝室号", "room", "room number"),
    "bed": ("床位", "床号", "床位号", "bed"),
    "guardian_name": ("监护人", "监护人姓名", "家长", "家长姓名", "guardian", "guardian name", "guardian_name"),
    "guardian_phone": ("监护人电话", "监护人手机", "家长电话", "家长手机", "联系电话", "guardian phone", "guardian_phone",
                       "phone"),
    "active": ("在籍", "在校", "状态", "active", "status"),
})
STUDENT_REQUIRED = ("number", "name", "gender", "class_name")

STAFF_HEADERS = _aliases({
    "number": ("工号", "教工号", "职工号", "编号", "number", "staff number", "staff no", "staff_id"),
    "name": ("姓名", "name"),
    "roles": ("角色", "岗位", "职务", "roles", "role"),
    "class_name": ("班级", "所带班级", "班主任班级", "class", "class name", "class_name"),
    "phone": ("电话", "手机", "手机号", "联系电话", "phone", "mobile"),
    "card_code": ("卡号", "工卡", "工卡号", "工作证号", "card", "card code", "card_code"),
    "pin": ("初始PIN", "初始密码", "PIN", "密码", "pin", "initial pin"),
    "active": ("在职", "状态", "active", "status"),
})
STAFF_REQUIRED = ("number", "name", "roles")

COLUMN_KEYS = {
    "number": "col_number", "name": "col_name", "gender": "col_gender", "grade": "col_grade", "class_name": "col_class",
    "boarder": "col_boarder", "building": "col_building", "room": "col_room", "bed": "col_bed",
    "guardian_name": "col_guardian", "guardian_phone": "col_guardian_phone", "active": "col_active",
    "roles": "col_roles", "phone": "col_phone", "card_code": "col_card", "pin": "col_pin",
}


HEADER_SEARCH_ROWS = 10  # Excel exports often put a title row (学校 2026 级学生名册) above the header


def map_columns(headers: tuple[str, ...], aliases: dict[str, str]) -> dict[str, int]:
    """field -> column index; the first matching header wins."""
    columns: dict[str, int] = {}
    for index, header in enumerate(headers):
        field = aliases.get(header_key(header))
        if field is not None and field not in columns:
            columns[field] = index
    return columns


def locate_header(sheet: Sheet, aliases: dict[str, str], required: tuple[str, ...], *,
                  staff: bool = False) -> tuple[dict[str, int], Rows]:
    """(columns, data rows): the header is the first of the top rows that names every required column.

    `ImportFileError` naming the missing columns (as seen in the most complete candidate row) otherwise.
    """
    best: dict[str, int] = {}
    for position, (_, cells) in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        columns = map_columns(cells, aliases)
        if all(field in columns for field in required):
            return columns, sheet.rows[position + 1:]
        if sum(f in columns for f in required) > sum(f in best for f in required):
            best = columns
    missing = [field for field in required if field not in best]
    names = [("col_staff_number" if staff and field == "number" else COLUMN_KEYS[field]) for field in missing]
    zh = "、".join(t_in("zh-CN", f"people.{name}") for name in names)
    en = ", ".join(t_in("en", f"people.{name}") for name in names)
    raise ImportFileError("file_missing_columns", columns=f"{zh} ({en})")


# ---------------------------------------------------------------- value rules

GENDERS = {"男": "M", "女": "F", "m": "M", "f": "F", "male": "M", "female": "F", "boy": "M", "girl": "F",
           "男生": "M", "女生": "F"}
YES = {"是", "y", "yes", "true", "1", "√", "在籍", "在校", "在职", "active"}
NO = {"否", "n", "no", "false", "0", "×", "离校", "毕业", "转出", "休学", "离职", "停用", "inactive"}
BOARDER = {"住宿", "住宿生", "住校", "住校生", "寄宿", "寄宿生", "boarder", "boarding"} | YES
DAY = {"走读", "走读生", "day", "day student"} | NO

ROLE_NAMES = {
    "门卫": "gatekeeper", "保安": "gatekeeper", "门卫员": "gatekeeper",
    "宿管": "dorm_supervisor", "生活老师": "dorm_supervisor", "宿舍管理员": "dorm_supervisor", "宿管员": "dorm_supervisor",
    "宿管主任": "dorm_manager", "宿舍主管": "dorm_manager", "宿管经理": "dorm_manager", "宿舍管理主任": "dorm_manager",
    "食堂": "canteen", "食堂工作人员": "canteen", "食堂员工": "canteen",
    "食品安全员": "food_safety", "食安员": "food_safety",
    "班主任": "head_teacher",
    "政教处": "discipline", "政教": "discipline", "德育处": "discipline",
    "值班领导": "duty_leader",
    "校长": "principal", "副校长": "principal",
    "管理员": "admin", "系统管理员": "admin",
}
ROLE_NAMES.update({role: role for role in ROLES})


def parse_gender(text: str) -> str | None:
    return GENDERS.get(text.lower())


def parse_yes_no(text: str, yes: set[str], no: set[str]) -> bool | None:
    folded = text.lower()
    if folded in yes:
        return True
    if folded in no:
        return False
    return None


def normalise_phone(text: str) -> str | None:
    """A mainland mobile number as 11 digits (`+86 138-0013-8000` -> `13800138000`), or None if it is not one."""
    digits = _PHONE_NOISE.sub("", text)
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
            break
    return digits if _MOBILE.match(digits) else None


def parse_roles(text: str) -> tuple[list[str], list[str]]:
    """(role ids in order, unknown names)."""
    roles: list[str] = []
    unknown: list[str] = []
    for part in _ROLE_SPLIT.split(text):
        if not part:
            continue
        role = ROLE_NAMES.get(part) or ROLE_NAMES.get(part.lower())
        if role is None:
            unknown.append(part)
        elif role not in roles:
            roles.append(role)
    return roles, unknown


def clean_name(text: str) -> str:
    """`李　明` (padded with a full-width space to line up with three-character names) -> `李明`."""
    return _CJK_GAP.sub("", text)


def grade_from_class(class_name: str) -> str:
    """`高一(3)班` -> `高一`; '' when the class does not show its grade."""
    match = _GRADE_FROM_CLASS.match(class_name)
    return match.group(1) if match else ""


class _RowCheck:
    """Collects one row's problems while its cells are read."""

    def __init__(self, row: int, cells: tuple[str, ...], columns: dict[str, int]) -> None:
        self.row = row
        self.cells = cells
        self.columns = columns
        self.errors: list[RowError] = []

    def fail(self, key: str, **values: object) -> None:
        self.errors.append(RowError(self.row, key, bilingual(f"err_{key}", **values)))

    def get(self, field: str, *, required: bool = False, limit: int = MAX_TEXT, column: str | None = None) -> str:
        index = self.columns.get(field)
        value = self.cells[index] if index is not None and index < len(self.cells) else ""
        label = Column(column or COLUMN_KEYS[field])
        if value.startswith("="):
            self.fail("formula", column=label, value=value[:40])
            return ""
        if len(value) > limit:
            self.fail("too_long", column=label, max=limit, value=value[:40])
            return ""
        if required and not value:
            self.fail("missing", column=label)
        return value


# ---------------------------------------------------------------- students

@dataclass(frozen=True)
class StudentRow:
    row: int
    number: str
    name: str
    gender: str
    grade: str
    class_name: str
    boarder: bool
    building: str
    room: str
    bed: int | None
    guardian_name: str
    guardian_phone: str
    active: bool


def check_student_row(row: int, cells: tuple[str, ...], columns: dict[str, int]) -> tuple[StudentRow | None, list[RowError]]:
    """One roster row on its own: its values, or its problems (cross-row checks come later)."""
    check = _RowCheck(row, cells, columns)
    number = check.get("number", required=True, limit=MAX_NAME)
    if number and not _NUMBER.match(number):
        check.fail("bad_number", value=number)
    name = clean_name(check.get("name", required=True, limit=MAX_NAME))
    gender_text = check.get("gender", required=True)
    gender = parse_gender(gender_text) if gender_text else None
    if gender_text and gender is None:
        check.fail("bad_gender", value=gender_text)
    class_name = check.get("class_name", required=True, limit=MAX_NAME)
    grade = check.get("grade", limit=MAX_NAME) or grade_from_class(class_name)
    if class_name and not grade:
        check.fail("no_grade")
    active_text = check.get("active")
    active = parse_yes_no(active_text, YES, NO) if active_text else True
    if active is None:
        check.fail("bad_active", value=active_text)
    building = check.get("building", limit=MAX_NAME)
    room = check.get("room", limit=MAX_NAME)
    bed_text = check.get("bed")
    boarder_text = check.get("boarder")
    if boarder_text:
        boarder = parse_yes_no(boarder_text, BOARDER, DAY)
        if boarder is None:
            check.fail("bad_boarder", value=boarder_text)
    else:
        boarder = bool(building or room)  # no column or blank: a student with a room boards
    bed: int | None = None
    if bed_text:
        digits = bed_text.removesuffix("号床").removesuffix("床").removesuffix("号")
        # isdecimal, not isdigit: '፩' or '𐩀' are "digits" that int() refuses (a ValueError out of the import).
        if digits.isdecimal() and 1 <= int(digits) <= MAX_BED:
            bed = int(digits)
        else:
            check.fail("bad_bed", max=MAX_BED, value=bed_text)
    if boarder and active is not False and not (building and room):
        check.fail("boarder_without_room")
    if boarder is False and (building or room):
        check.fail("day_with_room", building=building, room=room)
    guardian_name = clean_name(check.get("guardian_name", limit=MAX_NAME))
    phone_text = check.get("guardian_phone")
    phone = ""
    if phone_text:
        phone = normalise_phone(phone_text) or ""
        if not phone:
            check.fail("bad_phone", value=phone_text)
    if check.errors:
        return None, check.errors
    keep_room = bool(boarder) and bool(active)
    return StudentRow(
        row=row, number=number, name=name, gender=gender or "", grade=grade, class_name=class_name,
        boarder=bool(boarder), building=building if keep_room else "", room=room if keep_room else "",
        bed=bed if keep_room else None, guardian_name=guardian_name, guardian_phone=phone, active=bool(active),
    ), []


class _Holder(NamedTuple):
    number: str
    name: str


@dataclass
class _RosterPlan:
    rows: int
    good: list[StudentRow]
    errors: list[RowError]
    numbers_in_file: set[str]


def _cell(cells: tuple[str, ...], index: int) -> str:
    return cells[index] if index < len(cells) else ""


def plan_roster(rows: Rows, columns: dict[str, int], school_id: str, *, full: bool) -> _RosterPlan:
    errors: list[RowError] = []
    candidates: list[StudentRow] = []
    first_row: dict[str, int] = {}
    for row, cells in rows:
        student, row_errors = check_student_row(row, cells, columns)
        number = _cell(cells, columns["number"])
        if number and number in first_row:
            row_errors.append(RowError(row, "dup_number", bilingual("err_dup_number", number=number, first=first_row[number])))
        elif number:
            first_row[number] = row
        errors.extend(row_errors)
        if student is not None and not row_errors:
            candidates.append(student)
    numbers_in_file = set(first_row)

    buildings = {b.name: b for b in Building.select().where(Building.school_id == school_id)}
    new_building_gender: dict[str, tuple[str, int]] = {}
    good: list[StudentRow] = []
    beds_in_file: dict[tuple[str, str, int], int] = {}
    room_beds = {(building, number): beds for building, number, beds in
                 Room.select(Building.name, Room.number, Room.beds).join(Building).where(Room.school_id == school_id).tuples()}
    for student in candidates:
        bad = False
        if student.building:
            existing = buildings.get(student.building)
            gender = existing.gender if existing else new_building_gender.setdefault(student.building, (student.gender, student.row))[0]
            if gender != student.gender:
                key = "building_boys" if gender == "M" else "building_girls"
                errors.append(RowError(student.row, key, bilingual(f"err_{key}", building=student.building)))
                bad = True
            capacity = room_beds.get((student.building, student.room))
            if student.bed is not None and capacity is not None and student.bed > capacity:
                errors.append(RowError(student.row, "bad_bed", bilingual("err_bad_bed", max=capacity, value=student.bed)))
                bad = True
            if student.bed is not None:
                spot = (student.building, student.room, student.bed)
                if spot in beds_in_file:
                    errors.append(RowError(student.row, "bed_twice", bilingual(
                        "err_bed_twice", building=student.building, room=student.room, bed=student.bed, first=beds_in_file[spot])))
                    bad = True
                else:
                    beds_in_file[spot] = student.row
        if not bad:
            good.append(student)

    # Beds held by active students who keep them after this import: everyone not in the file for a
    # partial import; for a full import only students whose row is bad (the others become inactive).
    occupied: dict[tuple[str, str, int], _Holder] = {}
    query = (Student.select(Building.name, Room.number, Student.bed, Student.number, Student.name)
             .join(Room).join(Building)
             .where((Student.school_id == school_id) & Student.active & Student.bed.is_null(False)).tuples())
    for building, room, bed, number, name in query:
        occupied[(building, room, bed)] = _Holder(number, name)
    while True:
        applied = {student.number for student in good}
        changed = False
        kept: list[StudentRow] = []
        for student in good:
            holder = occupied.get((student.building, student.room, student.bed)) if student.bed is not None else None
            stays = holder is not None and holder.number not in applied and (not full or holder.number in numbers_in_file)
            if stays:
                errors.append(RowError(student.row, "bed_taken", bilingual(
                    "err_bed_taken", building=student.building, room=student.room, bed=student.bed,
                    number=holder.number, name=holder.name)))
                changed = True
            else:
                kept.append(student)
        good = kept
        if not changed:
            break
    errors.sort(key=lambda error: error.row)
    return _RosterPlan(rows=len(rows), good=good, errors=errors, numbers_in_file=numbers_in_file)


def _file_detail(path: Path) -> dict[str, str]:
    return {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def _ensure_school(w, school_id: str, school_name: str | None) -> None:
    if School.get_or_none(School.id == school_id) is None:
        w.insert(School(id=school_id, name=school_name or school_id))


def import_roster(path: Path | str, actor: Actor, *, dry_run: bool = False, skip_bad: bool = False, full: bool = True,
                  school_name: str | None = None) -> ImportReport:
    """Import students: create new numbers, update known ones, and (full=True) deactivate the active ones
    missing from the file. Buildings and rooms named in the file are created when missing."""
    path = Path(path)
    columns, rows = locate_header(read_sheet(path), STUDENT_HEADERS, STUDENT_REQUIRED)
    if not rows:
        raise ImportFileError("file_no_rows", path=str(path))
    school_id = actor.school_id
    plan = plan_roster(rows, columns, school_id, full=full)
    bad_rows = len({error.row for error in plan.errors})
    blocked = bool(plan.errors) and not skip_bad
    if blocked:
        return ImportReport("roster", plan.rows, 0, 0, 0, 0, bad_rows, tuple(plan.errors), imported=False, dry_run=dry_run)

    now = clock.now()
    # updated_at is left out: it is set anew on every row written, and parsing 5,000 timestamps is slow.
    loaded = [field for field in Student._meta.sorted_fields if field is not Student.updated_at]
    existing = {s.number: s for s in Student.select(*loaded).where(Student.school_id == school_id)}
    # Room id -> (building, room) in one query, instead of two lazy look-ups per student.
    places = {room_id: (building, number) for room_id, building, number in
              Room.select(Room.id, Building.name, Room.number).join(Building).where(Room.school_id == school_id).tuples()}
    changes: list[tuple[Student, StudentRow, list[str]]] = []
    inserts: list[StudentRow] = []
    unchanged = 0
    for student in plan.good:
        current = existing.get(student.number)
        if current is None:
            inserts.append(student)
            continue
        fields = _student_changes(current, student, places)
        if fields:
            changes.append((current, student, fields))
        else:
            unchanged += 1
    leaving = []
    if full:
        leaving = [s for s in existing.values() if s.active and s.number not in plan.numbers_in_file]
    report = ImportReport("roster", plan.rows, len(inserts), len(changes), len(leaving), unchanged, bad_rows,
                          tuple(plan.errors), imported=not dry_run, dry_run=dry_run)
    if dry_run:
        return report

    detail = {**_file_detail(path), "created": report.created, "updated": report.updated,
              "deactivated": report.deactivated, "skipped": report.skipped, "full": full}
    with record(actor, "people.import_roster", entity="school", entity_id=school_id, detail=detail, at=now) as w:
        _ensure_school(w, school_id, school_name)
        rooms = _RoomBook(w, school_id, plan.good)
        new_students = []
        for student in inserts:
            room = rooms.get(student)
            new_students.append(Student(
                school_id=school_id, number=student.number, name=student.name, initials=pinyin_initials(student.name),
                gender=student.gender, grade=student.grade, class_name=student.class_name, boarder=student.boarder,
                room=room, bed=student.bed if room else None, guardian_name=student.guardian_name,
                guardian_phone=student.guardian_phone, active=student.active, updated_at=now,
            ))
        w.insert_many(new_students)
        for current, target, fields in changes:
            for name in fields:
                if name == "room":
                    current.room = rooms.get(target)
                elif name == "initials":
                    current.initials = pinyin_initials(target.name)
                else:
                    setattr(current, name, getattr(target, name))
            current.updated_at = now
            w.update(current, *[getattr(Student, name) for name in fields], Student.updated_at)
        for student in leaving:
            student.active = False
            student.room = None
            student.bed = None
            student.updated_at = now
            w.update(student, Student.active, Student.room, Student.bed, Student.updated_at)
    return report


def _student_changes(current: Student, row: StudentRow, places: dict[str, tuple[str, str]]) -> list[str]:
    fields = [name for name in ("name", "gender", "grade", "class_name", "boarder", "bed", "guardian_name",
                                "guardian_phone", "active") if getattr(current, name) != getattr(row, name)]
    if "name" in fields or not current.initials:
        fields.append("initials")
    if current.room_id is None:
        same_room = not row.building
    else:
        same_room = places.get(current.room_id) == (row.building, row.room)
    if not same_room:
        fields.append("room")
    return fields


class _RoomBook:
    """Finds or creates (inside the import's transaction) the rooms the roster names."""

    def __init__(self, w, school_id: str, rows: list[StudentRow]) -> None:
        self.w = w
        self.school_id = school_id
        self.buildings = {b.name: b for b in Building.select().where(Building.school_id == school_id)}
        self.rooms = {(r.building.name, r.number): r
                      for r in Room.select(Room, Building).join(Building).where(Room.school_id == school_id)}
        self.gender: dict[str, str] = {}
        self.max_bed: dict[tuple[str, str], int] = {}
        for row in rows:
            if row.building:
                self.gender.setdefault(row.building, row.gender)
                key = (row.building, row.room)
                self.max_bed[key] = max(self.max_bed.get(key, 0), row.bed or 0)

    def get(self, row: StudentRow) -> Room | None:
        if not row.building:
            return None
        key = (row.building, row.room)
        room = self.rooms.get(key)
        if room is None:
            building = self.buildings.get(row.building)
            if building is None:
                building = self.w.insert(Building(school_id=self.school_id, name=row.building, gender=self.gender[row.building]))
                self.buildings[row.building] = building
            beds = max(DEFAULT_BEDS, self.max_bed.get(key, 0))
            room = self.w.insert(Room(school_id=self.school_id, building=building, number=row.room, beds=beds))
            self.rooms[key] = room
        return room


# ---------------------------------------------------------------- staff

@dataclass(frozen=True)
class StaffRow:
    row: int
    number: str
    name: str
    roles: str  # comma-separated role ids
    class_name: str
    phone: str
    card_code: str
    pin: str
    active: bool


def check_staff_row(row: int, cells: tuple[str, ...], columns: dict[str, int]) -> tuple[StaffRow | None, list[RowError]]:
    check = _RowCheck(row, cells, columns)
    number = check.get("number", required=True, limit=MAX_NAME, column="col_staff_number")
    if number and not _NUMBER.match(number):
        check.fail("bad_number", value=number)
    name = clean_name(check.get("name", required=True, limit=MAX_NAME))
    roles_text = check.get("roles")
    roles, unknown = parse_roles(roles_text)
    for part in unknown:
        check.fail("unknown_role", value=part)
    if not roles and not unknown:  # blank, or only separators ('、', ' / '): a staff member without a role
        check.fail("missing_roles")
    class_name = check.get("class_name", limit=MAX_NAME)
    if "head_teacher" in roles and not class_name:
        check.fail("teacher_without_class")
    phone_text = check.get("phone")
    phone = ""
    if phone_text:
        phone = normalise_phone(phone_text) or ""
        if not phone:
            check.fail("bad_phone", value=phone_text)
    card = check.get("card_code", limit=MAX_NAME)
    if card and not _NUMBER.match(card):
        check.fail("bad_card", value=card)
    pin = check.get("pin", limit=MAX_NAME)
    if pin and not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 8):
        check.fail("bad_pin")
    active_text = check.get("active")
    active = parse_yes_no(active_text, YES, NO) if active_text else True
    if active is None:
        check.fail("bad_active", value=active_text)
    if check.errors:
        return None, check.errors
    return StaffRow(row, number, name, ",".join(roles), class_name, phone, card, pin, bool(active)), []


@dataclass
class _StaffPlan:
    rows: int
    good: list[StaffRow]
    errors: list[RowError]


def plan_staff(rows: Rows, columns: dict[str, int], school_id: str) -> _StaffPlan:
    existing = {s.number: s for s in Staff.select().where(Staff.school_id == school_id)}
    cards = {s.card_code: s for s in existing.values() if s.card_code}
    classes = {c for (c,) in Student.select(Student.class_name).where((Student.school_id == school_id) & Student.active)
               .distinct().tuples()}
    errors: list[RowError] = []
    good: list[StaffRow] = []
    first_row: dict[str, int] = {}
    first_card: dict[str, int] = {}
    index = columns["number"]
    numbers_in_file = {_cell(cells, index) for _, cells in rows} - {""}
    for row, cells in rows:
        member, row_errors = check_staff_row(row, cells, columns)
        number = _cell(cells, columns["number"])
        if number and number in first_row:
            row_errors.append(RowError(row, "dup_staff_number",
                                       bilingual("err_dup_staff_number", number=number, first=first_row[number])))
        elif number:
            first_row[number] = row
        if member is not None:
            if member.number not in existing and not member.pin:
                row_errors.append(RowError(row, "need_pin", bilingual("err_need_pin")))
            if "head_teacher" in member.roles.split(",") and classes and member.class_name not in classes:
                row_errors.append(RowError(row, "unknown_class", bilingual("err_unknown_class", value=member.class_name)))
            if member.card_code:
                holder = cards.get(member.card_code)
                if member.card_code in first_card:
                    row_errors.append(RowError(row, "dup_card", bilingual(
                        "err_dup_card", card=member.card_code, first=first_card[member.card_code])))
                elif holder is not None and holder.number != member.number and holder.number not in numbers_in_file:
                    row_errors.append(RowError(row, "card_taken", bilingual(
                        "err_card_taken", card=member.card_code, number=holder.number, name=holder.name)))
                else:
                    first_card[member.card_code] = row
        errors.extend(row_errors)
        if member is not None and not row_errors:
            good.append(member)
    return _StaffPlan(rows=len(rows), good=good, errors=errors)


def import_staff(path: Path | str, actor: Actor, *, dry_run: bool = False, skip_bad: bool = False,
                 school_name: str | None = None) -> ImportReport:
    """Import staff by staff number. New staff need an initial PIN; existing staff keep theirs when it is blank.
    Staff missing from the file are left as they are (staff lists are often partial)."""
    from kiosk.services.auth import check_pin, hash_pin

    path = Path(path)
    columns, rows = locate_header(read_sheet(path), STAFF_HEADERS, STAFF_REQUIRED, staff=True)
    if not rows:
        raise ImportFileError("file_no_rows", path=str(path))
    school_id = actor.school_id
    plan = plan_staff(rows, columns, school_id)
    bad_rows = len({error.row for error in plan.errors})
    if plan.errors and not skip_bad:
        return ImportReport("staff", plan.rows, 0, 0, 0, 0, bad_rows, tuple(plan.errors), imported=False, dry_run=dry_run)

    now = clock.now()
    existing = {s.number: s for s in Staff.select().where(Staff.school_id == school_id)}
    inserts: list[StaffRow] = []
    changes: list[tuple[Staff, StaffRow, list[str]]] = []
    unchanged = 0
    for member in plan.good:
        current = existing.get(member.number)
        if current is None:
            inserts.append(member)
            continue
        fields = [name for name in ("name", "roles", "class_name", "phone", "card_code", "active")
                  if getattr(current, name) != getattr(member, name)]
        if "name" in fields or not current.initials:
            fields.append("initials")
        if member.pin and not check_pin(member.pin, current.pin_hash):
            fields.append("pin_hash")
        if fields:
            changes.append((current, member, fields))
        else:
            unchanged += 1
    report = ImportReport("staff", plan.rows, len(inserts), len(changes), 0, unchanged, bad_rows, tuple(plan.errors),
                          imported=not dry_run, dry_run=dry_run)
    if dry_run:
        return report
    detail = {**_file_detail(path), "created": report.created, "updated": report.updated, "skipped": report.skipped}
    with record(actor, "people.import_staff", entity="school", entity_id=school_id, detail=detail, at=now) as w:
        _ensure_school(w, school_id, school_name)
        for member in inserts:
            w.insert(Staff(
                school_id=school_id, number=member.number, name=member.name, initials=pinyin_initials(member.name),
                roles=member.roles, class_name=member.class_name, phone=member.phone, card_code=member.card_code,
                pin_hash=hash_pin(member.pin), active=member.active, updated_at=now,
            ))
        for current, member, fields in changes:
            for name in fields:
                if name == "initials":
                    current.initials = pinyin_initials(member.name)
                elif name == "pin_hash":
                    current.pin_hash = hash_pin(member.pin)
                else:
                    setattr(current, name, getattr(member, name))
            current.updated_at = now
            w.update(current, *[getattr(Staff, name) for name in fields], Staff.updated_at)
    return report


__all__ = [
    "ImportFileError", "ImportReport", "RowError", "Sheet", "StaffRow", "StudentRow", "bilingual", "cell_text",
    "check_staff_row", "check_student_row", "decode_text", "header_key", "import_roster", "import_staff",
    "locate_header", "normalise_phone", "parse_roles", "read_sheet",
]
