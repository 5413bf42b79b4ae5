"""Gate visitor services: register (with the watchlist decision), returning visitors, on-site list,
sign-out, ID reveal, watchlist management, retention purge. Screens call these from thread workers;
everything returned is a frozen dataclass, never a peewee row. Every write goes through
kiosk.services.facts.record.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from kiosk.i18n import Msg, UserError
from kiosk import clock
from kiosk.config import Settings
from kiosk.ids import new_id, short_code
from kiosk.models import Staff
from kiosk.models.visitors import Visit, WatchlistDecision, WatchlistEntry
from kiosk.services.actor import Actor
from kiosk.services.facts import audit_only, record
from kiosk.services.names import clean_identifier, clean_text
from kiosk.services import visitor_rules as rules
from kiosk.services.visitor_rules import FieldError, HostRef, VisitForm, WatchEntry, WatchHit


class GateError(UserError):
    """A user-caused problem at the gate; nothing was written. Raised with a key under `gate.` (given without
    the prefix); `field` names the form field to fix, if any."""

    def __init__(self, key: str, /, **values: object) -> None:
        self.field_key = key
        super().__init__(f"gate.{key}", **values)


# ---------------------------------------------------------------- views

@dataclass(frozen=True)
class VisitView:
    id: str
    code: str
    status: str
    id_type: str
    id_masked: str
    name: str
    phone: str
    category: str
    unit: str
    reason: str
    host_name: str
    companions: int
    companion_names: str
    vehicle_plate: str
    items: str
    time_in: datetime
    expected_leave_at: datetime | None
    time_out: datetime | None
    night: bool
    duty_leader: str
    gatekeeper: str
    purged: bool
    overstay_minutes: int = 0


def _view(visit: Visit, now: datetime, staff_names: dict[str, str]) -> VisitView:
    return VisitView(
        id=visit.id, code=visit.code, status=visit.status, id_type=visit.id_type,
        id_masked=rules.mask_id(visit.id_number), name=visit.name, phone=visit.phone, category=visit.category,
        unit=visit.unit, reason=visit.reason, host_name=visit.host_name, companions=visit.companions,
        companion_names=visit.companion_names, vehicle_plate=visit.vehicle_plate, items=visit.items,
        time_in=visit.time_in, expected_leave_at=visit.expected_leave_at, time_out=visit.time_out,
        night=visit.night, duty_leader=visit.duty_leader, gatekeeper=staff_names.get(visit.staff_id or "", ""),
        purged=visit.purged_at is not None,
        overstay_minutes=rules.overstay_minutes(visit.expected_leave_at, visit.time_out, now)
        if visit.status == "admitted" else 0,
    )


def _staff_names(ids: set[str]) -> dict[str, str]:
    ids.discard("")
    if not ids:
        return {}
    return {row.id: row.name for row in Staff.select(Staff.id, Staff.name).where(Staff.id.in_(list(ids)))}


def _views(visits: list[Visit], now: datetime) -> list[VisitView]:
    names = _staff_names({v.staff_id or "" for v in visits})
    return [_view(v, now, names) for v in visits]


@dataclass(frozen=True)
class Decision:
    """The gatekeeper's answer on a watchlist hit."""

    decision: str  # allow | refuse
    reason: str = ""
    approver_id: str | None = None  # who confirmed (PIN) an allow past a deny entry
    approver_name: str = ""
    approver_roles: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RegisterResult:
    status: str  # invalid | needs_decision | admitted | refused
    errors: tuple[FieldError, ...] = ()
    warnings: tuple[str, ...] = ()
    hits: tuple[WatchHit, ...] = ()
    level: str = ""
    visit: VisitView | None = None
    problem: str = ""  # decision problem key (needs_decision with a bad decision)


# ---------------------------------------------------------------- watchlist reads

def _entries(school_id: str) -> list[WatchEntry]:
    query = WatchlistEntry.select().where((WatchlistEntry.school_id == school_id) & (WatchlistEntry.active == True))  # noqa: E712
    return [WatchEntry(e.id, e.id_number, e.name, e.level, e.reason, e.expires_at, e.active) for e in query]


