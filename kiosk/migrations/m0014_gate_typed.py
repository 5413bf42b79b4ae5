"""A student number typed by hand at the gate, not scanned, is marked on the scan log and on the crossing
(issue 14): a typed number lets a student through on the slip on file, so the record says it was typed."""
from kiosk.migrations import run_sql

SQL = """
ALTER TABLE "gate_scan" ADD COLUMN "typed" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "gate_crossing" ADD COLUMN "typed" INTEGER NOT NULL DEFAULT 0
"""


def up(db, migrator):
    run_sql(db, SQL)
