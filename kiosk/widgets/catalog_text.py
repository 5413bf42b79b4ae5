"""CatalogText: a Static whose content is a catalog text (a key or a Msg), re-rendered when F9 switches the
language. Use it for fixed labels of forms and dialogs instead of `Static(t(...))`, which F9 cannot reach."""
from __future__ import annotations

from textual.widgets import Static

from kiosk.i18n import Msg


class CatalogText(Static):
    def __init__(self, message: str | Msg, /, *, id: str | None = None, classes: str | None = None,
                 markup: bool = True, **values: object) -> None:
        self.message = message if isinstance(message, Msg) else Msg(message, **values)
        super().__init__(str(self.message), id=id, classes=classes, markup=markup)

    def set_message(self, message: str | Msg, /, **values: object) -> None:
        self.message = message if isinstance(message, Msg) else Msg(message, **values)
        self.refresh_text()

    def refresh_text(self) -> None:
        self.update(str(self.message))
