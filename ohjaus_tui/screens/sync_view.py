"""Rejected changes and conflicts, so nothing the central API refused goes unseen."""

from __future__ import annotations

import json
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from ohjaus_core.domain.catalogue import kept_aside_text, social_of
from ohjaus_core.domain.clock import local
from ohjaus_core.domain.text import NAME_SHOWN, shown
from ohjaus_core.i18n import N_, _, format_moment, ngettext
from .frame import BackScreen

REASONS = {
    "invalid": N_("The central API could not read the record"),
    "out_of_scope": N_("Not of this device's unit or register"),
    "unknown_reference": N_("Refers to a record the central API does not have"),
    "immutable": N_("A signed contact was sent again with other content"),
    "slot_taken": N_("The time was booked on another device first: a follow-up to rebook was made"),
    "follow_up_closed": N_("The follow-up was closed on another device first"),
    "concurrent_edit": N_("Changed on another device too: this version was kept, the other saved"),
    "two_corrections": N_("Another correction of the same contact exists: both kept"),
    "callback_taken": N_("Another worker took or finished this callback request first: it is theirs"),
    "booking_changed": N_("The booking was cancelled, moved or marked on another device first: the booking is as they left it"),
    "not_permitted": N_("The worker's role may not do this: the central API refused it"),
}
# A booking moved into a time another device took first (issue 20): nothing was moved.
MOVE_TAKEN = N_("The new time was booked on another device first: the booking stays as it was")

# Pulled records kept aside (sync_quarantine): the pull went on without them.
KEPT_ASIDE = {
    "missing_reference": N_("Received, but refers to a record this device does not have: kept aside, "
                            "tried again at every sync, reported to the central API"),
    "duplicate_identity_code": N_("Received a second client with an identity code this device already "
                                  "holds: kept aside, reported to the central API"),
    "invalid": N_("Received, but this device cannot store it: kept aside, reported to the central API"),
    "unreadable": N_("Received, but this version cannot read it (damaged, or from a newer version): kept aside, "
                     "reported to the central API; tried again at every sync and after an update"),
}

KINDS = {"rejected": N_("Rejected"), "conflict": N_("Conflict"), "kept_aside": N_("Kept aside")}
RECORDS = {
    "client": N_("Client"),
    "contact": N_("Contact"),
    "follow_up": N_("Follow-up"),
    "booking": N_("Booking"),
    "callback": N_("Callback request"),
    "merge": N_("Merge of clients"),
    "consent": N_("Consent"),
    "missed_appointment": N_("Missed appointment"),
    "appointment": N_("Booked visit"),
    "slot": N_("Time slot"),
    "worker": N_("Worker"),
    "unit": N_("Unit"),
    "professional": N_("Professional"),
    "catalogue": N_("Referral catalogue"),
}


def describe(record_type: str, data: str) -> str:
    """A short, recognisable description of the record a problem is about."""
    try:
        record = json.loads(data)
    except ValueError:
        return ""
    if not isinstance(record, dict):  # a record kept aside as unreadable
        return ""
    if record_type == "client":
        return shown(f"{record.get('last_name', '')} {record.get('first_name', '')}".strip(), NAME_SHOWN)
    if record_type == "contact":
        contact = record.get("contact")
        contact = contact if isinstance(contact, dict) else {}
        return shown(str(contact.get("reason", "")), 40)
    if record_type == "callback":
        return shown(f"{record.get('name', '')} {str(record.get('reason', ''))[:60]}".strip(), 40)
    if record_type == "follow_up":
        return shown(f"{record.get('due', '')} {str(record.get('note', ''))[:60]}".strip(), 40)
    if record_type == "missed_appointment":
        return _moment_of(record.get("starts_at"))  # which one: its time
    return ""


def _moment_of(value) -> str:
    """A record's ISO time as the lists show it, or "" when it is not one."""
    try:
        return format_moment(local(datetime.fromisoformat(str(value))))
    except ValueError:
        return ""


