"""Central's SQL column checks (validation.sql_table_check, run inside sync_push) and a station's Python checks
(validation.payload_problem, run on each pulled row) give the same verdict for every value: a row central
accepts but a pulling station refuses is dead-lettered at every station, one central refuses but stations
would take is lost for nothing.

Each case is a JSON literal as a station could send it. The SQL check sees it as jsonb; the Python check
sees what a pulling station gets back (jsonb's text, parsed), e.g. `1e3` arrives as `1000`."""
from __future__ import annotations

import json

import pytest

from kiosk.sync.validation import Column, payload_problem, sql_table_check
from tests.sync.conftest import admin_execute

T = "2026-11-30T08:00:00.000000Z"

# (column kind, required, nullable, JSON literal of the value or None for "absent", expected reason or None)
CASES = [
    # dates that match the shape but do not exist, and the leap-year rules
    ("time", True, False, json.dumps(T), None),
    ("time", True, False, '"2026-02-30T10:00:00.000000Z"', "bad_type"),
    ("time", True, False, '"2026-02-29T10:00:00.000000Z"', "bad_type"),
    ("time", True, False, '"2028-02-29T10:00:00.000000Z"', None),
    ("time", True, False, '"2000-02-29T10:00:00.000000Z"', None),
    ("time", True, False, '"2100-02-29T10:00:00.000000Z"', "bad_type"),
    ("time", True, False, '"2026-04-31T10:00:00.000000Z"', "bad_type"),
    ("time", True, False, '"2026-12-31T23:59:59.999999Z"', None),
    ("time", True, False, '"0000-01-01T00:00:00.000000Z"', "bad_type"),
    ("time", True, False, '"0001-01-01T00:00:00.000000Z"', None),
    ("time", True, False, '"2026-11-30T24:00:00.000000Z"', "bad_type"),
    ("time", True, False, '"2026-11-30 08:00:00.000000Z"', "bad_type"),
    ("time", True, False, '"2026-11-30T08:00:00Z"', "bad_type"),
    ("time", True, False, json.dumps(T[:-1] + "\n"), "bad_type"),
    ("time", True, False, json.dumps(T + "\n"), "too_long"),
    ("time", True, False, "1764489600", "bad_type"),
    ("time", True, False, "null", "empty_field"),
    ("time", False, True, "null", None),
    ("time", True, False, None, "missing_field"),
    ("date", True, False, '"2026-02-30"', "bad_type"),
    ("date", True, False, '"2026-02-28"', None),
    ("date", True, False, '"2024-02-29"', None),
    ("date", True, False, '"1900-02-29"', "bad_type"),
    ("date", True, False, '"1600-02-29"', None),
    ("date", True, False, '"2026-06-31"', "bad_type"),
    ("date", True, False, '"2026-07-31"', None),
    ("date", True, False, '"2026-09-30"', None),
    ("date", True, False, '"2026-13-01"', "bad_type"),
    ("date", True, False, '"2026-11-00"', "bad_type"),
    ("date", True, False, '"0000-02-29"', "bad_type"),
    ("date", True, False, '"2026-1-01"', "bad_type"),
    # integers: jsonb prints 1e3 as 1000, keeps 1.0 as 1.0
    ("int", True, False, "7", None),
    ("int", True, False, "-0", None),
    ("int", True, False, "1e3", None),
    ("int", True, False, "1.0", "bad_type"),
    ("int", True, False, "1.5", "bad_type"),
    ("int", True, False, "1e-3", "bad_type"),
    ("int", True, False, '"7"', "bad_type"),
    ("int", True, False, "true", "bad_type"),
    ("int", True, False, str(2 ** 31 - 1), None),
    ("int", True, False, str(2 ** 31), "bad_type"),
    ("int", True, False, str(-2 ** 31), None),
    ("int", True, False, "3e9", "bad_type"),
    ("bigint", True, False, str(2 ** 63 - 1), None),
    ("bigint", True, False, str(2 ** 63), "bad_type"),
    ("bigint", True, False, str(-2 ** 63), None),
    ("bigint", True, False, "1" + "0" * 30, "bad_type"),
    ("bigint", True, False, "1e30", "bad_type"),
    # booleans: true/false, and 0/1 as older rows wrote them; nothing else
    ("bool", True, False, "true", None),
    ("bool", True, False, "false", None),
    ("bool", True, False, "0", None),
    ("bool", True, False, "1", None),
    ("bool", True, False, "1.0", "bad_type"),
    ("bool", True, False, "0.0", "bad_type"),
    ("bool", True, False, "1e0", None),
    ("bool", True, False, "2", "bad_type"),
    ("bool", True, False, '"1"', "bad_type"),
    ("bool", True, False, '"true"', "bad_type"),
    ("bool", True, False, None, "missing_field"),
    ("bool", False, False, None, None),
    ("bool", True, False, "null", "empty_field"),
    ("bool", False, True, "null", None),
    # floats: any number a station can store; not strings, not booleans, no integer SQLite cannot hold
    ("float", False, True, "36.6", None),
    ("float", False, True, "37", None),
    ("float", False, True, "-1e2", None),
    ("float", False, True, "1e-400", None),
    ("float", False, True, '"36.6"', "bad_type"),
    ("float", False, True, "true", "bad_type"),
    ("float", False, True, "false", "bad_type"),
    ("float", False, True, str(2 ** 63 - 1), None),
    ("float", False, True, str(2 ** 63), "bad_type"),
    ("float", False, True, str(-2 ** 63 - 1), "bad_type"),
    ("float", False, True, "1e20", "bad_type"),
    ("float", False, True, "1e20.5".replace("e20", "0" * 20), None),
    # text
    ("text", True, False, '"abc"', None),
    ("text", True, False, '"abcdef"', "too_long"),
    ("text", True, False, '"五个汉字啊"', None),
    ("text", True, False, '"😀😀😀😀😀"', None),
    ("text", True, False, "5", "bad_type"),
    ("text", True, False, "[]", "bad_type"),
    ("text", True, False, "{}", "bad_type"),
    ("text", False, False, None, None),
]


