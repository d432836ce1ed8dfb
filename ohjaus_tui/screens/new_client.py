"""A modal to add a new client; a wrong identity code says why and loses nothing."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.widgets import Checkbox, Input, Label, Select, Static

from ohjaus_core.domain.codes import Language
from ohjaus_core.domain.errors import DomainError
from ohjaus_core.domain.identity import InvalidIdentityCode, looks_like_identity_code, parse_identity_code
from ohjaus_core.domain.languages import InvalidLanguage
from ohjaus_core.domain.phone import looks_like_phone
from ohjaus_core.domain.text import NAME_SHOWN, shown
from ohjaus_core.i18n import N_, _
from ..app_access import AppAccess
from ..store.store import DuplicateClient
from ..widgets.enter_keys import NextOnEnter
from .ask import AskScreen
from .audit import ViewTrail
from .confirm import ConfirmScreen, show_typed_ahead

ANONYMOUS = "anonymous"


class NewClientScreen(AppAccess, AskScreen):
    """Dismisses with the new Client, "anonymous", or None when cancelled."""

    CSS_PATH = "new_client.tcss"

    BINDINGS = [
        Binding("ctrl+s", "save", N_("Save")),
        Binding("ctrl+t", "save_without_code", N_("Save without identity code")),
        Binding("ctrl+r", "unidentified", N_("Continue unidentified")),
        Binding("f1", "app.keys", N_("Help")),  # a modal does not pass keys to the app
    ]
    KEY_PRIORITY = ("cancel", "save", "save_without_code", "unidentified")

    TEXT_FIELDS = ("last-name", "first-name", "identity-code", "phone", "service-language", "municipality")

    def __init__(self, query: str = "", kept: dict[str, str] | None = None, typed_ahead: bool = False) -> None:
        """`kept`: what was typed before the form was closed with Esc, to type on from.
        `typed_ahead`: keys typed after the Enter that opened the form, before it was shown,
        are held by the app; they were the contact's reason ("name Enter reason Enter"), not
        the form's fields: taken into `typed_reason`, shown, and put into the reason by the
        client step (the review: they went into the name or code fields, or were lost)."""
        super().__init__()
        self.initial = query.strip()
        self.kept = kept or {}
        self.take_typed_ahead = typed_ahead
        self.typed_reason = ""
        self.typed: dict[str, str] = {}
        self.matches_seen: tuple[str, ...] | None = None  # the form's content the worker saved anyway

    def heading(self) -> str:
        return _("New client")

    def body(self) -> ComposeResult:
        code = self.initial if looks_like_identity_code(self.initial) else ""
        phone = self.initial if looks_like_phone(self.initial) and not code else ""
        name = "" if code or phone else self.initial
        last, _sep, first = name.partition(" ")
        # An error that is not about one field stays in sight above the form.
        yield Static(id="new-client-error", classes="field-error")
        yield Static(id="typed-ahead")
        with VerticalScroll(id="new-client-fields"), Grid():
            yield Label(_("Last name"))
            yield Input(last, id="last-name")
            yield Label(_("First name"))
            yield Input(first, id="first-name")
            yield Label(_("Identity code"))
            yield Input(code, id="identity-code", placeholder=_("DDMMYYCZZZQ"))
            yield Label("")
            yield NextOnEnter(_("Temporary identity code (900-999)"), id="temporary")
            # Next to its field, so that at 80x24 Ctrl+S never seems to do nothing.
            yield Static(id="code-error", classes="field-error")
            yield Label(_("Phone"))
            yield Input(phone, id="phone")
            yield Label(_("Language of service"))
            yield Select(
                [(language.label, language.value) for language in Language],
                value=Language.FI.value,
                allow_blank=False,
                id="language",
            )
            # Issue 20: any language (ISO 639), an interpreter, a non-disclosure order.
            yield Label(_("Other language"))
            yield Input(id="service-language", placeholder=_("ISO 639 code, e.g. ar, so, fse"))
            yield Label("")
            yield NextOnEnter(_("Interpreter needed"), id="interpreter")
            yield Label("")
            yield NextOnEnter(_("Non-disclosure order (turvakielto)"), id="protected")
            yield Label(_("Municipality"))
            yield Input(id="municipality")

    def on_mount(self) -> None:
        self._take_typed_ahead()
        for widget_id, value in self.kept.items():
            self.query_one(f"#{widget_id}", Input).value = value
        for widget_id in ("last-name", "first-name", "identity-code", "phone"):
            field = self.query_one(f"#{widget_id}", Input)
            if not field.value:
                field.focus()
                return
        self.query_one("#municipality", Input).focus()

    def _take_typed_ahead(self) -> None:
        held = self.ohjaus.take_held_keys() if self.take_typed_ahead else []
        self.typed_reason = "".join(key.character or "" for key in held if key.is_printable).strip()
        show_typed_ahead(self.query_one("#typed-ahead", Static), self.typed_reason)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "municipality":
            self.action_save()
        elif event.input.id == "phone":
            # Past the language (Tab reaches it): Enter on a Select would open it.
            self.query_one("#municipality", Input).focus()
        else:
            self.focus_next()

    def action_cancel(self) -> None:
        # Esc closes the form without losing what was typed: it opens with it next time.
        self.typed = {w: self.query_one(f"#{w}", Input).value for w in self.TEXT_FIELDS}
        self.dismiss(None)

    def action_unidentified(self) -> None:
        self.dismiss(ANONYMOUS)

    def action_save_without_code(self) -> None:
        self._save(with_code=False)

    def action_save(self) -> None:
        self._save(with_code=True)

    def _offer_existing(self, code: str) -> None:
        """The person is already a client: use that record, never make a second one."""
        existing = self.ctx.store.clients.find_clients(code)
        if not existing:
            return
        client = existing[0]
        ViewTrail(self.ctx, "client").shown([client.id])
        question = _("{name} ({code}) is already a client. Use that client?").format(
            name=shown(f"{client.last_name} {client.first_name}", NAME_SHOWN), code=code
        )

        def use(yes: bool | None) -> None:
            if yes:
                self.dismiss(client)

        self.app.push_screen(ConfirmScreen(question), use)

    def _matches_first(self, with_code: bool) -> bool:
        """Before a client without an identity code (or with a temporary one) is saved, the
        clients who may be the same person are shown (issue 20): the worker takes one of them
        or saves anyway. True when they are on the screen (the save waits for the choice)."""
        from .duplicates import SAVE_AS_NEW, MatchesScreen  # (it shows clients as the client step does)

        value = lambda widget_id: self.query_one(f"#{widget_id}", Input).value.strip()  # noqa: E731
        code = value("identity-code") if with_code else ""
        birth_date = None
        if code:
            try:
                parsed = parse_identity_code(code)
            except DomainError:
                return False  # the save says what is wrong with the code
            if not parsed.temporary:
                return False  # a real code finds its client by itself
            birth_date = parsed.birth_date
        typed = (value("last-name"), value("first-name"), code, value("phone"))
        if typed == self.matches_seen or not (typed[0] and typed[1]):
            return False
        matches = self.ctx.store.merges.possible_duplicates(
            first_name=typed[1], last_name=typed[0], birth_date=birth_date, phone=typed[3] or None,
        )
        if not matches:
            return False

        def chosen(result) -> None:
            if result == SAVE_AS_NEW:
                self.matches_seen = typed
                self._save(with_code)
            elif result is not None:
                self.dismiss(result)

        self.app.push_screen(MatchesScreen(matches), chosen)
        return True

    def _save(self, with_code: bool) -> None:
        value = lambda widget_id: self.query_one(f"#{widget_id}", Input).value  # noqa: E731
        app = self.ohjaus
        if self._matches_first(with_code):
            return
        try:
            client = app.ctx.store.clients.add_client(  # type: ignore[attr-defined]
                first_name=value("first-name"),
                last_name=value("last-name"),
                identity_code=value("identity-code").strip() or None if with_code else None,
                phone=value("phone").strip() or None,
                language=Language(self.query_one("#language", Select).value),
                municipality=value("municipality"),
                service_language=value("service-language"),
                interpreter=self.query_one("#interpreter", Checkbox).value,
                protected=self.query_one("#protected", Checkbox).value,
                created_by=app.ctx.worker.id if app.ctx.worker else None,
                now=app.ctx.now(),
                allow_temporary=self.query_one("#temporary", Checkbox).value,
                viewer=app.ctx.viewer,
            )
        except DuplicateClient as error:
            self._offer_existing(error.code)
            return
        except DomainError as error:
            self._show_error(error, with_code)
            return
        self.dismiss(client)

    def _show_error(self, error: DomainError, with_code: bool) -> None:
        """A wrong identity code under its field, with the way on; any other error above."""
        code_error = self.query_one("#code-error", Static)
        general = self.query_one("#new-client-error", Static)
        code = self.query_one("#identity-code", Input)
        about_code = isinstance(error, InvalidIdentityCode)
        if isinstance(error, InvalidLanguage):
            code_error.update("")
            general.update(Text(str(error)))
            self.query_one("#service-language", Input).focus()
            return
        if with_code and code.value.strip() and not about_code:
            try:  # a temporary code not marked as one
                about_code = parse_identity_code(code.value.strip()).temporary
            except DomainError:
                about_code = True
        if about_code:
            hint = _("Fix it, or press Ctrl+T to save without the code, Ctrl+R to continue unidentified.")
            code_error.update(Text(f"{error}\n{hint}"))
            general.update("")
            code.focus()
            self.call_after_refresh(code_error.scroll_visible)
        else:
            code_error.update("")
            general.update(Text(str(error)))
