"""Slip conflict reviews: a person marks a derived slip conflict (double use, use after revocation) reviewed."""
from kiosk.migrations import run_sql

SQL = """
CREATE TABLE "slip_conflict_review" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "kind" VARCHAR(20) NOT NULL, "crossing_id" VARCHAR(36) NOT NULL, "slip_id" VARCHAR(36) NOT NULL, "note" VARCHAR(255) NOT NULL);
CREATE INDEX "slip_conflict_review_school_id" ON "slip_conflict_review" ("school_id");
CREATE INDEX "slip_conflict_review_school_id_crossing_id" ON "slip_conflict_review" ("school_id", "crossing_id")
"""


def up(db, migrator):
    run_sql(db, SQL)
