"""SystemErrorBanner: the red line that says an action did NOT happen because of a fault in the program
(a bug, a broken database file), as opposed to something the user can fix, which goes to the MessageLine.

Hidden until the app's one handler (KioskApp.report_system_error) shows it; it stays until an action on the
same screen succeeds, so a gatekeeper who looked away still sees that the last scan was not checked."""
from __future__ import annotations

from textual.widgets import Static

from kiosk.i18n import Msg


class SystemErrorBanner(Static):
    DEFAULT_CSS = """
    SystemErrorBanner { dock: top; height: auto; display: none; background: $error; color: $text;
                        text-style: bold; padding: 0 1; }
    SystemErrorBanner.-shown { display: block; }
    """

    def __init__(self) -> None:
        super().__init__("", markup=False)
        self.message: Msg | None = None

    def show(self, message: Msg) -> None:
        self.message = message
        self.add_class("-shown")
        self.refresh_text()

    def clear(self) -> None:
        self.message = None
        self.remove_class("-shown")
        self.update("")

    @property
    def shown(self) -> bool:
        return self.message is not None

    def refresh_text(self) -> None:
        self.update(str(self.message) if self.message is not None else "")
