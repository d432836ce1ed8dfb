"""What a contact's draft is as rows, and what its signature does, in the caller's
transaction: the contact and its assessment, segment, outcome and follow-up written with
Core statements; the slot held; on signing the follow-up opened, callbacks answered, duties
to confirm, the version it corrects superseded, and the outbox entries in the order the
server applies them. Used by store.contacts."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache

from sqlalchemy import bindparam, delete, insert, text, update
from sqlmodel import Session, col, select

from ohjaus_core.domain.access_log import AccessAction, Purpose
from ohjaus_core.domain.calendar import add_working_days
from ohjaus_core.domain.codes import ContactStatus, FollowUpKind, FollowUpStatus, OutcomeKind, Register, Segment
from ohjaus_core.domain.contact import ContactDraft, new_id
from ohjaus_core.domain.viewer import Viewer
from ohjaus_core.i18n import _
from ohjaus_core.protocol import RecordType
from .clients import redirected
from .errors import NotADraft, SlotTaken
from .models import Assessment, Contact, FollowUp, Outcome, SegmentChoice, Slot, Worker
from .protection import write_access
from .sync_side import contact_family, dump, enqueue
from .worklist import callbacks_of_contact, enqueue_callbacks


def register_of(session: Session, draft: ContactDraft) -> Register:
    """The register a contact belongs to: its service area's, or before one is chosen
    the worker's own."""
    if draft.service_area is not None:
        return draft.service_area.register
    worker = session.get(Worker, draft.worker_id)
    return Register(worker.sector) if worker else Register.HEALTH


def write_draft(session: Session, draft: ContactDraft, now: datetime) -> tuple[str, bool]:
    """The draft's rows in the caller's transaction: Core statements, one query for the
    rows it has already (no ORM object a row). Returns the contact's register and
    whether the contact is new."""
    draft.clean_text()
    if draft.client_id:
        # A client merged while the draft was open: the draft goes on with the real one.
        draft.client_id = redirected(session, draft.client_id)
    status = session.exec(select(Contact.status).where(Contact.id == draft.id)).first()
    if status == ContactStatus.SIGNED.value:
        raise NotADraft(_("This contact is signed; make a correction instead."))
    sector = register_of(session, draft).value
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
    hold_slot(session, draft, wanted_slot)
    _put_child(session, Assessment, draft.id, existing.get("assessment"), _assessment_values(draft))
    _put_child(session, SegmentChoice, draft.id, existing.get("segment"), _segment_values(draft))
    _put_child(session, Outcome, draft.id, existing.get("outcome"), _outcome_values(draft, wanted_slot))
    follow_up = _follow_up_values(draft)
    if follow_up is not None and existing.get("follow_up") is None:
        follow_up.update(created_at=now, status=FollowUpStatus.PLANNED.value)
    _put_child(session, FollowUp, draft.id, existing.get("follow_up"), follow_up)
    return sector, status is None


def hold_slot(session: Session, draft: ContactDraft, slot_id: str | None) -> None:
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
    # that version until it is signed (see sign_contact): a discarded correction frees nothing.
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


def sign_contact(
    session: Session, draft: ContactDraft, now: datetime, viewer: Viewer | None,
    answered_callbacks: list[str] | tuple[str, ...],
) -> None:
    """Sign the draft in the caller's transaction (store.contacts.sign checks it first)."""
    sector, _new = write_draft(session, draft, now)
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
    followed = close_followed(session, draft)
    released: list[str] = []
    cancelled: list[str] = []
    confirmed: set[str] = set()
    if draft.supersedes_id:
        confirmed = duties_confirmed(session, draft.supersedes_id)
        released, cancelled = supersede(session, draft)
    confirm_duties(session, draft, now, confirmed)
    contact = Contact.__table__
    session.exec(
        update(contact)
        .where(contact.c.id == draft.id)
        .values(status=ContactStatus.SIGNED.value, signed_at=now, updated_at=now)
    )
    enqueue_signed(session, draft, released, cancelled, now)
    enqueue_callbacks(session, taken, now)  # after the contact, which they refer to
    if followed is not None:  # after the contact that closed it
        enqueue(session, RecordType.FOLLOW_UP, followed.id, dump(followed), now)
    if viewer is not None and draft.client_id:
        write_access(session, viewer, [draft.client_id], AccessAction.SIGN, "contact", Purpose.CONTACT.value, now, sector)


def close_followed(session: Session, draft: ContactDraft) -> FollowUp | None:
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


def duties_confirmed(session: Session, contact_id: str) -> set[str]:
    """The duties of an earlier version whose receipt was already confirmed (done)."""
    rows = session.exec(
        select(FollowUp.note).where(FollowUp.contact_id == contact_id)
        .where(FollowUp.kind == FollowUpKind.CONFIRM_DUTY.value)
        .where(FollowUp.status == FollowUpStatus.DONE.value)
    )
    return set(rows)


def confirm_duties(session: Session, draft: ContactDraft, now: datetime, confirmed: set[str]) -> None:
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


def enqueue_signed(
    session: Session, draft: ContactDraft, released: list[str], cancelled: list[str], now: datetime
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


def supersede(session: Session, draft: ContactDraft) -> tuple[list[str], list[str]]:
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

