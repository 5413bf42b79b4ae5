"""Record a sample of one dish: weight (typed, or read from the scale), fridge, shelf and fridge temperature;
the label prints at once. A refusal (weight short, unreadable) leaves the form open on the weight."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from kiosk.i18n import Msg, t
from kiosk.scale import read_weight
from kiosk.screens.base import KioskScreen
from kiosk.screens.canteen_common import Joined, meal_name, printed_msg
from kiosk.services.canteen.samples import record_and_print
from kiosk.widgets.message_line import MessageLine


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
    RecordSampleScreen.-compact > Vertical { padding: 0 2; }
    RecordSampleScreen.-compact #record-title { margin-bottom: 0; }
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

    def on_resize(self) -> None:
        # At 24 lines the padded form is taller than the screen and its message line (weight short...) falls
        # below the bottom edge: without the blank lines it fits.
        self.set_class(self.size.height < 30, "-compact")

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
        self.call(record_and_print, self.ctx.actor(), self.ctx.settings, self.dish.id, values["weight"],
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
