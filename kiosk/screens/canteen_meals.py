"""Today's meals and menus (the menu check: each dish sampled, to sample or missed, red once service began):
menu changes, recording a sample (RecordSampleScreen), label reprints, the register export, tastings and
accompanied meals. All work is in kiosk.services.canteen, called through the seam (`self.call`)."""
from __future__ import annotations

import re
from datetime import date, timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from kiosk.i18n import Msg, t
from kiosk.screens.base import KioskScreen
from kiosk.screens.canteen_common import (MISSED_STYLE, OK_STYLE, WARNING_STYLE, local_time, meal_name, printed_msg,
                                          typed_date)
from kiosk.screens.canteen_record import RecordSampleScreen
from kiosk.screens.dialogs import ChoiceDialog, ConfirmDialog, TextDialog
from kiosk.screens.table import cursor_kept
from kiosk.services.canteen import meals
from kiosk.services.canteen.core import CanteenError, school_today
from kiosk.services.canteen.register import export_register
from kiosk.services.canteen.sample_labels import print_label
from kiosk.services.sample_rules import DEFAULT_SERVICE_TIMES
from kiosk.widgets.message_line import MessageLine


def change_menu(actor, settings, day: date, what: str, target, value) -> Msg:
    """In the worker: one change to the day's menu; returns what to say. `target`: the meal id (add_dishes) or
    the meal kind (add_meal)."""
    if what == "add_dishes":
        added = meals.add_dishes(actor, settings, target, value)
        if not added:  # every name typed is on the menu already: say so, "0 dishes added" does not say why
            raise CanteenError("canteen.err_dishes_on_menu")
        return Msg("canteen.dishes_added", count=added)
    if what == "add_meal":
        name, service_time = value
        meals.add_meal(actor, settings, day, target, service_time, name)
        return Msg("canteen.meal_added", meal=name, time=service_time)
    if what == "standard_meals":
        meals.add_standard_meals(actor, settings, day)
        return Msg("canteen.standard_meals_done")
    source = typed_date(value)
    return Msg("canteen.copy_done", count=meals.copy_menu(actor, settings, source, day), day=source.isoformat())


MEAL_COLUMNS = ("dish", "state", "code", "sample")


