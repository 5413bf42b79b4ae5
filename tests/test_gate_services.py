"""Gate services on a real (temporary file) database: register, watchlist decisions, on-site, sign-out,
reveal, patrol, handover, purge, exports and the CLI."""
from __future__ import annotations

import csv
from datetime import timedelta

import pytest

from kiosk import clock, i18n
from kiosk.i18n import t_in
from kiosk.models import AuditEntry, Outbox, Staff, Student
from kiosk.models.visitors import PatrolRound, ShiftHandover, Visit, WatchlistDecision
from kiosk.services import gate_exports, gate_shift, visitors
from kiosk.services.actor import Actor
from kiosk.services.facts import verify_audit_chain
from kiosk.services.visitor_rules import HostRef, VisitForm

ID = "11010519491231002X"


def actor_for(number: str) -> Actor:
    staff = Staff.get(Staff.number == number)
    return Actor(school_id="demo", station_id="st-test", staff_id=staff.id, staff_number=staff.number,
                 staff_name=staff.name, roles=staff.role_set())


STAFF = (("G001", "gatekeeper", "111111", "门卫甲"), ("G002", "gatekeeper", "111111", "门卫乙"),
         ("Z001", "discipline", "555555", "政教员"), ("L001", "duty_leader", "777777", "李国强"),
         ("A001", "admin", "888888", "管理员"), ("C001", "canteen", "333333", "食堂员"))


def make_school(settings, students: int = 12):
    """A tiny school (no other feature's demo history): fast, and only gate rows in the gate tables."""
    from kiosk.db import ensure_station_identity
    from kiosk.models import School
    from kiosk.services.auth import hash_pin
    from kiosk.services.facts import record
    from kiosk.services.names import pinyin_initials

    now = clock.now()
    system = Actor(school_id="demo", station_id=ensure_station_identity())
    names = ["张华丽", "李明", "王芳", "赵磊", "陈静", "刘洋", "杨帆", "黄敏", "周杰", "吴娜", "徐强", "孙丽"]
    with record(system, "test.school") as w:
        w.insert(School(id="demo", name="测试学校", timezone="Asia/Shanghai"))
        for number, roles, pin, name in STAFF:
            w.insert(Staff(school_id="demo", number=number, name=name, initials=pinyin_initials(name), roles=roles,
                           pin_hash=hash_pin(pin), updated_at=now))
        for i in range(students):
            name = names[i % len(names)]
            w.insert(Student(school_id="demo", number=f"2026010{i:02d}", name=name, initials=pinyin_initials(name),
                             gender="F", grade="高一", class_name="高一(1)班", boarder=False,
                             guardian_name=name[0] + "建国", guardian_phone=f"1381234{i:04d}", updated_at=now))
    return settings


@pytest.fixture
def gate(db, settings, frozen_now):
    return make_school(settings)


def host() -> HostRef:
    student = Student.select().order_by(Student.number).first()
    return HostRef("student", student.id, student.name)


def form(**changes) -> VisitForm:
    values = dict(id_type="resident", id_number=ID, name="王建国", phone="13812345678", category="parent",
                  reason="送生活用品", host=host(), companions=1, companion_names="王小丽", vehicle_plate="湘A12345",
                  items="衣物")
    values.update(changes)
    return VisitForm(**values)


def test_register_writes_visit_outbox_and_audit(gate):
    keeper = actor_for("G001")
    outbox_before = Outbox.select().count()
    result = visitors.register_visit(keeper, form(), gate)
    assert result.status == "admitted"
    view = result.visit
    assert view.id_masked == "110105********002X"
    assert view.gatekeeper == keeper.staff_name
    assert view.time_in == clock.now()
    assert view.expected_leave_at == clock.now() + timedelta(minutes=120)
    row = Visit.get_by_id(view.id)
    assert (row.staff_id, row.station_id, row.id_number) == (keeper.staff_id, "st-test", ID)
    assert row.code == view.code and len(row.code) == 12 and row.code.isascii()
    assert Outbox.select().count() == outbox_before + 1
    assert AuditEntry.select().order_by(AuditEntry.seq.desc()).first().action == "gate.visit_admitted"
    assert verify_audit_chain() is None


