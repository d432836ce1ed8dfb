"""Home: the worklist of the day (callbacks, follow-ups, bookings to redo, unfinished
contacts), a new contact, the latest signed ones."""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Label, OptionList, Static
from textual.widgets.option_list import Option

from ohjaus_core.domain.clock import local
from ohjaus_core.domain.codes import FollowUpStatus, Language, Role
from ohjaus_core.domain.contact import ContactDraft, Step, device_channel
from ohjaus_core.domain.errors import DomainError
from ohjaus_core.domain.phone import format_phone
from ohjaus_core.domain.text import NAME_SHOWN, shown
from ohjaus_core.domain.worklist import WorkItem, WorkKind
from ..messages import SyncFinished
from ohjaus_core.i18n import N_, _, format_date, format_moment, format_time
from ..theme import themed
from ..widgets.worklist import RecentList, WorkTable
from .confirm import ConfirmScreen
from .consent import parse_day
from .contact import ContactScreen
from .frame import FramedScreen
from .prompt import PickScreen, PromptScreen
from .worklist_rows import NARROW_CLIENT, NARROW_DUE, NARROW_FIXED, NARROW_WHAT, WIDE, waited, work_row


class HomeScreen(FramedScreen):
    """The worker's day: the worklist, most urgent first, and the latest signed contacts."""

    BINDINGS = [
        Binding("n", "new_contact", N_("New contact")),
        Binding("t", "take_next", N_("Take next")),
        Binding("d", "done", N_("Done")),
        Binding("e", "no_answer", N_("No answer")),
        Binding("s", "reschedule", N_("Reschedule")),
        Binding("h", "hand_on", N_("Hand on")),
        Binding("o", "open_client", N_("Client")),
        Binding("r", "reports", N_("Reports")),
        Binding("l", "sign_out", N_("Sign out")),
        Binding("ctrl+q", "app.quit", N_("Quit")),
    ]
    # What the footer keeps at 80 columns (D, S and H are named in the hint line; F1 lists all).
    KEY_PRIORITY = ("new_contact", "open_client", "reports", "sign_out", "take_next", "correct")

    CSS_PATH = "home.tcss"
    TITLE_ID = "home-header"

    def __init__(self) -> None:
        super().__init__()
        self._offered = False
        self.items: list[WorkItem] = []  # the callback requests, then the rest, as listed
        self.callbacks = 0  # how many of the items are callback requests (the first section)
        self.requests = 0  # how many digital contact requests follow them (the second section)

    def body(self) -> ComposeResult:
        yield Static(
            _("Enter takes the highlighted item, T the most urgent; E no answer, D done, S reschedule, H hand on, O the client. N starts a new contact."),
            id="home-hint",
        )
        yield Label(id="callbacks-label")
        yield WorkTable(id="callbacks", cursor_type="row")
        yield Label(id="requests-label")
        yield WorkTable(id="requests", cursor_type="row")
        yield Label(_("Other work, most urgent first"), id="worklist-label")
        yield WorkTable(id="worklist", cursor_type="row")
        yield Label(_("Recently signed (C makes a correction)"), id="recent-label")
        yield RecentList(id="recent")

    def after_relabel(self) -> None:
        # The widgets are new: they get the room the size gives them again, as on a resize.
        self.on_resize()
        self._fill()

    def on_resize(self) -> None:
        # At 24 rows the two sections need the room: the hint's keys are in F1 and the footer.
        self.query_one("#home-hint").display = self.app.size.height >= 28
        self.query_one("#recent").styles.max_height = 6 if self.app.size.height >= 28 else 4
        # Three sections at 24 rows: the queues give the rest of the work a few rows too.
        small = self.app.size.height < 28
        self.query_one("#callbacks").styles.max_height = "30%" if small else "40%"
        self.query_one("#requests").styles.max_height = "20%" if small else "30%"

    def _fill(self) -> None:
        narrow = self.app.size.width < WIDE
        self._reason_width = max(16, self.app.size.width - NARROW_FIXED) if narrow else None
        callbacks, rest = self.query_one("#callbacks", WorkTable), self.query_one("#worklist", WorkTable)
        requests = self.query_one("#requests", WorkTable)
        callbacks.after, requests.before, requests.after, rest.before = requests, callbacks, rest, requests
        for table in (callbacks, requests, rest):
            table.clear(columns=True)  # a language change fills it again
            second = _("Waited") if table is not rest else _("What")
            if narrow:
                table.add_column(_("Due"), width=NARROW_DUE)
                table.add_column(second, width=NARROW_WHAT)
                table.add_column(_("Client"), width=NARROW_CLIENT)
            elif table is callbacks:
                table.add_columns(_("Due"), _("Queue"), _("Client"), _("Phone"), _("Waited"))
            elif table is requests:
                table.add_columns(_("Due"), _("Reply"), _("Client"), _("Phone"), _("Waited"))
            else:
                table.add_columns(_("Due"), _("What"), _("Client"), _("Phone"), _("Waited"))
            table.add_column(_("Reason or note"), width=self._reason_width)
        self.refresh_lists()

    def on_mount(self) -> None:
        self._fill()
        self.query_one(self._first_section(), DataTable).focus()
        drafts = self.ctx.store.contacts.open_drafts(self.ctx.worker.id)
        if drafts and not self._offered:
            self._offered = True
            latest = drafts[0]
            question = _(
                "An unfinished contact was found: {client}, step {step}, started {time}. Continue it?"
            ).format(
                client=shown(latest.client_name, NAME_SHOWN),
                step=latest.step.label,
                time=format_moment(local(latest.started_at)),
            )
            self.app.push_screen(ConfirmScreen(question), lambda yes: yes and self.resume(latest.id))

    def on_screen_resume(self) -> None:
        if self.ctx.worker is not None:  # not while signing out
            self.refresh_lists()

    def on_sync_finished(self, event: SyncFinished) -> None:
        # What arrived shows at once (beneath another screen, when it comes back).
        if event.lists_changed and self.is_current and self.ctx.worker is not None:
            self.refresh_lists()

    def refresh_lists(self) -> None:
        ctx = self.ctx
        worker, unit = ctx.worker, ctx.unit
        now = ctx.now()
        header = Text(no_wrap=True, overflow="ellipsis")
        header.append("ohjaus  ", style="bold")
        header.append(f"{shown(worker.name, NAME_SHOWN)}, {Role(worker.role).label}")
        if unit:
            header.append(f"  {unit.code}", style="dim")
        header.append("  " + format_date(now), style="dim")
        if ctx.demo:
            header.append("  " + _("DEMO"), style=themed("bold $caution"))
        self.query_one("#home-header", Static).update(header)
        self.items = ctx.store.worklist.worklist(ctx.viewer, ctx.shipped.region, now)
        queue = [item for item in self.items if item.kind == WorkKind.CALLBACK]
        requests = [item for item in self.items if item.kind == WorkKind.REQUEST]
        self.callbacks, self.requests = len(queue), len(requests)
        max_attempts = ctx.shipped.region.callbacks.max_attempts
        ready = [item for item in queue if not item.waiting_to_come_back(now)]
        heading = _("Callback requests: {n} waiting").format(n=len(ready))
        if ready:
            oldest = min(item.since for item in ready)
            heading += ", " + _("the longest {time}").format(time=waited(oldest, now))
        if len(ready) < len(queue):
            heading += ", " + _("{n} back later").format(n=len(queue) - len(ready))
        self.query_one("#callbacks-label", Label).update(heading)
        heading = _("E-service requests: {n} waiting").format(n=len(requests))
        if requests:
            heading += ", " + _("the longest {time}").format(time=waited(requests[0].since, now))
        self.query_one("#requests-label", Label).update(heading)
        for table, items in (
            (self.query_one("#callbacks", WorkTable), queue),
            (self.query_one("#requests", WorkTable), requests),
            (self.query_one("#worklist", WorkTable), self.items[len(queue) + len(requests):]),
        ):
            was = table.cursor_row  # a refresh after a sync keeps the worker's place
            table.clear()
            for item in items:
                cells, height = work_row(item, now, max_attempts, self._reason_width)
                table.add_row(*cells, key=f"{item.kind.value}:{item.id}", height=height)
            if items:
                table.move_cursor(row=min(was, len(items) - 1))
            table.display = bool(items) or table.id == "worklist"
        self.query_one("#callbacks-label").display = bool(queue)
        self.query_one("#requests-label").display = bool(requests)
        for section, shown_items in (("#callbacks", queue), ("#requests", requests)):
            if not shown_items and self.query_one(section, WorkTable).has_focus:
                self.query_one(self._first_section(), WorkTable).focus()
        recent = ctx.store.contacts.recent_signed(worker.id)
        listing = self.query_one("#recent", OptionList)
        was = listing.highlighted or 0
        listing.clear_options()
        for contact in recent:
            line = Text(f"{format_moment(local(contact.started_at))}  ", no_wrap=True, overflow="ellipsis")
            line.append(shown(contact.client_name, NAME_SHOWN), style="bold")
            listing.add_option(Option(line, id=contact.id))
        listing.highlighted = min(was, len(recent) - 1) if recent else None
        listing.display = bool(recent)
        self.query_one("#recent-label").display = bool(recent)
        # The names and notes on these lists are views of the clients' data, logged once
        # a sign-in for each client (the trail is the sign-in's).
        ctx.worklist_trail.shown([item.client_id for item in (*self.items, *recent)])

    # -- the worklist's keys ----------------------------------------------------------------

    def _first_section(self) -> str:
        return "#callbacks" if self.callbacks else "#requests" if self.requests else "#worklist"

    def _sections(self) -> list[tuple[str, int, int]]:
        """(table, first item, how many) of the three sections, in order."""
        both = self.callbacks + self.requests
        return [
            ("#callbacks", 0, self.callbacks), ("#requests", self.callbacks, self.requests),
            ("#worklist", both, len(self.items) - both),
        ]

    def highlighted(self) -> WorkItem | None:
        sections = self._sections()
        focused = next((s for s in sections if self.query_one(s[0], WorkTable).has_focus), sections[-1])
        name, start, count = focused
        row = self.query_one(name, WorkTable).cursor_row
        if row is None or row >= count:
            return None
        return self.items[start + row]

    def _say(self, message: str) -> None:
        self.app.notify(message, timeout=5)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        event.data_table.focus()
        item = self.highlighted()
        if item is not None:
            self.take(item)

    def action_take_next(self) -> None:
        """The first callback that may be called now, else the most urgent of the rest."""
        now = self.ctx.now()
        for index, item in enumerate(self.items):
            if item.kind == WorkKind.CALLBACK and item.waiting_to_come_back(now):
                continue
            name, start, _count = next(s for s in self._sections() if s[1] <= index < s[1] + s[2])
            table = self.query_one(name, WorkTable)
            table.focus()
            table.move_cursor(row=index - start)
            self.take(item)
            return

    def take(self, item: WorkItem) -> None:
        """A callback request starts its contact with the client chosen; a follow-up or a
        booking to make again starts a contact with its client; an unfinished one goes on."""
        ctx = self.ctx
        if item.kind == WorkKind.DRAFT:
            self.resume(item.id)
            return
        if item.kind == WorkKind.LETTER:
            self.action_done()  # what was sent, and it is done
            return
        if item.kind in (WorkKind.CALLBACK, WorkKind.REQUEST):
            try:
                draft = ctx.store.worklist.take_callback(item.id, ctx.viewer, ctx.now(), ctx.shipped.protocols)
            except DomainError as error:
                self._say(str(error))
                self.refresh_lists()
                return
            query = "" if draft.client_id else (format_phone(item.phone) if item.phone else "")
            if item.kind == WorkKind.REQUEST and not draft.client_id:
                # Found by the identity code the form gave (or its name): chosen, added or none.
                request = ctx.store.worklist.callback(item.id)
                query = (request.identity_code or request.name or query) if request else query
            self.app.push_screen(ContactScreen(draft, saved=True, client_query=query))
            return
        draft = ContactDraft(worker_id=ctx.worker.id, unit_id=ctx.worker.unit_id, started_at=ctx.now())
        # The follow-up names its contact in the store, with the draft: signing closes it,
        # also after a kill and a resumed draft; a discarded draft leaves it open.
        draft.for_follow_up_id = item.id
        if item.client_id:
            client = ctx.store.clients.client(item.client_id)
            draft.client_id, draft.language = item.client_id, Language(client.language)
            draft.step = Step.NEED
            ctx.store.contacts.save_draft(draft, ctx.now(), ctx.viewer)
            self.app.push_screen(ContactScreen(draft, saved=True))
        else:
            self.app.push_screen(ContactScreen(draft))

    def action_done(self) -> None:
        item = self.highlighted()
        if item is None or item.kind == WorkKind.DRAFT:
            self._say(_("An unfinished contact is finished by signing it (or F8 in it discards it)."))
            return
        ctx = self.ctx

        def finish(result: str | None) -> None:
            if not result:
                return
            if item.kind in (WorkKind.CALLBACK, WorkKind.LETTER, WorkKind.REQUEST):
                ctx.store.worklist.finish_callback(item.id, result, ctx.viewer, ctx.now())
            else:
                ctx.store.worklist.set_follow_up_status(item.id, FollowUpStatus.DONE, result, ctx.now(), ctx.viewer)
            self.refresh_lists()
            self._say(_("Marked done."))

        ask = _("What was sent, and how? (Enter saves)") if item.kind == WorkKind.LETTER else _("What came of it? (Enter saves)")
        self.app.push_screen(
            PromptScreen(_("Done"), ask, check=lambda v: None if v.strip() else _("Say what came of it.")),
            finish,
        )

    def action_no_answer(self) -> None:
        """The caller of the highlighted callback request did not answer: one call more; back
        in the queue after the region's interval, or a letter or message after the last."""
        item = self.highlighted()
        if item is None or item.kind != WorkKind.CALLBACK:
            self._say(_("No answer is recorded on a callback request."))
            return
        self.record_no_answer(self.app, self.ctx, item.id)
        self.refresh_lists()

    @staticmethod
    def record_no_answer(app, ctx, callback_id: str) -> bool:
        """Record the call and say what follows; False (and why) when it could not be."""
        rules = ctx.shipped.region.callbacks
        try:
            row = ctx.store.worklist.callback_no_answer(callback_id, ctx.viewer, rules, ctx.now())
        except DomainError as error:
            app.notify(str(error), timeout=5)
            return False
        if row.attempts >= rules.max_attempts:
            app.notify(_("No answer {n} times: send a letter or message (on the list).").format(n=row.attempts), timeout=6)
        else:
            back = local(row.last_attempt_at) + timedelta(minutes=rules.retry_minutes)
            app.notify(_("No answer ({n}/{max}): back in the queue at {time}.").format(
                n=row.attempts, max=rules.max_attempts, time=format_time(back)), timeout=6)
        return True

    def _follow_up_or_say(self, refusal: str) -> WorkItem | None:
        """The highlighted item if it is a follow-up (or a visit to book again), else None
        with `refusal` said."""
        item = self.highlighted()
        if item is None or item.kind not in (WorkKind.FOLLOW_UP, WorkKind.REBOOK):
            self._say(refusal)
            return None
        return item

    def action_reschedule(self) -> None:
        item = self._follow_up_or_say(_("Only a follow-up can be rescheduled."))
        if item is None:
            return
        ctx = self.ctx
        today = ctx.now().date()

        def check(value: str) -> str | None:
            try:
                day = parse_day(value)
            except ValueError:
                return _("Write the date as dd.mm.yyyy, e.g. {example}.").format(example=today.strftime("%d.%m.%Y"))
            return _("A new due date cannot be in the past.") if day < today else None

        def move(value: str | None) -> None:
            if value:
                ctx.store.worklist.reschedule_follow_up(item.id, parse_day(value), ctx.viewer, ctx.now())
                self.refresh_lists()
                self._say(_("Rescheduled to {day}.").format(day=format_date(parse_day(value))))

        tomorrow = (today + timedelta(days=1)).strftime("%d.%m.%Y")
        self.app.push_screen(PromptScreen(_("Reschedule"), _("New due date (dd.mm.yyyy)"), tomorrow, check), move)

    def action_hand_on(self) -> None:
        item = self._follow_up_or_say(_("Only a follow-up can be handed on."))
        if item is None:
            return
        ctx = self.ctx
        choices = [("team", _("The team: {unit}").format(unit=ctx.store.unit_name(ctx.viewer.unit_id)))]
        choices += ctx.store.worklist.team_choices(ctx.viewer)

        def hand(choice: str | None) -> None:
            if not choice:
                return
            if choice == "team":
                ctx.store.worklist.hand_follow_up(item.id, ctx.viewer, ctx.now(), team_id=ctx.viewer.unit_id)
            else:
                ctx.store.worklist.hand_follow_up(item.id, ctx.viewer, ctx.now(), worker_id=choice.removeprefix("worker:"))
            label = dict(choices)[choice]
            self.refresh_lists()
            self._say(_("Handed on to {who}.").format(who=label))

        self.app.push_screen(PickScreen(_("Hand the follow-up on to"), choices), hand)

    def action_open_client(self) -> None:
        from .client_view import ClientScreen

        item = self.highlighted()
        if item is None or not item.client_id:
            self._say(_("This item has no identified client."))
            return
        self.app.push_screen(ClientScreen(item.client_id))

    def action_new_contact(self) -> None:
        ctx = self.ctx
        draft = ContactDraft(worker_id=ctx.worker.id, unit_id=ctx.worker.unit_id, started_at=ctx.now())
        draft.channel = device_channel(ctx.store.setting("channel"))  # a desk: walk-in
        self.app.push_screen(ContactScreen(draft))

    def resume(self, contact_id: str) -> None:
        draft = self.ctx.store.contacts.load_draft(contact_id, self.ctx.viewer, self.ctx.now())
        self.app.push_screen(ContactScreen(draft, saved=True))

    def correct(self, contact_id: str) -> None:
        """A correction is a new version of the signed contact; the signed one stays as it was."""

        def start(yes: bool | None) -> None:
            if yes:
                try:
                    draft = self.ctx.store.contacts.start_correction(contact_id, self.ctx.now(), self.ctx.viewer)
                except DomainError as refused:  # e.g. a visit cancelled after the contact
                    self.notify(str(refused), severity="error", timeout=10)
                    return
                self.app.push_screen(ContactScreen(draft, saved=True))

        self.app.push_screen(
            ConfirmScreen(_("Make a correction? It becomes a new version; the signed one is kept.")), start
        )

    def action_reports(self) -> None:
        from ohjaus_core.domain.viewer import Permission
        from .reports import ReportsScreen

        if not self.ctx.viewer.may(Permission.REPORTS):
            self.notify(_("The reports are for team leads."), severity="warning")
            return
        self.app.push_screen(ReportsScreen())

    def action_sign_out(self) -> None:
        self.ohjaus.sign_out()
