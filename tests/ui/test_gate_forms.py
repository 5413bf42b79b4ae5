"""Issue 14's friction on the gate's visitor forms: every problem shown at once under its field and cleared when
fixed, Enter leaves a chosen dropdown, the watchlist checked the moment the ID or name is known, English labels
that fit, and the form's modules without an import cycle."""
from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.widgets import Input, Select

from kiosk import clock, i18n
from kiosk.models.visitors import Visit, WatchlistDecision
from kiosk.screens.gate_decision import DecisionScreen
from kiosk.screens.gate_form import FIELDS, LABEL_WIDTH, FieldNote
from kiosk.screens.gate_register import RegisterScreen
from kiosk.services import visitors
from tests.test_gate_services import ID, actor_for, form, make_school
from tests.ui_helpers import login, open_from_home, settle, start_app, type_text

SCREENS = Path(__file__).resolve().parents[2] / "kiosk" / "screens"


@pytest.fixture
def gate_school(db, settings, frozen_now):
    return make_school(settings)


async def open_register(app, pilot) -> RegisterScreen:
    return await open_from_home(pilot, "G001", "111111", "v", RegisterScreen)


def notes(screen) -> dict[str, str]:
    """The fields that show a problem, with its text."""
    return {note.id.removeprefix("e-"): note.text for note in screen.query(FieldNote) if note.text}


async def test_a_save_shows_every_problem_at_once_and_each_goes_when_fixed(gate_school):
    async with start_app(gate_school, "gate") as (app, pilot):
        screen = await open_register(app, pilot)
        screen.query_one("#f-id_number", Input).value = "110105194912310021"  # wrong check character
        screen.query_one("#f-name", Input).value = "王建国"
        screen.query_one("#f-phone", Input).value = "1381234"
        screen.query_one("#f-companions", Input).value = "两个"
        await pilot.press("ctrl+s")
        await settle(pilot)
        shown = notes(screen)
        assert set(shown) == {"id_number", "phone", "category", "reason", "host", "companions"}
        assert "校验位" in shown["id_number"] and "11 位" in shown["phone"]
        assert screen.query_one("#f-id_number", Input).has_focus  # the first one to fix
        assert "共6处要改" in screen.message_text() and "校验位" in screen.message_text()
        assert Visit.select().count() == 0
        screen.query_one("#f-phone", Input).focus()
        await pilot.press("end")  # the focus selects the whole field: type after it
        await type_text(pilot, "5678")  # now 11 digits: that note goes, the others stay
        await pilot.pause()
        assert set(notes(screen)) == {"id_number", "category", "reason", "host", "companions"}
        assert "共5处要改" in screen.message_text()
        screen.query_one("#f-companions", Input).value = "2"
        screen.query_one("#f-id_number", Input).value = ID
        screen.query_one("#f-category", Select).value = "parent"
        await pilot.pause()
        assert set(notes(screen)) == {"reason", "host"}
        await pilot.press("f9")  # the notes follow the language
        await settle(pilot)
        try:
            assert "reason" in notes(screen)["reason"].lower()
        finally:
            await pilot.press("f9")
            await settle(pilot)
        screen.query_one("#f-reason", Input).value = "送生活用品"
        screen.query_one("#f-host", Input).focus()
        await type_text(pilot, "zhl")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")  # the first hit
        await pilot.pause()
        assert notes(screen) == {} and "处要改" not in screen.message_text()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert Visit.select().count() == 1 and notes(screen) == {}


async def test_a_problem_found_by_the_save_is_shown_under_its_field(gate_school):
    """The database's own check (already on site) lands under the ID field and goes when the number changes."""
    visitors.register_visit(actor_for("G002"), form(), gate_school)
    async with start_app(gate_school, "gate") as (app, pilot):
        screen = await open_register(app, pilot)
        for name, value in (("id_number", ID), ("name", "王建国"), ("phone", "13812345678"), ("reason", "送东西")):
            screen.query_one(f"#f-{name}", Input).value = value
        screen.query_one("#f-category", Select).value = "parent"
        screen.host = visitors.search_hosts("zhl", "demo")[0]
        screen.query_one("#f-host", Input).value = screen.host.name
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert list(notes(screen)) == ["id_number"] and "已在校内" in notes(screen)["id_number"]
        screen.query_one("#f-name", Input).value = "王建"  # another field: the note stays
        await pilot.pause()
        assert list(notes(screen)) == ["id_number"]
        screen.query_one("#f-id_number", Input).value = "360426199101010071"
        await pilot.pause()
        assert notes(screen) == {}
        assert Visit.select().count() == 1


