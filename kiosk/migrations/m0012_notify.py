"""Notifications (issue 17): the notification fact (one message, one recipient, one channel, one owner
station), its delivery receipts, and guardians' opt-outs. All three sync like any fact."""
from kiosk.migrations import run_sql

SQL = """
CREATE TABLE "notification" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "owner_station_id" VARCHAR(40) NOT NULL, "dedupe_key" VARCHAR(255) NOT NULL, "event" VARCHAR(24) NOT NULL, "subject_id" VARCHAR(36) NOT NULL, "step" INTEGER NOT NULL, "recipient_role" VARCHAR(60) NOT NULL, "recipient_id" VARCHAR(36) NOT NULL, "recipient_name" VARCHAR(255) NOT NULL, "address" VARCHAR(255) NOT NULL, "channel" VARCHAR(12) NOT NULL, "params" TEXT NOT NULL, "due_at" TEXT NOT NULL, "status" VARCHAR(12) NOT NULL, "attempts" INTEGER NOT NULL, "next_try_at" TEXT, "sending_since" TEXT, "sent_at" TEXT, "reason" VARCHAR(255) NOT NULL);
CREATE INDEX "notification_school_id" ON "notification" ("school_id");
CREATE UNIQUE INDEX "notification_dedupe_key" ON "notification" ("dedupe_key");
CREATE INDEX "notification_owner_station_id_status_due_at" ON "notification" ("owner_station_id", "status", "due_at");
CREATE INDEX "notification_event_subject_id" ON "notification" ("event", "subject_id");
CREATE TABLE "notification_receipt" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "notification_id" VARCHAR(36) NOT NULL, "attempt" INTEGER NOT NULL, "outcome" VARCHAR(12) NOT NULL, "code" VARCHAR(255) NOT NULL, "reason" VARCHAR(255) NOT NULL, FOREIGN KEY ("notification_id") REFERENCES "notification" ("id"));
CREATE INDEX "notification_receipt_school_id" ON "notification_receipt" ("school_id");
CREATE INDEX "notification_receipt_notification_id" ON "notification_receipt" ("notification_id");
CREATE TABLE "guardian_opt_out" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "student_id" VARCHAR(36) NOT NULL, "opted_out" INTEGER NOT NULL, "note" VARCHAR(255) NOT NULL, FOREIGN KEY ("student_id") REFERENCES "student" ("id"));
CREATE INDEX "guardian_opt_out_school_id" ON "guardian_opt_out" ("school_id");
CREATE INDEX "guardian_opt_out_student_id" ON "guardian_opt_out" ("student_id")
"""


def up(db, migrator):
    run_sql(db, SQL)
