"""`make bench`: run every bench/bench_*.py and print one table (figure, value, baseline, ratio, aim).

`python -m bench [NAME ...]` runs only the named modules (e.g. `startup slips`). Figures are measurements
taken on this machine in this run, beside baselines measured in the same run; nothing here passes or fails.
"""
from __future__ import annotations

import importlib
import os
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench.common import Result

HERE = Path(__file__).resolve().parent


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{memory}, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3f}"
    return f"{text} {unit}".strip()


def print_table(results: list[tuple[str, Result]]) -> None:
    rows = [("module", "figure", "value", "baseline", "baseline value", "ratio", "aim")]
    for module, r in results:
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else "-"
        rows.append((module, r.figure, fmt(r.value, r.unit), r.baseline_name or "-",
                     fmt(r.baseline, r.unit) if r.baseline is not None else "-", ratio, r.aim or "-"))
    from rich.cells import cell_len

    widths = [max(cell_len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        print("  ".join(cell + " " * (width - cell_len(cell)) for cell, width in zip(row, widths)))
        if index == 0:
            print("  ".join("-" * width for width in widths))


def main(argv: list[str]) -> int:
    names = sorted(path.stem[len("bench_"):] for path in HERE.glob("bench_*.py"))
    chosen = [name for name in names if not argv or name in argv]
    print(f"machine: {machine()}")
    results: list[tuple[str, Result]] = []
    failed = []
    for name in chosen:
        started = time.perf_counter()
        print(f"running {name} ...", flush=True)
        try:
            module = importlib.import_module(f"bench.bench_{name}")
            with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as workdir:
                results.extend((name, result) for result in module.run(Path(workdir)))
        except Exception:
            traceback.print_exc()
            failed.append(name)
        print(f"  {name} took {time.perf_counter() - started:.1f} s", flush=True)
    print()
    print_table(results)
    if failed:
        print(f"\nbenchmarks that failed to run: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
