"""School, dorm buildings and rooms, students, staff, login state, audit log."""
from kiosk.migrations import run_sql

SQL = """
CREATE TABLE "school" ("id" VARCHAR(40) NOT NULL PRIMARY KEY, "name" VARCHAR(255) NOT NULL, "timezone" VARCHAR(255) NOT NULL);
CREATE TABLE "building" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "name" VARCHAR(255) NOT NULL, "gender" VARCHAR(1) NOT NULL);
CREATE INDEX "building_school_id" ON "building" ("school_id");
CREATE UNIQUE INDEX "building_school_id_name" ON "building" ("school_id", "name");
CREATE TABLE "room" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "building_id" VARCHAR(36) NOT NULL, "number" VARCHAR(255) NOT NULL, "beds" INTEGER NOT NULL, FOREIGN KEY ("building_id") REFERENCES "building" ("id"));
CREATE INDEX "room_school_id" ON "room" ("school_id");
CREATE INDEX "room_building_id" ON "room" ("building_id");
CREATE UNIQUE INDEX "room_building_id_number" ON "room" ("building_id", "number");
CREATE TABLE "student" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "number" VARCHAR(255) NOT NULL, "name" VARCHAR(255) NOT NULL, "initials" VARCHAR(255) NOT NULL, "gender" VARCHAR(1) NOT NULL, "grade" VARCHAR(255) NOT NULL, "class_name" VARCHAR(255) NOT NULL, "boarder" INTEGER NOT NULL, "room_id" VARCHAR(36), "bed" INTEGER, "guardian_name" VARCHAR(255) NOT NULL, "guardian_phone" VARCHAR(255) NOT NULL, "active" INTEGER NOT NULL, "updated_at" TEXT NOT NULL, FOREIGN KEY ("room_id") REFERENCES "room" ("id"));
CREATE INDEX "student_school_id" ON "student" ("school_id");
CREATE INDEX "student_room_id" ON "student" ("room_id");
CREATE UNIQUE INDEX "student_school_id_number" ON "student" ("school_id", "number");
CREATE INDEX "student_room_id_bed" ON "student" ("room_id", "bed");
CREATE TABLE "staff" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "number" VARCHAR(255) NOT NULL, "name" VARCHAR(255) NOT NULL, "initials" VARCHAR(255) NOT NULL, "roles" VARCHAR(255) NOT NULL, "class_name" VARCHAR(255) NOT NULL, "phone" VARCHAR(255) NOT NULL, "card_code" VARCHAR(255) NOT NULL, "pin_hash" VARCHAR(255) NOT NULL, "active" INTEGER NOT NULL, "updated_at" TEXT NOT NULL);
CREATE INDEX "staff_school_id" ON "staff" ("school_id");
CREATE UNIQUE INDEX "staff_school_id_number" ON "staff" ("school_id", "number");
CREATE TABLE "login_state" ("staff_id" VARCHAR(36) NOT NULL PRIMARY KEY, "failures" INTEGER NOT NULL, "locked_until" TEXT);
CREATE TABLE "audit_entry" ("seq" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "id" VARCHAR(36) NOT NULL, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "at" TEXT NOT NULL, "action" VARCHAR(255) NOT NULL, "entity" VARCHAR(255) NOT NULL, "entity_id" VARCHAR(255) NOT NULL, "detail" TEXT NOT NULL, "prev_hash" VARCHAR(64) NOT NULL, "hash" VARCHAR(64) NOT NULL);
CREATE UNIQUE INDEX "audit_entry_id" ON "audit_entry" ("id");
CREATE TABLE "local_state" ("key" VARCHAR(255) NOT NULL PRIMARY KEY, "value" TEXT NOT NULL);
"""


def up(db, migrator):
    run_sql(db, SQL)
