"""Finding students and staff by number prefix, name substring or pinyin initials."""
from __future__ import annotations

import pytest

from kiosk import i18n
from kiosk.models import Staff, Student
from kiosk.services.actor import Actor
from kiosk.services.auth import hash_pin
from kiosk.services.facts import record
from kiosk.services.names import pinyin_initials
from kiosk.services.people import PersonHit, StudentInfo, search_people, student_by_number
from kiosk.services.roster_import import import_roster
from tests.test_roster_import import day_student, student, write_csv


@pytest.fixture
def school(db, settings, frozen_now, tmp_path):
    actor = Actor(school_id=settings.school.id, station_id="st-test")
    rows = [
        student("2026001", "张华丽"),
        student("2026002", "张华", "男", building="男生1号楼", room="201", bed="2"),
        student("2026003", "赵海林", "男", class_name="高一(2)班", building="男生1号楼", room="201", bed="3"),
        day_student("2025010", "李明", class_name="高二(1)班"),
        day_student("2025011", "周%_明"),
    ]
    import_roster(write_csv(tmp_path / "r.csv", rows), actor)
    with record(actor, "test.staff") as w:
        for number, name, roles, class_name, active in (
            ("T001", "郑和莉", "head_teacher", "高一(1)班", True),
            ("G001", "张华", "gatekeeper,dorm_supervisor", "", True),
            ("G002", "张华龙", "gatekeeper", "", False),
        ):
            w.insert(Staff(school_id=settings.school.id, number=number, name=name, initials=pinyin_initials(name),
                           roles=roles, class_name=class_name, pin_hash=hash_pin("1234"), active=active,
                           updated_at=frozen_now))
    return settings.school.id


def names(hits: list[PersonHit]) -> list[tuple[str, str]]:
    return [(hit.kind, hit.name) for hit in hits]


def test_pinyin_initials_prefix_finds_the_name(school):
    hits = search_people("zhl", school)
    # Same rank: students before staff, then by number.
    assert names(hits) == [("student", "张华丽"), ("student", "赵海林"), ("staff", "郑和莉")]
    assert {hit.name for hit in search_people("ZHL", school)} == {"张华丽", "郑和莉", "赵海林"}
    assert {hit.name for hit in search_people("zh", school)} >= {"张华丽", "张华", "赵海林", "郑和莉"}


def test_name_substring_and_exact_name_first(school):
    hits = search_people("张华", school)
    assert hits[0].name == "张华" and {h.kind for h in hits[:2]} == {"student", "staff"}
    assert {hit.name for hit in hits} == {"张华", "张华丽"}  # the inactive 张华龙 is left out
    assert {hit.name for hit in search_people("张华", school, include_inactive=True)} == {"张华", "张华丽", "张华龙"}
    assert names(search_people("海", school)) == [("student", "赵海林")]


def test_number_prefix_and_exact_number_first(school):
    assert [hit.number for hit in search_people("2026", school)] == ["2026001", "2026002", "2026003"]
    assert [hit.number for hit in search_people("2025011", school)] == ["2025011"]
    assert [hit.number for hit in search_people("t00", school)] == ["T001"]


def test_hits_carry_class_and_a_readable_detail(school):
    i18n.set_language("zh-CN")
    (hit,) = search_people("2026002", school)
    assert (hit.kind, hit.class_name) == ("student", "高一(1)班")
    assert str(hit.detail) == "住宿 男生1号楼 201 2号床"
    (day,) = search_people("2025010", school)
    assert str(day.detail) == "走读"
    (teacher,) = search_people("T001", school)
    assert (teacher.kind, teacher.class_name, str(teacher.detail)) == ("staff", "高一(1)班", "班主任")
    (gate,) = search_people("G001", school)
    assert str(gate.detail) == "门卫、宿管"
    # Translated when shown: the same hit in English after F9, with English's list separator.
    i18n.set_language("en")
    try:
        assert str(gate.detail) == "gatekeeper, dorm supervisor"
    finally:
        i18n.set_language("zh-CN")


def test_like_wildcards_and_blank_queries_match_literally(school):
    assert search_people("", school) == []
    assert search_people("   ", school) == []
    assert names(search_people("%_", school)) == [("student", "周%_明")]
    assert names(search_people("_", school)) == [("student", "周%_明")]


def test_limit_and_other_schools(school):
    assert len(search_people("20", school, limit=2)) == 2
    assert search_people("zhl", "another-school") == []


def test_inactive_students_are_not_found_by_default(school, tmp_path, settings):
    actor = Actor(school_id=school, station_id="st-test")
    import_roster(write_csv(tmp_path / "r2.csv", [student("2026001", "张华丽")]), actor)  # full: the rest leave
    assert set(names(search_people("zh", school))) == {("student", "张华丽"), ("staff", "郑和莉"), ("staff", "张华")}
    (gone,) = search_people("赵海林", school, include_inactive=True)
    assert str(gone.detail) == "已离校"


def test_student_by_number(school):
    info = student_by_number("2026001", school)
    assert info == StudentInfo(
        id=Student.get(Student.number == "2026001").id, number="2026001", name="张华丽", gender="F", grade="高一",
        class_name="高一(1)班", boarder=True, building="女生1号楼", room="101", bed=1, guardian_name="张伟",
        guardian_phone="13800138000", active=True)
    day = student_by_number(" 2025010 ", school)
    assert (day.boarder, day.building, day.room, day.bed) == (False, "", "", None)
    assert student_by_number("9999999", school) is None
    assert student_by_number("", school) is None
    assert student_by_number("2026001", "another-school") is None


def test_full_pinyin_finds_the_name_spelled_out(school):
    # 张华 spelled out exactly comes first (as an exact name would), then names it begins (张华丽, 张华龙 inactive).
    assert names(search_people("zhanghua", school)) == [("student", "张华"), ("staff", "张华"), ("student", "张华丽")]
    assert names(search_people("Zhang Hua", school))[:2] == [("student", "张华"), ("staff", "张华")]
    assert names(search_people("zhaohai", school)) == [("student", "赵海林")]
    assert names(search_people("zhenghel", school)) == [("staff", "郑和莉")]
    assert search_people("zhangx", school) == []
    assert names(search_people("zhanghua", school, students_only=True)) == [("student", "张华"), ("student", "张华丽")]


def test_students_of_one_class_only(school):
    assert names(search_people("zh", school, students_only=True, class_name="高一(2)班")) == [("student", "赵海林")]
    assert search_people("李明", school, students_only=True, class_name="高一(1)班") == []


def test_a_surname_is_read_as_a_surname(school, tmp_path):
    actor = Actor(school_id=school, station_id="st-test")
    import_roster(write_csv(tmp_path / "more.csv", [day_student("2026009", "曾英", "女")]), actor, full=False)
    assert pinyin_initials("曾英") == "zy" and Student.get(Student.number == "2026009").initials == "zy"
    for query in ("zy", "zengying", "cengying", "曾英"):
        assert names(search_people(query, school)) == [("student", "曾英")], query


def test_a_reimport_refreshes_initials_made_by_an_older_rule(school, tmp_path):
    actor = Actor(school_id=school, station_id="st-test")
    roster = write_csv(tmp_path / "more.csv", [day_student("2026009", "曾英", "女")])
    import_roster(roster, actor, full=False)
    Student.update(initials="cy").where(Student.number == "2026009").execute()  # as an older version stored it
    report = import_roster(roster, actor, full=False)
    assert report.updated == 1 and Student.get(Student.number == "2026009").initials == "zy"
    assert import_roster(roster, actor, full=False).updated == 0
