"""The register 留样记录表 (the paper form's columns, per meal and dish, a dish served without a sample included as
a row) and the inspectors' list of held samples; their XLSX exports in the station's export folder."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from kiosk import clock, paths
from kiosk.config import Settings
from kiosk.i18n import t, t_in
from kiosk.labels.printers import os_reason
from kiosk.models.canteen import Meal
from kiosk.services.canteen.core import CanteenError, SampleView, zone
from kiosk.services.canteen.holds import disposed_under_holds, held_samples
from kiosk.services.canteen.meals import meals_for_day
from kiosk.services.exports import Table, write_table

REGISTER_HEADERS = ("date", "meal", "dish", "grams", "sampled_at", "sampler", "place", "temperature",
                    "disposable_at", "disposed_at", "disposer", "reviewer", "label_code", "note")
PERIOD_WORDS = {"d": "day", "day": "day", "日": "day", "天": "day", "w": "week", "week": "week", "周": "week",
                "m": "month", "month": "month", "月": "month"}


def sample_notes(view: SampleView, settings: Settings, say=None) -> list[str]:
    """What an inspector must read on the sample's row: held, late or early, a fridge outside its band."""
    say = say or t
    notes = []
    if view.state == "held":
        notes.append(say("canteen.state_held"))
    if view.timing.state == "late":
        notes.append(say("canteen.note_late", minutes=view.timing.minutes))
    elif view.timing.state == "early":
        hours, minutes = divmod(view.timing.minutes, 60)
        notes.append(say("canteen.note_early", hours=hours, minutes=minutes))
    if view.temperature_state in ("too_warm", "too_cold"):
        notes.append(say(f"canteen.note_{view.temperature_state}", celsius=view.temperature_c,
                         low=settings.canteen.fridge_min_c, high=settings.canteen.fridge_max_c))
    return notes


def period_range(period: str, anchor: date) -> tuple[date, date]:
    """day | week (Monday..Sunday) | month containing `anchor`."""
    if period == "day":
        return anchor, anchor
    if period == "week":
        start = anchor - timedelta(days=anchor.weekday())
        return start, start + timedelta(days=6)
    if period == "month":
        start = anchor.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
        return start, following - timedelta(days=1)
    raise CanteenError("canteen.err_period", period=period)


def _place(view: SampleView) -> str:
    return " ".join(part for part in (view.fridge, view.shelf) if part)


def register_rows(settings: Settings, start: date | None, end: date | None, language: str | None = None) -> list[list[object]]:
    """留样记录表 rows in the paper form's columns, per meal and dish; a dish served without a sample is a row
    marked 未留样 so the violation is on the register too."""
    say = (lambda key, **v: t_in(language, key, **v)) if language else t
    here = zone(settings)
    meals = Meal.select().where(Meal.school_id == settings.school.id)
    if start:
        meals = meals.where(Meal.meal_date >= start)
    if end:
        meals = meals.where(Meal.meal_date <= end)
    days = sorted({m.meal_date for m in meals})

    def local(at: datetime | None) -> str:
        return at.astimezone(here).strftime("%Y-%m-%d %H:%M") if at else ""

    rows: list[list[object]] = []
    for day in days:
        for meal in meals_for_day(settings, day):
            meal_name = say(f"canteen.meal_{meal.kind}") + (f" {meal.name}" if meal.name else "")
            for dish in meal.dishes:
                if not dish.samples:
                    note = say("canteen.state_missed") if dish.state == "missed" else say("canteen.state_pending")
                    rows.append([day.isoformat(), meal_name, dish.name, "", "", "", "", "", "", "", "", "", "", note])
                for s in dish.samples:
                    note = "；".join(sample_notes(s, settings, say))
                    rows.append([day.isoformat(), meal_name, s.dish_name, s.grams, local(s.sampled_at), s.sampler_name,
                                 _place(s), "" if s.temperature_c is None else s.temperature_c, local(s.disposable_at),
                                 local(s.disposed_at), s.disposer_name, s.reviewer_name, s.qr_payload, note])
    return rows


def register_table(settings: Settings, start: date | None, end: date | None, language: str | None = None) -> Table:
    say = (lambda key: t_in(language, key)) if language else t
    return Table(title=say("canteen.register_title"), headers=[say(f"canteen.col_{h}") for h in REGISTER_HEADERS],
                 rows=register_rows(settings, start, end, language))


def held_table(settings: Settings) -> Table:
    """Samples under an active incident hold, for the inspectors; then those of the held dates already disposed."""
    here = zone(settings)

    def local(at: datetime) -> str:
        return at.astimezone(here).strftime("%Y-%m-%d %H:%M")

    def row(s: SampleView, note: str) -> list[object]:
        return [s.meal_date.isoformat(), t(f"canteen.meal_{s.meal_kind}"), s.dish_name, s.grams, local(s.sampled_at),
                s.sampler_name, _place(s), s.temperature_c, s.qr_payload, note]

    rows = [row(s, "；".join(s.hold_reasons)) for s in held_samples(settings)]
    rows += [row(s, t("canteen.hold_already_disposed", name=s.disposer_name, at=local(s.disposed_at)))
             for s in disposed_under_holds(settings)]
    headers = [t(f"canteen.col_{key}") for key in REGISTER_HEADERS[:8]] + [t("canteen.col_list_code"), t("canteen.col_note")]
    return Table(t("canteen.export_held_title"), headers, rows)


def _export_folder(folder) -> Path:
    return Path(folder) if folder else paths.data_dir() / "exports"


def _write(table: Table, path: Path) -> None:
    """Write an export; a full disk or a missing folder is the user's to fix, told in the station's language."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_table(table, path, "xlsx")
    except OSError as error:
        raise CanteenError("canteen.export_failed", reason=os_reason(error)) from None


def export_register(settings: Settings, period: str, anchor: date, folder=None) -> str:
    """Write the register 留样记录表 for the day / week / month containing `anchor` as an XLSX file in the
    station's export folder; returns its path."""
    word = PERIOD_WORDS.get(period.strip().lower())
    if word is None:
        raise CanteenError("canteen.err_period", period=period.strip()[:20])
    start, end = period_range(word, anchor)
    path = _export_folder(folder) / f"samples-{word}-{start.isoformat()}.xlsx"
    _write(register_table(settings, start, end), path)
    return str(path)


def export_held_list(settings: Settings, folder=None) -> str:
    """Write the list of samples under an incident hold (for the inspectors) as XLSX; returns its path."""
    stamp = clock.now().astimezone(zone(settings)).strftime("%Y%m%d-%H%M")
    path = _export_folder(folder) / f"held-samples-{stamp}.xlsx"
    _write(held_table(settings), path)
    return str(path)
