"""A client's access log: who has used their data, when, what and on what basis (the
client's right to know, Client Data Act 703/2023 § 11). The line above the table says
whether this device's log is whole (its hash chain)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from ohjaus_core.domain.access_log import AccessAction, Purpose, item_label, purpose_label
from ohjaus_core.domain.clock import local
from ohjaus_core.domain.codes import Register
from ohjaus_core.domain.text import NAME_SHOWN, NOTE_SHOWN, shown
from ohjaus_core.i18n import N_, _, format_moment
from .frame import BackScreen
from ..theme import themed
from ..widgets.footer import Footer
from ..widgets.title_bar import TitleBar



class AccessLogScreen(BackScreen):
    BINDINGS = [Binding("c", "central", N_("All devices"))]

    CSS_PATH = "access_log_view.tcss"

    def __init__(self, client_id: str) -> None:
        super().__init__()
        self.client_id = client_id

    def compose(self) -> ComposeResult:
        """The frame without the sync badge."""
        yield TitleBar(id="log-title")
        yield Static(id="log-chain")
        yield DataTable(id="log", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        ctx = self.ctx
        client = ctx.store.clients.client(self.client_id)
        name = f"{client.last_name} {client.first_name}" if client else self.client_id
        self.query_one("#log-title", Static).update(Text(_("Access log: {name}").format(name=name)))
        rows = ctx.store.protection.access_log_for(self.client_id, ctx.viewer, ctx.now())
        check = ctx.store.protection.verify_access_log()
        if check.intact:
            chain = Text(_("This device's log is whole: {n} entries, each linked to the one before.").format(n=check.entries), style=themed("$fine-line"))
        else:
            seq, what = check.problems[0]
            chain = Text(
                _("This device's log has been tampered with: entry {seq}: {what} ({n} problems).").format(
                    seq=seq, what=what, n=len(check.problems)
                ),
                style=themed("bold $alarm-line"),
            )
        self.query_one("#log-chain", Static).update(chain)
        table = self.query_one("#log", DataTable)
        table.add_columns(_("Time"), _("Worker"), _("What"), _("Data"), _("Register"), _("Basis"))
        for row in rows:
            entry = row.entry
            table.add_row(
                format_moment(local(entry.at)),
                Text(shown(row.worker_name, NAME_SHOWN)),
                AccessAction(entry.action).label,
                Text(item_label(entry.item)),
                Register(entry.sector).label if entry.sector else "-",
                Text(shown(purpose_label(entry.purpose), NOTE_SHOWN)),
            )
        table.focus()

    def after_relabel(self) -> None:
        self.on_mount()

    # -- every device's entries, from the central API ----------------------------------------

    def action_central(self) -> None:
        """C: the log of every device of the unit for this client, asked from the central
        API (in a thread: the screen never waits for the network) - of this device's registers
        only: another register's use of the client's data is not given to it."""
        self.query_one("#log-chain", Static).update(Text(_("Asking the central API..."), style="dim"))
        self.run_worker(self._fetch, thread=True, exclusive=True, group="central-log", exit_on_error=False)

    def _fetch(self) -> None:
        from ..sync.client import SyncError, fetch_access_log

        ctx = self.ctx
        try:
            events = fetch_access_log(ctx.store, self.client_id)
        except SyncError as error:
            self.app.call_from_thread(self._central_failed, str(error))
            return
        self.app.call_from_thread(self._show_central, events)

    def _central_failed(self, message: str) -> None:
        self.query_one("#log-chain", Static).update(Text(message, style=themed("$caution-line")))

    def _show_central(self, events: list[dict]) -> None:
        from datetime import datetime

        ctx = self.ctx
        ctx.store.protection.log_access(
            ctx.viewer, [self.client_id], AccessAction.VIEW, "access log", Purpose.RIGHT_TO_KNOW.value, ctx.now()
        )
        self.query_one("#log-chain", Static).update(
            Text(
                _("Entries of every device of this unit in this device's registers, from the central API: {n}.")
                .format(n=len(events)),
                style=themed("$fine-line"),
            )
        )
        table = self.query_one("#log", DataTable)
        table.clear()
        for event in events:
            at = event["at"] if isinstance(event["at"], datetime) else datetime.fromisoformat(str(event["at"]))
            item = event.get("item") or ""
            table.add_row(
                format_moment(local(at)),
                Text(shown(event.get("worker_name") or "-", NAME_SHOWN)),
                AccessAction(event["action"]).label if event["action"] in {a.value for a in AccessAction} else event["action"],
                Text(item_label(item)),
                Register(event["sector"]).label if event.get("sector") else "-",
                Text(purpose_label(event.get("purpose") or "") + (f" ({event['unit_code']})" if event.get("unit_code") else "")),
            )
