"""Bookings after the contact (issue 20): a booked visit marked missed or done, cancelled or
moved to another slot, with a reason. Mixed into Store; each change is one transaction with
its outbox entry and its access-log entry.

A booking is the slot a signed contact's outcome took. Its state after the contact is an
`appointment` row under the contact's id; there is none while the visit is booked at the time
the contact chose. A move takes the new slot and gives back the old one in the same
transaction, and travels as one change, so the central API takes both or neither (the first
device to take a slot wins, docs/sync.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from ohjaus_core.domain.access_log import AccessAction
from ohjaus_core.domain.codes import BookingStatus, ContactStatus, OutcomeKind, Register, ServiceArea
from ohjaus_core.domain.contact import new_id
from ohjaus_core.domain.errors import DomainError
from ohjaus_core.domain.slots import SlotOffer, choose_slots
from ohjaus_core.domain.text import free_text
from ohjaus_core.domain.viewer import Permission, Viewer
from ohjaus_core.i18n import _, current_language, localized
from ohjaus_core.protocol import RecordType
from .models import Appointment, Client, Contact, MissedAppointment, Outcome, Professional, Slot, Unit
from .protection import save_change, visible_in, write_access
from .repository import Repository
from .sync_side import dump, enqueue

MAX_REASON = 500


class BookingTaken(DomainError):
    """The new time was booked by someone else first: the booking stays as it was."""


@dataclass(frozen=True)
class BookingRow:
    """One time of a client's booked visit: the time it is at now, or one it was moved from."""

    contact_id: str
    slot_id: str
    starts_at: datetime
    professional: str
    profession: str
    unit_name: str
    register: Register
    status: BookingStatus
    reason: str
    current: bool  # the visit's time now (the one that can be changed)


