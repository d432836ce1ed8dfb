"""The worker's day in the store: callback requests (imported, taken, done), and the
worklist query that brings callbacks, follow-ups and unfinished contacts together.
A repository of the Store (store.worklist)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text
from sqlmodel import Session, col, select

from ohjaus_core.domain.access_log import Purpose
from ohjaus_core.domain.callbacks import CallbackRequest, callback_id
from ohjaus_core.domain.codes import Channel, ContactStatus, FollowUpKind, FollowUpStatus, Language, Register
from ohjaus_core.domain.contact import ContactDraft, Step, new_id
from ohjaus_core.domain.contact_requests import choose_protocol, prefill, reason_with_answers, unasked
from ohjaus_core.domain.deadlines.rules import CallbackRules, RegionRules
from ohjaus_core.domain.errors import DomainError
from ohjaus_core.domain.identity import age_in_years, client_id_for
from ohjaus_core.domain.protocols.model import Protocol
from ohjaus_core.domain.viewer import Viewer
from ohjaus_core.domain.worklist import WorkItem, WorkKind, callback_due, callbacks_ordered, end_of_day, ordered
from ohjaus_core.i18n import _
from ohjaus_core.protocol import RecordType
from .errors import StoreError
from .models import Callback, Client, FollowUp, Unit, Worker
from .protection import save_change
from .repository import Repository
from .sync_side import dump, enqueue


@dataclass(frozen=True)
class ImportResult:
    added: int
    already: int  # the same request (by the phone system's id) was imported before
    matched: int  # requests whose caller is a known client


@dataclass(frozen=True)
class FollowUpRow:
    id: str
    kind: FollowUpKind
    due: date
    status: FollowUpStatus
    client_name: str
    note: str
    client_id: str | None = None


def enqueue_callbacks(session: Session, ids: list[str], now: datetime) -> None:
    """The outbox entries of callback requests changed by SQL, in the caller's transaction."""
    session.flush()
    session.expire_all()
    for record_id in ids:
        row = session.get(Callback, record_id)
        if row is not None:
            enqueue(session, RecordType.CALLBACK, row.id, dump(row), now)


def callbacks_of_contact(session: Session, contact_id: str, status: str) -> list[str]:
    return list(
        session.exec(select(Callback.id).where(Callback.contact_id == contact_id).where(Callback.status == status))
    )


def _utc(stored: str | None) -> datetime | None:
    """A moment as the store keeps it (naive UTC text) as an aware datetime."""
    return None if stored is None else datetime.fromisoformat(stored).replace(tzinfo=UTC)


def client_name(client: Client | None, anonymous: bool) -> str:
    if client is not None:
        return f"{client.last_name} {client.first_name}"
    return _("Unidentified client") if anonymous else "-"


