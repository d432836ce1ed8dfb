"""What a contact's draft is as rows, and what its signature does, in the caller's
transaction: the contact and its assessment, segment, outcome and follow-up written; the
slot held; on signing the follow-up opened, callbacks answered, duties to confirm, the
version it corrects superseded, the outbox entries in the order the server applies them and
the access-log entry. Driver SQL made once, on the session's own connection (driver_sql.py,
issue 18): the same rows as Core statements wrote, without SQLAlchemy's per-statement work.
Used by store.contacts."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache

from sqlmodel import Session

from ohjaus_core import records
from ohjaus_core.domain.access_log import AccessAction, Purpose
from ohjaus_core.domain.calendar import add_working_days
from ohjaus_core.domain.codes import ContactStatus, FollowUpKind, FollowUpStatus, OutcomeKind, Register, Segment
from ohjaus_core.domain.contact import ContactDraft, new_id
from ohjaus_core.domain.viewer import Viewer
from ohjaus_core.i18n import _
from ohjaus_core.protocol import RecordType
from .clients import follow_merges
from .driver_sql import DriverSql
from .errors import NotADraft, SlotTaken
from .models import Assessment, Callback, Contact, FollowUp, Outcome, SegmentChoice
from .protection import write_access
from .sync_side import contact_family, enqueue

_CONTACT = Contact.__table__
_FOLLOW_UP = FollowUp.__table__
_CALLBACK = Callback.__table__


def register_of(sql: DriverSql, draft: ContactDraft) -> Register:
    """The register a contact belongs to: its service area's, or before one is chosen
    the worker's own."""
    if draft.service_area is not None:
        return draft.service_area.register
    worker = sql.first("SELECT sector FROM worker WHERE id = ?", (draft.worker_id,))
    return Register(worker[0]) if worker else Register.HEALTH


def write_draft(session: Session | DriverSql, draft: ContactDraft, now: datetime) -> tuple[str, bool]:
    """The draft's rows in the caller's transaction: driver SQL made once, one query for
    the rows it has already (no ORM object a row). Returns the contact's register and
    whether the contact is new."""
    sql = session if isinstance(session, DriverSql) else DriverSql(session)
    draft.clean_text()
    if draft.client_id:
        # A client merged while the draft was open: the draft goes on with the real one.
        draft.client_id = _redirected(sql, draft.client_id)
    status = sql.first("SELECT status FROM contact WHERE id = ?", (draft.id,))
    if status is not None and status[0] == ContactStatus.SIGNED.value:
        raise NotADraft(_("This contact is signed; make a correction instead."))
    sector = register_of(sql, draft).value
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
        sql.insert(_CONTACT, dict(id=draft.id, **values))
    else:
        sql.update(_CONTACT, draft.id, values)
    existing = _children_of(sql, draft.id)
    wanted_slot = draft.slot_id if draft.outcome_kind == OutcomeKind.BOOKING else None
    hold_slot(sql, draft, wanted_slot)
    _put_child(sql, Assessment, draft.id, existing.get("assessment"), _assessment_values(draft))
    _put_child(sql, SegmentChoice, draft.id, existing.get("segment"), _segment_values(draft))
    _put_child(sql, Outcome, draft.id, existing.get("outcome"), _outcome_values(draft, wanted_slot))
    follow_up = _follow_up_values(draft)
    if follow_up is not None and existing.get("follow_up") is None:
        follow_up.update(created_at=now, status=FollowUpStatus.PLANNED.value)
    _put_child(sql, FollowUp, draft.id, existing.get("follow_up"), follow_up)
    return sector, status is None


def _redirected(sql: DriverSql, client_id: str) -> str:
    def into_of(merged_id: str) -> str | None:
        row = sql.first("SELECT into_id FROM client_merge WHERE id = ?", (merged_id,))
        return None if row is None else row[0]

    return follow_merges(client_id, into_of)


