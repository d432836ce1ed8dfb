"""Duplicates and merge (issue 20): the possible existing records of a client being added
without an identity code (or with a temporary one), shown before the save; and a team lead's
merge of a client with a temporary code into the client with the real code."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ohjaus_core.domain.errors import DomainError
from ohjaus_core.domain.identity import looks_like_identity_code, normalize_identity_code
from ohjaus_core.domain.text import NAME_SHOWN, shown
from ohjaus_core.i18n import N_, _, format_date
from ..app_access import AppAccess
from ..store.merge import real_code
from ..store.models import Client
from .ask import AskScreen
from .audit import ViewTrail
from .confirm import ConfirmScreen
from ..widgets.client_line import client_line

SAVE_AS_NEW = "save-as-new"


def match_line(client: Client) -> Text:
    """A client as a possible match: the usual line, with the birth date when known."""
    line = client_line(client)
    if client.birth_date and not client.identity_code:
        line.append("  " + _("born {date}").format(date=format_date(client.birth_date)), style="dim")
    return line


def _named(client: Client) -> str:
    """Name and identity code, as the question names the two clients."""
    text = shown(f"{client.last_name} {client.first_name}", NAME_SHOWN)
    if client.identity_code:
        text += f" {shown(client.identity_code)}"
        if client.identity_temporary:
            text += " " + _("(temporary)")
    return text


class MatchesScreen(AppAccess, AskScreen):
    """Dismisses the chosen existing Client, SAVE_AS_NEW, or None (back to the form)."""

    CSS_PATH = "duplicates.tcss"
    BINDINGS = [
        Binding("escape", "cancel", N_("Back to the form")),
        Binding("ctrl+s", "save_as_new", N_("Save as a new client")),
    ]

    def __init__(self, matches: list[Client]) -> None:
        super().__init__()
        self.matches = matches

    def heading(self) -> str:
        return _("Possible existing client")

    def body(self) -> ComposeResult:
        yield Static(Text(_(
            "These clients have the same name (and birth date) or the same phone number. "
            "Enter takes the chosen client instead of adding a new one."
        )))
        yield OptionList(*[Option(match_line(c), id=c.id) for c in self.matches], id="matches")

    def on_mount(self) -> None:
        ViewTrail(self.ctx, "client").shown([c.id for c in self.matches])
        self.query_one("#matches", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(next(c for c in self.matches if c.id == event.option.id))

    def action_save_as_new(self) -> None:
        self.dismiss(SAVE_AS_NEW)


class MergeScreen(AppAccess, AskScreen):
    """A team lead picks the client with the real identity code to merge `source` into (a
    possible match, or by typing the code), confirms, and the merge is made. Dismisses the
    real Client after the merge, or None."""

    CSS_PATH = "duplicates.tcss"

    def __init__(self, source: Client) -> None:
        super().__init__()
        self.source = source

    def heading(self) -> str:
        return _("Merge into the client with the real identity code")

    def body(self) -> ComposeResult:
        self.candidates = [
            client for client in self.ctx.store.merges.possible_duplicates(
                first_name=self.source.first_name, last_name=self.source.last_name,
                birth_date=self.source.birth_date, phone=self.source.phone,
            )
            if client.id != self.source.id and real_code(client)
        ]
        yield Static(client_line(self.source))
        if self.candidates:
            yield Static(Text(_("Possible matches (Enter chooses):")))
            yield OptionList(*[Option(match_line(c), id=c.id) for c in self.candidates], id="merge-candidates")
        yield Static(Text(_("Or type the real identity code and press Enter:")))
        yield Input(id="merge-code", placeholder=_("DDMMYYCZZZQ"))
        yield Static(classes="error", id="merge-error")

    def on_mount(self) -> None:
        ViewTrail(self.ctx, "client").shown([c.id for c in self.candidates])
        if self.candidates:
            self.query_one("#merge-candidates", OptionList).focus()
        else:
            self.query_one("#merge-code", Input).focus()

    def _error(self, message: str) -> None:
        self.query_one("#merge-error", Static).update(Text(message))
        self.app.bell()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._confirm(next(c for c in self.candidates if c.id == event.option.id))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        code = normalize_identity_code(event.value)
        found = [c for c in self.ctx.store.clients.find_clients(code) if c.identity_code == code] if looks_like_identity_code(code) else []
        if not found:
            self._error(_("No client with the identity code {code}.").format(code=code or "-"))
            return
        ViewTrail(self.ctx, "client").shown([found[0].id])
        self._confirm(found[0])

    def _confirm(self, target: Client) -> None:
        counts = self.ctx.store.merges.records_of_client(self.source.id)
        moved = ", ".join(
            f"{label} {counts[table]}"
            for table, label in (
                ("contact", _("contacts")), ("follow_up", _("follow-ups")),
                ("missed_appointment", _("missed appointments")), ("consent", _("consents")),
                ("callback", _("callback requests")),
            )
            if counts[table]
        ) or _("no records")
        question = _(
            "Merge {source}\ninto {target}?\n\nWhat moves to the real client: {moved}. The temporary "
            "record's id leads to the real client from now on. This cannot be undone."
        ).format(source=_named(self.source), target=_named(target), moved=moved)

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                merged = self.ctx.store.merges.merge_clients(self.source.id, target.id, self.ctx.viewer, self.ctx.now())
            except DomainError as error:
                self._error(str(error))
                return
            self.dismiss(merged)

        self.app.push_screen(ConfirmScreen(question, enter_means_yes=False), answered)
