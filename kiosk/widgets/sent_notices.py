"""SentNotices: what was sent to whom about one incident (or alert), when, and whether it was delivered.

Shown under the dorm's escalation ladder. It loads through its screen's `call()` (a worker), keeps the
rows, not the text, so a language switch re-renders it.
"""
from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from kiosk.i18n import t

STATUS_STYLES = {"sent": "green", "failed": "bold red", "queued": "yellow", "cancelled": "dim"}


def notice_lines(views, zone) -> Text:
    """The block's text (pure: rows and a zone in, rich Text out)."""
    if not views:
        return Text(t("notify.sent_none"), style="dim")
    lines = [Text(t("notify.sent_title"), style="bold")]
    for view in views:
        when = (view.sent_at or view.due_at).astimezone(zone).strftime("%H:%M")
        roles = "、".join(t(f"notify.role_{role}") for role in view.recipient_role.split(",") if role)
        parts = [when, f"{roles} {view.recipient_name}".strip(), t(f"notify.channel_{view.channel}"),
                 t(f"notify.status_{view.status}")]
        if view.status in ("failed", "queued") and view.reason:
            parts.append(view.reason)
        lines.append(Text(" · ".join(parts), style=STATUS_STYLES.get(view.status, "")))
    return Text("\n").join(lines)


class SentNotices(Static):
    DEFAULT_CSS = """
    SentNotices { height: auto; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.subject_id: str | None = None
        self.views: list = []

    def show_for(self, subject_id: str | None) -> None:
        """Load and show the notices about `subject_id` (None: clear)."""
        self.subject_id = subject_id
        if subject_id is None:
            self.views = []
            self.update("")
            return
        from kiosk.notify.service import for_subject

        self.screen.call(for_subject, subject_id, then=lambda views, wanted=subject_id: self._loaded(wanted, views),
                         group="sent-notices")

    def _loaded(self, subject_id: str, views: list) -> None:
        if subject_id != self.subject_id:  # another incident was selected meanwhile
            return
        self.views = views
        self.update(notice_lines(views, self.screen.ctx.zone))