class Worklist(Repository):
    """store.worklist: callback requests, follow-up tasks and the list that brings them together."""

    # -- callback requests ------------------------------------------------------------------

    def import_callbacks(self, requests: list[CallbackRequest], default_unit_id: str, now: datetime) -> ImportResult:
        """Write the requests in one transaction (all or none). A caller is matched to a
        client by identity code exactly, else by phone when exactly one client has it."""
        added = already = matched = 0
        with self.session() as session:
            units = {u.code: u.id for u in session.exec(select(Unit))}
            for request in requests:
                if request.unit_code and request.unit_code not in units:
                    raise DomainError(_("line {line}: unknown unit {code}").format(line=request.line, code=request.unit_code))
            for request in requests:
                unit_id = units[request.unit_code] if request.unit_code else default_unit_id
                register = request.register.value
                record_id = callback_id(unit_id, register, request.source) or new_id()
                if request.source and self._held(session, record_id, unit_id, register, request.source):
                    already += 1
                    continue
                client_id = self._match(session, request)
                matched += client_id is not None
                row = Callback(
                    id=record_id, unit_id=unit_id,
                    sector=request.register.value, client_id=client_id, name=request.name,
                    phone=request.phone, reason=request.reason, requested_at=request.requested_at,
                    source=request.source, imported_at=now, queue=request.queue, language=request.language,
                    priority=request.priority, origin=request.origin,
                    answers=json.dumps(request.answers, sort_keys=True), other_answers=request.other_answers,
                    own_urgency=request.own_urgency, preference=request.preference,
                    identity_code=request.identity_code if request.origin == "e_service" else None,
                    protocol_id=request.protocol_id,
                )
                session.add(row)
                session.flush()
                enqueue(session, RecordType.CALLBACK, row.id, dump(row), now)
                added += 1
            session.commit()
        return ImportResult(added, already, matched)

    @staticmethod
    def _held(session: Session, record_id: str, unit_id: str, register: str, source: str) -> bool:
        """Whether the unit's request with this source is here: under its id, or under the
        id made before 5.12.2026 (the source alone), which a held request keeps."""
        if session.get(Callback, record_id) is not None:
            return True
        return session.exec(
            select(Callback.id).where(Callback.source == source).where(Callback.unit_id == unit_id)
            .where(Callback.sector == register)
        ).first() is not None

    @staticmethod
    def _match(session: Session, request: CallbackRequest) -> str | None:
        if request.identity_code:
            found = session.get(Client, client_id_for(request.identity_code))
            if found is None:
                found = session.exec(select(Client).where(Client.identity_code == request.identity_code)).first()
            return found.id if found else None
        if not request.phone:
            return None
        same_phone = list(session.exec(select(Client.id).where(Client.phone == request.phone).limit(2)))
        return same_phone[0] if len(same_phone) == 1 else None

    def callback(self, callback_id: str) -> Callback | None:
        with self.session() as session:
            return session.get(Callback, callback_id)

    def take_callback(
        self, callback_id: str, viewer: Viewer, now: datetime, protocols: Sequence[Protocol] = (),
    ) -> ContactDraft:
        """Start the contact of a callback request: the client chosen (when known), the
        reason as the caller gave it, the channel phone. Saved at once as a draft.

        A digital contact request (origin e_service) also finds its client by the identity
        code given in the form, opens on the channel e-service with the reply the client
        wanted, and with `protocols` chooses the protocol from the answers or the reason and
        fills in the client's answers, marked as theirs until the worker confirms each."""
        with self.session() as session:
            row = session.get(Callback, callback_id)
            if row is None or row.status != "open":
                raise DomainError(_("Someone has already taken this callback request."))
            client = session.get(Client, row.client_id) if row.client_id else None
            if client is None and row.identity_code:
                client = session.get(Client, client_id_for(row.identity_code)) or session.exec(
                    select(Client).where(Client.identity_code == row.identity_code)
                ).first()
        draft = ContactDraft(worker_id=viewer.worker_id, unit_id=viewer.unit_id, started_at=now)
        draft.channel, draft.reason = Channel.PHONE, row.reason
        if client is not None:
            draft.client_id, draft.language = client.id, Language(client.language)
            draft.step = Step.NEED
        if row.origin == "e_service":
            self._prefill(draft, row, client, protocols, now)
        self.store.contacts.save_draft(draft, now, viewer)
        with self.session() as session:
            updated = session.exec(
                text(
                    "UPDATE callback SET status = 'taken', taken_by = :worker, contact_id = :contact "
                    "WHERE id = :id AND status = 'open'"
                ).bindparams(worker=viewer.worker_id, contact=draft.id, id=callback_id)
            )
            if updated.rowcount != 1:
                session.rollback()
                self.store.contacts.discard_draft(draft.id)
                raise DomainError(_("Someone has already taken this callback request."))
            enqueue_callbacks(session, [callback_id], now)
            session.commit()
        return draft

    @staticmethod
    def _prefill(draft: ContactDraft, row: Callback, client: Client | None, protocols, now: datetime) -> None:
        """A digital contact request's contact: the reply the client wanted, the protocol
        chosen from their answers or reason, their answers to its questions filled in (marked
        theirs until confirmed), and every other answer written under the reason."""
        draft.channel = Channel.E_SERVICE
        draft.reply_channel = row.preference or None
        answers = json.loads(row.answers or "{}")
        age = age_in_years(now.date(), client.birth_date, client.identity_code) if client is not None else None
        register = [p for p in protocols if p.register.value == row.sector]
        protocol = choose_protocol(register, answers, row.reason, row.protocol_id, age)
        if protocol is not None:
            draft.service_area = protocol.service_areas[0]
            draft.protocol_id, draft.protocol_version = protocol.id, protocol.version
            draft.answers = prefill(protocol, answers)
            draft.citizen_answers = dict(draft.answers)
        other = "\n".join(t for t in (unasked(protocols, draft.answers, answers), row.other_answers) if t)
        draft.reason = reason_with_answers(row.reason, other)

    def callback_no_answer(self, callback_id: str, viewer: Viewer, rules: CallbackRules, now: datetime) -> Callback:
        """A call to the caller that was not answered: one attempt more. The request goes back
        to the queue (a contact started for it by this worker is discarded: no contact was
        made) and comes back `rules.retry_minutes` later; after `rules.max_attempts` calls it
        is a letter or message to send (the worklist shows it so). Synced as a change of the
        request; a request taken or done meanwhile by another worker is refused."""
        with self.session() as session:
            row = session.get(Callback, callback_id)
            if row is None or row.status not in ("open", "taken"):
                raise DomainError(_("No such open callback request."))
            if row.status == "taken" and row.taken_by != viewer.worker_id:
                raise DomainError(_("Someone has already taken this callback request."))
            draft = row.contact_id if row.status == "taken" else None
            if row.attempts >= rules.max_attempts:
                raise DomainError(_("This caller has not answered {n} calls: send a letter or message.").format(n=row.attempts))
        if draft is not None:
            self.store.contacts.discard_draft(draft, now)
        with self.session() as session:
            row = session.get(Callback, callback_id)
            if row is None or row.status != "open":
                raise DomainError(_("Someone has already taken this callback request."))
            row.attempts += 1
            row.first_attempt_at = row.first_attempt_at or now
            row.last_attempt_at = now
            save_change(session, row, RecordType.CALLBACK, now, viewer, "callback", Purpose.WORKLIST.value)
            session.commit()
            return row

    def callback_of_contact(self, contact_id: str) -> Callback | None:
        """The callback request taken for this (draft) contact, if it was started from one."""
        with self.session() as session:
            return session.exec(
                select(Callback).where(Callback.contact_id == contact_id).where(Callback.status == "taken")
            ).first()

    def open_callbacks_of_client(self, client_id: str, register: Register | None = None) -> list[Callback]:
        """The client's callback requests still waiting in the queue, earliest first: a
        contact with the client started any other way may answer them (issue 15)."""
        with self.session() as session:
            # (an e-service's request is taken from its own section: its answers come with it)
            query = select(Callback).where(
                Callback.client_id == client_id, Callback.status == "open", Callback.origin == "phone",
            )
            if register is not None:
                query = query.where(Callback.sector == register.value)
            return list(session.exec(query.order_by(col(Callback.requested_at))))

    def finish_callback(self, callback_id: str, result: str, viewer: Viewer, now: datetime) -> None:
        """Done without a contact (no answer twice, a text message sent): with what came of it."""
        if not result.strip():
            raise DomainError(_("Say what came of it."))
        with self.session() as session:
            row = session.get(Callback, callback_id)
            if row is None or row.status not in ("open", "taken"):
                raise DomainError(_("No such open callback request."))
            row.status, row.result, row.taken_by = "done", result.strip(), viewer.worker_id
            save_change(session, row, RecordType.CALLBACK, now, viewer, "callback", Purpose.WORKLIST.value)
            session.commit()

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
                    client_name=client_name(client, client is None),
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
            save_change(session, row, RecordType.FOLLOW_UP, now, viewer, "follow-up", Purpose.WORKLIST.value)
            session.commit()
            return row

    def _follow_up_change(self, follow_up_id: str, viewer: Viewer, now: datetime, **fields) -> FollowUp:
        with self.session() as session:
            row = session.get(FollowUp, follow_up_id)
            if row is None or row.status != FollowUpStatus.OPEN.value:
                raise DomainError(_("No such open follow-up."))
            for key, value in fields.items():
                setattr(row, key, value)
            save_change(session, row, RecordType.FOLLOW_UP, now, viewer, "follow-up", Purpose.WORKLIST.value)
            session.commit()
            return row

    def complete_follow_up(self, follow_up_id: str, result: str, viewer: Viewer, now: datetime) -> FollowUp:
        """Done with what came of it, if it is still open (not closed meanwhile elsewhere)."""
        return self._follow_up_change(follow_up_id, viewer, now, status=FollowUpStatus.DONE.value, result=result)

    def reschedule_follow_up(self, follow_up_id: str, due: date, viewer: Viewer, now: datetime) -> FollowUp:
        if due < now.date():
            raise DomainError(_("A new due date cannot be in the past."))
        return self._follow_up_change(follow_up_id, viewer, now, due=due)

    def hand_follow_up(self, follow_up_id: str, viewer: Viewer, now: datetime, *, worker_id: str | None = None, team_id: str | None = None) -> FollowUp:
        """To another worker, or to a team (the unit: whoever of it takes it first)."""
        if (worker_id is None) == (team_id is None):
            raise ValueError("a worker or a team")
        if worker_id is not None:
            with self.session() as session:
                worker = session.get(Worker, worker_id)
            if worker is None or worker.sector != viewer.register.value:
                raise DomainError(_("A follow-up goes only to a worker of its register."))
            return self._follow_up_change(follow_up_id, viewer, now, assignee_id=worker_id, team_id=None)
        return self._follow_up_change(follow_up_id, viewer, now, team_id=team_id)

    # -- the list ---------------------------------------------------------------------------

    def worklist(self, viewer: Viewer, rules: RegionRules, now: datetime, limit: int = 200) -> list[WorkItem]:
        """Open callback requests of the worker's unit and register, then its digital contact
        requests (every one, oldest first; one called without an answer joins the callback
        queue), follow-ups due by today
        for the worker or their team, and their unfinished contacts. The callback requests
        come first, every one of them, by priority and oldest first (those back in the queue
        later after no answer at the end, by when they come back); then the rest, most urgent
        first, at most `limit` of it. A request not answered the region's maximum number of
        times is a letter or message to send, among the rest."""
        today = now.date()
        items: list[WorkItem] = []
        queue: list[WorkItem] = []
        requests: list[WorkItem] = []  # digital contact requests: their own section, oldest first
        retry = timedelta(minutes=rules.callbacks.retry_minutes)
        most = rules.callbacks.max_attempts
        # Plain rows, not ORM objects: with thousands of open items, building the objects
        # was most of the time (bench/callback_queue.py).
        with self.session() as session:
            conn = session.connection()
            callbacks = conn.exec_driver_sql(
                "SELECT cb.id, cb.client_id, cl.last_name, cl.first_name, cb.name, cb.phone, cb.reason,"
                " cb.requested_at, cb.queue, cb.priority, cb.attempts, cb.language, cb.last_attempt_at,"
                " cb.origin, cb.own_urgency, cb.preference"
                " FROM callback cb LEFT JOIN client cl ON cl.id = cb.client_id"
                " WHERE cb.unit_id = ? AND cb.sector = ? AND cb.status = 'open'",
                (viewer.unit_id, viewer.register.value),
            ).all()
            for (record_id, client_id, last_name, first_name, name, phone, reason, requested, queue_name, priority,
                 attempts, language, last_attempt, origin, own_urgency, preference) in callbacks:
                who = f"{last_name} {first_name}" if last_name is not None else (name or "-")
                requested_at, last_at = _utc(requested), _utc(last_attempt)
                if origin == "e_service" and not attempts:
                    requests.append(WorkItem(
                        WorkKind.REQUEST, record_id, client_id, who, phone or None, reason, requested_at,
                        callback_due(rules, requested_at), language=language, own_urgency=own_urgency,
                        preference=preference,
                    ))
                    continue
                if attempts >= most:
                    last = last_at or requested_at
                    items.append(WorkItem(
                        WorkKind.LETTER, record_id, client_id, who, phone, reason, requested_at,
                        end_of_day(last.astimezone(now.tzinfo).date()), queue=queue_name, priority=priority,
                        attempts=attempts, language=language,
                    ))
                    continue
                queue.append(WorkItem(
                    WorkKind.CALLBACK, record_id, client_id, who, phone, reason, requested_at,
                    callback_due(rules, requested_at), queue=queue_name, priority=priority, attempts=attempts,
                    language=language, back_at=last_at + retry if last_at else None,
                ))
            follow_ups = conn.exec_driver_sql(
                "SELECT f.id, f.kind, f.note, f.client_id, cl.last_name, cl.first_name, cl.phone, f.created_at, f.due,"
                " f.team_id FROM follow_up f JOIN contact c ON c.id = f.contact_id"
                " LEFT JOIN client cl ON cl.id = f.client_id"
                " WHERE f.status = 'open' AND f.due <= ? AND c.sector = ?"  # never the other register's
                " AND ((f.assignee_id = ? AND f.team_id IS NULL) OR f.team_id = ?)"
                " ORDER BY f.due LIMIT ?",
                (today.isoformat(), viewer.register.value, viewer.worker_id, viewer.unit_id, limit),
            ).all()
            labels = {kind.value: kind.label for kind in FollowUpKind}
            for record_id, kind, note, client_id, last_name, first_name, phone, created, due, team_id in follow_ups:
                what = labels[kind] + (f": {note}" if note else "")
                items.append(WorkItem(
                    WorkKind.REBOOK if kind == FollowUpKind.REBOOK.value else WorkKind.FOLLOW_UP, record_id, client_id,
                    f"{last_name} {first_name}" if last_name is not None else "-", phone, what, _utc(created),
                    end_of_day(date.fromisoformat(due)), team=team_id is not None,
                ))
            drafts = conn.exec_driver_sql(
                "SELECT c.id, c.client_id, c.anonymous, cl.last_name, cl.first_name, cl.phone, c.reason, c.started_at"
                " FROM contact c LEFT JOIN client cl ON cl.id = c.client_id"
                " WHERE c.worker_id = ? AND c.status = ? LIMIT ?",
                (viewer.worker_id, ContactStatus.DRAFT.value, limit),
            ).all()
            for record_id, client_id, anonymous, last_name, first_name, phone, reason, started in drafts:
                if last_name is not None:
                    name = f"{last_name} {first_name}"
                else:
                    name = _("Unidentified client") if anonymous else "-"
                started_at = _utc(started)
                items.append(WorkItem(
                    WorkKind.DRAFT, record_id, client_id, name, phone, reason, started_at,
                    end_of_day(started_at.astimezone(now.tzinfo).date()),
                ))
        requests.sort(key=lambda i: (i.since, i.id))
        return callbacks_ordered(queue, now) + requests + ordered(items)[:limit]

    def team_choices(self, viewer: Viewer) -> list[tuple[str, str]]:
        """(id, name) of the workers of the unit in the viewer's register, and the team."""
        with self.session() as session:
            workers = session.exec(
                select(Worker).where(Worker.unit_id == viewer.unit_id).where(Worker.sector == viewer.register.value)
                .where(Worker.id != viewer.worker_id).order_by(Worker.name)
            )
            return [(f"worker:{w.id}", w.name) for w in workers]
