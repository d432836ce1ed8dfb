"""Home: start a contact, continue an unfinished one, see today's follow-ups."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, OptionList, Static
from textual.widgets.option_list import Option

from ..domain.clock import local
from ..domain.codes import Role
from ..domain.contact import ContactDraft
from ..i18n import _
from .confirm import ConfirmScreen
from .contact import ContactScreen


class HomeScreen(Screen):
    BINDINGS = [
        Binding("n", "new_contact", _("New contact")),
        Binding("l", "sign_out", _("Sign out")),
        Binding("ctrl+q", "app.quit", _("Quit")),
    ]

    DEFAULT_CSS = """
    HomeScreen #home-header { height: 1; padding: 0 1; background: $primary-background; }
    HomeScreen Label { margin: 1 1 0 1; text-style: bold; }
    HomeScreen #drafts { height: auto; max-height: 6; margin: 0 1; }
    HomeScreen #follow-ups { height: 1fr; margin: 0 1; }
    HomeScreen #home-hint { margin: 0 1; color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._offered = False

    @property
    def ctx(self):
        return self.app.ctx  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        yield Static(id="home-header")
        yield Static(_("Press N to start a new contact."), id="home-hint")
        yield Label(_("Unfinished contacts (Enter continues)"), id="drafts-label")
        yield OptionList(id="drafts")
        yield Label(_("Follow-ups due today or overdue"))
        yield DataTable(id="follow-ups", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#follow-ups", DataTable)
        table.add_columns(_("Due"), _("What"), _("Client"), _("Note"))
        self.refresh_lists()
        drafts = self.ctx.store.open_drafts(self.ctx.worker.id)
        if drafts and not self._offered:
            self._offered = True
            latest = drafts[0]
            question = _(
                "An unfinished contact was found: {client}, step {step}, started {time}. Continue it?"
            ).format(
                client=latest.client_name,
                step=latest.step.label,
                time=local(latest.started_at).strftime("%d.%m. %H:%M"),
            )
            self.app.push_screen(ConfirmScreen(question), lambda yes: yes and self.resume(latest.id))

    def on_screen_resume(self) -> None:
        self.refresh_lists()

    def refresh_lists(self) -> None:
        ctx = self.ctx
        worker, unit = ctx.worker, ctx.unit
        header = Text(no_wrap=True, overflow="ellipsis")
        header.append("ohjaus  ", style="bold")
        header.append(f"{worker.name}, {Role(worker.role).label}")
        if unit:
            header.append(f"  {unit.code}", style="dim")
        header.append("  " + ctx.now().strftime("%d.%m.%Y"), style="dim")
        if ctx.demo:
            header.append("  " + _("DEMO"), style="bold yellow")
        self.query_one("#home-header", Static).update(header)
        drafts = ctx.store.open_drafts(worker.id)
        listing = self.query_one("#drafts", OptionList)
        listing.clear_options()
        for draft in drafts:
            line = Text(f"{local(draft.started_at):%d.%m. %H:%M}  ")
            line.append(draft.client_name, style="bold")
            line.append(f"  {draft.step.label}", style="dim")
            listing.add_option(Option(line, id=draft.id))
        listing.display = bool(drafts)
        self.query_one("#drafts-label").display = bool(drafts)
        table = self.query_one("#follow-ups", DataTable)
        table.clear()
        for row in ctx.store.follow_ups_due(worker.id, ctx.now().date()):
            table.add_row(
                row.due.strftime("%d.%m."), row.kind.label, Text(row.client_name), Text(row.note)
            )

    def action_new_contact(self) -> None:
        ctx = self.ctx
        draft = ContactDraft(worker_id=ctx.worker.id, unit_id=ctx.worker.unit_id, started_at=ctx.now())
        self.app.push_screen(ContactScreen(draft))

    def resume(self, contact_id: str) -> None:
        draft = self.ctx.store.load_draft(contact_id)
        self.app.push_screen(ContactScreen(draft, saved=True))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.resume(event.option.id)

    def action_sign_out(self) -> None:
        self.app.sign_out()  # type: ignore[attr-defined]
