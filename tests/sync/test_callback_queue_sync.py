"""Callbacks as a queue (issue 20) on a real `ohjaus serve` on loopback, SQLite and PostgreSQL:
the phone system pushes requests (POST /v1/callbacks) with its own credential, idempotent by
its id; devices take them (the first take wins) and record calls without an answer, which
reach the other devices."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx

from ohjaus_core.domain.clock import now
from ohjaus_core.domain.worklist import WorkKind
from ohjaus_core.protocol import RecordType

from ..sync_helpers import sync_all


def integration(server, unit: str = "JL-KESK", registers=("health",)) -> str:
    central = server.central()
    try:
        return central.add_integration(unit, list(registers), "Puhelinjärjestelmä")[1]
    finally:
        central.close()


def push(server, token: str, body: dict) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/callbacks", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def request(number: int, **fields) -> dict:
    at = (now() - timedelta(minutes=90 - number)).replace(microsecond=0).isoformat()
    return {
        "id": f"ace-{number}", "requested_at": at, "phone": f"040 111 00{number:02d}", "name": "Liisa Soittaja",
        "reason": "Kuumetta", "queue": "aikuiset", "language": "fi", "priority": "normal", **fields,
    }


def viewer(device):
    return device.store.viewer(device.worker("health").id)


def queue(device, shipped, when=None) -> list:
    return [i for i in device.store.worklist.worklist(viewer(device), shipped.region, when or now()) if i.kind == WorkKind.CALLBACK]


def test_a_request_pushed_twice_is_one_request_on_every_device(server, devices, shipped):
    token = integration(server)
    body = request(1, priority="high", queue="lapsiperheet", language="sv")
    first = push(server, token, body)
    again = push(server, token, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == {"id": server.request_id("ace-1"), "created": True}
    assert again.json() == {"id": server.request_id("ace-1"), "created": False}
    changed = push(server, token, {**body, "reason": "Toinen asia"})
    assert changed.status_code == 409 and "other content" in changed.json()["error"]
    a, b = devices("a"), devices("b")
    sync_all(a, b)
    for device in (a, b):
        pushed = [i for i in queue(device, shipped) if i.id == server.request_id("ace-1")]
        assert len(pushed) == 1
        assert (pushed[0].queue, pushed[0].language, pushed[0].priority, pushed[0].phone) == (
            "lapsiperheet", "sv", "high", "+358401110001",
        )
    central = server.central()
    try:
        held = [r for r in central.records(RecordType.CALLBACK).values() if r["source"] == "ace-1"]
        assert [r["id"] for r in held] == [server.request_id("ace-1")]
    finally:
        central.close()


def test_a_bad_request_is_422_naming_each_problem_and_nothing_is_added(server):
    token = integration(server)
    answer = push(server, token, request(2, phone="not a phone", priority="asap", language="Finnish", requested_at="eilen"))
    assert answer.status_code == 422
    where = {problem["where"] for problem in answer.json()["detail"]}
    assert {"phone", "priority", "language", "requested_at"} <= where
    missing = push(server, token, {"requested_at": request(3)["requested_at"], "phone": "0401110003"})
    assert missing.status_code == 422 and "id" in str(missing.json()["detail"])
    other_unit = push(server, token, request(4, unit="JL-POHJ"))
    assert other_unit.status_code == 422 and "JL-KESK" in other_unit.json()["error"]
    future = push(server, token, request(9, requested_at=(now() + timedelta(hours=1)).isoformat()))
    assert future.status_code == 422 and future.json()["detail"][0]["where"] == "requested_at"
    social = push(server, token, request(5, register="social"))
    assert social.status_code == 422  # the credential is health care's only
    assert httpx.post(f"{server.url}/v1/callbacks", json=request(6), timeout=30).status_code == 401
    central = server.central()
    try:
        assert not central.records(RecordType.CALLBACK)
    finally:
        central.close()


def test_an_integration_credential_only_pushes_callbacks(server):
    token = integration(server)
    headers = {"Authorization": f"Bearer {token}"}
    assert push(server, token, request(1)).status_code in (200, 201)  # its own route works
    assert httpx.get(f"{server.url}/v1/changes", headers=headers, timeout=30).status_code == 403
    assert httpx.get(f"{server.url}/v1/changes?after=0&limit=10", headers=headers, timeout=30).status_code == 403
    assert httpx.post(f"{server.url}/v1/push", json={"changes": []}, headers=headers, timeout=30).status_code == 403
    # a well-formed push of a client record: refused, and nothing of it reaches the server
    client = {
        "id": str(uuid.uuid4()), "first_name": "Väärä", "last_name": "Kirjaus", "identity_code": None,
        "identity_temporary": False, "birth_date": None, "phone": None, "language": "fi",
        "municipality": "Järvilaakso", "created_at": "2026-11-25T09:00:00+02:00", "created_by": None,
    }
    change = {"id": str(uuid.uuid4()), "type": "client", "record_id": client["id"], "base_seq": 0, "data": client}
    response = httpx.post(f"{server.url}/v1/push", json={"changes": [change]}, headers=headers, timeout=30)
    assert response.status_code == 403, response.text
    central = server.central()
    try:
        assert client["id"] not in central.records(RecordType.CLIENT)
    finally:
        central.close()


def test_a_revoked_integration_is_refused_at_once(server):
    token = integration(server)
    assert push(server, token, request(2)).status_code in (200, 201)  # remembered as valid
    central = server.central()
    try:
        assert central.revoke_integration(token.split(".")[0])
    finally:
        central.close()
    assert push(server, token, request(3)).status_code == 401


def test_two_devices_take_the_same_pushed_request_and_the_first_wins(server, devices, shipped):
    token = integration(server)
    assert push(server, token, request(7)).status_code == 201
    a, b = devices("a"), devices("b")
    sync_all(a, b)
    wanted = server.request_id("ace-7")
    a.store.worklist.take_callback(wanted, viewer(a), now())
    draft_b = b.store.worklist.take_callback(wanted, viewer(b), now())
    a.sync()
    b.sync()
    assert [(p.record_id, p.reason) for p in b.store.outbox.sync_problems()] == [(wanted, "callback_taken")]
    assert b.store.worklist.callback(wanted).taken_by == a.worker("health").id
    assert b.store.contacts.contact_status(draft_b.id).value == "draft"  # B keeps what it started
    assert wanted not in {i.id for i in queue(b, shipped)}


def test_a_call_without_an_answer_on_one_device_reaches_the_other(server, devices, shipped):
    token = integration(server)
    assert push(server, token, request(8)).status_code == 201
    a, b = devices("a"), devices("b")
    sync_all(a, b)
    wanted = server.request_id("ace-8")
    rules = shipped.region.callbacks
    called = now()
    a.store.worklist.take_callback(wanted, viewer(a), called)  # a call from the contact started for it
    a.store.worklist.callback_no_answer(wanted, viewer(a), rules, called)
    sync_all(a, b)
    held = b.store.worklist.callback(wanted)
    assert (held.status, held.attempts, held.taken_by, held.contact_id) == ("open", 1, None, None)
    item = next(i for i in queue(b, shipped, called) if i.id == wanted)
    assert item.back_at == held.last_attempt_at + timedelta(minutes=rules.retry_minutes)
    assert item.waiting_to_come_back(called) and not item.waiting_to_come_back(item.back_at)
    # B calls when it comes back, no answer again: A sees two.
    later = item.back_at + timedelta(minutes=1)
    b.store.worklist.callback_no_answer(wanted, viewer(b), rules, later)
    sync_all(a, b)
    assert a.store.worklist.callback(wanted).attempts == 2
    assert not a.store.outbox.sync_problems() and not b.store.outbox.sync_problems()
    # Two calls at the same moment on both devices: the first to reach the server counts.
    a.store.worklist.callback_no_answer(wanted, viewer(a), rules, later + timedelta(minutes=40))
    b.store.worklist.callback_no_answer(wanted, viewer(b), rules, later + timedelta(minutes=41))
    a.sync()
    b.sync()
    assert [p.reason for p in b.store.outbox.sync_problems()] == ["callback_taken"]
    assert b.store.worklist.callback(wanted).attempts == a.store.worklist.callback(wanted).attempts == 3
    # The region's maximum reached: a letter or message to send, no longer in the queue.
    listed = b.store.worklist.worklist(viewer(b), shipped.region, later + timedelta(hours=2))
    assert [i.kind for i in listed if i.id == wanted] == [WorkKind.LETTER]
