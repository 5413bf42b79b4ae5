"""Gate scan -> verdict (Ed25519 verify + lookups + rules), warm, on the 5-year database.

The database is bench/dataset.py's five_year_school (the demo school at ~5,000 students plus 5 years of
gate history: day students' cards twice a school day, boarders' weekends at home and their slips). The
codes scanned are the slips the generator issued for today through the write path (valid for exit now).
Baseline in the same run: a raw sqlite3 indexed lookup of a student's latest crossings.

Run alone: `python -m bench.bench_slips [WORKDIR] [--quick]` (--quick: a 1-year small school).
"""
from __future__ import annotations

import sqlite3
import sys
import tempfile
from pathlib import Path

from bench import dataset
from bench.common import Result, percentile, timings_ms

USES_DATASET = True


def todays_codes(database: Path) -> list[tuple[str, str]]:
    """(code, student id) of every slip valid for exit at dataset.NOW that has not been used."""
    con = sqlite3.connect(str(database))
    try:
        now = dataset.stamp(dataset.NOW.timestamp())
        return con.execute("""SELECT p.code, p.student_id FROM pass_slip p WHERE p.leave_from <= ? AND p.leave_to > ?
            AND p.approved_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM gate_crossing c WHERE c.slip_id = p.id)
            AND NOT EXISTS (SELECT 1 FROM slip_revocation r WHERE r.slip_id = p.id) ORDER BY p.id""",
                           (now, now)).fetchall()
    finally:
        con.close()


def run(workdir: Path, quick: bool = False) -> list[Result]:
    from kiosk import clock
    from kiosk.config import Settings
    from kiosk.db import close_database, open_database
    from kiosk.services.slips_gate import check_code

    source = dataset.five_year_school(years=1, scale="small") if quick else dataset.five_year_school()
    info = dataset.describe(source)
    settings = Settings()
    settings.database.path = str(dataset.copy_to(source, workdir, "bench_slips.sqlite3"))
    codes = todays_codes(Path(settings.database.path))
    assert codes, "the dataset has no slip valid now"
    now = dataset.NOW
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
    crossings = f"{info['gate_crossing'] / 1e6:.2f}M crossings"
    return [
        Result(f"slips: scan -> verdict p50 (warm), {dataset.label(info)}, {crossings}",
               percentile(samples, 50), "ms", "raw sqlite3 indexed lookup p50", percentile(baseline, 50), "< 20 ms"),
        Result(f"slips: scan -> verdict p99 (warm), {dataset.label(info)}, {crossings}",
               percentile(samples, 99), "ms",
               "raw sqlite3 indexed lookup p99", percentile(baseline, 99), "< 20 ms"),
    ]


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--quick"]
    folder = Path(args[0]) if args else Path(tempfile.mkdtemp(prefix="bench-slips-"))
    for result in run(folder, quick=quick):
        baseline = f"  ({result.baseline_name}: {result.baseline:.3f})" if result.baseline is not None else ""
        print(f"{result.figure}: {result.value:,.3f} {result.unit}{baseline}  aim {result.aim}")
