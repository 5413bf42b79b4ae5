"""Gate screens with Pilot: a full registration, a repeat visitor, a watchlist refusal, a sign-out by scan,
the evacuation export, a failed ID check that keeps the form."""
from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import DataTable, Input, Select, Static

from kiosk import clock
from kiosk.models.visitors import Visit, WatchlistDecision
from kiosk.screens.gate_onsite import OnsiteScreen
from kiosk.screens.gate_register import DecisionScreen, RegisterScreen
from kiosk.services import visitors
from tests.test_gate_services import actor_for, form, make_school
from tests.ui_helpers import login, settle, start_app, type_text

ID = "11010519491231002X"


@pytest.fixture
def gate_school(db, settings, frozen_now):
    return make_school(settings)



async def open_register(app, pilot):
    await login(pilot, "G001", "111111")
    await pilot.press("v")
    await pilot.pause()
    assert isinstance(app.screen, RegisterScreen)
    return app.screen


def message(screen, selector: str = "#reg-message") -> str:
    return str(screen.query_one(selector, Static).render())


async def scan(pilot, text: str) -> None:
    await type_text(pilot, text)
    await pilot.press("enter")


async def test_full_registration_with_the_keyboard(gate_school):
    async with start_app(gate_school, "gate") as (app, pilot):
        screen = await open_register(app, pilot)
        assert screen.query_one("#f-id_number", Input).has_focus
        await scan(pilot, ID.lower())
        await settle(pilot)
        assert screen.query_one("#f-id_number", Input).value == ID
        assert screen.query_one("#f-name", Input).has_focus
        await type_text(pilot, "王建国")
        await pilot.press("enter")
        await type_text(pilot, "13812345678")
        await pilot.press("enter")
        assert screen.query_one("#f-category", Select).has_focus
        screen.query_one("#f-category", Select).value = "parent"  # Select's overlay is Textual's own; set directly
        await pilot.pause()
        screen.query_one("#f-reason", Input).focus()
        await type_text(pilot, "送生活用品")
        await pilot.press("enter")
        assert screen.query_one("#f-host", Input).has_focus
        await type_text(pilot, "zhl")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("escape")  # closes the host list, keeps the form
        await pilot.pause()
        assert app.screen is screen and screen.query_one("#f-host", Input).has_focus
        assert screen.query_one("#f-name", Input).value == "王建国"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")  # pick the first hit
        await pilot.pause()
        assert screen.host is not None and screen.host.name.startswith("张华丽")
        assert screen.query_one("#f-companions", Input).has_focus
        await type_text(pilot, "1")
        await pilot.press("ctrl+s")
        await pilot.press("ctrl+s")  # an impatient second press registers nothing more
        await settle(pilot)
        assert Visit.select().count() == 1
        visit = Visit.get()
        assert (visit.name, visit.id_number, visit.phone, visit.category, visit.companions) == (
            "王建国", ID, "13812345678", "parent", 1)
        assert visit.host_name.startswith("张华丽") and visit.staff_id == actor_for("G001").staff_id
        assert visit.code in message(screen)
        assert screen.query_one("#f-name", Input).value == ""  # ready for the next visitor
        # F6 prints the slip: with the png backend, a file whose path is shown.
        await pilot.press("f6")
        await settle(pilot)
        assert f"visitor-{visit.code}.png" in message(screen)


async def test_a_stray_escape_does_not_throw_away_a_typed_registration(gate_school):
    from kiosk.screens.dialogs import ConfirmDialog

    async with start_app(gate_school, "gate") as (app, pilot):
        await open_register(app, pilot)
        await pilot.press("escape")  # nothing typed yet: straight back to the menu
        await pilot.pause()
        assert not isinstance(app.screen, RegisterScreen)
        await pilot.press("v")
        await pilot.pause()
        screen = app.screen
        await type_text(pilot, ID)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")  # keep editing: the form and what was typed are still there
        await pilot.pause()
        assert app.screen is screen and screen.query_one("#f-id_number", Input).value == ID
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("enter")  # discard, on purpose
        await pilot.pause()
        assert not isinstance(app.screen, RegisterScreen) and Visit.select().count() == 0


