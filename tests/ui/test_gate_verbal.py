"""The verbal-permission form (班主任口头同意): the student shown before saving, the head teacher picked from the
staff list with the roster's phone (never free text), every problem at once, Esc with typed text asks first."""
from __future__ import annotations

import pytest
from textual.widgets import Input, OptionList

from kiosk import clock, i18n
from kiosk.models import Staff
from kiosk.models.slips import VerbalException
from kiosk.screens.dialogs import ConfirmDialog
from kiosk.screens.gate_verbal import VerbalExceptionScreen
from kiosk.services.actor import Actor
from tests.test_gate_services import make_school
from tests.ui_helpers import open_from_home, settle, start_app, type_text

STUDENT = "202601000"  # 张华丽, 高一(1)班 (tests.test_gate_services.make_school)


@pytest.fixture
def gate_school(db, settings, frozen_now):
    from kiosk.db import ensure_station_identity
    from kiosk.services.auth import hash_pin
    from kiosk.services.facts import record
    from kiosk.services.names import pinyin_initials

    school = make_school(settings)
    with record(Actor(school_id="demo", station_id=ensure_station_identity()), "test.teachers") as w:
        for number, name, roles, class_name, phone in (("T001", "周建华", "head_teacher", "高一(1)班", "13900001111"),
                                                       ("T002", "吴敏", "teacher", "", "")):
            w.insert(Staff(school_id="demo", number=number, name=name, initials=pinyin_initials(name), roles=roles,
                           class_name=class_name, phone=phone, pin_hash=hash_pin("000000"), updated_at=clock.now()))
    return school


def under(screen, name: str) -> str:
    return screen.line(name).text


async def open_verbal(app, pilot) -> VerbalExceptionScreen:
    return await open_from_home(pilot, "G001", "111111", "x", VerbalExceptionScreen)


async def test_the_student_and_their_head_teacher_are_shown_before_recording(gate_school):
    async with start_app(gate_school, "gate", size=(80, 24)) as (app, pilot):
        screen = await open_verbal(app, pilot)
        await type_text(pilot, STUDENT)
        await pilot.press("enter")
        await settle(pilot)
        assert "张华丽" in under(screen, "student") and "高一(1)班" in under(screen, "student")
        assert screen.value("teacher") == "周建华" and screen.value("phone") == "13900001111"
        assert "班主任" in under(screen, "teacher")
        await pilot.press("enter")  # the head teacher is the one who called: on to the phone, the note
        await pilot.press("enter")
        await type_text(pilot, "gm")  # typed into the note
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        question = app.screen.query_one(".dialog-title").render()
        assert "张华丽" in str(question) and "周建华" in str(question)
        await pilot.press("enter")
        await settle(pilot)
        row = VerbalException.get()
        assert (row.teacher_name, row.teacher_phone, row.direction) == ("周建华", "13900001111", "exit")
        assert row.teacher_staff_id == Staff.get(Staff.number == "T001").id
        assert screen.value("student") == "" and "周建华" in screen.message_text()


async def test_another_teacher_is_picked_from_the_staff_list_not_typed(gate_school):
    async with start_app(gate_school, "gate") as (app, pilot):
        screen = await open_verbal(app, pilot)
        await type_text(pilot, STUDENT)
        await pilot.press("enter")
        await settle(pilot)
        screen.query_one("#verbal-teacher", Input).value = "某某"  # free text is not a teacher
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, VerbalExceptionScreen) and VerbalException.select().count() == 0
        assert "名单" in under(screen, "teacher")
        screen.query_one("#verbal-teacher", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "找不到" in screen.message_text()
        screen.query_one("#verbal-teacher", Input).value = "wm"  # pinyin initials of 吴敏
        screen.query_one("#verbal-teacher", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        menu = screen.query_one("#verbal-teachers", OptionList)
        assert menu.has_focus and "吴敏" in str(menu.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await pilot.pause()
        assert screen.teacher.name == "吴敏" and screen.query_one("#verbal-phone", Input).has_focus
        assert "不是 张华丽 的班主任" in screen.message_text()
        assert screen.value("phone") == ""  # none on the roster: typed, never the head teacher's left over
        await type_text(pilot, "13700002222")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        row = VerbalException.get()
        assert (row.teacher_name, row.teacher_phone) == ("吴敏", "13700002222")


async def test_every_problem_is_shown_at_once_and_an_unknown_student_says_so(gate_school):
    async with start_app(gate_school, "gate") as (app, pilot):
        screen = await open_verbal(app, pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert all(under(screen, name) for name in ("student", "teacher", "phone"))
        assert "共3处要改" in screen.message_text()
        await type_text(pilot, "99999")
        await pilot.pause()
        assert under(screen, "student") == ""  # being fixed: the note goes
        await pilot.press("enter")
        await settle(pilot)
        assert "99999" in screen.message_text() and screen.student is None


@pytest.mark.parametrize("language", ["zh-CN", "en"])
async def test_the_form_reads_in_both_languages_at_80x24(gate_school, language):
    from tests.ui.screen_text import visible_texts

    gate_school.language = language
    i18n.set_language(language)
    try:
        async with start_app(gate_school, "gate", size=(80, 24)) as (app, pilot):
            screen = await open_verbal(app, pilot)
            await type_text(pilot, STUDENT)
            await pilot.press("enter")
            await settle(pilot)
            text = " ".join(visible_texts(screen))
            assert ("住校生" if language == "zh-CN" else "day student") in text or "走读生" in text
            assert screen.query_one("#verbal-message").region.bottom <= 23  # above the key bar
            assert screen.line("teacher").region.width > 0
    finally:
        i18n.set_language("zh-CN")