def check_watchlist(school_id: str, id_number: str, name: str, now: datetime | None = None) -> list[WatchHit]:
    return rules.match_watchlist(_entries(school_id), id_number, name, now or clock.now())


# ---------------------------------------------------------------- register

def register_visit(actor: Actor, form: VisitForm, settings: Settings, decision: Decision | None = None) -> RegisterResult:
    """Validate, check the watchlist, and record the visit (admitted or refused).

    A watchlist hit without a decision returns `needs_decision` and writes nothing; the screen asks
    the gatekeeper and calls again with the decision. A refusal is recorded as a refused visit.
    """
    now = clock.now()
    zone = ZoneInfo(settings.school.timezone)
    refusing = decision is not None and decision.decision == "refuse"
    clean, errors = rules.validate_visit(form, now, zone, settings.gate.visiting_hours,
                                         settings.gate.visitor_default_stay_minutes, refusing=refusing)
    if clean is None:
        return RegisterResult("invalid", errors=tuple(errors))
    if refusing and not check_watchlist(actor.school_id, clean.id_number, form.name, now):
        # nobody on the list to refuse (the entry was lifted meanwhile): the whole form is checked, as for anyone
        clean, errors = rules.validate_visit(form, now, zone, settings.gate.visiting_hours,
                                             settings.gate.visitor_default_stay_minutes)
        if clean is None:
            return RegisterResult("invalid", errors=tuple(errors))
    already = _open_visit_of(actor.school_id, clean.id_number)
    if already is not None:  # a second open visit would put one person twice on the on-site and evacuation lists
        return RegisterResult("invalid", errors=(rules.FieldError("id_number", "already_onsite", {
            "name": already.name, "code": already.code, "time": already.time_in.astimezone(zone).strftime("%H:%M")}),))
    leader_name = ""
    if clean.night:
        leader = Staff.get_or_none((Staff.id == form.duty_leader_id) & (Staff.school_id == actor.school_id))
        if leader is None or not leader.active or not (leader.role_set() & rules.NIGHT_LEADER_ROLES):
            return RegisterResult("invalid", errors=(rules.FieldError("duty_leader", "night_leader_not_duty", {
                "name": leader.name if leader else clean_text(form.duty_leader)}),))
        leader_name = leader.name
    hits = check_watchlist(actor.school_id, clean.id_number, form.name, now)
    level = rules.worst_level(hits)
    if hits:
        if decision is None:
            return RegisterResult("needs_decision", warnings=clean.warnings, hits=tuple(hits), level=level)
        problem = rules.decision_problem(level, decision.decision, decision.reason, decision.approver_roles)
        if problem:
            return RegisterResult("needs_decision", warnings=clean.warnings, hits=tuple(hits), level=level, problem=problem)
    status = "refused" if hits and decision and decision.decision == "refuse" else "admitted"
    visit_id = new_id()
    host = form.host
    visit = Visit(
        id=visit_id, status=status, id_type=form.id_type, id_number=clean.id_number,
        name=clean_text(form.name) or (hits[0].entry_name if hits else ""),  # refused before the name was typed
        sex=form.sex if form.sex in rules.SEXES else "", phone=clean.phone,
        category=form.category, unit=clean_text(form.unit), reason=clean_text(form.reason),
        host_kind=host.kind if host else "", host_id=host.id if host else "", host_name=host.name if host else "",
        companions=form.companions, companion_names=clean_text(form.companion_names), vehicle_plate=clean.vehicle_plate,
        items=clean_text(form.items), time_in=now, expected_leave_at=clean.expected_leave_at if status == "admitted" else None,
        night=clean.night, duty_leader=leader_name, code=short_code(visit_id),
    )
    detail = {"status": status, "category": form.category, "night": clean.night, "id_type": form.id_type,
              "watchlist": level, "code": visit.code}
    if clean.night:
        detail["duty_leader_id"] = form.duty_leader_id
    with record(actor, f"gate.visit_{status}", entity="visit", entity_id=visit_id, detail=detail, at=now) as w:
        w.insert(visit)
        for hit in hits:
            assert decision is not None
            w.insert(WatchlistDecision(
                visit_id=visit_id, entry_id=hit.entry_id, level=hit.level, match_kind=hit.match,
                decision=decision.decision, reason=clean_text(decision.reason),
                approver_id=decision.approver_id, approver_name=decision.approver_name,
            ))
        if level == "deny":  # the duty leader is told, in the same transaction as the visit
            from kiosk.notify import events as notify_events
            notify_events.watchlist_deny(w, settings, visit, status)
    names = {actor.staff_id or "": actor.staff_name}
    return RegisterResult(status, warnings=clean.warnings, hits=tuple(hits), level=level, visit=_view(visit, now, names))