class Bookings(Repository):
    """store.bookings: the free slots, the visits booked, and the appointments missed."""

    def bookings(self, client_id: str, viewer: Viewer, now: datetime, purpose: str | None = None) -> list[BookingRow]:
        """The client's booked visits in the registers the viewer may see now, newest first,
        with the times they were moved from; the view goes to the access log (with `purpose`
        for the viewer's own register when given: a protected client's view)."""
        with self.session() as session:
            registers = visible_in(session, client_id, viewer, now)
            if purpose:
                registers[viewer.register] = purpose
            corrected = select(Contact.supersedes_id).where(Contact.supersedes_id != None)  # noqa: E711
            query = (
                select(Contact, Outcome, Appointment)
                .join(Outcome, Outcome.contact_id == Contact.id)
                .join(Appointment, Appointment.id == Contact.id, isouter=True)
                .where(Contact.client_id == client_id)
                .where(Contact.status == ContactStatus.SIGNED.value)
                .where(col(Contact.id).not_in(corrected.where(Contact.status == ContactStatus.SIGNED.value)))
                .where(col(Contact.sector).in_([r.value for r in registers]))
                .where(Outcome.kind == OutcomeKind.BOOKING.value)
                .where(Outcome.slot_id != None)  # noqa: E711
            )
            found = list(session.exec(query))
            wanted: list[tuple[Contact, str, BookingStatus, str, bool]] = []
            for contact, outcome, appointment in found:
                if appointment is None:
                    wanted.append((contact, outcome.slot_id, BookingStatus.BOOKED, "", True))
                    continue
                for move in json.loads(appointment.moves):
                    wanted.append((contact, move["slot_id"], BookingStatus.MOVED, move.get("reason", ""), False))
                wanted.append((contact, appointment.slot_id, BookingStatus(appointment.status), appointment.reason, True))
            slots = _slots(session, {slot_id for _c, slot_id, *_rest in wanted})
            rows = []
            for contact, slot_id, status, reason, current in wanted:
                slot = slots.get(slot_id)
                if slot is None:
                    continue
                starts_at, professional, profession, unit_name = slot
                rows.append(BookingRow(
                    contact.id, slot_id, starts_at, professional, profession, unit_name,
                    Register(contact.sector), status, reason, current,
                ))
            for register in {row.register for row in rows}:
                write_access(session, viewer, [client_id], AccessAction.VIEW, "bookings", registers[register], now, register)
            session.commit()
        rows.sort(key=lambda row: row.starts_at, reverse=True)
        return rows

    def change_booking(
        self, viewer: Viewer, contact_id: str, status: BookingStatus, reason: str, now: datetime,
        new_slot_id: str | None = None,
    ) -> Appointment:
        """Mark a booked visit missed (NO_SHOW) or DONE, CANCEL it (its time is given back) or
        move it (status BOOKED and `new_slot_id`: the new slot taken, the old one given back).
        Cancelling and moving need a reason. Only a visit still booked can change, and only
        one of the worker's own unit and register."""
        viewer.require(Permission.CONTACTS)
        reason = free_text(reason or "").strip()[:MAX_REASON]
        moving = new_slot_id is not None
        if status == BookingStatus.MOVED or (status == BookingStatus.BOOKED) != moving:
            raise DomainError(_("A booking is moved by choosing its new time."))
        if (moving or status == BookingStatus.CANCELLED) and not reason:
            raise DomainError(_("Say why the booking is cancelled or moved."))
        with self.session() as session:
            contact = session.get(Contact, contact_id)
            outcome = session.exec(select(Outcome).where(Outcome.contact_id == contact_id)).first()
            if (
                contact is None or contact.status != ContactStatus.SIGNED.value or outcome is None
                or outcome.kind != OutcomeKind.BOOKING.value or not outcome.slot_id
            ):
                raise DomainError(_("No such booking."))
            if contact.unit_id != viewer.unit_id or contact.sector != viewer.register.value:
                raise DomainError(_("This booking is another unit's or register's: it cannot be changed here."))
            row = session.get(Appointment, contact_id)
            if row is None:
                row = Appointment(
                    id=contact_id, contact_id=contact_id, client_id=contact.client_id, unit_id=contact.unit_id,
                    sector=contact.sector, slot_id=outcome.slot_id, changed_by=viewer.worker_id, changed_at=now,
                )
            if row.status != BookingStatus.BOOKED.value:
                raise DomainError(_("This booking is already marked: {status}.").format(
                    status=BookingStatus(row.status).label))
            if moving:
                if new_slot_id == row.slot_id:
                    raise DomainError(_("Choose another time than the booked one."))
                _take(session, new_slot_id, contact_id)
                old = session.get(Slot, row.slot_id)
                moves = json.loads(row.moves)
                moves.append({
                    "slot_id": row.slot_id, "starts_at": old.starts_at.isoformat() if old else None,
                    "at": now.isoformat(), "reason": reason,
                })
                _give_back(session, row.slot_id, contact_id)
                row.moves, row.slot_id = json.dumps(moves, ensure_ascii=False), new_slot_id
            elif status == BookingStatus.CANCELLED:
                _give_back(session, row.slot_id, contact_id)
            row.status, row.reason = status.value, reason
            row.changed_by, row.changed_at = viewer.worker_id, now
            save_change(session, row, RecordType.APPOINTMENT, now, viewer, "booking",
                        client_id=contact.client_id, register=contact.sector)
            session.commit()
            session.refresh(row)
            return row

    def move_offers(self, contact_id: str, now: datetime, limit: int = 12) -> tuple[list[SlotOffer], date | None]:
        """Free slots to move a booked visit to, as the contact's slot picker offers them: the
        same profession first, within the care deadline the booking recorded, in the client's
        language, at the contact's unit; each miss marked. Returns them and the deadline."""
        with self.session() as session:
            contact = session.get(Contact, contact_id)
            outcome = session.exec(select(Outcome).where(Outcome.contact_id == contact_id)).first()
            if contact is None or outcome is None or not contact.service_area:
                return [], None
            row = session.get(Appointment, contact_id)
            slot = session.get(Slot, row.slot_id if row else outcome.slot_id)
            professional = session.get(Professional, slot.professional_id) if slot else None
            client = session.get(Client, contact.client_id) if contact.client_id else None
        free = self.free_slots(ServiceArea(contact.service_area), now, now + timedelta(days=120), 1000)
        offers = choose_slots(
            free, language=client.language if client else contact.language, preferred_unit_id=contact.unit_id,
            deadline=outcome.care_deadline, not_before=now, limit=limit,
            professions_first=(professional.profession,) if professional else (),
        )
        return offers, outcome.care_deadline

    def no_shows_since(self, session: Session, client_id: str, since: datetime, registers: Iterable[str] | None) -> int:
        """Booked visits marked 'did not come' whose time is since `since` (the missed-
        appointments trigger counts them beside the missed appointments recorded apart)."""
        query = (
            select(Appointment.id)
            .join(Slot, Slot.id == Appointment.slot_id)
            .where(Appointment.client_id == client_id)
            .where(Appointment.status == BookingStatus.NO_SHOW.value)
            .where(Slot.starts_at >= since)
        )
        if registers is not None:
            query = query.where(col(Appointment.sector).in_(list(registers)))
        return len(session.exec(query).all())


    def missed_appointments_since(
        self, client_id: str, since: datetime, registers: Iterable[Register] | None = None
    ) -> int:
        """Appointments the client missed without cancelling since `since`: those recorded
        apart and the booked visits marked 'did not come' (issue 20)."""
        wanted = [r.value for r in registers] if registers is not None else None
        with self.session() as session:
            query = (
                select(func.count())
                .select_from(MissedAppointment)
                .where(MissedAppointment.client_id == client_id)
                .where(MissedAppointment.starts_at >= since)
            )
            if wanted is not None:
                query = query.where(col(MissedAppointment.sector).in_(wanted))
            return session.exec(query).one() + self.no_shows_since(session, client_id, since, wanted)

    def record_missed_appointment(
        self, client_id: str, starts_at: datetime, unit_id: str, now: datetime,
        slot_id: str | None = None, register: Register = Register.HEALTH,
    ) -> MissedAppointment:
        with self.session() as session:
            row = MissedAppointment(
                id=new_id(), client_id=client_id, starts_at=starts_at, unit_id=unit_id,
                slot_id=slot_id, recorded_at=now, sector=register.value,
            )
            session.add(row)
            session.flush()
            enqueue(session, RecordType.MISSED_APPOINTMENT, row.id, dump(row), now)
            session.commit()
            session.refresh(row)
            return row

    # -- slots ------------------------------------------------------------------------------

    def free_slots(
        self, service_area: ServiceArea, start: datetime, until: datetime, limit: int | None = 500
    ) -> list[SlotOffer]:
        """Free slots of professionals of a service area between two times, earliest first
        (at most `limit`; None: all)."""
        with self.session() as session:
            # The columns an offer needs, not three ORM objects a row (500 rows each time).
            query = (
                select(*_OFFER_COLUMNS)
                .join(Professional, Slot.professional_id == Professional.id)
                .join(Unit, Slot.unit_id == Unit.id)
                .where(Slot.booked_contact_id == None)  # noqa: E711 (SQL IS NULL)
                .where(Slot.taken_elsewhere == False)  # noqa: E712
                .where(Slot.starts_at >= start)
                .where(Slot.starts_at < until)
                .where(Professional.service_area == service_area.value)
                .order_by(Slot.starts_at)
                .limit(limit)
            )
            return [_offer_of_row(*row) for row in session.exec(query)]

    def slot_offer(self, slot_id: str) -> SlotOffer | None:
        with self.session() as session:
            query = (
                select(Slot, Professional, Unit)
                .join(Professional, Slot.professional_id == Professional.id)
                .join(Unit, Slot.unit_id == Unit.id)
                .where(Slot.id == slot_id)
            )
            row = session.exec(query).first()
            return _offer(*row) if row else None