def hold_slot(sql: DriverSql, draft: ContactDraft, slot_id: str | None) -> None:
    """Reserve the chosen slot for this draft and free any other it held."""
    sql.run(
        "UPDATE slot SET booked_contact_id = NULL WHERE booked_contact_id = ? AND (? IS NULL OR id != ?)",
        (draft.id, slot_id, slot_id),
    )
    if slot_id is None:
        return
    # A correction keeping the booking of the version it corrects leaves the slot with
    # that version until it is signed (see sign_contact): a discarded correction frees nothing.
    kept = sql.first(
        "SELECT 1 FROM slot WHERE id = ? AND booked_contact_id = ?", (slot_id, draft.supersedes_id or "")
    )
    if kept:
        return
    taken = sql.run(
        "UPDATE slot SET booked_contact_id = ? WHERE id = ? AND (booked_contact_id IS NULL OR booked_contact_id = ?)",
        (draft.id, slot_id, draft.id),
    )
    if taken != 1:
        raise SlotTaken(_("That slot was just booked by someone else. Choose another."))


def sign_contact(
    session: Session, draft: ContactDraft, now: datetime, viewer: Viewer | None,
    answered_callbacks: list[str] | tuple[str, ...],
) -> None:
    """Sign the draft in the caller's transaction (store.contacts.sign checks it first):
    driver SQL made once on the session's connection (issue 18), no ORM object a row."""
    sql = DriverSql(session)
    sector, _new = write_draft(sql, draft, now)
    sql.run("UPDATE follow_up SET status = 'open' WHERE contact_id = ? AND status = 'planned'", (draft.id,))
    for callback_id in answered_callbacks:
        sql.run(
            "UPDATE callback SET status = 'taken', contact_id = ?, taken_by = ? "
            "WHERE id = ? AND status = 'open' AND client_id = ?",
            (draft.id, draft.worker_id, callback_id, draft.client_id),
        )
    taken = [row[0] for row in sql.rows("SELECT id FROM callback WHERE contact_id = ? AND status = 'taken'", (draft.id,))]
    sql.run(
        "UPDATE callback SET status = 'done', result = 'contact signed' WHERE contact_id = ? AND status = 'taken'",
        (draft.id,),
    )
    followed = close_followed(sql, draft)
    released: list[str] = []
    cancelled: list[str] = []
    confirmed: set[str] = set()
    if draft.supersedes_id:
        confirmed = duties_confirmed(sql, draft.supersedes_id)
        released, cancelled = supersede(sql, draft)
    confirm_duties(sql, draft, now, confirmed)
    sql.update(_CONTACT, draft.id, dict(status=ContactStatus.SIGNED.value, signed_at=now, updated_at=now))
    enqueue_signed(sql, draft, released, cancelled, now)
    for callback_id in taken:  # after the contact, which they refer to
        for row in sql.records(_CALLBACK, records.Callback.model_fields, "id = ?", (callback_id,)):
            enqueue(sql, RecordType.CALLBACK, callback_id, records.Callback.wire(row), now)
    if followed is not None:  # after the contact that closed it
        enqueue(sql, RecordType.FOLLOW_UP, followed["id"], records.FollowUp.wire(followed), now)
    if viewer is not None and draft.client_id:
        write_access(sql, viewer, [draft.client_id], AccessAction.SIGN, "contact", Purpose.CONTACT.value, now, sector)
    # The session's objects are read again after the rows changed under them (as before
    # issue 18, when the callbacks' outbox entries expired them).
    session.expire_all()


def close_followed(sql: DriverSql, draft: ContactDraft) -> dict | None:
    """The follow-up the contact was taken for is done by its signature (if it is still
    open: one closed meanwhile, here or by the sync, stays as it was closed). Returns it as
    its record's values, closed."""
    if not draft.for_follow_up_id:
        return None
    rows = sql.records(_FOLLOW_UP, records.FollowUp.model_fields, "id = ?", (draft.for_follow_up_id,))
    if not rows or rows[0]["status"] != FollowUpStatus.OPEN.value:
        return None
    row = rows[0]
    row.update(status=FollowUpStatus.DONE.value, result=_("Contact signed"))
    sql.update(_FOLLOW_UP, row["id"], dict(status=row["status"], result=row["result"]))
    return row


def duties_confirmed(sql: DriverSql, contact_id: str) -> set[str]:
    """The duties of an earlier version whose receipt was already confirmed (done)."""
    rows = sql.rows(
        "SELECT note FROM follow_up WHERE contact_id = ? AND kind = ? AND status = ?",
        (contact_id, FollowUpKind.CONFIRM_DUTY.value, FollowUpStatus.DONE.value),
    )
    return {row[0] for row in rows}


