"""Devices and a real central server over loopback: convergence, exactly once, the
double-booked slot, scope. Every test runs on SQLite and on PostgreSQL (skipped with a
reason when none is reachable)."""

from __future__ import annotations

import json
from datetime import date

from ohjaus_core.domain.codes import FollowUpStatus, Handover
from ohjaus_core.domain.contact import Referral
from ohjaus_core.domain.clock import now
from ohjaus_core.protocol import RecordType

from ..sync_helpers import assert_converged, sync_all


def test_two_devices_converge_with_edits_made_offline_on_both(server, devices):
    a, b = devices("a"), devices("b")
    # Offline on both: each adds a client with a contact, and signs one for a demo client.
    new_a = a.add_client(date(1980, 5, 1), 911, "Aino")
    new_b = b.add_client(date(1975, 3, 2), 922, "Bertta")
    a.sign_contact(new_a.id, "Yskää")
    b.sign_contact(new_b.id, "Kuumetta")
    b.sign_contact(None, "Nimetön soittaja")
    sync_all(a, b)
    records = assert_converged(a, b)
    assert f"client:{new_a.id}" in records and f"client:{new_b.id}" in records
    central = server.central()
    contacts = central.records(RecordType.CONTACT)
    local_contacts = {k for k in records if k.startswith("contact:")}
    assert {f"contact:{i}" for i in contacts} == local_contacts  # every one there, once
    central.close()


def test_three_devices_converge_with_offline_edits_on_all_of_them(server, devices):
    a, b, c = devices("a"), devices("b"), devices("c")
    sync_all(a, b, c)
    client = a.add_client(date(1990, 1, 1), 933, "Cecilia", phone="0401234567")
    draft = a.sign_contact(client.id, "Selkäkipu")
    sync_all(a, b, c)
    follow_up_id = next(
        f.id for f in b.store.worklist.follow_ups_due(a.worker().id, date(2100, 1, 1)) if f.note == "" and f.kind.value == "callback"
        and b.store.contacts.load_draft(draft.id)
    )
    # Offline everywhere: B closes the follow-up, C changes the phone, A signs another.
    b.store.worklist.set_follow_up_status(follow_up_id, FollowUpStatus.DONE, "Soitettu, voi hyvin", now())
    c.store.clients.update_client(client.id, now(), phone="0509876543")
    a.sign_contact(client.id, "Uusi yhteydenotto")
    sync_all(c, a, b, rounds=2)
    records = assert_converged(a, b, c)
    assert records[f"follow_up:{follow_up_id}"]["status"] == "done"
    assert records[f"client:{client.id}"]["phone"] == "+358509876543"


def test_concurrent_edits_of_one_client_keep_the_later_and_show_a_conflict(server, devices):
    a, b = devices("a"), devices("b")
    client = a.add_client(date(1970, 7, 7), 944, "Doris")
    sync_all(a, b)
    a.store.clients.update_client(client.id, now(), phone="0401111111")
    b.store.clients.update_client(client.id, now(), phone="0402222222")
    a.sync()
    result = b.sync()
    assert result.conflicts == 1
    a.sync()
    records = assert_converged(a, b)
    # Server order decides, not device clocks: B's version reached the server last.
    assert records[f"client:{client.id}"]["phone"] == "+358402222222"
    problems = b.store.outbox.sync_problems()
    assert [(p.kind, p.reason) for p in problems] == [("conflict", "concurrent_edit")]
    central = server.central()
    kept = central.conflicts()
    assert len(kept) == 1 and "+358401111111" in kept[0]["other"]  # the other version is saved
    central.close()


def test_a_follow_up_closed_on_one_device_stays_closed(server, devices):
    a, b = devices("a"), devices("b")
    client = a.add_client(date(1960, 2, 2), 955, "Eero")
    draft = a.sign_contact(client.id)
    sync_all(a, b)
    follow_up_id = b.store.contacts.load_draft(draft.id) and next(
        row["id"] for row in b.store.export_records() if row["type"] == "follow_up" and row["contact_id"] == draft.id
    )
    a.store.worklist.set_follow_up_status(follow_up_id, FollowUpStatus.DONE, "Hoidettu", now())
    b.store.worklist.set_follow_up_status(follow_up_id, FollowUpStatus.CANCELLED, "Ei tarvetta", now())
    a.sync()
    result = b.sync()
    assert result.rejected == 1
    records = assert_converged(a, b)
    assert records[f"follow_up:{follow_up_id}"]["status"] == "done"
    assert [(p.kind, p.reason) for p in b.store.outbox.sync_problems()] == [("rejected", "follow_up_closed")]


