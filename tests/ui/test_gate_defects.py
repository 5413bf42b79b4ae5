"""Issue 14's gate defects 3-7, each shown failing on the old code: the on-site list's visitor code,
F6 on an unsaved form, one person registered twice, Esc on the verbal-permission form, the watchlist's
stale 名单为空."""
from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Static

from kiosk import i18n
from kiosk.models.visitors import Visit
from kiosk.screens.gate_onsite import OnsiteScreen
from kiosk.services import visitors
from tests.test_gate_services import ID, actor_for, form, make_school
from tests.ui_helpers import login, open_from_home, settle, start_app, type_text


@pytest.fixture
def gate_school(db, settings, frozen_now):
    return make_school(settings)


def table_line(table: DataTable, y: int) -> str:
    """The text of one line of the table as drawn (what fits on screen, after any horizontal scroll)."""
    return "".join(segment.text for segment in table.render_line(y))


@pytest.mark.parametrize("language,size", [("zh-CN", (120, 36)), ("zh-CN", (80, 24)), ("en", (80, 24))])
async def test_onsite_list_shows_the_whole_code_and_the_overstay(gate_school, language, size):
    """Defect 3: the code (last column) was cut to 10 of 12 characters at 120 columns; in English the
    overstay and code columns were off-screen."""
    from datetime import timedelta

    from kiosk import clock

    visit = visitors.register_visit(actor_for("G002"), form(), gate_school).visit
    clock.advance(timedelta(hours=5))  # past the expected leave time: overstaying
    gate_school.language = language
    i18n.set_language(language)
    async with start_app(gate_school, "gate", size=size) as (app, pilot):
        await open_from_home(pilot, "G001", "111111", "o", OnsiteScreen)
        row = table_line(app.screen.query_one(DataTable), 1)
        assert visit.code in row and "王建国" in row
        assert visitors.onsite("demo")[0].overstay_minutes > 0
        assert ("超" if language == "zh-CN" else "+") in row


def test_a_cut_code_signs_out_when_it_names_one_visitor_on_site(gate_school):
    """Defect 3: `没有访客码为 93A81C409F 的记录` for the code as the list showed it."""
    first = visitors.register_visit(actor_for("G002"), form(), gate_school).visit
    second = visitors.register_visit(actor_for("G002"), form(id_number="360426199101010071", name="李四"),
                                     gate_school).visit
    with pytest.raises(visitors.GateError):
        visitors.sign_out_by_code(actor_for("G001"), first.code[:4])  # too short to be taken as a code
    done = visitors.sign_out_by_code(actor_for("G001"), first.code[:10].lower())
    assert done.id == first.id and done.time_out is not None
    assert Visit.get_by_id(second.id).time_out is None


def test_the_same_person_cannot_be_registered_twice_while_on_site(gate_school):
    """Defect 5: two open visits for one ID number, both on the on-site list and the handover."""
    first = visitors.register_visit(actor_for("G002"), form(), gate_school)
    again = visitors.register_visit(actor_for("G001"), form(), gate_school)
    assert again.status == "invalid" and again.errors[0].key == "already_onsite"
    assert again.errors[0].values["code"] == first.visit.code
    assert Visit.select().count() == 1 and len(visitors.onsite("demo")) == 1
    visitors.sign_out(actor_for("G001"), first.visit.id)
    assert visitors.register_visit(actor_for("G001"), form(), gate_school).status == "admitted"


async def test_f6_on_an_unsaved_form_prints_nothing(gate_school, settings):
    """Defect 4: F6 with the next visitor typed in (not saved) printed the previous visitor's slip."""
    from pathlib import Path

    from kiosk.screens.gate_register import RegisterScreen

    previous = visitors.register_visit(actor_for("G002"), form(), gate_school).visit
    async with start_app(gate_school, "gate") as (app, pilot):
        screen = await open_from_home(pilot, "G001", "111111", "v", RegisterScreen)
        screen.last_visit = visitors.onsite("demo")[0]  # as if just saved at this screen
        await type_text(pilot, "360426199101010071")  # the next visitor, not saved
        await pilot.press("f6")
        await settle(pilot)
        assert not list(Path(settings.printer.output_dir).glob("visitor-*"))
        assert "Ctrl+S" in str(screen.query_one("#reg-message", Static).render())
        screen.query_one("#f-id_number", Input).value = ""
        await pilot.press("f6")  # an empty form: F6 prints the visit just saved
        await settle(pilot)
        assert list(Path(settings.printer.output_dir).glob(f"visitor-{previous.code}*"))