async def test_a_visitor_still_on_site_is_said_the_moment_the_id_is_entered(gate_school):
    """Walk-through finding: the number of a visitor still on site prefilled the form as a returning visitor
    (第 2 次来访), and only the save said 已在校内: at night after the duty leader had come and given a PIN."""
    visitors.register_visit(actor_for("G002"), form(), gate_school)
    async with start_app(gate_school, "gate") as (app, pilot):
        screen = await open_register(app, pilot)
        screen.query_one("#f-id_number", Input).focus()
        await type_text(pilot, ID)
        await pilot.press("enter")
        await settle(pilot)
        assert list(notes(screen)) == ["id_number"] and "已在校内" in notes(screen)["id_number"]
        assert "已在校内" in screen.message_text() and "签离" in screen.message_text()  # what to do, whole
        assert screen.query_one("#f-id_number", Input).has_focus
        screen.query_one("#f-phone", Input).value = "13812345678"  # another field: the note stays
        await pilot.pause()
        assert list(notes(screen)) == ["id_number"]
        assert Visit.select().count() == 1


async def test_enter_on_a_chosen_dropdown_moves_on(gate_school):
    async with start_app(gate_school, "gate") as (app, pilot):
        screen = await open_register(app, pilot)
        category = screen.query_one("#f-category", Select)
        category.focus()
        await pilot.press("enter")  # empty: Enter opens the list
        await pilot.pause()
        assert category.expanded
        await pilot.press("down", "enter")  # the first category; the cursor stays on it
        await pilot.pause()
        assert category.value == "parent" and category.has_focus
        await pilot.press("enter")  # chosen: Enter goes on instead of opening the list again
        await pilot.pause()
        assert not category.expanded and screen.query_one("#f-unit", Input).has_focus
        screen.query_one("#f-id_type", Select).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert screen.query_one("#f-id_number", Input).has_focus


async def test_a_watchlisted_returning_visitor_is_alerted_at_the_scan(gate_school):
    """Scanning a watchlisted visitor's ID prefilled their last visit (回访人员) with no alert until the save."""
    first = visitors.register_visit(actor_for("G002"), form(), gate_school).visit
    visitors.sign_out(actor_for("G002"), first.id)
    visitors.add_watch_entry(actor_for("Z001"), id_type="resident", id_number=ID, name="", level="warn",
                             reason="上次与保安争吵", expires_at=None)
    clock.advance(timedelta(days=1))
    async with start_app(gate_school, "gate") as (app, pilot):
        screen = await open_register(app, pilot)
        await type_text(pilot, ID)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DecisionScreen) and screen.query_one("#f-name", Input).value == "王建国"
        await pilot.press("escape")  # not now: the alert stays on the form, the save asks again
        await settle(pilot)
        assert app.screen is screen and "名单提示" in screen.message_text()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DecisionScreen) and Visit.select().count() == 1
        await pilot.press("a")
        await pilot.pause()
        await type_text(pilot, "班主任约见，已核实")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen and Visit.select().count() == 2
        assert WatchlistDecision.get().decision == "allow"


