"""Coverage-guided fuzz harnesses (atheris), one per place input enters the kiosk.

Each harness is a module `fuzz/<name>.py` with `TestOneInput(data: bytes)`: it feeds the bytes to the real
parsing code and asserts that code's contract (only the documented user-error type escapes; anything
accepted is well formed). A harness raises AssertionError, or lets the unexpected exception through,
when the contract breaks: that is what atheris reports as a crash.

    python -m fuzz NAME --seconds 60     # one harness under atheris (pip install atheris)
    python -m fuzz all --seconds 60      # each harness in turn

The seed corpus for each harness is `fuzz/corpus/<name>/` (small, committed). tests/test_fuzz_corpus.py
replays it without atheris in the default suite, so the harnesses cannot rot.

This package must not import `kiosk` at import time: atheris instruments only modules imported after
it starts, and `kiosk` has to be among them.
"""

HARNESSES = ("slip", "scan", "id_number", "phone", "visit_form", "roster", "config", "canteen", "idcard")
