"""Client data protection in the store: registers and consent, and the access log. A
repository of the Store (store.protection); sign-in is store.sign_in (sign_in.py).

The register rule lives in the queries, not in the screens: a method that returns a
client's records takes the Viewer and returns only the registers the viewer may see now
(their own, one the client has consented to, or one a legal basis was stated for).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ohjaus_core.domain.access_log import GENESIS, AccessAction, ChainCheck, Entry, Purpose, entry_hash, verify_chain
from ohjaus_core.domain.clock import HELSINKI, local
from ohjaus_core.domain.codes import ContactStatus, OutcomeKind, Register, ServiceArea, Urgency
from ohjaus_core.domain.contact import new_id
from ohjaus_core.domain.errors import DomainError
from ohjaus_core.domain.viewer import Permission, Viewer
from ohjaus_core.i18n import _
from ohjaus_core.protocol import RecordType
from .driver_sql import DriverSql
from .models import (
    AccessLog, Appointment, Assessment, Client, Consent, Contact, FollowUp, Outcome, Professional,
    SegmentChoice, Slot, Worker,
)
from .repository import Repository
from .sync_side import dump, enqueue


@dataclass(frozen=True)
class HistoryRow:
    contact_id: str
    started_at: datetime
    register: Register
    service_area: ServiceArea | None
    reason: str
    urgency: Urgency | None
    outcome: OutcomeKind | None
    worker_name: str
    safety_net: str = ""  # the safety-netting advice read out to the caller


class EventKind(StrEnum):
    CONTACT = "contact"
    BOOKING = "booking"
    REFERRAL = "referral"
    FOLLOW_UP = "follow_up"
    DUTY = "duty"  # a notification or a safety response made (issue 16)


@dataclass(frozen=True)
class TimelineEvent:
    kind: EventKind
    at: datetime
    register: Register
    contact_id: str
    title: str  # a code the screen labels: urgency, service code, follow-up kind
    detail: str  # free text or a name: reason, professional, result
    safety_net: str = ""  # a contact: the safety-netting advice read out to the caller
    outcome: str = ""  # a contact: how it ended (OutcomeKind), "" when it recorded none


@dataclass(frozen=True)
class HighNeed:
    plan_type: str | None
    named_contact: str  # the named worker's name, or the team's unit id prefixed "team:"
    since: datetime


@dataclass(frozen=True)
class ClientHistory:
    rows: list[HistoryRow]
    shown: dict[Register, str]  # register -> the purpose it is shown on
    not_shown: list[Register]
    timeline: list[TimelineEvent] = field(default_factory=list)  # newest first
    high_need: HighNeed | None = None


@dataclass(frozen=True)
class AccessRow:
    entry: Entry
    worker_name: str


def _entry(row: AccessLog) -> Entry:
    return Entry(
        seq=row.seq, id=row.id, at=row.at, worker_id=row.worker_id, unit_id=row.unit_id,
        client_id=row.client_id, action=row.action, item=row.item, sector=row.sector,
        purpose=row.purpose, recipient=row.recipient, prev_hash=row.prev_hash, hash=row.hash,
    )


def write_access(
    session: Session | DriverSql,
    viewer: Viewer,
    client_ids: Iterable[str | None],
    action: AccessAction,
    item: str,
    purpose: str,
    now: datetime,
    register: Register | str | None = None,
    recipient: str = "",
) -> None:
    """Append entries to the access log in the caller's transaction, each chained to the
    one before. The numbers are given here, without gaps: a second writer that took the
    same number fails on the primary key instead of forking the chain. Driver SQL on the
    session's connection (issue 18)."""
    sql = session if isinstance(session, DriverSql) else DriverSql(session)
    last = sql.first("SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1")
    seq, previous = (last[0], last[1]) if last else (0, GENESIS)
    anchor = sql.first("SELECT count, hash FROM access_log_anchor WHERE id = 1")
    if anchor is not None and anchor[0] > seq:
        # Entries were cut from the end of the log: the numbers go on from the anchor, so the
        # gap stays for `log verify` and the central API to find, and the device keeps working.
        seq, previous = anchor[0], anchor[1]
    register = register.value if isinstance(register, Register) else register
    for client_id in client_ids:
        seq += 1
        entry = Entry(
            seq=seq, id=new_id(), at=now, worker_id=viewer.worker_id, unit_id=viewer.unit_id,
            client_id=client_id, action=action.value, item=item, sector=register,
            purpose=purpose, recipient=recipient, prev_hash=previous,
        )
        previous = entry_hash(entry)
        sql.insert(AccessLog.__table__, {**entry.__dict__, "hash": previous})
    # The anchor moves in the same transaction: the log's own table cannot rewrite it.
    sql.run(
        "INSERT INTO access_log_anchor (id, count, hash) VALUES (1, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET count = excluded.count, hash = excluded.hash",
        (seq, previous),
    )


