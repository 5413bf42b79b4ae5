"""Pass slips: signing keys (public halves), slips, approvals, revocations, verbal exceptions,
gate crossings, gate scans and overdue alerts (see kiosk/models/slips.py)."""
from kiosk.migrations import run_sql

SQL = """
CREATE TABLE "slip_key" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "key_id" INTEGER NOT NULL, "public_key" VARCHAR(64) NOT NULL, "label" VARCHAR(255) NOT NULL, "retired_at" TEXT);
CREATE INDEX "slip_key_school_id" ON "slip_key" ("school_id");
CREATE UNIQUE INDEX "slip_key_school_id_key_id" ON "slip_key" ("school_id", "key_id");
CREATE TABLE "pass_slip" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "student_id" VARCHAR(36) NOT NULL, "student_number" VARCHAR(255) NOT NULL, "reason_kind" VARCHAR(16) NOT NULL, "reason_note" VARCHAR(255) NOT NULL, "leave_from" TEXT NOT NULL, "leave_to" TEXT NOT NULL, "return_by" TEXT NOT NULL, "companion_name" VARCHAR(255) NOT NULL, "companion_relation" VARCHAR(255) NOT NULL, "companion_phone" VARCHAR(255) NOT NULL, "required_roles" VARCHAR(255) NOT NULL, "approved_at" TEXT, "key_id" INTEGER NOT NULL, "code" TEXT NOT NULL, FOREIGN KEY ("student_id") REFERENCES "student" ("id"));
CREATE INDEX "pass_slip_school_id" ON "pass_slip" ("school_id");
CREATE INDEX "pass_slip_student_id" ON "pass_slip" ("student_id");
CREATE INDEX "pass_slip_student_id_leave_from" ON "pass_slip" ("student_id", "leave_from");
CREATE INDEX "pass_slip_school_id_leave_from" ON "pass_slip" ("school_id", "leave_from");
CREATE TABLE "slip_approval" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "slip_id" VARCHAR(36) NOT NULL, "role" VARCHAR(32) NOT NULL, "note" VARCHAR(255) NOT NULL, FOREIGN KEY ("slip_id") REFERENCES "pass_slip" ("id"));
CREATE INDEX "slip_approval_school_id" ON "slip_approval" ("school_id");
CREATE INDEX "slip_approval_slip_id" ON "slip_approval" ("slip_id");
CREATE INDEX "slip_approval_slip_id_role" ON "slip_approval" ("slip_id", "role");
CREATE TABLE "slip_revocation" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "slip_id" VARCHAR(36) NOT NULL, "reason" VARCHAR(255) NOT NULL, FOREIGN KEY ("slip_id") REFERENCES "pass_slip" ("id"));
CREATE INDEX "slip_revocation_school_id" ON "slip_revocation" ("school_id");
CREATE INDEX "slip_revocation_slip_id" ON "slip_revocation" ("slip_id");
CREATE TABLE "verbal_exception" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "student_id" VARCHAR(36) NOT NULL, "direction" VARCHAR(8) NOT NULL, "teacher_name" VARCHAR(255) NOT NULL, "teacher_phone" VARCHAR(255) NOT NULL, "teacher_staff_id" VARCHAR(36), "note" VARCHAR(255) NOT NULL, "confirmed_by" VARCHAR(36), "confirmed_at" TEXT, "confirm_note" VARCHAR(255) NOT NULL, FOREIGN KEY ("student_id") REFERENCES "student" ("id"));
CREATE INDEX "verbal_exception_school_id" ON "verbal_exception" ("school_id");
CREATE INDEX "verbal_exception_student_id" ON "verbal_exception" ("student_id");
CREATE INDEX "verbal_exception_school_id_confirmed_at" ON "verbal_exception" ("school_id", "confirmed_at");
CREATE TABLE "gate_crossing" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "student_id" VARCHAR(36) NOT NULL, "direction" VARCHAR(8) NOT NULL, "kind" VARCHAR(20) NOT NULL, "slip_id" VARCHAR(36), "exception_id" VARCHAR(36), "at" TEXT NOT NULL, "return_by" TEXT, "flags" VARCHAR(255) NOT NULL, FOREIGN KEY ("student_id") REFERENCES "student" ("id"));
CREATE INDEX "gate_crossing_school_id" ON "gate_crossing" ("school_id");
CREATE INDEX "gate_crossing_student_id" ON "gate_crossing" ("student_id");
CREATE INDEX "gate_crossing_student_id_at" ON "gate_crossing" ("student_id", "at");
CREATE INDEX "gate_crossing_slip_id_direction" ON "gate_crossing" ("slip_id", "direction");
CREATE INDEX "gate_crossing_school_id_at" ON "gate_crossing" ("school_id", "at");
CREATE TABLE "gate_scan" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "raw" VARCHAR(80) NOT NULL, "verdict" VARCHAR(8) NOT NULL, "reason_code" VARCHAR(32) NOT NULL, "student_id" VARCHAR(36), "slip_id" VARCHAR(36), "detail" TEXT NOT NULL, FOREIGN KEY ("student_id") REFERENCES "student" ("id"));
CREATE INDEX "gate_scan_school_id" ON "gate_scan" ("school_id");
CREATE INDEX "gate_scan_student_id" ON "gate_scan" ("student_id");
CREATE INDEX "gate_scan_school_id_recorded_at" ON "gate_scan" ("school_id", "recorded_at");
CREATE INDEX "gate_scan_verdict_recorded_at" ON "gate_scan" ("verdict", "recorded_at");
CREATE TABLE "overdue_alert" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "slip_id" VARCHAR(36) NOT NULL, "student_id" VARCHAR(36) NOT NULL, "return_by" TEXT NOT NULL, "resolved_at" TEXT, "resolved_by" VARCHAR(36), "resolution" VARCHAR(255) NOT NULL, FOREIGN KEY ("student_id") REFERENCES "student" ("id"));
CREATE INDEX "overdue_alert_school_id" ON "overdue_alert" ("school_id");
CREATE UNIQUE INDEX "overdue_alert_slip_id" ON "overdue_alert" ("slip_id");
CREATE INDEX "overdue_alert_student_id" ON "overdue_alert" ("student_id");
CREATE INDEX "overdue_alert_school_id_resolved_at" ON "overdue_alert" ("school_id", "resolved_at");
"""


def up(db, migrator):
    run_sql(db, SQL)
