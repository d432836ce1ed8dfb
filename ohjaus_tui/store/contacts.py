"""Contacts in the store: drafts saved after every step, signed, corrected (a new version
that supersedes the old), discarded, and read back. A repository of the Store
(store.contacts); what a draft's rows are and what a signature does are in signing.py."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import exists, func, text
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from ohjaus_core.domain.access_log import AccessAction, Purpose
from ohjaus_core.domain.codes import (
    Caller, Channel, ContactStatus, FollowUpKind, Handover, HighNeedTrigger, Language, OutcomeKind, PlanType, Register,
    Segment, ServiceArea, Urgency, WorryLevel,
)
from ohjaus_core.domain.contact import ContactDraft, DutyMade, Referral, Step, first_incomplete_step
from ohjaus_core.domain.errors import DomainError
from ohjaus_core.domain.viewer import NotVisible, Viewer
from ohjaus_core.i18n import _
from .errors import NotADraft, StoreError
from .models import Appointment, Assessment, Client, Contact, FollowUp, Outcome, SegmentChoice
from .protection import visible_in, write_access
from .repository import Repository
from .signing import sign_contact, write_draft
from .worklist import callbacks_of_contact, client_name, enqueue_callbacks


@dataclass(frozen=True)
class DraftSummary:
    id: str
    started_at: datetime
    step: Step
    client_name: str
    client_id: str | None = None


class Contacts(Repository):
    """store.contacts"""

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

    # -- drafts and signing -----------------------------------------------------------------

    def save_draft(self, draft: ContactDraft, now: datetime, viewer: Viewer | None = None) -> None:
        """Write the whole draft in one transaction (after every step); with the worker
        who wrote it, the change goes to the access log in the same transaction."""
        with self.session() as session:
            sector, new = write_draft(session, draft, now)
            if viewer is not None and draft.client_id:
                action = AccessAction.CREATE if new else AccessAction.CHANGE
                write_access(session, viewer, [draft.client_id], action, "contact", Purpose.CONTACT.value, now, sector)
            session.commit()

    def _child(self, session: Session, model: type, contact_id: str):
        return session.exec(select(model).where(model.contact_id == contact_id)).first()

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
            sign_contact(session, draft, now, viewer, answered_callbacks)
            return
        with self.session() as session:
            sign_contact(session, draft, now, viewer, answered_callbacks)
            session.commit()

    def load_draft(self, contact_id: str, viewer: Viewer | None = None, now: datetime | None = None) -> ContactDraft:
        """Rebuild a draft (or a signed contact, for viewing and correcting) from its rows.
        With a viewer: only from a register they may see now, and the view is logged."""
        with self.session() as session:
            contact = session.get(Contact, contact_id)
            if contact is None:
                raise StoreError(_("No such contact: {id}").format(id=contact_id))
            if viewer is not None and contact.client_id:
                assert now is not None
                visible = visible_in(session, contact.client_id, viewer, now)
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
        query = _of_worker(worker_id, ContactStatus.DRAFT).order_by(col(Contact.updated_at).desc())
        return self._summaries(query, signed=False)

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
        query = _of_worker(worker_id, ContactStatus.SIGNED).where(_not_corrected())
        return self._summaries(query.order_by(col(Contact.signed_at).desc()).limit(limit), signed=True)

    def _summaries(self, query, signed: bool) -> list[DraftSummary]:
        """The contacts of a (contact, client) query as the home screen lists them: a signed
        one at the time it was signed."""
        with self.session() as session:
            return [
                DraftSummary(
                    id=contact.id,
                    started_at=(contact.signed_at if signed else None) or contact.started_at,
                    step=Step(contact.step),
                    client_name=client_name(client, contact.anonymous),
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


def _not_corrected():
    """The contact is not corrected by a signed later version (a correlated NOT EXISTS on
    the supersedes index: a list of every corrected id made SQLite scan the contacts)."""
    later = aliased(Contact)
    return ~exists().where(later.supersedes_id == Contact.id).where(later.status == ContactStatus.SIGNED.value)


def _of_worker(worker_id: str, status: ContactStatus):
    """A worker's contacts in a status, each with its client (None for an anonymous one)."""
    return (
        select(Contact, Client)
        .join(Client, isouter=True)
        .where(Contact.worker_id == worker_id)
        .where(Contact.status == status.value)
    )


def _maybe(enum: type, value: str | None):
    return enum(value) if value else None