async def test_failed_id_check_keeps_the_form_and_focuses_the_field(gate_school):
    async with start_app(gate_school, "gate") as (app, pilot):
        screen = await open_register(app, pilot)
        screen.query_one("#f-name", Input).value = "王建国"
        screen.query_one("#f-phone", Input).value = "13812345678"
        screen.query_one("#f-id_number", Input).value = "110105194912310021"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "校验位" in message(screen)
        assert screen.query_one("#f-id_number", Input).has_focus
        assert screen.query_one("#f-name", Input).value == "王建国"
        assert Visit.select().count() == 0


async def test_repeat_visitor_is_a_scan_and_a_save(gate_school):
    first = visitors.register_visit(actor_for("G002"), form(), gate_school).visit
    visitors.sign_out(actor_for("G002"), first.id)  # still on site, they could not be registered again
    clock.advance(timedelta(days=2))
    async with start_app(gate_school, "gate") as (app, pilot):
        screen = await open_register(app, pilot)
        await scan(pilot, ID)
        await settle(pilot)
        assert screen.query_one("#f-name", Input).value == "王建国"
        assert screen.query_one("#f-host", Input).value.startswith("张华丽")
        assert "第 2 次" in message(screen)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert Visit.select().count() == 2
        newest = Visit.select().order_by(Visit.time_in.desc()).first()
        assert newest.staff_id == actor_for("G001").staff_id and newest.time_in == clock.now()


async def test_watchlist_refusal_is_recorded(gate_school):
    """The watchlist is checked the moment the ID is scanned: the decision screen opens before anything else is
    typed, and a refusal taken then is recorded at once."""
    visitors.add_watch_entry(actor_for("Z001"), id_type="resident", id_number=ID, name="", level="deny",
                             reason="法院限制令", expires_at=None)
    async with start_app(gate_school, "gate") as (app, pilot):
        screen = await open_register(app, pilot)
        await scan(pilot, ID)
        await settle(pilot)
        assert isinstance(app.screen, DecisionScreen)
        assert "法院限制令" in str(app.screen.query_one("#decision-hits", Static).render())
        await pilot.press("r")
        await settle(pilot)
        await settle(pilot)
        # recorded at once, with who it was: nothing more is asked of a person turned away
        assert app.screen is screen and "拒绝入校" in message(screen)
        visit = Visit.get()
        assert visit.status == "refused" and visit.id_number == ID
        assert WatchlistDecision.get().decision == "refuse"
        assert visitors.onsite("demo") == []


async def test_sign_out_by_scanning_the_slip_and_evacuation_export(gate_school, tmp_path):
    first = visitors.register_visit(actor_for("G002"), form(), gate_school).visit
    second = visitors.register_visit(actor_for("G002"), form(id_number="360426199101010071", name="李四"),
                                     gate_school).visit
    clock.advance(timedelta(minutes=150))  # both overstay their 120 minutes
    async with start_app(gate_school, "gate") as (app, pilot):
        await login(pilot, "G001", "111111")
        await pilot.press("o")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OnsiteScreen)
        table = screen.query_one(DataTable)
        assert table.row_count == 2
        assert "2" in message(screen, "#onsite-summary")
        assert screen.query_one("#onsite-scan", Input).has_focus
        await scan(pilot, first.code)
        await settle(pilot)
        assert Visit.get_by_id(first.id).time_out == clock.now()
        assert table.row_count == 1
        assert "王建国" in message(screen, "#onsite-message")
        # the same slip again (after the scanner's repeat window): refused with the reason
        clock.advance(timedelta(seconds=5))
        screen.query_one("#onsite-scan").focus()
        await scan(pilot, "NOSUCHCODE1")
        await settle(pilot)
        assert "NOSUCHCODE1" in message(screen, "#onsite-message")
        await pilot.press("f7")
        await settle(pilot)
        text = message(screen, "#onsite-message")
        assert ".csv" in text
        path = text.split("：", 1)[1].split("（")[0].strip()
        content = open(path, encoding="utf-8-sig").read()
        assert "李四" in content and "360426199101010071" not in content and second.code in content


