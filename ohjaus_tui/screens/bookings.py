"""A client's booked visits (ajanvaraukset) after the contact: mark one missed (ei saapunut)
or done (toteutunut), cancel it (peruttu) or move it to another time (siirretty), each with a
reason. Opened from the client view (A). Every change is one store transaction with its
access-log entry, and syncs like any other change (docs/sync.md)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from ohjaus_core.domain.clock import local
from ohjaus_core.domain.codes import BookingStatus
from ohjaus_core.domain.errors import DomainError
from ohjaus_core.domain.text import NAME_SHOWN, NOTE_SHOWN, shown
from ohjaus_core.i18n import N_, _, format_date, format_time
from ..theme import themed
from ..widgets.slot_picker import SlotPicker
from .ask import AskScreen
from .frame import BackScreen
from .prompt import PromptScreen

STATUS_STYLE = {
    BookingStatus.BOOKED: "bold",
    BookingStatus.CANCELLED: "dim",
    BookingStatus.MOVED: "dim",
    BookingStatus.DONE: "$fine",
    BookingStatus.NO_SHOW: "bold $alarm",
}


def when(moment) -> str:
    return f"{format_date(local(moment))} {format_time(local(moment))}"


class BookingsScreen(BackScreen):
    BINDINGS = [
        Binding("e", "no_show", N_("Did not come")),
        Binding("p", "cancel_booking", N_("Cancel booking")),
        Binding("s", "move", N_("Move")),
        Binding("t", "done", N_("Visit done")),
    ]

    CSS_PATH = "bookings.tcss"
    TITLE_ID = "bookings-title"

    def __init__(self, client_id: str, purpose: str | None = None) -> None:
        """`purpose`: what a protected client's view is for, as stated in the client view."""
        super().__init__()
        self.client_id, self.purpose = client_id, purpose
        self.rows: list = []
        self.changed = False

    def body(self) -> ComposeResult:
        yield Static(id="bookings-help")
        yield DataTable(id="bookings-table", cursor_type="row")
        yield Static(id="bookings-message")

    def on_mount(self) -> None:
        self.show()

    def after_relabel(self) -> None:
        self.show()

    def show(self, keep: str | None = None) -> None:
        from ..widgets.client_line import client_line

        ctx = self.ctx
        client = ctx.store.clients.client(self.client_id)
        title = Text(_("Bookings") + ": ", style="bold")
        title.append(client_line(client) if client else Text(self.client_id))
        self.query_one("#bookings-title", Static).update(title)
        self.query_one("#bookings-help", Static).update(
            _("E did not come, T visit done, P cancel, S move to another time")
        )
        table = self.query_one("#bookings-table", DataTable)
        table.clear(columns=True)
        table.add_columns(_("Time"), _("Status"), _("Professional"), _("Reason"))
        self.rows = ctx.store.bookings.bookings(self.client_id, ctx.viewer, ctx.now(), purpose=self.purpose)
        for index, row in enumerate(self.rows):
            table.add_row(
                when(row.starts_at),
                Text(row.status.label, style=themed(STATUS_STYLE[row.status])),
                Text(shown(row.professional, NAME_SHOWN), no_wrap=True, overflow="ellipsis"),
                Text(shown(row.reason, NOTE_SHOWN), no_wrap=True, overflow="ellipsis"),
                key=str(index),
            )
        if not self.rows:
            self.say(_("No booked visits to show."))
        elif keep is not None:
            index = next((i for i, r in enumerate(self.rows) if r.contact_id == keep and r.current), 0)
            table.move_cursor(row=index)
        table.focus()

    def say(self, message: str) -> None:
        self.query_one("#bookings-message", Static).update(Text(message))

    def _chosen(self):
        """The highlighted booking, if it is a visit's time now (a moved-from time is history)."""
        table = self.query_one("#bookings-table", DataTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            return None
        row = self.rows[table.cursor_row]
        if not row.current:
            self.say(_("This time was moved to another; choose the visit's time now."))
            self.app.bell()
            return None
        if row.status != BookingStatus.BOOKED:
            self.say(_("This booking is already marked: {status}.").format(status=row.status.label))
            self.app.bell()
            return None
        return row

    def _ask(self, row, status: BookingStatus, question: str, required: bool, new_slot_id: str | None = None) -> None:
        def check(value: str) -> str | None:
            return _("Say why.") if required and not value.strip() else None

        def answered(reason: str | None) -> None:
            if reason is None:
                return
            self._change(row, status, reason, new_slot_id)

        self.app.push_screen(PromptScreen(f"{when(row.starts_at)}  {row.professional}", question, check=check), answered)

    def _change(self, row, status: BookingStatus, reason: str, new_slot_id: str | None) -> None:
        ctx = self.ctx
        try:
            ctx.store.bookings.change_booking(ctx.viewer, row.contact_id, status, reason, ctx.now(), new_slot_id=new_slot_id)
        except DomainError as error:
            self.show(keep=row.contact_id)
            self.say(str(error))
            self.app.bell()
            return
        self.changed = True
        self.show(keep=row.contact_id)
        if new_slot_id is not None:
            self.say(_("The booking was moved; the earlier time was given back."))
        elif status == BookingStatus.CANCELLED:
            self.say(_("The booking was cancelled; its time was given back."))
        elif status == BookingStatus.NO_SHOW:
            self.say(_("Recorded: the client did not come. It counts toward the high-need trigger."))
        else:
            self.say(_("Recorded: the visit was done."))
        app = self.ohjaus
        app.refresh_sync_status()
        if app.sync_state.status.configured:
            app.action_sync_now()  # on its way at once, if online

    def action_back(self) -> None:
        self.dismiss(self.changed)

    def action_no_show(self) -> None:
        self._mark(BookingStatus.NO_SHOW, _("The client did not come and did not cancel. Anything to add? (Enter)"), False)

    def action_done(self) -> None:
        self._mark(BookingStatus.DONE, _("The visit was done. Anything to add? (Enter)"), False)

    def action_cancel_booking(self) -> None:
        self._mark(BookingStatus.CANCELLED, _("Why is the booking cancelled?"), True)

    def _mark(self, status: BookingStatus, question: str, required: bool) -> None:
        """The chosen visit gets `status` after the worker answers `question` (a reason is
        needed where `required`)."""
        row = self._chosen()
        if row is not None:
            self._ask(row, status, question, required)

    def action_move(self) -> None:
        row = self._chosen()
        if row is None:
            return
        ctx = self.ctx
        offers, deadline = ctx.store.bookings.move_offers(row.contact_id, ctx.now())

        def picked(slot_id: str | None) -> None:
            if slot_id is not None:
                self._ask(row, BookingStatus.BOOKED, _("Why is the booking moved?"), True, new_slot_id=slot_id)

        self.app.push_screen(MoveScreen(row, offers, deadline), picked)


class MoveScreen(AskScreen):
    """The slot picker of the contact flow, for a booked visit's new time; dismisses the
    chosen slot's id, or None."""

    CSS_PATH = "bookings.tcss"

    def __init__(self, row, offers, deadline) -> None:
        super().__init__()
        self.row, self.offers, self.deadline = row, offers, deadline

    def heading(self) -> str:
        return _("Move the booking")

    def body(self) -> ComposeResult:
        yield SlotPicker(id="move-slots")

    def on_mount(self) -> None:
        row = self.row
        lines = [_("Now: {when}, {who}").format(
            when=when(row.starts_at), who=row.professional)]
        if self.deadline is not None:
            lines.append(_("Care deadline {date}").format(date=format_date(self.deadline)))
        picker = self.query_one(SlotPicker)
        picker.show(self.offers, " · ".join(lines), None)
        picker.focus_table()

    def on_slot_picker_chosen(self, event: SlotPicker.Chosen) -> None:
        event.stop()
        self.dismiss(event.offer.slot_id)


