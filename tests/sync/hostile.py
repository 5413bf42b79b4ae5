"""What the hostile-station tests share: a station's own database role pushing crafted rows straight to central,
and rows built to pass or fail central's checks (tests/sync/test_hostile_*.py, test_push_turn.py)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from kiosk.services.facts import row_payload
from kiosk.sync import central, hlc, station_roles

NOW = datetime.now(timezone.utc)


def hlc_at(at: datetime = NOW) -> int:
    return hlc.pack(hlc.to_ms(at))


def crossing_payload(school: str, station_id: str, **changes) -> dict:
    from kiosk.models.slips import GateCrossing

    row = GateCrossing(school_id=school, station_id=station_id, recorded_at=NOW, student_id="stu-1", direction="out",
                       kind="slip", slip_id="slip-1", at=NOW, flags="")
    payload = row_payload(row)
    payload.update(changes)
    return payload


def push_row(seq: int, table: str, payload: dict, *, op: str = "insert", stamp: int | None = None, row_id: str | None = None):
    return {"seq": seq, "txn": seq, "t": table, "id": row_id or payload.get("id", f"row-{seq}"), "op": op,
            "h": hlc_at() if stamp is None else stamp, "p": payload}


class Role:
    """A station's own database role, bound to `station_id` by the administrator."""

    def __init__(self, url: str, school: str, name: str, kind: str, station_id: str | None):
        self.school, self.kind, self.station_id = school, kind, station_id
        self.role = station_roles.add_station(url, f"{name}-{school}", kind, school, station_id or None)
        self.db = central.connect(self.role.url)
        self.seq = 0

    def push(self, *rows: dict, station_id: str | None = None, epoch: int = 1) -> dict:
        body = []
        for row in rows:
            self.seq += 1
            body.append({**row, "seq": self.seq, "txn": self.seq})
        # As the engine does: one statement of its own (central refuses sync_push inside a transaction block).
        return self.db.execute_sql("SELECT sync_push(%s, %s, %s, %s, %s)", (
            self.school, station_id or self.station_id, epoch, self.kind, json.dumps(body))).fetchone()[0]

    def reasons(self, answer: dict) -> list[str]:
        return [item["reason"] for item in answer["dead"]]

    def close(self) -> None:
        self.db.close()



def central_state(url: str, school: str, table: str) -> dict[str, dict]:
    db = central.connect(url)
    try:
        return {row_id: json.loads(payload) for row_id, payload in db.execute_sql(
            "SELECT row_id, payload::text FROM row_state WHERE school_id = %s AND table_name = %s", (school, table))}
    finally:
        db.close()


def visit_row(school: str, station_id: str):
    from kiosk.models.visitors import Visit

    return Visit(school_id=school, station_id=station_id, recorded_at=NOW, status="in", id_type="none", id_number="",
                 name="王五", phone="", category="parent", unit="", reason="", host_kind="staff", host_id="s1",
                 host_name="李老师", companions=0, companion_names="", vehicle_plate="", items="", time_in=NOW,
                 night=False, duty_leader="", code="V1")



def write_scans(station, n: int) -> list[str]:
    from kiosk.models.slips import GateScan
    from kiosk.services.facts import record

    from kiosk import clock

    ids = []
    with station.use():
        actor = station.actor()
        for i in range(n):
            with record(actor, "gate.scan") as w:
                row = w.insert(GateScan(school_id=station.school, station_id=actor.station_id, recorded_at=clock.now(),
                                        raw=f"CODE-{i}", verdict="refuse", reason_code="forged", detail={}))
            ids.append(row.id)
    return ids



def valid_payload(model, school: str, station_id: str) -> dict:
    """A row of `model` that passes the column checks (built from the same rules), for policy sweeps."""
    from kiosk.sync.validation import columns_of

    values = {"text": "x", "time": "2026-11-30T08:00:00.000000Z", "date": "2026-11-30", "int": 1, "bigint": 1,
              "bool": True, "float": 1.5}
    payload = {column.name: values[column.kind] for column in columns_of(model)}
    for key, value in (("school_id", school), ("station_id", station_id)):
        if key in payload:
            payload[key] = value
    return payload

