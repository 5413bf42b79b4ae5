"""Dorm: headcount rounds, room marks and confirmations, whereabouts, incidents and acknowledgements,
extra persons, overnight guests (see kiosk/models/dorm.py)."""
from kiosk.migrations import run_sql

SQL = """
CREATE TABLE "headcount_round" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "building_id" VARCHAR(36) NOT NULL, "night" VARCHAR(10) NOT NULL, "seq" INTEGER NOT NULL, "started_at" TEXT NOT NULL, "submitted_at" TEXT, "submitted_by" VARCHAR(36), "submitted_name" VARCHAR(255) NOT NULL, "summary" TEXT, "summary_hash" VARCHAR(64) NOT NULL, FOREIGN KEY ("building_id") REFERENCES "building" ("id"));
CREATE INDEX "headcount_round_school_id" ON "headcount_round" ("school_id");
CREATE INDEX "headcount_round_building_id" ON "headcount_round" ("building_id");
CREATE UNIQUE INDEX "headcount_round_building_id_night_seq" ON "headcount_round" ("building_id", "night", "seq");
CREATE INDEX "headcount_round_school_id_night" ON "headcount_round" ("school_id", "night");
CREATE TABLE "room_mark" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "round_id" VARCHAR(36) NOT NULL, "room_id" VARCHAR(36) NOT NULL, "student_id" VARCHAR(36) NOT NULL, "present" INTEGER NOT NULL, "reason" VARCHAR(16) NOT NULL, "note" VARCHAR(255) NOT NULL, "method" VARCHAR(8) NOT NULL, FOREIGN KEY ("round_id") REFERENCES "headcount_round" ("id"), FOREIGN KEY ("room_id") REFERENCES "room" ("id"), FOREIGN KEY ("student_id") REFERENCES "student" ("id"));
CREATE INDEX "room_mark_school_id" ON "room_mark" ("school_id");
CREATE INDEX "room_mark_round_id" ON "room_mark" ("round_id");
CREATE INDEX "room_mark_room_id" ON "room_mark" ("room_id");
CREATE INDEX "room_mark_student_id" ON "room_mark" ("student_id");
CREATE UNIQUE INDEX "room_mark_round_id_student_id" ON "room_mark" ("round_id", "student_id");
CREATE TABLE "room_confirm" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "round_id" VARCHAR(36) NOT NULL, "room_id" VARCHAR(36) NOT NULL, "method" VARCHAR(8) NOT NULL, "students" TEXT NOT NULL, "counted" INTEGER, "expected" INTEGER NOT NULL, FOREIGN KEY ("round_id") REFERENCES "headcount_round" ("id"), FOREIGN KEY ("room_id") REFERENCES "room" ("id"));
CREATE INDEX "room_confirm_school_id" ON "room_confirm" ("school_id");
CREATE INDEX "room_confirm_round_id" ON "room_confirm" ("round_id");
CREATE INDEX "room_confirm_room_id" ON "room_confirm" ("room_id");
CREATE INDEX "room_confirm_round_id_room_id" ON "room_confirm" ("round_id", "room_id");
CREATE TABLE "whereabouts" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "student_id" VARCHAR(36) NOT NULL, "kind" VARCHAR(16) NOT NULL, "note" VARCHAR(255) NOT NULL, "since" TEXT NOT NULL, "until" TEXT, "ended_by" VARCHAR(36), FOREIGN KEY ("student_id") REFERENCES "student" ("id"));
CREATE INDEX "whereabouts_school_id" ON "whereabouts" ("school_id");
CREATE INDEX "whereabouts_student_id" ON "whereabouts" ("student_id");
CREATE INDEX "whereabouts_student_id_since" ON "whereabouts" ("student_id", "since");
CREATE INDEX "whereabouts_school_id_until" ON "whereabouts" ("school_id", "until");
CREATE TABLE "incident" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "student_id" VARCHAR(36) NOT NULL, "room_id" VARCHAR(36), "round_id" VARCHAR(36), "night" VARCHAR(10) NOT NULL, "opened_at" TEXT NOT NULL, "note" VARCHAR(255) NOT NULL, "gate_return_at" TEXT, "closed_at" TEXT, "closed_by" VARCHAR(36), "whereabouts" VARCHAR(255) NOT NULL, "confirmed_by" VARCHAR(36), "confirmed_name" VARCHAR(255) NOT NULL, FOREIGN KEY ("student_id") REFERENCES "student" ("id"), FOREIGN KEY ("room_id") REFERENCES "room" ("id"), FOREIGN KEY ("round_id") REFERENCES "headcount_round" ("id"));
CREATE INDEX "incident_school_id" ON "incident" ("school_id");
CREATE INDEX "incident_student_id" ON "incident" ("student_id");
CREATE INDEX "incident_room_id" ON "incident" ("room_id");
CREATE INDEX "incident_round_id" ON "incident" ("round_id");
CREATE INDEX "incident_school_id_closed_at" ON "incident" ("school_id", "closed_at");
CREATE INDEX "incident_school_id_night" ON "incident" ("school_id", "night");
CREATE TABLE "incident_ack" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "incident_id" VARCHAR(36) NOT NULL, "step" INTEGER NOT NULL, "role" VARCHAR(32) NOT NULL, "ack_staff_id" VARCHAR(36) NOT NULL, "ack_name" VARCHAR(255) NOT NULL, "note" VARCHAR(255) NOT NULL, FOREIGN KEY ("incident_id") REFERENCES "incident" ("id"));
CREATE INDEX "incident_ack_school_id" ON "incident_ack" ("school_id");
CREATE INDEX "incident_ack_incident_id" ON "incident_ack" ("incident_id");
CREATE INDEX "incident_ack_incident_id_step" ON "incident_ack" ("incident_id", "step");
CREATE TABLE "extra_person" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "round_id" VARCHAR(36) NOT NULL, "room_id" VARCHAR(36) NOT NULL, "name" VARCHAR(255) NOT NULL, "note" VARCHAR(255) NOT NULL, "student_id" VARCHAR(36), FOREIGN KEY ("round_id") REFERENCES "headcount_round" ("id"), FOREIGN KEY ("room_id") REFERENCES "room" ("id"), FOREIGN KEY ("student_id") REFERENCES "student" ("id"));
CREATE INDEX "extra_person_school_id" ON "extra_person" ("school_id");
CREATE INDEX "extra_person_round_id" ON "extra_person" ("round_id");
CREATE INDEX "extra_person_room_id" ON "extra_person" ("room_id");
CREATE INDEX "extra_person_student_id" ON "extra_person" ("student_id");
CREATE TABLE "overnight_guest" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "room_id" VARCHAR(36) NOT NULL, "night" VARCHAR(10) NOT NULL, "name" VARCHAR(255) NOT NULL, "id_masked" VARCHAR(255) NOT NULL, "relation" VARCHAR(255) NOT NULL, "student_id" VARCHAR(36), "teacher_id" VARCHAR(36) NOT NULL, "teacher_name" VARCHAR(255) NOT NULL, "manager_id" VARCHAR(36) NOT NULL, "manager_name" VARCHAR(255) NOT NULL, FOREIGN KEY ("room_id") REFERENCES "room" ("id"), FOREIGN KEY ("student_id") REFERENCES "student" ("id"));
CREATE INDEX "overnight_guest_school_id" ON "overnight_guest" ("school_id");
CREATE INDEX "overnight_guest_room_id" ON "overnight_guest" ("room_id");
CREATE INDEX "overnight_guest_student_id" ON "overnight_guest" ("student_id");
CREATE INDEX "overnight_guest_room_id_night" ON "overnight_guest" ("room_id", "night");
CREATE INDEX "overnight_guest_school_id_night" ON "overnight_guest" ("school_id", "night");
"""


def up(db, migrator):
    run_sql(db, SQL)
