"""TableScreen: a titled list loaded in a worker, with a message line. The shape of most review lists
(refusals, verbal permissions, conflicts, ...): subclasses say what to fetch and how a row reads."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from kiosk.i18n import t
from kiosk.screens.base import KioskScreen
from kiosk.widgets.message_line import MessageLine


@contextmanager
def cursor_kept(table: DataTable) -> Iterator[None]:
    """Around re-labelling a table's columns (F9): clearing it puts the cursor on the first row, and the key the
    person presses next (sample, reset PIN) would act on that row instead of the one they had picked."""
    row = table.cursor_row
    yield
    if table.row_count:
        table.move_cursor(row=min(row, table.row_count - 1))


class TableScreen(KioskScreen):
    TITLE_KEY = "core.app_title"
    COLUMN_KEYS: Sequence[str] = ()  # i18n keys of the column headers
    BINDINGS = [Binding("escape", "back", "core.key_back"), Binding("f5", "refresh", "core.key_refresh")]

    DEFAULT_CSS = """
    TableScreen .table-title { text-style: bold; color: $accent; padding: 0 1; height: 1; }
    TableScreen DataTable { height: 1fr; margin: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Any] = []

    # -- what subclasses provide -------------------------------------------------------------------
    def fetch(self) -> list[Any]:
        """Load the rows (runs in a worker thread; call services only)."""
        raise NotImplementedError

    def cells(self, row: Any) -> Sequence[object]:
        """The cells of one row, in COLUMN_KEYS order."""
        raise NotImplementedError

    def compose_above_table(self) -> ComposeResult:
        """Anything between the title and the table (a summary line); nothing by default."""
        yield from ()

    def compose_below_table(self) -> ComposeResult:
        """Anything between the table and the message line (the highlighted row's detail); nothing by default."""
        yield from ()

    # -- the common part -----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(classes="table-title")
        yield from self.compose_above_table()
        yield DataTable(cursor_type="row", zebra_stripes=True)
        yield from self.compose_below_table()
        yield MessageLine(classes="table-message")

    def on_mount(self) -> None:
        self.refresh_text()
        self.query_one(DataTable).focus()
        self.action_refresh()

    def refresh_text(self) -> None:
        self.query_one(".table-title", Static).update(t(self.TITLE_KEY))
        with cursor_kept(self.query_one(DataTable)):
            self.show_rows(self.rows)

    def action_refresh(self) -> None:
        self.load()

    def load(self) -> None:
        self.call(self.fetch, then=self.show_rows)

    def show_rows(self, rows: list[Any]) -> None:
        self.rows = list(rows)
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_columns(*(t(key) for key in self.COLUMN_KEYS))
        for row in self.rows:
            table.add_row(*self.cells(row), key=getattr(row, "id", None))

    def selected(self) -> Any | None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]
