"""Cold start of `kiosk run` to an interactive login screen, and resident memory at the gate, on the
5-year database (bench/dataset.py's five_year_school, a private copy: the station writes its state),
beside a bare Textual app started the same way in the same run."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from bench import dataset
from bench.common import Result, median

USES_DATASET = True

RUNS = 5

# Each probe runs in a fresh interpreter, headless, and reports when its first screen is ready
# to take keys: time since the interpreter started, and peak resident memory.
KIOSK_PROBE = """
import time, json, sys
from kiosk import cli
from kiosk.app import KioskApp
settings = cli.load_settings(cli.build_parser().parse_args(["run", "--db", sys.argv[1], "--station", "gate"]))
from kiosk.db import open_database
open_database(settings.database_path())
class Probe(KioskApp):
    def on_ready(self):  # Textual's Ready: the first frame is on screen and keys are taken
        elapsed = time.perf_counter() - START
        print(json.dumps({"seconds": elapsed, "rss_mib": peak_rss_mib()}))
        self.exit()
Probe(settings).run(headless=True, size=(120, 36))
"""

BARE_PROBE = """
import time, json
from textual.app import App
from textual.widgets import Input, Static
class Bare(App):
    def compose(self):
        yield Static("login")
        yield Input()
        yield Input(password=True)
    def on_ready(self):
        print(json.dumps({"seconds": time.perf_counter() - START,
                          "rss_mib": peak_rss_mib()}))
        self.exit()
Bare().run(headless=True, size=(120, 36))
"""

# Peak resident memory of this process image. Not ru_maxrss: Linux carries the parent's peak across exec,
# so a probe started by a big benchmark process would report the parent's memory.
PRELUDE = """import time
START = time.perf_counter()
def peak_rss_mib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
"""


def isolated_env(workdir: Path) -> dict[str, str]:
    """Keep the benchmark's keys, labels and config out of the user's own XDG directories."""
    import os

    return {**os.environ, "XDG_DATA_HOME": str(workdir / "data"), "XDG_CONFIG_HOME": str(workdir / "config")}


def probe(code: str, *args: str, env: dict[str, str] | None = None) -> dict:
    # -X importtime is not used: we want the wall time a gatekeeper waits, interpreter start included.
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", PRELUDE + code, *args], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"probe exited with {out.returncode}: {out.stderr.strip()[-2000:]}")
    total = time.perf_counter() - started
    data = json.loads(out.stdout.strip().splitlines()[-1])
    data["wall"] = total  # includes interpreter start-up and exit
    return data


def run(workdir: Path, quick: bool = False) -> list[Result]:
    source = dataset.five_year_school(years=1, scale="small") if quick else dataset.five_year_school()
    database = dataset.copy_to(source, workdir, "gate.sqlite3")
    name = dataset.label(dataset.describe(source))
    env = isolated_env(workdir)
    kiosk = [probe(KIOSK_PROBE, str(database), env=env) for _ in range(RUNS)]
    bare = [probe(BARE_PROBE, env=env) for _ in range(RUNS)]
    return [
        Result(f"cold start to interactive login (in-process), {name}", median([k["seconds"] for k in kiosk]) * 1000,
               "ms", "bare Textual app", median([b["seconds"] for b in bare]) * 1000, "< 1,500 ms"),
        Result(f"cold start, process wall time incl. interpreter, {name}", median([k["wall"] for k in kiosk]) * 1000,
               "ms", "bare Textual app", median([b["wall"] for b in bare]) * 1000, "< 2,000 ms"),
        Result(f"resident memory at the gate login, {name}", median([k["rss_mib"] for k in kiosk]), "MiB",
               "bare Textual app", median([b["rss_mib"] for b in bare]), "< 2x bare"),
    ]
