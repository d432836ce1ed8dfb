"""Object-level authorization on the central API (issue 14): every id a pushed record or a
request names is checked for the device's unit and register before anything is read or
written. Each attack is replayed with a real device credential against a real `ohjaus serve`
on loopback (SQLite and PostgreSQL), with devices of two units and both registers: each gets
its rejection and reason, changes nothing, and every other device goes on syncing."""

from __future__ import annotations

import json
import uuid
from datetime import date

import httpx

from ohjaus_central.batch import TAKEN
from ohjaus_core.domain.access_log import GENESIS, Entry, entry_hash
from ohjaus_core.domain.clock import now
from ohjaus_core.domain.codes import Language, Register
from ohjaus_core.domain.identity import client_id_for
from ohjaus_tui.sync.client import fetch_access_log
from ohjaus_core.protocol import RecordType

from ..sync_helpers import sync_all
from tests.sync.test_sync_protection import chained, headers, post_log, push, use_client, viewer


def central_state(server) -> tuple[int, dict]:
    """The change log's length and every record the devices push, as the server holds them."""
    central = server.central()
    try:
        kinds = (RecordType.CLIENT, RecordType.CONTACT, RecordType.FOLLOW_UP, RecordType.CONSENT, RecordType.SLOT)
        return central.log_count(), {kind: central.records(kind) for kind in kinds}
    finally:
        central.close()


def signed_family(device, client_id: str | None = None, **contact) -> dict:
    """A contact family as the device would send it, signed now (anonymous unless a client
    is named afterwards), taken out of its outbox."""
    draft = device.sign_contact(None, "Oma", follow_up=False)
    entry = next(e for e in device.store.outbox.pending_changes(500) if e.record_id == draft.id)
    family = json.loads(entry.data)
    if client_id:
        family["contact"].update(client_id=client_id, anonymous=False)
    family["contact"].update(contact)
    return family


def renamed(family: dict) -> tuple[str, dict]:
    """The same family under a new contact id (a new record the server has not seen)."""
    new_id = str(uuid.uuid4())
    family = json.loads(json.dumps(family))
    family["contact"]["id"] = new_id
    for key in ("assessment", "segment", "outcome"):
        if family[key]:
            family[key]["contact_id"], family[key]["id"] = new_id, str(uuid.uuid4())
    for follow_up in family["follow_ups"]:
        follow_up["contact_id"] = new_id
    return new_id, family


def follow_up_of(device, draft) -> dict:
    entry = next(e for e in device.store.outbox.pending_changes(500) if e.record_id == draft.id)
    return json.loads(entry.data)["follow_ups"][0]


def worker_of(server, unit_code: str, sector: str) -> str:
    central = server.central()
    try:
        unit = next(i for i, u in central.records(RecordType.UNIT).items() if u["code"] == unit_code)
        return next(i for i, w in central.records(RecordType.WORKER).items() if w["unit_id"] == unit and w["sector"] == sector)
    finally:
        central.close()


def still_syncing(*devices) -> None:
    for device in devices:
        device.sync()
        assert device.store.outbox.sync_status().last_error in (None, "")


# -- poison records ---------------------------------------------------------------------------------


def test_a_contact_for_a_client_the_unit_was_never_sent_is_refused_and_the_unit_keeps_syncing(server, devices):
    kesk = devices("kesk")
    pohj, pohj2 = devices("pohj", "JL-POHJ"), devices("pohj2", "JL-POHJ")
    client = kesk.add_client(date(1981, 6, 1), 930, "Kaisa")
    sync_all(kesk, pohj, pohj2)
    before = central_state(server)

    record_id, family = renamed(signed_family(pohj, client.id))
    answer = push(server, pohj, "contact", record_id, family)
    assert (answer["status"], answer["reason"]) == ("rejected", "out_of_scope")
    assert answer["detail"] == "no such client at this device's unit" and answer["current"] is None
    assert central_state(server) == before
    still_syncing(pohj2, pohj, kesk)  # on main: every JL-POHJ pull failed (FOREIGN KEY)


