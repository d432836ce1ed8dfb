"""Bookings after the contact (issue 20) between devices and a real central server over
loopback, SQLite and PostgreSQL: a move into a time another device took first is refused
and the booking stays as it was; a cancellation reaches the other device; a device of another
unit cannot change the booking, on the fast route or the framework's; a bad record does not
stick a device's sync."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import httpx
import pytest

from ohjaus_core.domain.clock import now
from ohjaus_core.domain.codes import BookingStatus
from ohjaus_tui.store.models import Appointment, Slot
from ohjaus_core.protocol import PulledChange, RecordType

from ..sync_helpers import assert_converged, sync_all
from tests.sync.test_sync_protection import headers, viewer


def holder(device, slot_id):
    with device.store.session() as session:
        slot = session.get(Slot, slot_id)
        return slot.booked_contact_id, slot.taken_elsewhere


def appointment(device, contact_id):
    with device.store.session() as session:
        row = session.get(Appointment, contact_id)
        return row.model_dump() if row else None


def booked(device, individual: int, slot_index: int):
    client = device.add_client(date(1980, 1, 1), individual, "Varaaja")
    slot_id = device.free_slot(slot_index)
    draft = device.sign_contact(client.id, "Verenpaine", slot_id=slot_id, follow_up=False)
    return draft.id, slot_id


def test_two_devices_moving_into_one_slot_the_first_wins_and_the_other_booking_stays(server, devices):
    a, b = devices("a"), devices("b")
    first, first_slot = booked(a, 901, 0)
    second, second_slot = booked(b, 902, 1)
    sync_all(a, b)
    target = a.free_slot(5)
    assert b.free_slot(5) == target
    # Offline on both: each moves its own client's visit into the same time.
    a.store.bookings.change_booking(viewer(a), first, BookingStatus.BOOKED, "Lääkäri sairaana", now(), new_slot_id=target)
    b.store.bookings.change_booking(viewer(b), second, BookingStatus.BOOKED, "Asiakkaan toive", now(), new_slot_id=target)
    assert holder(b, target) == (second, False)
    a.sync()
    result = b.sync()
    assert result.rejected == 1
    problems = b.store.outbox.sync_problems()
    assert [(p.record_type, p.reason) for p in problems] == [("appointment", "slot_taken")]
    # B's visit is back at its own time, the contested one shown as taken, nothing lost.
    assert holder(b, second_slot) == (second, False)
    assert holder(b, target)[0] != second
    client_id = b.store.contacts.load_draft(second).client_id
    rows = [r for r in b.store.bookings.bookings(client_id, viewer(b), now()) if r.contact_id == second]
    assert [(r.slot_id, r.status) for r in rows] == [(second_slot, BookingStatus.BOOKED)]
    sync_all(a, b)
    records = assert_converged(a, b)
    assert records[f"slot:{target}"]["booked_contact_id"] == first
    assert f"slot:{first_slot}" not in records  # free on both: A's old time was given back
    assert records[f"slot:{second_slot}"]["booked_contact_id"] == second
    assert records[f"appointment:{first}"]["slot_id"] == target
    central = server.central()
    slots = central.records(RecordType.SLOT)
    central.close()
    assert slots[target]["booked_contact_id"] == first and slots[second_slot]["booked_contact_id"] == second
    assert slots[first_slot]["booked_contact_id"] is None


def test_a_cancellation_reaches_the_other_device_and_frees_the_time_there(server, devices):
    a, b = devices("a"), devices("b")
    contact, slot_id = booked(a, 903, 2)
    sync_all(a, b)
    assert holder(b, slot_id) == (contact, False)
    a.store.bookings.change_booking(viewer(a), contact, BookingStatus.CANCELLED, "Oireet menivät ohi", now())
    sync_all(a, b)
    row = appointment(b, contact)
    assert row["status"] == "cancelled" and row["reason"] == "Oireet menivät ohi"
    assert holder(b, slot_id) == (None, False)
    assert slot_id in {b.free_slot(i) for i in range(8)}
    # Changed on B after it had seen the cancellation: refused, the cancellation stands.
    assert assert_converged(a, b)[f"appointment:{contact}"]["status"] == "cancelled"


def test_a_marked_no_show_reaches_the_other_device_and_counts_there(server, devices):
    a, b = devices("a"), devices("b")
    contact, slot_id = booked(a, 904, 0)
    sync_all(a, b)
    client_id = a.store.contacts.load_draft(contact).client_id
    since = now() - timedelta(days=30)
    before = b.store.bookings.missed_appointments_since(client_id, since)
    a.store.bookings.change_booking(viewer(a), contact, BookingStatus.NO_SHOW, "", now())
    sync_all(a, b)
    assert b.store.bookings.missed_appointments_since(client_id, since) == before + 1


def test_two_changes_of_one_booking_the_first_to_reach_the_server_wins(server, devices):
    a, b = devices("a"), devices("b")
    contact, slot_id = booked(a, 905, 3)
    sync_all(a, b)
    a.store.bookings.change_booking(viewer(a), contact, BookingStatus.CANCELLED, "Peruttu", now())
    a.sync()
    b.store.bookings.change_booking(viewer(b), contact, BookingStatus.NO_SHOW, "", now())  # not yet seen
    result = b.sync()
    assert result.rejected == 1
    assert [(p.record_type, p.reason) for p in b.store.outbox.sync_problems()] == [("appointment", "booking_changed")]
    sync_all(a, b)
    assert assert_converged(a, b)[f"appointment:{contact}"]["status"] == "cancelled"


@pytest.mark.parametrize("route", ["fast", "framework"])
def test_a_device_of_another_unit_cannot_change_the_booking(server, devices, route):
    kesk = devices("kesk")
    pohj = devices("pohj", "JL-POHJ", ("health", "social"))
    contact, slot_id = booked(kesk, 906, 4)
    sync_all(kesk, pohj)
    entry_data = dict(appointment_data(kesk, contact, slot_id))
    target = pohj.free_slot(6)
    move = {**entry_data, "slot_id": target, "changed_by": pohj.worker().id,
            "moves": json.dumps([{"slot_id": slot_id, "starts_at": None, "at": now().isoformat(), "reason": "x"}])}
    cancel = {**entry_data, "status": "cancelled", "changed_by": pohj.worker().id}
    for data in (move, cancel):
        change = {"id": str(uuid.uuid4()), "type": "appointment", "record_id": contact, "base_seq": 0, "data": data}
        content_type = "application/json" if route == "fast" else "application/merge-patch+json"
        response = httpx.post(
            f"{server.url}/v1/push", content=json.dumps({"changes": [change]}),
            headers={**headers(pohj), "Content-Type": content_type},
        )
        assert response.status_code == 200, response.text
        answer = response.json()["answers"][0]
        assert (answer["status"], answer["reason"]) == ("rejected", "out_of_scope")
        assert answer["current"] is None  # nothing of the other unit's booking comes back
    central = server.central()
    slots = central.records(RecordType.SLOT)
    held = central.records(RecordType.APPOINTMENT)
    central.close()
    assert slots[slot_id]["booked_contact_id"] == contact and slots[target]["booked_contact_id"] is None
    assert contact not in held
    # Its own device changes it as usual, and both devices sync on.
    kesk.store.bookings.change_booking(viewer(kesk), contact, BookingStatus.DONE, "", now())
    sync_all(kesk, pohj)
    assert appointment(kesk, contact)["status"] == "done"
    assert appointment(pohj, contact) is None  # another unit never receives it


def appointment_data(device, contact_id, slot_id) -> dict:
    """The appointment record as the contact's own device would send it (status booked)."""
    draft = device.store.contacts.load_draft(contact_id)
    return {
        "id": contact_id, "contact_id": contact_id, "client_id": draft.client_id, "unit_id": draft.unit_id,
        "sector": "health", "slot_id": slot_id, "status": "booked", "reason": "", "moves": "[]",
        "changed_by": draft.worker_id, "changed_at": now().isoformat(),
    }


