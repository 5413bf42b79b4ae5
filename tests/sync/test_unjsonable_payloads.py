"""Payloads Python reads as JSON but PostgreSQL's jsonb refuses (NUL, NaN/Infinity, a lone surrogate): the
station sends them as unreadable stand-ins, central dead-letters them, the rest of the queue moves on."""
from __future__ import annotations

import pytest

from kiosk import clock
from kiosk.models import database_proxy
from kiosk.sync import outbox
from tests.sync.conftest import assert_converged, central_scalar

# As stored in the outbox (JSON text): each one is json.loads-able, none is jsonb-able.
UNJSONABLE = {
    "nul": '{"id": "x-nul", "text": "a\\u0000b"}',
    "nan": '{"id": "x-nan", "n": NaN}',
    "infinity": '{"id": "x-inf", "n": -Infinity}',
    "surrogate": '{"id": "x-sur", "text": "\\ud800"}',
    "nul_in_key": '{"id": "x-key", "a\\u0000": 1}',
    "nested": '{"id": "x-nest", "text": "ok", "more": [{"deep": "\\udfff"}]}',
}


def _queue_raw(station, row_id: str, payload: str) -> None:
    with station.use():
        database_proxy.execute_sql(
            "INSERT INTO outbox (table_name, row_id, op, payload, created_at, txn) VALUES ('probe', ?, 'insert', ?, ?, -7)",
            (row_id, payload, clock.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")))


@pytest.mark.parametrize("name", sorted(UNJSONABLE))
def test_a_payload_jsonb_refuses_is_sent_as_unreadable(name):
    from kiosk.sync.outbox import OutRow

    good = OutRow(1, 1, "probe", "ok", "insert", '{"id": "ok", "text": "\\u00e9"}', "2026-01-01T00:00:00", 5)
    bad = OutRow(2, 2, "probe", "bad", "insert", UNJSONABLE[name], "2026-01-01T00:00:00", 6)
    body, poisoned = outbox.batch_json([good, bad], [False, False], valid_only=True)
    assert [(row.seq, reason) for row, reason in poisoned] == [(2, "unreadable")]
    assert '"op":"unreadable"' in body and '"p":null' in body and '"p":{"id": "ok"' in body


def test_unjsonable_payloads_are_dead_letters_and_the_queue_moves_on(make_station, central_url):
    gate, dorm = make_station("gate"), make_station("dorm", "dorm")
    before = set(gate.write(3))
    for name, payload in UNJSONABLE.items():
        _queue_raw(gate, "x-" + name, payload)
    after = set(gate.write(3))
    result = gate.sync()
    assert result.push.dead == len(UNJSONABLE) and gate.pending() == 0
    with gate.use():
        reasons = [r[0] for r in database_proxy.execute_sql("SELECT reason FROM sync_dead_letter")]
    assert reasons == ["unreadable"] * len(UNJSONABLE)
    assert central_scalar(central_url, "SELECT count(*) FROM dead_letter WHERE school_id = %s AND reason = 'unreadable'",
                          (gate.school,)) == len(UNJSONABLE)
    later = set(gate.write(2))  # later pushes go on
    assert gate.sync().push.accepted == 2 and gate.pending() == 0
    dorm.sync()
    assert_converged(central_url, [gate, dorm], before | after | later)
