"""Canteen services with a frozen clock: menu, samples, labels, printers, disposal, holds, register, CLI."""
from __future__ import annotations

import socket
from datetime import date, timedelta

import pytest
from PIL import Image

from kiosk import clock
from kiosk.i18n import t_in
from kiosk.cli import main
from kiosk.labels.printers import PrinterError
from kiosk.models import AuditEntry, Outbox
from kiosk.models.canteen import Sample, SampleDisposal
from kiosk.services import sample_rules as rules
from kiosk.services.actor import Actor
from kiosk.services.canteen.core import CanteenError
from kiosk.services.canteen.disposal import disposal_lists, dispose
from kiosk.services.canteen.holds import held_samples, holds, release_hold, set_hold
from kiosk.services.canteen.meals import add_dishes, add_meal, add_meal_check, copy_menu, meals_for_day, remove_dish
from kiosk.services.canteen.register import (REGISTER_HEADERS, export_held_list, export_register, period_range,
                                             register_table)
from kiosk.services.canteen.sample_labels import print_label, render_label
from kiosk.services.canteen.samples import find_sample, record_sample

DAY = date(2026, 11, 18)  # the frozen clock's day: Wed 10:00 Shanghai


@pytest.fixture
def cook(db, settings, frozen_now):
    return Actor(school_id=settings.school.id, station_id="st-test", staff_id="staff-c1", staff_number="C001",
                 staff_name="王师傅", roles=frozenset({"canteen"}))


@pytest.fixture
def officer(settings):
    return Actor(school_id=settings.school.id, station_id="st-test", staff_id="staff-f1", staff_number="F001",
                 staff_name="李安全", roles=frozenset({"food_safety", "canteen"}))


@pytest.fixture
def admin(settings):
    return Actor(school_id=settings.school.id, station_id="st-test", staff_id="staff-a1", staff_number="A001",
                 staff_name="赵管理", roles=frozenset({"admin"}))


@pytest.fixture
def lunch(cook, settings):
    meal_id = add_meal(cook, settings, DAY, "lunch", "11:50")
    add_dishes(cook, settings, meal_id, ["红烧肉", "清炒时蔬", "米饭", "红烧肉", " "])
    return meal_id


def dishes(settings, day=DAY):
    return {d.name: d for m in meals_for_day(settings, day) for d in m.dishes}


def test_menu_entry_skips_duplicates_and_blank_names(settings, lunch):
    (meal,) = meals_for_day(settings, DAY)
    assert [d.name for d in meal.dishes] == ["红烧肉", "清炒时蔬", "米饭"]
    assert all(d.state == "pending" for d in meal.dishes) and not meal.served
    # one lunch per day: adding it again returns the same meal
    assert add_meal(Actor(settings.school.id, "st", "x", roles=frozenset({"canteen"})), settings, DAY, "lunch") == lunch


def test_dishes_already_on_the_menu_are_refused_saying_so(settings, cook, lunch):
    """Walk-through finding: F3 with a dish already on the menu said '0 dishes added' in green, not why."""
    from kiosk.screens.canteen_meals import change_menu

    with pytest.raises(CanteenError) as caught:
        change_menu(cook, settings, DAY, "add_dishes", lunch, ["红烧肉", "米饭"])
    assert caught.value.key == "canteen.err_dishes_on_menu"
    assert str(change_menu(cook, settings, DAY, "add_dishes", lunch, ["红烧肉", "番茄炒蛋"])) == "已添加 1 个菜品。"


def test_an_empty_weight_asks_for_the_weight(settings, cook, lunch):
    """Walk-through finding: Enter through an empty record form said 'cannot read the weight: ' about nothing."""
    with pytest.raises(CanteenError) as caught:
        record_sample(cook, settings, dishes(settings)["米饭"].id, "  ")
    assert caught.value.key == "canteen.err_weight_missing"
    assert Sample.select().count() == 0


def test_copy_menu_from_an_earlier_day(settings, cook, lunch):
    added = copy_menu(cook, settings, DAY, DAY + timedelta(days=7))
    assert added == 3
    assert [d.name for d in dishes(settings, DAY + timedelta(days=7)).values()] == ["红烧肉", "清炒时蔬", "米饭"]
    assert copy_menu(cook, settings, DAY, DAY + timedelta(days=7)) == 0  # nothing new
    with pytest.raises(CanteenError):
        copy_menu(cook, settings, DAY - timedelta(days=30), DAY)


