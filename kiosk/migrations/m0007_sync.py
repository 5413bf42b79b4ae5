"""Sync: pull cursors, row versions, dead letters, conflicts; outbox transaction id and HLC stamp.

`outbox.txn` is filled by a trigger on audit_entry: kiosk.services.facts.record() writes its outbox
rows and then exactly one audit entry in the same transaction, so every outbox row still without a
txn when that audit entry lands belongs to it. The push never splits rows sharing a txn.
`outbox.hlc` is the hybrid logical clock stamp given to a row before its first push (kiosk.sync.hlc).
"""
from kiosk.migrations import run_sql

SQL = """
CREATE TABLE "sync_cursor" ("stream" VARCHAR(255) NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "server_seq" INTEGER NOT NULL, "verified_count" INTEGER, "verified_checksum" VARCHAR(255), "converged" INTEGER NOT NULL, "refetches" INTEGER NOT NULL, "updated_at" TEXT);
CREATE TABLE "sync_row_version" ("table_name" VARCHAR(255) NOT NULL, "row_id" VARCHAR(36) NOT NULL, "hlc" INTEGER NOT NULL, "station_id" VARCHAR(40) NOT NULL, PRIMARY KEY ("table_name", "row_id"));
CREATE TABLE "sync_dead_letter" ("id" INTEGER NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "outbox_seq" INTEGER NOT NULL, "epoch" INTEGER NOT NULL, "table_name" VARCHAR(255) NOT NULL, "row_id" VARCHAR(255) NOT NULL, "reason" VARCHAR(255) NOT NULL, "payload" TEXT NOT NULL, "at" TEXT NOT NULL);
CREATE UNIQUE INDEX "sync_dead_letter_epoch_outbox_seq" ON "sync_dead_letter" ("epoch", "outbox_seq");
CREATE TABLE "sync_conflict" ("id" INTEGER NOT NULL PRIMARY KEY, "school_id" VARCHAR(40) NOT NULL, "server_seq" INTEGER NOT NULL, "kind" VARCHAR(255) NOT NULL, "table_name" VARCHAR(255) NOT NULL, "row_id" VARCHAR(255) NOT NULL, "station_id" VARCHAR(40) NOT NULL, "other_station_id" VARCHAR(40) NOT NULL, "detail" TEXT NOT NULL, "at" TEXT NOT NULL);
CREATE INDEX "sync_conflict_server_seq" ON "sync_conflict" ("server_seq");
ALTER TABLE "outbox" ADD COLUMN "txn" INTEGER;
ALTER TABLE "outbox" ADD COLUMN "hlc" INTEGER;
UPDATE "outbox" SET "txn" = "seq";
CREATE INDEX "outbox_txn_missing" ON "outbox" ("seq") WHERE "txn" IS NULL;
CREATE INDEX "outbox_pending" ON "outbox" ("seq") WHERE "acked_at" IS NULL
"""

# A trigger body contains semicolons, so it is executed on its own.
TRIGGER = """
CREATE TRIGGER "outbox_txn_from_audit" AFTER INSERT ON "audit_entry"
BEGIN
  UPDATE "outbox" SET "txn" = NEW."seq" WHERE "txn" IS NULL;
END
"""


def up(db, migrator):
    run_sql(db, SQL)
    db.execute_sql(TRIGGER)
