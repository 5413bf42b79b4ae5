"""A notification's text, from the catalogs (assets/i18n/<lang>/notify.toml) in the school's language.

Params are stored raw (names, UTC times); times are shown in the school's zone when the message is made.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from kiosk.i18n import t_in
from kiosk.notify.channels import Message

TIME_PARAMS = ("at", "return_by")


def display_params(params: dict, settings, language: str) -> dict[str, str]:
    """Params ready for a template: school-local times, a gate name, a translated meal; "to" left out."""
    zone = ZoneInfo(settings.school.timezone)
    shown: dict[str, str] = {}
    for key, value in params.items():
        if key == "to":
            continue
        if key in TIME_PARAMS:
            value = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(zone).strftime("%m-%d %H:%M") \
                if value else ""
        shown[key] = str(value)
    if "gate" in shown and not shown["gate"]:
        shown["gate"] = t_in(language, "notify.gate_default")
    if "meal_kind" in shown:
        shown["meal"] = shown.pop("meal_name") or t_in(language, f"canteen.meal_{shown['meal_kind']}")
        shown.pop("meal_kind")
    if "decision" in shown:
        shown["decision"] = t_in(language, f"notify.decision_{shown['decision']}")
    return shown


def message_for(row, settings) -> Message:
    """The message for a notification row (kiosk.notify.model.Notification) on its channel."""
    language = settings.language
    shown = display_params(row.params, settings, language)
    title = t_in(language, f"notify.title_{row.event}", **shown)
    text = t_in(language, f"notify.msg_{row.event}", **shown)
    if row.params.get("to"):
        text += "\n" + t_in(language, "notify.to_line", names=row.params["to"])
    return Message(notification_id=row.id, event=row.event, title=title, text=text, address=row.address, params=shown)