def test_under_weight_is_refused_with_the_shortfall_and_writes_nothing(settings, cook, lunch):
    before = AuditEntry.select().count()
    with pytest.raises(CanteenError) as caught:
        record_sample(cook, settings, dishes(settings)["红烧肉"].id, "110")
    assert caught.value.key == "canteen.err_weight_short" and caught.value.values["shortfall"] == 15
    assert "还差 15 克" in str(caught.value) and "15 g short" in str(caught.value)
    assert Sample.select().count() == 0 and AuditEntry.select().count() == before
    settings.canteen.min_weight_grams = 100  # a locality with a lower minimum
    assert record_sample(cook, settings, dishes(settings)["红烧肉"].id, "110").sample.grams == 110


def test_recorded_sample_says_who_where_when_and_queues_for_sync(settings, cook, lunch, frozen_now):
    result = record_sample(cook, settings, dishes(settings)["红烧肉"].id, "150 g", fridge="1号柜", shelf="2层",
                             temperature="9.5")
    s = result.sample
    assert (s.grams, s.sampler_name, s.fridge, s.shelf, s.temperature_c) == (150, "王师傅", "1号柜", "2层", 9.5)
    assert s.sampled_at == frozen_now and s.disposable_at == frozen_now + timedelta(hours=48)
    assert result.temperature.state == "too_warm"  # recorded, and reported
    assert s.qr_payload == "LY" + s.label_code and len(s.label_code) == 12 and s.label_code.isascii()
    row = Sample.get_by_id(s.id)
    assert (row.station_id, row.staff_id) == ("st-test", "staff-c1")
    assert Outbox.select().where(Outbox.row_id == s.id).exists()
    with pytest.raises(CanteenError):
        record_sample(cook, settings, dishes(settings)["米饭"].id, "150", temperature="warm")


def test_menu_check_marks_unsampled_dishes_missed_after_service(settings, cook, lunch):
    record_sample(cook, settings, dishes(settings)["红烧肉"].id, 150)
    record_sample(cook, settings, dishes(settings)["米饭"].id, 130)
    (meal,) = meals_for_day(settings, DAY)
    assert not meal.violation and meal.sampled_count == 2
    clock.advance(timedelta(hours=1, minutes=50))  # 11:50: served
    (meal,) = meals_for_day(settings, DAY)
    assert meal.violation and meal.missed == ("清炒时蔬",)
    assert {d.name: d.state for d in meal.dishes} == {"红烧肉": "sampled", "清炒时蔬": "missed", "米饭": "sampled"}


def test_dish_with_a_sample_cannot_leave_the_menu(settings, cook, lunch):
    dish = dishes(settings)["红烧肉"]
    record_sample(cook, settings, dish.id, 150)
    with pytest.raises(CanteenError):
        remove_dish(cook, settings, dish.id)
    remove_dish(cook, settings, dishes(settings)["米饭"].id)
    assert list(dishes(settings)) == ["红烧肉", "清炒时蔬"]


def test_a_dish_served_without_a_sample_cannot_leave_the_menu(settings, cook, lunch):
    """Walk-through finding (with Delete on the meals screen): taking a dish off the menu after service began
    would hide a dish served without a sample from the register."""
    clock.advance(timedelta(hours=1, minutes=50))  # 11:50: lunch is served
    with pytest.raises(CanteenError) as caught:
        remove_dish(cook, settings, dishes(settings)["清炒时蔬"].id)
    assert caught.value.key == "canteen.err_dish_served" and "11:50" in caught.value.message()
    (meal,) = meals_for_day(settings, DAY)
    assert meal.missed == ("红烧肉", "清炒时蔬", "米饭")


