"""Slip screens with Pilot: scan -> verdict -> Enter records the exit, then the return; a refused boarder card;
a typed number; the overdue board; the office issue form; snapshots of an allowed and a refused verdict."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from textual.widgets import DataTable, Input, Static

from kiosk import clock
from kiosk.models import Building, Room, School, Staff, Student
from kiosk.models.slips import GateCrossing, GateScan, PassSlip
from kiosk.services.actor import Actor
from kiosk.services.auth import hash_pin
from kiosk.services.facts import record
from kiosk.services import slips_gate, slips_office, slips_overdue
from kiosk.services.slip_keys import create_key
from kiosk.widgets.scan_input import ScanInput
from tests.ui_helpers import login, settle, start_app, type_text
from tests import scanner


def make_tiny_school(settings):
    """One dorm room, a boarder and a day student of 高一(1)班, a gatekeeper, the head teacher, an admin."""
    now = clock.now()
    system = Actor(school_id="demo", station_id="st-test")
    with record(system, "test.school") as w:
        w.insert(School(id="demo", name=settings.school.name, timezone=settings.school.timezone))
        building = w.insert(Building(school_id="demo", name="女生1号楼", gender="F"))
        room = w.insert(Room(school_id="demo", building=building, number="305", beds=6))
        for number, name, boarder in (("20260101", "张华丽", True), ("20260102", "李明", False)):
            w.insert(Student(school_id="demo", number=number, name=name, initials="", gender="F", grade="高一",
                             class_name="高一(1)班", boarder=boarder, room=room if boarder else None,
                             bed=1 if boarder else None, guardian_name="张建国", guardian_phone="13900000001",
                             active=True, updated_at=now))
        for number, name, roles, pin, class_name in (("G001", "门卫甲", "gatekeeper", "111111", ""),
                                                     ("T001", "班主任乙", "head_teacher", "444444", "高一(1)班"),
                                                     ("A001", "管理员丙", "admin", "888888", "")):
            w.insert(Staff(school_id="demo", number=number, name=name, initials="", roles=roles, class_name=class_name,
                           phone="13800000009", card_code="", pin_hash=hash_pin(pin), active=True, updated_at=now))
    create_key(system)
    return settings


def teacher() -> Actor:
    staff = Staff.get(Staff.number == "T001")
    return Actor(school_id="demo", station_id="st-office", staff_id=staff.id, staff_number="T001",
                 staff_name=staff.name, roles=staff.role_set())


def issue(start=timedelta(minutes=-10), hours=3, back=8):
    now = clock.now()
    return slips_office.issue_slip(teacher(), svc_settings["s"], student_number="20260101", reason_kind="sick",
                          reason_note="发烧就医", leave_from=now + start, leave_to=now + start + timedelta(hours=hours),
                          return_by=now + start + timedelta(hours=back), companion_name="张建国",
                          companion_relation="父亲", companion_phone="13900000001")


svc_settings: dict = {}


@pytest.fixture
def tiny(db, settings, frozen_now):
    svc_settings["s"] = settings
    yield make_tiny_school(settings)
    svc_settings.clear()



async def open_check(app, pilot):
    from kiosk.screens.slip_gate import SlipCheckScreen

    await login(pilot, "G001", "111111")
    await pilot.press("s")
    await pilot.pause()
    assert isinstance(app.screen, SlipCheckScreen)
    return app.screen


async def scan(app, pilot, text: str) -> None:
    app.screen.query_one("#slip-scan", Input).focus()
    app.screen.query_one("#slip-scan", Input).cursor_blink = False  # a blinking cursor makes snapshots flaky
    await scanner.scan(app, text, gap_ms=3)  # key by key, as a scanner types (pilot.press per key takes ~60 ms)
    await asyncio.sleep(ScanInput.HOLD_SECONDS + 0.1)  # an Enter ending a burst waits to see whether the burst goes on
    await settle(pilot)


async def confirm(pilot) -> None:
    """The gatekeeper's Enter on a verdict: a person reads it first (an Enter sooner is ignored by design)."""
    from kiosk.screens.slip_gate import SlipCheckScreen

    await asyncio.sleep(SlipCheckScreen.CONFIRM_AFTER_SECONDS)
    await pilot.press("enter")
    await settle(pilot)


def banner(screen) -> str:
    return str(screen.query_one("#slip-verdict", Static).render())


async def test_scan_confirm_exit_then_return_then_replay(tiny):
    issued = issue()
    tiny.scanner.repeat_ignore_seconds = 0.2  # the same slip scanned again stands for hours later, not a re-trigger
    async with start_app(tiny, "gate") as (app, pilot):
        screen = await open_check(app, pilot)
        await scan(app, pilot, issued.code)
        assert "放行出校" in banner(screen)
        assert screen.query_one("#slip-verdict").has_class("-exit")
        details = str(screen.query_one("#slip-details", Static).render())
        assert "张华丽" in details and "女生1号楼 305" in details and "张建国" in details and "父亲" in details
        assert GateCrossing.select().count() == 0  # nothing recorded before the gatekeeper confirms
        await confirm(pilot)
        exit_row = GateCrossing.get()
        assert (exit_row.direction, exit_row.slip_id, exit_row.staff_id) == (
            "exit", issued.slip.id, Staff.get(Staff.number == "G001").id)
        assert "已记录" in str(screen.query_one("#slip-previous", Static).render())
        clock.advance(timedelta(hours=2))
        await scan(app, pilot, issued.code)
        assert "准予返校" in banner(screen) and screen.query_one("#slip-verdict").has_class("-return")
        await confirm(pilot)
        assert sorted(c.direction for c in GateCrossing.select()) == ["exit", "return"]
        await scan(app, pilot, issued.code)
        assert "拒绝" in banner(screen) and "已用过" in banner(screen)
        await confirm(pilot)  # a refusal cannot be confirmed
        assert GateCrossing.select().count() == 2
        assert GateScan.select().count() == 3


