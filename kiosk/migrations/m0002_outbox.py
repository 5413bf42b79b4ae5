"""The outbox: every fact's row snapshot, queued in the fact's own transaction for the sync worker."""
from kiosk.migrations import run_sql

SQL = """
CREATE TABLE "outbox" ("seq" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "table_name" VARCHAR(255) NOT NULL, "row_id" VARCHAR(36) NOT NULL, "op" VARCHAR(8) NOT NULL, "payload" TEXT NOT NULL, "created_at" TEXT NOT NULL, "acked_at" TEXT);
CREATE INDEX "outbox_acked_at" ON "outbox" ("acked_at");
"""


def up(db, migrator):
    run_sql(db, SQL)