def _verdicts(kind: str, required: bool, nullable: bool, literal: str | None) -> tuple[str | None, str | None]:
    columns = (Column("v", kind, required, nullable, {"text": 5, "time": 27, "date": 10}.get(kind, 0)),)
    literal_row = "{}" if literal is None else '{"v": %s}' % literal
    sql_reason, as_stored = admin_execute(
        f"SELECT {sql_table_check(columns, 'x.p')}, x.p::text FROM (SELECT %s::jsonb AS p) AS x", (literal_row,))[0]
    return sql_reason, payload_problem(columns, json.loads(as_stored))


@pytest.mark.parametrize("kind, required, nullable, literal, expected", CASES,
                         ids=[f"{c[0]}-{c[3]}-{'req' if c[1] else 'opt'}{'-null' if c[2] else ''}" for c in CASES])
def test_central_and_stations_agree_on_each_value(central_url, kind, required, nullable, literal, expected):
    sql_reason, python_reason = _verdicts(kind, required, nullable, literal)
    expected_reason = None if expected is None else f"{expected}:v"
    assert (sql_reason, python_reason) == (expected_reason, expected_reason)


@pytest.mark.parametrize("keys", [("zz", "b", "aa"), ("é", "z"), ("B", "a"), ("x" * 50, "y")])
def test_the_unknown_field_named_is_the_same_on_both_sides(central_url, keys):
    columns = (Column("v", "int", False, True),)
    row = json.dumps({key: 1 for key in keys})
    sql_reason, as_stored = admin_execute(
        f"SELECT {sql_table_check(columns, 'x.p')}, x.p::text FROM (SELECT %s::jsonb AS p) AS x", (row,))[0]
    assert sql_reason == payload_problem(columns, json.loads(as_stored))
    assert sql_reason == payload_problem(columns, json.loads(row))  # the order keys arrive in does not matter