async def test_handover_typed_field_by_field_with_enter(gate_school):
    """As at the desk: notes, Enter, own PIN, Enter, the colleague's number, Enter, their PIN, Enter.
    The outgoing PIN used to be skipped (Enter moved the focus twice) and the PIN landed in the number field."""
    from kiosk.models.visitors import ShiftHandover
    from kiosk.screens.gate_shift import HandoverScreen

    async with start_app(gate_school, "gate") as (app, pilot):
        await login(pilot, "G001", "111111")
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, HandoverScreen)
        for value in ("东门灯坏了已报修", "111111", "G002", "111111"):
            await type_text(pilot, value)
            await pilot.press("enter")
            await pilot.pause()
        await settle(pilot)
        handover = ShiftHandover.get()
        assert handover.notes == "东门灯坏了已报修" and app.ctx.session.number == "G002"
        # Walk-through finding: the outgoing PIN's label still named the one who went home; the next handover
        # from this screen is the incoming gatekeeper's
        label = str(app.screen.query_one("#l-outgoing-pin").render())
        assert handover.incoming_name in label and handover.outgoing_name not in label


async def test_patrol_handover_and_office_watchlist_screens(gate_school):
    from kiosk.models.visitors import PatrolRound, ShiftHandover, WatchlistEntry
    from kiosk.screens.gate_shift import HandoverScreen, PatrolScreen
    from kiosk.screens.gate_watchlist import WatchlistScreen

    visitors.register_visit(actor_for("G002"), form(), gate_school)
    async with start_app(gate_school, "gate") as (app, pilot):
        await login(pilot, "G001", "111111")
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, PatrolScreen)
        app.screen.query_one("#patrol-clear").value = False
        await pilot.press("ctrl+s")  # not all clear without findings: refused
        await settle(pilot)
        assert PatrolRound.select().count() == 0
        app.screen.query_one("#patrol-findings", Input).value = "东侧围墙外有人逗留，已劝离"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert PatrolRound.get().all_clear is False
        await pilot.press("escape")
        await pilot.press("h")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HandoverScreen)
        assert "王建国" in message(screen, "#handover-items")
        screen.query_one("#handover-notes", Input).value = "东侧门锁已报修"
        screen.query_one("#handover-outgoing-pin", Input).value = "111111"
        screen.query_one("#handover-incoming", Input).value = "G002"
        screen.query_one("#handover-incoming-pin", Input).value = "000000"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert ShiftHandover.select().count() == 0
        assert screen.query_one("#handover-incoming-pin", Input).has_focus
        screen.query_one("#handover-outgoing-pin", Input).value = "111111"
        screen.query_one("#handover-incoming-pin", Input).focus()
        await type_text(pilot, "111111")
        await pilot.press("enter")
        await settle(pilot)
        handover = ShiftHandover.get()
        assert handover.onsite_count == 1 and handover.notes == "东侧门锁已报修"
        # the incoming gatekeeper now holds the station: bars and later records carry their name
        assert app.ctx.session.number == "G002" and app.ctx.actor().staff_name == handover.incoming_name
        assert f"值班：{handover.incoming_name}" in str(screen.query_one("StatusBar #status-duty").render())
    async with start_app(gate_school, "office") as (app, pilot):
        await login(pilot, "Z001", "555555")
        await pilot.press("w")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, WatchlistScreen)
        screen.query_one("#watch-name", Input).value = "钱多多"
        await pilot.press("ctrl+s")  # no reason yet
        await settle(pilot)
        assert WatchlistEntry.select().count() == 0 and screen.query_one("#watch-reason", Input).has_focus
        await type_text(pilot, "多次进校推销")
        await pilot.press("ctrl+s")
        await settle(pilot)
        entry = WatchlistEntry.get()
        assert (entry.name, entry.level, entry.active) == ("钱多多", "deny", True)
        screen.query_one(DataTable).focus()
        await pilot.press("f8")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert WatchlistEntry.get().active is False


def test_register_form_snapshot(gate_school, snap_compare):
    """The register form after a failed ID check: everything typed is kept, the reason is shown."""
    from kiosk.app import KioskApp

    gate_school.station.kind = "gate"
    gate_school.station.name = "gate-1"

    async def run_before(pilot):
        app = pilot.app
        await pilot.pause()
        await login(pilot, "G001", "111111")
        await pilot.press("v")
        await pilot.pause()
        screen = app.screen
        for name, value in (("name", "王建国"), ("phone", "13812345678"), ("reason", "送生活用品"),
                            ("id_number", "110105194912310021")):
            screen.query_one(f"#f-{name}", Input).value = value
        screen.query_one("#f-category", Select).value = "parent"
        for field in screen.query(Input):
            field.cursor_blink = False  # a blinking cursor would make the picture depend on timing
        await pilot.press("ctrl+s")
        await settle(pilot)
        app.refresh_station_status()  # the status bar's sync text settles before the picture is taken
        await settle(pilot)

    assert snap_compare(KioskApp(gate_school, station_id="st-snapshot"), terminal_size=(110, 36), run_before=run_before)