def _open_visit_of(school_id: str, id_number: str) -> Visit | None:
    """The visit of this ID number that is still on site (admitted, not signed out), if any."""
    if not id_number:
        return None  # no ID (id type "none"): nothing to match on
    return (Visit.select().where((Visit.school_id == school_id) & (Visit.id_number == id_number)
                                 & Visit.time_out.is_null() & (Visit.status == "admitted")).first())


@dataclass(frozen=True)
class Prefill:
    """A returning visitor's last registration, to fill the form."""

    id_type: str
    id_number: str
    name: str
    phone: str
    category: str
    unit: str
    reason: str
    host_kind: str
    host_id: str
    host_name: str
    vehicle_plate: str
    visits: int
    last_visit: datetime
    on_site_code: str = ""  # still on site on that visit (not signed out): its visitor code
    on_site_since: datetime | None = None


def returning_visitor(school_id: str, id_number: str) -> Prefill | None:
    """The last (not anonymised) visit with this ID number, for a quick repeat registration."""
    number = rules.normalise_id(id_number)
    if not number:
        return None
    base = Visit.select().where((Visit.school_id == school_id) & (Visit.id_number == number) & Visit.purged_at.is_null())
    last = base.order_by(Visit.time_in.desc()).first()
    if last is None:
        return None
    still_in = _open_visit_of(school_id, number)
    return Prefill(last.id_type, last.id_number, last.name, last.phone, last.category, last.unit, last.reason,
                   last.host_kind, last.host_id, last.host_name, last.vehicle_plate, base.count(), last.time_in,
                   still_in.code if still_in else "", still_in.time_in if still_in else None)


# ---------------------------------------------------------------- on site, sign-out

def onsite(school_id: str, now: datetime | None = None) -> list[VisitView]:
    """Everyone admitted and not yet signed out, oldest first. Overstayers carry overstay_minutes > 0."""
    now = now or clock.now()
    # Sorted here, not by ORDER BY time_in: that makes SQLite walk the (school_id, time_in) index through every
    # visit ever (160k rows in 5 years, ~0.1 s and 10 MiB of page cache, for the status bar every 5 s) instead
    # of the (school_id, time_out, status) index, which finds just the few on site.
    rows = list(Visit.select().where((Visit.school_id == school_id) & Visit.time_out.is_null()
                                     & (Visit.status == "admitted")))
    return _views(sorted(rows, key=lambda visit: visit.time_in), now)


