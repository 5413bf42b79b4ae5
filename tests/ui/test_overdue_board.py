"""Defect 9: the overdue board 请假未归. An empty outcome must not close the dialog as if recorded, and
an outcome ("明天返校") must not take a student who is still out off the board."""
from __future__ import annotations

from datetime import timedelta

from textual.widgets import DataTable, Static

from kiosk import clock
from kiosk.models import Staff
from kiosk.services import slips_gate, slips_overdue
from kiosk.services.actor import Actor
from tests.ui.test_slips_ui import issue, tiny  # noqa: F401  (fixture)
from tests.ui_helpers import login, settle, start_app, type_text


def out_and_overdue(settings):
    issued = issue(hours=1, back=2)
    gate = Actor(school_id="demo", station_id="st-gate", staff_id=Staff.get(Staff.number == "G001").id,
                 roles=frozenset({"gatekeeper"}))
    slips_gate.record_crossing(gate, settings, slips_gate.check_at_gate(gate, settings, issued.code), issued.code)
    clock.advance(timedelta(hours=3))
    slips_overdue.raise_overdue_alerts(gate, settings)
    return gate


def test_an_outcome_keeps_a_student_who_is_still_out_on_the_board(tiny):
    gate = out_and_overdue(tiny)
    alert_id = slips_overdue.overdue_board(tiny)[0].alert_id
    slips_overdue.resolve_alert(gate, alert_id, "家长来电：明天返校")
    rows = slips_overdue.overdue_board(tiny)
    assert len(rows) == 1 and rows[0].resolved and rows[0].returned_at is None


async def open_board(app, pilot):
    """The gatekeeper logs in and opens the overdue board (l)."""
    from kiosk.screens.slip_gate import OverdueScreen

    await login(pilot, "G001", "111111")
    await pilot.press("l")
    await settle(pilot)
    assert isinstance(app.screen, OverdueScreen)
    return app.screen


async def test_enter_on_an_empty_outcome_keeps_the_dialog_open(tiny):
    out_and_overdue(tiny)
    async with start_app(tiny, "gate") as (app, pilot):
        board = await open_board(app, pilot)
        await pilot.press("f2")
        await pilot.pause()
        dialog = app.screen
        await pilot.press("enter")  # nothing typed
        await settle(pilot)
        assert app.screen is dialog, "the dialog closed on an empty outcome"
        assert "请填写处理情况" in dialog.message_text()
        await type_text(pilot, "明天返校")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is board and not slips_overdue.open_alerts("demo")
        table = board.query_one(DataTable)
        assert table.row_count == 1 and "明天返校" in " ".join(str(cell) for cell in table.get_row_at(0))


async def test_the_summary_counts_only_alerts_still_to_handle(tiny):
    """Walk-through finding: after F2 recorded an outcome the board still said 未归 1 人（待处理 1 条） while the
    status bar had dropped the alert: 待处理 counted every row, handled or not."""
    out_and_overdue(tiny)
    async with start_app(tiny, "gate") as (app, pilot):
        board = await open_board(app, pilot)
        summary = lambda: str(board.query_one("#overdue-summary", Static).render())  # noqa: E731
        assert summary() == "未归 1 人（待处理 1 条）"
        await pilot.press("f2")
        await pilot.pause()
        await type_text(pilot, "家长来电：明天返校")
        await pilot.press("enter")
        await settle(pilot)
        assert summary() == "未归 1 人（待处理 0 条）"  # still out, nothing left to handle


async def test_the_refusal_list_names_the_station(tiny):
    """Friction: the office's 门卫拒绝记录 showed station ids (st-efee39fe4ef5), not names."""
    from kiosk.screens.slip_office import RefusalsScreen
    from kiosk.services.stations import announce_station

    tiny.station.name, tiny.station.kind = "南门岗亭", "gate"
    announce_station(tiny, "st-efee39fe4ef5")
    gate = Actor(school_id="demo", station_id="st-efee39fe4ef5", staff_id=Staff.get(Staff.number == "G001").id,
                 roles=frozenset({"gatekeeper"}))
    slips_gate.check_at_gate(gate, tiny, "NOSUCHCODE")
    tiny.station.name = ""
    async with start_app(tiny, "office") as (app, pilot):
        await login(pilot, "A001", "888888")
        await pilot.press("f")
        await settle(pilot)
        assert isinstance(app.screen, RefusalsScreen)
        row = [str(cell) for cell in app.screen.query_one(DataTable).get_row_at(0)]
        assert "南门岗亭" in row and "st-efee39fe4ef5" not in row


async def test_at_80_columns_the_board_keeps_whom_to_call_on_screen(tiny):
    """Friction: at 80x24 the head teacher and guardian phone columns were off-screen."""
    out_and_overdue(tiny)
    async with start_app(tiny, "gate", size=(80, 24)) as (app, pilot):
        board = await open_board(app, pilot)
        table = board.query_one(DataTable)
        line = "".join(segment.text for segment in table.render_line(1))
        assert "张华丽" in line and "13800000009" in line and "13900000001" in line


async def test_office_issue_says_issued_once_and_esc_then_leaves_without_asking(tiny):
    """Friction: the confirmation said 已签发 twice, and Esc after a completed issue asked to discard."""
    from kiosk.screens.slip_office import IssueScreen

    async with start_app(tiny, "office") as (app, pilot):
        await login(pilot, "T001", "444444")
        await pilot.press("i")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, IssueScreen)
        screen.query_one("#issue-student").value = "20260101"
        screen.query_one("#issue-companion").value = "张建国"
        await settle(pilot)  # the student is found and shown before F2 signs
        await pilot.press("f2")
        await settle(pilot)
        said = str(screen.query_one(".office-message", Static).render())
        assert said.count("已签发") == 1 and "张华丽" in said
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, IssueScreen)
