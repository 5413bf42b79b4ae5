"""Gate feature: visitor register, watchlist, on-site list, night patrol, shift handover.

Registered in kiosk.features. Exports `visits` (the paper register's columns, masked IDs),
`onsite` (the evacuation list) and `patrols`; `kiosk purge [--dry-run]` and a daily job apply
the visitor-data retention.
"""
from __future__ import annotations

import argparse
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kiosk.config import Settings
from kiosk.models.visitors import MODELS as _MODELS
from kiosk.services.gate_exports import export_onsite, export_patrols, export_visits
from kiosk.sync import policy
from kiosk.features import Feature

MODELS = list(_MODELS)
GATE_ROLES = frozenset({"gatekeeper"})
WATCHLIST_ROLES = frozenset({"discipline", "principal", "duty_leader"})


EXPORTS = {"visits": export_visits, "onsite": export_onsite, "patrols": export_patrols}


# ---------------------------------------------------------------- CLI and daily job

def register_cli(subparsers) -> None:
    from kiosk.cli import command

    purge = command(subparsers, "purge", cmd_purge, "anonymise visitor personal data older than the retention setting")
    purge.add_argument("--dry-run", action="store_true", help="count what would be anonymised; change nothing")


def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.services.actor import system_actor
    from kiosk.services.visitors import purge_visitor_data

    days = settings.gate.visitor_retention_days
    result = purge_visitor_data(system_actor(settings.school.id), days, dry_run=args.dry_run)
    cutoff = result.cutoff.astimezone(ZoneInfo(settings.school.timezone)).strftime("%Y-%m-%d %H:%M")
    if args.dry_run:
        print(f"{result.due} visits recorded before {cutoff} ({days} days) would be anonymised")
    else:
        print(f"{result.purged} visits recorded before {cutoff} ({days} days) anonymised")
    return 0


def purge_job(settings: Settings) -> None:
    from kiosk.services.actor import system_actor
    from kiosk.services.visitors import purge_visitor_data

    purge_visitor_data(system_actor(settings.school.id), settings.gate.visitor_retention_days)


daily_jobs = [purge_job]


def status_alerts(ctx) -> list[str]:
    """Overstaying visitors, for the status bar of gate stations."""
    if ctx.station_kind != "gate":
        return []
    from kiosk.i18n import t
    from kiosk.services.visitors import onsite

    over = sum(1 for v in onsite(ctx.school_id) if v.overstay_minutes)
    return [t("gate.alert_overstay", count=over)] if over else []


# ---------------------------------------------------------------- station menu

def station_actions(station_kind: str):
    from kiosk.features import StationAction

    if station_kind == "gate":
        def register():
            from kiosk.screens.gate_register import RegisterScreen
            return RegisterScreen()

        def onsite_list():
            from kiosk.screens.gate_onsite import OnsiteScreen
            return OnsiteScreen()

        def patrol():
            from kiosk.screens.gate_shift import PatrolScreen
            return PatrolScreen()

        def handover():
            from kiosk.screens.gate_shift import HandoverScreen
            return HandoverScreen()

        return [StationAction("v", "gate.menu_register", GATE_ROLES, register),
                StationAction("o", "gate.menu_onsite", GATE_ROLES, onsite_list),
                StationAction("p", "gate.menu_patrol", GATE_ROLES, patrol),
                StationAction("h", "gate.menu_handover", GATE_ROLES, handover)]
    if station_kind == "office":
        def watchlist():
            from kiosk.screens.gate_watchlist import WatchlistScreen
            return WatchlistScreen()

        return [StationAction("w", "gate.menu_watchlist", WATCHLIST_ROLES, watchlist)]
    return []


# ---------------------------------------------------------------- demo

REGIONS = ("110105", "310104", "440106", "330106", "320102", "420106", "370102", "510107", "430104", "350102")
COURIERS = (("顺丰速运", "刘建国"), ("京东物流", "陈志强"), ("中通快递", "王海"), ("美团配送", "赵磊"))
CONTRACTORS = (("城建装饰工程公司", "孙德胜"), ("城建装饰工程公司", "周宏"), ("恒安消防设备公司", "吴俊"))


