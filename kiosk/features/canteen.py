"""Canteen feature: food sample retention 食品留样 with QR labels, disposal, incident holds, register.

Registered in kiosk.features. Tables: kiosk/models/canteen.py (migration m0005); rules:
kiosk/services/sample_rules.py; services: kiosk/services/canteen/ (one module per job); screens:
kiosk/screens/canteen_*.py (one per task); labels: kiosk/labels/.
CLI: `kiosk label sample SAMPLE_ID [-o FILE.png] [--print]`, `kiosk label test -o FILE.png`,
`kiosk export samples --from DATE --to DATE`.
"""
from __future__ import annotations

import argparse
from datetime import date, datetime, timedelta

from kiosk.config import Settings
from kiosk.models.canteen import MODELS as _MODELS
from kiosk.services.canteen.core import CANTEEN_ROLES
from kiosk.sync import policy
from kiosk.features import Feature

MODELS = list(_MODELS)


# ---------------------------------------------------------------- exports

def export_samples(settings: Settings, start: date | None, end: date | None):
    """留样记录表 in the paper form's columns (missed dishes included as 未留样 rows)."""
    from kiosk.services.canteen.register import register_table

    return register_table(settings, start, end)


def export_held(settings: Settings, start: date | None = None, end: date | None = None):
    """Samples under an active incident hold, for the inspectors (dates are ignored)."""
    from kiosk.services.canteen.register import held_table

    return held_table(settings)


EXPORTS = {"samples": export_samples, "held_samples": export_held}


# ---------------------------------------------------------------- station menu and alerts

def station_actions(station_kind: str) -> list:
    from kiosk.features import StationAction

    if station_kind != "canteen":
        return []

    def meals():
        from kiosk.screens.canteen_meals import MealsScreen
        return MealsScreen()

    def dispose():
        from kiosk.screens.canteen_disposal import DisposalScreen
        return DisposalScreen()

    def lists():
        from kiosk.screens.canteen_disposal import DisposalListsScreen
        return DisposalListsScreen()

    def holds():
        from kiosk.screens.canteen_holds import HoldsScreen
        return HoldsScreen()

    return [StationAction("m", "canteen.menu_meals", CANTEEN_ROLES, meals),
            StationAction("d", "canteen.menu_dispose", CANTEEN_ROLES, dispose),
            StationAction("l", "canteen.menu_lists", CANTEEN_ROLES, lists),
            StationAction("k", "canteen.menu_holds", CANTEEN_ROLES, holds)]


def status_alerts(ctx) -> list[str]:
    """At the canteen station: today's dishes served without a sample, samples overdue for disposal."""
    if ctx.station_kind != "canteen":
        return []
    from kiosk import clock
    from kiosk.i18n import t
    from kiosk.services.canteen.core import school_today, zone
    from kiosk.services.canteen.disposal import disposal_lists
    from kiosk.services.canteen.meals import meals_for_day
    from kiosk.services.sample_rules import meals_missing_alert

    alerts = []
    meals = meals_for_day(ctx.settings, school_today(ctx.settings))
    if meals_missing_alert(clock.now().astimezone(zone(ctx.settings)), len(meals), ctx.settings.canteen.meals_set_by):
        alerts.append(t("canteen.alert_no_meals"))
    missed = sum(len(m.missed) for m in meals)
    if missed:
        alerts.append(t("canteen.alert_missed", count=missed))
    overdue = len(disposal_lists(ctx.settings)[1])
    if overdue:
        alerts.append(t("canteen.alert_overdue", count=overdue))
    return alerts


# ---------------------------------------------------------------- CLI

def register_cli(subparsers) -> None:
    from kiosk.cli import command

    label = subparsers.add_parser("label", help="render or print labels")
    label_sub = label.add_subparsers(dest="label_command", required=True, metavar="ACTION")
    sample = command(label_sub, "sample", cmd_label_sample, "render (and print) one food sample's label")
    sample.add_argument("sample_id", help="the sample's id or label code (LY...)")
    sample.add_argument("-o", "--output", help="write the label as a PNG file")
    sample.add_argument("--print", dest="do_print", action="store_true", help="send it to the configured printer")
    test = command(label_sub, "test", cmd_label_test, "render a test label (no database needed)", needs_db=False)
    test.add_argument("-o", "--output", required=True, help="PNG file to write")
    test.add_argument("--print", dest="do_print", action="store_true", help="also send it to the configured printer")