def sign_out(actor: Actor, visit_id: str, zone: ZoneInfo | None = None) -> VisitView:
    """Record the time out, once. Raises GateError if the visit is unknown, refused or already out."""
    now = clock.now()
    zone = zone or ZoneInfo("Asia/Shanghai")
    visit = Visit.get_or_none((Visit.school_id == actor.school_id) & (Visit.id == visit_id))
    if visit is None:
        raise GateError("signout_unknown")
    if visit.status != "admitted":
        raise GateError("signout_refused_visit", name=visit.name)
    if visit.time_out is not None:
        raise GateError("signout_already", name=visit.name, time=visit.time_out.astimezone(zone).strftime("%m-%d %H:%M"))
    with record(actor, "gate.visit_signed_out", entity="visit", entity_id=visit.id,
                detail={"code": visit.code, "overstay_minutes": rules.overstay_minutes(visit.expected_leave_at, None, now)},
                at=now) as w:
        # Set-once: re-read under the write lock, so a second station's sign-out cannot overwrite the first.
        fresh = Visit.get_by_id(visit.id)
        if fresh.time_out is not None:
            raise GateError("signout_already", name=visit.name, time=fresh.time_out.astimezone(zone).strftime("%m-%d %H:%M"))
        visit.time_out = now
        visit.out_staff_id = actor.staff_id
        visit.out_station_id = actor.station_id
        w.update(visit, Visit.time_out, Visit.out_staff_id, Visit.out_station_id)
    return _views([visit], now)[0]


MIN_CODE_PREFIX = 6  # a shorter start of a visitor code is not taken as that code


def sign_out_by_code(actor: Actor, code: str, zone: ZoneInfo | None = None) -> VisitView:
    """Sign out by the visitor slip's short code (scanned or typed)."""
    text = clean_identifier(code).upper()
    if not text:
        raise GateError("signout_unknown")
    visit = Visit.get_or_none((Visit.school_id == actor.school_id) & (Visit.code == text))
    if visit is None and len(text) >= MIN_CODE_PREFIX:
        # A code typed from a screen or a torn slip may lack its end: enough if it names one visitor on site.
        on_site = list(Visit.select().where((Visit.school_id == actor.school_id) & Visit.time_out.is_null()
                                            & (Visit.status == "admitted") & Visit.code.startswith(text)).limit(2))
        if len(on_site) > 1:
            raise GateError("signout_ambiguous_code", code=text[:20])
        visit = on_site[0] if on_site else None
    if visit is None:
        raise GateError("signout_unknown_code", code=text[:20])
    return sign_out(actor, visit.id, zone)


def reveal_id_number(actor: Actor, visit_id: str) -> str:
    """The full ID number, for an admin only; every reveal is audited."""
    if "admin" not in actor.roles:
        raise GateError("reveal_admin_only")
    visit = Visit.get_or_none((Visit.school_id == actor.school_id) & (Visit.id == visit_id))
    if visit is None:
        raise GateError("signout_unknown")
    audit_only(actor, "gate.id_revealed", entity="visit", entity_id=visit.id, detail={"code": visit.code})
    return visit.id_number


# ---------------------------------------------------------------- watchlist management (office)

@dataclass(frozen=True)
class WatchView:
    id: str
    id_masked: str
    name: str
    level: str
    reason: str
    expires_at: datetime | None
    in_force: bool
    added_by: str
    added_at: datetime


def list_watchlist(school_id: str, now: datetime | None = None, *, include_revoked: bool = False) -> list[WatchView]:
    now = now or clock.now()
    query = WatchlistEntry.select().where(WatchlistEntry.school_id == school_id)
    if not include_revoked:
        query = query.where(WatchlistEntry.active == True)  # noqa: E712
    rows = list(query.order_by(WatchlistEntry.recorded_at.desc()))
    names = _staff_names({row.staff_id or "" for row in rows})
    return [WatchView(row.id, rules.mask_id(row.id_number), row.name, row.level, row.reason, row.expires_at,
                      rules.entry_in_force(WatchEntry(row.id, row.id_number, row.name, row.level, row.reason,
                                                      row.expires_at, row.active), now),
                      names.get(row.staff_id or "", ""), row.recorded_at) for row in rows]


