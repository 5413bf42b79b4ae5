"""Roster and staff rows: what each cell may hold.

    student, errors = check_student_row(row, cells, columns)   # columns from roster_headers.find_header

A check reads only one row (cross-row checks and database look-ups are roster_import's). Every refusal
is a `RowError` naming the row, the column and what to do, in Chinese and English.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from kiosk.models import ROLES
from kiosk.services.roster_files import Column, bilingual, column_letter
from kiosk.services.roster_headers import COLUMN_KEYS, _cell
from kiosk.services.student_record import StudentFields

MAX_NAME = 40
MAX_TEXT = 100
MAX_BED = 20

_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")  # not \d, which matches Arabic-Indic and other decimal digits
_PHONE_NOISE = re.compile(r"[\s()\-]")
_GRADE_FROM_CLASS = re.compile(r"^(.+?)\s*[(（]")
_ROLE_SPLIT = re.compile(r"[、,，;；/\s]+")
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")


class RowError(NamedTuple):
    row: int  # as the spreadsheet shows it, header = row 1
    key: str  # catalog key under people.
    message: str  # bilingual text


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

    def __init__(self, row: int, cells: tuple[str, ...], columns: dict[str, int], above: tuple[str, ...] = ()) -> None:
        self.row = row
        self.cells = cells
        self.columns = columns
        self.above = above  # the row above's cells, for the merged-cell hint
        self.errors: list[RowError] = []
        self.refused: set[str] = set()  # fields whose cell Excel has changed (already reported)

    def fail(self, key: str, **values: object) -> None:
        self.errors.append(RowError(self.row, key, bilingual(f"err_{key}", **values)))

    def get(self, field: str, *, required: bool = False, limit: int = MAX_TEXT, column: str | None = None) -> str:
        index = self.columns.get(field)
        value = self.cells[index] if index is not None and index < len(self.cells) else ""
        label = Column(column or COLUMN_KEYS[field])
        if value.startswith("="):
            self.fail("formula", column=label, value=value[:40])
            return ""
        problem = (getattr(value, "problem", None) or (_text_problem(value) if field in IDENTIFIERS else None)
                   or ("error" if value.upper() in EXCEL_ERRORS else None))
        if problem:  # a value Excel has already changed: refuse it, never import what is left of it
            self.refused.add(field)
            self.fail(f"cell_{problem}", column=label, cell=f"{column_letter(index)}{self.row}", value=value[:40])
            return ""
        if len(value) > limit:
            self.fail("too_long", column=label, max=limit, value=value[:40])
            return ""
        if required and not value:
            merged = field in GROUP_COLUMNS and self.filled_above(field)
            self.fail("missing_below" if merged else "missing", column=label)
        return value

    # The cells students and staff share are read one way: a number, a person's name, a phone, "still here".

    def number(self, column: str | None = None) -> str:
        number = self.get("number", required=True, limit=MAX_NAME, column=column)
        if number and not _NUMBER.match(number):
            self.fail("bad_number", value=number)
        return number

    def person_name(self, field: str, *, required: bool = False) -> str:
        return clean_name(self.get(field, required=required, limit=MAX_NAME))

    def phone(self, field: str) -> str:
        """A mobile number as 11 digits, '' when blank; a bad one is reported."""
        text = self.get(field)
        phone = (normalise_phone(text) or "") if text else ""
        if text and not phone:
            self.fail("bad_phone", value=text)
        return phone

    def active(self) -> bool | None:
        text = self.get("active")
        active = parse_yes_no(text, YES, NO) if text else True
        if active is None:
            self.fail("bad_active", value=text)
        return active

    def filled_above(self, *fields: str) -> bool:
        """True when the row above has a value in one of these columns where this row has none: what a
        sheet of merged cells looks like once saved as CSV (the value stays in the first row only)."""
        for field in fields:
            index = self.columns.get(field)
            if index is not None and index < len(self.above) and self.above[index] and not _cell(self.cells, index):
                return True
        return False


# Columns teachers merge down the rows of a class or a room (a name or a number is never merged).
GROUP_COLUMNS = frozenset({"class_name", "grade", "building", "room"})
# Columns that hold codes: Excel turns such text into dates (`3-12`) or, when long and numeric, into
# scientific notation; the value that arrives is not what the school typed.
IDENTIFIERS = frozenset({"number", "class_name", "grade", "building", "room", "bed", "guardian_phone", "phone",
                         "card_code", "pin"})
# Excel (any locale) writes an exponent with its sign: 4.30102E+17. WPS, pandas and Java exports leave the sign
# out (2.0260101E7 for 20260101), always after a decimal point. `1E5` could be a room's name.
_SCIENTIFIC = re.compile(r"^[+-]?[0-9]+(?:(?:\.[0-9]+)?[eE][+-]|\.[0-9]+[eE])[0-9]+$")
# Dates as Excel writes them into a CSV or a text cell: 2026/3/12, 3/12/2026, 3月12日, 2026年3月12日,
# 12-Mar, or any date with a time (2026-03-12 00:00:00). A bare 2026-03-12 is left alone: 学号 such as
# 2024-03-12 (year-class-seat) exist, and Excel never writes a date that way without a time.
_DATE_TEXT = re.compile(
    r"^(?:[0-9]{4}/[0-9]{1,2}/[0-9]{1,2}|[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}|(?:[0-9]{4}年)?[0-9]{1,2}月[0-9]{1,2}日"
    r"|[0-9]{1,2}-(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)(?:-[0-9]{2,4})?"
    r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?=[ T]))(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?$",
    re.IGNORECASE)


# What a formula that failed shows; saved as CSV it is the cell's text, and the value it stood for is not in the file.
EXCEL_ERRORS = frozenset({"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!",
                          "#GETTING_DATA"})


def _text_problem(value: str) -> str | None:
    """"scientific" or "date" when a code column's text is what Excel made of the code; None otherwise."""
    if not value or not value[0].isdigit():
        return None
    if _SCIENTIFIC.match(value):
        return "scientific"
    if _DATE_TEXT.match(value):
        return "date"
    return None


