"""The fuzz harnesses (fuzz/, issue 8) stay alive: each one's committed corpus replays cleanly here,
without atheris, in the default suite; the slow tier runs each under atheris for a while.

A harness raises when its input breaks the contract of the code it feeds, so a failure here is either
a regression in product code (the corpus holds past crashes, `crash-*`) or a harness out of step with
the code it calls.
"""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fuzz import HARNESSES

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
SLOW_SECONDS = 20


def test_every_harness_module_is_listed_and_has_a_corpus():
    modules = {path.stem for path in (ROOT / "fuzz").glob("*.py") if "def TestOneInput" in path.read_text("utf-8")}
    assert modules == set(HARNESSES)
    for name in HARNESSES:
        assert len(list((CORPUS / name).iterdir())) >= 4, f"fuzz/corpus/{name} needs a handful of seeds"


@pytest.fixture
def keep_database_binding():
    """Harnesses that need a database bind the models to their own demo school; put things back after."""
    from kiosk.models import database_proxy

    before = database_proxy.obj
    yield
    if before is not None:
        database_proxy.initialize(before)


@pytest.mark.parametrize("name", HARNESSES)
def test_harness_replays_its_corpus(name, keep_database_binding):
    harness = importlib.import_module(f"fuzz.{name}")
    inputs = sorted((CORPUS / name).iterdir())
    for path in inputs:
        try:
            harness.TestOneInput(path.read_bytes())
        except Exception as error:  # noqa: BLE001 - name the input, then fail with the original error
            raise AssertionError(f"fuzz/corpus/{name}/{path.name}: {type(error).__name__}: {error}") from error


def test_empty_and_short_inputs_are_valid_for_every_harness(keep_database_binding):
    for name in HARNESSES:
        harness = importlib.import_module(f"fuzz.{name}")
        for data in (b"", b"\x00", b"\xff", bytes(range(8))):
            harness.TestOneInput(data)


@pytest.mark.slow
@pytest.mark.parametrize("name", HARNESSES)
def test_harness_finds_no_crash_under_atheris(name, tmp_path):
    try:
        import atheris  # noqa: F401
    except ImportError:
        pytest.fail("the slow tier fuzzes with atheris: .venv/bin/pip install 'atheris>=3,<4'")
    result = subprocess.run([sys.executable, "-m", "fuzz", name, "--seconds", str(SLOW_SECONDS), "--workdir",
                             str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=SLOW_SECONDS + 120,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    log = "\n".join(line for line in result.stderr.splitlines() if not line.startswith("INFO: Instrumenting"))
    crashes = sorted(path.name for path in (tmp_path / name).glob("crash-*"))
    assert result.returncode == 0 and not crashes, f"{crashes}\n{log[-4000:]}"
    assert "Done" in log and "stat::number_of_executed_units" in log, log[-2000:]
