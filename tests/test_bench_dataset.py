"""The benchmarks' generated school (bench/dataset.py), built tiny: the small demo school with one year of
bulk history. Checks the shape the benchmarks rely on: every history table filled, the slip scan path finds
today's slips, tonight's headcount opens, and a second call reuses the cached file."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bench import dataset

HISTORY_TABLES = ("student", "staff", "room", "gate_crossing", "pass_slip", "slip_approval", "visit", "headcount_round",
                  "room_confirm", "meal", "menu_dish", "sample", "sample_disposal", "audit_entry")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    cache = tmp_path_factory.mktemp("bench-cache")
    return dataset.five_year_school(cache, years=1, scale="small", log=lambda *args, **kwargs: None)


def _scalar(path: Path, sql: str, *args) -> int:
    con = sqlite3.connect(str(path))
    try:
        return con.execute(sql, args).fetchone()[0]
    finally:
        con.close()


def test_every_history_table_has_rows_and_the_info_file_counts_them(tiny):
    info = dataset.describe(tiny)
    for table in HISTORY_TABLES:
        rows = _scalar(tiny, f'SELECT COUNT(*) FROM "{table}"')
        assert rows > 0, table
        assert info[table] == rows, table
    assert info["years"] == 1 and info["generator_version"] == dataset.GENERATOR_VERSION
    assert info["file_bytes"] == tiny.stat().st_size
    # A year of school nights, not a week: the bulk history is there, beside the demo's own week.
    assert info["headcount_nights"] > 150


def test_history_has_the_shapes_the_benchmarks_measure(tiny):
    kinds = {kind for (kind,) in sqlite3.connect(str(tiny)).execute("SELECT DISTINCT kind FROM gate_crossing")}
    assert {"day_card", "slip"} <= kinds
    # Repeat visitors still on record, and older visits anonymised by the retention purge.
    assert _scalar(tiny, "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM visit WHERE purged_at IS NULL "
                         "AND id_number != '' GROUP BY id_number)") > 1
    assert _scalar(tiny, "SELECT COUNT(*) FROM visit WHERE purged_at IS NOT NULL AND id_number = ''") > 0
    # Every bulk slip carries a real signed code (the same length as the write path's).
    assert _scalar(tiny, "SELECT COUNT(*) FROM pass_slip WHERE length(code) < 40") == 0


def test_the_slip_scan_path_finds_todays_slips(tiny, tmp_path):
    from bench.bench_slips import todays_codes
    from kiosk import clock
    from kiosk.config import Settings
    from kiosk.db import close_database, open_database
    from kiosk.services.slips_gate import check_code

    copy = dataset.copy_to(tiny, tmp_path)
    codes = todays_codes(copy)
    assert codes
    settings = Settings()
    settings.database.path = str(copy)
    open_database(copy)
    clock.freeze(dataset.NOW)
    try:
        verdicts = [check_code(settings, code, dataset.NOW, "exit") for code, _ in codes[:20]]
    finally:
        clock.freeze(None)
        close_database()
    assert all(v.verdict.kind == "exit" for v in verdicts), [v.verdict for v in verdicts]
    assert {v.student.id for v in verdicts} == {student_id for _, student_id in codes[:20]}


def test_tonights_headcount_opens_on_the_building_the_benchmark_uses(tiny, tmp_path):
    from bench.bench_dorm import TONIGHT, ZONE
    from kiosk import clock
    from kiosk.db import close_database, open_database
    from kiosk.models import Staff
    from kiosk.services import headcount_rounds
    from kiosk.services.actor import Actor

    building = dataset.headcount_building(dataset.describe(tiny))
    copy = dataset.copy_to(tiny, tmp_path)
    open_database(copy)
    clock.freeze(TONIGHT)
    try:
        staff = Staff.get(Staff.number == "D001")
        actor = Actor("demo", "st-dorm", staff.id, staff.number, staff.name, staff.role_set())
        view = headcount_rounds.open_headcount(actor, building["id"], ZONE)
    finally:
        clock.freeze(None)
        close_database()
    assert view.totals.residents == building["residents"] > 0
    assert len(view.rooms) == building["rooms"]


def test_a_second_call_reuses_the_cached_database(tiny):
    before = tiny.stat().st_mtime_ns
    messages = []
    again = dataset.five_year_school(tiny.parent, years=1, scale="small", log=lambda *a, **k: messages.append(a))
    assert again == tiny and tiny.stat().st_mtime_ns == before and messages == []
    # Another version, seed or size is another file.
    assert dataset.cache_path(tiny.parent, years=1, scale="small", seed=dataset.SEED + 1) != tiny


def test_the_slip_conflict_check_searches_by_slip_not_by_every_crossing_of_the_school(tiny):
    """The gate's status bar runs this check at start: scanning the school's crossings took 4.7 s at 6 M."""
    from kiosk.services.slip_conflicts import _CANDIDATES_SQL

    con = sqlite3.connect(str(tiny))
    try:
        plan = [row[-1] for row in con.execute("EXPLAIN QUERY PLAN " + _CANDIDATES_SQL, ("demo", "demo"))]
    finally:
        con.close()
    assert plan[0].startswith("SEARCH c USING INDEX gate_crossing_slip_id_direction"), plan


def test_the_visitors_on_site_query_finds_them_by_time_out_not_by_walking_every_visit(tiny, tmp_path):
    """The gate's status bar asks every 5 s; walking 5 years of visits by time_in read 160k rows each time."""
    from kiosk.db import close_database, open_database
    from kiosk.models import database_proxy
    from kiosk.services import visitors

    copy = dataset.copy_to(tiny, tmp_path)
    open_database(copy)
    statements: list[str] = []
    try:
        connection = database_proxy.connection()
        connection.set_trace_callback(statements.append)
        on_site = visitors.onsite("demo", dataset.NOW)
        connection.set_trace_callback(None)
        query = next(s for s in statements if 'FROM "visit"' in s)
        plan = [row[-1] for row in connection.execute("EXPLAIN QUERY PLAN " + query)]
    finally:
        close_database()
    assert on_site and [v.time_in for v in on_site] == sorted(v.time_in for v in on_site)
    assert any("visit_school_id_time_out_status" in step for step in plan), plan


def test_a_new_build_removes_older_versions_of_the_same_database(tmp_path, monkeypatch):
    old = dataset.cache_path(tmp_path, years=1, scale="small", seed=7)
    monkeypatch.setattr(dataset, "GENERATOR_VERSION", dataset.GENERATOR_VERSION + 1)
    other_seed = dataset.cache_path(tmp_path, years=1, scale="small", seed=8)
    for path in (old, Path(str(old) + ".json"), other_seed):
        path.write_text("")
    (tmp_path / (old.name + ".keys")).mkdir()
    built = dataset.five_year_school(tmp_path, years=1, scale="small", seed=7, log=lambda *a, **k: None)
    assert built.exists() and built != old
    assert not old.exists() and not (tmp_path / (old.name + ".keys")).exists()
    assert other_seed.exists()  # another seed is another database, kept
