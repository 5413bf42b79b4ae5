"""Roster import speed: 5,000 students from XLSX and from GB18030 CSV, against bare parsing of the same files.

Baselines, measured in the same run over the same files: `csv.reader` over the decoded GB18030 file,
and openpyxl's read-only iteration of the XLSX. The import on top of them cleans and checks every row,
computes pinyin initials, creates buildings and rooms, and writes each row, its outbox row and one audit
entry in a single transaction.
"""
from __future__ import annotations

import csv
import io
import random
import time
from pathlib import Path

from bench.common import Result, median

ROWS = 5_000
HEADER = ["学号", "姓名", "性别", "年级", "班级", "住宿/走读", "宿舍楼", "房间", "床位", "监护人", "监护人电话"]


def roster_rows(count: int = ROWS, seed: int = 5000) -> list[list[str]]:
    """A realistic roster: 3 grades, 50 per class, two thirds boarders in 6-bed rooms of 4 buildings."""
    from kiosk.services.demo import GIVEN, SURNAMES

    rng = random.Random(seed)
    rows = []
    next_room = {"M": 0, "F": 0}
    beds_left = {"M": 0, "F": 0}
    for index in range(count):
        grade = ("高一", "高二", "高三")[index * 3 // count]
        class_name = f"{grade}({index // 50 % 20 + 1})班"
        gender = "M" if rng.random() < 0.5 else "F"
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
        phone = rng.choice(("138", "139", "150", "186")) + f"{rng.randrange(10**8):08d}"
        if rng.random() < 0.67:
            if beds_left[gender] == 0:
                next_room[gender] += 1
                beds_left[gender] = 6
            room_index = next_room[gender]
            building = ("男生" if gender == "M" else "女生") + f"{room_index % 2 + 1}号楼"
            room = f"{room_index // 20 + 1}{room_index % 20 + 1:02d}"
            bed = str(7 - beds_left[gender])
            beds_left[gender] -= 1
            place = ["住宿", building, room, bed]
        else:
            place = ["走读", "", "", ""]
        rows.append([f"S{index:05d}", name, "男" if gender == "M" else "女", grade, class_name, *place,
                     name[0] + rng.choice(GIVEN), phone])
    return rows


def write_files(workdir: Path, rows: list[list[str]]) -> tuple[Path, Path]:
    from openpyxl import Workbook

    csv_path = workdir / "roster-gb18030.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    csv_path.write_bytes(buffer.getvalue().encode("gb18030"))
    xlsx_path = workdir / "roster.xlsx"
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("名册")
    sheet.append(HEADER)
    for row in rows:
        sheet.append([row[0], *row[1:8], int(row[8]) if row[8] else None, row[9], int(row[10])])
    workbook.save(xlsx_path)
    return csv_path, xlsx_path


def _csv_baseline(path: Path) -> int:
    with path.open(encoding="gb18030", newline="") as handle:
        return sum(1 for _ in csv.reader(handle))


def _xlsx_baseline(path: Path) -> int:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        return sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()


def _timed(operation) -> float:
    start = time.perf_counter()
    operation()
    return time.perf_counter() - start


def _baseline(operation, repeat: int = 3) -> float:
    operation()  # warm the page cache and imports
    return median([_timed(operation) for _ in range(repeat)])


def _import_into_fresh_db(workdir: Path, name: str, path: Path, *, reimport: bool = False) -> tuple[float, float | None]:
    from kiosk.db import close_database, open_database
    from kiosk.services.actor import Actor
    from kiosk.services.roster_import import import_roster

    db_path = workdir / f"{name}.sqlite3"
    db_path.unlink(missing_ok=True)
    open_database(db_path)
    try:
        actor = Actor(school_id="bench", station_id="st-bench", staff_name="bench")
        start = time.perf_counter()
        report = import_roster(path, actor, school_name="bench")
        first = time.perf_counter() - start
        if report.errors or report.created != ROWS:
            raise RuntimeError(f"bench roster did not import cleanly: {report.errors[:3]}")
        again = None
        if reimport:
            start = time.perf_counter()
            report = import_roster(path, actor)
            again = time.perf_counter() - start
            if report.unchanged != ROWS:
                raise RuntimeError("re-import of the same roster changed rows")
        return first, again
    finally:
        close_database()


def run(workdir: Path) -> list[Result]:
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    csv_path, xlsx_path = write_files(workdir, roster_rows())
    csv_base = _baseline(lambda: _csv_baseline(csv_path))
    xlsx_base = _baseline(lambda: _xlsx_baseline(xlsx_path))

    from kiosk.services.roster_import import read_book

    csv_read = _baseline(lambda: read_book(csv_path))
    xlsx_import, _ = _import_into_fresh_db(workdir, "bench-import-xlsx", xlsx_path)
    csv_import, csv_reimport = _import_into_fresh_db(workdir, "bench-import-csv", csv_path, reimport=True)
    return [
        Result("roster import 5,000 rows XLSX (new school)", xlsx_import, "s",
               "openpyxl read-only iteration", xlsx_base, "< 15 s"),
        Result("roster import 5,000 rows GB18030 CSV (new school)", csv_import, "s",
               "csv.reader over the GB18030 file", csv_base, "< 10 s"),
        Result("roster re-import 5,000 unchanged rows CSV", csv_reimport or 0.0, "s",
               "csv.reader over the GB18030 file", csv_base, "< 5 s"),
        Result("roster read+clean 5,000 rows GB18030 CSV", csv_read, "s",
               "csv.reader over the GB18030 file", csv_base, "< 10x baseline"),
    ]


if __name__ == "__main__":
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        for result in run(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(folder)):
            ratio = f"{result.ratio:.1f}x" if result.ratio is not None else "-"
            print(f"{result.figure:<52} {result.value:8.3f} {result.unit}  baseline {result.baseline_name}: "
                  f"{result.baseline:.3f}  ({ratio})  aim {result.aim}")
