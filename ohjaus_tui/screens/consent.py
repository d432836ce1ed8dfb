"""Modals for seeing the other register: the client's consent (or its denial), and a legal
basis the worker states for one view. Both end up in the access log."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ohjaus_core.domain.codes import Register
from ohjaus_core.i18n import N_, _
from .ask import AskScreen

GRANTED, DENIED = "granted", "denied"
MAX_BASIS = 500  # it goes into every access-log entry of the view


def parse_day(value: str) -> date:
    """A date as a Finnish worker writes it (25.11.2027) or as ISO (2027-11-25)."""
    value = value.strip()
    for pattern in ("%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d", "%d.%m.%y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValueError(value)


class ConsentScreen(AskScreen):
    """Dismisses with (granted, valid_until, note) or None."""

    CSS_PATH = "consent.tcss"
    BINDINGS = [Binding("ctrl+s", "save", N_("Save"))]

    def __init__(self, from_register: Register, to_register: Register, today: date) -> None:
        super().__init__()
        self.from_register, self.to_register, self.today = from_register, to_register, today

    def heading(self) -> str:
        return _("The client's consent")

    def body(self) -> ComposeResult:
        question = (
            _("May the client's social-welfare records be shown in health care?")
            if self.from_register == Register.SOCIAL
            else _("May the client's health-care records be shown in social welfare?")
        )
        yield Static(Text(question + " " + _("Ask the client; record what they said.")))
        yield OptionList(
            Option(_("Yes: the client consents"), id=GRANTED),
            Option(_("No: the client refuses"), id=DENIED),
            id="decision",
        )
        yield Label(_("In force until (dd.mm.yyyy)"))
        yield Input((self.today + timedelta(days=365)).strftime("%d.%m.%Y"), id="valid-until")
        yield Label(_("Note (optional)"))
        yield Input(id="consent-note")
        yield Static(classes="error", id="consent-error")

    def on_mount(self) -> None:
        self.query_one("#decision", OptionList).highlighted = 0
        self.query_one("#decision", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.query_one("#valid-until", Input).focus()

    @on(Input.Submitted, "#valid-until")
    def valid_until_entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#consent-note", Input).focus()

    @on(Input.Submitted, "#consent-note")
    def note_entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        decision = self.query_one("#decision", OptionList)
        granted = decision.get_option_at_index(decision.highlighted or 0).id == GRANTED
        try:
            until = parse_day(self.query_one("#valid-until", Input).value)
        except ValueError:
            self.query_one("#consent-error", Static).update(
                Text(_("Write the date as dd.mm.yyyy, e.g. {example}.").format(example=self.today.strftime("%d.%m.%Y")))
            )
            return
        if granted and until < self.today:
            self.query_one("#consent-error", Static).update(Text(_("The consent would end before today.")))
            return
        self.dismiss((granted, until, self.query_one("#consent-note", Input).value))


class BasisScreen(AskScreen):
    """The legal basis a worker states for seeing the other register once; dismisses it."""

    CSS_PATH = "consent.tcss"

    def __init__(self, register: Register) -> None:
        super().__init__()
        self.register = register

    def heading(self) -> str:
        return _("Legal basis")

    def body(self) -> ComposeResult:
        yield Static(
            Text(_("Why may you see the {register} records without the client's consent? "
                   "Name the law and the reason; it is written to the access log with your name.").format(
                register=self.register.label
            ))
        )
        yield Input(placeholder=_("e.g. Client Data Act 703/2023 § 17: danger to life"), id="basis")
        yield Static(classes="error", id="basis-error")

    def on_mount(self) -> None:
        self.query_one("#basis", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        basis = event.value.strip()
        if len(basis) < 5:
            self.query_one("#basis-error", Static).update(Text(_("State the basis in a few words.")))
            return
        if len(basis) > MAX_BASIS:
            self.query_one("#basis-error", Static).update(Text(_("At most {n} characters.").format(n=MAX_BASIS)))
            return
        self.dismiss(basis)