class MealsScreen(KioskScreen):
    """A day's meals with their menus; each dish sampled or not, red when served without a sample."""

    TITLE_KEY = "canteen.meals_title"
    BINDINGS = [
        Binding("escape", "back", "core.key_back"),
        Binding("f2", "record", "canteen.key_record"),
        Binding("f3", "add_dishes", "canteen.key_add_dishes"),
        Binding("delete", "remove_dish", "canteen.key_remove_dish"),
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
            self.day = school_today(self.ctx.settings)
        self.refresh_text()
        self.query_one(DataTable).focus()
        self.load()

    def refresh_text(self) -> None:
        table = self.query_one(DataTable)
        with cursor_kept(table):
            table.clear(columns=True)
            # What the worker acts on first (which dish, sampled or not, its label code), so that at 80 columns the
            # code is never cut; the meal is a heading row in the dish column, not a column of its own.
            for key in MEAL_COLUMNS:
                table.add_column(t(f"canteen.meals_col_{key}"), key=key)
            self.show(self.meals)

    def load(self) -> None:
        self.call(meals.meals_for_day, self.ctx.settings, self.day, then=lambda day_meals: self.show(day_meals, True),
                  group="load")

    def show(self, day_meals, loaded: bool = False) -> None:
        self.meals = list(day_meals)
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
            checks = "  ".join(t(f"canteen.check_{c.kind}_short", name=c.person_name)
                               + ("" if c.ok else t("canteen.check_problem_mark")) for c in meal.checks)
            summary = t("canteen.meal_summary", done=meal.sampled_count, total=len(meal.dishes))
            head_style = MISSED_STYLE if meal.violation else "bold"
            table.add_row(Text(f"{meal_name(meal.kind, meal.name)} {meal.service_time}", style=head_style),
                          Text(summary, style=head_style), "", Text(checks))
            self.rows.append((meal, None))
            if not meal.dishes:
                table.add_row(Text("  " + t("canteen.meal_no_menu"), style="italic"), "", "", "")
                self.rows.append((meal, None))
            for dish in meal.dishes:
                style = {"missed": MISSED_STYLE, "sampled": OK_STYLE}.get(dish.state, "")
                last = dish.samples[-1] if dish.samples else None
                sample = (t("canteen.meals_sample_cell", grams=last.grams, at=local_time(self.ctx, last.sampled_at, "%H:%M"),
                            name=last.sampler_name) if last else "")
                state = Text(t(f"canteen.state_{dish.state}"), style=style)
                if last is not None and last.timing.state != "on_time":  # late or early: on the register too
                    state.append(t(f"canteen.mark_{last.timing.state}"), style=WARNING_STYLE)
                table.add_row(Text("  " + dish.name, style=style), state, last.qr_payload if last else "", sample)
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
                self.run_change("add_dishes", meal.id, [part for part in re.split(r"[,，、;；/]+", text) if part.strip()])

        self.app.push_screen(TextDialog("canteen.add_dishes_title", "canteen.add_dishes_prompt",
                                        meal=meal_name(meal.kind, meal.name)), entered)

    def action_remove_dish(self) -> None:
        """Take a dish typed by mistake off the menu (after service it would stand as a dish served without a
        sample); one with a sample stays, the service refuses it."""
        _, dish = self.selected()
        if dish is None:
            self.say("canteen.pick_dish", level="warning")
            return

        def confirmed(yes: bool) -> None:
            if yes:
                self.call(meals.remove_dish, self.ctx.actor(), self.ctx.settings, dish.id, group="change",
                          then=lambda _: self.after_change(Msg("canteen.dish_removed", dish=dish.name)))

        self.app.push_screen(ConfirmDialog(Msg("canteen.remove_dish_question", dish=dish.name),
                                           confirm_key="canteen.key_remove_dish"), confirmed)

    def action_standard_meals(self) -> None:
        self.run_change("standard_meals", None, None)

    def action_add_meal(self) -> None:
        """An extra (加餐) or event (活动餐) meal: kind, then its name, then its service time."""
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

        self.app.push_screen(ChoiceDialog(Msg("canteen.add_meal_title", day=self.day.isoformat()),
                                          [(kind, Msg(f"canteen.meal_{kind}")) for kind in ("extra", "event")]),
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

        self.call(print_label, self.ctx.actor(), self.ctx.settings, dish.samples[-1].id, then=printed,
                  group="print")

    def action_export_register(self) -> None:
        def entered(text: str | None) -> None:
            if text:
                self.call(export_register, self.ctx.settings, text, self.day, group="export",
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

            def answered(verdict: str | None) -> None:
                if verdict is None:  # Esc: nothing is recorded (it used to record the check as failed)
                    return
                ok = verdict == "ok"

                def feedback_entered(feedback: str | None) -> None:
                    if feedback is None and not ok:  # Esc on the problem's description: nothing is recorded
                        return
                    self.save_check(meal.id, kind, person, ok, feedback or "")

                # a problem must say what it was; a fine result may go without remarks
                self.app.push_screen(TextDialog("canteen.check_feedback_title" if ok else "canteen.check_problem_title",
                                                "canteen.check_feedback_prompt", required=not ok), feedback_entered)

            self.app.push_screen(ChoiceDialog(Msg(f"canteen.check_{kind}_ok_question"),
                                              [("ok", Msg(f"canteen.check_{kind}_answer_ok")),
                                               ("problem", Msg(f"canteen.check_{kind}_answer_problem"))]), answered)

        self.app.push_screen(TextDialog(f"canteen.check_{kind}_title", "canteen.check_person_prompt", required=True,
                                        meal=meal_name(meal.kind, meal.name)), person_entered)

    def save_check(self, meal_id: str, kind: str, person: str, ok: bool, feedback: str) -> None:
        self.call(meals.add_meal_check, self.ctx.actor(), self.ctx.settings, meal_id, kind, person, ok, feedback,
                  then=lambda _: self.after_change(Msg("canteen.check_saved", name=person)), group="change")