def test_a_client_whose_id_is_not_derived_from_its_code_or_is_another_units_is_refused(server, devices):
    kesk, pohj = devices("kesk"), devices("pohj", "JL-POHJ")
    client = kesk.add_client(date(1982, 7, 2), 931, "Kaisa")
    nameless = kesk.store.clients.add_client(
        first_name="Nimetön", last_name="Asiakas", identity_code=None, phone=None, language=Language.FI,
        municipality="Järvilaakso", created_by=kesk.worker().id, now=now(),
    )
    sync_all(kesk, pohj)
    sent = list(kesk.store.export_records())
    held = next(r for r in sent if r["type"] == "client" and r["id"] == client.id)
    record = {k: v for k, v in held.items() if k != "type"}
    before = central_state(server)

    other_id = str(uuid.uuid4())
    answer = push(server, kesk, "client", other_id, {**record, "id": other_id})  # the unit's own credential
    assert (answer["status"], answer["reason"]) == ("rejected", "invalid")
    assert "derived from its identity code" in answer["detail"]
    codeless = {k: v for k, v in next(r for r in sent if r["type"] == "client" and r["id"] == nameless.id).items() if k != "type"}
    answer = push(server, pohj, "client", nameless.id, {**codeless, "first_name": "Vieras"})
    assert (answer["status"], answer["reason"], answer["current"]) == ("rejected", "out_of_scope", None)
    assert central_state(server) == before

    # A device enrolled afterwards gets the unit's clients on its first pull (on main it failed:
    # UNIQUE client.identity_code), and the others go on.
    late = devices("late")
    still_syncing(late, kesk, pohj)
    assert late.store.clients.client(client.id).first_name == "Kaisa"


def test_another_units_client_sent_by_its_derived_id_opens_nothing_and_overwrites_nothing(server, devices):
    kesk, kesk2 = devices("kesk"), devices("kesk2")
    pohj = devices("pohj", "JL-POHJ")
    client = kesk.add_client(date(1983, 8, 3), 932, "Quirinaalia", phone="040 123 4567")
    sync_all(kesk, kesk2, pohj)
    consent = kesk.store.protection.record_consent(viewer(kesk), client.id, Register.SOCIAL, True, None, now())
    use_client(kesk, client.id, 2)
    sync_all(kesk, kesk2)

    # JL-POHJ names the person by the identity code alone, under another name.
    record = {
        "id": client_id_for(client.identity_code), "first_name": "Hakkeri", "last_name": "Asiakas",
        "identity_code": client.identity_code, "identity_temporary": True, "birth_date": "1983-08-03",
        "phone": None, "language": "fi", "municipality": "Muualla", "created_at": now().isoformat(),
        "created_by": None,
    }
    assert record["id"] == client.id
    answer = push(server, pohj, "client", client.id, record)
    assert answer["status"] == "accepted" and answer["current"] is None  # its own, for its own devices
    central = server.central()
    assert central.records(RecordType.CLIENT)[client.id]["first_name"] == "Quirinaalia"  # not overwritten
    central.close()

    # Nothing of JL-KESK's reaches JL-POHJ: not its name or phone, its consent or its access log.
    pohj.sync()
    assert pohj.store.clients.client(client.id).first_name == "Hakkeri"
    assert pohj.store.protection.consents(client.id) == []
    pulled = httpx.get(f"{server.url}/v1/changes", params={"limit": 1000}, headers=headers(pohj)).json()["changes"]
    texts = json.dumps(pulled)
    leaked = [secret for secret in ("Quirinaalia", "+358401234567", consent.id) if secret in texts]
    assert leaked == []
    events = fetch_access_log(pohj.store, client.id)
    assert {e["unit_code"] for e in events} <= {"JL-POHJ"} and all(e["source"] == "server" for e in events)

    # JL-KESK's devices keep their client as it was, and their log.
    still_syncing(kesk, kesk2, pohj)
    assert kesk2.store.clients.client(client.id).first_name == "Quirinaalia"
    assert {e["unit_code"] for e in fetch_access_log(kesk2.store, client.id)} == {"JL-KESK"}


# -- object-level authorization ---------------------------------------------------------------------


