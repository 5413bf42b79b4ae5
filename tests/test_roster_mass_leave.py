"""A full roster import that would send most of the school away (a class list imported as the whole
roster) is refused with what to do; --partial or --allow-mass-leave import it."""
from __future__ import annotations

import pytest

from kiosk.cli import main
from kiosk.models import Student
from kiosk.services.actor import Actor
from kiosk.services.roster_import import ImportFileError, import_roster, mass_leave
from tests.test_roster_import import student, write_csv

SCHOOL = [student(f"2026{i:03d}", f"学生{i}", building="女生1号楼", room=f"{100 + i // 6}", bed=str(i % 6 + 1))
          for i in range(100)]


@pytest.fixture
def actor(db, settings, frozen_now) -> Actor:
    return Actor(school_id=settings.school.id, station_id="st-test", staff_name="system")


def active() -> int:
    return Student.select().where(Student.active).count()


def test_the_rule():
    assert not mass_leave(100, 50) and mass_leave(100, 61)
    assert not mass_leave(5, 4)  # a tiny school's real change: fewer than a class
    assert not mass_leave(1200, 400)  # a new school year: a third leaves


def test_a_class_list_imported_as_the_whole_roster_is_refused(tmp_path, actor):
    import_roster(write_csv(tmp_path / "all.csv", SCHOOL), actor)
    one_class = write_csv(tmp_path / "class.csv", SCHOOL[:10])
    for dry_run in (True, False):
        with pytest.raises(ImportFileError) as refused:
            import_roster(one_class, actor, dry_run=dry_run)
        assert refused.value.key == "people.file_mass_leave" and "--partial" in str(refused.value)
    assert active() == 100
    assert import_roster(one_class, actor, full=False).deactivated == 0 and active() == 100
    assert import_roster(one_class, actor, allow_mass_leave=True).deactivated == 90 and active() == 10


def test_the_cli_says_so_and_takes_the_flag(tmp_path, actor, settings, capsys):
    import_roster(write_csv(tmp_path / "all.csv", SCHOOL), actor)
    one_class = str(write_csv(tmp_path / "class.csv", SCHOOL[:10]))
    assert main(["import", "roster", one_class, "--db", settings.database.path]) != 0
    assert "--allow-mass-leave" in capsys.readouterr().err and active() == 100
    assert main(["import", "roster", one_class, "--allow-mass-leave", "--db", settings.database.path]) == 0
    assert active() == 10