async def test_a_name_without_a_document_is_checked_when_enter_leaves_it(gate_school):
    visitors.add_watch_entry(actor_for("Z001"), id_type="resident", id_number="", name="钱多多", level="deny",
                             reason="多次进校推销", expires_at=None)
    async with start_app(gate_school, "gate") as (app, pilot):
        screen = await open_register(app, pilot)
        screen.query_one("#f-id_type", Select).value = "none"
        screen.query_one("#f-name", Input).focus()
        await type_text(pilot, "钱多多")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DecisionScreen)
        await pilot.press("r")  # refused now: the save records the refusal without asking again
        await settle(pilot)
        assert app.screen is screen
        for name, value in (("phone", "13812345678"), ("reason", "推销")):
            screen.query_one(f"#f-{name}", Input).value = value
        screen.query_one("#f-category", Select).value = "other"
        screen.host = visitors.search_hosts("zhl", "demo")[0]
        screen.query_one("#f-host", Input).value = screen.host.name
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert Visit.get().status == "refused" and WatchlistDecision.get().decision == "refuse"


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_every_form_label_fits_its_column(language):
    """English labels were cut ("Companion", "Expected") by the 12-cell label column."""
    i18n.set_language(language)
    try:
        too_long = [i18n.t(key) for _, key, _ in FIELDS if cell_len(i18n.t(key)) > LABEL_WIDTH - 1]
    finally:
        i18n.set_language("zh-CN")
    assert too_long == []


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_the_patrol_and_handover_labels_fit_their_column(language):
    """"Other items handed over" wrapped onto two lines in the handover's label column (24 cells now, for the
    outgoing gatekeeper's PIN with a four-character name)."""
    keys = ("gate.f_place", "gate.place_other", "gate.f_all_clear", "gate.f_findings", "gate.f_notes",
            "gate.f_incoming", "gate.f_incoming_pin")
    i18n.set_language(language)
    try:
        labels = [i18n.t(key) for key in keys] + [i18n.t("gate.f_outgoing_pin", name="欧阳娜娜")]
    finally:
        i18n.set_language("zh-CN")
    assert [label for label in labels if cell_len(label) > 23] == []


def test_english_plurals_of_the_gate_forms():
    i18n.set_language("en")
    try:
        assert i18n.t("gate.form_problems", count=1).startswith("1 field to fix")
        assert i18n.t("gate.form_problems", count=3).startswith("3 fields to fix")
        assert i18n.t("gate.evacuation_written", path="x", count=1).endswith("(1 person)")
        assert i18n.t("gate.evacuation_written", path="x", count=4).endswith("(4 people)")
    finally:
        i18n.set_language("zh-CN")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_register_form_and_the_card_reader_do_not_import_each_other():
    register = "kiosk.screens.gate_register"
    for name in ("gate_card.py", "gate_decision.py", "gate_form.py", "gate_watchlist.py"):
        assert register not in imported_modules(SCREENS / name), name
    assert len((SCREENS / "gate_register.py").read_text(encoding="utf-8").splitlines()) < 500
    services = SCREENS.parent / "services"
    for name in ("visitors.py", "visitor_rules.py", "visitor_form.py"):  # the exports read visitors, not back
        assert not any("gate_exports" in module for module in imported_modules(services / name)), name


def test_relabel_select_uses_only_textuals_public_select():
    assert not any("_select" in module for module in imported_modules(SCREENS / "gate_form.py"))


def table_line(table, y: int) -> str:
    return "".join(segment.text for segment in table.render_line(y))


@pytest.mark.parametrize("language", ["zh-CN", "en"])
async def test_onsite_list_at_80x24_keeps_code_host_and_phone_on_screen(gate_school, language):
    """At 80 columns the visitor's phone was cut (138123456): today's times are HH:MM now, and the highlighted
    visitor is written out in full under the table."""
    from textual.widgets import DataTable, Static

    from kiosk.screens.gate_onsite import OnsiteScreen

    visit = visitors.register_visit(actor_for("G002"), form(), gate_school).visit
    clock.advance(timedelta(hours=3))  # overstaying
    gate_school.language = language
    i18n.set_language(language)
    try:
        async with start_app(gate_school, "gate", size=(80, 24)) as (app, pilot):
            await login(pilot, "G001", "111111")
            await pilot.press("o")
            await settle(pilot)
            assert isinstance(app.screen, OnsiteScreen)
            row = table_line(app.screen.query_one(DataTable), 1)
            assert all(text in row for text in (visit.code, "王建国", "张华丽", "13812345678")), row
            detail = str(app.screen.query_one("#onsite-detail", Static).render())
            assert "张华丽" in detail and "13812345678" in detail and "110105" in detail
            assert ("随行 1 人" if language == "zh-CN" else "1 companion,") in detail
    finally:
        i18n.set_language("zh-CN")


def test_onsite_times_are_short_today_and_dated_otherwise():
    from datetime import datetime

    from kiosk.screens.gate_onsite import short_time

    now = datetime(2026, 11, 18, 12, 30)
    assert short_time(datetime(2026, 11, 18, 9, 5), now) == "09:05"
    assert short_time(datetime(2026, 11, 17, 23, 50), now) == "11-17 23:50"
    assert short_time(None, now) == ""


