"""The local store in the words of the domain. The only module that speaks SQL.

Screens and the demo generator call these methods; each write is one transaction, so a
killed process leaves either the old state or the new one, never half of a step.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import bindparam, delete, event, exists, func, insert, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from ohjaus_core.domain.access_log import AccessAction, Purpose
from ohjaus_core.domain.codes import (
    Caller,
    Channel,
    ContactStatus,
    FollowUpKind,
    FollowUpStatus,
    Handover,
    HighNeedTrigger,
    Language,
    OutcomeKind,
    PlanType,
    Register,
    Segment,
    ServiceArea,
    Urgency,
    WorryLevel,
)
from ohjaus_core.domain.calendar import add_working_days
from ohjaus_core.domain.contact import ContactDraft, DutyMade, Referral, Step, first_incomplete_step, new_id
from ohjaus_core.domain.errors import DomainError
from ohjaus_core.domain.identity import (
    client_id_for,
    looks_like_identity_code,
    normalize_identity_code,
    parse_identity_code,
)
from ohjaus_core.domain.languages import normalize_language
from ohjaus_core.domain.protected import non_disclosure
from ohjaus_core.domain.phone import looks_like_phone, normalize_phone
from ohjaus_core.domain.slots import SlotOffer
from ohjaus_core.domain.text import NAME_FIELDS, check_client_fields
from ohjaus_core.domain.viewer import NotVisible, Viewer
from ohjaus_core.i18n import _, current_language, localized
from ohjaus_core.protocol import RecordType
from .engine import StoreError, open_engine
from .keys import fsync_directory
from .name_search import find_by_name
from .models import (
    RECORD_TYPES,
    Appointment,
    Callback,
    Assessment,
    Client,
    ClientMerge,
    Contact,
    FollowUp,
    MissedAppointment,
    Outcome,
    Professional,
    SegmentChoice,
    Setting,
    Slot,
    Unit,
    Worker,
)
from .bookings import Bookings
from .merge import Merging
from .protection import Protection, write_access
from .worklist import Worklist, callbacks_of_contact, enqueue_callbacks
from .sync_side import WANTED_BACK, SyncSide, contact_family, dump, enqueue, enqueue_many


class SlotTaken(DomainError):
    """Someone else booked the slot first."""


class DuplicateClient(StoreError):
    """A client with this identity code exists already."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class NotADraft(DomainError):
    """A signed contact cannot be changed; a correction is a new version."""


@dataclass(frozen=True)
class DraftSummary:
    id: str
    started_at: datetime
    step: Step
    client_name: str
    client_id: str | None = None


@dataclass(frozen=True)
class FollowUpRow:
    id: str
    kind: FollowUpKind
    due: date
    status: FollowUpStatus
    client_name: str
    note: str
    client_id: str | None = None