def confirm_duties(sql: DriverSql, draft: ContactDraft, now: datetime, confirmed: set[str]) -> None:
    """Every duty made leaves a follow-up: confirm that the receiving authority got it,
    the next working day, for the worker who made it (a correction does not ask again for
    one already confirmed: the same receiver and person)."""
    for duty in draft.duties_made:
        label = duty.receiver + (f"; {duty.about}" if duty.about else "")
        if label in confirmed:
            continue
        sql.insert(_FOLLOW_UP, dict(
            id=new_id(), contact_id=draft.id, client_id=draft.client_id,
            kind=FollowUpKind.CONFIRM_DUTY.value, due=add_working_days(duty.made_at.date(), 1),
            assignee_id=draft.worker_id, status=FollowUpStatus.OPEN.value,
            note=label, result="", created_at=now, team_id=None,
        ))


def enqueue_signed(
    sql: DriverSql, draft: ContactDraft, released: list[str], cancelled: list[str], now: datetime
) -> None:
    """The outbox entries of a signature, in the order the server must apply them."""
    enqueue(sql, RecordType.CONTACT, draft.id, contact_family(sql, draft.id), now)
    if draft.outcome_kind == OutcomeKind.BOOKING and draft.slot_id:
        booking = {"slot_id": draft.slot_id, "contact_id": draft.id, "previous_contact_id": draft.supersedes_id}
        enqueue(sql, RecordType.BOOKING, draft.slot_id, booking, now)
    for slot_id in released:
        release = {"slot_id": slot_id, "contact_id": None, "previous_contact_id": draft.supersedes_id}
        enqueue(sql, RecordType.BOOKING, slot_id, release, now)
    for follow_up_id in cancelled:
        for row in sql.records(_FOLLOW_UP, records.FollowUp.model_fields, "id = ?", (follow_up_id,)):
            enqueue(sql, RecordType.FOLLOW_UP, follow_up_id, records.FollowUp.wire(row), now)


def supersede(sql: DriverSql, draft: ContactDraft) -> tuple[list[str], list[str]]:
    """A signed correction takes over from the version it corrects: its slot (or frees
    it when the booking changed) and its open follow-ups (the correction has its own).
    Returns the slots given back and the follow-ups cancelled."""
    previous = draft.supersedes_id
    kept = draft.slot_id if draft.outcome_kind == OutcomeKind.BOOKING else None
    released = [
        row[0] for row in sql.rows("SELECT id FROM slot WHERE booked_contact_id = ? AND id != ?", (previous, kept or ""))
    ]
    cancelled = [
        row[0] for row in sql.rows(
            "SELECT id FROM follow_up WHERE contact_id = ? AND status IN (?, ?)",
            (previous, FollowUpStatus.OPEN.value, FollowUpStatus.PLANNED.value),
        )
    ]
    sql.run(
        "UPDATE slot SET booked_contact_id = CASE WHEN id = ? THEN ? ELSE NULL END WHERE booked_contact_id = ?",
        (kept or "", draft.id, previous),
    )
    sql.run(
        "UPDATE follow_up SET status = 'cancelled', result = ? WHERE contact_id = ? AND status IN ('open', 'planned')",
        (f"superseded by version {draft.version}", previous),
    )
    return released, cancelled


def _children_of(sql: DriverSql, contact_id: str) -> dict[str, str]:
    """The ids of a contact's assessment, segment, outcome and planned follow-up, in one query."""
    rows = sql.rows(
        "SELECT 'assessment', id FROM assessment WHERE contact_id = ? "
        "UNION ALL SELECT 'segment', id FROM segment WHERE contact_id = ? "
        "UNION ALL SELECT 'outcome', id FROM outcome WHERE contact_id = ? "
        "UNION ALL SELECT 'follow_up', id FROM follow_up WHERE contact_id = ? AND status = 'planned'",
        (contact_id,) * 4,
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


def _put_child(sql: DriverSql, model: type, contact_id: str, row_id: str | None, values: dict | None) -> None:
    """Insert, update or delete a contact's child row (None: the draft has none)."""
    table = model.__table__
    if values is None:
        if row_id is not None:
            sql.run(f"DELETE FROM {table.name} WHERE id = ?", (row_id,))
        return
    if row_id is None:
        sql.insert(table, {**_defaults(model), **values, "id": new_id(), "contact_id": contact_id})
    else:
        sql.update(table, row_id, values)


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

