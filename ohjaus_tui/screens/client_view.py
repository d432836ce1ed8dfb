"""One client: details, consents, the high-need plan, and a timeline of the contacts,
appointments, referrals and follow-ups of the registers the worker may see (F filters). The other register stays hidden unless the client has consented or the worker states
a legal basis; a team lead can show the client's access log from here (L)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from ohjaus_core.domain.access_log import Purpose, purpose_label
from ohjaus_core.domain.languages import language_name
from ohjaus_core.domain.protected import non_disclosure
from ohjaus_core.domain.clock import local
from ohjaus_core.domain.codes import (
    BookingStatus, FollowUpKind, FollowUpStatus, Handover, OutcomeKind, PlanType, Register, Urgency,
)
from ohjaus_core.domain.text import NAME_SHOWN, NOTE_SHOWN, shown
from ..store.protection import EventKind
from ohjaus_core.domain.errors import DomainError
from ohjaus_core.domain.viewer import Permission
from ohjaus_core.i18n import N_, _, format_date, format_moment
from ..widgets.client_line import client_line
from ..theme import themed
from .audit import ViewTrail
from .consent import BasisScreen, ConsentScreen
from .frame import BackScreen
from .prompt import PromptScreen


FILTERS = [
    (None, N_("everything")),
    (EventKind.CONTACT, N_("contacts and assessments")),
    (EventKind.BOOKING, N_("appointments")),
    (EventKind.REFERRAL, N_("referrals")),
    (EventKind.FOLLOW_UP, N_("follow-ups")),
    (EventKind.DUTY, N_("notifications")),
]


class ClientScreen(BackScreen):
    BINDINGS = [
        Binding("s", "consent", N_("Consent")),
        Binding("b", "basis", N_("Legal basis")),
        Binding("l", "access_log", N_("Access log")),
        Binding("f", "filter", N_("Filter")),
        Binding("a", "bookings", N_("Bookings")),
        Binding("m", "merge", N_("Merge")),
    ]

    CSS_PATH = "client_view.tcss"
    TITLE_ID = "client-title"

    def __init__(self, client_id: str, purpose: str | None = None) -> None:
        """`purpose`: what the view is for when the flow that opens it knows (a contact);
        without one, a protected client's data waits until the worker states it."""
        super().__init__()
        self.client_id = client_id
        self.basis: str | None = None
        self.filter_index = 0
        self.purpose = purpose
        self.asked = False

    def body(self) -> ComposeResult:
        yield Static(id="client-flags")
        yield Static(id="client-registers")
        yield Static(id="client-consents")
        yield Static(id="client-high-need")
        yield Static(id="client-filter")
        yield DataTable(id="client-contacts", cursor_type="row")
        yield Static(id="client-message")

    def on_mount(self) -> None:
        client = self.ctx.store.clients.client(self.client_id)
        if client is not None:
            self.client_id = client.id  # a merged client's id leads to the real client
        self.protected = bool(client and client.protected)
        if self.protected and self.purpose is None:
            # A non-disclosure order: nothing of the client is shown before the purpose of
            # the view is stated; it goes to the access log with every entry of this view.
            if not self.asked:
                self.asked = True
                self.app.push_screen(
                    PromptScreen(
                        non_disclosure(),
                        _("This client has a non-disclosure order. Why do you open their data? (written to the access log)"),
                        check=lambda value: None if value.strip() else _("Say why you open the client's data."),
                    ),
                    self._purpose_stated,
                )
            return
        self._show(client)

    def _purpose_stated(self, purpose: str | None) -> None:
        if not purpose:
            self.app.pop_screen()  # nothing was shown
            return
        self.purpose = f"{Purpose.WORKLIST.value}:{purpose}"
        self._show(self.ctx.store.clients.client(self.client_id))

    def _show(self, client) -> None:
        purpose = Purpose(self.purpose.partition(":")[0]) if self.purpose else Purpose.CONTACT
        detail = self.purpose.partition(":")[2] if self.purpose else ""
        ViewTrail(self.ctx, "client", purpose, detail).shown([self.client_id])
        self.query_one("#client-title", Static).update(client_line(client) if client else Text(self.client_id))
        self.query_one("#client-flags", Static).update(self._flags(client))
        table = self.query_one("#client-contacts", DataTable)
        table.clear(columns=True)
        table.add_columns(_("Time"), _("Register"), _("What"), _("Details"))
        self.refresh_history()
        table.focus()

    @staticmethod
    def _flags(client) -> Text:
        """The non-disclosure order, the language of service and the interpreter (issue 20)."""
        line = Text()
        if client is None:
            return line
        if client.protected:
            line.append(" " + non_disclosure() + " ", style=themed("bold $alarm-text on $alarm"))
            line.append("  " + _("address and municipality are not shown; every view is logged"), style=themed("$alarm"))
            line.append("\n")
        line.append(_("Service language: {language}").format(
            language=language_name(client.service_language or client.language)), style=themed("$info"))
        if client.interpreter:
            line.append("  " + _("Interpreter needed"), style=themed("bold $info"))
        return line

    def after_relabel(self) -> None:
        if self.purpose is not None or not self.protected:
            self._show(self.ctx.store.clients.client(self.client_id))

    def refresh_history(self) -> None:
        ctx = self.ctx
        history = ctx.store.protection.client_history(
            self.client_id, ctx.viewer, ctx.now(), basis=self.basis,
            purpose=self.purpose if self.protected else None,
        )
        lines = Text()
        for register, purpose in history.shown.items():
            lines.append(f"{register.label}: ", style="bold")
            lines.append(_("shown ({purpose})").format(purpose=purpose_label(purpose)) + "\n")
        for register in history.not_shown:
            lines.append(f"{register.label}: ", style="bold")
            lines.append(
                _("not shown without the client's consent or a legal basis (S records consent, B states a basis)"),
                style=themed("$caution"),
            )
        self.query_one("#client-registers", Static).update(lines)
        consents = Text()
        for consent in ctx.store.protection.consents(self.client_id):
            source, target = Register(consent.from_register).label, Register(consent.to_register).label
            if consent.decision == "granted":
                consents.append(_("Consent: {source} -> {target} until {until}").format(
                    source=source, target=target,
                    until=format_date(consent.valid_until) if consent.valid_until else "-",
                ))
            else:
                consents.append(_("Consent refused: {source} -> {target}").format(source=source, target=target))
            consents.append("  " + _("recorded {time}").format(time=format_moment(local(consent.recorded_at))) + "\n", style="dim")
        self.query_one("#client-consents", Static).update(consents)
        self.history = history
        self.query_one("#client-high-need", Static).update(self._high_need_line(history))
        self.fill_timeline()
        if not history.rows:
            self.query_one("#client-message", Static).update(_("No signed contacts to show."))

    def _high_need_line(self, history) -> Text:
        high_need = history.high_need
        if high_need is None:
            return Text("")
        line = Text(_("High-need client"), style=themed("bold $notice-line"))
        if high_need.plan_type:
            line.append(f"  {PlanType(high_need.plan_type).label}")
        named = high_need.named_contact
        if named.startswith("team:"):
            named = _("own team: {unit}").format(unit=self.ctx.store.unit_name(named.removeprefix("team:")))
        if named:
            line.append("  " + _("named worker: {who}").format(who=shown(named, NAME_SHOWN)))
        return line

    def fill_timeline(self) -> None:
        """The events of the filter in force, newest first."""
        table = self.query_one("#client-contacts", DataTable)
        table.clear()
        wanted = FILTERS[self.filter_index][0]
        for event in self.history.timeline:
            if wanted is not None and event.kind != wanted:
                continue
            table.add_row(
                format_moment(local(event.at)),
                event.register.label,
                self._what(event),
                Text(shown(self._detail(event), NOTE_SHOWN), no_wrap=True, overflow="ellipsis"),
            )
        label = _(FILTERS[self.filter_index][1])
        self.query_one("#client-filter", Static).update(
            Text(_("Showing: {what} (F changes)").format(what=label), style="dim")
        )

    def _what(self, event) -> str:
        if event.kind == EventKind.CONTACT:
            # How the contact ended heads its line ("Slot booked: Same day"), in the place of
            # the word "Contact": a column of its own cut the details short (the safety-net
            # advice read out, at 100 columns) and was itself cut at 80 in Finnish.
            urgency = Urgency(event.title).worded(event.register) if event.title else ""
            head = OutcomeKind(event.outcome).short if event.outcome else _("Contact")
            return head + (f": {urgency}" if urgency else "")
        if event.kind == EventKind.BOOKING:
            status = BookingStatus(event.title) if event.title else None
            return _("Appointment") + (f": {status.label}" if status and status != BookingStatus.BOOKED else "")
        if event.kind == EventKind.REFERRAL:
            service = self.ctx.shipped.service(event.title)
            return _("Referral") + f": {service.name if service else event.title}"
        if event.kind == EventKind.DUTY:
            duty = next((p.duty(event.title) for p in self.ctx.shipped.protocols if p.duty(event.title)), None)
            return _("Duty made") + f": {duty.title if duty else event.title}"
        return _("Follow-up") + f": {FollowUpKind(event.title).label}"

    @staticmethod
    def _detail(event) -> str:
        if event.kind == EventKind.REFERRAL and event.detail:
            return Handover(event.detail).label
        if event.kind == EventKind.FOLLOW_UP and event.detail in {s.value for s in FollowUpStatus}:
            return FollowUpStatus(event.detail).label
        if event.kind == EventKind.CONTACT and event.safety_net:
            return f"{event.detail}  " + _("Read out: {advice}").format(advice=event.safety_net)
        return event.detail

    def action_bookings(self) -> None:
        """The client's booked visits: mark missed or done, cancel, move (issue 20)."""
        from .bookings import BookingsScreen

        if self.protected and self.purpose is None:
            return  # nothing of a protected client before the purpose is stated
        def back(changed: bool | None) -> None:
            if changed:
                self.refresh_history()

        self.app.push_screen(BookingsScreen(self.client_id, self.purpose if self.protected else None), back)

    def action_filter(self) -> None:
        self.filter_index = (self.filter_index + 1) % len(FILTERS)
        self.fill_timeline()

    def _say(self, message: str) -> None:
        self.query_one("#client-message", Static).update(Text(message))

    def action_consent(self) -> None:
        ctx = self.ctx
        viewer = ctx.viewer

        def record(result) -> None:
            if result is None:
                return
            granted, until, note = result
            try:
                ctx.store.protection.record_consent(viewer, self.client_id, viewer.other_register, granted, until, ctx.now(), note)
            except DomainError as error:
                self._say(str(error))
                return
            self._say(_("Consent recorded.") if granted else _("The refusal was recorded."))
            self.refresh_history()

        self.app.push_screen(ConsentScreen(viewer.other_register, viewer.register, ctx.now().date()), record)

    def action_basis(self) -> None:
        def shown(basis: str | None) -> None:
            if basis:
                self.basis = basis
                self.refresh_history()

        self.app.push_screen(BasisScreen(self.ctx.viewer.other_register), shown)

    def action_merge(self) -> None:
        """A team lead merges this client, recorded with a temporary identity code (or none),
        into the client with the real code (issue 20)."""
        from ..store.merge import real_code
        from .duplicates import MergeScreen

        if not self.ctx.viewer.may(Permission.MERGE):
            self._say(_("Only a team lead may merge clients."))
            self.app.bell()
            return
        client = self.ctx.store.clients.client(self.client_id)
        if client is None:
            return
        if real_code(client):
            self._say(_("This client has a real identity code: open the client with the temporary code and merge it into this one."))
            self.app.bell()
            return

        def merged(target) -> None:
            if target is None:
                return
            self.client_id = target.id
            self._show(target)
            self._say(_("Merged: the records are now on this client."))

        self.app.push_screen(MergeScreen(client), merged)

    def action_access_log(self) -> None:
        from .access_log_view import AccessLogScreen

        if not self.ctx.viewer.may(Permission.ACCESS_LOG):
            self._say(_("Only a team lead may show a client's access log."))
            self.app.bell()
            return
        self.app.push_screen(AccessLogScreen(self.client_id))
