"""Station names: each station announces its [station] name and kind, so others can show them."""
from kiosk.migrations import run_sql

SQL = """
CREATE TABLE "station_info" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "name" VARCHAR(60) NOT NULL, "kind" VARCHAR(10) NOT NULL, "updated_at" TEXT NOT NULL);
CREATE INDEX "station_info_school_id" ON "station_info" ("school_id")
"""


def up(db, migrator):
    run_sql(db, SQL)