def test_invalid_form_writes_nothing(gate):
    before = Visit.select().count(), AuditEntry.select().count()
    result = visitors.register_visit(actor_for("G001"), form(id_number="110105194912310021"), gate)
    assert result.status == "invalid"
    assert result.errors[0].field == "id_number"
    assert (Visit.select().count(), AuditEntry.select().count()) == before


def test_returning_visitor_is_prefilled(gate):
    assert visitors.returning_visitor("demo", ID) is None
    first = visitors.register_visit(actor_for("G001"), form(), gate).visit
    visitors.sign_out(actor_for("G001"), first.id)
    clock.advance(timedelta(days=3))
    visitors.register_visit(actor_for("G002"), form(reason="看望孩子"), gate)
    prefill = visitors.returning_visitor("demo", "11010519491231002x")
    assert prefill.name == "王建国" and prefill.phone == "13812345678" and prefill.reason == "看望孩子"
    assert prefill.visits == 2 and prefill.vehicle_plate == "湘A12345"
    assert prefill.host_name == host().name


def test_night_visit_needs_duty_leader(gate):
    clock.freeze(clock.now().replace(hour=14, minute=30))  # 22:30 in Shanghai
    result = visitors.register_visit(actor_for("G001"), form(), gate)
    assert result.status == "invalid" and result.errors[0].key == "night_needs_duty_leader"
    result = visitors.register_visit(actor_for("G001"), form(duty_leader="某某"), gate)  # defect 11: free text
    assert result.status == "invalid" and result.errors[0].key == "night_needs_duty_leader"
    gatekeeper = Staff.get(Staff.number == "G002")
    result = visitors.register_visit(actor_for("G001"), form(duty_leader="某某", duty_leader_id=gatekeeper.id), gate)
    assert result.status == "invalid" and result.errors[0].key == "night_leader_not_duty"
    leader = Staff.get(Staff.number == "L001")
    result = visitors.register_visit(actor_for("G001"), form(duty_leader="随便写", duty_leader_id=leader.id), gate)
    assert result.status == "admitted" and result.visit.night and result.visit.duty_leader == "李国强"
    assert Visit.select().count() == 1


def test_watchlist_warn_needs_decision_then_allow_with_reason(gate):
    office = actor_for("Z001")
    visitors.add_watch_entry(office, id_type="resident", id_number="", name="王建国", level="warn",
                             reason="多次推销", expires_at=None)
    keeper = actor_for("G001")
    result = visitors.register_visit(keeper, form(id_type="none", id_number=""), gate)
    assert result.status == "needs_decision" and result.level == "warn"
    assert Visit.select().count() == 0
    bad = visitors.register_visit(keeper, form(id_type="none", id_number=""), gate, visitors.Decision("allow", ""))
    assert bad.status == "needs_decision" and bad.problem == "decision_reason_required"
    ok = visitors.register_visit(keeper, form(id_type="none", id_number=""), gate,
                                 visitors.Decision("allow", "核实为学生家长，班主任确认"))
    assert ok.status == "admitted"
    decision = WatchlistDecision.get()
    assert (decision.visit_id, decision.decision, decision.staff_id) == (ok.visit.id, "allow", keeper.staff_id)