def test_disposal_by_scan_waits_for_retention_then_records_who_and_reviewer(settings, cook, officer, lunch):
    s = record_sample(cook, settings, dishes(settings)["红烧肉"].id, 150).sample
    clock.advance(timedelta(hours=45, minutes=30))
    outcome = dispose(officer, settings, s.qr_payload, reviewer_id="staff-c1", reviewer_name="王师傅")
    assert not outcome.done and outcome.reason == "too_early" and (outcome.hours_left, outcome.minutes_left) == (2, 30)
    assert SampleDisposal.select().count() == 0
    clock.advance(timedelta(hours=2, minutes=30))
    with pytest.raises(CanteenError):  # the reviewer cannot be the disposer
        dispose(officer, settings, s.qr_payload, reviewer_id="staff-f1", reviewer_name="李安全")
    outcome = dispose(officer, settings, s.label_code.lower(), reviewer_id="staff-c1", reviewer_name="王师傅")
    assert outcome.done and outcome.sample.state == "disposed"
    assert (outcome.sample.disposer_name, outcome.sample.reviewer_name) == ("李安全", "王师傅")
    again = dispose(officer, settings, s.qr_payload)
    assert not again.done and again.reason == "already_disposed"
    with pytest.raises(CanteenError) as unknown:
        dispose(officer, settings, "LYNOSUCHCODE")
    for language in ("zh-CN", "en"):  # says what to check, not only that nothing was found
        assert "LY" in t_in(language, unknown.value.key, **unknown.value.values).split("LYNOSUCHCODE", 1)[1]


def test_reviewer_required_setting(settings, cook, officer, lunch):
    settings.canteen.require_reviewer = True
    s = record_sample(cook, settings, dishes(settings)["红烧肉"].id, 150).sample
    clock.advance(timedelta(hours=49))
    with pytest.raises(CanteenError) as caught:
        dispose(officer, settings, s.qr_payload)
    assert caught.value.key == "canteen.err_reviewer_required"


def test_incident_hold_blocks_disposal_and_lists_samples(settings, cook, officer, admin, lunch):
    s = record_sample(cook, settings, dishes(settings)["红烧肉"].id, 150).sample
    with pytest.raises(CanteenError):
        set_hold(officer, settings, DAY, DAY, "学生腹泻")  # admin only
    with pytest.raises(CanteenError):
        set_hold(admin, settings, DAY, DAY - timedelta(days=1), "学生腹泻")
    hold_id = set_hold(admin, settings, DAY - timedelta(days=1), DAY, "学生腹泻")
    clock.advance(timedelta(hours=72))
    outcome = dispose(officer, settings, s.qr_payload)
    assert not outcome.done and outcome.reason == "held" and outcome.sample.hold_reasons == ("学生腹泻",)
    assert [v.id for v in held_samples(settings)] == [s.id]
    (hold,) = holds(settings)
    assert hold.active and hold.samples == 1 and hold.set_by_name == "赵管理"
    due, overdue = disposal_lists(settings)
    assert due == [] and overdue == []  # held samples are on neither list
    release_hold(admin, settings, hold_id, "排除食源性原因")
    assert dispose(officer, settings, s.qr_payload).done


def test_due_and_overdue_lists(settings, cook, lunch):
    a = record_sample(cook, settings, dishes(settings)["红烧肉"].id, 150).sample
    clock.advance(timedelta(hours=30))
    b = record_sample(cook, settings, dishes(settings)["米饭"].id, 150).sample
    clock.advance(timedelta(hours=20))  # a: due 2 h ago; b: not yet
    due, overdue = disposal_lists(settings)
    assert [v.id for v in due] == [a.id] and overdue == []
    clock.advance(timedelta(hours=29))  # a: due 31 h ago -> overdue; b: due 1 h ago
    due, overdue = disposal_lists(settings)
    assert [v.id for v in due] == [b.id] and [v.id for v in overdue] == [a.id]


def test_register_has_the_paper_columns_and_shows_missed_dishes(settings, cook, lunch):
    record_sample(cook, settings, dishes(settings)["红烧肉"].id, 150, fridge="1号柜", shelf="2层", temperature=4)
    clock.advance(timedelta(hours=3))
    table = register_table(settings, *period_range("week", DAY))
    assert table.title == "留样记录表"
    assert table.headers[:6] == ["日期", "餐次", "菜品名称", "留样量(克)", "留样时间", "留样人"]
    rows = {row[2]: row for row in table.rows}
    assert rows["红烧肉"][3] == 150 and rows["红烧肉"][4] == "2026-11-18 10:00" and rows["红烧肉"][6] == "1号柜 2层"
    assert rows["红烧肉"][8] == "2026-11-20 10:00"
    assert rows["清炒时蔬"][-1] == "未留样（违规）"
    assert period_range("month", DAY) == (date(2026, 11, 1), date(2026, 11, 30))
    assert period_range("week", DAY) == (date(2026, 11, 16), date(2026, 11, 22))
    assert register_table(settings, DAY + timedelta(days=1), None).rows == []


