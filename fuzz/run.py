"""Run fuzz harnesses under atheris for a time budget: `python -m fuzz NAME [NAME ...] --seconds N`.

Each harness runs in its own process (libFuzzer exits the process when it stops, and atheris only
instruments modules imported after it starts). New inputs atheris finds go to `var/fuzz/<name>/corpus/`,
never into the committed seed corpus `fuzz/corpus/<name>/`; a crashing input is written to
`var/fuzz/<name>/crash-*` and the run exits non-zero. Copy a crash you have fixed into the seed corpus,
so the default suite replays it from then on.
"""
from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import time
from pathlib import Path

from fuzz import HARNESSES

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fuzz" / "corpus"
DEFAULT_WORKDIR = ROOT / "var" / "fuzz"
# Product code and the pure-Python parsers it leans on: coverage there is what guides the fuzzer.
INSTRUMENTED = ["kiosk", "fuzz", "tomllib", "openpyxl", "stdnum", "zipfile", "csv", "base64"]
SLOW_INPUT_SECONDS = 10  # a single input slower than this is a finding (a scan must answer in well under 1 s)


def libfuzzer_args(name: str, seconds: int, workdir: Path, runs: int | None, extra: list[str]) -> list[str]:
    out = workdir / name
    found = out / "corpus"
    found.mkdir(parents=True, exist_ok=True)
    args = [f"fuzz-{name}", f"-max_total_time={seconds}", f"-artifact_prefix={out}/", f"-timeout={SLOW_INPUT_SECONDS}",
            "-rss_limit_mb=4096", "-print_final_stats=1"]
    if runs is not None:
        args.append(f"-runs={runs}")
    # libFuzzer writes what it finds into the first corpus folder and only reads the others.
    return [*args, *extra, str(found), str(SEEDS / name)]


def run_child(name: str, seconds: int, workdir: Path, runs: int | None, extra: list[str]) -> None:
    import shutil
    import tempfile

    import atheris

    # libFuzzer ends the process with _exit, so the harnesses' atexit clean-up never runs: their
    # scratch (a demo database, files to import) goes here instead and is emptied on the next run.
    scratch = workdir / name / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    tempfile.tempdir = str(scratch)

    with atheris.instrument_imports(include=INSTRUMENTED):
        harness = importlib.import_module(f"fuzz.{name}")
    prepare = getattr(harness, "prepare", None)
    if prepare is not None:
        prepare()  # one-off set-up (a demo database) must not count as a slow first input
    atheris.Setup(libfuzzer_args(name, seconds, workdir, runs, extra), harness.TestOneInput)
    atheris.Fuzz()  # exits the process


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="+", metavar="NAME", help=f"harness names or 'all': {', '.join(HARNESSES)}")
    parser.add_argument("--seconds", type=int, default=60, help="time budget per harness (default 60)")
    parser.add_argument("--runs", type=int, default=None, help="stop after this many inputs (libFuzzer -runs)")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="where found inputs and crashes go")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.epilog = "Arguments after -- go to libFuzzer as they are (e.g. -- -jobs=4 -dict=FILE)."
    extra: list[str] = []
    if "--" in argv:
        argv, extra = argv[:argv.index("--")], argv[argv.index("--") + 1:]
    args = parser.parse_args(argv)
    args.extra = extra
    names = list(HARNESSES) if args.names == ["all"] else args.names
    unknown = [n for n in names if n not in HARNESSES]
    if unknown:
        parser.error(f"unknown harness {', '.join(unknown)}; known: {', '.join(HARNESSES)}")
    args.names = names
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.child:
        run_child(args.names[0], args.seconds, args.workdir, args.runs, args.extra)
        return 0
    try:
        import atheris  # noqa: F401
    except ImportError:
        print("atheris is not installed: .venv/bin/pip install 'atheris>=3,<4'", file=sys.stderr)
        return 2
    failed = []
    for name in args.names:
        command = [sys.executable, "-m", "fuzz", name, "--child", "--seconds", str(args.seconds),
                   "--workdir", str(args.workdir)]
        if args.runs is not None:
            command += ["--runs", str(args.runs)]
        if args.extra:
            command += ["--", *args.extra]
        started = time.monotonic()
        code = subprocess.run(command, cwd=ROOT).returncode
        verdict = "ok" if code == 0 else f"FAILED (exit {code}; input in {args.workdir / name}/)"
        print(f"fuzz {name}: {time.monotonic() - started:.0f} s, {verdict}", file=sys.stderr)
        if code != 0:
            failed.append(name)
    return 1 if failed else 0
