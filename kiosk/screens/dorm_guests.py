"""Dorm station: an overnight guest 陪宿 registered on arrival, with the office's approval (the dorm manager's
PIN only) or by the exception path (the student's head teacher and the dorm manager).
No SQL here: `self.call` runs kiosk.services.headcount_guests in a worker."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input

from kiosk.i18n import Msg
from kiosk.screens.base import KioskScreen
from kiosk.screens.dialogs import PinDialog
from kiosk.services import headcount_guest_approvals, headcount_guests
from kiosk.widgets.catalog_text import CatalogText
from kiosk.widgets.field_input import FieldInput
from kiosk.widgets.message_line import MessageLine


def approvals_for(building_id: str, night, room_number: str, student_number: str):
    """In the worker: tonight's approvals for a room, narrowed to one student when a number is typed."""
    found = headcount_guest_approvals.night_approvals(building_id, night, room_number)
    if student_number.strip():
        found = [a for a in found if a.student_number == student_number.strip()]
    return found


class GuestScreen(KioskScreen):
    """陪宿 registration on arrival. After the room (and, if several guests are approved there, the student
    number) the screen looks for an approval the head teacher gave at the office covering tonight: if there is
    one it is shown and prefilled, the supervisor checks the ID card against the masked number (types or reads
    it) and only the dorm manager's PIN is needed. Without one, the exception path: head teacher and dorm
    manager both confirm with their PIN here."""

    TITLE_KEY = "dorm.guest_title"
    FIELDS = ("room", "student", "name", "id", "relation")
    FROM_APPROVAL = ("student", "name", "relation")  # taken from the approval while one is in use
    # A different person than the approved one (the card does not match): register without the approval.
    BINDINGS = [Binding("escape", "back", "core.key_back"), Binding("f4", "without_approval", "dorm.key_guest_exception")]
    DEFAULT_CSS = """
    GuestScreen #guest-form { width: 76; height: auto; max-height: 100%; padding: 0 2; border: heavy $accent; }
    /* one line per field: the whole form, its approval and its message fit an 80x24 console */
    GuestScreen FieldInput { height: 1; border: none; padding: 0 1; background: $boost; }
    GuestScreen FieldInput:focus { background: $accent 30%; }
    GuestScreen { align: center middle; }
    GuestScreen #guest-approval { height: auto; min-height: 1; color: $warning; }
    GuestScreen #guest-approval.-approved { color: $success; text-style: bold; }
    """

    def __init__(self, building_id: str, night, room_number: str = "") -> None:
        super().__init__()
        self.building_id = building_id
        self.night = night
        self.room_number = room_number  # the headcount's current row: the guest is usually for that room
        self.approval = None  # the ApprovalView this registration uses, if any
        self.without_approval = False  # F4 chose the exception path for this room: lookups do not re-apply one

    def compose(self) -> ComposeResult:
        with Vertical(id="guest-form"):
            yield CatalogText("dorm.guest_title", classes="dialog-title")
            # The approval and the outcome first: on a 24- or 36-line console the form's end is off screen.
            yield CatalogText(Msg("core.verbatim", text=""), id="guest-approval")  # F9 re-renders it too
            yield MessageLine(id="guest-message")
            for name in self.FIELDS:
                yield CatalogText(f"dorm.guest_{name}")
                yield FieldInput(id=f"guest-{name}", max_length=40)

    def on_mount(self) -> None:
        if self.room_number:
            self.field("room").value = self.room_number
            self.look_up(self.room_number, "")
            self.field("student").focus()
        else:
            self.query_one("#guest-room", FieldInput).focus()

    def field(self, name: str) -> FieldInput:
        return self.query_one(f"#guest-{name}", FieldInput)

    def unsaved_input(self) -> bool:
        """Only what the supervisor typed asks before Escape: not the room the screen filled in from the headcount's
        row, nor the fields an approval filled (Escape on an untouched form asked to discard it)."""
        values = {name: self.field(name).value.strip() for name in self.FIELDS}
        if values["room"] not in ("", self.room_number.strip()) or values["id"]:
            return True
        return self.approval is None and any(values[name] for name in self.FROM_APPROVAL)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """F4 (register without the approval) is offered only while an approval is in use."""
        if action == "without_approval":
            return self.approval is not None
        return True

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        name = event.input.id.removeprefix("guest-")
        if name == "room":
            self.without_approval = False
        if name in ("room", "student") and not self.without_approval:
            self.look_up(self.field("room").value, self.field("student").value if name == "student" else "")
        if name == "relation" or (name == "id" and self.approval is not None):
            self.approve()
            return
        following = [n for n in self.FIELDS[self.FIELDS.index(name) + 1:] if not self.field(n).disabled]
        if following:
            self.field(following[0]).focus()

    def look_up(self, room_number: str, student_number: str) -> None:
        if not room_number.strip():
            return
        self.call(approvals_for, self.building_id, self.night, room_number, student_number,
                  then=self.show_approvals, group="guest-load")

    def show_approvals(self, found) -> None:
        """One usable approval: use it. None: say this is the exception path. Several: ask for the student."""
        usable = [a for a in found if self.night not in a.nights_used]
        box = self.query_one("#guest-approval", CatalogText)
        self.use_approval(usable[0] if len(usable) == 1 else None)
        if len(usable) == 1:
            a = usable[0]
            box.set_message("dorm.guest_approval_found", teacher=a.teacher_name, name=a.guest_name, relation=a.relation,
                            masked=a.id_masked, first=a.first_night.isoformat(), last=a.last_night.isoformat())
            self.field("id").focus()
        elif usable:
            box.set_message("core.verbatim", text="\n".join(
                f"{a.student_number} {a.student_name}: {a.guest_name} ({a.relation}) {a.id_masked}" for a in usable))
        elif found:
            box.set_message("dorm.guest_approval_used", name=found[0].guest_name)
        else:
            box.set_message("dorm.guest_no_approval")
        box.set_class(len(usable) == 1, "-approved")

    def action_without_approval(self) -> None:
        """The exception path on purpose: the fields are freed and both PINs will be asked."""
        if self.approval is None:
            return
        self.use_approval(None)
        self.without_approval = True
        box = self.query_one("#guest-approval", CatalogText)
        box.set_message("dorm.guest_exception_chosen")
        box.set_class(False, "-approved")
        self.field("student").focus()

    def use_approval(self, approval) -> None:
        """Prefill from the approval (those fields cannot be changed while it is used), or free them again."""
        previous, self.approval = self.approval, approval
        for name in self.FROM_APPROVAL:
            field = self.field(name)
            if approval is not None:
                field.value = {"student": approval.student_number, "name": approval.guest_name,
                               "relation": approval.relation}[name]
            elif previous is not None:
                field.value = ""
            field.disabled = approval is not None
        self.refresh_bindings()
        self.refresh_bars()  # the key bar offers F4 only with an approval

    def approve(self) -> None:
        approval = self.approval
        values = {name: self.field(name).value for name in self.FIELDS}
        if approval is not None:
            def checked(problem) -> None:
                if problem is not None:  # a different card: said now, not after the manager typed their PIN
                    self.say(problem, level="error")
                    return
                self.app.push_screen(PinDialog("dorm.guest_manager"),
                                     lambda manager: self.register_approved(approval.id, values["id"], manager))

            self.call(headcount_guests.approved_id_problem, approval.id, values["id"], then=checked, group="guest-check")
            return

        def teacher_signed(teacher) -> None:
            if teacher is not None:
                self.app.push_screen(PinDialog("dorm.guest_manager"),
                                     lambda manager: self.register(values, teacher, manager))

        self.app.push_screen(PinDialog("dorm.guest_teacher"), teacher_signed)

    def register_approved(self, approval_id: str, id_number: str, manager) -> None:
        if manager is not None:
            self.call(headcount_guests.register_approved_guest, self.ctx.actor(), self.building_id, approval_id, self.night,
                      id_number, manager, then=self.registered, group="guest-write")

    def register(self, values: dict, teacher, manager) -> None:
        if manager is not None:
            self.call(headcount_guests.register_guest_by_numbers, self.ctx.actor(), self.building_id, self.night, values["room"],
                      values["name"], values["id"], values["relation"], values["student"], teacher, manager,
                      then=self.registered, group="guest-write")

    def registered(self, guest) -> None:
        """Saved: an empty form for the next guest (and nothing left that Escape would ask about)."""
        self.use_approval(None)
        self.without_approval = False
        self.room_number = ""
        for name in self.FIELDS:
            self.field(name).value = ""
        self.query_one("#guest-approval", CatalogText).set_message("core.verbatim", text="")
        self.field("room").focus()
        self.say("dorm.guest_done", level="ok", name=guest.name, room=guest.room_number)
