"""Gate visitors: visits, watchlist entries and decisions, patrol rounds, shift handovers."""
from kiosk.migrations import run_sql

SQL = """
CREATE TABLE "visit" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "status" VARCHAR(10) NOT NULL, "id_type" VARCHAR(10) NOT NULL, "id_number" VARCHAR(255) NOT NULL, "name" VARCHAR(255) NOT NULL, "phone" VARCHAR(255) NOT NULL, "category" VARCHAR(12) NOT NULL, "unit" VARCHAR(255) NOT NULL, "reason" VARCHAR(255) NOT NULL, "host_kind" VARCHAR(8) NOT NULL, "host_id" VARCHAR(36) NOT NULL, "host_name" VARCHAR(255) NOT NULL, "companions" INTEGER NOT NULL, "companion_names" VARCHAR(255) NOT NULL, "vehicle_plate" VARCHAR(255) NOT NULL, "items" VARCHAR(255) NOT NULL, "time_in" TEXT NOT NULL, "expected_leave_at" TEXT, "time_out" TEXT, "out_staff_id" VARCHAR(36), "out_station_id" VARCHAR(40), "night" INTEGER NOT NULL, "duty_leader" VARCHAR(255) NOT NULL, "code" VARCHAR(16) NOT NULL, "purged_at" TEXT);
CREATE INDEX "visit_school_id" ON "visit" ("school_id");
CREATE INDEX "visit_school_id_id_number" ON "visit" ("school_id", "id_number");
CREATE INDEX "visit_school_id_time_out_status" ON "visit" ("school_id", "time_out", "status");
CREATE INDEX "visit_school_id_time_in" ON "visit" ("school_id", "time_in");
CREATE INDEX "visit_school_id_code" ON "visit" ("school_id", "code");
CREATE TABLE "watchlist_entry" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "id_number" VARCHAR(255) NOT NULL, "name" VARCHAR(255) NOT NULL, "level" VARCHAR(8) NOT NULL, "reason" VARCHAR(255) NOT NULL, "expires_at" TEXT, "active" INTEGER NOT NULL, "revoked_at" TEXT, "revoked_by" VARCHAR(36));
CREATE INDEX "watchlist_entry_school_id" ON "watchlist_entry" ("school_id");
CREATE TABLE "watchlist_decision" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "visit_id" VARCHAR(36) NOT NULL, "entry_id" VARCHAR(36) NOT NULL, "level" VARCHAR(8) NOT NULL, "match_kind" VARCHAR(8) NOT NULL, "decision" VARCHAR(8) NOT NULL, "reason" VARCHAR(255) NOT NULL, "approver_id" VARCHAR(36), "approver_name" VARCHAR(255) NOT NULL);
CREATE INDEX "watchlist_decision_school_id" ON "watchlist_decision" ("school_id");
CREATE INDEX "watchlist_decision_visit_id" ON "watchlist_decision" ("visit_id");
CREATE TABLE "patrol_round" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "place" VARCHAR(255) NOT NULL, "findings" VARCHAR(255) NOT NULL, "all_clear" INTEGER NOT NULL);
CREATE INDEX "patrol_round_school_id" ON "patrol_round" ("school_id");
CREATE TABLE "shift_handover" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "outgoing_id" VARCHAR(36) NOT NULL, "outgoing_name" VARCHAR(255) NOT NULL, "incoming_id" VARCHAR(36) NOT NULL, "incoming_name" VARCHAR(255) NOT NULL, "onsite_count" INTEGER NOT NULL, "open_items" TEXT NOT NULL, "notes" TEXT NOT NULL);
CREATE INDEX "shift_handover_school_id" ON "shift_handover" ("school_id");
"""


def up(db, migrator):
    run_sql(db, SQL)
