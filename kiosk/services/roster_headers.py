"""Which column of a roster or staff sheet is which: header aliases, the header row (and a second one),
the sheet that holds it.

    columns, rows = find_header(read_book(path), STUDENT_HEADERS, STUDENT_REQUIRED, sheet=None)

`columns` maps a field (number, name, class_name, ...) to its column index; `rows` are the data rows.
"""
from __future__ import annotations

import re

from kiosk.i18n import t_in
from kiosk.services.names import clean_text
from kiosk.services.roster_files import ImportFileError, Rows, Sheet

_HEADER_NOISE = re.compile(r"[\s_\-*:：]")
_HEADER_HINT = re.compile(r"[(（\[【].*$")


def _cell(cells: tuple[str, ...], index: int) -> str:
    return cells[index] if index < len(cells) else ""


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
    """field -> column index. When two headers name the same field, the one earlier in the alias list wins,
    then the first column: a roster with both 学籍号 (the national registry number) and 学号 (the school's,
    on the student card) is read by 学号 whichever column comes first."""
    rank = {key: position for position, key in enumerate(aliases)}
    columns: dict[str, int] = {}
    chosen: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = header_key(header)
        field = aliases.get(key)
        if field is not None and (field not in columns or rank[key] < chosen[field]):
            columns[field] = index
            chosen[field] = rank[key]
    return columns


def _header_position(sheet: Sheet, aliases: dict[str, str], required: tuple[str, ...]) -> tuple[dict[str, int], int | None]:
    """(columns, index of the header in sheet.rows) for the first top row that names every required column,
    else (the most complete candidate's columns, None)."""
    best: dict[str, int] = {}
    for position, (_, cells) in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        columns = map_columns(cells, aliases)
        if all(field in columns for field in required):
            return columns, position
        if sum(f in columns for f in required) > sum(f in best for f in required):
            best = columns
    return best, None


def _missing_columns_error(best: dict[str, int], required: tuple[str, ...], staff: bool,
                           sheets: tuple[Sheet, ...]) -> ImportFileError:
    missing = [field for field in required if field not in best]
    names = [("col_staff_number" if staff and field == "number" else COLUMN_KEYS[field]) for field in missing]
    zh = "、".join(t_in("zh-CN", f"people.{name}") for name in names)
    en = ", ".join(t_in("en", f"people.{name}") for name in names)
    named = [sheet.name for sheet in sheets if sheet.name]
    if not named:  # a CSV: one nameless sheet
        return ImportFileError("file_missing_columns", columns=f"{zh} ({en})")
    return ImportFileError("file_missing_columns_sheets", columns=f"{zh} ({en})", sheets="、".join(named))


def _with_sub_header(rows: Rows, position: int, columns: dict[str, int], aliases: dict[str, str],
                     required: tuple[str, ...]) -> tuple[dict[str, int], Rows]:
    """(columns, data rows), reading a second header row when there is one: school templates group columns
    under a merged title (监护人 over 姓名 | 电话) while the other titles are merged down both rows. Once merges
    are filled, the row under the header repeats the header's titles and adds labels (no digits) only under a
    title shared by neighbouring columns; each such column is named by title + label (监护人 + 电话)."""
    number, header = rows[position]
    below = position + 1
    plain = columns, _without_repeats(rows[below:], header)
    if below >= len(rows) or rows[below][0] != number + 1:
        return plain
    sub = rows[below][1]
    labels = 0
    for index, text in enumerate(sub):
        title = _cell(header, index)
        if not text or text == title:
            continue
        grouped = bool(title) and ((index > 0 and _cell(header, index - 1) == title) or _cell(header, index + 1) == title)
        if not grouped or any("0" <= ch <= "9" for ch in text):
            return plain
        labels += 1
    if not labels:
        return plain
    names = []
    for index, title in enumerate(header):
        label = _cell(sub, index)
        if not label or label == title:
            names.append(title)
        else:
            joined = title + label
            names.append(label if header_key(joined) not in aliases and header_key(label) in aliases else joined)
    combined = map_columns(tuple(names), aliases)
    if not all(field in combined for field in required):
        return plain
    return combined, _without_repeats(rows[below + 1:], header, sub)


def _without_repeats(rows: Rows, *header_rows: tuple[str, ...]) -> Rows:
    """The data rows less copies of the header: a roster pasted together class by class repeats it."""
    if not any(cells in header_rows for _, cells in rows):
        return rows
    return tuple((number, cells) for number, cells in rows if cells not in header_rows)


def locate_header(sheet: Sheet, aliases: dict[str, str], required: tuple[str, ...], *,
                  staff: bool = False) -> tuple[dict[str, int], Rows]:
    """(columns, data rows): the header is the first of the top rows that names every required column
    (with the row under it when that is a second header row).

    `ImportFileError` naming the missing columns (as seen in the most complete candidate row) otherwise.
    """
    columns, position = _header_position(sheet, aliases, required)
    if position is None:
        raise _missing_columns_error(columns, required, staff, (sheet,))
    return _with_sub_header(sheet.rows, position, columns, aliases, required)


def find_header(sheets: tuple[Sheet, ...], aliases: dict[str, str], required: tuple[str, ...], *,
                staff: bool = False, sheet: str | None = None) -> tuple[dict[str, int], Rows]:
    """(columns, data rows) from the sheet named `sheet`, or else from the first sheet whose header names
    every required column and has rows under it (a workbook often starts with a sheet of instructions).

    `ImportFileError` naming the sheets looked at and the columns missing from the best of them otherwise.
    """
    if sheet is not None:
        chosen = [candidate for candidate in sheets if candidate.name == sheet.strip()]
        if not chosen or not chosen[0].name:
            raise ImportFileError("file_no_sheet", sheet=sheet,
                                  sheets="、".join(candidate.name for candidate in sheets if candidate.name) or "-")
        sheets = (chosen[0],)
    found: tuple[dict[str, int], Rows] | None = None
    best: dict[str, int] = {}
    for candidate in sheets:
        columns, position = _header_position(candidate, aliases, required)
        if position is None:
            if sum(f in columns for f in required) > sum(f in best for f in required):
                best = columns
            continue
        columns, rows = _with_sub_header(candidate.rows, position, columns, aliases, required)
        if rows:
            return columns, rows
        found = found or (columns, rows)  # a header with nothing under it: keep looking, then report no rows
    if found is not None:
        return found
    raise _missing_columns_error(best, required, staff, sheets)


__all__ = [
    "COLUMN_KEYS", "HEADER_SEARCH_ROWS", "STAFF_HEADERS", "STAFF_REQUIRED", "STUDENT_HEADERS", "STUDENT_REQUIRED",
    "find_header", "header_key", "locate_header", "map_columns",
]
