"""Gate scan -> verdict (Ed25519 verify + lookups + rules), warm, on 5 years of a 5,000-student school.

The history is bulk-inserted with executemany straight into this benchmark's own temporary database
(the one place allowed to bypass the write path): ~1,700 day students crossing twice per school day
and ~3,300 boarders taking a slip (exit + return) about every third week, for 5 years = millions of
crossings. Baseline in the same run: a raw sqlite3 indexed lookup of a student's latest crossings.

Run alone: `python -m bench.bench_slips [WORKDIR] [--quick]`.
"""
from __future__ import annotations

import random
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.common import Result, percentile, timings_ms

STUDENTS = 5000
BOARDER_SHARE = 0.66
YEARS = 5
SCHOOL_DAYS_PER_YEAR = 200
SLIP_EVERY_DAYS = 21
SCANS = 600


def _ts(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _uuid7_like(at: datetime, rng: random.Random) -> str:
    millis = int(at.timestamp() * 1000)
    value = (millis << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64) | (0b10 << 62) | rng.getrandbits(62)
    return str(uuid.UUID(int=value))


def build(workdir: Path, *, quick: bool = False):
    """Create the database; returns (settings, codes to scan, crossings count, seconds to build)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from kiosk.config import Settings
    from kiosk.db import close_database, open_database
    from kiosk.services import slip_codec

    started = time.perf_counter()
    settings = Settings()
    settings.database.path = str(workdir / "bench_slips.sqlite3")
    Path(settings.database.path).unlink(missing_ok=True)
    open_database(settings.database_path())
    close_database()
    rng = random.Random(5)
    school = settings.school.id
    years = 1 if quick else YEARS
    now = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)
    start = now - timedelta(days=365 * years)
    private = Ed25519PrivateKey.generate()
    public_hex = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()

    # Build in memory (this machine's disk is the bottleneck otherwise), then back up to the file once.
    disk = sqlite3.connect(settings.database.path)
    con = sqlite3.connect(":memory:")
    disk.backup(con)
    stamp = _ts(now)
    con.execute("INSERT INTO school (id, name, timezone) VALUES (?, ?, ?)", (school, "bench", "Asia/Shanghai"))
    con.execute("INSERT INTO slip_key (id, school_id, station_id, staff_id, recorded_at, key_id, public_key, label, "
                "retired_at) VALUES (?, ?, 'bench', NULL, ?, 1, ?, 'bench', NULL)",
                (str(uuid.uuid4()), school, stamp, public_hex))
    students = []
    for index in range(STUDENTS):
        boarder = rng.random() < BOARDER_SHARE
        students.append((_uuid7_like(start, rng), school, f"{2020 + index % 6}{index:05d}", f"学生{index}", "", "M",
                         "高一", f"高一({index % 40 + 1})班", int(boarder), None, None, "", "13800000000", 1, stamp))
    con.executemany("INSERT INTO student (id, school_id, number, name, initials, gender, grade, class_name, boarder, "
                    "room_id, bed, guardian_name, guardian_phone, active, updated_at) VALUES "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", students)
    day_students = [s for s in students if not s[8]]
    boarders = [s for s in students if s[8]]

    crossing_sql = ("INSERT INTO gate_crossing (id, school_id, station_id, staff_id, recorded_at, student_id, direction, "
                    "kind, slip_id, exception_id, at, return_by, flags) VALUES (?, ?, 'gate-1', NULL, ?, ?, ?, ?, ?, NULL, ?, ?, '')")
    slip_sql = ("INSERT INTO pass_slip (id, school_id, station_id, staff_id, recorded_at, student_id, student_number, "
                "reason_kind, reason_note, leave_from, leave_to, return_by, companion_name, companion_relation, "
                "companion_phone, required_roles, approved_at, key_id, code) VALUES "
                "(?, ?, 'office', NULL, ?, ?, ?, 'home', '', ?, ?, ?, '', '', '', 'head_teacher', ?, 1, ?)")
    count = 0
    days = [start + timedelta(days=d) for d in range(365 * years) if (start + timedelta(days=d)).isoweekday() <= 5]
    days = days[: SCHOOL_DAYS_PER_YEAR * years]
    batch = []
    for day in days:
        morning, evening = day.replace(hour=23, minute=20) - timedelta(days=1), day.replace(hour=9, minute=10)
        for s in day_students:
            a = morning + timedelta(seconds=rng.randrange(2400))
            b = evening + timedelta(seconds=rng.randrange(2400))
            batch.append((_uuid7_like(a, rng), school, _ts(a), s[0], "return", "day_card", None, _ts(a), None))
            batch.append((_uuid7_like(b, rng), school, _ts(b), s[0], "exit", "day_card", None, _ts(b), None))
        if len(batch) > 200_000:
            con.executemany(crossing_sql, batch)
            count += len(batch)
            batch.clear()
    slips = []
    for s in boarders:
        at = start + timedelta(days=rng.randrange(SLIP_EVERY_DAYS))
        while at < now - timedelta(days=2):
            slip_id = _uuid7_like(at, rng)
            leave_to, back = at + timedelta(hours=4), at + timedelta(hours=30)
            slips.append((slip_id, school, _ts(at), s[0], s[2], _ts(at), _ts(leave_to), _ts(back), _ts(at), "-"))
            out, ret = at + timedelta(minutes=30), at + timedelta(hours=28)
            batch.append((_uuid7_like(out, rng), school, _ts(out), s[0], "exit", "slip", slip_id, _ts(out), _ts(back)))
            batch.append((_uuid7_like(ret, rng), school, _ts(ret), s[0], "return", "slip", slip_id, _ts(ret), None))
            at += timedelta(days=SLIP_EVERY_DAYS + rng.randrange(-5, 6))
        if len(batch) > 200_000:
            con.executemany(crossing_sql, batch)
            count += len(batch)
            batch.clear()
    con.executemany(crossing_sql, batch)
    count += len(batch)
    # Current slips to scan: valid now, signed for real.
    codes = []
    for s in rng.sample(boarders, min(SCANS, len(boarders))):
        slip_id = _uuid7_like(now, rng)
        leave_from, leave_to, back = now - timedelta(hours=1), now + timedelta(hours=3), now + timedelta(hours=30)
        code = slip_codec.sign(slip_codec.SlipPayload(1, slip_id, s[2], leave_from, leave_to, back), private)
        slips.append((slip_id, school, _ts(now), s[0], s[2], _ts(leave_from), _ts(leave_to), _ts(back), _ts(now), code))
        codes.append((code, s[0]))
    con.executemany(slip_sql, slips)
    con.commit()
    con.execute("ANALYZE")
    con.commit()
    con.backup(disk)
    con.close()
    disk.close()
    return settings, codes, count, time.perf_counter() - started, now


def run(workdir: Path, quick: bool = False) -> list[Result]:
    from kiosk import clock
    from kiosk.db import close_database, open_database
    from kiosk.services.slips import check_code

    settings, codes, crossings, build_seconds, now = build(workdir, quick=quick)
    open_database(settings.database_path())
    clock.freeze(now)
    try:
        iterator = iter(codes * 3)
        verdicts: dict[str, int] = {}

        def scan():
            code, _ = next(iterator)
            result = check_code(settings, code, now, "exit")
            verdicts[result.verdict.kind] = verdicts.get(result.verdict.kind, 0) + 1

        samples = timings_ms(scan, repeat=len(codes), warmup=20)
        assert verdicts.get("exit", 0) >= len(codes) * 0.99, verdicts

        raw = sqlite3.connect(settings.database.path)
        student_ids = iter([sid for _, sid in codes] * 3)

        def lookup():
            raw.execute("SELECT direction, kind, at, slip_id FROM gate_crossing WHERE student_id = ? "
                        "ORDER BY at DESC LIMIT 20", (next(student_ids),)).fetchall()

        baseline = timings_ms(lookup, repeat=len(codes), warmup=20)
        raw.close()
    finally:
        clock.freeze(None)
        close_database()
    return [
        Result("slips: crossings in the database", crossings, "rows", aim=">= 1,000,000"),
        Result("slips: build history (executemany)", build_seconds, "s"),
        Result("slips: scan -> verdict p50 (verify + lookup, warm)", percentile(samples, 50), "ms",
               "raw sqlite3 indexed lookup p50", percentile(baseline, 50), "< 20 ms"),
        Result("slips: scan -> verdict p99 (verify + lookup, warm)", percentile(samples, 99), "ms",
               "raw sqlite3 indexed lookup p99", percentile(baseline, 99), "< 20 ms"),
    ]


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--quick"]
    folder = Path(args[0]) if args else Path(tempfile.mkdtemp(prefix="bench-slips-"))
    for result in run(folder, quick=quick):
        baseline = f"  ({result.baseline_name}: {result.baseline:.3f})" if result.baseline is not None else ""
        print(f"{result.figure}: {result.value:,.3f} {result.unit}{baseline}  aim {result.aim}")