def _take(session: Session, slot_id: str, contact_id: str) -> None:
    result = session.exec(
        text(
            "UPDATE slot SET booked_contact_id = :contact WHERE id = :slot "
            "AND booked_contact_id IS NULL AND taken_elsewhere = 0"
        ).bindparams(contact=contact_id, slot=slot_id)
    )
    if result.rowcount != 1:
        raise BookingTaken(_("That time was just booked by someone else. Choose another."))


def _give_back(session: Session, slot_id: str, contact_id: str) -> None:
    session.exec(
        text("UPDATE slot SET booked_contact_id = NULL WHERE id = :slot AND booked_contact_id = :contact")
        .bindparams(slot=slot_id, contact=contact_id)
    )


def _slots(session: Session, ids: set[str]) -> dict[str, tuple[datetime, str, str, str]]:
    if not ids:
        return {}
    query = (
        select(Slot.id, Slot.starts_at, Professional.name, Professional.profession_name, Unit.name)
        .join(Professional, Professional.id == Slot.professional_id)
        .join(Unit, Unit.id == Slot.unit_id)
        .where(col(Slot.id).in_(list(ids)))
    )
    out = {}
    for slot_id, starts_at, name, profession, unit in session.exec(query):
        try:
            names = json.loads(profession)
            profession = names.get(current_language()) or names.get("fi") or ""
        except (ValueError, AttributeError):
            pass
        out[slot_id] = (starts_at, name, profession, unit)
    return out