ROW_CLIENT = object()  # save_change: the client is the row's own client_id


def save_change(
    session: Session, row, record_type: RecordType, now: datetime, viewer: Viewer | None = None,
    item: str = "", purpose: str = Purpose.CONTACT.value, *, action: AccessAction = AccessAction.CHANGE,
    client_id: str | None | object = ROW_CLIENT, register: Register | str | None = None,
) -> None:
    """A record written with its outbox entry and, with a viewer and a client (the row's own
    `client_id` unless given; None: no client, no entry), its access-log entry: all in the
    caller's transaction."""
    session.add(row)
    session.flush()
    enqueue(session, record_type, row.id, dump(row), now)
    client = getattr(row, "client_id", None) if client_id is ROW_CLIENT else client_id
    if viewer is not None and client:
        write_access(session, viewer, [client], action, item, purpose, now, register)


def in_force_consents(session: Session, client_id: str, to_register: Register, now: datetime) -> dict[str, str]:
    """from_register -> consent id, for the consents in force now: the latest decision of
    each direction counts (a later denial ends an earlier consent)."""
    rows = session.exec(
        select(Consent)
        .where(Consent.client_id == client_id)
        .where(Consent.to_register == to_register.value)
        .order_by(col(Consent.recorded_at).desc())
    )
    today, latest, denied = local(now).date(), {}, set()
    for row in rows:
        # The latest decision counts (a revoked one counts as no consent, so an older grant
        # does not come back). A refusal in force is never outweighed by a grant: device
        # clocks can be wrong, and showing what the client refused is the worse mistake.
        latest.setdefault(row.from_register, row)
        if row.decision == "denied" and row.revoked_at is None:
            denied.add(row.from_register)
    return {
        register: row.id
        for register, row in latest.items()
        if row.decision == "granted" and row.revoked_at is None and register not in denied
        and (row.valid_until is None or row.valid_until >= today)
    }


def visible_in(session: Session, client_id: str, viewer: Viewer, now: datetime) -> dict[Register, str]:
    """The registers of a client the viewer may see now, each with the purpose it is seen
    on: their own (the client relationship) and any the client consented to."""
    visible = {viewer.register: Purpose.CONTACT.value}
    for register, consent_id in in_force_consents(session, client_id, viewer.register, now).items():
        visible.setdefault(Register(register), f"{Purpose.CONSENT.value}:{consent_id}")
    return visible


