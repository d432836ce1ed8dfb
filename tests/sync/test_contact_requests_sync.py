"""Digital contact requests from e-service forms (issue 20) on a real `ohjaus serve` on
loopback: pushed with the phone system's integration credential as a plain form or a FHIR
QuestionnaireResponse, idempotent by the e-service's id, each problem named by its field; the
request reaches the devices of its unit only, and another unit's credential can neither read
nor take it."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import httpx

from ohjaus_core.domain.clock import now
from ohjaus_core.domain.contact_requests import SOURCE_PREFIX
from ohjaus_core.domain.worklist import WorkKind
from ohjaus_core.protocol import RecordType
from ohjaus_core.reference import ref_id

from ..sync_helpers import sync_all
from tests.sync.test_callback_queue_sync import integration, viewer

HETU = "010180-1232"


def push(server, token: str, body: dict) -> httpx.Response:
    return httpx.post(
        f"{server.url}/v1/contact-requests", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30,
    )


def form(number: int, **fields) -> dict:
    at = (now() - timedelta(minutes=60 - number)).replace(microsecond=0).isoformat()
    return {
        "id": f"omaolo-{number}", "submitted_at": at, "reason": "Kurkku on kipeä ja kuumetta kolme päivää",
        "answers": {"severe_breathing_difficulty": False, "cannot_swallow_saliva": "ei", "has_fever": True},
        "own_urgency": "non_urgent", "contact_preference": "call_back", "phone": "040 222 0001",
        "name": "Maija Lomake", **fields,
    }


def fhir(number: int) -> dict:
    at = (now() - timedelta(minutes=30)).replace(microsecond=0).isoformat()
    return {
        "resourceType": "QuestionnaireResponse", "id": f"qr-{number}", "status": "completed", "authored": at,
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"klinik-{number}"},
        "subject": {"identifier": {"system": "urn:oid:1.2.246.21", "value": HETU}, "display": "Kalle Klinikka"},
        "item": [
            {"linkId": "reason", "answer": [{"valueString": "Selkä kipeytyi eilen nostaessa"}]},
            {"linkId": "contact_preference", "answer": [{"valueCoding": {"code": "message"}}]},
            {"linkId": "own_urgency", "answer": [{"valueCoding": {"code": "urgent"}}]},
            {"linkId": "symptoms", "item": [
                {"linkId": "saddle_numbness", "answer": [{"valueBoolean": False}]},
                {"linkId": "back_pain_after_fall", "answer": [{"valueCoding": {"system": "http://terminology.hl7.org/CodeSystem/v2-0136", "code": "N"}}]},
                {"linkId": "pain_killers_tried", "text": "Oletko kokeillut kipulääkettä?", "answer": [{"valueString": "Burana 400 mg"}]},
            ]},
        ],
    }


def held(server) -> dict:
    central = server.central()
    try:
        return {r["source"]: r for r in central.records(RecordType.CALLBACK).values()}
    finally:
        central.close()


def held_by_id(server) -> dict:
    central = server.central()
    try:
        return central.records(RecordType.CALLBACK)
    finally:
        central.close()


def requests(device, shipped) -> list:
    """The pushed requests on the device's worklist (not the demo's own)."""
    return [
        i for i in device.store.worklist.worklist(viewer(device), shipped.region, now())
        if i.kind == WorkKind.REQUEST and not device.store.worklist.callback(i.id).source.startswith(SOURCE_PREFIX + "demo-")
    ]


def test_a_form_sent_twice_is_one_request_and_reaches_its_unit_only(server, devices, shipped):
    token = integration(server)
    body = form(1)
    first, again = push(server, token, body), push(server, token, body)
    wanted = server.request_id(SOURCE_PREFIX + "omaolo-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == {"id": wanted, "created": True, "notes": []}
    assert again.json()["created"] is False and again.json()["id"] == wanted
    changed = push(server, token, {**body, "reason": "Toinen asia"})
    assert changed.status_code == 409 and "other content" in changed.json()["error"]
    record = held(server)[SOURCE_PREFIX + "omaolo-1"]
    assert record["origin"] == "e_service" and record["preference"] == "call_back"
    assert json.loads(record["answers"]) == {
        "severe_breathing_difficulty": False, "cannot_swallow_saliva": False, "has_fever": True,
    }
    a, b, other = devices("a"), devices("b"), devices("p", unit="JL-POHJ")
    sync_all(a, b, other)
    for device in (a, b):
        listed = requests(device, shipped)
        assert [(i.id, i.own_urgency, i.preference, i.phone) for i in listed] == [
            (wanted, "non_urgent", "call_back", "+358402220001"),
        ]
        # its own section: never among the phone queue's callbacks
        assert wanted not in {i.id for i in device.store.worklist.worklist(viewer(device), shipped.region, now()) if i.kind == WorkKind.CALLBACK}
    assert other.store.worklist.callback(wanted) is None and not requests(other, shipped)


def test_each_problem_is_422_with_its_field_and_nothing_is_added(server):
    token = integration(server)
    bad = push(server, token, form(
        2, reason="", own_urgency="pretty bad", contact_preference="pigeon", identity_code="010180-1234",
        submitted_at="eilen",
    ))
    assert bad.status_code == 422
    where = {p["where"] for p in bad.json()["detail"]}
    assert {"reason", "own_urgency", "contact_preference", "identity_code", "submitted_at"} <= where, where
    no_phone = push(server, token, form(3, phone=None))
    assert no_phone.status_code == 422 and [p["where"] for p in no_phone.json()["detail"]] == ["phone"]
    assert push(server, token, form(3, phone=None, contact_preference="message")).status_code == 201
    unknown = push(server, token, {**form(4), "symptom_list": []})
    assert unknown.status_code == 422 and "symptom_list" in unknown.json()["detail"][0]["problem"]
    fhir_bad = fhir(5)
    del fhir_bad["authored"]
    fhir_bad["subject"]["identifier"]["system"] = "urn:oid:1.2.246.537"
    answer = push(server, token, fhir_bad)
    assert answer.status_code == 422
    assert {"authored", "subject.identifier.system"} <= {p["where"] for p in answer.json()["detail"]}
    not_json = httpx.post(
        f"{server.url}/v1/contact-requests", content=b"{nope", timeout=30,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert not_json.status_code == 422
    assert httpx.post(f"{server.url}/v1/contact-requests", json=form(6), timeout=30).status_code == 401
    assert list(held(server)) == [SOURCE_PREFIX + "omaolo-3"]


def test_a_fhir_questionnaire_response_keeps_every_answer(server, devices, shipped):
    token = integration(server)
    answer = push(server, token, fhir(7))
    assert answer.status_code == 201, answer.text
    [note] = answer.json()["notes"]
    assert note.startswith("pain_killers_tried ")  # named: kept as text
    record = held(server)[SOURCE_PREFIX + "klinik-7"]
    assert json.loads(record["answers"]) == {"saddle_numbness": False, "back_pain_after_fall": False}
    assert record["other_answers"] == "Oletko kokeillut kipulääkettä?: Burana 400 mg"
    assert (record["identity_code"], record["name"], record["phone"]) == (HETU, "Kalle Klinikka", "")
    assert (record["own_urgency"], record["preference"]) == ("same_day", "message")
    a = devices("a")
    a.sync()
    [item] = requests(a, shipped)
    assert (item.who, item.phone, item.preference) == ("Kalle Klinikka", None, "message")


def test_another_unit_can_neither_push_for_read_nor_take_a_request(server, devices, shipped):
    token = integration(server)
    assert push(server, token, form(8)).status_code == 201
    wanted = server.request_id(SOURCE_PREFIX + "omaolo-8")
    # Another unit's integration: not for this unit.
    north = integration(server, unit="JL-POHJ")
    refused = push(server, north, form(9, unit="JL-KESK"))
    assert refused.status_code == 422 and refused.json()["detail"][0]["where"] == "unit"
    a, other = devices("a"), devices("p", unit="JL-POHJ")
    sync_all(a, other)
    # Reading: the other unit's pull never carries it (the fast path and the framework's).
    for query in ("?after=0&limit=500", "?after=0&limit=500&after=0"):
        page = httpx.get(f"{server.url}/v1/changes{query}", headers={"Authorization": f"Bearer {other.store.outbox.sync_config()[1]}"}, timeout=30)
        assert page.status_code in (200, 422)
        assert wanted not in page.text
    # Taking: a take pushed by the other unit's device is refused, and the request stays open.
    record = {**held(server)[SOURCE_PREFIX + "omaolo-8"]}
    worker = other.worker("health").id
    take = {**record, "status": "taken", "taken_by": worker, "contact_id": str(uuid.uuid4())}
    change = {"id": str(uuid.uuid4()), "type": "callback", "record_id": wanted, "base_seq": 0, "data": take}
    for content_type in ("application/json", "application/json; charset=utf-8"):
        response = httpx.post(
            f"{server.url}/v1/push", content=json.dumps({"changes": [{**change, "id": str(uuid.uuid4())}]}),
            headers={"Authorization": f"Bearer {other.store.outbox.sync_config()[1]}", "Content-Type": content_type}, timeout=30,
        )
        assert response.status_code == 200, response.text
        assert [a_["status"] for a_ in response.json()["answers"]] == ["rejected"], response.text
    assert held(server)[SOURCE_PREFIX + "omaolo-8"]["status"] == "open"
    a.sync()
    assert a.store.worklist.callback(wanted).status == "open"


def test_another_units_credential_learns_nothing_from_a_request_id_it_did_not_send(server):
    """Review of issue 20, and the ids task (5.12.2026): another unit's credential pushing an
    e-service id this unit holds gets the answer it gets for an id no one holds (its own
    request, 201, then 200 or 409 by its own) - never a sign of this unit's request, whose
    content stays as it was."""
    token, north = integration(server), integration(server, unit="JL-POHJ")
    body = form(21, identity_code=HETU)
    assert push(server, token, body).status_code == 201
    unheld = form(23, identity_code=HETU)
    answers = {}
    for name, sent in (("held", body), ("unheld", unheld)):
        first = push(server, north, sent)
        other = push(server, north, {**sent, "identity_code": "131052-308T"})
        again = push(server, north, sent)
        answers[name] = [(r.status_code, {k: v for k, v in r.json().items() if k != "id"}) for r in (first, other, again)]
    assert answers["held"] == answers["unheld"]
    assert [status for status, _ in answers["held"]] == [201, 409, 200]
    kesk = server.request_id(SOURCE_PREFIX + "omaolo-21")
    assert held_by_id(server)[kesk]["identity_code"] == HETU
    assert held_by_id(server)[kesk]["unit_id"] == ref_id("unit", "JL-KESK")


def test_a_lone_surrogate_is_422_and_nothing_is_stored(server):
    token = integration(server)
    raw = json.dumps(form(22)).replace("Maija Lomake", "Maija \\ud800")
    answer = httpx.post(
        f"{server.url}/v1/contact-requests", content=raw.encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"}, timeout=30,
    )
    assert answer.status_code == 422
    assert SOURCE_PREFIX + "omaolo-22" not in held(server)


def test_a_phone_system_id_cannot_take_an_e_service_id(server):
    from tests.sync.test_callback_queue_sync import push as push_callback
    from tests.sync.test_callback_queue_sync import request

    token = integration(server)
    answer = push_callback(server, token, {**request(23), "id": SOURCE_PREFIX + "omaolo-23"})
    assert answer.status_code == 422
    assert push(server, token, form(23)).status_code == 201
