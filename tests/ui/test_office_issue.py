"""The office slip form with Pilot: find the student by pinyin and see who it is before signing; one 已签发;
what printing really did; Esc after a completed issue; editing a time safely; a head teacher's own class only;
an expired slip is not revoked."""
from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import DataTable, Input, OptionList

from kiosk import clock
from kiosk.models import Room, Student
from kiosk.models.slips import PassSlip, SlipRevocation
from kiosk.screens.dialogs import ConfirmDialog, TextDialog
from kiosk.screens.slip_office import IssueScreen, SlipListScreen
from kiosk.services.actor import Actor
from kiosk.services.facts import record
from kiosk.services.names import pinyin_initials
from tests.ui.test_slips_ui import issue, make_tiny_school, svc_settings
from tests.ui_helpers import login, settle, start_app, type_text


@pytest.fixture
def office(db, settings, frozen_now):
    """The tiny school (张华丽 boarder, 李明 day student, both 高一(1)班; head teacher T001) plus 张华, a boarder
    of the same class, and 张华强, a boarder of 高一(2)班."""
    svc_settings["s"] = settings
    make_tiny_school(settings)
    system = Actor(school_id="demo", station_id="st-test")
    room = Room.get()
    with record(system, "test.more") as w:
        for number, name, class_name in (("20260103", "张华", "高一(1)班"), ("20260201", "张华强", "高一(2)班")):
            w.insert(Student(school_id="demo", number=number, name=name, initials="", gender="F", grade="高一",
                             class_name=class_name, boarder=True, room=room, bed=2, guardian_name="王芳",
                             guardian_phone="13900000002", active=True, updated_at=clock.now()))
    for student in Student.select():
        Student.update(initials=pinyin_initials(student.name)).where(Student.id == student.id).execute()
    yield settings
    svc_settings.clear()


async def open_issue(app, pilot, number="T001", pin="444444") -> IssueScreen:
    await login(pilot, number, pin)
    await pilot.press("i")
    await settle(pilot)
    assert isinstance(app.screen, IssueScreen)
    return app.screen


def who(screen) -> str:
    return str(screen.query_one("#issue-student-who").render())


def message(screen) -> str:
    return screen.message_text()


async def test_pinyin_initials_list_then_pick_shows_who_then_issue_says_issued_once(office):
    async with start_app(office, "office") as (app, pilot):
        screen = await open_issue(app, pilot)
        await type_text(pilot, "zh")  # 张华丽 and 张华 of the class (张华强 is another class)
        await settle(pilot)
        choices = screen.query_one("#issue-student-choices", OptionList)
        assert choices.option_count == 2 and "2" in who(screen)
        await pilot.press("f2")  # nobody picked yet: nothing is signed
        await settle(pilot)
        assert not PassSlip.select().exists() and "选定学生" in message(screen)
        await pilot.press("down")
        assert app.focused is choices
        texts = [str(choices.get_option_at_index(i).prompt) for i in range(2)]
        index = next(i for i, text in enumerate(texts) if "张华丽" in text)
        for _ in range(index):
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot)
        shown = who(screen)
        assert all(part in shown for part in ("张华丽", "20260101", "高一(1)班", "女生1号楼 305", "张建国", "13900000001"))
        assert app.focused is screen.query_one("#issue-kind")  # picked: the form goes on
        await pilot.press("f2")
        await settle(pilot)
        slip = PassSlip.get()
        assert slip.student.name == "张华丽"
        said = message(screen)
        assert said.count("已签发") == 1 and "已打印" not in said
        assert "未接打印机" in said and "slip-" in said  # saved as a picture, and it says so


async def test_full_pinyin_and_a_single_match_picks_at_once(office):
    async with start_app(office, "office") as (app, pilot):
        screen = await open_issue(app, pilot)
        await type_text(pilot, "zhanghuali")
        await settle(pilot)
        assert "张华丽" in who(screen) and screen.query_one("#issue-student-choices", OptionList).option_count == 0
        assert screen.query_one("#issue-student", Input).value == "zhanghuali"  # what was typed stays


async def test_a_head_teacher_finds_only_their_own_class(office):
    async with start_app(office, "office") as (app, pilot):
        screen = await open_issue(app, pilot)
        await type_text(pilot, "20260201")  # 张华强, 高一(2)班
        await settle(pilot)
        assert "张华强" not in who(screen) and "本班" in who(screen)
        await pilot.press("f2")
        await settle(pilot)
        assert not PassSlip.select().exists()


async def test_a_day_student_is_flagged_before_signing(office):
    async with start_app(office, "office") as (app, pilot):
        screen = await open_issue(app, pilot)
        await type_text(pilot, "20260102")
        await settle(pilot)
        assert "李明" in who(screen) and "走读生" in who(screen)
        await pilot.press("f2")
        await settle(pilot)
        assert not PassSlip.select().exists() and "走读生" in message(screen)