def test_a_slot_booked_on_two_devices_goes_to_the_first_and_the_second_rebooks(server, devices):
    a, b = devices("a"), devices("b")
    sync_all(a, b)
    slot_id = a.free_slot()
    assert b.free_slot() == slot_id
    client_a = a.add_client(date(1985, 4, 4), 966, "Fanni")
    client_b = b.add_client(date(1986, 5, 5), 977, "Greta")
    first = a.sign_contact(client_a.id, "Verenpaine", slot_id=slot_id)
    second = b.sign_contact(client_b.id, "Verenpaine", slot_id=slot_id)
    a.sync()
    result = b.sync()
    assert result.rejected == 1
    # B keeps its contact; the booking is marked for rebooking with a follow-up.
    assert b.store.contacts.contact_status(second.id).value == "signed"
    rebook = [r for r in b.store.export_records() if r["type"] == "follow_up" and r["kind"] == "rebook"]
    assert len(rebook) == 1 and rebook[0]["contact_id"] == second.id and rebook[0]["status"] == "open"
    assert [(p.kind, p.reason) for p in b.store.outbox.sync_problems()] == [("rejected", "slot_taken")]
    sync_all(a, b)
    records = assert_converged(a, b)
    assert records[f"slot:{slot_id}"]["booked_contact_id"] == first.id
    assert f"follow_up:{rebook[0]['id']}" in records  # the rebooking task reached A too
    central = server.central()
    assert central.records(RecordType.SLOT)[slot_id]["booked_contact_id"] == first.id
    central.close()


def test_a_device_pulls_only_its_own_unit_and_register(server, devices):
    kesk_health = devices("kesk-health", "JL-KESK", ("health",))
    kesk_social = devices("kesk-social", "JL-KESK", ("social",))
    pohj = devices("pohj", "JL-POHJ", ("health", "social"))
    for device in (kesk_health, kesk_social, pohj):
        device.sync()
    for device in (kesk_health, kesk_social, pohj):
        device.sync()
    central = server.central()
    contacts = central.records(RecordType.CONTACT)
    central.close()
    by_unit_register = {}
    for contact_id, family in contacts.items():
        contact = family["contact"]
        register = "health" if contact["service_area"] in ("health", "oral_health", "mental_substance") else "social"
        by_unit_register.setdefault((contact["unit_id"], register), set()).add(contact_id)

    def held(device):
        return {key.split(":", 1)[1] for key in device.snapshot() if key.startswith("contact:")}

    kesk_id = kesk_health.worker().unit_id
    pohj_id = pohj.worker().unit_id
    assert held(kesk_health) == by_unit_register.get((kesk_id, "health"), set())
    assert held(kesk_social) == by_unit_register.get((kesk_id, "social"), set())
    assert held(pohj) == by_unit_register.get((pohj_id, "health"), set()) | by_unit_register.get((pohj_id, "social"), set())
    assert held(kesk_health) and held(kesk_social) and held(pohj)


def test_a_contact_of_another_unit_is_rejected_and_stays_visible(server, devices):
    kesk = devices("kesk", "JL-KESK", ("health",))
    pohj = devices("pohj", "JL-POHJ", ("health",))
    kesk.sync()
    # A contact recorded on the KESK device under a POHJ worker: not this device's to send.
    pohj_worker = pohj.worker()
    kesk.worker = lambda register="health": pohj_worker  # type: ignore[method-assign]
    kesk.unit = "JL-POHJ"
    draft = kesk.sign_contact(None, "Väärä toimipiste")
    result = kesk.sync()
    assert result.rejected == 1
    problems = kesk.store.outbox.sync_problems()
    assert [(p.reason, p.record_id) for p in problems] == [("out_of_scope", draft.id)]
    central = server.central()
    assert draft.id not in central.records(RecordType.CONTACT)
    central.close()


