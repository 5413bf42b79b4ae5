"""The people directory keeps every key typed, also after a search found nobody; full pinyin finds people."""
from textual.widgets import DataTable, Input

from kiosk.models import Student
from kiosk.screens.people import PeopleScreen
from kiosk.services.names import full_pinyin
from tests.ui_helpers import open_from_home, settle, start_app, type_text


async def open_people(app, pilot):
    return await open_from_home(pilot, "G001", "111111", "n", PeopleScreen)


async def test_typing_goes_on_after_no_result(demo_school):
    async with start_app(demo_school, "gate") as (app, pilot):
        screen = await open_people(app, pilot)
        await type_text(pilot, "qqq")
        await pilot.press("enter")  # nobody found: Enter has nothing to move to
        await settle(pilot)
        assert screen.query_one("#people-detail").message.key == "core.search_nothing"
        await type_text(pilot, "x")
        await settle(pilot)
        assert screen.query_one("#people-query", Input).value == "qqqx"
        assert app.focused is screen.query_one("#people-query", Input)


async def test_typing_in_the_results_goes_back_to_the_search_field(demo_school):
    student = Student.select().order_by(Student.number).first()
    async with start_app(demo_school, "gate") as (app, pilot):
        screen = await open_people(app, pilot)
        await type_text(pilot, student.number[:4])
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.focused, DataTable)
        await type_text(pilot, student.number[4:])
        await settle(pilot)
        field = screen.query_one("#people-query", Input)
        assert field.value == student.number and app.focused is field
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("backspace")
        assert field.value == student.number[:-1]


async def test_full_pinyin_typed_on_screen_finds_the_student(demo_school):
    student = Student.select().order_by(Student.number).first()
    async with start_app(demo_school, "gate") as (app, pilot):
        screen = await open_people(app, pilot)
        await type_text(pilot, full_pinyin(student.name))
        await settle(pilot)
        table = screen.query_one(DataTable)
        assert student.number in [table.get_row_at(i)[1] for i in range(table.row_count)]