async def test_the_watchlist_hit_stays_under_the_id_and_a_new_search_clears_none_found(gate_school):
    visitors.add_watch_entry(actor_for("Z001"), id_type="resident", id_number=ID, name="", level="deny",
                             reason="法院限制令", expires_at=None)
    async with start_app(gate_school, "gate", size=(80, 24)) as (app, pilot):
        screen = await open_register(app, pilot)
        await type_text(pilot, ID)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DecisionScreen)
        assert app.screen.query_one("Vertical").region.right <= 80  # the whole dialog on an 80-column screen
        await pilot.press("escape")
        await settle(pilot)
        assert "禁止入校" in notes(screen)["id_number"] and "保存时" in notes(screen)["id_number"]
        screen.query_one("#f-host", Input).focus()
        await type_text(pilot, "nobody")
        await pilot.press("enter")
        await settle(pilot)
        assert "没有" in screen.message_text() or "找不到" in screen.message_text()
        screen.query_one("#f-host", Input).value = "zhl"
        screen.query_one("#f-host", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert screen.message_text() == ""  # the list of hits is shown; "none found" is gone
        await pilot.press("enter")
        await pilot.pause()
        assert "禁止入校" in notes(screen)["id_number"]  # other messages come and go; the hit stays
        screen.query_one("#f-id_number", Input).value = "360426199101010071"
        await pilot.pause()
        assert "id_number" not in notes(screen)


async def test_refusing_at_the_id_scan_records_the_refusal_at_once(gate_school):
    """A watchlisted person turned away with R when the ID is typed is recorded then and there, with who it was:
    the gatekeeper is not asked for the phone, category, reason and host of someone refused (the tmux shift
    stopped on that form), and the next visitor starts on a blank form."""
    from kiosk.models.visitors import Visit, WatchlistDecision

    visitors.add_watch_entry(actor_for("Z001"), id_type="resident", id_number=ID, name="郑志远", level="deny",
                             reason="法院限制令", expires_at=None)
    async with start_app(gate_school, "gate") as (app, pilot):
        screen = await open_register(app, pilot)
        await type_text(pilot, ID)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await settle(pilot)
        assert app.screen is screen and "郑志远" in screen.message_text() and "拒绝" in screen.message_text()
        assert screen.query_one("#f-id_number", Input).value == "" and screen.query_one("#f-id_number").has_focus
    visit = Visit.get()
    assert (visit.status, visit.id_number, visit.name, visit.phone, visit.host_name) == ("refused", ID, "郑志远", "", "")
    assert WatchlistDecision.get().decision == "refuse"


async def test_switched_to_english_is_said_on_the_message_line_not_over_the_key_bar(gate_school):
    from kiosk.widgets.bars import KeyBar

    async with start_app(gate_school, "gate", size=(80, 24)) as (app, pilot):
        screen = await open_register(app, pilot)
        await pilot.press("f9")
        await settle(pilot)
        try:
            assert screen.message_text() == "Switched to English"
            assert not list(app.query("Toast"))  # a toast sat over the key bar
            bar = screen.query_one(KeyBar).region
            assert screen.query_one("#reg-message").region.bottom <= bar.y and bar.bottom <= 24
        finally:
            await pilot.press("f9")
            await settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_onsite_list_snapshots(gate_school, snap_compare, monkeypatch, language, size):
    """The on-site list in both languages at both sizes: code, name, overstay, host and phone on screen, the
    highlighted visitor in full under the table."""
    from itertools import count

    from kiosk.app import KioskApp

    serial = count(1)  # visitor codes come from random id bits: fixed for the picture
    monkeypatch.setattr(visitors, "short_code", lambda row_id: f"SNAPV{next(serial):07d}")
    visitors.register_visit(actor_for("G002"), form(), gate_school)
    clock.advance(timedelta(minutes=100))
    visitors.register_visit(actor_for("G002"), form(id_number="360426199101010071", name="欧阳娜娜"), gate_school)
    clock.advance(timedelta(minutes=50))  # the first has overstayed 30 minutes
    gate_school.station.kind, gate_school.station.name = "gate", "gate-1"
    gate_school.language = language
    i18n.set_language(language)

    async def run_before(pilot):
        await pilot.pause()
        await login(pilot, "G001", "111111")
        await pilot.press("o")
        await settle(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        pilot.app.refresh_station_status()
        await settle(pilot)

    try:
        assert snap_compare(KioskApp(gate_school, station_id="st-snapshot"), terminal_size=size, run_before=run_before)
    finally:
        i18n.set_language("zh-CN")
