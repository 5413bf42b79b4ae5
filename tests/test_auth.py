from datetime import timedelta

import pytest

from kiosk import clock
from kiosk.models import AuditEntry
from kiosk.services.auth import check_pin, hash_pin, login, verify_admin_pin


def attempt(code, pin, station="gate"):
    return login(code, pin, school_id="demo", station_id="st-test", station_kind=station, max_tries=5, lockout_minutes=15)


def test_pin_hash_is_salted_scrypt():
    first, second = hash_pin("1234"), hash_pin("1234")
    assert first != second and first.startswith("scrypt$")
    assert check_pin("1234", first) and not check_pin("1235", first)
    assert not check_pin("1234", "garbage") and not check_pin("1234", "scrypt$x$y$z$00$00")


def test_gatekeeper_logs_in_at_the_gate(demo_school):
    result = attempt("G001", "111111")
    assert result.ok and result.session.number == "G001" and "gatekeeper" in result.session.roles
    assert AuditEntry.select().where(AuditEntry.action == "auth.login").count() == 1


def test_staff_card_logs_in_like_the_number(demo_school):
    assert attempt("STAFF-G001", "111111").ok


@pytest.mark.parametrize("number, pin, station, ok", [
    ("G001", "111111", "dorm", False),
    ("D001", "222222", "dorm", True),
    ("C001", "333333", "canteen", True),
    ("C001", "333333", "gate", False),
    ("T001", "444444", "office", True),
    ("A001", "888888", "gate", True),  # admin anywhere
    ("A001", "888888", "canteen", True),
])
def test_only_the_stations_roles_get_in(demo_school, number, pin, station, ok):
    result = attempt(number, pin, station)
    assert result.ok is ok
    if not ok:
        assert result.reason == "core.login_wrong_station"


def test_wrong_pins_lock_the_account_for_a_while(demo_school, frozen_now):
    for tries_left in (4, 3, 2, 1):
        result = attempt("G001", "000000")
        assert not result.ok and result.tries_left == tries_left
    locked = attempt("G001", "000000")
    assert locked.reason == "core.login_locked" and locked.locked_minutes == 15
    # even the right PIN is refused while locked
    assert attempt("G001", "111111").reason == "core.login_locked"
    clock.advance(timedelta(minutes=14))
    assert attempt("G001", "111111").reason == "core.login_locked"
    clock.advance(timedelta(minutes=2))
    assert attempt("G001", "111111").ok
    assert AuditEntry.select().where(AuditEntry.action == "auth.locked").count() == 1


def test_unknown_staff_gets_the_same_answer_as_a_wrong_pin(demo_school):
    assert attempt("NOPE", "111111").reason == attempt("G001", "999999").reason == "core.login_failed"


def test_only_admins_pass_the_admin_check(demo_school):
    assert verify_admin_pin("A001", "888888", "demo") is not None
    assert verify_admin_pin("G001", "111111", "demo") is None
    assert verify_admin_pin("A001", "111111", "demo") is None