def add_watch_entry(actor: Actor, *, id_type: str, id_number: str, name: str, level: str, reason: str,
                    expires_at: datetime | None) -> WatchView:
    """Add an entry (office). Needs an ID number or a name; an ID number must pass its check."""
    now = clock.now()
    number = ""
    if clean_identifier(id_number):
        checked = rules.check_id(id_type, id_number, now.date())
        if not checked.ok:
            raise GateError(checked.error, **checked.error_values)
        number = checked.number
    name = clean_text(name)
    if not number and not name:
        raise GateError("watch_needs_id_or_name")
    if level not in rules.WATCH_LEVELS:
        raise GateError("watch_bad_level")
    if len(clean_text(reason)) < 2:
        raise GateError("watch_reason_required")
    if expires_at is not None and expires_at <= now:
        raise GateError("watch_expiry_past")
    entry = WatchlistEntry(id_number=number, name=name, level=level, reason=clean_text(reason),
                           expires_at=expires_at, active=True)
    with record(actor, "gate.watch_added", entity="watchlist_entry", entity_id=entry.id,
                detail={"level": level, "has_id": bool(number), "expires": str(expires_at) if expires_at else None}, at=now) as w:
        w.insert(entry)
    return WatchView(entry.id, rules.mask_id(number), name, level, entry.reason, expires_at, True, actor.staff_name, now)


def revoke_watch_entry(actor: Actor, entry_id: str) -> None:
    entry = WatchlistEntry.get_or_none((WatchlistEntry.school_id == actor.school_id) & (WatchlistEntry.id == entry_id))
    if entry is None or not entry.active:
        raise GateError("watch_unknown")
    now = clock.now()
    entry.active = False
    entry.revoked_at = now
    entry.revoked_by = actor.staff_id
    with record(actor, "gate.watch_revoked", entity="watchlist_entry", entity_id=entry.id, at=now) as w:
        w.update(entry, WatchlistEntry.active, WatchlistEntry.revoked_at, WatchlistEntry.revoked_by)


# ---------------------------------------------------------------- retention

@dataclass(frozen=True)
class PurgeResult:
    due: int
    purged: int
    cutoff: datetime
    dry_run: bool = False


def purge_visitor_data(actor: Actor, retention_days: int, *, dry_run: bool = False, batch: int = 200) -> PurgeResult:
    """Anonymise visits older than the retention: name, sex, ID, phone, plate, companions' names, items,
    unit and reason are cleared; status, category, counts, host and times stay (the register's totals)."""
    now = clock.now()
    cutoff = rules.retention_cutoff(now, retention_days)
    due = (Visit.select().where((Visit.school_id == actor.school_id) & Visit.purged_at.is_null() & (Visit.time_in < cutoff)))
    total = due.count()
    if dry_run or total == 0:
        return PurgeResult(total, 0, cutoff, dry_run)
    purged = 0
    cleared = {"name": "", "sex": "", "id_number": "", "phone": "", "vehicle_plate": "", "companion_names": "", "items": "",
               "unit": "", "reason": ""}
    while True:
        rows = list(due.limit(batch))
        if not rows:
            break
        with record(actor, "gate.visits_purged", entity="visit", detail={"count": len(rows), "cutoff": str(cutoff)}, at=now) as w:
            for visit in rows:
                for name, value in cleared.items():
                    setattr(visit, name, value)
                visit.purged_at = now
                w.update(visit, *(getattr(Visit, name) for name in cleared), Visit.purged_at)
        purged += len(rows)
    return PurgeResult(total, purged, cutoff, False)


# ---------------------------------------------------------------- hosts

def search_hosts(query: str, school_id: str, limit: int = 12) -> list[HostRef]:
    """Staff and students by name, pinyin initials (`zhl` finds 张华丽) or number, via the people service."""
    from kiosk.services.people import search_people

    hosts = []
    for hit in search_people(query, school_id, limit):
        if hit.kind == "student":  # the class is in the name already: `苏超一 高一(1)班  学生 20260102`
            label, about = f"{hit.name} {hit.class_name}".strip(), ""
        else:  # a head teacher's class, else the roles
            label, about = hit.name, hit.class_name or hit.detail
        hosts.append(HostRef(hit.kind, hit.id, label, Msg("people.host_detail", number=hit.number, about=about)))
    return hosts