def test_a_missed_appointment_reaches_the_units_devices_and_counts_there(server, devices):
    """The missed-appointments trigger needs every device of the unit to see them."""
    from datetime import timedelta

    from ohjaus_core.domain.deadlines.rules import HighNeedRules
    from ohjaus_core.domain.segmentation import detected_triggers

    a, b = devices("a"), devices("b")
    other = devices("pohj", "JL-POHJ", ("health", "social"))
    client = a.add_client(date(1985, 8, 8), 955, "Eetu")
    sync_all(a, b, other)
    unit = a.worker().unit_id
    moment = now()
    missed = [
        a.store.bookings.record_missed_appointment(client.id, moment - timedelta(days=d), unit, moment)
        for d in (4, 11)
    ]
    sync_all(a, b, other)
    records = assert_converged(a, b)
    for row in missed:
        assert records[f"missed_appointment:{row.id}"]["client_id"] == client.id
    elsewhere = other.snapshot()
    assert not any(f"missed_appointment:{row.id}" in elsewhere for row in missed)
    since = moment - timedelta(days=30)
    count = b.store.bookings.missed_appointments_since(client.id, since)
    assert count == 2
    found = detected_triggers(b.store.contacts.contacts_since(client.id, since), count, HighNeedRules())
    assert [t.trigger.value for t in found] == ["missed_appointments"]
    central = server.central()
    assert {row.id for row in missed} <= set(central.records(RecordType.MISSED_APPOINTMENT))
    central.close()


def test_the_safety_net_advice_read_out_travels_with_the_signed_contact(server, devices):
    a, b = devices("a"), devices("b")
    told = "Soita uudelleen, jos tulee kuumetta;\n112, jos hengitys vaikeutuu."
    draft = a.sign_contact(None, "Yskää", safety_net=told)
    sync_all(a, b)
    assert_converged(a, b)
    assert b.store.contacts.load_draft(draft.id).safety_net == told
    central = server.central()
    assert central.records(RecordType.CONTACT)[draft.id]["assessment"]["safety_net"] == told
    central.close()


def test_a_duty_made_travels_with_the_signed_contact_and_its_confirmation_follow_up(server, devices):
    """Issue 16: a child-welfare notification made by a nurse about a caller's neighbour's child
    (the caller unidentified) reaches the central API and another device, with the follow-up
    that confirms the receipt."""
    from ohjaus_core.domain.codes import NotifiedBy
    from ohjaus_core.domain.contact import DutyMade

    a, b = devices("a"), devices("b")
    duty = DutyMade(
        "child_welfare_notification", "Lastensuojelun vastaanotto", now().replace(microsecond=0),
        NotifiedBy.PHONE, "Lastensuojelulaki 417/2007 25 §", "naapurin noin 5-vuotias lapsi", "child_welfare_intake",
    )
    draft = a.sign_contact(None, "Naapurin lapsi yksin", duties_made=[duty])
    sync_all(a, b)
    assert_converged(a, b)
    assert b.store.contacts.load_draft(draft.id).duties_made == [duty]
    central = server.central()
    family = central.records(RecordType.CONTACT)[draft.id]
    central.close()
    assert json.loads(family["outcome"]["duties_made"])[0]["legal_basis"] == "Lastensuojelulaki 417/2007 25 §"
    assert [f["kind"] for f in family["follow_ups"]] == ["confirm_duty"]


def test_several_referrals_travel_with_the_signed_contact_each_with_its_consent(server, devices):
    """Issue 16: three referrals of one contact reach the central API and another device;
    a notification's law goes with it."""
    a, b = devices("a"), devices("b")
    made = [
        Referral("adult_social_work", Handover.WARM, consent=True),
        Referral("child_welfare_intake", Handover.WARM, legal_basis="Lastensuojelulaki 417/2007 25 §"),
        Referral("substance_ngo", Handover.COLD),
    ]
    draft = a.sign_contact(None, "Velat, asunto, päihteet", referrals=made)
    sync_all(a, b)
    assert_converged(a, b)
    assert b.store.contacts.load_draft(draft.id).all_referrals == made
    central = server.central()
    outcome = central.records(RecordType.CONTACT)[draft.id]["outcome"]
    central.close()
    assert [r["service_code"] for r in json.loads(outcome["referrals"])] == [r.service_code for r in made]
    assert outcome["service_code"] == "adult_social_work"  # the first, for readers of one referral