def removal_text(removal: dict) -> str:
    """The last sync that removed clients from this device (issue 20), in one line."""
    parts = [
        ngettext(
            "{clients} client and {records} of their records left this device",
            "{clients} clients and {records} of their records left this device",
            removal["removed"],
        ).format(clients=removal["removed"], records=removal["records"])
    ]
    if removal["kept"]:
        parts.append(
            ngettext(
                "{n} due to leave stays for now (unsent changes or open items)",
                "{n} due to leave stay for now (unsent changes or open items)",
                removal["kept"],
            ).format(n=removal["kept"])
        )
    if removal["restored"]:
        parts.append(_("{n} came back").format(n=removal["restored"]))
    return _("Sync {when}: {what}; the central API keeps every record and the access log.").format(
        when=format_moment(local(removal["at"])), what=", ".join(parts)
    )


class SyncViewScreen(BackScreen):
    BINDINGS = [Binding("f5", "app.sync_now", N_("Sync now"))]

    CSS_PATH = "sync_view.tcss"
    TITLE_ID = "sync-title"

    def heading(self) -> str:
        return _("Sync: rejected changes, conflicts and records kept aside")

    def body(self) -> ComposeResult:
        yield Static(id="sync-error")  # the last round's error in full: the status line cuts it
        yield Static(id="sync-empty")
        yield Static(id="sync-removed")  # clients that left this device at a sync
        yield Static(id="sync-catalogue")  # fields of the region's catalogue this version leaves out
        yield DataTable(id="sync-problems", cursor_type="row")
        yield Static(id="sync-detail")  # the highlighted row in full: the table cuts long reasons

    def after_relabel(self) -> None:
        self.on_mount()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_columns(_("When"), _("What"), _("Record"), _("Why"))
        store = self.ctx.store
        self._why: dict[str, str] = {}
        problems = store.outbox.sync_problems()
        rows = [
            (problem.id, problem.at, _(KINDS.get(problem.kind, problem.kind)), problem.record_type, problem.data,
             _(MOVE_TAKEN) if (problem.record_type, problem.reason) == ("appointment", "slot_taken")
             else _(REASONS[problem.reason]) if problem.reason in REASONS else problem.reason)
            for problem in problems
        ]
        kept = store.pull.quarantined()
        rows += [
            (f"kept:{row.record_type}:{row.record_id}", row.at, _(KINDS["kept_aside"]), row.record_type, row.data,
             self._kept_why(row))
            for row in kept
        ]
        for key, at, kind, record_type, data, why in rows:
            record = f"{_(RECORDS.get(record_type, record_type))} {describe(record_type, data)}"
            table.add_row(format_moment(local(at)), kind, Text(record), why, key=key)
            self._why[key] = f"{kind}: {record}\n{why}"
        status = store.outbox.sync_status()
        failed = self.query_one("#sync-error", Static)
        failed.display = bool(status.configured and status.last_error)
        failed.update(Text(_("The last sync did not succeed: {error}").format(error=status.last_error)))
        removal = store.removal.last_removal()
        removed = self.query_one("#sync-removed", Static)
        removed.display = removal is not None
        if removal is not None:
            removed.update(removal_text(removal))
        ignored = store.pull.region_catalogue_ignored()
        catalogue = self.query_one("#sync-catalogue", Static)
        catalogue.display = bool(ignored)
        if ignored:
            catalogue.update(
                _("The region's referral catalogue is in use without fields this version does not read "
                  "({fields}): they only order the services offered first. Ask for an update of the application.")
                .format(fields=", ".join(ignored))
            )
        empty = self.query_one("#sync-empty", Static)
        empty.update("" if rows else _("Nothing was rejected and there are no conflicts."))
        empty.set_class(bool(rows), "-none")
        self.query_one("#sync-detail", Static).display = bool(rows)
        table.focus()

    def _kept_why(self, row) -> str:
        if row.record_type == "catalogue":
            # Which service and duty, said again in the language shown now (F9 redraws).
            return kept_aside_text(row.data, social_of(self.ctx.shipped.protocols), row.detail)
        return _(KEPT_ASIDE[row.reason]) if row.reason in KEPT_ASIDE else row.reason

    def on_sync_finished(self, event) -> None:
        """F5 here: what the round changed (its error, or none) shows at once."""
        self.on_mount()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value if event.row_key else None
        self.query_one("#sync-detail", Static).update(Text(self._why.get(key or "", "")))

    def on_unmount(self) -> None:
        # Seen once the worker leaves the list: while it is open, the status line still
        # counts them (the badge reads the store on its own task, so marking them at mount
        # raced with it).
        self.ctx.store.outbox.mark_problems_seen()
