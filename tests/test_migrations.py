"""Migrations build the schema the models describe, and upgrade an older database keeping its rows."""
import peewee

from kiosk import migrations
from kiosk.db import open_database
from kiosk.models import all_models, database_proxy


def columns(db, table):
    return {row[1]: row[2].upper() for row in db.execute_sql(f'PRAGMA table_info("{table}")')}


def test_migrated_schema_matches_the_models(db):
    for model in all_models():
        table = model._meta.table_name
        actual = columns(db, table)
        assert actual, f"table {table} was not created by any migration"
        for field in model._meta.sorted_fields:
            assert field.column_name in actual, f"{table}.{field.column_name} missing from migrations"


def test_every_model_index_exists(db):
    existing = {row[1] for row in db.execute_sql("SELECT type, name FROM sqlite_master WHERE type = 'index'")}
    for model in all_models():
        for index in model._schema._create_indexes(safe=False):
            sql = index.query()[0]
            name = sql.split('"')[1]
            assert name in existing, f"index {name} missing from migrations"


def test_upgrade_from_the_first_migration_keeps_rows(tmp_path):
    path = tmp_path / "old.sqlite3"
    old = peewee.SqliteDatabase(str(path))
    migrations.migrate(old, upto="m0001_core")
    old.execute_sql("INSERT INTO school (id, name, timezone) VALUES ('demo', '老数据中学', 'Asia/Shanghai')")
    assert "outbox" not in old.get_tables()
    old.close()
    db = open_database(path)
    assert "outbox" in db.get_tables()
    assert db.execute_sql("SELECT name FROM school").fetchone()[0] == "老数据中学"
    assert migrations.migrate(db) == []  # idempotent
    database_proxy.obj.close()