def test_meal_checks(settings, cook, lunch):
    add_meal_check(cook, settings, lunch, "tasting", "王师傅", True, "咸淡适中")
    add_meal_check(cook, settings, lunch, "accompany", "张校长", True, "米饭偏硬")
    (meal,) = meals_for_day(settings, DAY)
    assert [(k.kind, k.person_name) for k in meal.checks] == [("tasting", "王师傅"), ("accompany", "张校长")]
    with pytest.raises(CanteenError):
        add_meal_check(cook, settings, lunch, "tasting", "  ", True)


def test_label_of_a_recorded_sample_reads_back_to_the_record(settings, cook, lunch):
    import zxingcpp  # a dev dependency: the real decoder, never skipped
    s = record_sample(cook, settings, dishes(settings)["红烧肉"].id, 150).sample
    label = render_label(settings, s)
    assert label.image.size == (320, 240) and label.image.mode == "1" and label.missing == ""
    (result,) = zxingcpp.read_barcodes(label.image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    assert find_sample(settings, result.text).id == s.id


def test_print_to_png_then_printer_off_keeps_the_sample_and_reprint_works(settings, cook, lunch, tmp_path):
    s = record_sample(cook, settings, dishes(settings)["红烧肉"].id, 150).sample
    where = print_label(cook, settings, s.id).where
    assert Image.open(where).size == (320, 240)
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    settings.printer.backend, settings.printer.device = "tspl", f"127.0.0.1:{port}"
    with pytest.raises(PrinterError) as caught:
        print_label(cook, settings, s.id)
    assert "记录已保存" in str(caught.value)
    assert Sample.get_by_id(s.id).dish_name == "红烧肉"
    settings.printer.backend = "png"
    assert print_label(cook, settings, s.id).where.endswith(f"sample-{s.label_code}.png")
    prints = AuditEntry.select().where(AuditEntry.action == "canteen.label_print").count()
    assert prints == 2  # the failed attempt is not logged as printed


def test_a_label_saved_as_an_image_is_not_said_to_be_printed(settings, cook, lunch, tmp_path):
    """Walk-through finding: with no label printer (the png backend) the station said 标签已打印 while nothing had
    come out of a printer; the box went unlabelled."""
    from kiosk.screens.canteen_common import printed_msg

    s = record_sample(cook, settings, dishes(settings)["红烧肉"].id, 150).sample
    saved = print_label(cook, settings, s.id)
    assert saved.to_file and Image.open(saved.where).size == (320, 240)
    message, level = printed_msg(saved)
    assert level == "warning" and "已存为图片" in str(message) and "已打印" not in str(message)
    device = tmp_path / "lp0"
    device.write_bytes(b"")
    settings.printer.backend, settings.printer.device = "tspl", str(device)
    printed = print_label(cook, settings, s.id)
    assert not printed.to_file and device.read_bytes().startswith(b"SIZE")
    message, level = printed_msg(printed)
    assert level == "ok" and "标签已打印" in str(message)


def test_cli_label_test_and_sample_and_export(settings, cook, lunch, tmp_path, capsys):
    s = record_sample(cook, settings, dishes(settings)["红烧肉"].id, 150).sample
    db = ["--db", settings.database.path]
    assert main(["label", "test", "-o", str(tmp_path / "t.png")]) == 0
    assert Image.open(tmp_path / "t.png").size == (320, 240)
    assert main(["label", "sample", s.qr_payload, "-o", str(tmp_path / "s.png")] + db) == 0
    assert Image.open(tmp_path / "s.png").mode == "1"
    capsys.readouterr()
    assert main(["label", "sample", s.qr_payload] + db) == 0  # no -o: to the printer, here the png backend
    assert "saved " + s.qr_payload + " as an image" in capsys.readouterr().out
    assert main(["label", "sample", "LYNOPE"] + db) == 2
    assert "找不到留样记录" in capsys.readouterr().err
    assert main(["export", "samples", "--from", "2026-11-18", "--to", "2026-11-18", "-o", str(tmp_path / "r.csv")] + db) == 0
    text = (tmp_path / "r.csv").read_text(encoding="utf-8-sig")
    assert "菜品名称" in text and "红烧肉" in text


def test_a_dish_name_no_font_can_draw_is_reported_not_boxed(settings, cook):
    meal = add_meal(cook, settings, DAY, "dinner")
    add_dishes(cook, settings, meal, ["\ue123鱼"])  # a private-use character: no font has it
    s = record_sample(cook, settings, dishes(settings)["\ue123鱼"].id, 150).sample
    printed = print_label(cook, settings, s.id)
    assert printed.missing == "\ue123"


def test_register_and_held_list_exports(settings, cook, admin, lunch, tmp_path):
    from openpyxl import load_workbook

    record_sample(cook, settings, dishes(settings)["红烧肉"].id, 150)
    path = export_register(settings, "m", DAY, tmp_path)
    assert path.endswith("samples-month-2026-11-01.xlsx")
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("日期", "餐次", "菜品名称") and any(r[2] == "红烧肉" and r[3] == 150 for r in rows[1:])
    with pytest.raises(CanteenError):
        export_register(settings, "year", DAY, tmp_path)
    set_hold(admin, settings, DAY, DAY, "学生腹泻")
    rows = list(load_workbook(export_held_list(settings, tmp_path)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][2] == "红烧肉" and rows[1][-1] == "学生腹泻"


# ---- issue 15: what the inspector reads -----------------------------------------------------------

def test_a_late_sample_and_a_warm_fridge_are_written_to_the_registers_note_with_the_label_code(settings, cook, lunch):
    """Defects 6, 7, 9: a lunch dish sampled 45 min after service began was a plain 已留样 with an empty 备注;
    a fridge outside 0-8 C only warned on screen; the register had no label code."""
    on_time = record_sample(cook, settings, dishes(settings)["米饭"].id, 150, temperature="4").sample
    clock.freeze(clock.now() + timedelta(hours=2, minutes=35))  # 10:00 -> 12:35, service began 11:50
    late = record_sample(cook, settings, dishes(settings)["红烧肉"].id, 150, temperature="10.5")
    assert late.sample.timing == rules.SampleTiming("late", 45) and not late.temperature.ok
    table = register_table(settings, DAY, DAY)
    assert table.headers[-2:] == ["标签码", "备注"]
    rows = {row[2]: row for row in table.rows}
    # the code as printed under the label's QR (LY...), as on screen and in the held-samples list
    assert rows["红烧肉"][-2] == late.sample.qr_payload and rows["米饭"][-2] == on_time.qr_payload
    assert "开餐后 45 分钟才留样" in rows["红烧肉"][-1] and "冰箱温度 10.5 摄氏度" in rows["红烧肉"][-1]
    assert rows["米饭"][-1] == ""  # 1 h 50 min before service, fridge at 4 C: nothing to say


def test_a_sample_implausibly_long_before_service_is_flagged_early(settings, cook):
    dinner = add_meal(cook, settings, DAY, "dinner", "18:00")  # the clock says 10:00: eight hours before
    add_dishes(cook, settings, dinner, ["番茄炒蛋"])
    sample = record_sample(cook, settings, dishes(settings)["番茄炒蛋"].id, 150).sample
    assert sample.timing == rules.SampleTiming("early", 480)
    (row,) = register_table(settings, DAY, DAY).rows
    assert "开餐前 8 小时 0 分钟留样" in row[-1]
    settings.canteen.early_sample_hours = 9  # a setting: this school cooks early
    (row,) = register_table(settings, DAY, DAY).rows
    assert row[-1] == ""


def test_a_hold_lists_samples_already_disposed_with_who_and_when(settings, cook, officer, admin, lunch, tmp_path):
    """Defect 10: the hold silently skipped samples already disposed."""
    from openpyxl import load_workbook

    gone = record_sample(cook, settings, dishes(settings)["红烧肉"].id, 150).sample
    kept = record_sample(cook, settings, dishes(settings)["米饭"].id, 150).sample
    clock.advance(timedelta(hours=49))
    assert dispose(officer, settings, gone.qr_payload, reviewer_id="staff-c1", reviewer_name="王师傅").done
    set_hold(admin, settings, DAY, DAY, "学生腹泻")
    (hold,) = holds(settings)
    assert (hold.samples, hold.disposed) == (1, 1)
    rows = list(load_workbook(export_held_list(settings, tmp_path)).active.iter_rows(values_only=True))
    by_dish = {r[2]: r for r in rows[1:]}
    assert by_dish["米饭"][-1] == "学生腹泻" and kept.dish_name == "米饭"
    assert by_dish["红烧肉"][-1].startswith("已处理，无法封存（李安全，2026-11-20")


def test_a_school_day_without_meals_by_the_set_time_is_an_alert():
    """Defect 8: no meal set up shows no warning."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    here = ZoneInfo("Asia/Shanghai")
    wednesday_10 = datetime(2026, 11, 18, 10, 0, tzinfo=here)
    assert rules.meals_missing_alert(wednesday_10, 0, "10:00")
    assert not rules.meals_missing_alert(wednesday_10 - timedelta(minutes=1), 0, "10:00")
    assert not rules.meals_missing_alert(wednesday_10, 3, "10:00")
    assert not rules.meals_missing_alert(wednesday_10 + timedelta(days=3), 0, "10:00")  # Saturday


def test_a_refused_printer_connection_is_told_in_the_station_language_only(settings, cook, lunch):
    """Defect 11: 无法打印（Connection refused）mixed English into the message."""
    from kiosk.i18n import set_language

    s = record_sample(cook, settings, dishes(settings)["红烧肉"].id, 150).sample
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    settings.printer.backend, settings.printer.device = "tspl", f"127.0.0.1:{port}"
    with pytest.raises(PrinterError) as caught:
        print_label(cook, settings, s.id)
    set_language("zh-CN")
    assert "连接被拒绝" in caught.value.message() and "refused" not in caught.value.message()


def test_english_counts_of_one_are_singular():
    """Issue 12 point 3 for the canteen: '1 dishes added', '1 samples overdue for disposal'."""
    from kiosk.i18n import t_in

    assert t_in("en", "canteen.dishes_added", count=1) == "1 dish added."
    assert t_in("en", "canteen.dishes_added", count=3) == "3 dishes added."
    assert t_in("en", "canteen.alert_overdue", count=1) == "Overdue samples: 1"  # a label: no plural to get wrong
    assert t_in("en", "canteen.alert_missed", count=1) == "Unsampled: 1"
    assert t_in("en", "canteen.copy_done", count=1, day="2026-11-18") == "Copied 1 dish from 2026-11-18."
    assert t_in("en", "canteen.held_heading", count=1).startswith("1 sample on hold")
    assert t_in("en", "canteen.meals_missed_count", count=2) == "2 dishes NOT sampled (violation)"


def test_every_canteen_key_made_at_run_time_is_in_both_catalogs():
    """The catalog test reads literal keys only: the canteen's t(f"canteen.{family}_{value}") keys are listed
    here from the values the code can give them, so a missing one fails here instead of showing its key."""
    from kiosk.i18n import catalog
    from kiosk.screens.canteen_common import SAMPLE_COLUMNS
    from kiosk.screens.canteen_meals import MEAL_COLUMNS

    families = {
        "meal": rules.MEAL_KINDS,
        "state": ("sampled", "pending", "missed", "kept", "due", "overdue", "held", "disposed"),
        "mark": ("late", "early"),
        "weekday": tuple(str(day) for day in range(1, 8)),
        "meals_col": MEAL_COLUMNS,
        "col_list": SAMPLE_COLUMNS + ("code",),
        "col_hold": ("state", "from", "to", "samples", "reason", "by"),
        "col": REGISTER_HEADERS,
        "temperature": ("too_cold", "too_warm"),
        "note": ("too_cold", "too_warm", "late", "early"),
        "err_dish": ("unknown", "sampled", "served"),
    }
    keys = {f"canteen.{family}_{value}" for family, values in families.items() for value in values}
    for kind in ("tasting", "accompany"):
        keys |= {f"canteen.check_{kind}_{part}" for part in ("title", "short", "ok_question", "answer_ok",
                                                           "answer_problem")}
    for language in ("zh-CN", "en"):
        missing = sorted(keys - set(catalog(language)))
        assert not missing, (language, missing)