async def test_escape_after_a_completed_issue_leaves_without_asking(office):
    async with start_app(office, "office") as (app, pilot):
        screen = await open_issue(app, pilot)
        await type_text(pilot, "zhanghuali")
        await settle(pilot)
        screen.query_one("#issue-companion", Input).value = "张建国"
        await pilot.press("f2")
        await settle(pilot)
        assert PassSlip.select().count() == 1
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, (ConfirmDialog, IssueScreen))


async def test_an_edited_time_is_kept_safe(office):
    async with start_app(office, "office") as (app, pilot):
        screen = await open_issue(app, pilot)
        field = screen.query_one("#issue-return_by", Input)
        before = field.value
        field.focus()
        await pilot.pause()
        await pilot.press("5")  # Tab/focus into a time must not select it all for this key to wipe
        assert field.value == before + "5"
        await pilot.press("backspace")
        await pilot.press("home")
        assert field.value == before
        field.value = before[:-2] + "45"  # an edited time: Esc asks before throwing it away
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)


async def test_an_expired_slip_is_not_revoked(office):
    from kiosk.services.slips import SlipError
    from kiosk.services.slips_office import revoke_slip
    from tests.ui.test_slips_ui import teacher

    issued = issue(start=timedelta(minutes=-10), hours=1, back=2)
    clock.advance(timedelta(hours=3))  # the leave window is over, never used: expired
    with pytest.raises(SlipError) as refused:
        revoke_slip(teacher(), issued.slip.id, "家长改期")
    assert refused.value.key == "office.revoke_expired"
    async with start_app(office, "office") as (app, pilot):
        await login(pilot, "T001", "444444")
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SlipListScreen) and screen.query_one(DataTable).row_count == 1
        await pilot.press("f8")
        await settle(pilot)
        assert not isinstance(app.screen, TextDialog)  # no reason asked for nothing
        assert "已过期" in screen.message_text()
    assert not SlipRevocation.select().exists()


async def test_a_head_teacher_sees_verbal_permissions_of_their_own_class_only(office):
    from kiosk.features.slips import status_alerts
    from kiosk.i18n import t
    from kiosk.screens.slip_office import ExceptionsScreen
    from kiosk.services.slips_gate import record_verbal_exception
    from kiosk.services.slips_office import verbal_exceptions

    gate = Actor(school_id="demo", station_id="st-gate", roles=frozenset({"gatekeeper"}))
    for number in ("20260101", "20260201"):  # 张华丽 of the teacher's class, 张华强 of 高一(2)班
        record_verbal_exception(gate, student_number=number, direction="exit", teacher_name="班主任乙",
                                teacher_phone="13800000009")
    async with start_app(office, "office") as (app, pilot):
        await login(pilot, "T001", "444444")
        await pilot.press("y")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ExceptionsScreen)
        table = screen.query_one(DataTable)
        assert table.row_count == 1 and "张华丽" in str(table.get_row_at(0)[1])
        # the status bar counts what the list shows (it said 2: the whole school's)
        assert status_alerts(app.ctx) == [t("slips.alert_verbal", count=1)]
        await pilot.press("f2")
        await settle(pilot)
        assert [row.student.name for row in verbal_exceptions("demo")] == ["张华强"]  # the other class waits


async def test_a_head_teacher_sees_gate_refusals_of_their_own_class_only(office):
    """Gate defect: 门卫拒绝记录 showed a head teacher the refused scans of every class; the admin sees them all."""
    from kiosk.screens.slip_office import RefusalsScreen
    from kiosk.services.slips_gate import check_at_gate

    gate = Actor(school_id="demo", station_id="st-gate", roles=frozenset({"gatekeeper"}))
    for number in ("20260101", "20260201"):  # boarders without a slip: 张华丽 of 高一(1)班, 张华强 of 高一(2)班
        assert check_at_gate(gate, office, number).verdict.kind == "refuse"
    for number, pin, names in (("T001", "444444", ["张华丽"]), ("A001", "888888", ["张华强", "张华丽"])):
        async with start_app(office, "office") as (app, pilot):
            await login(pilot, number, pin)
            await pilot.press("f")
            await settle(pilot)
            assert isinstance(app.screen, RefusalsScreen)
            table = app.screen.query_one(DataTable)
            assert sorted(str(table.get_row_at(i)[1]) for i in range(table.row_count)) == sorted(names), number


