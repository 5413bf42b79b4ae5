"""Canteen station screens: today's meals (menu check), record a sample and print its label, disposal by
label scan, due/overdue lists, incident holds. Screens only show and ask; all work is in
kiosk.services.canteen, called through the seam (`self.call`), and every outcome is said with `self.say`."""
from __future__ import annotations

from datetime import date, timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Label, Static

from kiosk.i18n import Msg, t
from kiosk.screens.base import KioskScreen
from kiosk.screens.dialogs import ChoiceDialog, ConfirmDialog, PinDialog, TextDialog
from kiosk.services import canteen
from kiosk.widgets.message_line import MessageLine
from kiosk.widgets.scan_input import ScanInput

MISSED_STYLE = "bold white on red"
OVERDUE_STYLE = "bold red"
OK_STYLE = "green"


def _local(ctx, at, fmt: str = "%m-%d %H:%M") -> str:
    return at.astimezone(ctx.zone).strftime(fmt) if at else ""


def meal_name(kind: str, name: str = "") -> str:
    kind_text = t(f"canteen.meal_{kind}")
    return kind_text + (f" {name}" if name and name != kind_text else "")


class Joined(Msg):
    """Several catalog texts said as one message (recorded + fridge + printed ...), each rendered in the language
    current when shown, so F9 re-renders all of it."""

    def __init__(self, *parts: object, separator: str = " ") -> None:
        super().__init__("core.verbatim")
        self.parts = [part.as_msg() if hasattr(part, "as_msg") else part for part in parts if part]
        self.separator = separator

    def __str__(self) -> str:
        return self.separator.join(str(part) for part in self.parts)


def change_menu(actor, settings, day: date, what: str, target, value) -> Msg:
    """In the worker: one change to the day's menu; returns what to say. `target`: the meal id (add_dishes) or
    the meal kind (add_meal)."""
    if what == "add_dishes":
        return Msg("canteen.dishes_added", count=canteen.add_dishes(actor, settings, target, value))
    if what == "add_meal":
        name, service_time = value
        canteen.add_meal(actor, settings, day, target, service_time, name)
        return Msg("canteen.meal_added", meal=name, time=service_time)
    if what == "standard_meals":
        for kind in ("breakfast", "lunch", "dinner"):
            canteen.add_meal(actor, settings, day, kind)
        return Msg("canteen.standard_meals_done")
    try:
        source = date.fromisoformat(value.strip())
    except ValueError:
        raise canteen.CanteenError("canteen.err_date", value=value.strip()) from None
    return Msg("canteen.copy_done", count=canteen.copy_menu(actor, settings, source, day), day=source.isoformat())


def printed_msg(printed) -> tuple[Msg, str]:
    """What a printed label says, and at which level (characters no font could draw are a warning)."""
    if printed.missing:
        return Joined(Msg("canteen.printed", where=printed.where),
                      Msg("canteen.label_missing_chars", chars=printed.missing)), "warning"
    return Msg("canteen.printed", where=printed.where), "ok"