def demo_id_number(rng, born_from: int = 1965, born_to: int = 1998) -> str:
    from kiosk.services.visitor_rules import ric_check_character

    body = (rng.choice(REGIONS) + f"{rng.randint(born_from, born_to)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            + f"{rng.randint(0, 999):03d}")
    return body + ric_check_character(body)


def seed_demo(demo) -> None:
    """A week of visits (parents at weekends, deliveries, contractors, an official), watchlist entries,
    patrols and handovers; a few visitors on site now, one of them overstaying.

    Each fact goes through the write path (its own audit entry and outbox row); one outer transaction
    makes the whole week a single commit, so seeding costs one fsync instead of a hundred.
    """
    from kiosk.models import database_proxy

    with database_proxy.atomic():
        _seed_demo(demo)


def _seed_demo(demo) -> None:
    from kiosk.ids import new_id, short_code
    from kiosk.models.visitors import PatrolRound, ShiftHandover, Visit, WatchlistDecision, WatchlistEntry
    from kiosk.services.facts import record
    from kiosk.services.visitor_rules import mask_id

    rng = demo.rng
    zone = ZoneInfo(demo.settings.school.timezone)
    gatekeepers = demo.staff_with_role("gatekeeper")
    if not gatekeepers or not demo.students:
        return
    canteen = demo.staff_with_role("canteen") or gatekeepers
    admins = demo.staff_with_role("admin") or gatekeepers
    leaders = demo.staff_with_role("duty_leader") or admins
    discipline = demo.staff_with_role("discipline") or admins
    school_id = demo.school_id
    now = demo.now
    today = now.astimezone(zone).date()
    couriers = [(unit, name, demo_id_number(rng), f"13{rng.randrange(10**9):09d}") for unit, name in COURIERS]
    builders = [(unit, name, demo_id_number(rng), f"15{rng.randrange(10**9):09d}") for unit, name in CONTRACTORS]
    parent_pool = rng.sample(demo.students, min(30, len(demo.students)))
    parent_ids = {s.id: demo_id_number(rng, 1972, 1992) for s in parent_pool}

    def gatekeeper_at(moment: datetime):
        return gatekeepers[(moment.astimezone(zone).hour // 12 + moment.toordinal()) % len(gatekeepers)]

    def add_visit(time_in: datetime, stay: timedelta, *, name: str, id_number: str, phone: str, category: str,
                  unit: str, reason: str, host_kind: str, host, expected: timedelta = timedelta(hours=2),
                  plate: str = "", items: str = "", companions: int = 0, leave: bool = True, night_leader: str = "",
                  status: str = "admitted", decision=None) -> None:
        keeper = gatekeeper_at(time_in)
        actor = demo.actor_for(keeper)
        visit_id = new_id()
        time_out = time_in + stay if leave and status == "admitted" else None
        visit = Visit(id=visit_id, school_id=school_id, station_id=demo.station_id, staff_id=keeper.id,
                      recorded_at=time_in, status=status, id_type="resident", id_number=id_number, name=name,
                      phone=phone, category=category, unit=unit, reason=reason, host_kind=host_kind, host_id=host.id,
                      host_name=host.name, companions=companions, vehicle_plate=plate, items=items, time_in=time_in,
                      expected_leave_at=time_in + expected if status == "admitted" else None, time_out=time_out,
                      out_staff_id=keeper.id if time_out else None, out_station_id=demo.station_id if time_out else None,
                      night=bool(night_leader), duty_leader=night_leader, code=short_code(visit_id))
        with record(actor, f"gate.visit_{status}", entity="visit", entity_id=visit_id, at=time_in,
                    detail={"status": status, "category": category, "demo": True, "id": mask_id(id_number)}) as w:
            w.insert(visit)
            if decision is not None:
                w.insert(WatchlistDecision(school_id=school_id, station_id=demo.station_id, staff_id=keeper.id,
                                           recorded_at=time_in, visit_id=visit_id, entry_id=decision[0], level=decision[1],
                                           match_kind="id", decision="refuse", reason=decision[2]))

    def local(day: date, hh: int, mm: int) -> datetime:
        return datetime.combine(day, time(hh, mm), zone).astimezone(ZoneInfo("UTC"))

    # Watchlist: a custody dispute (deny, by ID), a pushy salesman (warn, by name), one expired entry.
    deny_id = demo_id_number(rng, 1980, 1985)
    deny_entry = None
    with record(demo.actor_for(discipline[0]), "gate.watch_added", entity="watchlist_entry", at=now - timedelta(days=20),
                detail={"demo": True}) as w:
        deny_entry = w.insert(WatchlistEntry(school_id=school_id, station_id=demo.station_id, staff_id=discipline[0].id,
                                             recorded_at=now - timedelta(days=20), id_number=deny_id, name="郑志远",
                                             level="deny", reason="法院判决限制探视，家长书面申请禁止接触学生",
                                             expires_at=now + timedelta(days=345)))
        w.insert(WatchlistEntry(school_id=school_id, station_id=demo.station_id, staff_id=discipline[0].id,
                                recorded_at=now - timedelta(days=12), id_number="", name="钱多多", level="warn",
                                reason="多次进校推销教辅资料，需核实来访事由", expires_at=None))
        w.insert(WatchlistEntry(school_id=school_id, station_id=demo.station_id, staff_id=discipline[0].id,
                                recorded_at=now - timedelta(days=60), id_number=demo_id_number(rng), name="蒋文斌",
                                level="deny", reason="曾在校门口滋事", expires_at=now - timedelta(days=5)))

    for back in range(demo.days, 0, -1):
        day = today - timedelta(days=back)
        weekday = day.isoweekday()
        if weekday <= 5:
            for unit, name, number, phone in rng.sample(couriers, rng.randint(2, 4)):
                start = local(day, rng.randint(8, 15), rng.randrange(0, 60, 5))
                add_visit(start, timedelta(minutes=rng.randint(8, 25)), name=name, id_number=number, phone=phone,
                          category="delivery", unit=unit, reason="送货/快递", host_kind="staff", host=rng.choice(canteen),
                          expected=timedelta(minutes=30), plate=f"粤A{rng.randint(10000, 99999)}", items="货物")
            for unit, name, number, phone in builders[:rng.randint(1, 3)]:
                start = local(day, 8, rng.randrange(0, 40, 5))
                add_visit(start, timedelta(hours=rng.randint(6, 8)), name=name, id_number=number, phone=phone,
                          category="contractor", unit=unit, reason="教学楼维修施工", host_kind="staff", host=admins[0],
                          expected=timedelta(hours=9), items="工具箱")
            if weekday == 3:
                add_visit(local(day, 14, 30), timedelta(hours=2), name="林国栋", id_number=demo_id_number(rng),
                          phone="13807310001", category="official", unit="区教育局", reason="安全工作检查",
                          host_kind="staff", host=leaders[0], companions=2)
        else:
            for student in rng.sample(parent_pool, min(len(parent_pool), rng.randint(6, 10))):
                start = local(day, rng.choice((9, 10, 14, 15, 16)), rng.randrange(0, 60, 5))
                add_visit(start, timedelta(minutes=rng.randint(20, 90)), name=student.guardian_name,
                          id_number=parent_ids[student.id], phone=student.guardian_phone, category="parent", unit="",
                          reason=rng.choice(("送生活用品", "看望孩子", "接孩子回家", "与班主任沟通")), host_kind="student",
                          host=student, expected=timedelta(hours=1), items=rng.choice(("", "衣物", "水果", "书籍")))
        if back == 3:  # a parent on a weeknight, admitted with the duty leader's name
            student = parent_pool[0]
            add_visit(local(day, 22, 10), timedelta(minutes=25), name=student.guardian_name,
                      id_number=parent_ids[student.id], phone=student.guardian_phone, category="parent", unit="",
                      reason="孩子发烧，送药", host_kind="student", host=student, night_leader=leaders[0].name)
        if back == 2:  # the deny entry turned up and was refused
            add_visit(local(day, 16, 40), timedelta(0), name="郑志远", id_number=deny_id, phone="13912340000",
                      category="parent", unit="", reason="要求见孩子", host_kind="student", host=parent_pool[1],
                      status="refused", decision=(deny_entry.id, "deny", "禁止入校名单，已通知值班领导"))
        # Night patrols and the two daily handovers.
        for hh, mm, place in ((22, 30, "dorm_area"), (0, 40, "teaching_building"), (3, 10, "fence")):
            at = local(day + timedelta(days=1) if hh < 12 else day, hh, mm)
            if at >= now:
                continue
            keeper = gatekeeper_at(at)
            clear = rng.random() > 0.15
            with record(demo.actor_for(keeper), "gate.patrol", entity="patrol_round", at=at, detail={"demo": True}) as w:
                w.insert(PatrolRound(school_id=school_id, station_id=demo.station_id, staff_id=keeper.id, recorded_at=at,
                                     place=place, all_clear=clear, findings="" if clear else "围墙外有人逗留，已驱离并报告值班领导"))
        for hh in (8, 20):
            at = local(day, hh, 0)
            outgoing, incoming = gatekeeper_at(at - timedelta(minutes=1)), gatekeeper_at(at + timedelta(hours=1))
            if outgoing.id == incoming.id:
                incoming = gatekeepers[(gatekeepers.index(outgoing) + 1) % len(gatekeepers)]
            with record(demo.actor_for(outgoing), "gate.handover", entity="shift_handover", at=at, detail={"demo": True}) as w:
                w.insert(ShiftHandover(school_id=school_id, station_id=demo.station_id, staff_id=outgoing.id, recorded_at=at,
                                       outgoing_id=outgoing.id, outgoing_name=outgoing.name, incoming_id=incoming.id,
                                       incoming_name=incoming.name, onsite_count=0, open_items=[],
                                       notes=rng.choice(("无异常", "东侧门锁已报修", "夜间巡逻正常"))))

    # On site now: a contractor since the morning, a parent, and a courier who is overstaying.
    unit, name, number, phone = builders[0]
    add_visit(now - timedelta(hours=2), timedelta(0), name=name, id_number=number, phone=phone, category="contractor",
              unit=unit, reason="教学楼维修施工", host_kind="staff", host=admins[0], expected=timedelta(hours=8),
              items="工具箱", leave=False)
    student = parent_pool[2]
    add_visit(now - timedelta(minutes=25), timedelta(0), name=student.guardian_name, id_number=parent_ids[student.id],
              phone=student.guardian_phone, category="parent", unit="", reason="送生活用品", host_kind="student",
              host=student, expected=timedelta(hours=1), leave=False)
    unit, name, number, phone = couriers[0]
    add_visit(now - timedelta(minutes=95), timedelta(0), name=name, id_number=number, phone=phone, category="delivery",
              unit=unit, reason="送货/快递", host_kind="staff", host=canteen[0], expected=timedelta(minutes=30),
              plate="粤A12345", leave=False)


FEATURE = Feature(
    name="gate", models=tuple(MODELS), register_cli=register_cli, exports=EXPORTS, seed_demo=seed_demo,
    station_actions=station_actions, daily_jobs=tuple(daily_jobs), status_alerts=status_alerts,
    pulls={"gate": ("watchlist_*", "visit")},
    sync_tables={
        "watchlist_entry": policy.OFFICE_ONLY,
        "visit": policy.TablePolicy(insert=frozenset({"gate"}), update_others=frozenset({"gate"}),
                                    set_once=("time_in", "time_out", "out_station_id", "id_number"),
                                    why="a visitor may leave by another gate: any gate signs the visit out, once"),
        "watchlist_decision": policy.GATE_ONLY,
        "patrol_round": policy.GATE_ONLY,
        "shift_handover": policy.GATE_ONLY,
    },
)
