"""Overnight guests approved ahead: the head teacher's approval (office, daytime) and its revocation; the dorm's
guest row points at the approval it used (nullable: without one both PINs are given at the dorm)."""
from kiosk.migrations import run_sql

SQL = """
CREATE TABLE "guest_approval" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "student_id" VARCHAR(36) NOT NULL, "guest_name" VARCHAR(255) NOT NULL, "id_masked" VARCHAR(255) NOT NULL, "relation" VARCHAR(255) NOT NULL, "first_night" VARCHAR(10) NOT NULL, "last_night" VARCHAR(10) NOT NULL, "note" VARCHAR(255) NOT NULL, "teacher_id" VARCHAR(36) NOT NULL, "teacher_name" VARCHAR(255) NOT NULL, FOREIGN KEY ("student_id") REFERENCES "student" ("id"));
CREATE INDEX "guest_approval_school_id" ON "guest_approval" ("school_id");
CREATE INDEX "guest_approval_student_id" ON "guest_approval" ("student_id");
CREATE INDEX "guest_approval_school_id_last_night" ON "guest_approval" ("school_id", "last_night");
CREATE TABLE "guest_approval_revocation" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "approval_id" VARCHAR(36) NOT NULL, "reason" VARCHAR(255) NOT NULL, FOREIGN KEY ("approval_id") REFERENCES "guest_approval" ("id"));
CREATE INDEX "guest_approval_revocation_school_id" ON "guest_approval_revocation" ("school_id");
CREATE INDEX "guest_approval_revocation_approval_id" ON "guest_approval_revocation" ("approval_id");
ALTER TABLE "overnight_guest" ADD COLUMN "approval_id" VARCHAR(36) REFERENCES "guest_approval" ("id");
CREATE INDEX "overnight_guest_approval_id" ON "overnight_guest" ("approval_id")
"""


def up(db, migrator):
    run_sql(db, SQL)
