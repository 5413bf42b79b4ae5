"""Characters that are digits to str.isdigit() but not to int() ('²', '፩', '٣') never crash an input path
and are never taken for ASCII digits (found by the fuzzers in one place, then searched for everywhere)."""
import pytest

from kiosk.labels.printers import parse_host_port
from kiosk.scale import parse_reading
from kiosk.services.auth import valid_new_pin
from kiosk.services.headcount_rules import room_sort_key


@pytest.mark.parametrize("pin", ["²³⁴⁵", "፩፪፫፬", "١٢٣٤"])
def test_a_pin_is_ascii_digits(pin):
    assert not valid_new_pin(pin)
    assert valid_new_pin("2345")


def test_rooms_with_odd_digits_still_sort():
    assert sorted(["፩01", "102", "101"], key=room_sort_key) == ["፩01", "101", "102"]


@pytest.mark.parametrize("device", ["printer:²", "10.0.0.5:٩١٠٠", "10.0.0.5:99999", "10.0.0.5:0"])
def test_a_printer_address_with_a_bad_port_is_not_a_tcp_address(device):
    assert parse_host_port(device) is None
    assert parse_host_port("10.0.0.5:9100") == ("10.0.0.5", 9100)


def test_a_scale_line_in_other_digits_is_noise():
    assert parse_reading("ST,GS,+٠.١٣٢kg") is None


async def test_the_choice_dialog_takes_only_its_own_numbers():
    from textual.app import App

    from kiosk.screens.dialogs import ChoiceDialog

    picked = []

    class Host(App):
        def on_mount(self):
            self.push_screen(ChoiceDialog("?", [("extra", "加餐"), ("event", "活动餐")]), picked.append)

    async with Host().run_test() as pilot:
        for key in ("²", "3", "0"):
            await pilot.press(key)
        await pilot.pause()
        assert picked == []
        await pilot.press("2")
        await pilot.pause()
    assert picked == ["event"]