class MealsScreen(KioskScreen):
    """A day's meals with their menus; each dish sampled or not, red when served without a sample."""

    TITLE_KEY = "canteen.meals_title"
    BINDINGS = [
        Binding("escape", "back", "core.key_back"),
        Binding("f2", "record", "canteen.key_record"),
        Binding("f3", "add_dishes", "canteen.key_add_dishes"),
        Binding("f4", "standard_meals", "canteen.key_standard_meals"),
        Binding("a", "add_meal", "canteen.key_add_meal"),
        Binding("f5", "copy_menu", "canteen.key_copy"),
        Binding("f6", "reprint", "canteen.key_reprint"),
        Binding("f7", "prev_day", "canteen.key_prev_day"),
        Binding("f8", "next_day", "canteen.key_next_day"),
        Binding("f10", "export_register", "canteen.key_register"),
        Binding("f11", "meal_check('tasting')", "canteen.key_tasting"),  # f9 is the language switch
        Binding("f12", "meal_check('accompany')", "canteen.key_accompany"),
    ]

    DEFAULT_CSS = """
    MealsScreen #meals-title { text-style: bold; color: $accent; padding: 0 1; }
    MealsScreen DataTable { height: 1fr; margin: 0 1; }
    MealsScreen #meals-message { height: auto; min-height: 1; padding: 0 1; text-style: bold; }
    """

    def __init__(self, day: date | None = None) -> None:
        super().__init__()
        self.day = day
        self.meals = []
        self.rows: list[tuple[object, object]] = []  # (meal, dish or None) per table row
        self.loaded = False
        self.last_place = ("", "")  # fridge, shelf: remembered between samples
        self.next_after: str | None = None  # a dish just sampled: move on to the next one without a sample

    def compose(self) -> ComposeResult:
        yield Static(id="meals-title")
        yield DataTable(id="meals-table", cursor_type="row", zebra_stripes=False)
        yield MessageLine(id="meals-message")

    def on_mount(self) -> None:
        if self.day is None:
            from kiosk.services.canteen import school_today

            self.day = school_today(self.ctx.settings)
        self.refresh_text()
        self.query_one(DataTable).focus()
        self.load()

    def refresh_text(self) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        for key in ("meal", "dish", "state", "sample", "code"):
            table.add_column(t(f"canteen.meals_col_{key}"), key=key)
        self.show(self.meals)

    def load(self) -> None:
        self.call(canteen.meals_for_day, self.ctx.settings, self.day, then=lambda meals: self.show(meals, True),
                  group="load")

    def show(self, meals, loaded: bool = False) -> None:
        self.meals = list(meals)
        self.loaded = self.loaded or loaded
        weekday = t(f"canteen.weekday_{self.day.isoweekday()}") if self.day else ""
        missed = sum(len(m.missed) for m in self.meals)
        title = t("canteen.meals_title_day", day=self.day.isoformat() if self.day else "", weekday=weekday)
        if missed:
            title += "  " + t("canteen.meals_missed_count", count=missed)
        self.query_one("#meals-title", Static).update(title)
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        self.rows = []
        for meal in self.meals:
            checks = "  ".join(t(f"canteen.check_{c.kind}_short", name=c.person_name) for c in meal.checks)
            summary = t("canteen.meal_summary", done=meal.sampled_count, total=len(meal.dishes))
            head_style = MISSED_STYLE if meal.violation else "bold"
            table.add_row(Text(f"{meal_name(meal.kind, meal.name)} {meal.service_time}", style=head_style),
                          Text(summary, style=head_style), Text(checks), "", "")
            self.rows.append((meal, None))
            if not meal.dishes:
                table.add_row("", Text(t("canteen.meal_no_menu"), style="italic"), "", "", "")
                self.rows.append((meal, None))
            for dish in meal.dishes:
                style = {"missed": MISSED_STYLE, "sampled": OK_STYLE}.get(dish.state, "")
                last = dish.samples[-1] if dish.samples else None
                sample = (t("canteen.meals_sample_cell", grams=last.grams, at=_local(self.ctx, last.sampled_at, "%H:%M"),
                            name=last.sampler_name) if last else "")
                table.add_row("", Text("  " + dish.name, style=style), Text(t(f"canteen.state_{dish.state}"), style=style),
                              sample, last.qr_payload if last else "")
                self.rows.append((meal, dish))
        if self.rows and cursor is not None:
            table.move_cursor(row=min(cursor, len(self.rows) - 1))
        if self.next_after is not None and loaded:
            self.move_to_next_unsampled(self.next_after)
            self.next_after = None
        if self.loaded and not self.meals:
            self.say("canteen.meals_empty", level="info")
        elif self.message_text() == t("canteen.meals_empty"):
            self.clear_message()

    def move_to_next_unsampled(self, dish_id: str) -> None:
        """After a sample: the next dish (in this meal, then the following ones) that has none yet."""
        start = next((i for i, (_, d) in enumerate(self.rows) if d is not None and d.id == dish_id), None)
        if start is None:
            return
        for index in range(start + 1, len(self.rows)):
            dish = self.rows[index][1]
            if dish is not None and not dish.samples:
                self.query_one(DataTable).move_cursor(row=index)
                return

    def selected(self):
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            return None, None
        return self.rows[table.cursor_row]

    def action_record(self) -> None:
        meal, dish = self.selected()
        if dish is None:
            self.say("canteen.pick_dish", level="warning")
            return

        def done(outcome) -> None:
            if outcome is not None:
                self.last_place = outcome.place
                self.say(outcome.message, level=outcome.level)
                self.next_after = dish.id  # once reloaded, the cursor goes to the next dish still without a sample
                self.load()

        self.app.push_screen(RecordSampleScreen(meal, dish, *self.last_place), done)

    def action_add_dishes(self) -> None:
        meal, _ = self.selected()
        if meal is None:
            self.say("canteen.pick_meal", level="warning")
            return

        def entered(text: str | None) -> None:
            if text:
                import re

                self.run_change("add_dishes", meal.id, [part for part in re.split(r"[,，、;；/]+", text) if part.strip()])

        self.app.push_screen(TextDialog("canteen.add_dishes_title", "canteen.add_dishes_prompt",
                                        meal=meal_name(meal.kind, meal.name)), entered)

    def action_standard_meals(self) -> None:
        self.run_change("standard_meals", None, None)

    def action_add_meal(self) -> None:
        """An extra (加餐) or event (活动餐) meal: kind, then its name, then its service time."""
        from kiosk.services.sample_rules import DEFAULT_SERVICE_TIMES

        def kind_chosen(kind: str | None) -> None:
            if kind is None:
                return

            def name_entered(name: str | None) -> None:
                if name is None:
                    return

                def time_entered(service_time: str | None) -> None:
                    if service_time:
                        self.run_change("add_meal", kind, (name, service_time))

                self.app.push_screen(TextDialog("canteen.add_meal_time_title", "canteen.add_meal_time_prompt",
                                                value=DEFAULT_SERVICE_TIMES[kind], meal=name), time_entered)

            self.app.push_screen(TextDialog("canteen.add_meal_name_title", "canteen.add_meal_name_prompt",
                                            value=t(f"canteen.meal_{kind}")), name_entered)

        self.app.push_screen(ChoiceDialog(t("canteen.add_meal_title", day=self.day.isoformat()),
                                          [(kind, t(f"canteen.meal_{kind}")) for kind in ("extra", "event")]),
                             kind_chosen)

    def action_copy_menu(self) -> None:
        def entered(text: str | None) -> None:
            if text:
                self.run_change("copy", None, text)

        default = (self.day - timedelta(days=7)).isoformat()
        self.app.push_screen(TextDialog("canteen.copy_title", "canteen.copy_prompt", value=default), entered)

    def run_change(self, what: str, target, value) -> None:
        self.call(change_menu, self.ctx.actor(), self.ctx.settings, self.day, what, target, value,
                  then=self.after_change, group="change")

    def after_change(self, message: Msg) -> None:
        self.say(message, level="ok")
        self.load()

    def action_reprint(self) -> None:
        _, dish = self.selected()
        if dish is None or not dish.samples:
            self.say("canteen.pick_sampled_dish", level="warning")
            return

        def printed(label) -> None:
            message, level = printed_msg(label)
            self.say(message, level=level)

        self.call(canteen.print_label, self.ctx.actor(), self.ctx.settings, dish.samples[-1].id, then=printed,
                  group="print")

    def action_export_register(self) -> None:
        def entered(text: str | None) -> None:
            if text:
                self.call(canteen.export_register, self.ctx.settings, text, self.day, group="export",
                          then=lambda path: self.say("canteen.exported", level="ok", path=path))

        self.app.push_screen(TextDialog("canteen.register_export_title", "canteen.register_export_prompt", value="w"),
                             entered)

    def action_prev_day(self) -> None:
        self.day -= timedelta(days=1)
        self.load()

    def action_next_day(self) -> None:
        self.day += timedelta(days=1)
        self.load()

    def action_meal_check(self, kind: str) -> None:
        meal, _ = self.selected()
        if meal is None:
            self.say("canteen.pick_meal", level="warning")
            return

        def person_entered(person: str | None) -> None:
            if not person:
                return

            def ok_answered(ok: bool) -> None:
                def feedback_entered(feedback: str | None) -> None:
                    self.save_check(meal.id, kind, person, ok, feedback or "")

                self.app.push_screen(TextDialog("canteen.check_feedback_title", "canteen.check_feedback_prompt"),
                                     feedback_entered)

            self.app.push_screen(ConfirmDialog(t(f"canteen.check_{kind}_ok_question")), ok_answered)

        self.app.push_screen(TextDialog(f"canteen.check_{kind}_title", "canteen.check_person_prompt",
                                        meal=meal_name(meal.kind, meal.name)), person_entered)

    def save_check(self, meal_id: str, kind: str, person: str, ok: bool, feedback: str) -> None:
        self.call(canteen.add_meal_check, self.ctx.actor(), self.ctx.settings, meal_id, kind, person, ok, feedback,
                  then=lambda _: self.after_change(Msg("canteen.check_saved", name=person)), group="change")