def test_another_units_follow_up_and_consent_can_be_neither_read_nor_overwritten(server, devices):
    kesk, pohj = devices("kesk"), devices("pohj", "JL-POHJ")
    client = kesk.add_client(date(1984, 9, 4), 933, "Kaisa")
    victim = kesk.sign_contact(client.id, "Oma asia")
    follow_up = follow_up_of(kesk, victim)
    consent = kesk.store.protection.record_consent(viewer(kesk), client.id, Register.SOCIAL, True, None, now())
    own = pohj.sign_contact(None, "Oma", follow_up=False)
    sync_all(kesk, pohj)
    before = central_state(server)

    # Its id under the attacker's own contact, and under the victim's contact.
    stolen = {**follow_up, "contact_id": own.id, "note": "muutettu", "status": "done"}
    for data in (stolen, {**stolen, "contact_id": victim.id}):
        answer = push(server, pohj, "follow_up", follow_up["id"], data)
        assert (answer["status"], answer["reason"]) == ("rejected", "out_of_scope")
        assert answer["current"] is None and answer["seq"] is None  # nothing of it comes back
    # A consent under the victim's id, as if recorded at the attacker's unit.
    consent_data = json.loads(kesk.store.protection.consents(client.id)[0].model_dump_json())
    pohj_worker = pohj.worker().id
    forged = {**consent_data, "unit_id": pohj.worker().unit_id, "recorded_by": pohj_worker, "decision": "denied"}
    answer = push(server, pohj, "consent", consent.id, forged)
    assert (answer["status"], answer["reason"], answer["current"]) == ("rejected", "out_of_scope", None)
    # A follow-up inside a new contact of the attacker's, under the victim's follow-up id.
    record_id, family = renamed(signed_family(pohj))
    family["follow_ups"] = [{**follow_up, "contact_id": record_id, "assignee_id": pohj_worker, "client_id": None}]
    answer = push(server, pohj, "contact", record_id, family)
    assert (answer["status"], answer["reason"]) == ("rejected", "out_of_scope")

    assert central_state(server) == before
    still_syncing(kesk, pohj)  # on main the owner's device failed every sync after the overwrite
    central = server.central()
    assert central.records(RecordType.FOLLOW_UP)[follow_up["id"]]["status"] == follow_up["status"]
    central.close()


def test_a_callbacks_contact_answers_alike_for_another_units_contact_and_a_missing_one(server, devices):
    # TRUST.md: a rejection never echoes a record the device may not see. A take's contact is
    # a draft, not on the server until signed, so a missing contact_id is accepted; another
    # unit's contact was refused (out_of_scope), which told the device that the id exists.
    kesk, pohj = devices("kesk"), devices("pohj", "JL-POHJ", ("health",))
    victim = kesk.sign_contact(None, "Oma asia", follow_up=False)
    sync_all(kesk, pohj)
    unit_id, worker = pohj.worker().unit_id, pohj.worker().id

    def take(contact_id: str) -> dict:
        record_id = str(uuid.uuid4())  # a request without the phone system's id
        return push(server, pohj, "callback", record_id, {
            "id": record_id, "unit_id": unit_id, "sector": "health", "phone": "0401234567", "name": "Soittaja",
            "requested_at": now().isoformat(), "imported_at": now().isoformat(), "status": "taken",
            "taken_by": worker, "contact_id": contact_id,
        })

    others, missing = take(victim.id), take(str(uuid.uuid4()))
    assert (others["status"], others["reason"], others["current"]) == (missing["status"], missing["reason"], missing["current"])
    assert (others["status"], others["detail"]) == ("accepted", missing["detail"])
    still_syncing(kesk, pohj)
    assert victim.id not in {r["id"] for r in pohj.store.export_records() if r["type"] == "contact"}


def test_the_signer_and_the_assignee_are_workers_of_the_devices_unit_and_register(server, devices):
    pohj = devices("pohj", "JL-POHJ")
    health = devices("health", "JL-KESK", ("health",))
    kesk_nurse, kesk_social = worker_of(server, "JL-KESK", "health"), worker_of(server, "JL-KESK", "social")
    sync_all(pohj, health)
    before = central_state(server)

    for device, changes, words in (
        (pohj, {"worker_id": kesk_nurse}, "the signer"),  # another unit's worker
        (health, {"worker_id": kesk_social}, "the signer"),  # the other register's worker
    ):
        record_id, family = renamed(signed_family(device, **changes))
        answer = push(server, device, "contact", record_id, family)
        assert (answer["status"], answer["reason"]) == ("rejected", "out_of_scope"), answer
        assert words in answer["detail"]
    client = pohj.add_client(date(1985, 1, 5), 934, "Pia")
    pohj.sync()
    draft = pohj.sign_contact(client.id, "Tehtävä")
    entry = next(e for e in pohj.store.outbox.pending_changes(500) if e.record_id == draft.id)
    record_id, family = renamed(json.loads(entry.data))
    for follow_up in family["follow_ups"]:
        follow_up.update(id=str(uuid.uuid4()), assignee_id=kesk_nurse)
    answer = push(server, pohj, "contact", record_id, family)
    assert (answer["status"], answer["reason"]) == ("rejected", "out_of_scope") and "the assignee" in answer["detail"]
    assert record_id not in central_state(server)[1][RecordType.CONTACT]
    still_syncing(pohj, health)


