"""What a synced row must look like, derived from the peewee models: checked at central (SQL generated here,
inside `sync_push`) and again by a station applying a pulled row (the same rules in Python), so one broken
or hostile station cannot poison central's current state or another station's database and clock.

A refused row becomes a dead letter whose reason is a code, `code` or `code:detail` (e.g. `bad_type:at`),
translated on the sync admin screen (catalog area `sync_trust`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import peewee

from kiosk.models.base import JSONField, UtcDateTimeField

# A stamp more than this ahead of central's clock is refused (a station whose clock runs days ahead still
# syncs; a stamp near 2^63 would make every station that pulls it unable to stamp again).
MAX_AHEAD_MS = 7 * 24 * 3600 * 1000
MAX_ROW_ID = 64
MAX_TEXT = 65536  # TextField and JSONField values
INT32 = 2 ** 31
INT64 = 2 ** 63

# Only days that exist (a day of month the calendar has; 29 February in leap years; no year 0, which Python's
# datetime cannot hold): both sides use these patterns, so central never accepts a date a pulling station
# refuses. Central matches the shape first (no more costly than before) and the calendar only for days 29-31,
# a regex match, never a cast or function call, and none for most rows.
_YEAR = r"([0-9]{3}[1-9]|[0-9]{2}[1-9]0|[0-9][1-9]00|[1-9]000)"
_MONTH_DAY = r"((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)"
_LEAP_DAY = r"([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)-02-29"
_DAY = f"({_YEAR}-{_MONTH_DAY}|{_LEAP_DAY})"
_DAY_SHAPE = f"{_YEAR}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_CLOCK = r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{6}Z"
TIME_PATTERN = f"^{_DAY}{_CLOCK}$"
DATE_PATTERN = f"^{_DAY}$"
_SHAPES = {"time": f"^{_DAY_SHAPE}{_CLOCK}$", "date": f"^{_DAY_SHAPE}$"}
_TIME_RE = re.compile(TIME_PATTERN)
_DATE_RE = re.compile(DATE_PATTERN)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text, time, date, int, bigint, bool, float
    required: bool  # must be present (NOT NULL without a default)
    nullable: bool
    max_length: int = 0  # text kinds only


def columns_of(model: type) -> tuple[Column, ...]:
    columns = []
    for field in model._meta.sorted_fields:
        target = field.rel_field if isinstance(field, peewee.ForeignKeyField) else field
        if isinstance(target, UtcDateTimeField):
            kind, length = "time", 27
        elif isinstance(target, peewee.DateField):
            kind, length = "date", 10
        elif isinstance(target, (JSONField, peewee.TextField)):
            kind, length = "text", MAX_TEXT
        elif isinstance(target, peewee.CharField):
            kind, length = "text", target.max_length or 255
        elif isinstance(target, peewee.BooleanField):
            kind, length = "bool", 0
        elif isinstance(target, peewee.BigIntegerField):
            kind, length = "bigint", 0
        elif isinstance(target, peewee.IntegerField):
            kind, length = "int", 0
        elif isinstance(target, (peewee.FloatField, peewee.DecimalField)):
            kind, length = "float", 0
        else:
            raise TypeError(f"{model.__name__}.{field.name}: no sync rule for {type(target).__name__}")
        required = not field.null and field.default is None
        columns.append(Column(field.column_name, kind, required, bool(field.null), length))
    return tuple(columns)


# ----------------------------------------------------------------------------------------------- Python (pull)

def payload_problem(columns: tuple[Column, ...], payload) -> str | None:
    """The reason a row payload is refused, or None (the station's side of the check)."""
    if not isinstance(payload, dict):
        return "not_a_row"
    known = {column.name for column in columns}
    unknown = [key for key in payload if key not in known]
    if unknown:
        # the first by code point (central: COLLATE "C"), whatever order the keys arrived in
        return f"unknown_field:{min(str(key) for key in unknown)[:40]}"
    for column in columns:
        if column.name not in payload:
            if column.required:
                return f"missing_field:{column.name}"
            continue
        problem = _value_problem(column, payload[column.name])
        if problem:
            return f"{problem}:{column.name}"
    return None


def _value_problem(column: Column, value) -> str | None:
    if value is None:
        return None if column.nullable else "empty_field"
    kind = column.kind
    if kind in ("text", "time", "date"):
        if not isinstance(value, str):
            return "bad_type"
        if len(value) > column.max_length:
            return "too_long"
        # fullmatch: Python's `$` also matches before a final newline, PostgreSQL's does not
        if kind in ("time", "date") and not (_TIME_RE if kind == "time" else _DATE_RE).fullmatch(value):
            return "bad_type"
        return None
    if kind == "bool":
        # 0/1 from older rows are booleans too; 1.0 is not (jsonb keeps it as 1.0, central refuses it)
        return None if isinstance(value, bool) or (type(value) is int and value in (0, 1)) else "bad_type"
    if kind in ("int", "bigint"):
        if isinstance(value, bool) or not isinstance(value, int):
            return "bad_type"
        bound = INT32 if kind == "int" else INT64
        return None if -bound <= value < bound else "bad_type"
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "bad_type"
        # A number written without a fraction reaches Python as an int, which SQLite must hold as one
        return None if isinstance(value, float) or -INT64 <= value < INT64 else "bad_type"
    return "bad_type"


def stamp_problem(stamp, now_ms: int) -> str | None:
    from kiosk.sync.hlc import LOGICAL_BITS

    if isinstance(stamp, bool) or not isinstance(stamp, int) or stamp <= 0:
        return "bad_stamp"
    if stamp >> LOGICAL_BITS > now_ms + MAX_AHEAD_MS:
        return "stamp_ahead"
    return None


# ----------------------------------------------------------------------------------------------- SQL (central)

def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_value_check(column: Column, p: str) -> list[str]:
    """CASE branches (`WHEN bad THEN reason`) for one column of the payload expression `p`. The common path
    costs one extraction per column (its JSON type); which reason applies is worked out only for a bad row."""
    name = column.name
    value, text = f"{p}->{_quote(name)}", f"{p}->>{_quote(name)}"
    typeof = f"jsonb_typeof({value})"
    json_types = {"text": "string", "time": "string", "date": "string", "bool": "boolean", "int": "number",
                  "bigint": "number", "float": "number"}[column.kind]
    accepted = [json_types] + (["null"] if column.nullable else [])
    accepted_sql = ", ".join(_quote(kind) for kind in accepted)
    if column.required:
        bad = f"{typeof} IS NULL OR {typeof} NOT IN ({accepted_sql})"
    else:
        bad = f"{typeof} NOT IN ({accepted_sql})"
    if column.kind == "bool":
        # 0/1 from older rows are booleans too (not 1.0, not "1"); coalesce: an absent value is no number
        bad = f"({bad}) AND NOT coalesce({typeof} = 'number' AND {text} IN ('0', '1'), false)"
    reason = (f"CASE WHEN NOT {p} ? {_quote(name)} THEN {_quote('missing_field:' + name)} "
              f"WHEN {typeof} = 'null' THEN {_quote('empty_field:' + name)} ELSE {_quote('bad_type:' + name)} END")
    branches = [f"WHEN {bad} THEN {reason}"]
    bad_type = _quote("bad_type:" + name)
    if column.kind in ("text", "time", "date"):
        branches.append(f"WHEN length({text}) > {column.max_length} THEN {_quote('too_long:' + name)}")
        if column.kind in ("time", "date"):
            pattern = TIME_PATTERN if column.kind == "time" else DATE_PATTERN
            branches.append(f"WHEN {text} !~ {_quote(_SHAPES[column.kind])} THEN {bad_type}")
            # the shape holds; a day up to 28 exists in every month: the calendar is looked at for the rest
            branches.append(f"WHEN substr({text}, 9, 2) IN ('29', '30', '31') AND {text} !~ {_quote(pattern)} "
                            f"THEN {bad_type}")
    elif column.kind in ("int", "bigint"):
        bound = INT32 if column.kind == "int" else INT64
        branches.append(f"WHEN {text} !~ '^-?[0-9]{{1,19}}$' THEN {bad_type}")
        branches.append(f"WHEN ({text})::numeric < -{bound} OR ({text})::numeric >= {bound} THEN {bad_type}")
    elif column.kind == "float":
        # A number without a fraction reaches a station as an int SQLite must hold (jsonb prints numbers in
        # full, never with an exponent): looked at only when longer than any 18-digit number.
        branches.append(f"WHEN length({text}) > 18 AND strpos({text}, '.') = 0 AND (({text})::numeric < -{INT64} "
                        f"OR ({text})::numeric >= {INT64}) THEN {bad_type}")
    return branches


def sql_table_check(columns: tuple[Column, ...], p: str = "r.p") -> str:
    """A SQL expression: the reason the payload `p` (jsonb, an object) for one table is refused, or NULL.
    Stored per table in central's sync_table at `kiosk central init`; sync_push applies the checks of the
    tables a batch holds in one statement over the batch (a function call per row, even a SQL one, cost five
    times the rest of the push; the checks of every table, parsed and planned on every call, a tenth)."""
    names = "ARRAY[" + ", ".join(_quote(column.name) for column in columns) + "]::text[]"
    branches = [f"WHEN {p} - {names} <> '{{}}'::jsonb THEN 'unknown_field:' || "
                f"left((SELECT min(k COLLATE \"C\") FROM jsonb_object_keys({p} - {names}) AS k), 40)"]
    for column in columns:
        branches.extend(_sql_value_check(column, p))
    return "CASE\n    " + "\n    ".join(branches) + "\n    END"