def test_watchlist_deny_refusal_is_a_record_and_allow_needs_approver(gate):
    office = actor_for("Z001")
    entry = visitors.add_watch_entry(office, id_type="resident", id_number=ID, name="", level="deny",
                                     reason="法院限制令", expires_at=clock.now() + timedelta(days=30))
    keeper = actor_for("G001")
    result = visitors.register_visit(keeper, form(), gate)
    assert result.status == "needs_decision" and result.hits[0].entry_id == entry.id and result.hits[0].match == "id"
    nope = visitors.register_visit(keeper, form(), gate, visitors.Decision("allow", "他说有急事"))
    assert nope.problem == "decision_needs_approver"
    refused = visitors.register_visit(keeper, form(), gate, visitors.Decision("refuse"))
    assert refused.status == "refused"
    row = Visit.get_by_id(refused.visit.id)
    assert row.status == "refused" and row.expected_leave_at is None
    assert WatchlistDecision.get(WatchlistDecision.visit_id == row.id).decision == "refuse"
    assert visitors.onsite("demo") == []  # a refused visitor is not on site
    leader = Staff.get(Staff.number == "L001")
    allowed = visitors.register_visit(keeper, form(), gate, visitors.Decision(
        "allow", "值班领导陪同，仅在传达室见面", leader.id, leader.name, leader.role_set()))
    assert allowed.status == "admitted"
    assert WatchlistDecision.get(WatchlistDecision.visit_id == allowed.visit.id).approver_name == leader.name
    # Expired and revoked entries no longer stop anyone.
    visitors.sign_out(keeper, allowed.visit.id)
    visitors.revoke_watch_entry(office, entry.id)
    assert visitors.register_visit(keeper, form(), gate).status == "admitted"


def test_watch_entry_checks(gate):
    office = actor_for("Z001")
    with pytest.raises(visitors.GateError) as error:
        visitors.add_watch_entry(office, id_type="resident", id_number="", name="", level="deny", reason="x y",
                                 expires_at=None)
    assert error.value.key == "gate.watch_needs_id_or_name"
    with pytest.raises(visitors.GateError) as error:
        visitors.add_watch_entry(office, id_type="resident", id_number="110105194912310021", name="", level="deny",
                                 reason="理由", expires_at=None)
    assert error.value.key == "gate.id_bad_check_character"
    with pytest.raises(visitors.GateError) as error:
        visitors.add_watch_entry(office, id_type="resident", id_number="", name="某人", level="deny", reason="理由",
                                 expires_at=clock.now() - timedelta(days=1))
    assert error.value.key == "gate.watch_expiry_past"
    views = visitors.list_watchlist("demo")
    assert views == []


def test_onsite_overstay_and_sign_out_by_code(gate):
    keeper = actor_for("G001")
    first = visitors.register_visit(keeper, form(), gate).visit
    clock.advance(timedelta(minutes=30))
    second = visitors.register_visit(keeper, form(id_number="360426199101010071", name="李四"), gate).visit
    clock.advance(timedelta(minutes=100))  # first is 130 min in (expected 120), second 100 min
    listed = visitors.onsite("demo")
    assert [v.name for v in listed] == ["王建国", "李四"]
    assert [v.overstay_minutes for v in listed] == [10, 0]
    out = visitors.sign_out_by_code(keeper, first.code.lower() + " ")
    assert out.time_out == clock.now() and out.id == first.id
    assert [v.id for v in visitors.onsite("demo")] == [second.id]
    with pytest.raises(visitors.GateError) as error:
        visitors.sign_out_by_code(keeper, first.code)
    assert error.value.key == "gate.signout_already"
    with pytest.raises(visitors.GateError) as error:
        visitors.sign_out_by_code(keeper, "NOSUCHCODE")
    assert error.value.key == "gate.signout_unknown_code"
    for language in ("zh-CN", "en"):  # the refusal says what to do next: the code on the slip, or the list
        assert "F2" in t_in(language, error.value.key, **error.value.values)
    row = Visit.get_by_id(first.id)
    assert row.out_staff_id == keeper.staff_id and row.out_station_id == "st-test"


def test_reveal_is_admin_only_and_audited(gate):
    visit = visitors.register_visit(actor_for("G001"), form(), gate).visit
    with pytest.raises(visitors.GateError):
        visitors.reveal_id_number(actor_for("G001"), visit.id)
    assert visitors.reveal_id_number(actor_for("A001"), visit.id) == ID
    entry = AuditEntry.select().order_by(AuditEntry.seq.desc()).first()
    assert (entry.action, entry.entity_id, entry.staff_id) == ("gate.id_revealed", visit.id, actor_for("A001").staff_id)