class Protection(Repository):
    """store.protection: registers and consent, the client's history, and the access log."""

    def visible_registers(self, client_id: str, viewer: Viewer, now: datetime) -> dict[Register, str]:
        """The registers of a client the viewer may see now, each with the purpose it is
        seen on: their own (the client relationship) and any the client consented to."""
        with self.session() as session:
            return visible_in(session, client_id, viewer, now)

    def consents(self, client_id: str) -> list[Consent]:
        with self.session() as session:
            query = select(Consent).where(Consent.client_id == client_id).order_by(col(Consent.recorded_at).desc())
            return list(session.exec(query))

    def record_consent(
        self,
        viewer: Viewer,
        client_id: str,
        from_register: Register,
        granted: bool,
        valid_until: date | None,
        now: datetime,
        note: str = "",
    ) -> Consent:
        """The client's consent (or its denial) to show `from_register`'s data to the
        viewer's register; logged, and sent to the central API like any change."""
        viewer.require(Permission.CONTACTS)
        if from_register == viewer.register:
            raise DomainError(_("A consent is between the two registers."))
        if granted and valid_until is not None and valid_until < local(now).date():
            raise DomainError(_("The consent would end before today."))
        row = Consent(
            id=new_id(), client_id=client_id, from_register=from_register.value,
            to_register=viewer.register.value, decision="granted" if granted else "denied",
            valid_until=valid_until, recorded_by=viewer.worker_id, unit_id=viewer.unit_id,
            recorded_at=now, note=note.strip(),
        )
        with self.session() as session:
            if session.get(Client, client_id) is None:
                raise DomainError(_("No such client: {id}").format(id=client_id))
            save_change(session, row, RecordType.CONSENT, now, viewer, "consent", action=AccessAction.CREATE)
            session.commit()
        return row

    def revoke_consent(self, viewer: Viewer, consent_id: str, now: datetime) -> Consent:
        """The client takes a consent back: it stops counting from now. The one change a
        recorded consent may have; sent to the central API like any change."""
        viewer.require(Permission.CONTACTS)
        with self.session() as session:
            row = session.get(Consent, consent_id)
            if row is None:
                raise DomainError(_("No such consent."))
            if row.revoked_at is not None:
                return row
            row.revoked_at = now
            save_change(session, row, RecordType.CONSENT, now, viewer, "consent")
            session.commit()
            return row

    def client_history(
        self, client_id: str, viewer: Viewer, now: datetime, basis: str | None = None, limit: int = 200,
        purpose: str | None = None,
    ) -> ClientHistory:
        """A client's signed contacts in the registers the viewer may see (with a stated
        legal basis, the other register too). Writes the view to the access log, with
        `purpose` for the viewer's own register when given (a protected client's view)."""
        with self.session() as session:
            shown = visible_in(session, client_id, viewer, now)
            if purpose:
                shown[viewer.register] = purpose
            if basis and basis.strip():
                shown.setdefault(viewer.other_register, f"{Purpose.LEGAL_BASIS.value}:{basis.strip()}")
            corrected = select(Contact.supersedes_id).where(Contact.supersedes_id != None)  # noqa: E711
            query = (
                select(Contact, Assessment, Outcome, Worker)
                .join(Assessment, Assessment.contact_id == Contact.id, isouter=True)
                .join(Outcome, Outcome.contact_id == Contact.id, isouter=True)
                .join(Worker, Worker.id == Contact.worker_id)
                .where(Contact.client_id == client_id)
                .where(Contact.status == ContactStatus.SIGNED.value)
                .where(col(Contact.id).not_in(corrected.where(Contact.status == ContactStatus.SIGNED.value)))
                .where(col(Contact.sector).in_([r.value for r in shown]))
                .order_by(col(Contact.started_at).desc())
                .limit(limit)
            )
            rows = [
                HistoryRow(
                    contact_id=contact.id,
                    started_at=contact.started_at,
                    register=Register(contact.sector),
                    service_area=ServiceArea(contact.service_area) if contact.service_area else None,
                    reason=contact.reason,
                    urgency=Urgency(assessment.urgency) if assessment and assessment.urgency else None,
                    outcome=OutcomeKind(outcome.kind) if outcome else None,
                    worker_name=worker.name,
                    safety_net=assessment.safety_net if assessment else "",
                )
                for contact, assessment, outcome, worker in session.exec(query)
            ]
            timeline, high_need = self._timeline(session, rows)
            for register, purpose in shown.items():
                write_access(session, viewer, [client_id], AccessAction.VIEW, "contacts", purpose, now, register)
            not_shown = [r for r in Register if r not in shown]
            session.commit()
        return ClientHistory(rows, shown, not_shown, timeline, high_need)

    @staticmethod
    def _timeline(session: Session, rows: list[HistoryRow]) -> tuple[list[TimelineEvent], HighNeed | None]:
        """The bookings, referrals and follow-ups of the contacts shown, beside them; the
        latest high-need plan among them."""
        by_id = {row.contact_id: row for row in rows}
        events = [
            TimelineEvent(EventKind.CONTACT, row.started_at, row.register, row.contact_id,
                          row.urgency.value if row.urgency else "", row.reason, row.safety_net,
                          row.outcome.value if row.outcome else "")
            for row in rows
        ]
        ids = list(by_id)
        high_need = None
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            outcomes = session.exec(
                select(Outcome, Slot, Professional)
                .join(Slot, Slot.id == Outcome.slot_id, isouter=True)
                .join(Professional, Professional.id == Slot.professional_id, isouter=True)
                .where(col(Outcome.contact_id).in_(chunk))
            )
            for outcome, slot, professional in outcomes:
                row = by_id[outcome.contact_id]
                for duty in json.loads(outcome.duties_made or "[]"):
                    events.append(TimelineEvent(EventKind.DUTY, row.started_at, row.register, row.contact_id,
                                                duty["duty"], duty["receiver"]))
                if outcome.kind == OutcomeKind.BOOKING.value and slot is not None:
                    # After the contact (issue 20): the visit's time now and its status.
                    appointment = session.get(Appointment, outcome.contact_id)
                    status = ""
                    if appointment is not None:
                        status = appointment.status
                        if appointment.slot_id != slot.id:
                            slot = session.get(Slot, appointment.slot_id) or slot
                            professional = session.get(Professional, slot.professional_id)
                    events.append(TimelineEvent(EventKind.BOOKING, slot.starts_at, row.register, row.contact_id,
                                                status, professional.name if professional else ""))
                elif outcome.kind == OutcomeKind.REFERRAL.value:
                    referrals = json.loads(outcome.referrals or "[]") or [
                        {"service_code": outcome.service_code or "", "handover": outcome.handover or ""}
                    ]
                    for referral in referrals:
                        events.append(TimelineEvent(EventKind.REFERRAL, row.started_at, row.register, row.contact_id,
                                                    referral["service_code"], referral["handover"]))
            for follow_up in session.exec(select(FollowUp).where(col(FollowUp.contact_id).in_(chunk))):
                if follow_up.status == "planned":
                    continue
                row = by_id[follow_up.contact_id]
                at = datetime.combine(follow_up.due, time(12), tzinfo=HELSINKI)  # the due day
                events.append(TimelineEvent(EventKind.FOLLOW_UP, at, row.register, row.contact_id,
                                            follow_up.kind, follow_up.result or follow_up.status))
            for segment in session.exec(
                select(SegmentChoice).where(col(SegmentChoice.contact_id).in_(chunk)).where(SegmentChoice.high_need == True)  # noqa: E712
            ):
                row = by_id[segment.contact_id]
                if high_need is None or row.started_at > high_need.since:
                    named = segment.named_contact or ""
                    if named.startswith("worker:"):
                        worker = session.get(Worker, named.removeprefix("worker:"))
                        named = worker.name if worker else named
                    high_need = HighNeed(segment.plan_type, named, row.started_at)
        events.sort(key=lambda e: e.at, reverse=True)
        return events, high_need

    # -- the access log ---------------------------------------------------------------------

    def log_access(
        self, viewer: Viewer, client_ids: Iterable[str | None], action: AccessAction, item: str, purpose: str,
        now: datetime, register: Register | str | None = None, recipient: str = "",
    ) -> None:
        """write_access in a transaction of its own (tried again when another writer took the number)."""
        ids = list(client_ids)
        if not ids:
            return
        for attempt in range(3):
            try:
                with self.session() as session:
                    write_access(session, viewer, ids, action, item, purpose, now, register, recipient)
                    session.commit()
                return
            except IntegrityError:  # another writer took the number: take the next one
                if attempt == 2:
                    raise

    def access_log_for(self, client_id: str, viewer: Viewer, now: datetime) -> list[AccessRow]:
        """Who has used the client's data, newest first (the client's right to know, Client
        Data Act § 11). Only a role with the permission may ask; asking is logged too."""
        viewer.require(Permission.ACCESS_LOG)
        self.log_access(viewer, [client_id], AccessAction.VIEW, "access log", Purpose.RIGHT_TO_KNOW.value, now)
        with self.session() as session:
            query = (
                select(AccessLog, Worker)
                .join(Worker, Worker.id == AccessLog.worker_id, isouter=True)
                .where(AccessLog.client_id == client_id)
                .order_by(col(AccessLog.seq).desc())
            )
            return [AccessRow(_entry(row), worker.name if worker else row.worker_id) for row, worker in session.exec(query)]

    def access_entries(self, after: int = 0, limit: int | None = None) -> list[Entry]:
        with self.session() as session:
            query = select(AccessLog).where(AccessLog.seq > after).order_by(AccessLog.seq)
            if limit:
                query = query.limit(limit)
            return [_entry(row) for row in session.exec(query)]

    def access_log_anchor(self) -> tuple[int, str]:
        """The access log's count and last hash as its anchor keeps them."""
        with self.session() as session:
            row = session.exec(text("SELECT count, hash FROM access_log_anchor WHERE id = 1")).first()
            return (row[0], row[1]) if row else (0, GENESIS)

    def verify_access_log(self) -> ChainCheck:
        return verify_chain(self.access_entries(), self.access_log_anchor())