def _save_png(label, path: str) -> None:
    from kiosk.cli import CliError
    from kiosk.labels.printers import save_png

    try:
        save_png(label.image, path)
    except OSError as error:
        raise CliError(f"cannot write {path}: {error.strerror or error}") from None


def cmd_label_sample(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.db import ensure_station_identity
    from kiosk.services.actor import Actor
    from kiosk.services.canteen.sample_labels import print_label, render_label
    from kiosk.services.canteen.samples import find_sample

    view = find_sample(settings, args.sample_id)
    label = render_label(settings, view)
    if label.missing:
        print(f"warning: no font for {label.missing!r}; drawn as '?'")
    if args.output:
        _save_png(label, args.output)
        print(f"{view.dish_name} {view.qr_payload} -> {args.output}")
    if args.do_print or not args.output:
        actor = Actor(school_id=settings.school.id, station_id=ensure_station_identity(), staff_name="cli")
        done = print_label(actor, settings, view.id)
        if done.to_file:  # the png backend: nothing came out of a printer
            print(f"no label printer set up: saved {view.qr_payload} as an image -> {done.where}")
        else:
            print(f"printed {view.qr_payload} -> {done.where}")
    return 0


def cmd_label_test(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.cli import CliError
    from kiosk.labels.printers import get_printer
    from kiosk.labels.render import LabelError, render_text_qr_label

    try:
        label = render_text_qr_label("测试标签 Test", [settings.school.name, f"{settings.printer.label_size} mm",
                                                     f"{settings.printer.dpi} dpi", settings.printer.backend],
                                     "LYTEST000000", footer=["可处理时间 12-31 23:59"],
                                     size=settings.printer.label_size, dpi=settings.printer.dpi)
    except LabelError as error:
        raise CliError(str(error)) from None
    _save_png(label, args.output)
    print(f"{label.image.width}x{label.image.height} dots, QR module {label.qr_module_dots} dots -> {args.output}")
    if args.do_print:
        print(f"printed -> {get_printer(settings.printer).print_image(label.image, name='test')}")
    return 0


# ---------------------------------------------------------------- demo data

DEMO_MENUS = {
    "breakfast": ["白粥", "肉包", "茶叶蛋", "炒米粉", "豆浆", "花卷", "煎饺", "小米粥"],
    "lunch": ["红烧肉", "宫保鸡丁", "番茄炒蛋", "清炒时蔬", "麻婆豆腐", "鱼香肉丝", "土豆烧牛肉", "米饭", "紫菜蛋花汤"],
    "dinner": ["糖醋里脊", "青椒肉丝", "蒜蓉西兰花", "红烧鱼块", "酸辣土豆丝", "米饭", "冬瓜排骨汤", "香菇青菜"],
}


def seed_demo(demo) -> None:
    """Two weeks of meals with menus and samples: old ones disposed (a few left overdue), one dish missed,
    one incident hold over two days."""
    from zoneinfo import ZoneInfo

    from kiosk.ids import short_code
    from kiosk.models import database_proxy
    from kiosk.models.canteen import IncidentHold, Meal, MenuDish, Sample, SampleDisposal
    from kiosk.services import sample_rules as rules
    from kiosk.services.facts import record

    settings = demo.settings
    zone = ZoneInfo(settings.school.timezone)
    staff = demo.staff_with_role("canteen")
    admins = demo.staff_with_role("admin")
    if not staff:
        return
    officer = (demo.staff_with_role("food_safety") or staff)[0]
    rng = demo.rng
    today = demo.now.astimezone(zone).date()
    retention = settings.canteen.retention_hours
    missed_day, hold_days = today - timedelta(days=3), (today - timedelta(days=6), today - timedelta(days=5))
    with database_proxy.atomic():
        if admins:
            admin = demo.actor_for(admins[0])
            hold_at = datetime.combine(hold_days[1] + timedelta(days=1), datetime.min.time().replace(hour=9), zone)
            hold = IncidentHold(start_date=hold_days[0], end_date=hold_days[1],
                                reason="学生肠胃不适待查，留样封存备检", set_by_name=admin.staff_name)
            with record(admin, "canteen.hold_set", entity="incident_hold", entity_id=hold.id, at=hold_at,
                        detail={"from": hold_days[0].isoformat(), "to": hold_days[1].isoformat(), "reason": hold.reason}) as w:
                w.insert(hold)
        for back in range(13, -1, -1):
            day = today - timedelta(days=back)
            for kind in ("breakfast", "lunch", "dinner"):
                service_time = rules.DEFAULT_SERVICE_TIMES[kind]
                service = rules.service_at(day, service_time, zone)
                cook = rng.choice(staff)
                actor = demo.actor_for(cook)
                planned_at = service - timedelta(hours=20)
                if planned_at > demo.now:
                    continue
                names = rng.sample(DEMO_MENUS[kind], 3 if kind == "breakfast" else 4)
                meal = Meal(meal_date=day, kind=kind, service_time=service_time)
                dishes = [MenuDish(meal_id=meal.id, name=name, position=i) for i, name in enumerate(names)]
                with record(actor, "canteen.meal_add", entity="meal", entity_id=meal.id, at=planned_at,
                            detail={"date": day.isoformat(), "kind": kind, "dishes": names}) as w:
                    w.insert(meal)
                    for dish in dishes:
                        w.insert(dish)
                for index, dish in enumerate(dishes):
                    sampled_at = service - timedelta(minutes=rng.randrange(10, 40))
                    if sampled_at > demo.now:
                        continue
                    if day == missed_day and kind == "dinner" and index == len(dishes) - 1:
                        continue  # the demo's one missed dish: served without a sample
                    sample = Sample(
                        meal_id=meal.id, dish_id=dish.id, meal_date=day, meal_kind=kind,
                        dish_name=dish.name, grams=rng.randrange(126, 180), sampled_at=sampled_at,
                        sampler_id=cook.id, sampler_name=cook.name, fridge="1号留样柜", shelf=f"{index + 1}层",
                        temperature_c=round(rng.uniform(2.0, 6.0), 1), retention_hours=retention,
                        disposable_at=rules.disposable_at(sampled_at, retention))
                    sample.label_code = short_code(sample.id)
                    with record(actor, "canteen.sample", entity="sample", entity_id=sample.id, at=sampled_at,
                                detail={"dish": dish.name, "grams": sample.grams, "meal": kind, "date": day.isoformat()}) as w:
                        w.insert(sample)
                    disposed_at = sample.disposable_at + timedelta(hours=rng.randrange(1, 6))
                    held = hold_days[0] <= day <= hold_days[1] and admins
                    if held or sample.disposable_at > demo.now - timedelta(hours=12) or (back == 4 and kind == "lunch"):
                        continue  # held, not yet due / just due, or (day -4 lunch) left overdue on purpose
                    reviewer = officer if officer.id != cook.id else staff[-1]
                    disposal = SampleDisposal(
                        sample_id=sample.id, disposed_at=disposed_at, disposer_id=cook.id, disposer_name=cook.name,
                        reviewer_id=reviewer.id, reviewer_name=reviewer.name)
                    with record(actor, "canteen.dispose", entity="sample", entity_id=sample.id, at=disposed_at,
                                detail={"dish": dish.name, "reviewer": reviewer.name}) as w:
                        w.insert(disposal)


FEATURE = Feature(
    name="canteen", models=tuple(MODELS), register_cli=register_cli, exports=EXPORTS, seed_demo=seed_demo,
    station_actions=station_actions, status_alerts=status_alerts,
    # a hold set at one canteen station must stop a disposal at the other; menus are shared too
    pulls={"canteen": ("meal", "meal_check", "menu_dish", "sample*", "incident_hold")},
    sync_tables={
        "meal": policy.TablePolicy(insert=frozenset({"canteen"}), update_others=frozenset({"canteen"}),
                                   why="menus are shared"),
        "menu_dish": policy.TablePolicy(insert=frozenset({"canteen"}), update_others=frozenset({"canteen"}),
                                        set_once=("removed_at",), why="menus are shared"),
        "sample": policy.TablePolicy(insert=frozenset({"canteen"}), set_once=("sampled_at", "grams", "dish_id")),
        "sample_disposal": policy.TablePolicy(insert=frozenset({"canteen"}), set_once=("disposed_at", "sample_id")),
        "incident_hold": policy.TablePolicy(insert=frozenset({"canteen", "office"}),
                                            update_others=frozenset({"canteen", "office"}), set_once=("released_at",),
                                            why="a hold set at one canteen is released at another or the office"),
        "meal_check": policy.CANTEEN_ONLY,
    },
)