class RecordOutcome:
    """What the record form hands back to the meals screen."""

    def __init__(self, message: Msg, level: str, place: tuple[str, str], sample_id: str) -> None:
        self.message, self.level, self.place, self.sample_id = message, level, place, sample_id


class RecordSampleScreen(KioskScreen):
    """Weight (typed, or F3 reads the scale when one is configured), fridge, shelf, fridge temperature;
    Enter moves on, the last Enter (or F2) records the sample and prints its label.
    Sampled time = now, sampler = the logged-in person."""

    TITLE_KEY = "canteen.record_title"
    BINDINGS = [
        Binding("escape", "back", "core.key_back"),
        Binding("f2", "save", "canteen.key_save"),
        Binding("f3", "read_scale", "canteen.key_read_scale"),
    ]
    FIELDS = ("weight", "fridge", "shelf", "temperature")
    TYPED_FIELDS = ("record-weight", "record-temperature")  # fridge and shelf come remembered

    DEFAULT_CSS = """
    RecordSampleScreen { align: center middle; }
    RecordSampleScreen > Vertical { width: 70; height: auto; border: thick $accent; padding: 1 2; }
    RecordSampleScreen #record-title { text-style: bold; color: $accent; margin-bottom: 1; }
    RecordSampleScreen #record-note { color: $success; height: auto; }
    """

    def __init__(self, meal, dish, fridge: str = "", shelf: str = "") -> None:
        super().__init__()
        self.meal, self.dish = meal, dish
        self.defaults = {"fridge": fridge, "shelf": shelf}
        self.busy = False
        self.scale_grams: int | None = None  # the last weight read from the scale, to tell it from a typed one

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(id="record-title")
            for name in self.FIELDS:
                yield Label(id=f"record-label-{name}")
                yield Input(value=self.defaults.get(name, ""), id=f"record-{name}", max_length=20)
            yield Static(id="record-note")
            yield MessageLine(id="record-error")

    def on_mount(self) -> None:
        self.refresh_text()
        self.query_one("#record-weight", Input).focus()

    def refresh_text(self) -> None:
        settings = self.ctx.settings
        self.query_one("#record-title", Static).update(
            t("canteen.record_heading", dish=self.dish.name, meal=meal_name(self.meal.kind, self.meal.name),
              day=self.meal.meal_date.isoformat(), sampler=self.ctx.session.name if self.ctx.session else ""))
        weight = t("canteen.record_weight", minimum=settings.canteen.min_weight_grams)
        if settings.canteen.scale_port:
            weight += t("canteen.record_weight_scale_hint")
        labels = {"weight": weight,
                  "fridge": t("canteen.record_fridge"), "shelf": t("canteen.record_shelf"),
                  "temperature": t("canteen.record_temperature", low=f"{settings.canteen.fridge_min_c:g}",
                                   high=f"{settings.canteen.fridge_max_c:g}")}
        for name, text in labels.items():
            self.query_one(f"#record-label-{name}", Label).update(text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "read_scale":  # no scale configured: no F3 on screen, weights are typed
            return bool(self.ctx.settings.canteen.scale_port)
        return True

    def action_read_scale(self) -> None:
        from kiosk.scale import read_weight

        if self.busy:
            return
        self.busy = True
        self.clear_message()
        self.query_one("#record-note", Static).update(t("scale.reading"))
        scale = self.ctx.settings.canteen
        self.call(read_weight, scale.scale_port, scale.scale_baud, scale.scale_unit, then=self.scale_read,
                  group="scale")

    def say(self, message, /, *, level, **values) -> None:
        super().say(message, level=level, **values)
        if level == "error":  # refused (weight short, scale silent): the form is free again, back on the weight
            self.busy = False
            self.query_one("#record-note", Static).update("")
            self.query_one("#record-weight", Input).focus()

    def scale_read(self, grams: int) -> None:
        self.busy = False
        self.scale_grams = grams
        self.query_one("#record-weight", Input).value = str(grams)
        self.query_one("#record-note", Static).update(t("scale.read_ok", grams=grams))
        self.query_one("#record-fridge", Input).focus()

    def weight_source(self, typed: str) -> str:
        """"scale" when the weight field still holds what the scale read, else "typed" (for the audit)."""
        return "scale" if self.scale_grams is not None and typed.strip() == str(self.scale_grams) else "typed"

    def on_input_submitted(self, event: Input.Submitted) -> None:
        name = (event.input.id or "").removeprefix("record-")
        if name in self.FIELDS[:-1]:
            self.query_one(f"#record-{self.FIELDS[self.FIELDS.index(name) + 1]}", Input).focus()
        else:
            self.action_save()

    def action_save(self) -> None:
        if self.busy:
            return
        self.busy = True
        values = {name: self.query_one(f"#record-{name}", Input).value for name in self.FIELDS}
        values["weight_source"] = self.weight_source(values["weight"])
        self.save(values)

    def save(self, values: dict[str, str]) -> None:
        self.call(canteen.record_and_print, self.ctx.actor(), self.ctx.settings, self.dish.id, values["weight"],
                  fridge=values["fridge"], shelf=values["shelf"], temperature=values["temperature"],
                  weight_source=values["weight_source"], then=self.recorded)

    def recorded(self, result) -> None:
        sample, band = result.recorded.sample, result.recorded.temperature
        parts: list[object] = [Msg("canteen.recorded", dish=sample.dish_name, grams=sample.grams, code=sample.qr_payload)]
        level = "ok"
        if not band.ok:
            parts.append(Msg(f"canteen.temperature_{band.state}", value=f"{band.celsius:g}", low=f"{band.low:g}",
                             high=f"{band.high:g}"))
            level = "warning"
        if sample.timing.state == "late":  # on the record too (the register's 备注), not only here
            parts.append(Msg("canteen.sample_late_warning", minutes=sample.timing.minutes))
            level = "warning"
        elif sample.timing.state == "early":
            hours, minutes = divmod(sample.timing.minutes, 60)
            parts.append(Msg("canteen.sample_early_warning", hours=hours, minutes=minutes))
            level = "warning"
        if result.printed is not None:
            message, printed_level = printed_msg(result.printed)
            parts.append(message)
            level = "warning" if printed_level == "warning" else level
        else:
            parts += [result.print_error, Msg("canteen.reprint_hint")]
            level = "warning"
        self.dismiss(RecordOutcome(Joined(*parts), level, (sample.fridge, sample.shelf), sample.id))


class DisposalScreen(KioskScreen):
    """Scan a sample's label: disposed if its retention time has passed and no hold covers it; otherwise
    the screen says how long is left, or why not. The reviewer confirms with number + PIN."""

    TITLE_KEY = "canteen.dispose_title"
    BINDINGS = [Binding("escape", "back", "core.key_back")]

    DEFAULT_CSS = """
    DisposalScreen #dispose-title { text-style: bold; color: $accent; padding: 0 1; }
    DisposalScreen ScanInput { margin: 1 1; }
    DisposalScreen #dispose-verdict { height: auto; min-height: 5; padding: 1 2; margin: 0 1; border: heavy $accent; }
    DisposalScreen #dispose-verdict.-ok { border: heavy green; }
    DisposalScreen #dispose-verdict.-error { border: heavy red; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="dispose-title")
        yield ScanInput(id="dispose-scan")
        yield MessageLine(id="dispose-verdict")  # the verdict is this screen's message: refusals land here too

    def on_mount(self) -> None:
        self.refresh_text()
        self.query_one(ScanInput).focus()

    def refresh_text(self) -> None:
        self.query_one("#dispose-title", Static).update(t("canteen.dispose_title"))
        self.query_one(ScanInput).placeholder = t("canteen.dispose_placeholder")

    def say(self, message, /, *, level, **values) -> None:
        super().say(message, level=level, **values)
        self.query_one(ScanInput).focus()  # the next label can be scanned at once

    def on_scan_input_scanned(self, event: ScanInput.Scanned) -> None:
        self.check(event.code)

    def describe(self, sample) -> Msg:
        return Msg("canteen.dispose_sample", dish=sample.dish_name, meal=meal_name(sample.meal_kind),
                 day=sample.meal_date.isoformat(), sampled=_local(self.ctx, sample.sampled_at),
                 sampler=sample.sampler_name, code=sample.qr_payload)

    def check(self, code: str) -> None:
        def checked(outcome) -> None:
            if outcome.done:
                self.ask_reviewer(code, outcome.sample)
            else:
                self.refused(outcome)

        self.call(canteen.check_disposal, self.ctx.settings, code, then=checked)

    def refused(self, outcome) -> None:
        sample = outcome.sample
        if outcome.reason == "too_early":
            why = Msg("canteen.dispose_too_early", hours=outcome.hours_left, minutes=outcome.minutes_left,
                      at=_local(self.ctx, sample.disposable_at))
        elif outcome.reason == "held":
            why = Msg("canteen.dispose_held", reasons="；".join(sample.hold_reasons))
        else:
            why = Msg("canteen.dispose_already", at=_local(self.ctx, sample.disposed_at), name=sample.disposer_name)
        self.say(Joined(why, self.describe(sample), separator="\n"), level="error")

    def ask_reviewer(self, code: str, sample) -> None:
        def reviewed(session) -> None:
            if session is None and self.ctx.settings.canteen.require_reviewer:
                self.say("canteen.err_reviewer_required", level="error")
                return
            self.dispose(code, session)

        self.say("canteen.dispose_allowed", level="info", dish=sample.dish_name)
        prompt = "canteen.reviewer_prompt_required" if self.ctx.settings.canteen.require_reviewer else "canteen.reviewer_prompt"
        self.app.push_screen(PinDialog("canteen.reviewer_title", prompt_key=prompt), reviewed)

    def dispose(self, code: str, reviewer) -> None:
        def done(outcome) -> None:
            if not outcome.done:
                self.refused(outcome)
                return
            sample = outcome.sample
            reviewer_name = sample.reviewer_name or Msg("canteen.no_reviewer")
            self.say(Joined(Msg("canteen.dispose_done", dish=sample.dish_name, name=sample.disposer_name,
                                reviewer=reviewer_name), self.describe(sample), separator="\n"), level="ok")

        self.call(canteen.dispose, self.ctx.actor(), self.ctx.settings, code,
                  reviewer_id=reviewer.staff_id if reviewer else None,
                  reviewer_name=reviewer.name if reviewer else "", then=done)


def _sample_row(ctx, sample) -> list[object]:
    style = {"overdue": OVERDUE_STYLE, "held": "bold yellow"}.get(sample.state, "")
    place = " ".join(part for part in (sample.fridge, sample.shelf) if part)
    return [Text(t(f"canteen.state_{sample.state}"), style=style), sample.meal_date.isoformat(),
            meal_name(sample.meal_kind), sample.dish_name, _local(ctx, sample.sampled_at),
            _local(ctx, sample.disposable_at), place, sample.qr_payload]


SAMPLE_COLUMNS = ("state", "date", "meal", "dish", "sampled_at", "disposable_at", "place", "code")


class DisposalListsScreen(KioskScreen):
    """Samples overdue for disposal (first, red) and due for disposal."""

    TITLE_KEY = "canteen.lists_title"
    BINDINGS = [Binding("escape", "back", "core.key_back"), Binding("f5", "reload", "canteen.key_reload")]

    DEFAULT_CSS = """
    DisposalListsScreen #lists-title { text-style: bold; color: $accent; padding: 0 1; }
    DisposalListsScreen DataTable { height: 1fr; margin: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.lists = ([], [])

    def compose(self) -> ComposeResult:
        yield Static(id="lists-title")
        yield DataTable(id="lists-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.refresh_text()
        self.query_one(DataTable).focus()
        self.action_reload()

    def refresh_text(self) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        for key in SAMPLE_COLUMNS:
            table.add_column(t(f"canteen.col_list_{key}"), key=key)
        self.show(self.lists)

    def action_reload(self) -> None:
        self.call(canteen.disposal_lists, self.ctx.settings, then=self.show)

    def show(self, lists) -> None:
        self.lists = lists
        due, overdue = lists
        self.query_one("#lists-title", Static).update(t("canteen.lists_heading", overdue=len(overdue), due=len(due)))
        table = self.query_one(DataTable)
        table.clear()
        for sample in list(overdue) + list(due):
            table.add_row(*_sample_row(self.ctx, sample))


class HoldsScreen(KioskScreen):
    """Incident holds 封存 and the samples they hold (the list for the inspectors). Admins set and release."""

    TITLE_KEY = "canteen.holds_title"
    BINDINGS = [
        Binding("escape", "back", "core.key_back"),
        Binding("f2", "new_hold", "canteen.key_new_hold"),
        Binding("f3", "release_hold", "canteen.key_release_hold"),
        Binding("f4", "export_held", "canteen.key_export_held"),
    ]

    DEFAULT_CSS = """
    HoldsScreen .holds-title { text-style: bold; color: $accent; padding: 0 1; }
    HoldsScreen #holds-table { height: auto; max-height: 10; margin: 0 1; }
    HoldsScreen #held-table { height: 1fr; margin: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.data = ([], [], [])  # holds, samples they hold, samples of their dates already disposed

    def compose(self) -> ComposeResult:
        yield Static(id="holds-heading", classes="holds-title")
        yield DataTable(id="holds-table", cursor_type="row")
        yield Static(id="held-heading", classes="holds-title")
        yield DataTable(id="held-table", cursor_type="row", zebra_stripes=True)
        yield MessageLine(id="holds-message")

    def on_mount(self) -> None:
        self.refresh_text()
        self.query_one("#holds-table", DataTable).focus()
        self.load()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("new_hold", "release_hold"):
            return self.ctx.session is not None and self.ctx.session.is_admin()
        return True

    def refresh_text(self) -> None:
        self.query_one("#holds-heading", Static).update(t("canteen.holds_title"))
        holds = self.query_one("#holds-table", DataTable)
        holds.clear(columns=True)
        for key in ("state", "from", "to", "reason", "by", "samples"):
            holds.add_column(t(f"canteen.col_hold_{key}"), key=key)
        held = self.query_one("#held-table", DataTable)
        held.clear(columns=True)
        for key in SAMPLE_COLUMNS:
            held.add_column(t(f"canteen.col_list_{key}"), key=key)
        self.show(self.data)

    def load(self) -> None:
        self.call(holds_and_samples, self.ctx.settings, then=self.show, group="load")

    def show(self, data) -> None:
        self.data = data
        holds, held, disposed = data
        table = self.query_one("#holds-table", DataTable)
        table.clear()
        for hold in holds:
            state = t("canteen.hold_active") if hold.active else t("canteen.hold_released",
                                                                   at=_local(self.ctx, hold.released_at))
            table.add_row(Text(state, style="bold yellow" if hold.active else ""), hold.start_date.isoformat(),
                          hold.end_date.isoformat(), hold.reason, hold.set_by_name, str(hold.samples))
        self.query_one("#held-heading", Static).update(t("canteen.held_heading", count=len(held)))
        samples = self.query_one("#held-table", DataTable)
        samples.clear()
        for sample in held:
            samples.add_row(*_sample_row(self.ctx, sample))
        for sample in disposed:  # the inspectors must see what could not be sealed, and who disposed of it when
            cells = _sample_row(self.ctx, sample)
            cells[0] = Text(t("canteen.hold_already_disposed", name=sample.disposer_name,
                              at=_local(self.ctx, sample.disposed_at)), style="bold red")
            samples.add_row(*cells)

    def action_new_hold(self) -> None:
        from kiosk.services.canteen import school_today

        today = school_today(self.ctx.settings).isoformat()

        def got_start(start: str | None) -> None:
            if not start:
                return

            def got_end(end: str | None) -> None:
                if not end:
                    return

                def got_reason(reason: str | None) -> None:
                    if reason:
                        self.change("set", (start, end, reason))

                self.app.push_screen(TextDialog("canteen.hold_reason_title", "canteen.hold_reason_prompt", required=True), got_reason)

            self.app.push_screen(TextDialog("canteen.hold_end_title", "canteen.hold_date_prompt", value=start), got_end)

        self.app.push_screen(TextDialog("canteen.hold_start_title", "canteen.hold_date_prompt", value=today), got_start)

    def action_release_hold(self) -> None:
        table = self.query_one("#holds-table", DataTable)
        holds = self.data[0]
        if not holds or table.cursor_row is None or table.cursor_row >= len(holds) or not holds[table.cursor_row].active:
            self.say("canteen.pick_hold", level="warning")
            return
        hold = holds[table.cursor_row]

        def got_reason(reason: str | None) -> None:
            if reason:
                self.change("release", (hold.id, reason))

        self.app.push_screen(TextDialog("canteen.release_title", "canteen.release_prompt", required=True), got_reason)

    def change(self, what: str, values: tuple) -> None:
        self.call(change_hold, self.ctx.actor(), self.ctx.settings, what, values, then=self.after_change,
                  group="change")

    def after_change(self, message: Msg) -> None:
        self.say(message, level="ok")
        self.load()

    def action_export_held(self) -> None:
        self.call(canteen.export_held_list, self.ctx.settings, group="export",
                  then=lambda path: self.say("canteen.exported", level="ok", path=path))


def holds_and_samples(settings):
    """In the worker: the holds, the samples they hold, and those of their dates already disposed."""
    return canteen.holds(settings), canteen.held_samples(settings), canteen.disposed_under_holds(settings)


def change_hold(actor, settings, what: str, values: tuple) -> Msg:
    """In the worker: set a hold (typed dates) or release one; returns what to say."""
    if what != "set":
        canteen.release_hold(actor, settings, values[0], values[1])
        return Msg("canteen.hold_release_done")
    start_text, end_text, reason = values
    dates = []
    for text in (start_text, end_text):
        try:
            dates.append(date.fromisoformat(text.strip()))
        except ValueError:
            raise canteen.CanteenError("canteen.err_date", value=text.strip()) from None
    canteen.set_hold(actor, settings, dates[0], dates[1], reason)
    return Msg("canteen.hold_set_done", start=dates[0].isoformat(), end=dates[1].isoformat())