async def test_boarder_card_refused_and_forgery_logged(tiny):
    async with start_app(tiny, "gate") as (app, pilot):
        screen = await open_check(app, pilot)
        await scan(app, pilot, "20260101")  # a boarder never seen at the gate is inside: going out
        assert "寄宿生 · 周三 · 无有效出门条" in banner(screen)
        assert screen.query_one("#slip-verdict").has_class("-refuse")
        await scan(app, pilot, issue().code[:-4] + "AAAA")
        assert "拒绝" in banner(screen)
        assert {s.reason_code for s in GateScan.select()} == {"boarder_no_slip", "forged"}


async def test_scanned_number_of_boarder_with_slip_checks_the_slip(tiny):
    issued = issue()
    async with start_app(tiny, "gate") as (app, pilot):
        screen = await open_check(app, pilot)
        await scan(app, pilot, "20260101")
        assert "放行出校" in banner(screen)
        await confirm(pilot)
        assert GateCrossing.get().slip_id == issued.slip.id


async def test_overdue_board_and_resolution(tiny):
    issued = issue(hours=1, back=2)
    gate = Actor(school_id="demo", station_id="st-gate", staff_id=Staff.get(Staff.number == "G001").id,
                 roles=frozenset({"gatekeeper"}))
    slips_gate.record_crossing(gate, tiny, slips_gate.check_at_gate(gate, tiny, issued.code), issued.code)
    clock.advance(timedelta(hours=3))
    async with start_app(tiny, "gate") as (app, pilot):
        await login(pilot, "G001", "111111")
        await pilot.press("l")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 1
        assert "张华丽" in str(table.get_row_at(0)[0])
        await pilot.press("f2")
        await pilot.pause()
        await type_text(pilot, "家长电话确认在医院")
        await pilot.press("enter")
        await settle(pilot)
        assert not slips_overdue.open_alerts("demo")


async def test_office_issue_form(tiny):
    async with start_app(tiny, "office") as (app, pilot):
        await login(pilot, "T001", "444444")
        await pilot.press("i")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#issue-student", Input).value = "20260101"
        screen.query_one("#issue-companion", Input).value = "张建国"
        await settle(pilot)  # the student is found and shown before signing
        assert "张华丽" in str(screen.query_one("#issue-student-who").render())
        await pilot.press("f2")
        await settle(pilot)
        slip = PassSlip.get()
        assert slip.student.number == "20260101" and slip.code.startswith("S1:")
        message = str(screen.query_one(".office-message", Static).render())
        assert "已签发" in message and "slip-" in message  # PNG written (printer backend png)
        screen.query_one("#issue-student", Input).value = "20260102"  # a day student: refused, nothing written
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert PassSlip.select().count() == 1
        assert "走读生" in str(screen.query_one(".office-message", Static).render())


async def test_office_slip_list_revokes_with_a_reason_and_reprints(tiny):
    from kiosk.models.slips import SlipRevocation
    from kiosk.screens.dialogs import TextDialog
    from kiosk.screens.slip_office import SlipListScreen

    issued = issue()
    async with start_app(tiny, "office") as (app, pilot):
        await login(pilot, "T001", "444444")
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SlipListScreen)
        assert screen.query_one(DataTable).row_count == 1 and "1" in str(screen.query_one("#list-summary").render())
        await pilot.press("f6")
        await settle(pilot)
        assert "slip-" in str(screen.query_one(".table-message", Static).render())
        await pilot.press("f8")
        await pilot.pause()
        assert isinstance(app.screen, TextDialog)
        await pilot.press("escape")  # no reason, no revocation
        await settle(pilot)
        assert not SlipRevocation.select().exists()
        await pilot.press("f8")
        await pilot.pause()
        await type_text(pilot, "家长改期")
        await pilot.press("enter")
        await settle(pilot)
        revocation = SlipRevocation.get()
        assert revocation.slip_id == issued.slip.id and revocation.reason == "家长改期"
        assert "张华丽" in str(screen.query_one(".table-message", Static).render())
        assert "撤销" in str(screen.query_one(DataTable).get_row_at(0)[0])


def _snapshot_app(settings):
    from kiosk.app import KioskApp

    settings.station.kind = "gate"
    settings.station.name = "gate-1"
    return KioskApp(settings, station_id="st-snapshot")


def test_snapshot_allowed_verdict(tiny, snap_compare):
    code = issue().code

    async def run_before(pilot):
        await pilot.pause()
        await open_check(pilot.app, pilot)
        await scan(pilot.app, pilot, code)

    assert snap_compare(_snapshot_app(tiny), terminal_size=(110, 36), run_before=run_before)


def test_snapshot_refused_verdict(tiny, snap_compare):
    async def run_before(pilot):
        await pilot.pause()
        await open_check(pilot.app, pilot)
        await scan(pilot.app, pilot, "20260101")

    assert snap_compare(_snapshot_app(tiny), terminal_size=(110, 36), run_before=run_before)
