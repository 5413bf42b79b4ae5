"""Roster and staff import from spreadsheets (.xlsx, .xlsm, .xls, .ods) and CSV/TSV text.

    report = import_roster(path, actor, dry_run=False, skip_bad=False, full=True, sheet=None)

Reading, checking and writing are separate steps: `roster_files.read_book` turns the file into sheets of
cleaned text rows (or raises `ImportFileError` for a file that cannot be read at all),
`roster_headers` finds the header, `roster_checks` turns rows into planned records and row errors, and only then
one `record(...)` transaction writes everything. Nothing is written if any row is bad, unless
`skip_bad`; `dry_run` never writes.

Formula cells give their cached value (or nothing); text that still looks like a formula
(`=HYPERLINK(...)`) is rejected, never stored.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from kiosk import clock
from kiosk.models import Building, Room, School, Staff, Student
from kiosk.services.actor import Actor
from kiosk.services.facts import record
from kiosk.services.names import pinyin_initials
from kiosk.services.roster_checks import (
    MAX_BED, RowError, StaffRow, StudentRow, check_staff_row, check_student_row, normalise_phone, parse_roles,
)
from kiosk.services.roster_files import ImportFileError, Rows, Sheet, bilingual, cell_text, decode_text, read_book
from kiosk.services.roster_headers import (
    STAFF_HEADERS, STAFF_REQUIRED, STUDENT_HEADERS, STUDENT_REQUIRED, _cell, find_header, header_key, locate_header,
    map_columns,
)

DEFAULT_BEDS = 6


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


class _Holder(NamedTuple):
    number: str
    name: str


@dataclass
class _RosterPlan:
    rows: int
    good: list[StudentRow]
    errors: list[RowError]
    numbers_in_file: set[str]


def _checked_rows(rows: Rows, columns: dict[str, int], check_row, duplicate_key: str):
    """Each row checked on its own (roster_checks), and "this number is on an earlier row too": yields
    (row, the checked record or None, its errors); the caller appends its own cross-row errors to that list."""
    first_row: dict[str, int] = {}
    above: tuple[str, ...] = ()
    for row, cells in rows:
        checked, row_errors = check_row(row, cells, columns, above)
        above = cells
        number = _cell(cells, columns["number"])
        if number and number in first_row:
            row_errors.append(RowError(row, duplicate_key, bilingual(f"err_{duplicate_key}", number=number,
                                                                      first=first_row[number])))
        elif number:
            first_row[number] = row
        yield row, checked, row_errors


def _numbers_in(rows: Rows, columns: dict[str, int]) -> set[str]:
    return {_cell(cells, columns["number"]) for _, cells in rows} - {""}


def plan_roster(rows: Rows, columns: dict[str, int], school_id: str, *, full: bool) -> _RosterPlan:
    errors: list[RowError] = []
    candidates: list[StudentRow] = []
    for _row, student, row_errors in _checked_rows(rows, columns, check_student_row, "dup_number"):
        errors.extend(row_errors)
        if student is not None and not row_errors:
            candidates.append(student)
    numbers_in_file = _numbers_in(rows, columns)

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


# A full import that would send more than half the school (and more than a class) away is a class list
# imported as the whole roster far more often than a real change: refused unless asked for.
MASS_LEAVE_MIN = 60


def mass_leave(active: int, leaving: int) -> bool:
    """Whether a full import deactivating `leaving` of `active` students is too many to do without asking."""
    return leaving > MASS_LEAVE_MIN and leaving * 2 > active


def import_roster(path: Path | str, actor: Actor, *, dry_run: bool = False, skip_bad: bool = False, full: bool = True,
                  school_name: str | None = None, sheet: str | None = None,
                  allow_mass_leave: bool = False) -> ImportReport:
    """Import students: create new numbers, update known ones, and (full=True) deactivate the active ones
    missing from the file. Buildings and rooms named in the file are created when missing. `sheet` names
    the sheet to read; by default it is the first one that holds the header. Deactivating more than half the
    active students is refused (ImportFileError, nothing written) unless `allow_mass_leave`."""
    path = Path(path)
    columns, rows = find_header(read_book(path), STUDENT_HEADERS, STUDENT_REQUIRED, sheet=sheet)
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
    inserts, changes, unchanged = _sorted_by_change(plan.good, existing,
                                                    lambda current, row: _student_changes(current, row, places))
    leaving = []
    if full:
        leaving = [s for s in existing.values() if s.active and s.number not in plan.numbers_in_file]
    report = ImportReport("roster", plan.rows, len(inserts), len(changes), len(leaving), unchanged, bad_rows,
                          tuple(plan.errors), imported=not dry_run, dry_run=dry_run)
    active = sum(1 for s in existing.values() if s.active)
    if full and not allow_mass_leave and mass_leave(active, len(leaving)):  # a dry run says so too
        raise ImportFileError("file_mass_leave", leaving=len(leaving), active=active, path=str(path))
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
                number=student.number, name=student.name, initials=pinyin_initials(student.name),
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
    if current.initials != pinyin_initials(row.name):  # a new name, or initials made by an older rule
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
                building = self.w.insert(Building(name=row.building, gender=self.gender[row.building]))
                self.buildings[row.building] = building
            beds = max(DEFAULT_BEDS, self.max_bed.get(key, 0))
            room = self.w.insert(Room(building=building, number=row.room, beds=beds))
            self.rooms[key] = room
        return room


# ---------------------------------------------------------------- staff

@dataclass
class _StaffPlan:
    rows: int
    good: list[StaffRow]
    errors: list[RowError]


def _staff_changes(current: Staff, member: StaffRow) -> list[str]:
    from kiosk.services.auth import check_pin

    fields = [name for name in ("name", "roles", "class_name", "phone", "card_code")
              if getattr(current, name) != getattr(member, name)]
    if member.active is not None and current.active != member.active:  # only when the file says so
        fields.append("active")
    if current.initials != pinyin_initials(member.name):  # a new name, or initials made by an older rule
        fields.append("initials")
    if member.pin and not check_pin(member.pin, current.pin_hash):
        fields.append("pin_hash")
    return fields


def _sorted_by_change(good: list, existing: dict, changed_fields):
    """Good rows as (new ones, (record, row, fields that change) for known ones, how many stay as they are)."""
    inserts: list = []
    changes: list[tuple] = []
    unchanged = 0
    for row in good:
        current = existing.get(row.number)
        if current is None:
            inserts.append(row)
            continue
        fields = changed_fields(current, row)
        if fields:
            changes.append((current, row, fields))
        else:
            unchanged += 1
    return inserts, changes, unchanged


def plan_staff(rows: Rows, columns: dict[str, int], school_id: str) -> _StaffPlan:
    existing = {s.number: s for s in Staff.select().where(Staff.school_id == school_id)}
    cards = {s.card_code: s for s in existing.values() if s.card_code}
    classes = {c for (c,) in Student.select(Student.class_name).where((Student.school_id == school_id) & Student.active)
               .distinct().tuples()}
    errors: list[RowError] = []
    good: list[StaffRow] = []
    first_card: dict[str, int] = {}
    numbers_in_file = _numbers_in(rows, columns)
    for row, member, row_errors in _checked_rows(rows, columns, check_staff_row, "dup_staff_number"):
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
                 school_name: str | None = None, sheet: str | None = None) -> ImportReport:
    """Import staff by staff number. New staff need an initial PIN; existing staff keep theirs when it is blank.
    Staff missing from the file are left as they are (staff lists are often partial)."""
    from kiosk.services.auth import hash_pin

    path = Path(path)
    columns, rows = find_header(read_book(path), STAFF_HEADERS, STAFF_REQUIRED, staff=True, sheet=sheet)
    if not rows:
        raise ImportFileError("file_no_rows", path=str(path))
    school_id = actor.school_id
    plan = plan_staff(rows, columns, school_id)
    bad_rows = len({error.row for error in plan.errors})
    if plan.errors and not skip_bad:
        return ImportReport("staff", plan.rows, 0, 0, 0, 0, bad_rows, tuple(plan.errors), imported=False, dry_run=dry_run)

    now = clock.now()
    existing = {s.number: s for s in Staff.select().where(Staff.school_id == school_id)}
    inserts, changes, unchanged = _sorted_by_change(plan.good, existing, _staff_changes)
    report = ImportReport("staff", plan.rows, len(inserts), len(changes), 0, unchanged, bad_rows, tuple(plan.errors),
                          imported=not dry_run, dry_run=dry_run)
    if dry_run:
        return report
    detail = {**_file_detail(path), "created": report.created, "updated": report.updated, "skipped": report.skipped}
    with record(actor, "people.import_staff", entity="school", entity_id=school_id, detail=detail, at=now) as w:
        _ensure_school(w, school_id, school_name)
        for member in inserts:
            w.insert(Staff(
                number=member.number, name=member.name, initials=pinyin_initials(member.name),
                roles=member.roles, class_name=member.class_name, phone=member.phone, card_code=member.card_code,
                pin_hash=hash_pin(member.pin), active=member.active is not False, updated_at=now,
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
    "ImportFileError", "ImportReport", "MAX_BED", "RowError", "Rows", "STAFF_HEADERS", "STAFF_REQUIRED",
    "STUDENT_HEADERS", "STUDENT_REQUIRED", "Sheet", "StaffRow", "StudentRow", "bilingual", "cell_text",
    "check_staff_row", "check_student_row", "decode_text", "find_header", "header_key", "import_roster",
    "import_staff", "locate_header", "map_columns", "normalise_phone", "parse_roles", "plan_roster", "plan_staff",
    "read_book",
]
