"""Builders the tests share: the demo's workers by username, a client added by hand, an
advice-only contact ready to sign, who holds a slot. Each test file used to carry its own copy."""

from __future__ import annotations

from datetime import date, datetime

from ohjaus_core.domain.codes import Language, OutcomeKind, Segment, ServiceArea, Urgency
from ohjaus_core.domain.contact import ContactDraft
from ohjaus_core.domain.identity import make_identity_code
from ohjaus_tui.store.models import Slot, Worker

from .conftest import FIXED_NOW


def worker(store, username: str = "hoitaja1") -> Worker:
    """The demo worker signed in as `username` (hoitaja1: a nurse of JL-KESK)."""
    return next(w for w in store.workers() if w.username == username)


def worker_id(store, username: str) -> str:
    return worker(store, username).id


def viewer(store, username: str):
    """What `username` may see and do, as the store checks it."""
    return store.viewer(worker_id(store, username))


def add_client(
    store, born: date, individual: int | None, first: str, last: str, *, by=None,
    phone: str | None = None, municipality: str = "Järvilaakso", **fields,
):
    """A Finnish-speaking client added at FIXED_NOW (a temporary identity code allowed; none
    when `individual` is None), by the viewer `by` (created by no one when None)."""
    return store.add_client(
        first_name=first, last_name=last,
        identity_code=make_identity_code(born, individual) if individual else None,
        phone=phone, language=Language.FI, municipality=municipality,
        created_by=by.worker_id if by else None, now=FIXED_NOW, allow_temporary=True, viewer=by,
        **fields,
    )


def advice_draft(
    store, client_id: str | None = None, *, by: Worker | None = None, started: datetime = FIXED_NOW,
    reason: str = "Kysyy aukioloaikoja", **fields,
) -> ContactDraft:
    """An advice-only health contact by `by` (hoitaja1 when None) ready to sign: no symptoms,
    self-care, advice given; anonymous without a client. `fields` set anything else of it."""
    by = by or worker(store)
    return ContactDraft(**{
        "worker_id": by.id, "unit_id": by.unit_id, "started_at": started, "client_id": client_id,
        "anonymous": client_id is None, "reason": reason, "service_area": ServiceArea.HEALTH,
        "protocol_id": "advice_only", "protocol_version": 1, "answers": {"has_symptoms_or_worry": False},
        "suggested_urgency": Urgency.SELF_CARE, "urgency": Urgency.SELF_CARE, "segment": Segment.ADVICE,
        "outcome_kind": OutcomeKind.ADVICE, "advice_text": "Aukioloajat kerrottu", **fields,
    })


def slot_holder(store, slot_id: str) -> str | None:
    """The contact a slot is booked for, None when it is free."""
    with store.session() as session:
        return session.get(Slot, slot_id).booked_contact_id
