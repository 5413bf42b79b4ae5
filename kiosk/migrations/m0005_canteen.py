"""Canteen food sample retention: meals, menu dishes, samples, disposals, incident holds, meal checks."""
from kiosk.migrations import run_sql

SQL = """
CREATE TABLE "meal" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "meal_date" DATE NOT NULL, "kind" VARCHAR(10) NOT NULL, "name" VARCHAR(255) NOT NULL, "service_time" VARCHAR(5) NOT NULL);
CREATE INDEX "meal_school_id" ON "meal" ("school_id");
CREATE INDEX "meal_school_id_meal_date" ON "meal" ("school_id", "meal_date");
CREATE TABLE "menu_dish" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "meal_id" VARCHAR(36) NOT NULL, "name" VARCHAR(255) NOT NULL, "position" INTEGER NOT NULL, "removed_at" TEXT, "removed_by" VARCHAR(36));
CREATE INDEX "menu_dish_school_id" ON "menu_dish" ("school_id");
CREATE INDEX "menu_dish_meal_id" ON "menu_dish" ("meal_id");
CREATE TABLE "sample" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "meal_id" VARCHAR(36) NOT NULL, "dish_id" VARCHAR(36) NOT NULL, "meal_date" DATE NOT NULL, "meal_kind" VARCHAR(10) NOT NULL, "dish_name" VARCHAR(255) NOT NULL, "grams" INTEGER NOT NULL, "sampled_at" TEXT NOT NULL, "sampler_id" VARCHAR(36) NOT NULL, "sampler_name" VARCHAR(255) NOT NULL, "fridge" VARCHAR(255) NOT NULL, "shelf" VARCHAR(255) NOT NULL, "temperature_c" REAL, "retention_hours" INTEGER NOT NULL, "disposable_at" TEXT NOT NULL, "label_code" VARCHAR(16) NOT NULL);
CREATE INDEX "sample_school_id" ON "sample" ("school_id");
CREATE INDEX "sample_meal_id" ON "sample" ("meal_id");
CREATE INDEX "sample_dish_id" ON "sample" ("dish_id");
CREATE UNIQUE INDEX "sample_label_code" ON "sample" ("label_code");
CREATE INDEX "sample_school_id_meal_date" ON "sample" ("school_id", "meal_date");
CREATE INDEX "sample_school_id_disposable_at" ON "sample" ("school_id", "disposable_at");
CREATE TABLE "sample_disposal" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "sample_id" VARCHAR(36) NOT NULL, "disposed_at" TEXT NOT NULL, "disposer_id" VARCHAR(36) NOT NULL, "disposer_name" VARCHAR(255) NOT NULL, "reviewer_id" VARCHAR(36), "reviewer_name" VARCHAR(255) NOT NULL, "note" VARCHAR(255) NOT NULL);
CREATE INDEX "sample_disposal_school_id" ON "sample_disposal" ("school_id");
CREATE UNIQUE INDEX "sample_disposal_sample_id" ON "sample_disposal" ("sample_id");
CREATE TABLE "incident_hold" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "start_date" DATE NOT NULL, "end_date" DATE NOT NULL, "reason" VARCHAR(255) NOT NULL, "set_by_name" VARCHAR(255) NOT NULL, "released_at" TEXT, "released_by" VARCHAR(36), "release_reason" VARCHAR(255) NOT NULL);
CREATE INDEX "incident_hold_school_id" ON "incident_hold" ("school_id");
CREATE TABLE "meal_check" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "staff_id" VARCHAR(36), "recorded_at" TEXT NOT NULL, "meal_id" VARCHAR(36) NOT NULL, "kind" VARCHAR(10) NOT NULL, "person_name" VARCHAR(255) NOT NULL, "person_id" VARCHAR(36), "ok" INTEGER NOT NULL, "feedback" VARCHAR(255) NOT NULL);
CREATE INDEX "meal_check_school_id" ON "meal_check" ("school_id");
CREATE INDEX "meal_check_meal_id" ON "meal_check" ("meal_id");
"""


def up(db, migrator):
    run_sql(db, SQL)
