"""One contact being made: its draft, its client (read once) and its time limits.

No Textual here. The contact screen makes a `ContactFlow` and gives it to its step panels
(`panel.flow`); a panel reads what it needs from it instead of asking the store or the screen
again, and posts a message for what it changes (the screen redraws the deadline line).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from ohjaus_core.domain.clock import local
from ohjaus_core.domain.codes import Register, ServiceArea
from ohjaus_core.domain.contact import ContactDraft
from ohjaus_core.domain.deadlines.contact import Deadline, DeadlineKind, age_on, contact_deadlines
from ohjaus_core.domain.deadlines.rules import NoCareGuaranteeRule
from ohjaus_core.domain.slots import CHILD_HEALTH_PROFESSIONS, CHILD_UNTIL
from ohjaus_core.i18n import _, format_moment

if TYPE_CHECKING:
    from ohjaus_core.domain.protocols.model import Protocol
    from .context import Context
    from .store.models import Client

SLOT_SEARCH_DAYS = 28
_UNREAD = object()  # no client read yet


class ContactFlow:
    """The state one contact screen and its steps share."""

    def __init__(self, ctx: Context, draft: ContactDraft) -> None:
        self.ctx = ctx
        self.draft = draft
        self.deadlines: list[Deadline] = []  # as last worked out (`refresh_deadlines`)
        self._client_id: object = _UNREAD
        self._client: Client | None = None

    @property
    def client(self) -> Client | None:
        """The contact's client: read from the store once, and again only when another client
        is chosen (or after a sync, `forget_client`); None for a new or unidentified one."""
        client_id = self.draft.client_id
        if client_id != self._client_id:
            self._client = self.ctx.store.clients.client(client_id) if client_id else None
            self._client_id = client_id
        return self._client

    def take_client(self, client: Client) -> None:
        """The worker chose `client` (already read): the draft is theirs from now on."""
        self._client_id, self._client = client.id, client

    def forget_client(self) -> None:
        """A sync round may have changed the client: read again when next asked."""
        self._client_id = _UNREAD

    def client_age(self) -> int | None:
        """The client's age in years today from the birth date (None when unknown)."""
        client = self.client
        return age_on(client.birth_date, self.ctx.now().date()) if client and client.birth_date else None

    def child(self) -> bool:
        age = self.client_age()
        return age is not None and age < CHILD_UNTIL

    def protocol(self) -> Protocol | None:
        draft = self.draft
        return self.ctx.shipped.protocol(draft.protocol_id) if draft.protocol_id else None

    def refresh_deadlines(self) -> list[Deadline]:
        """Every time limit of the draft as it stands now, kept in `deadlines`."""
        self.deadlines = draft_deadlines(self.ctx, self.draft, self.client)
        return self.deadlines

    def free_slots(self, child: bool) -> list:
        """The free slots of the service area; for a child also the child-health professionals
        (neuvola), who are in the family services' area (a child's fever is a health need)."""
        draft, store, now = self.draft, self.ctx.store, self.ctx.now()
        until = now + timedelta(days=SLOT_SEARCH_DAYS)
        free = store.bookings.free_slots(draft.service_area, now, until)
        if child and draft.service_area.register is Register.HEALTH:
            free += [
                o for o in store.bookings.free_slots(ServiceArea.FAMILY, now, until)
                if o.profession_code in CHILD_HEALTH_PROFESSIONS
            ]
            free.sort(key=lambda o: o.starts_at)
        return free


def draft_deadlines(ctx: Context, draft: ContactDraft, client: Client | None = None) -> list[Deadline]:
    """Every time limit that applies to the draft as it stands; [] before the service area.
    `client`: the draft's client, as the flow read it."""
    if draft.service_area is None:
        return []
    started = local(draft.started_at)
    day = started.date()
    protocol = ctx.shipped.protocol(draft.protocol_id) if draft.protocol_id else None
    statutory = protocol is not None and protocol.in_statutory_group(draft.answers)
    arguments = dict(
        register=draft.service_area.register.value,
        service_area=draft.service_area.value,
        age=age_on(client.birth_date if client else None, day),
        statutory_group=statutory,
        duties=tuple(draft.duties),
        contact_time=started.time().replace(tzinfo=None),
    )
    try:
        return contact_deadlines(ctx.shipped.region, day, urgency=draft.urgency, **arguments)
    except NoCareGuaranteeRule as error:
        # A gap in the region's rules: the other limits still show, and the gap is named.
        deadlines = contact_deadlines(ctx.shipped.region, day, urgency=None, **arguments)
        return deadlines + [Deadline(DeadlineKind.CARE, None, str(error))]


def duty_line(ctx: Context, duty) -> str:
    """One duty made, as the outcome step and the signed contact show it."""
    protocol = next((p for p in ctx.shipped.protocols if p.duty(duty.duty)), None)
    title = protocol.duty(duty.duty).title if protocol else duty.duty
    line = _("{duty}: to {receiver}, {method}, {time}").format(
        duty=title, receiver=duty.receiver, method=duty.method.label.lower(),
        time=format_moment(duty.made_at),
    )
    if duty.about:
        line += "; " + _("about: {who}").format(who=duty.about)
    return line
