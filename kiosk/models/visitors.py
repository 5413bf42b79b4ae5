"""Gate: visits, the watchlist and its decisions, night patrols, shift handovers.

All are facts (who, station, when) written through kiosk.services.facts. A visit's `time_out`
is set once, through the write path; `purged_at` marks a visit whose personal data was anonymised.
"""
from __future__ import annotations

import peewee

from kiosk.models.base import FactModel, JSONField, UtcDateTimeField


class Visit(FactModel):
    """One visitor at the gate: admitted (on site until signed out) or refused (a record too)."""

    status = peewee.CharField(max_length=10)  # admitted | refused
    id_type = peewee.CharField(max_length=10)  # resident | passport | hk_macau | taiwan | none
    id_number = peewee.CharField(default="")  # normalised; "" for none or after the purge
    name = peewee.CharField()
    sex = peewee.CharField(max_length=10, default="")  # from an ID card: male | female | unknown | unstated; "" typed
    phone = peewee.CharField(default="")
    category = peewee.CharField(max_length=12)  # parent | contractor | delivery | official | other
    unit = peewee.CharField(default="")  # the visitor's company or unit (单位)
    reason = peewee.CharField(default="")
    host_kind = peewee.CharField(max_length=8, default="")  # staff | student | ""
    host_id = peewee.CharField(max_length=36, default="")
    host_name = peewee.CharField(default="")  # as shown at registration (the register keeps it)
    companions = peewee.IntegerField(default=0)
    companion_names = peewee.CharField(default="")
    vehicle_plate = peewee.CharField(default="")
    items = peewee.CharField(default="")
    time_in = UtcDateTimeField()
    expected_leave_at = UtcDateTimeField(null=True)
    time_out = UtcDateTimeField(null=True)
    out_staff_id = peewee.CharField(max_length=36, null=True)
    out_station_id = peewee.CharField(max_length=40, null=True)
    night = peewee.BooleanField(default=False)
    duty_leader = peewee.CharField(default="")
    code = peewee.CharField(max_length=16)  # the visitor slip's short code (kiosk.ids.short_code)
    purged_at = UtcDateTimeField(null=True)

    class Meta:
        indexes = (
            (("school_id", "id_number"), False),
            (("school_id", "time_out", "status"), False),
            (("school_id", "time_in"), False),
            (("school_id", "code"), False),
        )


class WatchlistEntry(FactModel):
    """禁止入校人员: matched by ID number and/or name; deny or warn; may expire; revoked, never deleted."""

    id_number = peewee.CharField(default="")
    name = peewee.CharField(default="")
    level = peewee.CharField(max_length=8)  # warn | deny
    reason = peewee.CharField()
    expires_at = UtcDateTimeField(null=True)
    active = peewee.BooleanField(default=True)
    revoked_at = UtcDateTimeField(null=True)
    revoked_by = peewee.CharField(max_length=36, null=True)


class WatchlistDecision(FactModel):
    """The gatekeeper's decision on a watchlist hit: allow (with reason) or refuse."""

    visit_id = peewee.CharField(max_length=36, index=True)
    entry_id = peewee.CharField(max_length=36)
    level = peewee.CharField(max_length=8)
    match_kind = peewee.CharField(max_length=8)  # id | name
    decision = peewee.CharField(max_length=8)  # allow | refuse
    reason = peewee.CharField(default="")
    approver_id = peewee.CharField(max_length=36, null=True)  # duty leader who allowed past a deny entry
    approver_name = peewee.CharField(default="")


class PatrolRound(FactModel):
    """A night patrol check: place, findings, all clear or not."""

    place = peewee.CharField()
    findings = peewee.CharField(default="")
    all_clear = peewee.BooleanField(default=True)


class ShiftHandover(FactModel):
    """交接班: outgoing and incoming gatekeeper (both confirmed by PIN) and the open items handed over."""

    outgoing_id = peewee.CharField(max_length=36)
    outgoing_name = peewee.CharField()
    incoming_id = peewee.CharField(max_length=36)
    incoming_name = peewee.CharField()
    onsite_count = peewee.IntegerField(default=0)
    open_items = JSONField(default=list)
    notes = peewee.TextField(default="")


MODELS = [Visit, WatchlistEntry, WatchlistDecision, PatrolRound, ShiftHandover]