def test_a_slot_held_by_the_other_registers_contact_cannot_be_taken_by_naming_its_holder(server, devices):
    health = devices("health", "JL-KESK", ("health",))
    social = devices("social", "JL-KESK", ("social",))
    pohj = devices("pohj", "JL-POHJ")
    client = health.add_client(date(1986, 2, 6), 935, "Kaisa")
    slot_id = health.free_slot()
    holder = health.sign_contact(client.id, "Aika", slot_id=slot_id, follow_up=False)
    sync_all(health, social, pohj)
    own = pohj.sign_contact(None, "Oma", follow_up=False)
    pohj.sync()
    before = central_state(server)
    assert before[1][RecordType.SLOT][slot_id]["booked_contact_id"] == holder.id

    for device, wanted in ((social, None), (pohj, own.id)):  # given back, or taken over
        booking = {"slot_id": slot_id, "contact_id": wanted, "previous_contact_id": holder.id}
        answer = push(server, device, "booking", slot_id, booking)
        assert (answer["status"], answer["reason"]) == ("rejected", "out_of_scope"), answer
        assert "previous holder" in answer["detail"]
        assert answer["current"]["booked_contact_id"] == TAKEN  # whether it is free, not by whom
    assert central_state(server) == before
    still_syncing(health, social, pohj)
    slots = {row["id"]: row for row in health.store.export_records() if row["type"] == "slot"}
    assert slots[slot_id]["booked_contact_id"] == holder.id and health.store.outbox.sync_problems() == []


def test_slot_records_carry_another_units_or_registers_holder_only_as_taken(server, devices):
    health, health2 = devices("health", "JL-KESK", ("health",)), devices("health2", "JL-KESK", ("health",))
    social, pohj = devices("social", "JL-KESK", ("social",)), devices("pohj", "JL-POHJ")
    client = health.add_client(date(1987, 3, 7), 936, "Kaisa")
    slot_id = health.free_slot()
    holder = health.sign_contact(client.id, "Aika", slot_id=slot_id, follow_up=False)
    sync_all(health, health2, social, pohj)

    def pulled_holders(device) -> set:
        body = httpx.get(f"{server.url}/v1/changes", params={"limit": 1000}, headers=headers(device)).json()
        after = 0
        holders = set()
        while True:
            holders |= {c["data"]["booked_contact_id"] for c in body["changes"] if c["type"] == "slot" and c["record_id"] == slot_id}
            if not body["more"]:
                return holders
            after = body["last_seq"]
            body = httpx.get(f"{server.url}/v1/changes", params={"after": after, "limit": 1000}, headers=headers(device)).json()

    assert pulled_holders(health2) == {None, holder.id}
    for device in (social, pohj):
        assert pulled_holders(device) == {None, TAKEN}  # on main: the contact's id
        slot = next(r for r in device.store.export_records() if r["type"] == "slot" and r["id"] == slot_id)
        assert slot["booked_contact_id"] is None and slot["taken_elsewhere"]
    still_syncing(health, health2, social, pohj)


def test_access_log_entries_about_a_client_the_unit_does_not_know_are_refused(server, devices):
    kesk, pohj = devices("kesk"), devices("pohj", "JL-POHJ")
    client = kesk.add_client(date(1988, 4, 8), 937, "Kaisa")
    sync_all(kesk, pohj)
    pohj.sync()
    central = server.central()
    held = central.access_events()
    central.close()
    entries = pohj.store.protection.access_entries()
    last = entries[-1] if entries else None
    worker = pohj.worker()
    base = Entry(
        seq=(last.seq if last else 0) + 1, id=str(uuid.uuid4()), at=now(), worker_id=worker.id,
        unit_id=worker.unit_id, client_id=client.id, action="view", item="client", sector="health",
        purpose="contact", recipient="", prev_hash=last.hash if last else GENESIS, hash="",
    )
    entry = chained(base)
    assert entry.hash == entry_hash(entry)
    response = post_log(server, pohj, [entry])
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == {"seq": entry.seq, "problem": "about a client this device's unit does not know"}
    central = server.central()
    assert central.access_events() == held
    central.close()
    still_syncing(kesk, pohj)


