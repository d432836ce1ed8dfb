"""Step 1: who is calling - search by name, identity code or phone; new; unidentified."""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual.app import ComposeResult
from textual.actions import SkipAction
from textual.binding import Binding
from textual.widgets import Input, Label, OptionList, Static
from textual.worker import get_current_worker
from textual.widgets.option_list import Option

from ohjaus_core.domain.access_log import Purpose
from ohjaus_core.domain.codes import Language
from ohjaus_core.domain.contact import ContactDraft, Step
from ohjaus_core.domain.phone import format_phone
from ohjaus_core.domain.text import LINE_NAME, shown
from ohjaus_core.domain.identity import looks_like_identity_code
from ohjaus_core.domain.phone import looks_like_phone
from ohjaus_core.i18n import N_, _, format_date
from ...store.models import Client
from ...widgets.client_line import client_line
from ..audit import ViewTrail
from ..client_view import ClientScreen
from ..confirm import TypedAheadConfirmScreen
from ..new_client import NewClientScreen
from .base import StepPanel

NEW = "new"
SEARCH_GROUP = "client-search"  # the worker group of the search as the worker types
ANONYMOUS = "anonymous"


class ClientStep(StepPanel):
    step = Step.CLIENT

    # The search box keeps the focus; arrows move the highlight in the results below it,
    # Enter takes the highlighted one (type, arrow, Enter - even when typed ahead fast).
    BINDINGS = [
        Binding("down", "move(1)", _("Next result"), show=False),
        Binding("up", "move(-1)", _("Previous result"), show=False),
        # Not in the footer (it would push F9 out at 100 columns): the label below says it.
        Binding("f2", "client_view", N_("Client"), show=False),
        # Enter in the search, taken before the keys typed after it are handed on (below).
        Binding("enter", "hold_typed_ahead", show=False, priority=True),
    ]

    def compose(self) -> ComposeResult:
        yield Label(_("Find the client: name, identity code or phone number"))
        yield Static(Text(_("F2 opens the highlighted client's data."), style="dim"), id="client-hint")
        yield Input(placeholder=_("e.g. Virtanen Matti, 131052-308T, 040 123 4567"), id="client-query")
        yield OptionList(id="client-results")
        yield Static(id="client-chosen")

    def on_mount(self) -> None:
        # Every client the search shows is a view of their data: logged once per contact,
        # in one write for what stayed on the screen while the worker typed.
        self._trail = ViewTrail(self.ctx, "search result")
        self._trail_timer = None
        self._searched = ""  # the query whose results are on the screen
        self._wanted = ""  # the latest query typed; a search of an older one is dropped
        self._kept_form: dict[str, str] = {}
        self._show_results([])

    def enter(self, draft: ContactDraft) -> None:
        self._draft = draft
        self._show_chosen(draft)

    def _show_chosen(self, draft: ContactDraft) -> None:
        chosen = self.query_one("#client-chosen", Static)
        if draft.client_id:
            client = self.flow.client
            chosen.update(Text(_("Chosen: ")) + client_line(client) if client else Text(""))
        elif draft.anonymous:
            chosen.update(Text(_("Chosen: unidentified client")))
        else:
            chosen.update("")

    def _show_results(self, clients: list[Client]) -> None:
        results = self.query_one("#client-results", OptionList)
        results.clear_options()
        for client in clients:
            results.add_option(Option(client_line(client), id=f"client:{client.id}"))
        if clients:
            self._trail.shown([client.id for client in clients], now=False)
            if self._trail_timer is not None:
                self._trail_timer.stop()
            self._trail_timer = self.set_timer(0.5, self._trail.flush)
        results.add_option(Option(Text("+ " + _("New client")), id=NEW))
        results.add_option(Option(Text("? " + _("Unidentified client (advice without identifying)")), id=ANONYMOUS))
        results.highlighted = 0

    def _search(self, query: str) -> None:
        """The results of `query` on the screen now (before a key that acts on them)."""
        self._wanted = query
        if query != self._searched:
            self._searched = query
            self._show_results(self.ctx.store.clients.find_clients(query))

    def _search_later(self, query: str) -> None:
        """Search as the worker types, off the UI thread: a keystroke never waits for the
        store, and of the searches still running only the latest one's results are shown."""
        self._wanted = query
        if query == self._searched:
            return
        self.run_worker(partial(self._find, query), thread=True, exclusive=True, group=SEARCH_GROUP)

    def _find(self, query: str) -> None:
        """In a worker thread: the store's answer, handed to the UI thread."""
        clients = self.ctx.store.clients.find_clients(query)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._found, query, clients)

    def _found(self, query: str, clients: list[Client]) -> None:
        if query == self._wanted and query != self._searched:
            self._searched = query
            self._show_results(clients)

    def _catch_up(self) -> None:
        """A key acts on the results (arrow, Enter, F2) before the last search came back:
        the results of what is in the box are shown first, so it acts on the right ones."""
        self._search(self.query_one("#client-query", Input).value)

    def action_hold_typed_ahead(self) -> None:
        """Enter in the search moves the focus (to the reason, the identity check or the new
        client's form) only once the search box has handled it; the keys a fast worker types
        after it ("name Enter reason Enter") would reach the search box meanwhile - the reason
        searched for and a second Enter opening a second form. They are held until the field
        they are meant for has the focus (as on the sign-in screen), then let go."""
        if self.screen.focused is self.query_one("#client-query", Input):
            self.ohjaus.hold_keys()
        raise SkipAction()

    def _release_typed_ahead(self, after_refresh: bool = False) -> None:
        """The keys held since the Enter, handed to the field that has the focus now (or,
        `after_refresh`, to the modal just pushed, once it is on the screen and focused)."""
        if after_refresh:
            self.app.call_after_refresh(self.ohjaus.release_keys)
        else:
            self.app.call_later(self.ohjaus.release_keys)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._search_later(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        # Enter typed ahead can arrive before the Changed message of the last character.
        self._search(event.value)
        results = self.query_one("#client-results", OptionList)
        self._choose(results.get_option_at_index(results.highlighted or 0).id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose(event.option.id)

    def _found_by_name(self) -> bool:
        """A name alone does not tell namesakes apart; an identity code or a phone does."""
        query = self.query_one("#client-query", Input).value.strip()
        return bool(query) and not looks_like_identity_code(query) and not looks_like_phone(query)

    def _confirm_second_identifier(self, client: Client) -> None:
        """Found by name: the birth date and the phone are shown, and the worker confirms
        that the caller gave one of them (Enter) before the client is taken (issue 15)."""
        born = format_date(client.birth_date) if client.birth_date else "-"
        phone = format_phone(client.phone) if client.phone else "-"
        question = _(
            "{name}: born {born}, phone {phone}. Did the caller confirm the birth date or the phone?"
        ).format(name=shown(f"{client.last_name} {client.first_name}", LINE_NAME), born=born, phone=phone)

        check = TypedAheadConfirmScreen(question)

        def answered(yes: bool | None) -> None:
            # Letters typed ahead while the check opened were the reason: kept for its field.
            self._keep_for_reason(check.typed)
            if yes:
                self._choose(f"client:{client.id}", confirmed=True)
            else:
                self.focus_now(self.query_one("#client-query", Input))
                self._release_typed_ahead()

        self.app.push_screen(check, answered)
        self._release_typed_ahead(after_refresh=True)

    def _keep_for_reason(self, typed: str) -> None:
        """Text typed ahead of the reason field, put into it (after what it already holds)."""
        typed = typed.strip()
        if typed:
            self._draft.reason = f"{self._draft.reason} {typed}".strip()

    def _choose(self, option_id: str | None, confirmed: bool = False) -> None:
        draft = self._draft
        self._trail.flush()
        if option_id == NEW:
            query = self.query_one("#client-query", Input).value
            self._form = NewClientScreen(query, kept=self._kept_form, typed_ahead=True)
            self.app.push_screen(self._form, self._new_client_done)
            return
        if option_id == ANONYMOUS:
            draft.client_id, draft.anonymous = None, True
        elif option_id and option_id.startswith("client:"):
            client = self.ctx.store.clients.client(option_id.removeprefix("client:"))
            if client is None:
                self._release_typed_ahead()
                return
            if not confirmed and self._found_by_name():
                self._confirm_second_identifier(client)
                return
            draft.client_id, draft.anonymous = client.id, False
            self.flow.take_client(client)
            draft.language = Language(client.language)
            ViewTrail(self.ctx, "client").shown([client.id])
        self._show_chosen(draft)
        self.next()

    def _new_client_done(self, result: Client | str | None) -> None:
        self._kept_form = self._form.typed if result is None else {}
        self._keep_for_reason(self._form.typed_reason)  # typed ahead of the form: the reason
        if result is None:
            self.focus_now(self.query_one("#client-query", Input))
            self._release_typed_ahead()
            return
        if result == ANONYMOUS:
            self._choose(ANONYMOUS)
            return
        assert isinstance(result, Client)
        self._choose(f"client:{result.id}", confirmed=True)  # just made from the form

    def action_client_view(self) -> None:
        """F2: the highlighted client's contacts, consents and access log."""
        self._catch_up()
        results = self.query_one("#client-results", OptionList)
        option = results.get_option_at_index(results.highlighted or 0) if results.option_count else None
        if option is not None and option.id and option.id.startswith("client:"):
            self._trail.flush()
            self.app.push_screen(ClientScreen(option.id.removeprefix("client:"), Purpose.CONTACT.value))
        elif self._draft.client_id:
            self.app.push_screen(ClientScreen(self._draft.client_id, Purpose.CONTACT.value))

    def action_move(self, step: int) -> None:
        self._catch_up()
        results = self.query_one("#client-results", OptionList)
        current = results.highlighted or 0
        results.highlighted = max(0, min(results.option_count - 1, current + step))

    def focus_default(self) -> None:
        self.focus_now(self.query_one("#client-query", Input))