def appointment_slots(session: Session, rows: list[dict]) -> None:
    """The local slots as the appointments say (after a pull, or the central API's version
    after a refused change): the contact holds the visit's time unless it was cancelled,
    and no other slot."""
    for row in rows:
        keep = "" if row["status"] == BookingStatus.CANCELLED.value else row["slot_id"]
        session.exec(
            text(
                "UPDATE slot SET booked_contact_id = NULL WHERE booked_contact_id = :contact AND id != :keep"
            ).bindparams(contact=row["contact_id"], keep=keep)
        )
        if keep:
            session.exec(
                text(
                    "UPDATE slot SET booked_contact_id = :contact WHERE id = :slot "
                    "AND booked_contact_id IS NULL AND taken_elsewhere = 0"
                ).bindparams(contact=row["contact_id"], slot=keep)
            )


_OFFER_COLUMNS = (
    Slot.id, Slot.starts_at, Slot.minutes, Slot.mode, Unit.id, Professional.name,
    Professional.profession_name, Professional.profession, Unit.name, Professional.languages,
)


def _offer_of_row(
    slot_id, starts_at, minutes, mode, unit_id, professional_name, profession_name, profession,
    unit_name, languages,
) -> SlotOffer:
    return SlotOffer(
        slot_id=slot_id,
        starts_at=starts_at,
        minutes=minutes,
        mode=mode,
        unit_id=unit_id,
        professional_name=professional_name,
        profession=_localized_json(profession_name, current_language()),
        profession_code=profession,
        unit_name=_localized_json(unit_name, current_language()),
        languages=_split(languages),
    )


@lru_cache(maxsize=512)
def _localized_json(texts: str, language: str) -> str:
    """A unit's or profession's name in a language (few distinct names, read for every slot)."""
    return localized(json.loads(texts))


@lru_cache(maxsize=512)
def _split(languages: str) -> tuple[str, ...]:
    return tuple(languages.split(","))


def _offer(slot: Slot, professional: Professional, unit: Unit) -> SlotOffer:
    return _offer_of_row(
        slot.id, slot.starts_at, slot.minutes, slot.mode, unit.id, professional.name,
        professional.profession_name, professional.profession, unit.name, professional.languages,
    )
