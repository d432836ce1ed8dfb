"""Bookings after the contact (issue 20), in the store: a booked visit marked missed or done,
cancelled (its time given back) or moved (the new slot taken, the old one given back), each
with its outbox entry and access-log entry; a visit marked 'did not come' counts in the
high-need trigger of missed appointments."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from ohjaus_core.domain.codes import BookingStatus, HighNeedTrigger, ServiceArea
from ohjaus_core.domain.errors import DomainError
from ohjaus_core.domain.segmentation import detected_triggers
from ohjaus_tui.store.bookings import BookingTaken
from ohjaus_tui.store.models import Outcome, Worker

from ..conftest import FIXED_NOW
from ..factories import booked_visit, slot_holder


def outbox(store, contact_id):
    return [json.loads(e.data) for e in store.outbox.pending_changes(5000) if e.record_type == "appointment" and e.record_id == contact_id]


def test_a_booking_is_listed_as_booked_then_cancelled_with_its_reason_and_its_time_given_back(store):
    contact, slot, viewer = booked_visit(store)
    rows = store.bookings.bookings(contact.client_id, viewer, FIXED_NOW)
    mine = [r for r in rows if r.contact_id == contact.id]
    assert [(r.status, r.current) for r in mine] == [(BookingStatus.BOOKED, True)]
    with pytest.raises(DomainError):
        store.bookings.change_booking(viewer, contact.id, BookingStatus.CANCELLED, "  ", FIXED_NOW)  # a reason is needed
    store.bookings.change_booking(viewer, contact.id, BookingStatus.CANCELLED, "Asiakas perui puhelimitse", FIXED_NOW)
    assert slot_holder(store, slot.id) is None  # the time is free for others
    assert slot.id in {o.slot_id for o in store.bookings.free_slots(ServiceArea.HEALTH, FIXED_NOW, slot.starts_at + timedelta(minutes=1), None)}
    mine = [r for r in store.bookings.bookings(contact.client_id, viewer, FIXED_NOW) if r.contact_id == contact.id]
    assert [(r.status, r.reason) for r in mine] == [(BookingStatus.CANCELLED, "Asiakas perui puhelimitse")]
    sent = outbox(store, contact.id)
    assert len(sent) == 1 and sent[0]["status"] == "cancelled" and sent[0]["slot_id"] == slot.id
    with pytest.raises(DomainError, match="already"):
        store.bookings.change_booking(viewer, contact.id, BookingStatus.DONE, "", FIXED_NOW)


def test_a_move_takes_the_new_slot_gives_back_the_old_and_lists_the_old_time_as_moved(store):
    contact, slot, viewer = booked_visit(store)
    free = [o for o in store.bookings.free_slots(ServiceArea.HEALTH, FIXED_NOW, FIXED_NOW + timedelta(days=20), None)]
    target = free[3]
    store.bookings.change_booking(viewer, contact.id, BookingStatus.BOOKED, "Työvuoro", FIXED_NOW, new_slot_id=target.slot_id)
    assert slot_holder(store, target.slot_id) == contact.id
    assert slot_holder(store, slot.id) is None
    mine = [r for r in store.bookings.bookings(contact.client_id, viewer, FIXED_NOW) if r.contact_id == contact.id]
    by_slot = {r.slot_id: (r.status, r.current) for r in mine}
    assert by_slot == {target.slot_id: (BookingStatus.BOOKED, True), slot.id: (BookingStatus.MOVED, False)}
    sent = outbox(store, contact.id)[-1]
    assert sent["slot_id"] == target.slot_id and json.loads(sent["moves"])[0]["slot_id"] == slot.id
    assert json.loads(sent["moves"])[0]["reason"] == "Työvuoro"


def test_a_move_into_a_slot_taken_meanwhile_is_refused_and_the_booking_stays(store):
    contact, slot, viewer = booked_visit(store)
    _other, taken, _viewer = booked_visit(store, index=1)
    assert taken.id != slot.id
    with pytest.raises(BookingTaken):
        store.bookings.change_booking(viewer, contact.id, BookingStatus.BOOKED, "Siirto", FIXED_NOW, new_slot_id=taken.id)
    assert slot_holder(store, slot.id) == contact.id
    assert outbox(store, contact.id) == []


def test_a_visit_marked_did_not_come_counts_in_the_missed_appointments_trigger(store, shipped):
    contact, slot, viewer = booked_visit(store, future=False)
    rules = shipped.region.high_need
    since = FIXED_NOW - timedelta(days=rules.window_days)
    starts = slot.starts_at.replace(tzinfo=FIXED_NOW.tzinfo)
    from ohjaus_core.domain.codes import Register

    before = store.bookings.missed_appointments_since(contact.client_id, since)
    social_before = store.bookings.missed_appointments_since(contact.client_id, since, [Register.SOCIAL])
    store.bookings.change_booking(viewer, contact.id, BookingStatus.NO_SHOW, "", FIXED_NOW)
    assert store.bookings.missed_appointments_since(contact.client_id, since) == before + 1
    # Counted in its own register only (the other register's no-show is not the worker's to see).
    assert store.bookings.missed_appointments_since(contact.client_id, since, [Register.SOCIAL]) == social_before
    assert store.bookings.missed_appointments_since(contact.client_id, since, [Register.HEALTH]) == before + 1 - social_before
    # A second missed visit within the window raises the trigger (2 in 30 days in the demo).
    store.bookings.record_missed_appointment(contact.client_id, starts - timedelta(days=1), contact.unit_id, FIXED_NOW)
    count = store.bookings.missed_appointments_since(contact.client_id, since)
    found = detected_triggers(0, count, rules)
    assert HighNeedTrigger.MISSED_APPOINTMENTS in {t.trigger for t in found}
    assert slot_holder(store, slot.id) == contact.id  # a missed visit keeps its time


def test_another_units_booking_cannot_be_changed_here(store):
    contact, slot, _viewer = booked_visit(store)
    with store.session() as session:
        other = session.exec(select(Worker).where(Worker.unit_id != contact.unit_id).where(Worker.sector == "health")).first()
    with pytest.raises(DomainError, match="another unit"):
        store.bookings.change_booking(store.viewer(other.id), contact.id, BookingStatus.CANCELLED, "Ei", FIXED_NOW)
    assert slot_holder(store, slot.id) == contact.id


def test_every_booking_change_is_access_logged(store):
    contact, _slot, viewer = booked_visit(store)
    from ohjaus_tui.store.models import AccessLog

    def entries():
        with store.session() as session:
            return [
                (row.action, row.item) for row in session.exec(
                    select(AccessLog).where(AccessLog.client_id == contact.client_id).order_by(AccessLog.seq)
                )
            ]

    before = len(entries())
    store.bookings.change_booking(viewer, contact.id, BookingStatus.DONE, "", FIXED_NOW)
    assert entries()[before:] == [("change", "booking")]


def test_a_correction_of_a_moved_booking_keeps_the_visit_at_its_time_now(store):
    contact, slot, viewer = booked_visit(store)
    target = store.bookings.free_slots(ServiceArea.HEALTH, FIXED_NOW, FIXED_NOW + timedelta(days=20), None)[4]
    store.bookings.change_booking(viewer, contact.id, BookingStatus.BOOKED, "Siirto", FIXED_NOW, new_slot_id=target.slot_id)
    correction = store.contacts.start_correction(contact.id, FIXED_NOW, viewer)
    assert correction.slot_id == target.slot_id
    assert slot_holder(store, slot.id) is None  # the time it left stays free
    correction.reason = "Verenpaine, korjattu"
    store.contacts.sign(correction, FIXED_NOW)
    assert slot_holder(store, target.slot_id) == correction.id
    rows = [r for r in store.bookings.bookings(contact.client_id, viewer, FIXED_NOW) if r.current and r.slot_id == target.slot_id]
    assert [(r.contact_id, r.status) for r in rows] == [(correction.id, BookingStatus.BOOKED)]


def test_a_contact_whose_visit_was_cancelled_is_not_corrected_into_a_booking_again(store):
    """Review of issue 20: a correction starts from the contact's outcome, and so booked the
    cancelled visit's time again; the contact is refused a correction with a reason instead."""
    from ohjaus_tui.store.store import NotADraft

    contact, slot, viewer = booked_visit(store)
    store.bookings.change_booking(viewer, contact.id, BookingStatus.CANCELLED, "Asiakas perui", FIXED_NOW)
    with pytest.raises(NotADraft, match="bookings"):
        store.contacts.start_correction(contact.id, FIXED_NOW, viewer)
    assert slot_holder(store, slot.id) is None
    assert [r.status for r in store.bookings.bookings(contact.client_id, viewer, FIXED_NOW) if r.contact_id == contact.id] == [
        BookingStatus.CANCELLED
    ]
