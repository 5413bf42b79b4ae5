"""The visitor's sex, as read from an ID card (male | female | unknown | unstated; "" when the form was typed):
the register keeps name, sex and ID number from a card by default. Cleared by the retention purge with the name."""
from kiosk.migrations import run_sql

SQL = """
ALTER TABLE "visit" ADD COLUMN "sex" VARCHAR(10) NOT NULL DEFAULT ''
"""


def up(db, migrator):
    run_sql(db, SQL)
