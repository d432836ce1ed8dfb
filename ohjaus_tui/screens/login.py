"""Worker sign-in: choose your name, type your passphrase. Checked offline, on this device.

A worker with no passphrase on a connected device signs in for the first time with the
enrolment code of `ohjaus worker add` and a new passphrase (twice): the verifier is made here
and sent to the central API, which gives it to the unit's other devices (sync/client.enrol)."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ohjaus_core.domain.demo_passphrase import DEMO_PASSPHRASE
from ohjaus_core.domain.errors import DomainError
from ohjaus_core.domain.labelled import Register, Role
from ohjaus_core.domain.text import NAME_SHOWN, shown
from ohjaus_core.i18n import N_, _
from ..app_access import AppAccess
from ..store.directory import needs_enrolment, sign_in_list
from ..theme import themed
from ..widgets.footer import Footer

STORE_OPEN_DELAY = 0.5  # seconds after the first paint


def passphrase_field() -> Input:
    return Input(password=True, placeholder=_("Passphrase"), id="passphrase")


def enrolment_fields() -> list:
    """The enrolment fields, in their box `#enrol` (its children listed here, not composed by
    the box later: mounted after the start, they are there to focus at once)."""
    return [
        Static(_("First sign-in on this unit: type the enrolment code from your team lead, "
                 "then choose a passphrase and type it twice.")),
        Input(placeholder=_("Enrolment code"), id="enrol-code"),
        Input(password=True, placeholder=_("New passphrase"), id="new-passphrase"),
        Input(password=True, placeholder=_("New passphrase again"), id="new-passphrase-again"),
    ]


class LoginScreen(AppAccess, Screen):
    BINDINGS = [
        Binding("ctrl+q", "app.quit", N_("Quit")),
        Binding("escape", "choose_again", N_("Another name"), show=False),
        # Enter on a name, taken before the keys typed after it are handed on (below).
        Binding("enter", "take_name", show=False, priority=True),
    ]

    _entering = False  # a passphrase was taken: the home screen waits for the store
    _with_enrolment = False  # the enrolment fields are on the screen (start-up, issue 18)
    _with_passphrase = False  # the passphrase field is on the screen (start-up, issue 18)

    def compose(self) -> ComposeResult:
        ctx = self.ctx
        with Vertical():
            yield Label(Text("ohjaus", style="bold"))
            yield Static(_("Sign in: choose your name, press Enter, type your passphrase."), id="login-hint")
            options = []
            listed, ctx.sign_in_list_at_start = ctx.sign_in_list_at_start, None
            workers, owner = listed or sign_in_list(ctx.data_dir)
            for worker in workers:
                line = Text(shown(worker.name, NAME_SHOWN), style="bold")
                line.append(f"  {Role(worker.role).label}, {Register(worker.sector).label}")
                line.append(f"  {worker.unit_code}", style="dim")
                options.append(Option(line, id=worker.id))
            listing = OptionList(*options, id="workers")
            ids = [option.id for option in options]
            if owner in ids:
                listing.highlighted = ids.index(owner)  # the unfinished contact's worker
            yield listing
            if self._with_passphrase:  # else mounted when a name is first chosen
                yield passphrase_field()
            if self._with_enrolment:  # else mounted here when a first sign-in needs them
                with Vertical(id="enrol"):
                    yield from enrolment_fields()
            yield Static(id="login-message")
            if not options:
                yield Static(
                    Text(
                        _("This data directory has no workers yet. Start with `ohjaus --demo`, "
                          "or make a device directory with `ohjaus demo --data-dir DIR`."),
                        style=themed("$caution-line"),
                    )
                )
            elif ctx.demo:
                yield Static(
                    Text(
                        _("Demo data: every person here is fictional. Every demo worker's passphrase is {p}.").format(
                            p=DEMO_PASSPHRASE
                        ),
                        style="dim",
                    )
                )
        yield Footer()

    def on_mount(self) -> None:
        # Open the store while the worker reads the list, once the list is on the screen:
        # importing the ORM in a thread competes with the first paint (a timer from the mount
        # fired before the paint on a busy machine). Choosing a name reads the database
        # directly; the passphrase check waits for the store if it comes first
        # (bench/startup.py measures both moments).
        self.call_after_refresh(self.set_timer, STORE_OPEN_DELAY, self.ctx.open_store_in_background)

    def action_take_name(self) -> None:
        """Enter on the list of names. A priority binding runs as the app takes the key,
        before it hands on the next ones: they are held until the field they are meant for
        (passphrase or enrolment code) has the focus. Without that, the keys a fast typist
        sends after the Enter went to the list, which ignored them, while the Enter was
        still on its way (the list's own Enter chooses the name only after the arrows typed
        before it, which is why the Enter itself is left to the list)."""
        listing = self.query_one("#workers", OptionList)
        if self.focused is listing and listing.option_count:
            self.ohjaus.hold_keys()
        raise SkipAction()  # the list chooses the name; Enter in a field submits it

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._take_name(event.option.id)
        self.app.call_later(self.ohjaus.release_keys)  # the field has the focus: the keys typed ahead

    def _take_name(self, worker_id: str) -> None:
        """The passphrase field (or a first sign-in's enrolment fields) shown and focused at
        once (mounted, not awaited: there before the held keys are let go)."""
        self._worker_id = worker_id
        if needs_enrolment(self.ctx.data_dir, worker_id):
            if not self._with_enrolment:  # not composed at the start: most sign-ins never need it
                self._with_enrolment = True  # (and composed again in another language, F9)
                box = Vertical(id="enrol")
                self.query_one("#login-message").parent.mount(box, before="#login-message")
                box.mount(*enrolment_fields())
            self.add_class("enrolling")
            for field in self.query("#enrol Input").results(Input):
                field.value = ""
            self.set_focus(self.query_one("#enrol-code", Input))
            return
        if not self._with_passphrase:  # hidden until a name is chosen: not made for the first paint
            self._with_passphrase = True
            self.query_one("#workers").parent.mount(passphrase_field(), after="#workers")
        self.add_class("asking")
        field = self.query_one("#passphrase", Input)
        field.value = ""
        self.set_focus(field)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "enrol-code":
            self.query_one("#new-passphrase", Input).focus()
            return
        if event.input.id == "new-passphrase":
            self.query_one("#new-passphrase-again", Input).focus()
            return
        if event.input.id == "new-passphrase-again":
            self._submit_enrolment()
            return
        passphrase, event.input.value = event.input.value, ""
        self._sign_in(self._worker_id, passphrase)

    def _sign_in(self, worker_id: str, passphrase: str) -> None:
        """The passphrase checked at once (the raw database, not the store); the home screen
        then needs the store: if it is still opening, a line says so until it is open."""
        if self._entering:
            return
        try:
            message = self.ohjaus.check_sign_in(worker_id, passphrase)
        except DomainError as error:  # a full, read-only or locked database: one line, no exit
            message = str(error)
        if message:
            self._say(message)
            return
        if self.ctx.store_is_open():
            self._enter(worker_id)
            return
        self._entering = True
        self.query_one("#login-message", Static).update(Text(_("Signed in. Opening the local store..."), style="dim"))
        self.ctx.open_store_in_background()
        self._wait_for_store(worker_id)

    @work(thread=True, exclusive=True, group="store")
    def _wait_for_store(self, worker_id: str) -> None:
        self.ctx.wait_for_store()
        self.app.call_from_thread(self._enter, worker_id)

    def _enter(self, worker_id: str) -> None:
        """The home screen; a store that could not open says why here, as the start does."""
        self._entering = False
        try:
            self.ohjaus.enter(worker_id)
        except DomainError as error:
            self._say(str(error))

    def _submit_enrolment(self) -> None:
        fields = [self.query_one(f"#{name}", Input) for name in ("enrol-code", "new-passphrase", "new-passphrase-again")]
        code, passphrase, again = (field.value for field in fields)
        fields[1].value = fields[2].value = ""
        if passphrase != again:
            self._say(_("The two passphrases differ; type the new one twice."))
            fields[1].focus()
            return
        self.query_one("#login-message", Static).update(Text(_("Checking the code with the central API..."), style="dim"))
        self._enrol(self._worker_id, code, passphrase)

    @work(thread=True, exclusive=True)
    def _enrol(self, worker_id: str, code: str, passphrase: str) -> None:
        """The code and the verifier to the central API (the KDF and the network: off the
        screen's thread); then the sign-in as usual, against the verifier now held here."""
        from ..sync.client import SyncError, enrol

        ctx = self.ctx
        try:
            enrol(ctx.store, worker_id, code, passphrase, ctx.now())
        except (SyncError, DomainError) as error:
            self.app.call_from_thread(self._say, str(error))
            return
        self.app.call_from_thread(self._signed_up, worker_id, passphrase)

    def _signed_up(self, worker_id: str, passphrase: str) -> None:
        self.remove_class("enrolling")
        self._sign_in(worker_id, passphrase)

    def _say(self, message: str) -> None:
        self.query_one("#login-message", Static).update(Text(message))
        self.app.bell()

    def action_choose_again(self) -> None:
        if self._entering:
            return
        self.remove_class("asking")
        self.remove_class("enrolling")
        self.query_one("#login-message", Static).update("")
        self.query_one("#workers", OptionList).focus()
