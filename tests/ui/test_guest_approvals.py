"""Overnight guests approved ahead, in Pilots: the head teacher approves at the office by day, the dorm
registers the guest at night with only the dorm manager's PIN; a withdrawn approval falls back to both PINs;
another class's head teacher is refused."""
from __future__ import annotations

from datetime import date, datetime, timezone

from textual.widgets import Static

from kiosk import clock
from kiosk.models.dorm import GuestApproval, GuestApprovalRevocation, OvernightGuest
from kiosk.screens.dialogs import ConfirmDialog, PinDialog, TextDialog
from kiosk.screens.dorm_guests import GuestScreen
from kiosk.screens.guest_approvals import GuestApprovalFormScreen, GuestApprovalListScreen
from tests.ui.test_dorm import open_building, pin, settle, tiny_dorm  # noqa: F401 - tiny_dorm is a fixture
from tests.ui_helpers import login, start_app, type_text

MORNING = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)  # Wed 10:00 Shanghai, office hours
EVENING = datetime(2026, 11, 18, 13, 30, tzinfo=timezone.utc)  # Wed 21:30, the guest arrives
GUEST_ID = "110101199003074514"


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def office_approves(app, pilot, student_number: str = "20250101") -> None:
    """Office: g opens the approvals, F2 the form; student, guest, ID, relation typed; first night and nights kept."""
    await pilot.press("g")
    await settle(app, pilot)
    assert isinstance(app.screen, GuestApprovalListScreen)
    await pilot.press("f2")
    await pilot.pause()
    assert isinstance(app.screen, GuestApprovalFormScreen)
    for value in (student_number, "王芳", GUEST_ID, "母亲", "", "", ""):  # first night (tonight), 1 night, no note
        await type_text(pilot, value)
        await pilot.press("enter")
    await settle(app, pilot)


async def dorm_guest_form(app, pilot, room: str = "101") -> None:
    await open_building(app, pilot)
    await pilot.press("g")
    await pilot.pause()
    assert isinstance(app.screen, GuestScreen)
    # The form takes the room from the headcount's current row (101) and looks its approvals up at once.
    assert app.screen.field("room").value == "101"
    if room != "101":
        app.screen.field("room").focus()
        app.screen.field("room").value = ""
        await type_text(pilot, room)
        await pilot.press("enter")
    await settle(app, pilot)


async def test_office_approves_by_day_and_the_dorm_registers_with_one_pin(tiny_dorm):
    clock.freeze(MORNING)
    async with start_app(tiny_dorm, station="office") as (app, pilot):
        await login(pilot, "T001", "444444")
        await office_approves(app, pilot)
        assert isinstance(app.screen, GuestApprovalListScreen)
        assert "王芳" in text_of(app, ".table-message")
        (view,) = app.screen.rows
        assert (view.guest_name, view.id_masked, view.first_night, view.last_night) == \
            ("王芳", "110101********4514", date(2026, 11, 18), date(2026, 11, 18))
    stored = GuestApproval.get()
    assert stored.teacher_name == "班主任乙" and GUEST_ID not in str(stored.__data__)

    clock.freeze(EVENING)
    async with start_app(tiny_dorm, station="dorm") as (app, pilot):
        await dorm_guest_form(app, pilot)
        shown = text_of(app, "#guest-approval")
        assert "班主任乙" in shown and "110101********4514" in shown and "母亲" in shown
        assert app.screen.query_one("#guest-name").value == "王芳"
        assert app.screen.query_one("#guest-student").value == "20250101"
        assert app.screen.focused is app.screen.query_one("#guest-id")
        await type_text(pilot, GUEST_ID)
        await pilot.press("enter")
        await pilot.pause()
        await pin(app, pilot, "M001", "222222")  # the only PIN: the head teacher approved at the office
        assert isinstance(app.screen, GuestScreen)
        assert "王芳" in text_of(app, "#guest-message")
        guest = OvernightGuest.get()
        assert guest.approval_id == stored.id and guest.teacher_name == "班主任乙" and guest.manager_name == "宿管主任丁"

        # The same approval cannot register the guest a second time tonight.
        await type_text(pilot, "101")
        await pilot.press("enter")
        await settle(app, pilot)
        assert "已登记" in text_of(app, "#guest-approval")
        assert app.screen.approval is None
        await pilot.press("escape")  # the typed room number: Escape asks before throwing it away
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(app, pilot)
        room = app.screen.view.rooms[0]
        assert room.expected_count == 7 and [g.name for g in room.guests] == ["王芳"]
    assert OvernightGuest.select().count() == 1