def test_patrol_and_handover(gate):
    keeper = actor_for("G001")
    with pytest.raises(visitors.GateError):
        gate_shift.log_patrol(keeper, "fence", "", all_clear=False)
    patrol = gate_shift.log_patrol(keeper, "fence", "东侧围墙外有人逗留，已劝离", all_clear=False)
    assert gate_shift.patrols("demo", limit=1)[0].id == patrol.id
    visitors.register_visit(keeper, form(), gate)
    with pytest.raises(visitors.GateError) as error:
        gate_shift.record_handover(keeper, "000000", "G002", "111111", "")
    assert error.value.key == "gate.handover_outgoing_pin"
    with pytest.raises(visitors.GateError) as error:
        gate_shift.record_handover(keeper, "111111", "G002", "999999", "")
    assert error.value.key == "gate.handover_incoming_pin"
    with pytest.raises(visitors.GateError) as error:
        gate_shift.record_handover(keeper, "111111", "G001", "111111", "")
    assert error.value.key == "gate.handover_same_person"
    with pytest.raises(visitors.GateError) as error:
        gate_shift.record_handover(keeper, "111111", "C001", "333333", "")
    assert error.value.key == "gate.handover_incoming_unknown"
    count = ShiftHandover.select().count()
    done = gate_shift.record_handover(keeper, "111111", "G002", "111111", "东侧门锁已报修")
    assert ShiftHandover.select().count() == count + 1
    assert done.onsite_count == 1 and "王建国" in done.open_items[0].text
    assert done.incoming_name == Staff.get(Staff.number == "G002").name


def test_an_overstayer_handed_over_is_marked_in_the_language_shown(gate):
    """The mark was built in the service as `+468min` and shown so in Chinese too."""
    from kiosk.screens.gate_shift import handover_line

    keeper = actor_for("G001")
    visitors.register_visit(keeper, form(), gate)
    clock.advance(timedelta(minutes=130))  # 10 minutes past the expected 120
    done = gate_shift.record_handover(keeper, "111111", "G002", "111111", "")
    item, = done.open_items
    assert item.overstay_minutes == 10 and "min" not in item.text
    assert gate_shift.handovers("demo")[0].open_items == (item,)  # stored with its minutes, read back alike
    assert handover_line(item).endswith("超 10 分")
    i18n.set_language("en")
    assert handover_line(item).endswith("+10 min")


def test_hand_over_returns_a_refusal_with_its_field_or_the_incoming_session(gate):
    keeper = actor_for("G001")
    refused = gate_shift.hand_over(keeper, "000000", "G002", "111111", "")
    assert refused.done is None and refused.refused.field_key == "handover_outgoing_pin"
    outcome = gate_shift.hand_over(keeper, "111111", "G002", "111111", "")
    assert outcome.refused is None and outcome.done.incoming_name == outcome.incoming_session.name


def test_evacuation_list_written_or_a_gate_error_saying_what_to_do(gate, tmp_path, monkeypatch):
    from zoneinfo import ZoneInfo

    from kiosk import paths

    visitors.register_visit(actor_for("G001"), form(), gate)
    monkeypatch.setattr(paths, "data_dir", lambda: tmp_path)
    written = gate_exports.write_evacuation_list(gate, ZoneInfo("Asia/Shanghai"))
    assert written.count == 1 and written.path.endswith(".csv")
    blocked = tmp_path / "blocked"
    blocked.write_text("")  # a file where the folder should be: the OS refuses
    monkeypatch.setattr(paths, "data_dir", lambda: blocked)
    with pytest.raises(visitors.GateError) as error:
        gate_exports.write_evacuation_list(gate, ZoneInfo("Asia/Shanghai"))
    assert error.value.key == "gate.evacuation_failed"


