"""The scanner input: burst detection, Enter and ctrl+j, repeat suppression, junk filtering."""
from textual.app import App, ComposeResult

from kiosk.widgets.scan_input import ScanInput, clean_code


def post_timed(app, timed) -> None:
    """Post (key, seconds from now) pairs at once, each stamped with its own time as the driver stamps keys
    when the terminal delivers them: the app handles them as fast as it can, the times say when they came."""
    import time

    from textual import events

    start = time.monotonic()
    for key, offset in timed:
        event = events.Key(key, key if len(key) == 1 else "\r")
        event.time = start + offset
        app.post_message(event)


class ScanApp(App):
    def __init__(self):
        super().__init__()
        self.scans = []

    def compose(self) -> ComposeResult:
        yield ScanInput(id="scan", burst_gap_ms=10_000, repeat_ignore_seconds=2)

    def on_scan_input_scanned(self, event: ScanInput.Scanned) -> None:
        self.scans.append((event.code, event.from_scanner))


async def test_enter_and_ctrl_j_submit_and_repeats_are_ignored():
    app = ScanApp()
    async with app.run_test() as pilot:
        await pilot.press(*"ABC123", "enter")
        await pilot.press(*"ABC123", "ctrl+j")  # same code again at once: ignored
        await pilot.press(*"XYZ9", "ctrl+j")
        await pilot.pause()
        assert [code for code, _ in app.scans] == ["ABC123", "XYZ9"]
        assert app.scans[0][1] is True  # a fast burst counts as a scanner
        assert app.query_one(ScanInput).value == ""


async def test_slow_typing_is_not_a_scan():
    app = ScanApp()
    async with app.run_test() as pilot:
        scan = app.query_one(ScanInput)
        scan.burst_gap = 0.0  # every gap is "slow"
        await pilot.press(*"20260101", "enter")
        await pilot.pause()
        assert app.scans == [("20260101", False)]


def test_clean_code_drops_control_characters_and_bounds_length():
    assert clean_code("\x00AB\x1bC\t \n") == "ABC"
    assert len(clean_code("9" * 10_000)) == 512


from hypothesis import given, strategies as st  # noqa: E402


@given(st.text())
def test_clean_code_output_is_always_printable_and_bounded(raw):
    code = clean_code(raw)
    assert len(code) <= 512 and all(ch.isprintable() for ch in code) and code == code.strip()


async def test_two_scans_back_to_back_stay_two_codes():
    from textual import events

    app = ScanApp()
    async with app.run_test() as pilot:
        for key in list("AAA111") + ["enter"] + list("BBB222") + ["ctrl+j"]:
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await pilot.pause()
        await pilot.pause()
        assert [code for code, _ in app.scans] == ["AAA111", "BBB222"]


class ConfirmApp(ScanApp):
    def __init__(self):
        super().__init__()
        self.enters = 0

    def on_scan_input_enter_on_empty(self, event: ScanInput.EnterOnEmpty) -> None:
        self.enters += 1


async def test_enter_on_empty_is_a_person_but_not_the_scanners_lf_or_second_terminator():
    import asyncio

    app = ConfirmApp()
    async with app.run_test() as pilot:
        await pilot.press("enter")
        assert app.enters == 1
        await pilot.press("ctrl+j")  # a scanner's LF never confirms anything
        await pilot.press(*"ABC123", "enter", "enter")  # CR CR right after a scan: the scanner's
        await pilot.pause()
        assert app.enters == 1 and [code for code, _ in app.scans] == ["ABC123"]
        await asyncio.sleep(ScanInput.TRAILING_TERMINATOR_SECONDS)
        await pilot.press("enter")
        assert app.enters == 2


async def test_focus_does_not_select_text_typed_ahead():
    """Textual's Input selects its text on focus; a key typed next then replaced what a scan had typed."""
    app = ScanApp()
    async with app.run_test() as pilot:
        scan = app.query_one(ScanInput)
        await pilot.press(*"S1:AB")
        scan.blur()
        await pilot.pause()
        scan.focus()
        await pilot.pause()
        await pilot.press("C")
        assert scan.value == "S1:ABC"


class GateLaneApp(ConfirmApp):
    """The gate's lane: an Enter ending a burst is held to see whether the burst goes on."""

    def compose(self) -> ComposeResult:
        yield ScanInput(id="scan", burst_gap_ms=40, repeat_ignore_seconds=2, hold_burst_end=True)


async def test_the_gatekeepers_enter_after_a_scans_first_key_does_not_cut_the_scan():
    """Found by the tmux shift: a 30 ms/key card scan with the gatekeeper's Enter landing after its first key,
    and the next key 60 ms after the first (a loaded machine), was checked as '0260037', a false refusal."""
    app = GateLaneApp()
    async with app.run_test() as pilot:
        timed = [("2", 0.0), ("enter", 0.008)] + [(char, 0.060 + 0.030 * i) for i, char in enumerate("0260037")]
        timed.append(("enter", timed[-1][1] + 0.005))
        post_timed(app, timed)
        await pilot.pause(ScanInput.HOLD_SECONDS + 0.1)
        await pilot.pause()
        assert [code for code, _ in app.scans] == ["20260037"] and app.enters == 1


async def test_a_scanner_retriggered_50_ms_after_a_whole_code_stays_two_scans():
    """The other side of the hold: after a whole code, the same code again 40 ms later (a shaky hand) is a
    second scan, never glued onto the first (the 100-scan test found '2026506720265067')."""
    app = GateLaneApp()
    async with app.run_test() as pilot:
        timed, at = [], 0.0
        for _ in range(2):
            for char in "20265067":
                timed.append((char, at))
                at += 0.030
            timed.append(("enter", at - 0.025))
            at += 0.040  # the next key 70 ms after the code's last one
        post_timed(app, timed)
        await pilot.pause(ScanInput.HOLD_SECONDS + 0.1)
        await pilot.pause()
        assert [code for code, _ in app.scans] == ["20265067"]  # the second one is ignored as a repeat
        assert app.query_one(ScanInput).value == ""


async def test_the_gatekeepers_enter_after_a_scan_is_never_taken_for_the_scanners_when_the_app_is_busy():
    """A person's Enter 0.35 s after a scan's Enter (by the keys' own times) is the person's, even when the app
    handles both keys at once (it was busy checking the slip), and even while the scan's Enter is still held
    to see whether the burst goes on. It was taken for the scanner's second terminator and lost."""
    for app in (ConfirmApp(), GateLaneApp()):
        async with app.run_test() as pilot:
            timed = [(char, 0.005 * i) for i, char in enumerate("20265067")]
            timed += [("enter", 0.040), ("enter", 0.040 + 0.35)]
            timed += [(char, 0.6 + 0.005 * i) for i, char in enumerate("20265099")]
            timed += [("enter", 0.645), ("enter", 0.650)]  # a scanner sending CR CR: still the scanner's
            post_timed(app, timed)
            await pilot.pause(ScanInput.HOLD_SECONDS + 0.1)
            await pilot.pause()
            assert [code for code, _ in app.scans] == ["20265067", "20265099"], type(app).__name__
            assert app.enters == 1, type(app).__name__