def test_one_contact_cannot_take_other_slots_than_the_one_it_booked(server, devices):
    """A booking takes a slot for the contact whose outcome booked it, and no other: a
    device of JL-POHJ holding one signed booking cannot take the region's free times (slots
    of any unit may be booked) by naming its contact in bookings of other slots; JL-KESK
    books them as before."""
    pohj, kesk = devices("pohj", "JL-POHJ"), devices("kesk")
    sync_all(pohj, kesk)
    own_slot, wanted = pohj.free_slot(0), [kesk.free_slot(1), kesk.free_slot(2)]
    client = pohj.add_client(date(1989, 5, 9), 939, "Pia")
    mine = pohj.sign_contact(client.id, "Aika", slot_id=own_slot, follow_up=False)
    advice = pohj.sign_contact(None, "Neuvo", follow_up=False)  # no booking at all
    pohj.sync()
    before = central_state(server)

    for contact_id in (mine.id, advice.id):
        for slot_id in wanted:
            booking = {"slot_id": slot_id, "contact_id": contact_id, "previous_contact_id": None}
            answer = push(server, pohj, "booking", slot_id, booking)
            assert (answer["status"], answer["reason"]) == ("rejected", "invalid"), answer
            assert "did not book this time" in answer["detail"]
    assert central_state(server) == before
    victim = kesk.add_client(date(1989, 6, 9), 940, "Kaisa")
    booked = kesk.sign_contact(victim.id, "Aika", slot_id=wanted[0], follow_up=False)
    still_syncing(kesk, pohj)
    assert central_state(server)[1][RecordType.SLOT][wanted[0]]["booked_contact_id"] == booked.id
    assert kesk.store.outbox.sync_problems() == []


def test_a_correction_of_a_booked_contact_keeps_its_booking(server, devices):
    """The normal path beside the rule above (from the review): a correction of a signed
    contact that booked a time is a new contact version naming the same slot; it syncs
    without a problem and the slot is then booked for the correction."""
    kesk = devices("kesk")
    kesk.sync()
    slot = kesk.free_slot(0)
    client = kesk.add_client(date(1980, 1, 2), 941, "Kaisa")
    first = kesk.sign_contact(client.id, "Aika", slot_id=slot, follow_up=False)
    kesk.sync()
    correction = kesk.store.contacts.start_correction(first.id, now(), kesk.store.viewer(kesk.worker().id))
    correction.reason = "Aika (korjattu)"
    kesk.store.contacts.sign(correction, now())
    kesk.sync()
    assert kesk.store.outbox.sync_problems() == []
    central = server.central()
    try:
        assert central.records(RecordType.SLOT)[slot]["booked_contact_id"] == correction.id
    finally:
        central.close()


def test_a_merge_is_judged_by_the_units_own_version_of_the_clients(server, devices):
    """Each unit's identification of a client is its own (the first unit's is the server's
    record): another unit that sent the person first, marked temporary (or the temporary
    one as real), does not decide whether this unit's team lead may merge its clients."""
    from ohjaus_core.domain.identity import make_identity_code
    from tests.sync.test_sync_merge import lead_of, server_rows

    kesk, pohj = devices("kesk"), devices("pohj", "JL-POHJ")
    born = date(1961, 2, 3)
    for individual, temporary in ((126, True), (964, False)):  # the opposite of the truth
        code = make_identity_code(born, individual)
        record = {
            "id": client_id_for(code), "first_name": "Hakkeri", "last_name": "Asiakas", "identity_code": code,
            "identity_temporary": temporary, "birth_date": born.isoformat(), "phone": None, "language": "fi",
            "municipality": "Muualla", "created_at": now().isoformat(), "created_by": None,
        }
        assert push(server, pohj, "client", record["id"], record)["status"] == "accepted"
    real, temporary = kesk.add_client(born, 126, "Aune"), kesk.add_client(born, 964, "Aune")
    kesk.sync()
    kesk.store.merges.merge_clients(temporary.id, real.id, lead_of(kesk), now())
    still_syncing(kesk, pohj)
    assert kesk.store.outbox.sync_problems() == []
    assert server_rows(server, "merge")[temporary.id]["into_id"] == real.id
