"""Builders the tests share: the demo's workers by username, a client added by hand, an
advice-only contact ready to sign, a booked visit, who holds a slot, the contacts signed.
Test files used to carry copies of these, or import them from one another."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import select

from ohjaus_core.domain.codes import Language, OutcomeKind, Segment, ServiceArea, Urgency
from ohjaus_core.domain.contact import ContactDraft
from ohjaus_core.domain.identity import make_identity_code
from ohjaus_tui.store.models import Contact, Slot, Worker

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
    return store.clients.add_client(
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


def region_catalogue_in_use(store) -> list | None:
    """The services of the region's catalogue the device holds, checked as the start checks
    it (None: none is held, the data folder's is used)."""
    from ohjaus_core.domain.catalogue import shipped_social

    services, _told = store.pull.region_catalogue_checked(shipped_social)
    return services


def client_in_both_registers(store) -> str:
    """A demo client with signed contacts in the health and the social register."""
    with store.session() as session:
        rows = session.exec(
            select(Contact.client_id, Contact.sector).where(Contact.status == "signed").where(Contact.client_id != None)  # noqa: E711
        ).all()
    sectors: dict[str, set] = {}
    for client_id, sector in rows:
        sectors.setdefault(client_id, set()).add(sector)
    return next(c for c, s in sorted(sectors.items()) if s == {"health", "social"})


def nurse_unit(store) -> str:
    """The unit of the nurse hoitaja1."""
    return worker(store, "hoitaja1").unit_id


def new_signed(store, before: set[str]):
    """The one contact signed since `signed_ids` gave `before`, as a draft."""
    new = [c for c in store.contacts.signed_contacts(limit=10_000) if c.id not in before]
    assert len(new) == 1, "exactly one new signed contact"
    return store.contacts.load_draft(new[0].id)


def signed_ids(store) -> set[str]:
    return {c.id for c in store.contacts.signed_contacts(limit=10_000)}


def new_client(store, born: date, individual: int, last_name: str):
    """A client called Testi `last_name`, added by no one."""
    return add_client(store, born, individual, "Testi", last_name)


def sign_advice(store, client_id: str, worker: str, started) -> None:
    """A signed advice-only contact in the client's history."""
    draft = advice_draft(
        store, client_id, by=store.worker(worker), started=started, reason="Kysyi taas",
        service_area=ServiceArea.WORKING_AGE, answers={"advice_only_ok": False},
        suggested_segment=Segment.ADVICE, advice_text="Neuvottu",
    )
    store.contacts.sign(draft, started + timedelta(minutes=5))


def booked_visit(store, future: bool = True, index: int = 0, username: str | None = None, client=None):
    """A visit booked by a signed contact of a demo client at a nurse's unit: a future one, or
    one whose time has passed (made 10 days ago for 5 days ago). Returns (contact, slot, viewer)."""
    nurse = next(
        w for w in store.workers()
        if (w.username == username if username else (w.sector == "health" and w.role == "nurse"))
    )
    client = client or next(c for c in store.clients.find_clients("a", limit=50) if not c.protected)
    started = FIXED_NOW - (timedelta(0) if future else timedelta(days=10))
    begin = FIXED_NOW + timedelta(hours=1) if future else FIXED_NOW - timedelta(days=5)
    offers = store.bookings.free_slots(ServiceArea.HEALTH, begin, begin + timedelta(days=14), None)
    offer = offers[index]
    draft = ContactDraft(
        worker_id=nurse.id, unit_id=nurse.unit_id, started_at=started, client_id=client.id, reason="Verenpaine",
        service_area=ServiceArea.HEALTH, protocol_id="advice_only", protocol_version=1,
        answers={"has_symptoms_or_worry": False}, language=Language.FI,
    )
    draft.suggested_urgency = draft.urgency = Urgency.NON_URGENT
    draft.suggested_segment = draft.segment = Segment.CLEAR_NEED
    draft.outcome_kind, draft.slot_id = OutcomeKind.BOOKING, offer.slot_id
    store.contacts.sign(draft, started)
    with store.session() as session:
        contact, slot = session.get(Contact, draft.id), session.get(Slot, offer.slot_id)
    return contact, slot, store.viewer(nurse.id)
