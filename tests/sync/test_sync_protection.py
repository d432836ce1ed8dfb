"""Client data protection across devices and the central API: consents between registers,
the access log sent append-only and checked link by link, the client's access log from every
device (and 404 with a record of the attempt elsewhere), the register of contacts and missed
appointments. A real `ohjaus serve` per test, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from ohjaus_core.domain.access_log import AccessAction, Entry, Purpose, entry_hash
from ohjaus_core.domain.clock import now
from ohjaus_core.domain.codes import Register
from ohjaus_tui.store.directory import connect
from ohjaus_tui.sync.client import AccessLogRefused, SyncError, fetch_access_log
from ohjaus_core.protocol import RecordType

from ..sync_helpers import devices_by_register, sync_all


def token(device) -> str:
    return device.store.outbox.sync_config()[1]


def headers(device) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(device)}"}


def device_id(device) -> str:
    return token(device).split(".")[1]  # demo.<device id>.<unit>.<registers>.<mac>


def push(server, device, change_type: str, record_id: str, data: dict) -> dict:
    change = {"id": str(uuid.uuid4()), "type": change_type, "record_id": record_id, "base_seq": 0, "data": data}
    response = httpx.post(f"{server.url}/v1/push", json={"changes": [change]}, headers=headers(device))
    assert response.status_code == 200, response.text
    return response.json()["answers"][0]


def post_log(server, device, entries: list[Entry]) -> httpx.Response:
    rows = [{**entry.__dict__, "at": entry.at.isoformat()} for entry in entries]
    return httpx.post(f"{server.url}/v1/access-log", json={"entries": rows}, headers=headers(device))


def chained(entry: Entry, **changes) -> Entry:
    """The entry with other fields and a hash that matches them (a consistent forgery)."""
    changed = replace(entry, **changes, hash="")
    return replace(changed, hash=entry_hash(changed))


def viewer(device, register: str = "health"):
    return device.store.viewer(device.worker(register).id)


# -- consent --------------------------------------------------------------------------------------


def test_a_consent_reaches_the_units_devices_only_and_so_does_its_revocation(server, devices):
    a, b = devices("a"), devices("b")
    other = devices("pohj", "JL-POHJ", ("health", "social"))
    client = a.add_client(date(1981, 6, 1), 912, "Kaisa")
    sync_all(a, b, other)
    consent = a.store.protection.record_consent(viewer(a), client.id, Register.SOCIAL, True, None, now())
    assert Register.SOCIAL not in b.store.protection.visible_registers(client.id, viewer(b), now())
    sync_all(a, b, other)
    held = b.store.protection.consents(client.id)
    assert [(c.id, c.decision, c.revoked_at) for c in held] == [(consent.id, "granted", None)]
    assert Register.SOCIAL in b.store.protection.visible_registers(client.id, viewer(b), now())
    central = server.central()
    with central.engine.connect() as conn:
        units = set(conn.execute(text("SELECT DISTINCT unit_id FROM change_log WHERE record_type = 'consent'")).scalars())
    central.close()
    assert units == {a.worker().unit_id}  # not to JL-POHJ, which does not know the client
    assert other.store.protection.consents(client.id) == []

    # Revoked on B, the other device: A sees it revoked, and the social register is gone.
    b.store.protection.revoke_consent(viewer(b), consent.id, now())
    sync_all(b, a)
    assert a.store.protection.consents(client.id)[0].revoked_at is not None
    assert Register.SOCIAL not in a.store.protection.visible_registers(client.id, viewer(a), now())
    assert b.store.outbox.sync_problems() == [] and a.store.outbox.sync_problems() == []

    # Another unit that adds the same person (the same identity code) knows them with its
    # own identification; the consents recorded at JL-KESK stay there.
    same = other.add_client(date(1981, 6, 1), 912, "Kaisa")
    assert same.id == client.id
    sync_all(other)
    assert other.store.protection.consents(client.id) == [] and other.store.outbox.sync_problems() == []


def test_a_consent_changes_only_by_its_revocation_and_follows_the_rules(server, devices):
    a = devices("a")
    pohj = devices("pohj", "JL-POHJ", ("health",))
    client = a.add_client(date(1979, 3, 3), 913, "Liisa")
    consent = a.store.protection.record_consent(viewer(a), client.id, Register.SOCIAL, True, date.today() + timedelta(days=30), now())
    sync_all(a, pohj)
    sent = json.loads(a.store.protection.consents(client.id)[0].model_dump_json())
    sent["revoked_at"] = None

    other_decision = push(server, a, "consent", consent.id, {**sent, "decision": "denied"})
    assert (other_decision["status"], other_decision["reason"]) == ("rejected", "immutable")
    assert other_decision["current"]["decision"] == "granted"  # the device takes the server's version back
    revoked = push(server, a, "consent", consent.id, {**sent, "revoked_at": "2026-11-25T10:00:00+02:00"})
    assert revoked["status"] == "accepted" and revoked["reason"] is None
    again = push(server, a, "consent", consent.id, {**sent, "revoked_at": "2026-11-25T08:00:00Z"})  # the same moment
    assert again["status"] == "accepted" and again["seq"] == revoked["seq"]
    later = push(server, a, "consent", consent.id, {**sent, "revoked_at": "2026-11-26T10:00:00+02:00"})
    assert (later["status"], later["reason"]) == ("rejected", "immutable")
    unrevoked = push(server, a, "consent", consent.id, sent)
    assert (unrevoked["status"], unrevoked["reason"]) == ("rejected", "immutable")

    def new(**changes) -> dict:
        record_id = str(uuid.uuid4())
        return push(server, a, "consent", record_id, {**sent, "id": record_id, **changes})

    assert new()["status"] == "accepted"
    assert new(to_register="social")["reason"] == "invalid"  # social to social
    assert new(from_register="dental")["reason"] == "invalid"
    assert new(decision="maybe")["reason"] == "invalid"
    assert new(client_id=str(uuid.uuid4()))["reason"] == "out_of_scope"  # not a client the unit knows
    assert new(recorded_by=str(uuid.uuid4()))["reason"] == "unknown_reference"
    assert new(recorded_by=pohj.worker().id)["reason"] == "out_of_scope"
    assert new(unit_id=pohj.worker().unit_id)["reason"] == "out_of_scope"
    assert new(surprise=1)["reason"] == "invalid"


# -- the access log -------------------------------------------------------------------------------


def use_client(device, client_id: str, times: int = 3) -> None:
    for _ in range(times):
        device.store.protection.client_history(client_id, viewer(device), now())


def test_the_access_log_reaches_the_server_and_a_resend_changes_nothing(server, devices):
    a = devices("a")
    client = a.add_client(date(1990, 9, 9), 914, "Maija")
    use_client(a, client.id)
    local = a.store.protection.access_entries()
    assert len(local) >= 3 and a.store.protection.verify_access_log().intact
    assert a.sync().access_sent == len(local)
    central = server.central()
    held = central.access_events(device_id(a))
    assert [(e["seq"], e["hash"], e["client_id"]) for e in held] == [(e.seq, e.hash, e.client_id) for e in local]
    assert a.store.outbox.access_log_sent() == local[-1].seq
    assert a.sync().access_sent == 0  # nothing new
    a.store.outbox.set_access_log_sent(0)  # the acknowledgement was lost: everything goes again
    assert a.sync().access_sent == len(local)
    again = post_log(server, a, local)
    assert again.status_code == 200 and again.json() == {"received": 0, "held_seq": local[-1].seq}
    assert len(central.access_events(device_id(a))) == len(local)
    use_client(a, client.id, 1)
    a.sync()
    assert len(central.access_events(device_id(a))) == len(local) + 1
    central.close()


def test_an_edited_or_cut_device_log_is_refused_naming_the_entry(server, devices):
    a = devices("a")
    pohj = devices("pohj", "JL-POHJ", ("health",))
    client = a.add_client(date(1990, 9, 9), 915, "Niina")
    use_client(a, client.id, 4)
    a.sync()
    local = a.store.protection.access_entries()
    last = local[-1]
    central = server.central()
    before = len(central.access_events())

    def refused(entries: list[Entry], status: int, seq: int, words: str) -> None:
        response = post_log(server, a, entries)
        assert response.status_code == status, response.text
        body = response.json()
        assert body["detail"]["seq"] == seq and f"entry {seq}" in body["error"] and words in body["detail"]["problem"]

    refused([replace(local[1], purpose="legal_basis:made up")], 422, local[1].seq, "hash does not match")
    refused([chained(local[1], purpose="legal_basis:made up")], 409, local[1].seq, "differs")
    following = chained(last, seq=last.seq + 1, id=str(uuid.uuid4()), prev_hash=last.hash)
    skipped = chained(following, seq=last.seq + 2, id=str(uuid.uuid4()), prev_hash=following.hash)
    refused([skipped], 409, skipped.seq, "missing")
    refused([chained(following, prev_hash="ab" * 32)], 409, following.seq, "not linked")
    refused([following, skipped, chained(skipped, seq=skipped.seq + 1, prev_hash="0" * 64)], 409, skipped.seq + 1, "not linked")
    refused([chained(following, worker_id=pohj.worker().id)], 422, following.seq, "worker")
    refused([chained(following, unit_id=pohj.worker().unit_id)], 422, following.seq, "unit")
    assert len(central.access_events()) == before  # nothing of a refused request is kept
    assert post_log(server, a, [following]).json() == {"received": 1, "held_seq": following.seq}

    # The device's own file cut back, its anchor with it, and written on: refused at the first
    # entry that differs; the changes still go and come, and the server keeps what it had.
    # (With the anchor left as it was, the numbers would go on after the cut: see
    # test_access_log_anchor.py.)
    b = devices("b")
    client_b = b.add_client(date(1992, 2, 2), 916, "Oona")
    use_client(b, client_b.id, 4)
    b.sync()
    entries = b.store.protection.access_entries()
    connection = connect(b.path)
    with connection:
        connection.execute("DROP TRIGGER access_log_no_delete")
        connection.execute("DELETE FROM access_log WHERE seq > ?", (entries[-3].seq,))
        connection.execute("DROP TRIGGER access_log_anchor_no_shrink")
        connection.execute("UPDATE access_log_anchor SET count = ?, hash = ?", (entries[-3].seq, entries[-3].hash))
    connection.close()
    b.store.outbox.set_access_log_sent(0)
    b.store.protection.log_access(viewer(b), [client_b.id], AccessAction.VIEW, "contacts", Purpose.CONTACT.value, now())
    newer = b.add_client(date(1993, 3, 3), 917, "Pia")
    with pytest.raises(AccessLogRefused, match=f"entry {entries[-2].seq}") as caught:
        b.sync()
    assert caught.value.seq == entries[-2].seq
    assert newer.id in central.records(RecordType.CLIENT)  # the changes went anyway
    assert b.store.outbox.sync_status().last_error.startswith("The central API refused this device's access log")
    assert [e["hash"] for e in central.access_events(device_id(b))] == [e.hash for e in entries]
    central.close()


def test_the_clients_access_log_comes_from_every_device_and_only_to_its_unit(server, devices):
    a, b = devices("a"), devices("b")
    other = devices("pohj", "JL-POHJ", ("health", "social"))
    client = a.add_client(date(1988, 8, 8), 918, "Riikka")
    sync_all(a, b, other)
    use_client(a, client.id, 1)
    b.store.protection.client_history(client.id, viewer(b, "social"), now())
    sync_all(a, b)
    events = fetch_access_log(a.store, client.id)
    names = {e["worker_name"] for e in events if e["source"] == "device"}
    assert {a.worker().name, b.worker("social").name} <= names
    assert all(e["unit_code"] == "JL-KESK" for e in events)
    assert [e["at"] for e in events] == sorted((e["at"] for e in events), reverse=True)
    assert events[0]["source"] == "server" and events[0]["purpose"] == "right_to_know"  # this request
    assert "view" in {e["action"] for e in events if e["source"] == "device"}
    assert not {"hash", "prev_hash", "worker_id", "device_id", "client_id"} & set(events[0])

    with pytest.raises(SyncError, match="no such client"):
        fetch_access_log(other.store, client.id)
    response = httpx.get(f"{server.url}/v1/clients/{client.id}/access-log", headers=headers(other))
    assert response.status_code == 404 and response.json()["error"] == "no such client at this device's unit"
    assert httpx.get(f"{server.url}/v1/clients/{uuid.uuid4()}/access-log", headers=headers(a)).status_code == 404
    assert httpx.get(f"{server.url}/v1/clients/x'--/access-log", headers=headers(a)).status_code == 422
    central = server.central()
    attempts = [
        (e["device_id"], e["action"], e["purpose"])
        for e in central.server_access_events()
        if e["client_id"] == client.id
    ]
    central.close()
    assert attempts.count((device_id(other), "refused", "out_of_scope")) == 2
    assert (device_id(a), "view", "right_to_know") in attempts
    # The attempt is in the server's access records, not its technical log.
    written = server.log.read_text()
    assert client.id not in written and client.identity_code not in written


def test_the_clients_access_log_keeps_the_registers_apart(server, devices):
    # TRUST.md: social-welfare and health-care data are separate registers. A device of one
    # register is told its own register's use of the client's data only: not the other's
    # events (nor, by a worker of it, events without a register), nor the server's records
    # of the other register's devices asking; a device of both is told both, and so is the
    # controller (the central store's whole answer).
    both, health, social = devices_by_register(devices)
    client = both.add_client(date(1986, 6, 6), 927, "Raili")
    sync_all(both, health, social)
    at = now()
    both.store.protection.log_access(viewer(both), [client.id], AccessAction.VIEW, "contacts", Purpose.CONTACT.value, at, "health")
    health.store.protection.log_access(viewer(health), [client.id], AccessAction.VIEW, "client", Purpose.CONTACT.value, at)
    social.store.protection.log_access(
        viewer(social, "social"), [client.id], AccessAction.VIEW, "contacts", Purpose.CONTACT.value, at, "social"
    )
    social.store.protection.log_access(
        viewer(social, "social"), [client.id], AccessAction.VIEW, "client", Purpose.CONTACT.value, at
    )
    social.store.protection.log_access(
        viewer(social, "social"), [client.id], AccessAction.EXPORT, "export", Purpose.CONTACT.value, at, "social",
        recipient="Kela",
    )
    sync_all(both, health, social)
    social_name, health_name = social.worker("social").name, health.worker().name
    fetch_access_log(social.store, client.id)  # the server records the social device's asking

    seen = fetch_access_log(health.store, client.id)
    device_rows = [e for e in seen if e["source"] == "device"]
    assert {e["sector"] for e in device_rows} == {"health", None}
    assert social_name not in {e["worker_name"] for e in seen}
    assert {e["worker_name"] for e in device_rows} == {both.worker().name, health_name}
    assert "Kela" not in {e["recipient"] for e in seen} and "export" not in {e["item"] for e in seen}
    # Of the server's records, only those of health's own asking (this one).
    assert [(e["action"], e["item"]) for e in seen if e["source"] == "server"] == [("view", "access log")]

    told = fetch_access_log(social.store, client.id)
    assert {e["sector"] for e in told if e["source"] == "device"} == {"social", None}
    assert {e["worker_name"] for e in told if e["source"] == "device"} == {social_name}
    assert "Kela" in {e["recipient"] for e in told}
    assert len([e for e in told if e["source"] == "server"]) == 2  # social's two askings, not health's

    whole = fetch_access_log(both.store, client.id)
    assert {e["worker_name"] for e in whole if e["source"] == "device"} == {both.worker().name, health_name, social_name}
    assert len([e for e in whole if e["source"] == "server"]) == 4  # every device's asking
    central = server.central()
    unit_id = central.reference.unit_id("JL-KESK")
    controller, _more = central.access_log.client_access_log(client.id, 200, unit_id)
    central.close()
    assert {(e["worker_name"], e["sector"], e["recipient"]) for e in controller if e["source"] == "device"} == {
        (e["worker_name"], e["sector"], e["recipient"]) for e in whole if e["source"] == "device"
    }


def test_access_events_cannot_be_changed_or_deleted_in_the_central_database(server, devices):
    a = devices("a")
    client = a.add_client(date(1990, 9, 9), 919, "Sanna")
    use_client(a, client.id, 1)
    a.sync()
    fetch_access_log(a.store, client.id)
    central = server.central()
    for statement in (
        "UPDATE access_event SET purpose = 'x'",
        "DELETE FROM access_event",
        "UPDATE server_access_event SET action = 'x'",
        "DELETE FROM server_access_event",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            with central.engine.begin() as conn:
                conn.execute(text(statement))
    assert len(central.access_events()) >= 1 and len(central.server_access_events()) == 1
    central.close()


def test_an_older_central_database_gets_the_new_tables(db_url):
    from sqlalchemy import text

    from ohjaus_central.db import CentralStore
    from ohjaus_central.tables import (
        SCHEMA_VERSION, access_event, change_log, client_release, controller_access_event, enrolment, integration,
        region_file, schema, server_access_event, slot_source,
    )

    # A database of schema 1, made before Alembic: no alembic_version, none of the later tables.
    store = CentralStore(db_url)
    with store.engine.begin() as conn:
        conn.execute(change_log.insert().values(
            record_type="missed_appointment", record_id="m1", unit_id="u", register=None, data="{}", received_at=now()))
        conn.execute(schema.update().values(version=1))
        conn.execute(text("DROP TABLE alembic_version"))
    for table in (access_event, server_access_event, region_file, slot_source, enrolment, integration, client_release,
                  controller_access_event):
        table.drop(store.engine)
    store.close()

    store = CentralStore(db_url)
    with store.engine.connect() as conn:
        assert conn.execute(select(schema.c.version)).scalar() == SCHEMA_VERSION  # every step run
        assert conn.execute(select(change_log.c.register).where(change_log.c.record_id == "m1")).scalar() == "health"
    assert store.access_events() == [] and store.server_access_events() == []
    with store.engine.begin() as conn:
        conn.execute(server_access_event.insert().values(
            at="2026-11-25T07:00:00", device_id="d", unit_id="u", client_id="c", action="view", item="i", purpose="p"))
    with pytest.raises(DBAPIError, match="append-only"):
        with store.engine.begin() as conn:
            conn.execute(text("DELETE FROM server_access_event"))
    store.close()


def test_responses_are_allow_lists(server, devices):
    spec = httpx.get(f"{server.url}/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert {"/v1/access-log", "/v1/clients/{client_id}/access-log"} <= set(spec["paths"])

    def refs(node, found: set[str]) -> set[str]:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref and ref.rsplit("/", 1)[-1] not in found:
                found.add(ref.rsplit("/", 1)[-1])
                refs(schemas[ref.rsplit("/", 1)[-1]], found)
            for value in node.values():
                refs(value, found)
        elif isinstance(node, list):
            for value in node:
                refs(value, found)
        return found

    answered = set()
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            ok = operation["responses"].get("200", {}).get("content", {}).get("application/json", {})
            assert path == "/v1/health" or ok.get("schema", {}).get("$ref"), (method, path)  # a response model
            refs(operation["responses"], answered)
    assert {"AccessLogAck", "ClientAccessLog", "AccessEvent", "DeviceInfo"} <= answered
    fields = {name for schema in answered for name in schemas[schema].get("properties", {})}
    assert not {"token_hash", "hash", "prev_hash", "registers_hash", "revoked_at", "created_at"} & fields
    a = devices("a")
    assert set(httpx.get(f"{server.url}/v1/device", headers=headers(a)).json()) == {"device_id", "name", "unit_code", "registers"}


# -- registers of contacts and missed appointments ---------------------------------------------


def test_a_contact_whose_sector_is_not_its_service_areas_register_is_rejected(server, devices):
    a = devices("a")
    draft = a.sign_contact(None, "Sektori", follow_up=False)
    entry = next(e for e in a.store.outbox.pending_changes(500) if e.record_id == draft.id)
    family = json.loads(entry.data)
    assert family["contact"]["sector"] == "health"
    family["contact"]["sector"] = "social"
    answer = push(server, a, "contact", draft.id, family)
    assert (answer["status"], answer["reason"]) == ("rejected", "invalid") and "sector" in answer["detail"]
    a.sync()
    central = server.central()
    assert central.records(RecordType.CONTACT)[draft.id]["contact"]["sector"] == "health"
    central.close()


def test_missed_appointments_are_scoped_by_unit_and_register(server, devices):
    both, health, social = devices_by_register(devices)
    client = both.add_client(date(1970, 1, 1), 920, "Tiina")
    sync_all(both, health, social)
    unit, moment = both.worker().unit_id, now()
    in_health = both.store.bookings.record_missed_appointment(client.id, moment - timedelta(days=2), unit, moment, register=Register.HEALTH)
    in_social = both.store.bookings.record_missed_appointment(client.id, moment - timedelta(days=3), unit, moment, register=Register.SOCIAL)
    wrong = health.store.bookings.record_missed_appointment(client.id, moment - timedelta(days=4), unit, moment, register=Register.SOCIAL)
    sync_all(both, health, social)
    since = moment - timedelta(days=30)
    assert health.store.bookings.missed_appointments_since(client.id, since) == 2  # its own and the health one
    assert social.store.bookings.missed_appointments_since(client.id, since) == 1
    assert both.store.bookings.missed_appointments_since(client.id, since) == 2
    held = {
        row["id"] for row in social.store.export_records()
        if row["type"] == "missed_appointment" and row["client_id"] == client.id
    }
    assert held == {in_social.id}
    ours = {in_health.id, in_social.id, wrong.id}
    problems = [(p.reason, p.record_id) for p in health.store.outbox.sync_problems() if p.record_id in ours]
    assert problems == [("out_of_scope", wrong.id)]
    central = server.central()
    with central.engine.connect() as conn:
        registers = dict(conn.execute(
            text("SELECT record_id, register FROM change_log WHERE record_type = 'missed_appointment'")).all())
    central.close()
    assert {k: v for k, v in registers.items() if k in ours} == {in_health.id: "health", in_social.id: "social"}
    assert set(registers.values()) <= {"health", "social"}  # the demo devices' own ones too


def test_a_device_clock_a_day_ahead_does_not_put_a_view_in_the_future_of_the_clients_log(server, devices):
    """Issue 14: the right-to-know answer never dates an entry later than the server received
    it, so a device whose clock runs ahead cannot list its view as tomorrow's and first."""
    from datetime import timedelta

    a = devices("a")
    client = a.add_client(date(1987, 7, 7), 919, "Saara")
    a.sync()
    ahead = now() + timedelta(days=1)
    a.store.protection.log_access(viewer(a), [client.id], AccessAction.VIEW, "contacts", Purpose.CONTACT.value, ahead)
    a.sync()
    asked = now()
    events = fetch_access_log(a.store, client.id)
    assert events[0]["source"] == "server"  # this request is the newest entry, not the skewed view
    device_views = [e for e in events if e["source"] == "device" and e["action"] == "view"]
    assert device_views and all(e["at"] <= asked + timedelta(minutes=1) for e in device_views)
