"""The status bar (top) and key bar (bottom) every screen shows."""
from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from kiosk import clock
from kiosk.i18n import t


WIDE_CONSOLE = 120  # columns from which the status bar shows the school's name and the year


def station_label(kind: str) -> str:
    return t(f"core.station_{kind}")


class StatusBar(Horizontal):
    """School · station · who is on duty · clock (school time) · sync state · alerts."""

    DEFAULT_CSS = """
    StatusBar { dock: top; height: 1; background: $primary-darken-2; color: $text; }
    StatusBar > Static { width: auto; padding: 0 1; text-wrap: nowrap; }
    /* Who is on duty takes what is left and gives way first (cut with an ellipsis): at 80 columns the
       station, the alerts, the sync state and the clock stay whole. */
    StatusBar > #status-duty { width: 1fr; min-width: 0; text-overflow: ellipsis; }
    StatusBar > #status-alerts { max-width: 45%; text-overflow: ellipsis; }
    StatusBar > #status-alerts { background: $error; color: $text; text-style: bold; }
    StatusBar > #status-alerts.-empty { display: none; }
    StatusBar > #status-sync { text-overflow: ellipsis; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="status-school")
        yield Static(id="status-station")
        yield Static(id="status-duty")
        yield Static(id="status-alerts", classes="-empty")
        yield Static(id="status-sync")
        yield Static(id="status-clock")

    def on_mount(self) -> None:
        self.refresh_status()
        self.set_interval(1.0, self.refresh_clock)

    def on_resize(self) -> None:
        self.refresh_clock()  # the console's width decides the clock's shape
        self.fit_sync()

    def refresh_clock(self) -> None:
        ctx = self.app.ctx
        # On a narrow console the year gives way too (the school's name already did, by CSS: app.tcss).
        shape = "%m-%d %H:%M:%S" if self.app.size.width < WIDE_CONSOLE else "%Y-%m-%d %H:%M:%S"
        if clock.offset():  # a scripted run (KIOSK_CLOCK): nobody may take it for the real time; kept short
            shown = t("core.clock_scripted", at=clock.to_school(clock.now(), ctx.zone).strftime("%m-%d %H:%M"))
        else:
            shown = clock.to_school(clock.now(), ctx.zone).strftime(shape)
        self.query_one("#status-clock", Static).update(shown)

    def refresh_status(self) -> None:
        ctx = self.app.ctx
        self.query_one("#status-school", Static).update(ctx.settings.school.name)
        self.query_one("#status-station", Static).update(f"{station_label(ctx.station_kind)} {ctx.settings.station.name}".strip())
        duty = t("core.on_duty", name=ctx.session.name) if ctx.session else t("core.nobody_on_duty")
        self.query_one("#status-duty", Static).update(duty)
        status = self.app.station_status
        self.query_one("#status-sync", Static).update(status.sync_text)
        alerts = self.query_one("#status-alerts", Static)
        alerts.update(status.alert_text)
        alerts.set_class(not status.alert_text, "-empty")
        self.refresh_clock()
        self.fit_sync()

    def fit_sync(self) -> None:
        """The sync state gets what the station, the alerts and the clock leave (its start says the most): a
        width set by CSS cannot do it, as `auto` never shrinks, and at 80 columns a long sync text (an offline
        night's backlog beside two alerts, or a central to upgrade) pushed the clock off the right edge."""
        width = self.app.size.width
        used = 2  # who is on duty: it gives way first, down to its padding
        for name in ("status-school", "status-station", "status-alerts", "status-clock"):
            part = self.query_one(f"#{name}", Static)
            if not part.display:  # the school's name on a narrow console, the alerts when there are none
                continue
            size = cell_len(str(part.render())) + 2  # its padding
            used += min(size, width * 45 // 100) if name == "status-alerts" else size
        self.query_one("#status-sync", Static).styles.max_width = max(0, width - used)


def pack_key_hints(hints: list[tuple[str, str]], width: int) -> list[list[tuple[str, str]]]:
    """Key hints in lines no wider than `width` cells, a key never parted from its label: on a narrow
    console the keys go on a second line instead of falling off the right edge."""
    lines: list[list[tuple[str, str]]] = [[]]
    used = 0
    for key, label in hints:
        size = cell_len(f"{key} {label}")
        gap = 2 if lines[-1] else 0
        if lines[-1] and used + gap + size > width:
            lines.append([])
            used, gap = 0, 0
        lines[-1].append((key, label))
        used += gap + size
    return lines


class KeyBar(Static):
    """The active keys of the current screen, in the current language; wraps to a second line if needed."""

    DEFAULT_CSS = """
    KeyBar { dock: bottom; height: auto; max-height: 3; background: $panel; color: $text-muted; padding: 0 1; }
    """

    def on_mount(self) -> None:
        self.refresh_keys()

    def on_resize(self) -> None:
        self.refresh_keys()

    def refresh_keys(self) -> None:
        width = max(20, self.content_size.width or self.app.size.width - 2)  # before layout: the screen less padding
        lines = pack_key_hints(self.screen.key_help(), width)
        self.update("\n".join("  ".join(f"[b]{key}[/b] {label}" for key, label in line) for line in lines))
