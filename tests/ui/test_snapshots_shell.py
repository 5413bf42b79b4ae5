"""SVG snapshots of the login screen in Chinese and English (update with --snapshot-update)."""
from kiosk.app import KioskApp
from tests.ui_helpers import settle


def make_app(settings, language):
    settings.language = language
    settings.station.kind = "gate"
    settings.station.name = "east-gate"
    return KioskApp(settings, station_id="st-snapshot")


def test_login_screen_chinese(demo_school, snap_compare):
    assert snap_compare(make_app(demo_school, "zh-CN"), terminal_size=(100, 30), run_before=settle)


def test_login_screen_english(demo_school, snap_compare):
    assert snap_compare(make_app(demo_school, "en"), terminal_size=(100, 30), run_before=settle)
