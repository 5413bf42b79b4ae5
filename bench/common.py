"""What every benchmark module returns, and small timing helpers.

A module `bench/bench_<area>.py` defines `run(workdir: Path) -> list[Result]`; `python -m bench`
(`make bench`) runs them all and prints one table. Figures are measurements, not pass/fail:
each carries a baseline measured in the same run (raw sqlite3, raw psycopg2, a bare Textual app,
bare qrcode + Pillow) and the aim it is judged against.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Result:
    figure: str  # what was measured, e.g. "scan -> verdict p99"
    value: float
    unit: str  # "ms", "s", "rows/s", "MiB", "keys"
    baseline_name: str = ""  # e.g. "raw sqlite3 indexed lookup p99"
    baseline: float | None = None
    aim: str = ""  # e.g. "< 20 ms"

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline


def timings_ms(operation: Callable[[], object], repeat: int, warmup: int = 3,
               setup: Callable[[], object] | None = None) -> list[float]:
    """Milliseconds of each of `repeat` runs of `operation`; `setup` runs before each, untimed."""
    for _ in range(warmup):
        if setup is not None:
            setup()
        operation()
    samples = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        start = time.perf_counter()
        operation()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(samples: list[float]) -> float:
    return statistics.median(samples)
