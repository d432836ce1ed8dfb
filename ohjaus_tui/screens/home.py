"""Home: start a contact, continue an unfinished one, see today's follow-ups."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Label, OptionList, Static
from textual.widgets.option_list import Option

from ..domain.clock import local
from ..domain.codes import Role
from ..domain.contact import ContactDraft
from ..i18n import N_, _, format_date, format_day, format_moment
from ..widgets.footer import Footer
from ..widgets.sync_badge import SyncBadge
from .confirm import ConfirmScreen
from .contact import ContactScreen


class RecentList(OptionList):
    """The worker's latest signed contacts; C corrects the highlighted one."""

    BINDINGS = [Binding("c", "correct", N_("Correct"))]

    def action_correct(self) -> None:
        if self.option_count:
            option = self.get_option_at_index(self.highlighted or 0)
            self.screen.correct(option.id)  # type: ignore[attr-defined]


class HomeScreen(Screen):
    BINDINGS = [
        Binding("n", "new_contact", N_("New contact")),
        Binding("r", "reports", N_("Reports")),
        Binding("l", "sign_out", N_("Sign out")),
        Binding("ctrl+q", "app.quit", N_("Quit")),
    ]

    DEFAULT_CSS = """
    HomeScreen #home-header { height: 1; padding: 0 1; background: $primary-background; }
    HomeScreen Label { margin: 1 1 0 1; text-style: bold; }
    HomeScreen #drafts { height: auto; max-height: 6; margin: 0 1; }
    HomeScreen #follow-ups { height: 1fr; margin: 0 1; }
    HomeScreen #recent { height: auto; max-height: 6; margin: 0 1; }
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
        yield Label(_("Recently signed (C makes a correction)"), id="recent-label")
        yield RecentList(id="recent")
        yield SyncBadge()
        yield Footer()

    def after_relabel(self) -> None:
        self._fill()

    def _fill(self) -> None:
        table = self.query_one("#follow-ups", DataTable)
        table.add_columns(_("Due"), _("What"), _("Client"), _("Note"))
        self.refresh_lists()

    def on_mount(self) -> None:
        self._fill()
        drafts = self.ctx.store.open_drafts(self.ctx.worker.id)
        if drafts and not self._offered:
            self._offered = True
            latest = drafts[0]
            question = _(
                "An unfinished contact was found: {client}, step {step}, started {time}. Continue it?"
            ).format(
                client=latest.client_name,
                step=latest.step.label,
                time=format_moment(local(latest.started_at)),
            )
            self.app.push_screen(ConfirmScreen(question), lambda yes: yes and self.resume(latest.id))

    def on_screen_resume(self) -> None:
        if self.ctx.worker is not None:  # not while signing out
            self.refresh_lists()

    def refresh_lists(self) -> None:
        ctx = self.ctx
        worker, unit = ctx.worker, ctx.unit
        header = Text(no_wrap=True, overflow="ellipsis")
        header.append("ohjaus  ", style="bold")
        header.append(f"{worker.name}, {Role(worker.role).label}")
        if unit:
            header.append(f"  {unit.code}", style="dim")
        header.append("  " + format_date(ctx.now()), style="dim")
        if ctx.demo:
            header.append("  " + _("DEMO"), style="bold yellow")
        self.query_one("#home-header", Static).update(header)
        drafts = ctx.store.open_drafts(worker.id)
        listing = self.query_one("#drafts", OptionList)
        was = listing.highlighted or 0  # a refresh after a sync keeps the worker's place
        listing.clear_options()
        for draft in drafts:
            line = Text(f"{format_moment(local(draft.started_at))}  ")
            line.append(draft.client_name, style="bold")
            line.append(f"  {draft.step.label}", style="dim")
            listing.add_option(Option(line, id=draft.id))
        listing.highlighted = min(was, len(drafts) - 1) if drafts else None
        listing.display = bool(drafts)
        self.query_one("#drafts-label").display = bool(drafts)
        recent = ctx.store.recent_signed(worker.id)
        listing = self.query_one("#recent", OptionList)
        was = listing.highlighted or 0
        listing.clear_options()
        for contact in recent:
            line = Text(f"{format_moment(local(contact.started_at))}  ")
            line.append(contact.client_name, style="bold")
            listing.add_option(Option(line, id=contact.id))
        listing.highlighted = min(was, len(recent) - 1) if recent else None
        listing.display = bool(recent)
        self.query_one("#recent-label").display = bool(recent)
        table = self.query_one("#follow-ups", DataTable)
        table.clear()
        due = ctx.store.follow_ups_due(worker.id, ctx.now().date())
        for row in due:
            table.add_row(
                format_day(row.due), row.kind.label, Text(row.client_name), Text(row.note)
            )
        # The names and notes on these lists are views of the clients' data, logged once
        # a sign-in for each client (the trail is the sign-in's).
        ctx.worklist_trail.shown([item.client_id for item in (*drafts, *recent, *due)])

    def action_new_contact(self) -> None:
        ctx = self.ctx
        draft = ContactDraft(worker_id=ctx.worker.id, unit_id=ctx.worker.unit_id, started_at=ctx.now())
        self.app.push_screen(ContactScreen(draft))

    def resume(self, contact_id: str) -> None:
        draft = self.ctx.store.load_draft(contact_id, self.ctx.viewer, self.ctx.now())
        self.app.push_screen(ContactScreen(draft, saved=True))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_list.id == "drafts":
            self.resume(event.option.id)

    def correct(self, contact_id: str) -> None:
        """A correction is a new version of the signed contact; the signed one stays as it was."""

        def start(yes: bool | None) -> None:
            if yes:
                draft = self.ctx.store.start_correction(contact_id, self.ctx.now(), self.ctx.viewer)
                self.app.push_screen(ContactScreen(draft, saved=True))

        self.app.push_screen(
            ConfirmScreen(_("Make a correction? It becomes a new version; the signed one is kept.")), start
        )

    def action_reports(self) -> None:
        from ..domain.viewer import Permission
        from .reports import ReportsScreen

        if not self.ctx.viewer.may(Permission.REPORTS):
            self.notify(_("The reports are for team leads."), severity="warning")
            return
        self.app.push_screen(ReportsScreen())

    def action_sign_out(self) -> None:
        self.app.sign_out()  # type: ignore[attr-defined]