def test_purge_anonymises_but_keeps_counts_and_times(gate):
    keeper = actor_for("G001")
    old = visitors.register_visit(keeper, form(), gate).visit
    visitors.sign_out(keeper, old.id)
    clock.advance(timedelta(days=181))
    recent = visitors.register_visit(keeper, form(name="新访客", id_number="360426199101010071"), gate).visit
    dry = visitors.purge_visitor_data(keeper, 180, dry_run=True)
    assert (dry.due, dry.purged) == (1, 0)
    assert Visit.get_by_id(old.id).name == "王建国"
    result = visitors.purge_visitor_data(keeper, 180)
    assert result.purged == 1
    row = Visit.get_by_id(old.id)
    assert (row.name, row.id_number, row.phone, row.vehicle_plate, row.companion_names) == ("", "", "", "", "")
    assert row.companions == 1 and row.time_in == old.time_in and row.time_out is not None
    assert row.category == "parent" and row.purged_at == clock.now()
    assert Visit.get_by_id(recent.id).name == "新访客"
    assert visitors.returning_visitor("demo", ID) is None
    assert visitors.purge_visitor_data(keeper, 180).purged == 0
    assert verify_audit_chain() is None


def test_exports_are_masked_with_register_columns(gate, tmp_path):
    from kiosk.cli import main

    keeper = actor_for("G001")
    visit = visitors.register_visit(keeper, form(), gate).visit
    out = tmp_path / "visits.csv"
    code = main(["export", "visits", "--db", gate.database.path, "--from", "2026-11-18", "--to", "2026-11-18",
                 "-o", str(out)])
    assert code == 0
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rows[0][:12] == ["日期", "进校时间", "离校时间", "姓名", "证件号码", "电话", "单位/类别", "事由", "被访人",
                            "随行", "车牌", "值班门卫"]
    assert rows[1][:5] == ["2026-11-18", "10:00", "", "王建国", "110105********002X"]
    assert rows[1][11] == keeper.staff_name
    assert ID not in out.read_text(encoding="utf-8-sig")
    onsite = tmp_path / "onsite.csv"
    assert main(["export", "onsite", "--db", gate.database.path, "-o", str(onsite)]) == 0
    assert visit.code in onsite.read_text(encoding="utf-8-sig")
    patrols = tmp_path / "patrols.xlsx"
    assert main(["export", "patrols", "--db", gate.database.path, "--format", "xlsx", "-o", str(patrols)]) == 0


def test_purge_cli(gate, capsys):
    from kiosk.cli import main

    keeper = actor_for("G001")
    visitors.register_visit(keeper, form(), gate)
    clock.advance(timedelta(days=200))
    assert main(["purge", "--dry-run", "--db", gate.database.path]) == 0
    assert "1 visits" in capsys.readouterr().out
    assert Visit.get().name == "王建国"
    assert main(["purge", "--db", gate.database.path]) == 0
    assert Visit.get().name == ""


def test_demo_seed_has_a_week_with_visitors_on_site(gate):
    import random

    from kiosk.db import ensure_station_identity
    from kiosk.features import gate as gate_feature
    from kiosk.services.demo import DemoContext

    demo = DemoContext(settings=gate, rng=random.Random(5), now=clock.now(), station_id=ensure_station_identity(),
                       students=list(Student.select()), staff=list(Staff.select()))
    gate_feature.seed_demo(demo)
    assert Visit.select().count() > 20
    categories = {v.category for v in Visit.select()}
    assert {"parent", "delivery", "contractor"} <= categories
    on_site = visitors.onsite("demo")
    assert len(on_site) == 3 and sum(1 for v in on_site if v.overstay_minutes) == 1
    assert Visit.select().where(Visit.status == "refused").count() == 1
    assert Visit.select().where(Visit.night == True).count() == 1  # noqa: E712
    assert PatrolRound.select().count() > 0 and ShiftHandover.select().count() > 0
    assert len(visitors.list_watchlist("demo")) == 3
    assert sum(1 for w in visitors.list_watchlist("demo") if w.in_force) == 2
    assert verify_audit_chain() is None


def test_host_search_by_pinyin_initials_name_and_number(gate):
    hosts = visitors.search_hosts("zhl", "demo")
    assert hosts and hosts[0].name.startswith("张华丽") and hosts[0].kind == "student"
    student = hosts[0]  # the class once, in the name; the detail is the number (it said the class again)
    assert student.name.count("班") == 1 and "班" not in str(student.detail)
    assert visitors.search_hosts("李国强", "demo")[0].kind == "staff"
    assert visitors.search_hosts("G001", "demo")[0].name == "门卫甲"
    assert visitors.search_hosts("", "demo") == []