class Store(Protection, Worklist, Bookings, SyncSide, Merging):
    def __init__(self, data_dir: Path, *, build: bool = False) -> None:
        """`build`: a data directory being made from nothing (the demo), whose commits need
        not each reach the disk: synchronous=OFF on its connections, and `close` then flushes
        the files to the disk once. A killed build loses nothing it has not also left
        half-made (the demo is built aside and moved into place when whole); never for a
        directory that holds a worker's records."""
        self.data_dir = data_dir
        self.engine = open_engine(data_dir)
        self.build = build
        if build:
            event.listen(self.engine, "connect", _synchronous_off)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose disk problems (full, read-only, locked) become a StoreError that
        the screen shows; nothing is reported saved that was not."""
        session = Session(self.engine, expire_on_commit=False)
        try:
            yield session
        except OperationalError as error:
            raise StoreError(
                _("The local store could not be written: {reason}. What is on the screen is kept; "
                  "try again.").format(reason=error.orig)
            ) from error
        finally:
            session.close()

    def close(self) -> None:
        self.engine.dispose()
        if self.build:
            # The last connection checkpointed the log into the database file: now to the disk.
            for path in self.data_dir.iterdir():
                if path.is_file():
                    with open(path, "rb+") as file:
                        os.fsync(file.fileno())
            fsync_directory(self.data_dir)

    # -- settings ---------------------------------------------------------------------------

    def setting(self, key: str, default: str | None = None) -> str | None:
        with self.session() as session:
            row = session.get(Setting, key)
            return row.value if row else default

    def set_setting(self, key: str, value: str) -> None:
        with self.session() as session:
            session.merge(Setting(key=key, value=value))
            session.commit()

    # -- reference data ---------------------------------------------------------------------

    def add_all(self, *groups: list) -> None:
        """Insert groups of rows in one transaction, each group after the one before it."""
        with self.session() as session:
            for rows in groups:
                session.add_all(rows)
                session.flush()
            session.commit()

    def insert_rows(self, *groups: tuple[type, list[dict]]) -> None:
        """Insert groups of plain rows (model, dicts with every column) in one transaction,
        each group after the one before it: Core executemany, no ORM object per row."""
        with self.session() as session:
            for model, rows in groups:
                if rows:
                    session.exec(insert(model.__table__), params=rows)
            session.commit()

    def units(self) -> list[Unit]:
        with self.session() as session:
            return list(session.exec(select(Unit).order_by(Unit.code)))

    def unit_name(self, unit_id: str) -> str:
        """The unit's name in the worker's language (the id when the unit is unknown)."""
        unit = self.unit(unit_id)
        return localized(json.loads(unit.name)) if unit else unit_id

    def unit(self, unit_id: str) -> Unit | None:
        with self.session() as session:
            return session.get(Unit, unit_id)

    def workers(self) -> list[Worker]:
        with self.session() as session:
            return list(session.exec(select(Worker).order_by(Worker.name)))

    def worker(self, worker_id: str) -> Worker | None:
        with self.session() as session:
            return session.get(Worker, worker_id)

    def workers_of_unit(self, unit_id: str, register: Register | None = None) -> list[Worker]:
        """The unit's workers; with a register, only those who work in it (a task of one
        register goes only to a worker who may see it)."""
        with self.session() as session:
            query = select(Worker).where(Worker.unit_id == unit_id).order_by(Worker.name)
            if register is not None:
                query = query.where(Worker.sector == register.value)
            return list(session.exec(query))

    def professionals(self) -> list[Professional]:
        with self.session() as session:
            return list(session.exec(select(Professional)))

    # -- clients ----------------------------------------------------------------------------

    def find_clients(self, query: str, limit: int = 20) -> list[Client]:
        """Search by identity code (exact), phone (exact, any format) or name (prefixes)."""
        query = query.strip()
        if not query:
            return []
        with self.session() as session:
            if looks_like_identity_code(query):
                # Exact code, or the codes that begin with what has been typed so far;
                # never a fuzzy match (the wrong person is worse than none).
                code = normalize_identity_code(query)
                query_ = (
                    select(Client)
                    .where(Client.identity_code >= code)
                    .where(Client.identity_code < code + "\uffff")
                    .order_by(Client.identity_code)
                    .limit(limit)
                )
                return _without_merged(session, list(session.exec(query_)))
            if looks_like_phone(query):
                try:
                    phone = normalize_phone(query)
                except DomainError:
                    return []
                return _without_merged(session, list(session.exec(select(Client).where(Client.phone == phone).limit(limit))))
            # Names: the first `limit` in name order straight from the name index (issue 18).
            ids = find_by_name(session.connection().connection.dbapi_connection, query, limit)
            if not ids:
                return []
            found = {client.id: client for client in session.exec(select(Client).where(col(Client.id).in_(ids)))}
            return _without_merged(session, [found[client_id] for client_id in ids if client_id in found])

    def client(self, client_id: str) -> Client | None:
        """The client; a merged client's id finds the client it was merged into."""
        with self.session() as session:
            return session.get(Client, _redirected(session, client_id))

    def add_client(
        self,
        *,
        first_name: str,
        last_name: str,
        identity_code: str | None,
        phone: str | None,
        language: Language,
        municipality: str,
        created_by: str | None,
        now: datetime,
        allow_temporary: bool = False,
        viewer: Viewer | None = None,
        service_language: str = "",
        interpreter: bool = False,
        protected: bool = False,
    ) -> Client:
        """Add a client; the identity code is checked and must be unique. `service_language`:
        an ISO 639 code when the client is served in another language than `language`;
        `protected`: a non-disclosure order (turvakielto).

        Raises InvalidIdentityCode / InvalidPhone / InvalidLanguage / StoreError with a
        message for the worker.
        """
        if not first_name.strip() or not last_name.strip():
            raise StoreError(_("Give the client's first and last name."))
        check_client_fields(first_name=first_name, last_name=last_name, municipality=municipality)
        service_language = _service_language(service_language, language.value)
        parsed = parse_identity_code(identity_code) if identity_code else None
        if parsed and parsed.temporary and not allow_temporary:
            raise StoreError(
                _("{code} is a temporary identity code (900-999): mark it as temporary.").format(
                    code=parsed.code
                )
            )
        client = Client(
            # One person, one record, even when two devices add them offline.
            id=client_id_for(parsed.code) if parsed else new_id(),
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            identity_code=parsed.code if parsed else None,
            identity_temporary=bool(parsed and parsed.temporary),
            birth_date=parsed.birth_date if parsed else None,
            phone=normalize_phone(phone) if phone else None,
            language=language.value,
            municipality=municipality.strip(),
            created_at=now,
            created_by=created_by,
            protected=protected,
            interpreter=interpreter,
            service_language=service_language,
        )
        try:
            with self.session() as session:
                if parsed and session.execute(
                    text("SELECT 1 FROM client_removed WHERE client_id = :id"), {"id": client.id}
                ).first():
                    # Their records left this device (issue 20): added anew, the new version
                    # would overwrite the server's (a non-disclosure order, a phone). They are
                    # taken back whole at the next sync instead (review of issue 20).
                    asked = session.get(Setting, WANTED_BACK)
                    wanted = set(json.loads(asked.value)) if asked else set()
                    session.merge(Setting(key=WANTED_BACK, value=json.dumps(sorted(wanted | {client.id}))))
                    session.commit()
                    raise StoreError(
                        _("This client's records left this device; sync (F5) to bring them back, then search again.")
                    )
                session.add(client)
                session.flush()
                enqueue(session, RecordType.CLIENT, client.id, dump(client), now)
                if viewer is not None:
                    write_access(session, viewer, [client.id], AccessAction.CREATE, "client", Purpose.CONTACT.value, now)
                session.commit()
        except IntegrityError as error:
            raise DuplicateClient(
                _("A client with the identity code {code} already exists.").format(
                    code=client.identity_code
                ),
                client.identity_code or "",
            ) from error
        return client

    def add_clients(self, clients: list[Client], now: datetime) -> None:
        with self.session() as session:
            session.exec(insert(Client.__table__), params=[client.model_dump() for client in clients])
            enqueue_many(session, RecordType.CLIENT, [(client.id, dump(client)) for client in clients], now)
            session.commit()

    def update_client(self, client_id: str, now: datetime, viewer: Viewer | None = None, **fields: object) -> Client:
        """Change a client's details (name, phone, language, municipality, and issue 20's
        language of service, interpreter and non-disclosure order)."""
        allowed = {
            "first_name", "last_name", "phone", "language", "municipality",
            "service_language", "interpreter", "protected",
        }
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        check_client_fields(**{k: v for k, v in fields.items() if k in NAME_FIELDS})
        if "phone" in fields and fields["phone"]:
            fields["phone"] = normalize_phone(str(fields["phone"]))
        with self.session() as session:
            client = session.get(Client, client_id)
            if client is None:
                raise StoreError(_("No such client: {id}").format(id=client_id))
            if "service_language" in fields or "language" in fields:
                language = getattr(fields.get("language"), "value", fields.get("language")) or client.language
                fields["service_language"] = _service_language(
                    str(fields.get("service_language", client.service_language)), str(language)
                )
            for key, value in fields.items():
                setattr(client, key, value)
            session.add(client)
            session.flush()
            enqueue(session, RecordType.CLIENT, client.id, dump(client), now)
            if viewer is not None:
                write_access(session, viewer, [client.id], AccessAction.CHANGE, "client", Purpose.CONTACT.value, now)
            session.commit()
            return client

    def contacts_since(self, client_id: str, since: datetime, registers: Iterable[Register] | None = None) -> int:
        """Signed contacts of a client since `since` (for the repeated-contacts trigger), in
        the registers given (the ones the worker may see)."""
        with self.session() as session:
            query = (
                select(func.count())
                .select_from(Contact)
                .where(Contact.client_id == client_id)
                .where(Contact.status == ContactStatus.SIGNED.value)
                .where(_not_corrected())
                .where(Contact.started_at >= since)
            )
            if registers is not None:
                query = query.where(col(Contact.sector).in_([r.value for r in registers]))
            return session.exec(query).one()

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

    # -- drafts and signing -----------------------------------------------------------------

    def save_draft(self, draft: ContactDraft, now: datetime, viewer: Viewer | None = None) -> None:
        """Write the whole draft in one transaction (after every step); with the worker
        who wrote it, the change goes to the access log in the same transaction."""
        with self.session() as session:
            sector, new = self._write_draft(session, draft, now)
            if viewer is not None and draft.client_id:
                action = AccessAction.CREATE if new else AccessAction.CHANGE
                write_access(session, viewer, [draft.client_id], action, "contact", Purpose.CONTACT.value, now, sector)
            session.commit()

    @staticmethod
    def _register(session: Session, draft: ContactDraft) -> Register:
        """The register a contact belongs to: its service area's, or before one is chosen
        the worker's own."""
        if draft.service_area is not None:
            return draft.service_area.register
        worker = session.get(Worker, draft.worker_id)
        return Register(worker.sector) if worker else Register.HEALTH

    def _write_draft(self, session: Session, draft: ContactDraft, now: datetime) -> tuple[str, bool]:
        """The draft's rows in the caller's transaction: Core statements, one query for the
        rows it has already (no ORM object a row). Returns the contact's register and
        whether the contact is new."""
        draft.clean_text()
        if draft.client_id:
            # A client merged while the draft was open: the draft goes on with the real one.
            draft.client_id = _redirected(session, draft.client_id)
        status = session.exec(select(Contact.status).where(Contact.id == draft.id)).first()
        if status == ContactStatus.SIGNED.value:
            raise NotADraft(_("This contact is signed; make a correction instead."))
        sector = self._register(session, draft).value
        values = dict(
            version=draft.version,
            supersedes_id=draft.supersedes_id,
            status=ContactStatus.DRAFT.value,
            step=int(draft.step),
            client_id=draft.client_id,
            anonymous=draft.anonymous,
            language=draft.language.value,
            channel=draft.channel.value,
            caller=draft.caller.value,
            caller_anonymous=draft.caller_anonymous,
            reason=draft.reason,
            service_area=draft.service_area.value if draft.service_area else None,
            unit_id=draft.unit_id,
            worker_id=draft.worker_id,
            started_at=draft.started_at,
            updated_at=now,
            signed_at=None,
            sector=sector,
            for_follow_up_id=draft.for_follow_up_id,
            reply_channel=draft.reply_channel,
        )
        if status is None:
            session.exec(insert(Contact.__table__).values(id=draft.id, **values))
        else:
            session.exec(update(Contact.__table__).where(Contact.__table__.c.id == draft.id).values(**values))
        existing = _children_of(session, draft.id)
        wanted_slot = draft.slot_id if draft.outcome_kind == OutcomeKind.BOOKING else None
        self._hold_slot(session, draft, wanted_slot)
        _put_child(session, Assessment, draft.id, existing.get("assessment"), _assessment_values(draft))
        _put_child(session, SegmentChoice, draft.id, existing.get("segment"), _segment_values(draft))
        _put_child(session, Outcome, draft.id, existing.get("outcome"), _outcome_values(draft, wanted_slot))
        follow_up = _follow_up_values(draft)
        if follow_up is not None and existing.get("follow_up") is None:
            follow_up.update(created_at=now, status=FollowUpStatus.PLANNED.value)
        _put_child(session, FollowUp, draft.id, existing.get("follow_up"), follow_up)
        return sector, status is None

    def _hold_slot(self, session: Session, draft: ContactDraft, slot_id: str | None) -> None:
        """Reserve the chosen slot for this draft and free any other it held."""
        session.exec(
            text(
                "UPDATE slot SET booked_contact_id = NULL "
                "WHERE booked_contact_id = :contact AND (:slot IS NULL OR id != :slot)"
            ).bindparams(contact=draft.id, slot=slot_id)
        )
        if slot_id is None:
            return
        # A correction keeping the booking of the version it corrects leaves the slot with
        # that version until it is signed (see sign): a discarded correction frees nothing.
        kept = session.exec(
            text("SELECT 1 FROM slot WHERE id = :slot AND booked_contact_id = :previous").bindparams(
                slot=slot_id, previous=draft.supersedes_id or ""
            )
        ).first()
        if kept:
            return
        result = session.exec(
            text(
                "UPDATE slot SET booked_contact_id = :contact WHERE id = :slot AND "
                "(booked_contact_id IS NULL OR booked_contact_id = :contact)"
            ).bindparams(contact=draft.id, slot=slot_id)
        )
        if result.rowcount != 1:
            raise SlotTaken(_("That slot was just booked by someone else. Choose another."))

    def _child(self, session: Session, model: type, contact_id: str):
        return session.exec(select(model).where(model.contact_id == contact_id)).first()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction for many writes that take a `session` (the demo's contacts):
        committed when the block ends, rolled back if it raises."""
        with self.session() as session:
            yield session
            session.commit()

    def sign(
        self, draft: ContactDraft, now: datetime, viewer: Viewer | None = None,
        answered_callbacks: list[str] | tuple[str, ...] = (), session: Session | None = None,
    ) -> None:
        """Sign the contact: it becomes immutable and its follow-up becomes a task.

        `answered_callbacks`: open callback requests of the client that this contact answers
        (the worker said so): done with it, in the same transaction. `session`: a
        `transaction()` the signature is part of (else it is a transaction of its own)."""
        missing = first_incomplete_step(draft)
        if missing is not None:
            raise DomainError(
                _("The contact cannot be signed yet: step {step} is incomplete.").format(
                    step=missing.label
                )
            )
        draft.step = Step.SUMMARY
        if session is not None:
            self._sign(session, draft, now, viewer, answered_callbacks)
            return
        with self.session() as session:
            self._sign(session, draft, now, viewer, answered_callbacks)
            session.commit()

    def _sign(
        self, session: Session, draft: ContactDraft, now: datetime, viewer: Viewer | None,
        answered_callbacks: list[str] | tuple[str, ...],
    ) -> None:
        sector, _new = self._write_draft(session, draft, now)
        session.exec(
            text(
                "UPDATE follow_up SET status = 'open' WHERE contact_id = :id AND status = 'planned'"
            ).bindparams(id=draft.id)
        )
        for callback_id in answered_callbacks:
            session.exec(
                text(
                    "UPDATE callback SET status = 'taken', contact_id = :contact, taken_by = :worker "
                    "WHERE id = :id AND status = 'open' AND client_id = :client"
                ).bindparams(contact=draft.id, worker=draft.worker_id, id=callback_id, client=draft.client_id)
            )
        taken = callbacks_of_contact(session, draft.id, "taken")
        session.exec(
            text(
                "UPDATE callback SET status = 'done', result = 'contact signed' "
                "WHERE contact_id = :id AND status = 'taken'"
            ).bindparams(id=draft.id)
        )
        followed = self._close_followed(session, draft)
        released: list[str] = []
        cancelled: list[str] = []
        confirmed: set[str] = set()
        if draft.supersedes_id:
            confirmed = self._duties_confirmed(session, draft.supersedes_id)
            released, cancelled = self._supersede(session, draft)
        self._confirm_duties(session, draft, now, confirmed)
        contact = Contact.__table__
        session.exec(
            update(contact)
            .where(contact.c.id == draft.id)
            .values(status=ContactStatus.SIGNED.value, signed_at=now, updated_at=now)
        )
        self._enqueue_signed(session, draft, released, cancelled, now)
        enqueue_callbacks(session, taken, now)  # after the contact, which they refer to
        if followed is not None:  # after the contact that closed it
            enqueue(session, RecordType.FOLLOW_UP, followed.id, dump(followed), now)
        if viewer is not None and draft.client_id:
            write_access(session, viewer, [draft.client_id], AccessAction.SIGN, "contact", Purpose.CONTACT.value, now, sector)

    @staticmethod
    def _close_followed(session: Session, draft: ContactDraft) -> FollowUp | None:
        """The follow-up the contact was taken for is done by its signature (if it is still
        open: one closed meanwhile, here or by the sync, stays as it was closed)."""
        if not draft.for_follow_up_id:
            return None
        row = session.get(FollowUp, draft.for_follow_up_id)
        if row is None or row.status != FollowUpStatus.OPEN.value:
            return None
        row.status = FollowUpStatus.DONE.value
        row.result = _("Contact signed")
        session.add(row)
        session.flush()
        return row

    def _duties_confirmed(self, session: Session, contact_id: str) -> set[str]:
        """The duties of an earlier version whose receipt was already confirmed (done)."""
        rows = session.exec(
            select(FollowUp.note).where(FollowUp.contact_id == contact_id)
            .where(FollowUp.kind == FollowUpKind.CONFIRM_DUTY.value)
            .where(FollowUp.status == FollowUpStatus.DONE.value)
        )
        return set(rows)

    def _confirm_duties(self, session: Session, draft: ContactDraft, now: datetime, confirmed: set[str]) -> None:
        """Every duty made leaves a follow-up: confirm that the receiving authority got it,
        the next working day, for the worker who made it (a correction does not ask again for
        one already confirmed: the same receiver and person)."""
        for duty in draft.duties_made:
            label = duty.receiver + (f"; {duty.about}" if duty.about else "")
            if label in confirmed:
                continue
            session.add(FollowUp(
                id=new_id(), contact_id=draft.id, client_id=draft.client_id,
                kind=FollowUpKind.CONFIRM_DUTY.value, due=add_working_days(duty.made_at.date(), 1),
                assignee_id=draft.worker_id, status=FollowUpStatus.OPEN.value,
                note=label, created_at=now,
            ))

    def _enqueue_signed(
        self, session: Session, draft: ContactDraft, released: list[str], cancelled: list[str], now: datetime
    ) -> None:
        """The outbox entries of a signature, in the order the server must apply them."""
        enqueue(session, RecordType.CONTACT, draft.id, contact_family(session, draft.id), now)
        if draft.outcome_kind == OutcomeKind.BOOKING and draft.slot_id:
            booking = {"slot_id": draft.slot_id, "contact_id": draft.id, "previous_contact_id": draft.supersedes_id}
            enqueue(session, RecordType.BOOKING, draft.slot_id, booking, now)
        for slot_id in released:
            release = {"slot_id": slot_id, "contact_id": None, "previous_contact_id": draft.supersedes_id}
            enqueue(session, RecordType.BOOKING, slot_id, release, now)
        for follow_up_id in cancelled:
            enqueue(session, RecordType.FOLLOW_UP, follow_up_id, dump(session.get(FollowUp, follow_up_id)), now)

    def _supersede(self, session: Session, draft: ContactDraft) -> tuple[list[str], list[str]]:
        """A signed correction takes over from the version it corrects: its slot (or frees
        it when the booking changed) and its open follow-ups (the correction has its own).
        Returns the slots given back and the follow-ups cancelled."""
        previous = draft.supersedes_id
        kept = draft.slot_id if draft.outcome_kind == OutcomeKind.BOOKING else None
        released = list(
            session.exec(
                select(Slot.id).where(Slot.booked_contact_id == previous).where(Slot.id != (kept or ""))
            )
        )
        cancelled = list(
            session.exec(
                select(FollowUp.id)
                .where(FollowUp.contact_id == previous)
                .where(col(FollowUp.status).in_([FollowUpStatus.OPEN.value, FollowUpStatus.PLANNED.value]))
            )
        )
        session.exec(
            text(
                "UPDATE slot SET booked_contact_id = CASE WHEN id = :kept THEN :id ELSE NULL END "
                "WHERE booked_contact_id = :previous"
            ).bindparams(kept=kept or "", id=draft.id, previous=previous)
        )
        session.exec(
            text(
                "UPDATE follow_up SET status = 'cancelled', result = :why "
                "WHERE contact_id = :previous AND status IN ('open', 'planned')"
            ).bindparams(previous=previous, why=f"superseded by version {draft.version}")
        )
        return released, cancelled

    def load_draft(self, contact_id: str, viewer: Viewer | None = None, now: datetime | None = None) -> ContactDraft:
        """Rebuild a draft (or a signed contact, for viewing and correcting) from its rows.
        With a viewer: only from a register they may see now, and the view is logged."""
        with self.session() as session:
            contact = session.get(Contact, contact_id)
            if contact is None:
                raise StoreError(_("No such contact: {id}").format(id=contact_id))
            if viewer is not None and contact.client_id:
                assert now is not None
                visible = self._visible(session, contact.client_id, viewer, now)
                register = Register(contact.sector)
                if register not in visible:
                    write_access(session, viewer, [contact.client_id], AccessAction.REFUSED, "contact", Purpose.CONTACT.value, now, register)
                    session.commit()
                    raise NotVisible(_("This contact is in the {register} register, which you may not see without the client's consent.").format(register=register.label))
                write_access(session, viewer, [contact.client_id], AccessAction.VIEW, "contact", visible[register], now, register)
                session.commit()
            draft = ContactDraft(
                id=contact.id,
                worker_id=contact.worker_id,
                unit_id=contact.unit_id,
                started_at=contact.started_at,
                version=contact.version,
                supersedes_id=contact.supersedes_id,
                step=Step(contact.step),
                client_id=contact.client_id,
                anonymous=contact.anonymous,
                language=Language(contact.language),
                channel=Channel(contact.channel),
                caller=Caller(contact.caller),
                caller_anonymous=contact.caller_anonymous,
                reason=contact.reason,
                service_area=ServiceArea(contact.service_area) if contact.service_area else None,
                for_follow_up_id=contact.for_follow_up_id,
                reply_channel=contact.reply_channel,
            )
            assessment = self._child(session, Assessment, contact.id)
            if assessment:
                draft.protocol_id = assessment.protocol_id
                draft.protocol_version = assessment.protocol_version
                draft.answers = json.loads(assessment.answers)
                draft.red_flags = json.loads(assessment.red_flags)
                draft.suggested_urgency = _maybe(Urgency, assessment.suggested_urgency)
                draft.urgency = _maybe(Urgency, assessment.urgency)
                draft.override_reason = assessment.override_reason
                draft.worry_level = _maybe(WorryLevel, assessment.worry_level)
                draft.duties = json.loads(assessment.duties)
                draft.domains = json.loads(assessment.domains)
                draft.safety_net = assessment.safety_net
                draft.citizen_answers = json.loads(assessment.citizen_answers or "{}")
            segment = self._child(session, SegmentChoice, contact.id)
            if segment:
                draft.suggested_segment = _maybe(Segment, segment.suggested)
                draft.segment = Segment(segment.segment)
                draft.high_need = segment.high_need
                draft.triggers = [HighNeedTrigger(t) for t in json.loads(segment.triggers)]
                draft.plan_type = _maybe(PlanType, segment.plan_type)
                draft.named_contact = segment.named_contact
            outcome = self._child(session, Outcome, contact.id)
            if outcome:
                draft.outcome_kind = OutcomeKind(outcome.kind)
                draft.advice_text = outcome.advice_text
                draft.slot_id = outcome.slot_id
                draft.service_code = outcome.service_code
                draft.handover = _maybe(Handover, outcome.handover)
                draft.consent = outcome.consent
                draft.legal_basis = outcome.legal_basis
                referrals = [Referral.from_json(item) for item in json.loads(outcome.referrals or "[]")]
                if referrals:
                    draft.set_referrals(referrals)
                draft.duties_made = [DutyMade.from_json(item) for item in json.loads(outcome.duties_made or "[]")]
                draft.outcome_note = outcome.note
                draft.care_deadline = outcome.care_deadline
                draft.past_deadline = outcome.past_deadline
                draft.deadline_reason = outcome.deadline_reason
            follow_up = session.exec(
                select(FollowUp).where(FollowUp.contact_id == contact.id)
                .where(FollowUp.kind != FollowUpKind.CONFIRM_DUTY.value)
            ).first()
            if follow_up:
                draft.follow_up_kind = FollowUpKind(follow_up.kind)
                draft.follow_up_due = follow_up.due
                draft.follow_up_assignee_id = follow_up.assignee_id
                draft.follow_up_note = follow_up.note
            return draft

    def contact_status(self, contact_id: str) -> ContactStatus | None:
        with self.session() as session:
            contact = session.get(Contact, contact_id)
            return ContactStatus(contact.status) if contact else None

    def open_drafts(self, worker_id: str) -> list[DraftSummary]:
        """Unsigned contacts of a worker, newest first (offered after a crash)."""
        with self.session() as session:
            query = (
                select(Contact, Client)
                .join(Client, isouter=True)
                .where(Contact.worker_id == worker_id)
                .where(Contact.status == ContactStatus.DRAFT.value)
                .order_by(col(Contact.updated_at).desc())
            )
            return [
                DraftSummary(
                    id=contact.id,
                    started_at=contact.started_at,
                    step=Step(contact.step),
                    client_name=_client_name(client, contact.anonymous),
                    client_id=contact.client_id,
                )
                for contact, client in session.exec(query)
            ]

    def discard_draft(self, contact_id: str, now: datetime | None = None) -> None:
        with self.session() as session:
            contact = session.get(Contact, contact_id)
            if contact is None:
                return
            if contact.status != ContactStatus.DRAFT.value:
                raise NotADraft(_("A signed contact cannot be discarded."))
            changed = callbacks_of_contact(session, contact_id, "taken") + callbacks_of_contact(session, contact_id, "done")
            for statement in (
                # A callback request taken for this contact goes back to the queue.
                "UPDATE callback SET status = 'open', taken_by = NULL, contact_id = NULL "
                "WHERE contact_id = :id AND status = 'taken'",
                # One finished without the contact keeps its result; it no longer points here.
                "UPDATE callback SET contact_id = NULL WHERE contact_id = :id",
                "UPDATE slot SET booked_contact_id = NULL WHERE booked_contact_id = :id",
                "DELETE FROM follow_up WHERE contact_id = :id",
                "DELETE FROM outcome WHERE contact_id = :id",
                "DELETE FROM segment WHERE contact_id = :id",
                "DELETE FROM assessment WHERE contact_id = :id",
                "DELETE FROM contact WHERE id = :id",
            ):
                session.exec(text(statement).bindparams(id=contact_id))
            enqueue_callbacks(session, changed, now or datetime.now(UTC))
            session.commit()

    def start_correction(self, contact_id: str, now: datetime, viewer: Viewer | None = None) -> ContactDraft:
        """A correction of a signed contact: a new draft version that keeps the old one."""
        if self.contact_status(contact_id) != ContactStatus.SIGNED:
            raise NotADraft(_("Only a signed contact can be corrected."))
        with self.session() as session:
            moved = session.get(Appointment, contact_id)
        if moved is not None and moved.status != "booked":
            # A correction would book the visit again from the contact's outcome (review of
            # issue 20): a visit cancelled, done or missed is changed in the client's bookings.
            raise NotADraft(
                _("This contact's visit was cancelled, done or missed after it: it cannot be corrected; "
                  "the visit is in the client's bookings (A).")
            )
        correction = self.load_draft(contact_id, viewer, now).as_correction()
        if moved is not None and moved.status == "booked" and correction.slot_id:
            # A visit moved after the contact: the correction keeps it at its time now.
            correction.slot_id = moved.slot_id
        self.save_draft(correction, now, viewer)
        return correction

    def recent_signed(self, worker_id: str, limit: int = 8) -> list[DraftSummary]:
        """A worker's latest signed contacts that no later version corrects."""
        with self.session() as session:
            query = (
                select(Contact, Client)
                .join(Client, isouter=True)
                .where(Contact.worker_id == worker_id)
                .where(Contact.status == ContactStatus.SIGNED.value)
                .where(_not_corrected())
                .order_by(col(Contact.signed_at).desc())
                .limit(limit)
            )
            return [
                DraftSummary(
                    id=contact.id,
                    started_at=contact.signed_at or contact.started_at,
                    step=Step(contact.step),
                    client_name=_client_name(client, contact.anonymous),
                    client_id=contact.client_id,
                )
                for contact, client in session.exec(query)
            ]

    def signed_contacts(self, limit: int = 50) -> list[Contact]:
        with self.session() as session:
            query = (
                select(Contact)
                .where(Contact.status == ContactStatus.SIGNED.value)
                .order_by(col(Contact.signed_at).desc())
                .limit(limit)
            )
            return list(session.exec(query))

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

    # -- follow-ups -------------------------------------------------------------------------

    def follow_ups_due(self, worker_id: str, day: date) -> list[FollowUpRow]:
        """Open follow-ups of a worker due on or before `day`, oldest first."""
        with self.session() as session:
            query = (
                select(FollowUp, Client)
                .join(Client, isouter=True)
                .where(FollowUp.assignee_id == worker_id)
                .where(FollowUp.status == FollowUpStatus.OPEN.value)
                .where(FollowUp.due <= day)
                .order_by(FollowUp.due)
            )
            return [
                FollowUpRow(
                    id=row.id,
                    kind=FollowUpKind(row.kind),
                    due=row.due,
                    status=FollowUpStatus(row.status),
                    client_name=_client_name(client, client is None),
                    note=row.note,
                    client_id=row.client_id,
                )
                for row, client in session.exec(query)
            ]

    def set_follow_up_status(
        self, follow_up_id: str, status: FollowUpStatus, result: str, now: datetime,
        viewer: Viewer | None = None,
    ) -> FollowUp:
        """Close (done, cancelled) or reopen a follow-up task, with what came of it."""
        with self.session() as session:
            row = session.get(FollowUp, follow_up_id)
            if row is None or row.status == FollowUpStatus.PLANNED.value:
                raise StoreError(_("No such follow-up: {id}").format(id=follow_up_id))
            row.status, row.result = status.value, result
            session.add(row)
            session.flush()
            enqueue(session, RecordType.FOLLOW_UP, row.id, dump(row), now)
            if viewer is not None and row.client_id:
                write_access(session, viewer, [row.client_id], AccessAction.CHANGE, "follow-up", Purpose.WORKLIST.value, now)
            session.commit()
            return row

    # -- export -----------------------------------------------------------------------------

    def export_records(self, viewer: Viewer | None = None) -> Iterator[dict]:
        """Every record, as plain JSON-ready dicts with a "type" and an "id". With a viewer
        (an export by a worker): the records of the viewer's register and the clients they
        are about; a slot booked by the other register's contact shows as booked by nobody
        in particular. Without one: everything (the tests' and the device's own use)."""
        with self.session() as session:
            if viewer is None:
                for type_name, model in RECORD_TYPES.items():
                    for row in session.exec(select(model).order_by(model.id)):
                        yield {"type": type_name, **row.model_dump(mode="json")}
                return
            sector = viewer.register.value
            contacts = set(session.exec(select(Contact.id).where(Contact.sector == sector)))
            clients = set(session.exec(select(Contact.client_id).where(Contact.sector == sector)))
            clients |= set(
                session.exec(select(MissedAppointment.client_id).where(MissedAppointment.sector == sector))
            )
            clients |= set(session.exec(select(Callback.client_id).where(Callback.sector == sector)))
            clients.discard(None)
            keep = {
                "contact": lambda row: row.id in contacts,
                "assessment": lambda row: row.contact_id in contacts,
                "segment": lambda row: row.contact_id in contacts,
                "outcome": lambda row: row.contact_id in contacts,
                "follow_up": lambda row: row.contact_id in contacts,
                "missed_appointment": lambda row: row.sector == sector,
                "appointment": lambda row: row.contact_id in contacts,
                "client": lambda row: row.id in clients,
                "consent": lambda row: row.client_id in clients,
                "callback": lambda row: row.sector == sector,
                "merge": lambda row: row.into_id in clients,
            }
            for type_name, model in RECORD_TYPES.items():
                wanted = keep.get(type_name, lambda row: True)
                for row in session.exec(select(model).order_by(model.id)):
                    if not wanted(row):
                        continue
                    record = {"type": type_name, **row.model_dump(mode="json")}
                    if type_name == "client" and record["protected"]:
                        # A non-disclosure order: where the client lives leaves in no file.
                        record["municipality"] = non_disclosure()
                    if type_name == "slot" and record["booked_contact_id"] not in (None, *contacts):
                        record["booked_contact_id"], record["taken_elsewhere"] = None, True
                    yield record

    def exported_clients(self, viewer: Viewer) -> list[str]:
        return [r["id"] for r in self.export_records(viewer) if r["type"] == "client"]


def _redirected(session: Session, client_id: str) -> str:
    """A merged client's id leads to the client it was merged into (issue 20)."""
    for _hop in range(8):
        row = session.get(ClientMerge, client_id)
        if row is None:
            break
        client_id = row.into_id
    return client_id


def _without_merged(session: Session, clients: list[Client]) -> list[Client]:
    """Search results with a merged client replaced by the one it was merged into, once."""
    if not clients:
        return clients
    merged = dict(
        session.exec(select(ClientMerge.id, ClientMerge.into_id).where(col(ClientMerge.id).in_([c.id for c in clients]))).all()
    )
    if not merged:
        return clients
    out: list[Client] = []
    seen: set[str] = set()
    for client in clients:
        if client.id in merged:
            client = session.get(Client, _redirected(session, client.id)) or client
        if client.id not in seen:
            seen.add(client.id)
            out.append(client)
    return out


def _synchronous_off(connection, _record) -> None:
    connection.execute("PRAGMA synchronous = OFF")


def _not_corrected():
    """The contact is not corrected by a signed later version (a correlated NOT EXISTS on
    the supersedes index: a list of every corrected id made SQLite scan the contacts)."""
    later = aliased(Contact)
    return ~exists().where(later.supersedes_id == Contact.id).where(later.status == ContactStatus.SIGNED.value)


def _service_language(code: str, language: str) -> str:
    """The stored language of service: "" when none is given or it is the national one."""
    if not code.strip():
        return ""
    code = normalize_language(code)
    return "" if code == language else code


def _maybe(enum: type, value: str | None):
    return enum(value) if value else None


def _client_name(client: Client | None, anonymous: bool) -> str:
    if client is not None:
        return f"{client.last_name} {client.first_name}"
    return _("Unidentified client") if anonymous else "-"


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
    return SlotOffer(
        slot_id=slot.id,
        starts_at=slot.starts_at,
        minutes=slot.minutes,
        mode=slot.mode,
        unit_id=unit.id,
        professional_name=professional.name,
        profession=localized(json.loads(professional.profession_name)),
        profession_code=professional.profession,
        unit_name=localized(json.loads(unit.name)),
        languages=tuple(professional.languages.split(",")),
    )



def _children_of(session: Session, contact_id: str) -> dict[str, str]:
    """The ids of a contact's assessment, segment, outcome and planned follow-up, in one query."""
    rows = session.exec(
        text(
            "SELECT 'assessment', id FROM assessment WHERE contact_id = :id "
            "UNION ALL SELECT 'segment', id FROM segment WHERE contact_id = :id "
            "UNION ALL SELECT 'outcome', id FROM outcome WHERE contact_id = :id "
            "UNION ALL SELECT 'follow_up', id FROM follow_up WHERE contact_id = :id AND status = 'planned'"
        ).bindparams(id=contact_id)
    )
    children: dict[str, str] = {}
    for kind, row_id in rows:
        children.setdefault(kind, row_id)
    return children


@lru_cache(maxsize=None)
def _defaults(model: type) -> dict:
    """A model's columns that have a default, with it (a new row gets every column)."""
    return {
        name: field.default
        for name, field in model.model_fields.items()
        if not field.is_required() and field.default_factory is None
    }


def _put_child(session: Session, model: type, contact_id: str, row_id: str | None, values: dict | None) -> None:
    """Insert, update or delete a contact's child row (None: the draft has none)."""
    insert_, update_, delete_ = _child_statements(model)
    if values is None:
        if row_id is not None:
            session.exec(delete_, params={"row_id": row_id})
        return
    if row_id is None:
        session.exec(insert_, params={**_defaults(model), **values, "id": new_id(), "contact_id": contact_id})
    else:
        session.exec(update_, params={**values, "row_id": row_id})


@lru_cache(maxsize=None)
def _child_statements(model: type):
    """Insert, update and delete of a child row, built once (values come as parameters)."""
    table = model.__table__
    by_id = table.c.id == bindparam("row_id")
    return insert(table), update(table).where(by_id), delete(table).where(by_id)


def _assessment_values(draft: ContactDraft) -> dict | None:
    if draft.protocol_id is None:
        return None
    return dict(
        protocol_id=draft.protocol_id,
        protocol_version=draft.protocol_version or 1,
        answers=json.dumps(draft.answers, sort_keys=True),
        red_flags=json.dumps(draft.red_flags),
        suggested_urgency=draft.suggested_urgency.value if draft.suggested_urgency else None,
        urgency=draft.urgency.value if draft.urgency else None,
        override_reason=draft.override_reason,
        worry_level=draft.worry_level.value if draft.worry_level else None,
        duties=json.dumps(draft.duties),
        domains=json.dumps(draft.domains),
        safety_net=draft.safety_net,
        citizen_answers=json.dumps(draft.citizen_answers, sort_keys=True),
    )


def _segment_values(draft: ContactDraft) -> dict | None:
    if draft.segment is None:
        return None
    high_need_plan = draft.segment == Segment.COMPLEX_NEED and draft.high_need
    return dict(
        suggested=draft.suggested_segment.value if draft.suggested_segment else None,
        segment=draft.segment.value,
        high_need=draft.high_need,
        triggers=json.dumps([t.value for t in draft.triggers]),
        plan_type=draft.plan_type.value if high_need_plan and draft.plan_type else None,
        named_contact=draft.named_contact if high_need_plan else None,
    )


def _outcome_values(draft: ContactDraft, wanted_slot: str | None) -> dict | None:
    if draft.outcome_kind is None:
        return None
    # Only what belongs to the chosen kind is kept: a worker who tried a referral and
    # then gave advice leaves no referral behind in the record.
    kind = draft.outcome_kind
    referral = kind == OutcomeKind.REFERRAL
    referrals = draft.all_referrals
    first = referrals[0] if referrals else None
    booking = kind == OutcomeKind.BOOKING
    return dict(
        kind=kind.value,
        advice_text=draft.advice_text if kind == OutcomeKind.ADVICE else "",
        slot_id=wanted_slot,
        # A draft may hold a destination whose hand-over is not chosen yet: kept as it was.
        service_code=first.service_code if first else (draft.service_code if referral else None),
        handover=first.handover.value if first else None,
        consent=first.consent if first else False,
        legal_basis=first.legal_basis if first else "",
        referrals=json.dumps([r.as_json() for r in referrals], ensure_ascii=False),
        duties_made=json.dumps([d.as_json() for d in draft.duties_made], ensure_ascii=False),
        note=draft.outcome_note if kind == OutcomeKind.EMERGENCY else "",
        care_deadline=draft.care_deadline if booking else None,
        past_deadline=draft.past_deadline if booking else False,
        deadline_reason=draft.deadline_reason if booking and draft.past_deadline else "",
    )


def _follow_up_values(draft: ContactDraft) -> dict | None:
    wanted = (
        draft.follow_up_kind != FollowUpKind.NONE
        and draft.follow_up_due is not None
        and draft.follow_up_assignee_id is not None
    )
    if not wanted:
        return None
    return dict(
        client_id=draft.client_id,
        kind=draft.follow_up_kind.value,
        due=draft.follow_up_due,
        assignee_id=draft.follow_up_assignee_id,
        note=draft.follow_up_note,
    )