async def test_a_withdrawn_approval_falls_back_to_both_pins(tiny_dorm):
    clock.freeze(MORNING)
    async with start_app(tiny_dorm, station="office") as (app, pilot):
        await login(pilot, "T001", "444444")
        await office_approves(app, pilot)
        await pilot.press("f8")
        await pilot.pause()
        assert isinstance(app.screen, TextDialog)
        await pilot.press("enter")  # no reason: nothing happens
        await settle(app, pilot)
        assert GuestApprovalRevocation.select().count() == 0
        await pilot.press("f8")
        await pilot.pause()
        await type_text(pilot, "家长改期")
        await pilot.press("enter")
        await settle(app, pilot)
        assert "已撤销" in text_of(app, ".table-message")
        assert app.screen.rows[0].revoked
    assert GuestApprovalRevocation.get().reason == "家长改期"

    clock.freeze(EVENING)
    async with start_app(tiny_dorm, station="dorm") as (app, pilot):
        await dorm_guest_form(app, pilot)
        assert "例外" in text_of(app, "#guest-approval") and app.screen.approval is None
        assert app.screen.query_one("#guest-name").value == ""
        for value in ("20250101", "王芳", GUEST_ID, "母亲"):
            await type_text(pilot, value)
            await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PinDialog)
        await pin(app, pilot, "T001", "444444")
        await pin(app, pilot, "M001", "222222")
        guest = OvernightGuest.get()
        assert guest.approval_id is None and guest.teacher_name == "班主任乙"


async def test_another_classs_head_teacher_is_refused(tiny_dorm):
    from kiosk.models import Staff
    from kiosk.services.actor import Actor
    from kiosk.services.auth import hash_pin
    from kiosk.services.facts import record

    clock.freeze(MORNING)
    with record(Actor(school_id="demo", station_id="st-test", staff_name="test"), "test.staff") as w:
        w.insert(Staff(school_id="demo", number="T002", name="班主任戊", roles="head_teacher", class_name="高一(2)班",
                       pin_hash=hash_pin("444444"), updated_at=MORNING))
    async with start_app(tiny_dorm, station="office") as (app, pilot):
        await login(pilot, "T002", "444444")
        await office_approves(app, pilot)
        assert isinstance(app.screen, GuestApprovalFormScreen)
        assert "高一(1)班" in text_of(app, "#ga-message")
    assert GuestApproval.select().count() == 0


async def test_a_card_that_does_not_match_is_refused_and_f4_registers_without_the_approval(tiny_dorm):
    from zoneinfo import ZoneInfo

    from kiosk.models import Staff
    from kiosk.services import headcount_guest_approvals
    from kiosk.services.actor import Actor

    clock.freeze(MORNING)
    teacher = Staff.get(Staff.number == "T001")
    headcount_guest_approvals.approve_guest(Actor(school_id="demo", station_id="st-office", staff_id=teacher.id, roles=teacher.role_set()),
                     ZoneInfo("Asia/Shanghai"), "20250101", "王芳", GUEST_ID, "母亲", date(2026, 11, 18), 1)
    clock.freeze(EVENING)
    async with start_app(tiny_dorm, station="dorm") as (app, pilot):
        await dorm_guest_form(app, pilot)
        assert app.screen.approval is not None
        await type_text(pilot, "310101199003074511")  # someone else's card
        await pilot.press("enter")
        await settle(app, pilot)
        # issue 15: the mismatch is said at once, before the manager is asked for a PIN
        assert isinstance(app.screen, GuestScreen)
        assert "****" in text_of(app, "#guest-message") and OvernightGuest.select().count() == 0
        await pilot.press("f4")
        await pilot.pause()
        assert app.screen.approval is None and "例外" in text_of(app, "#guest-approval")
        assert app.screen.focused is app.screen.query_one("#guest-student")
        assert app.screen.query_one("#guest-name").value == "" and not app.screen.query_one("#guest-name").disabled
        await type_text(pilot, "20250101")  # the student whose head teacher signs; the approval is not applied again
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen.approval is None
        for value in ("王强", "", "父亲"):  # the ID card typed before stays in its field
            await type_text(pilot, value)
            await pilot.press("enter")
        await pilot.pause()
        await pin(app, pilot, "T001", "444444")
        await pin(app, pilot, "M001", "222222")
        guest = OvernightGuest.get()
        assert guest.approval_id is None and guest.name == "王强" and guest.teacher_name == "班主任乙"


async def test_the_duty_leader_approves_at_the_office_for_any_class(tiny_dorm):
    """Issue 15, one rule for who may act as the head teacher: the ladder above (here the duty leader) may
    approve, so the office offers them the list of the whole school and the form."""
    clock.freeze(MORNING)
    async with start_app(tiny_dorm, station="office") as (app, pilot):
        await login(pilot, "L001", "777777")
        await office_approves(app, pilot)
        assert isinstance(app.screen, GuestApprovalListScreen)
        (view,) = app.screen.rows
        assert view.guest_name == "王芳" and view.teacher_name == "值班领导丙"


async def test_at_80x24_the_approval_form_shows_what_is_wrong(tiny_dorm):
    """Walk-through at 80x24: a blank row between fields pushed the message line below the screen, so F2 on an
    empty form seemed to do nothing (and an empty student number said 'no student with this number')."""
    clock.freeze(MORNING)
    async with start_app(tiny_dorm, station="office", size=(80, 24)) as (app, pilot):
        await login(pilot, "T001", "444444")
        await pilot.press("g")
        await settle(app, pilot)
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press("f2")
        await settle(app, pilot)
        message = app.screen.query_one("#ga-message", Static)
        assert message.region.height and message.region.bottom <= 22
        assert app.screen.query_one("#ga-form").region.right <= 80
        assert "请先输入学生学号" in text_of(app, "#ga-message")