def test_a_pulled_appointment_the_device_cannot_apply_is_kept_aside_and_the_page_goes_on(server, devices):
    a = devices("a")
    contact, slot_id = booked(a, 907, 5)
    sync_all(a)
    cursor = a.store.pull.sync_cursor()
    stranger = str(uuid.uuid4())  # a contact this device does not hold
    bad = {**appointment_data(a, contact, slot_id), "id": stranger, "contact_id": stranger}
    good = {**appointment_data(a, contact, slot_id), "status": "done"}
    changes = [
        PulledChange(seq=cursor + 1, type=RecordType.APPOINTMENT, record_id=bad["id"], data=bad),
        PulledChange(seq=cursor + 2, type=RecordType.APPOINTMENT, record_id=contact, data=good),
    ]
    applied = a.store.pull.apply_page(changes, cursor + 2)
    assert applied == 1
    assert appointment(a, contact)["status"] == "done"
    kept = a.store.pull.quarantined()
    assert [(k.record_type, k.record_id, k.reason) for k in kept] == [("appointment", bad["id"], "missing_reference")]
    assert a.store.pull.sync_cursor() == cursor + 2


def test_a_booking_lost_to_another_device_is_help_still_owed_in_the_report(devices, shipped):
    """A booking the central API gave to another device's client first leaves the client
    without the time (a rebook follow-up): the report, counted before the answer, counts the
    contact's day again and no longer calls it resolved at the first contact."""
    from ohjaus_core.domain.clock import local
    from ohjaus_tui.store.reports import make_report

    a, b = devices("a"), devices("b")
    a.sync()
    b.sync()
    slot_id = a.free_slot()
    a.sign_contact(a.add_client(date(1981, 1, 1), 901, "Iida").id, "Kontrolli", slot_id=slot_id, follow_up=False)
    a.sync()
    b.sign_contact(b.add_client(date(1982, 2, 2), 902, "Jussi").id, "Kontrolli", slot_id=slot_id, follow_up=False)
    day, later = local(now()).date(), now() + timedelta(days=9)  # the contact's 7 days passed
    before = make_report(b.store, shipped.region, day, day, later)
    # Only the push (rejected: booked on another device first): a pull would bring A's contact
    # of the same day, and counting that day again would hide a day left uncounted.
    with b.client() as client:
        client._push_all()
    assert any(f["kind"] == "rebook" for f in b.store.export_records() if f["type"] == "follow_up")
    after = make_report(b.store, shipped.region, day, day, later)
    assert (after.fcr_eligible, after.fcr_owed, after.fcr_resolved) == (
        before.fcr_eligible, before.fcr_owed + 1, before.fcr_resolved - 1
    )
