"""The people directory: pinyin search, student details, admin PIN reset and deactivation."""
from textual.widgets import DataTable, Input, Static

from kiosk.models import Staff
from kiosk.screens.dialogs import ConfirmDialog, TextDialog
from kiosk.screens.people import PeopleScreen
from kiosk.services.auth import check_pin
from tests.ui_helpers import login, start_app, type_text


async def open_people(app, pilot, number, pin):
    await login(pilot, number, pin)
    await pilot.press("n")
    await pilot.pause()
    assert isinstance(app.screen, PeopleScreen)


async def search(app, pilot, text):
    app.screen.query_one("#people-query", Input).value = text
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    return app.screen.query_one(DataTable)


async def test_gatekeeper_finds_a_student_by_pinyin_initials(demo_school):
    from kiosk.models import Student

    student = Student.select().order_by(Student.number).first()
    async with start_app(demo_school, "gate") as (app, pilot):
        await open_people(app, pilot, "G001", "111111")
        table = await search(app, pilot, student.initials)
        numbers = [table.get_row_at(i)[1] for i in range(table.row_count)]
        assert student.number in numbers
        # a gatekeeper cannot reset PINs: the key is not even active
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, PeopleScreen)


async def test_admin_resets_a_pin_and_deactivates_staff(demo_school):
    async with start_app(demo_school, "office") as (app, pilot):
        await open_people(app, pilot, "A001", "888888")
        table = await search(app, pilot, "G002")
        assert table.row_count == 1
        table.focus()
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, TextDialog)
        await type_text(pilot, "12")  # too short: refused, nothing changes
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        # Walk-through finding: the dialog closed and its 'type it again' had nowhere to type; it stays open now.
        assert isinstance(app.screen, TextDialog)
        assert "4-8" in str(app.screen.query_one("#text-required", Static).render())
        assert check_pin("111111", Staff.get(Staff.number == "G002").pin_hash)
        await pilot.press("backspace", "backspace")
        await type_text(pilot, "246810")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert check_pin("246810", Staff.get(Staff.number == "G002").pin_hash)
        await pilot.press("f6")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert Staff.get(Staff.number == "G002").active is False


async def test_the_results_follow_f9(demo_school):
    """A result's detail (dorm place, a staff member's roles) is translated when shown, so F9 changes it too."""
    from kiosk.i18n import set_language

    async with start_app(demo_school, "office") as (app, pilot):
        await open_people(app, pilot, "A001", "888888")
        try:
            table = await search(app, pilot, "G001")
            assert table.row_count == 1 and "门卫" in str(table.get_row_at(0)[4])
            await pilot.press("f9")
            await pilot.pause()
            table = app.screen.query_one(DataTable)
            assert "gatekeeper" in str(table.get_row_at(0)[4]).lower()
        finally:
            set_language("zh-CN")