async def test_deny_entry_allowed_only_with_duty_leader_pin_and_admin_reveal(gate_school):
    from kiosk.screens.dialogs import PinDialog, TextDialog

    known = visitors.register_visit(actor_for("G002"), form(), gate_school).visit  # a known visitor, then listed
    visitors.sign_out(actor_for("G002"), known.id)
    visitors.add_watch_entry(actor_for("Z001"), id_type="resident", id_number=ID, name="", level="deny",
                             reason="法院限制令", expires_at=None)
    async with start_app(gate_school, "gate") as (app, pilot):
        screen = await open_register(app, pilot)
        await scan(pilot, ID)
        await settle(pilot)
        assert isinstance(app.screen, DecisionScreen)  # at the scan, not only at the save
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, TextDialog)
        await type_text(pilot, "值班领导陪同在传达室见面")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PinDialog)
        pin_dialog = app.screen
        pin_dialog.query_one("#pin-staff", Input).value = "G002"  # another gatekeeper cannot approve
        pin_dialog.query_one("#pin-pin", Input).value = "111111"
        pin_dialog.query_one("#pin-pin", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DecisionScreen)
        assert "没有放行权限" in str(app.screen.query_one("#decision-error", Static).render())
        await pilot.press("a")
        await pilot.pause()
        await type_text(pilot, "值班领导陪同在传达室见面")
        await pilot.press("enter")
        await pilot.pause()
        app.screen.query_one("#pin-staff", Input).value = "L001"
        app.screen.query_one("#pin-pin", Input).value = "777777"
        app.screen.query_one("#pin-pin", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen and Visit.select().count() == 1  # decided; the save records it
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen and Visit.select().count() == 2
        newest = Visit.select().order_by(Visit.time_in.desc(), Visit.id.desc()).first()
        assert newest.status == "admitted"
        decision = WatchlistDecision.get(WatchlistDecision.visit_id == newest.id)
        assert (decision.decision, decision.approver_name) == ("allow", "李国强")
        # On-site list: an admin reveals the full number (audited); the list itself shows it masked.
        await pilot.press("escape")
        await pilot.press("o")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert ID not in "".join(str(cell) for cell in table.get_row_at(0))
        table.focus()
        await pilot.press("f8")
        await pilot.pause()
        app.screen.query_one("#pin-staff", Input).value = "A001"
        app.screen.query_one("#pin-pin", Input).value = "888888"
        app.screen.query_one("#pin-pin", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert ID in message(app.screen, "#onsite-message")
        from kiosk.models import AuditEntry
        assert AuditEntry.select().where(AuditEntry.action == "gate.id_revealed").count() == 1


def test_onsite_list_snapshot(gate_school, snap_compare, monkeypatch):
    """Two visitors on site, one past the time they said they would leave: that row is red, IDs masked."""
    from itertools import count

    from kiosk.app import KioskApp

    serial = count(1)  # visitor slip codes come from random id bits: make them fixed for the picture
    monkeypatch.setattr(visitors, "short_code", lambda row_id: f"SNAPV{next(serial):07d}")
    visitors.register_visit(actor_for("G002"), form(), gate_school)
    clock.advance(timedelta(minutes=100))
    visitors.register_visit(actor_for("G002"), form(id_number="360426199101010071", name="李四"), gate_school)
    clock.advance(timedelta(minutes=50))  # the first has overstayed 30 minutes, the second is within time
    gate_school.station.kind, gate_school.station.name = "gate", "gate-1"

    async def run_before(pilot):
        app = pilot.app
        await pilot.pause()
        await login(pilot, "G001", "111111")
        await pilot.press("o")
        await settle(pilot)
        for field in app.screen.query(Input):
            field.cursor_blink = False
        app.refresh_station_status()
        await settle(pilot)

    assert snap_compare(KioskApp(gate_school, station_id="st-snapshot"), terminal_size=(120, 30), run_before=run_before)