def test_visitor_slip_png_reads_back_as_the_visit_code(gate):
    from PIL import Image

    from kiosk.services.visitor_slip import print_visitor_slip
    from tests.conftest import require

    try:
        import zxingcpp
    except ImportError:
        zxingcpp = None
    visit = visitors.register_visit(actor_for("G001"), form(), gate).visit
    result = print_visitor_slip(gate, visit)
    assert result.is_file and result.where.endswith(f"visitor-{visit.code}.png")
    image = Image.open(result.where)
    assert image.mode == "1" and image.size == (320, 240)
    require(zxingcpp is not None, "zxing-cpp is not installed")
    codes = [r.text for r in zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)]
    assert codes == [visit.code]
    # The code read back signs the visitor out.
    assert visitors.sign_out_by_code(actor_for("G001"), codes[0]).id == visit.id


def test_slip_printer_failure_is_a_message(gate):
    from kiosk.i18n import UserError
    from kiosk.services.visitor_slip import print_visitor_slip

    visit = visitors.register_visit(actor_for("G001"), form(), gate).visit
    gate.printer.backend = "tspl"
    gate.printer.device = "/nonexistent/printer"
    with pytest.raises(UserError) as raised:  # said on the screen's message line, nothing half-done
        print_visitor_slip(gate, visit)
    assert raised.value.message()


def test_slip_that_cannot_be_written_says_what_to_do(gate, monkeypatch):
    import errno

    from kiosk.labels import printers
    from kiosk.services.visitor_slip import print_visitor_slip

    visit = visitors.register_visit(actor_for("G001"), form(), gate).visit

    class FullDisk:
        def print_image(self, image, name):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(printers, "get_printer", lambda settings: FullDisk())
    with pytest.raises(visitors.GateError) as raised:
        print_visitor_slip(gate, visit)
    assert raised.value.key == "gate.slip_failed" and "F6" in raised.value.message()


def test_daily_purge_job_and_overstay_alert(gate):
    from kiosk.context import KioskContext
    from kiosk.features import gate as gate_feature

    keeper = actor_for("G001")
    visitors.register_visit(keeper, form(), gate)
    ctx = KioskContext(settings=gate, station_id="st-test")
    assert gate_feature.status_alerts(ctx) == []
    clock.advance(timedelta(minutes=121))
    assert gate_feature.status_alerts(ctx) == ["访客超时 1 人"]
    gate.station.kind = "dorm"
    assert gate_feature.status_alerts(ctx) == []
    clock.advance(timedelta(days=gate.gate.visitor_retention_days))
    for job in gate_feature.daily_jobs:
        job(gate)
    assert Visit.get().name == "" and Visit.get().purged_at is not None


def test_a_refusal_needs_who_it_was_not_what_they_came_for(gate):
    """A watchlisted person refused at the ID scan is recorded with the ID (and the list's name), without the
    phone, category, reason and host; a refusal with nobody on the list to refuse is checked as any visit."""
    Decision = visitors.Decision
    bare = VisitForm(id_type="resident", id_number=ID, name="", phone="", category="", reason="", host=None)
    refuse = Decision("refuse")
    unlisted = visitors.register_visit(actor_for("G002"), bare, gate, refuse)
    assert unlisted.status == "invalid" and {e.field for e in unlisted.errors} >= {"name", "phone", "host"}
    visitors.add_watch_entry(actor_for("Z001"), id_type="resident", id_number=ID, name="郑志远", level="deny",
                             reason="法院限制令", expires_at=None)
    done = visitors.register_visit(actor_for("G002"), bare, gate, refuse)
    assert done.status == "refused" and done.visit.name == "郑志远"
    visit = Visit.get()
    assert (visit.status, visit.id_number, visit.phone, visit.category, visit.host_name) == ("refused", ID, "", "", "")
    assert visitors.onsite("demo") == []
    admitted = visitors.register_visit(actor_for("G002"), bare, gate, Decision("allow", "家长说明"))
    assert admitted.status == "invalid"  # letting someone in needs the whole form, decision or not