async def test_a_head_teacher_sees_conflicts_of_their_own_class_only(office):
    from kiosk.screens.slip_conflicts import ConflictsScreen
    from kiosk.services.auth import hash_pin
    from kiosk.models import Staff
    from tests.test_slip_conflicts import issue_slip, write_crossing

    slip = issue_slip(office)  # 张华丽 of 高一(1)班, used at two gates
    write_crossing("gate-east", slip.id, "exit", clock.now())
    write_crossing("gate-west", slip.id, "exit", clock.now() + timedelta(minutes=2))
    with record(Actor(school_id="demo", station_id="st-test"), "test.staff") as w:
        w.insert(Staff(school_id="demo", number="T002", name="班主任丁", initials="", roles="head_teacher",
                       class_name="高一(2)班", phone="", card_code="", pin_hash=hash_pin("555555"), active=True,
                       updated_at=clock.now()))
    for number, pin, rows in (("T002", "555555", 0), ("T001", "444444", 1)):
        async with start_app(office, "office") as (app, pilot):
            await login(pilot, number, pin)
            await pilot.press("k")
            await settle(pilot)
            assert isinstance(app.screen, ConflictsScreen)
            assert app.screen.query_one(DataTable).row_count == rows


async def test_the_slip_list_fits_80_columns_with_the_rest_on_a_detail_line(office):
    issue()  # 张华丽, with 张建国 父亲 as companion
    async with start_app(office, "office", size=(80, 24)) as (app, pilot):
        await login(pilot, "T001", "444444")
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        table = screen.query_one(DataTable)
        assert table.virtual_size.width <= table.size.width  # nothing a teacher acts on is off screen
        detail = str(screen.query_one("#list-detail").render())
        assert "张建国 父亲" in detail and "班主任+" in detail


async def test_more_matches_than_listed_says_type_more(office, monkeypatch):
    from kiosk.screens import student_picker

    monkeypatch.setattr(student_picker, "MAX_CHOICES", 2)
    async with start_app(office, "office") as (app, pilot):
        screen = await open_issue(app, pilot, "A001", "888888")  # an admin finds every class: 张华丽, 张华, 张华强
        await type_text(pilot, "zh")
        await settle(pilot)
        assert screen.query_one("#issue-student-choices", OptionList).option_count == 2
        assert "超过 2 人" in who(screen)


async def test_escape_in_the_list_of_matches_goes_back_to_typing(office):
    async with start_app(office, "office") as (app, pilot):
        screen = await open_issue(app, pilot)
        await type_text(pilot, "zh")
        await settle(pilot)
        await pilot.press("down")
        assert isinstance(app.focused, OptionList)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and app.focused is screen.query_one("#issue-student", Input)
        await type_text(pilot, "anghua")
        await settle(pilot)
        assert screen.query_one("#issue-student", Input).value == "zhanghua"


async def test_enter_on_the_type_list_picks_and_moves_on(office):
    from textual.widgets import Select

    async with start_app(office, "office") as (app, pilot):
        screen = await open_issue(app, pilot)
        kind = screen.query_one("#issue-kind", Select)
        kind.focus()
        await pilot.pause()
        await pilot.press("enter")  # opens the list
        await pilot.press("escape")  # closes it: still on the type
        await settle(pilot)
        assert not kind.expanded and app.focused in (kind, *kind.query("*"))
        before = kind.value
        await pilot.press("enter")
        await pilot.press("down")
        await pilot.press("enter")  # picks: the form goes on to the reason
        await settle(pilot)
        assert kind.value != before and app.focused is screen.query_one("#issue-note", Input)
        await pilot.press("shift+tab")
        await pilot.press("enter")
        await pilot.press("enter")  # the same type picked again also moves on
        await settle(pilot)
        assert app.focused is screen.query_one("#issue-note", Input)


async def test_a_head_teacher_has_no_approve_key_in_the_slip_list(office):
    from kiosk.screens.base import binding_help

    issue()
    async with start_app(office, "office") as (app, pilot):
        await login(pilot, "T001", "444444")
        await pilot.press("c")
        await settle(pilot)
        keys = [key for key, _ in binding_help(app.screen)]
        assert "f2" not in keys and "f8" in keys
        await pilot.press("f2")
        await settle(pilot)
        assert app.screen.message_text() == ""  # nothing happened, nothing to say


async def test_the_discipline_office_approves_a_long_leave_with_f2(office):
    from kiosk.models import Staff
    from kiosk.services.auth import hash_pin

    with record(Actor(school_id="demo", station_id="st-test"), "test.staff") as w:
        w.insert(Staff(school_id="demo", number="Z001", name="政教戊", initials="", roles="discipline", class_name="",
                       phone="", card_code="", pin_hash=hash_pin("555555"), active=True, updated_at=clock.now()))
    issued = issue(hours=4, back=96)  # four days: the discipline office must approve too
    assert issued.slip.status == "pending"
    async with start_app(office, "office") as (app, pilot):
        await login(pilot, "Z001", "555555")
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert "已签发" in str(app.screen.query_one(DataTable).get_row_at(0)[0])