# ---------------------------------------------------------------- students

@dataclass(frozen=True)
class StudentRow(StudentFields):
    """One good roster row: the student's fields and the row they came from (for the report)."""

    row: int


def check_student_row(row: int, cells: tuple[str, ...], columns: dict[str, int],
                      above: tuple[str, ...] = ()) -> tuple[StudentRow | None, list[RowError]]:
    """One roster row on its own: its values, or its problems (cross-row checks come later). `above` is the
    previous data row, only to say when a blank looks like a merged cell."""
    check = _RowCheck(row, cells, columns, above)
    number = check.number()
    name = check.person_name("name", required=True)
    gender_text = check.get("gender", required=True)
    gender = parse_gender(gender_text) if gender_text else None
    if gender_text and gender is None:
        check.fail("bad_gender", value=gender_text)
    class_name = check.get("class_name", required=True, limit=MAX_NAME)
    grade = check.get("grade", limit=MAX_NAME) or grade_from_class(class_name)
    if class_name and not grade:
        check.fail("no_grade")
    active = check.active()
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
    if boarder and active is not False and not (building and room) and not check.refused & {"building", "room"}:
        check.fail("boarder_without_room_below" if check.filled_above("building", "room") else "boarder_without_room")
    if boarder is False and (building or room):
        check.fail("day_with_room", building=building, room=room)
    guardian_name = check.person_name("guardian_name")
    phone = check.phone("guardian_phone")
    if check.errors:
        return None, check.errors
    keep_room = bool(boarder) and bool(active)
    return StudentRow(
        row=row, number=number, name=name, gender=gender or "", grade=grade, class_name=class_name,
        boarder=bool(boarder), building=building if keep_room else "", room=room if keep_room else "",
        bed=bed if keep_room else None, guardian_name=guardian_name, guardian_phone=phone, active=bool(active),
    ), []



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
    active: bool | None  # None: the file does not say (no 在职 column, or a blank cell)


def check_staff_row(row: int, cells: tuple[str, ...], columns: dict[str, int],
                    above: tuple[str, ...] = ()) -> tuple[StaffRow | None, list[RowError]]:
    check = _RowCheck(row, cells, columns, above)
    number = check.number(column="col_staff_number")
    name = check.person_name("name", required=True)
    roles_text = check.get("roles")
    roles, unknown = parse_roles(roles_text)
    for part in unknown:
        check.fail("unknown_role", value=part)
    if not roles and not unknown:  # blank, or only separators ('、', ' / '): a staff member without a role
        check.fail("missing_roles")
    class_name = check.get("class_name", limit=MAX_NAME)
    if "head_teacher" in roles and not class_name:
        check.fail("teacher_without_class")
    phone = check.phone("phone")
    card = check.get("card_code", limit=MAX_NAME)
    if card and not _NUMBER.match(card):
        check.fail("bad_card", value=card)
    pin = check.get("pin", limit=MAX_NAME)
    if pin and not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 8):
        check.fail("bad_pin")
    active = check.active()
    # A staff list is often an old one kept to add a newcomer: a row that does not say whether the person still
    # works here must not switch back on an account the admin switched off.
    stated = "active" in columns and bool(_cell(cells, columns["active"]))
    if check.errors:
        return None, check.errors
    return StaffRow(row, number, name, ",".join(roles), class_name, phone, card, pin,
                    bool(active) if stated else None), []
