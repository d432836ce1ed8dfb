"""F2 on the outcome step: a duty made (issue 16) - a child-welfare notification, an older
person's notification or an immediate safety response - recorded as made: which, to whom, how,
about whom, with its legal basis. Never asks for consent. Dismisses a DutyMade, or None."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ohjaus_core.domain.catalogue import Service
from ohjaus_core.domain.codes import NotifiedBy
from ohjaus_core.domain.contact import DutyMade, duty_problems
from ohjaus_core.domain.protocols.model import Duty
from ohjaus_core.i18n import N_, _
from ..theme import themed
from .ask import AskScreen


class DutyScreen(AskScreen):
    CSS_PATH = "duty.tcss"
    # Enter goes field by field and saves in the last; Ctrl+S saves from any, with the
    # highlighted choices (the footer shows how the form ends: Esc alone said only how to leave).
    BINDINGS = [Binding("ctrl+s", "save", N_("Save"))]

    def __init__(
        self, duties: list[Duty], raised: list[str], service: Callable[[str], Service | None],
        now: Callable[[], datetime],
    ) -> None:
        super().__init__()
        # The duties the answers raised first.
        self.duties = sorted(duties, key=lambda d: d.id not in raised)
        self.raised, self.service, self.now = raised, service, now
        self.duty: Duty | None = None
        self.receiver: Service | None = None
        self.method: NotifiedBy | None = None

    def heading(self) -> str:
        return _("Duty made (no consent is asked)")

    def body(self) -> ComposeResult:
        options = []
        for duty in self.duties:
            prompt = Text(duty.title)
            if duty.id in self.raised:
                prompt.append("  " + _("(raised by the answers)"), style=themed("bold $caution"))
            options.append(Option(prompt, id=duty.id))
        yield OptionList(*options, id="duty-kinds")
        yield Static(id="duty-basis")
        # The lists' names in their borders: every kind and every way fits 80x24 whole.
        receivers = OptionList(id="duty-receivers")
        receivers.border_title = _("Made to")
        yield receivers
        methods = OptionList(*[Option(m.label, id=m.value) for m in NotifiedBy], id="duty-methods")
        methods.border_title = _("How")
        yield methods
        yield Input(id="duty-about", placeholder=_("About whom, if not the client (name or description)"))
        yield Static(classes="error", id="duty-error")  # shown with a problem only

    def on_mount(self) -> None:
        self.query_one("#duty-kinds", OptionList).focus()
        self._show_duty(self.duties[0] if self.duties else None)

    def _receivers(self, duty: Duty) -> list[Service]:
        return [s for s in (self.service(code) for code in duty.receivers) if s is not None]

    def _show_duty(self, duty: Duty | None) -> None:
        if duty is not self.duty:
            # Another kind: the receiver chosen for the last one is not this one's (the review:
            # an older person's notification's receiver saved with a safety response).
            self.receiver = None
        self.duty = duty
        receivers = self.query_one("#duty-receivers", OptionList)
        receivers.clear_options()
        if duty is None:
            return
        for service in self._receivers(duty):
            receivers.add_option(Option(Text(f"{service.name}  {service.contact}"), id=service.code))
        receivers.highlighted = 0 if receivers.option_count else None
        self.query_one("#duty-basis", Static).update(Text(_("Basis: {basis}").format(basis=self._basis())))

    def _basis(self) -> str:
        """The receiver's law when the catalogue names it for this duty, else the protocol's."""
        duty, receiver = self.duty, self.receiver
        if duty is None:
            return ""
        if receiver is not None and receiver.duty == duty.id and receiver.legal_basis:
            return receiver.legal_basis
        first = next((s for s in self._receivers(duty) if s.duty == duty.id and s.legal_basis), None)
        return first.legal_basis if first else duty.basis

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "duty-kinds":
            event.stop()
            self._show_duty(next(d for d in self.duties if d.id == event.option.id))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        source = event.option_list.id
        if source == "duty-kinds":
            self._show_duty(next(d for d in self.duties if d.id == event.option.id))
            self.query_one("#duty-receivers", OptionList).focus()
        elif source == "duty-receivers":
            self.receiver = self.service(event.option.id)
            self.query_one("#duty-basis", Static).update(Text(_("Basis: {basis}").format(basis=self._basis())))
            self.query_one("#duty-methods", OptionList).focus()
        elif source == "duty-methods":
            self.method = NotifiedBy(event.option.id)
            self.query_one("#duty-about", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        if self.duty is None:
            return
        if self.receiver is None:
            receivers = self.query_one("#duty-receivers", OptionList)
            option = receivers.get_option_at_index(receivers.highlighted) if receivers.highlighted is not None else None
            self.receiver = self.service(option.id) if option else None
        if self.method is None:
            methods = self.query_one("#duty-methods", OptionList)
            self.method = list(NotifiedBy)[methods.highlighted or 0]
        about = self.query_one("#duty-about", Input).value
        made = DutyMade(
            self.duty.id, self.receiver.name if self.receiver else "", self.now(), self.method,
            self._basis(), about.strip(), self.receiver.code if self.receiver else "",
        )
        problems = duty_problems(made)
        if problems:
            error = self.query_one("#duty-error", Static)
            error.update(Text(" ".join(problems)))
            error.display = True
            self.app.bell()
            return
        self.dismiss(made)
