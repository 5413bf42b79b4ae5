"""`make bench`: run every bench/bench_*.py and print one table (figure, value, baseline, ratio, aim).

`python -m bench [NAME ...]` runs only the named modules (e.g. `startup slips`). Figures are measurements
taken on this machine in this run, beside baselines measured in the same run; nothing here passes or fails.
Modules that set USES_DATASET run on one shared database, bench/dataset.py's five_year_school (built once,
then cached under var/bench-cache/); its size is printed above the table.
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


def dataset_lines(database: Path) -> list[str]:
    from bench import dataset

    info = dataset.describe(database)
    building = dataset.headcount_building(info)
    return [f"dataset: {database.name} (generator v{info['generator_version']}, seed {info['seed']}, "
            f"built in {info['build_seconds']:.0f} s)",
            f"  {info['students']:,} students ({info['boarders']:,} boarders), {info['years']} years to {info['now']}",
            f"  {info['gate_crossing']:,} gate crossings, {info['pass_slip']:,} slips, {info['visit']:,} visits",
            f"  {info['headcount_nights']:,} headcount nights ({info['headcount_round']:,} rounds, "
            f"{info['room_confirm']:,} room confirmations; headcount building {building['name']}, "
            f"{building['beds']} beds)",
            f"  {info['sample']:,} canteen samples, {info['meal']:,} meals",
            f"  file size {info['file_bytes'] / 2**20:,.0f} MiB"]


def main(argv: list[str]) -> int:
    names = sorted(path.stem[len("bench_"):] for path in HERE.glob("bench_*.py"))
    chosen = [name for name in names if not argv or name in argv]
    print(f"machine: {machine()}")
    results: list[tuple[str, Result]] = []
    failed = []
    modules = {}
    for name in chosen:
        try:
            modules[name] = importlib.import_module(f"bench.bench_{name}")
        except Exception:
            traceback.print_exc()
            failed.append(name)
    database = None
    if any(getattr(module, "USES_DATASET", False) for module in modules.values()):
        from bench import dataset

        try:
            database = dataset.five_year_school()  # built here, so no benchmark's time includes the build
        except Exception:
            traceback.print_exc()
            failed.extend(name for name, module in modules.items() if getattr(module, "USES_DATASET", False))
            modules = {name: module for name, module in modules.items() if name not in failed}
    for name, module in modules.items():
        started = time.perf_counter()
        print(f"running {name} ...", flush=True)
        try:
            with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as workdir:
                results.extend((name, result) for result in module.run(Path(workdir)))
        except Exception:
            traceback.print_exc()
            failed.append(name)
        print(f"  {name} took {time.perf_counter() - started:.1f} s", flush=True)
    print()
    print(f"machine: {machine()}")
    if database is not None:
        print("\n".join(dataset_lines(database)))
    print()
    print_table(results)
    if failed:
        print(f"\nbenchmarks that failed to run: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
