"""Cold start of `kiosk run` to an interactive login screen, and resident memory at the gate,
beside a bare Textual app started the same way in the same run."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from bench.common import Result, median

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
    out = subprocess.run([sys.executable, "-c", PRELUDE + code, *args], capture_output=True, text=True, check=True, env=env)
    total = time.perf_counter() - started
    data = json.loads(out.stdout.strip().splitlines()[-1])
    data["wall"] = total  # includes interpreter start-up and exit
    return data


def demo_database(workdir: Path) -> Path:
    path = workdir / "demo.sqlite3"
    subprocess.run([sys.executable, "-m", "kiosk", "demo", "--db", str(path)], check=True, capture_output=True,
                   env=isolated_env(workdir))
    return path


def run(workdir: Path) -> list[Result]:
    database = demo_database(workdir)
    env = isolated_env(workdir)
    kiosk = [probe(KIOSK_PROBE, str(database), env=env) for _ in range(RUNS)]
    bare = [probe(BARE_PROBE, env=env) for _ in range(RUNS)]
    return [
        Result("cold start to interactive login (in-process)", median([k["seconds"] for k in kiosk]) * 1000, "ms",
               "bare Textual app", median([b["seconds"] for b in bare]) * 1000, "< 1,500 ms"),
        Result("cold start, process wall time incl. interpreter", median([k["wall"] for k in kiosk]) * 1000, "ms",
               "bare Textual app", median([b["wall"] for b in bare]) * 1000, "< 2,000 ms"),
        Result("resident memory at the gate login (demo school)", median([k["rss_mib"] for k in kiosk]), "MiB",
               "bare Textual app", median([b["rss_mib"] for b in bare]), "< 2x bare"),
    ]