async def test_escape_on_the_verbal_permission_form_asks_before_discarding(gate_school):
    """Defect 6: Esc threw away what was typed on 口头同意 without asking, unlike the other forms."""
    from kiosk.screens.dialogs import ConfirmDialog
    from kiosk.screens.gate_verbal import VerbalExceptionScreen

    async with start_app(gate_school, "gate") as (app, pilot):
        screen = await open_from_home(pilot, "G001", "111111", "x", VerbalExceptionScreen)
        await type_text(pilot, "20260100")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")  # keep editing
        await pilot.pause()
        assert app.screen is screen and screen.query_one("#verbal-student", Input).value == "20260100"


async def test_watchlist_does_not_say_empty_above_its_entries(gate_school):
    """Defect 7: 名单为空 from the first (not yet loaded) render stayed above a table of three entries."""
    from kiosk.screens.gate_watchlist import WatchlistScreen

    for name in ("钱多多", "孙一", "赵二"):
        visitors.add_watch_entry(actor_for("Z001"), id_type="resident", id_number="", name=name, level="deny",
                                 reason="多次进校推销", expires_at=None)
    async with start_app(gate_school, "office") as (app, pilot):
        screen = await open_from_home(pilot, "Z001", "555555", "w", WatchlistScreen)
        assert screen.query_one(DataTable).row_count == 3
        assert "名单为空" not in str(screen.query_one("#watch-message", Static).render())


def test_visits_export_shows_a_watchlist_override(gate_school):
    """Defect 10: a visitor on a deny entry admitted by the duty leader had an empty 备注."""
    from kiosk.services.gate_exports import export_visits
    from kiosk.models import Staff

    visitors.add_watch_entry(actor_for("Z001"), id_type="resident", id_number=ID, name="", level="deny",
                             reason="法院限制令", expires_at=None)
    leader = Staff.get(Staff.number == "L001")
    admitted = visitors.register_visit(actor_for("G001"), form(), gate_school, visitors.Decision(
        "allow", "值班领导陪同，仅在传达室见面", leader.id, leader.name, leader.role_set()))
    assert admitted.status == "admitted"
    table = export_visits(gate_school, None, None)
    remarks = table.rows[0][-1]
    assert "李国强" in remarks and "值班领导陪同" in remarks and "禁止入校" in remarks


async def test_a_night_visit_is_confirmed_by_a_duty_leaders_pin(gate_school):
    """Defect 11: the night-visit duty leader was free text (`某某` passed)."""
    from kiosk import clock
    from kiosk.screens.dialogs import PinDialog

    first = visitors.register_visit(actor_for("G002"), form(), gate_school).visit  # a known visitor, by day
    visitors.sign_out(actor_for("G002"), first.id)
    clock.freeze(clock.now().replace(hour=14, minute=30))  # 22:30 in Shanghai
    async with start_app(gate_school, "gate") as (app, pilot):
        await login(pilot, "G001", "111111")
        await pilot.press("v")
        await pilot.pause()
        screen = app.screen
        await type_text(pilot, ID)
        await pilot.press("enter")
        await settle(pilot)
        screen.query_one("#f-duty_leader", Input).value = "某某"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PinDialog) and Visit.select().count() == 1
        await type_text(pilot, "G002")  # another gatekeeper is not a duty leader
        await pilot.press("enter")
        await type_text(pilot, "111111")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen and Visit.select().count() == 1
        assert "不是值班领导" in str(screen.query_one("#reg-message", Static).render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PinDialog)
        await type_text(pilot, "L001")
        await pilot.press("enter")
        await type_text(pilot, "777777")
        await pilot.press("enter")
        await settle(pilot)
        night = Visit.select().order_by(Visit.time_in.desc()).first()
        assert Visit.select().count() == 2 and night.night and night.duty_leader == "李国强"


def test_english_counts_of_visitors_agree_with_the_number():
    """Friction: "1 visitors overstaying" in English."""
    from kiosk.i18n import t

    i18n.set_language("en")
    assert t("gate.alert_overstay", count=1) == "Overstaying: 1"  # no noun to agree (short for the status bar)
    assert t("gate.onsite_summary", count=1, over=0) == "1 visitor on site, 0 overstaying."
    assert t("gate.handover_items", count=2) == "Handed over: 2 visitors on site"
