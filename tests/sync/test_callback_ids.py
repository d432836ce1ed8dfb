"""Callback and contact-request ids another unit cannot take first (TRUST.md, server security).

A request's id is derived from its unit and the phone system's (or e-service's) id. Before
5.12.2026 it was derived from the source alone: the derivation is public, so a credential of
unit B could push the id unit A's request would get, and A's request was refused (409) or
stuck A's device, and B learnt that A held a request with that source. Real `ohjaus serve` on
loopback, devices of two units with both registers, SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import text

from ohjaus_core.domain import callbacks as callback_ids
from ohjaus_core.domain.callbacks import callback_id, check_row, legacy_callback_id, read_callbacks
from ohjaus_core.domain.clock import now
from ohjaus_core.domain.contact import new_id
from ohjaus_core.domain.contact_requests import SOURCE_PREFIX
from ohjaus_core.protocol import RecordType
from ohjaus_core.reference import ref_id
from ohjaus_central.store.credentials import Device as Credential
from ohjaus_tui.store.models import Callback, Setting
from ohjaus_tui.store.sync_callbacks import REKEYED
from ohjaus_tui.store.sync_side import dump, enqueue

from ..sync_helpers import sync_all
from .test_callback_queue_sync import integration, push, request
from .test_contact_requests_sync import form, push as push_form

KESK, POHJ = ref_id("unit", "JL-KESK"), ref_id("unit", "JL-POHJ")


def plant(device, record_id: str, source: str, register: str = "health") -> None:
    """A callback request under any id, in the device's own unit, queued for the server: what
    a changed (or hostile) device of that unit could send."""
    unit_id, at = device.worker().unit_id, now().replace(microsecond=0)
    with device.store.session() as session:
        row = Callback(
            id=record_id, unit_id=unit_id, sector=register, name="Kiila", phone="+358401119999",
            reason="Testi", requested_at=at - timedelta(minutes=5), source=source, imported_at=at,
        )
        session.add(row)
        session.flush()
        enqueue(session, RecordType.CALLBACK, row.id, dump(row), at)
        session.commit()


def sends_as_planted(device) -> None:
    """The device sends what is planted as it is: its earlier imports were given their ids
    once already (sync_callbacks.rekey_earlier_imports), as a hostile device would not."""
    with device.store.session() as session:
        session.merge(Setting(key=REKEYED, value=now().isoformat()))
        session.commit()


def installed_now(device) -> None:
    """This version installed on a device the previous version ran (`sends_as_planted`
    undone): its earlier imports are given their ids at its next push."""
    with device.store.session() as session:
        session.delete(session.get(Setting, REKEYED))
        session.commit()


def import_rows(device, tmp_path, *sources: str, name: str = "queue.csv") -> tuple[int, int]:
    at = (now() - timedelta(hours=1)).replace(microsecond=0).isoformat()
    path = tmp_path / name
    rows = [f"{s},{at},+35840111{n:04d},Liisa Soittaja,Kuumetta,health" for n, s in enumerate(sources)]
    path.write_text("id,requested_at,phone,name,reason,register\n" + "\n".join(rows) + "\n", encoding="utf-8")
    read = read_callbacks(path)
    assert not read.problems
    result = device.store.worklist.import_callbacks(read.requests, device.worker().unit_id, now())
    return result.added, result.already


def on_server(server) -> dict[str, dict]:
    central = server.central()
    try:
        return central.records(RecordType.CALLBACK)
    finally:
        central.close()


def problems(device) -> list[tuple[str, str, str]]:
    return sorted((p.record_id, p.reason, p.detail) for p in device.store.outbox.sync_problems())


def test_ids_are_derived_with_the_unit():
    assert callback_id(KESK, "health", "ace-1") != callback_id(POHJ, "health", "ace-1") != legacy_callback_id("ace-1")
    assert callback_id(KESK, "health", "ace-1") != callback_id(KESK, "social", "ace-1")
    assert callback_id(KESK, "health", "ace-1") == callback_id(KESK, "health", "ace-1")
    assert callback_id(KESK, "health", "") is None
    assert callback_ids.id_fits(callback_id(KESK, "health", "ace-1"), KESK, "health", "ace-1")
    assert not callback_ids.id_fits(callback_id(KESK, "health", "ace-1"), POHJ, "health", "ace-1")
    assert not callback_ids.id_fits(callback_id(KESK, "health", "ace-1"), KESK, "social", "ace-1")
    assert not callback_ids.id_fits(legacy_callback_id("ace-1"), KESK, "health", "ace-1")
    assert callback_ids.id_fits(new_id(), KESK, "health", "") and not callback_ids.id_fits(new_id(), KESK, "health", "ace-1")
    # Without a source only a fresh random id: never a derived one (whose source was dropped).
    assert not callback_ids.id_fits(callback_id(KESK, "health", "ace-1"), KESK, "health", "")
    assert not callback_ids.id_fits(new_id().upper(), KESK, "health", "")


def test_another_unit_pushing_a_would_be_id_by_every_route_takes_nothing_from_this_unit(server, devices, tmp_path):
    """B (JL-POHJ) pushes first, by its integration's routes and its device's sync, the ids
    unit A's (JL-KESK) requests will get; A's requests then arrive intact, on every device of
    A, and B's device goes on syncing."""
    a, a2 = devices("a"), devices("a2")
    b = devices("b", unit="JL-POHJ")
    sends_as_planted(b)
    north = integration(server, unit="JL-POHJ", registers=("health", "social"))
    # The phone system's and the e-service's routes: B's request is B's own (its own id).
    first = push(server, north, request(31))
    assert first.status_code == 201 and first.json()["id"] == callback_id(POHJ, "health", "ace-31")
    assert push_form(server, north, form(32)).json()["id"] == callback_id(POHJ, "health", SOURCE_PREFIX + "omaolo-32")
    # Sync: A's would-be ids, with the source and without, and the id before 5.12.2026.
    squats = {
        callback_id(KESK, "health", "ace-33"): "ace-33", callback_id(KESK, "health", "ace-34"): "",
        legacy_callback_id("ace-35"): "ace-35", callback_id(KESK, "health", "ace-36"): "ace-36-other",
    }
    for record_id, source in squats.items():
        plant(b, record_id, source)
    plant(b, new_id(), "")  # B's own request without a source: taken
    b.sync()
    # Nor the other register of the same unit: a social-only device of JL-KESK.
    social = devices("s", registers=("social",))
    plant(social, callback_id(KESK, "health", "ace-38"), "ace-38", register="social")
    social.sync()
    squat = callback_id(KESK, "health", "ace-38")
    assert [reason for r, reason, _ in problems(social) if r == squat] == ["invalid"]
    assert [(r, reason) for r, reason, _ in problems(b)] == sorted((r, "invalid") for r in squats)
    assert b.store.outbox.pending_count() == 0
    assert not set(squats) & set(on_server(server))
    # A's requests arrive: pushed, sent as forms, imported from a file; all intact.
    token = integration(server)
    assert push(server, token, request(31)).status_code == 201
    assert push_form(server, token, form(32)).status_code == 201
    assert import_rows(a, tmp_path, "ace-33", "ace-34", "ace-35", "ace-36", "ace-38") == (5, 0)
    sync_all(a, a2, b)
    assert not problems(a) and not problems(a2)
    held = on_server(server)
    for source in ("ace-31", SOURCE_PREFIX + "omaolo-32", "ace-33", "ace-34", "ace-35", "ace-36", "ace-38"):
        mine = held[callback_id(KESK, "health", source)]
        assert (mine["unit_id"], mine["source"], mine["status"]) == (KESK, source, "open")
        assert a2.store.worklist.callback(callback_id(KESK, "health", source)) is not None
    # B is not stuck: its next change goes through.
    assert import_rows(b, tmp_path, "ace-37", name="b.csv") == (1, 0)
    b.sync()
    assert callback_id(POHJ, "health", "ace-37") in on_server(server) and b.store.outbox.pending_count() == 0
    pushed_by_a = {callback_id(KESK, "health", "ace-31"), callback_id(KESK, "health", SOURCE_PREFIX + "omaolo-32")}
    assert not pushed_by_a & {
        r["id"] for r in b.store.export_records() if r["type"] == "callback"
    }


def test_the_answers_do_not_tell_another_unit_what_this_unit_holds(server, devices, tmp_path):
    """The same answer to B for an id A holds as for one nobody holds: by sync (A's ids, now
    and before 5.12.2026) and by the integration routes (the same source)."""
    a, b = devices("a"), devices("b", unit="JL-POHJ")
    sends_as_planted(b)
    legacy_request(server, request(41))
    import_rows(a, tmp_path, "ace-42")
    a.sync()
    held = {legacy_callback_id("ace-41"), callback_id(KESK, "health", "ace-42")}
    assert held <= set(on_server(server))
    pairs = [
        (legacy_callback_id("ace-41"), legacy_callback_id("ace-49"), "ace-41", "ace-49"),
        (callback_id(KESK, "health", "ace-42"), callback_id(KESK, "health", "ace-48"), "ace-42", "ace-48"),
    ]
    for held_id, free_id, held_source, free_source in pairs:
        plant(b, held_id, held_source)
        plant(b, free_id, free_source)
    b.sync()
    answers = {record_id: (reason, detail) for record_id, reason, detail in problems(b)}
    for held_id, free_id, _, _ in pairs:
        assert answers[held_id] == answers[free_id] == (
            "invalid", "a new callback request's id is derived from its unit, register and source (random without one)",
        )
    north = integration(server, unit="JL-POHJ")
    for source in (41, 42):
        held_source, free_source = push(server, north, request(source)), push(server, north, request(source + 6))
        assert held_source.status_code == free_source.status_code == 201
    # A's requests are as they were.
    assert on_server(server)[legacy_callback_id("ace-41")]["unit_id"] == KESK
    assert on_server(server)[callback_id(KESK, "health", "ace-42")]["name"] == "Liisa Soittaja"


def legacy_request(server, body: dict, unit: str = "JL-KESK") -> str:
    """A request the phone system pushed before 5.12.2026: held under the source's id alone
    (the server's store as it derived ids then). Returns the phone system's credential."""
    central = server.central()
    token = integration(server, unit=unit)
    try:
        sender = Credential(token.split(".")[0], "Puhelinjärjestelmä", ref_id("unit", unit), unit, ("health",), True)
        parsed, found = check_row(1, body)
        assert parsed is not None, found
        before = callback_ids.callback_id
        callback_ids.callback_id = lambda _unit, _register, source: legacy_callback_id(source)
        try:
            record_id, created = central.callbacks.push_callback(sender, parsed)
        finally:
            callback_ids.callback_id = before
        assert created and record_id == legacy_callback_id(body["id"])
        return token
    finally:
        central.close()


def test_a_request_held_under_its_earlier_id_is_not_added_twice(server, devices, tmp_path):
    body = request(51)
    token = legacy_request(server, body)
    a, late = devices("a"), devices("late")
    a.sync()
    legacy = legacy_callback_id("ace-51")
    assert a.store.worklist.callback(legacy) is not None
    # The phone system pushes it again, the file is imported again: the same request.
    again = push(server, token, body)
    assert (again.status_code, again.json()) == (200, {"id": legacy, "created": False})
    assert import_rows(a, tmp_path, "ace-51") == (0, 1)
    # A device that imported the file before it pulled: the server keeps one request.
    assert import_rows(late, tmp_path, "ace-51") == (1, 0)
    late.sync()
    assert [r["id"] for r in on_server(server).values() if r["source"] == "ace-51"] == [legacy]
    # The device keeps the unit's request alone: its own copy is dropped, nothing is stuck.
    assert late.store.worklist.callback(legacy) is not None
    assert callback_ids_on(late, "ace-51") == [legacy]
    assert not problems(late) and late.store.outbox.pending_count() == 0
    # Kept under its id, it is worked as before: the take reaches the server.
    a.store.worklist.take_callback(legacy, a.store.viewer(a.worker().id), now())
    a.sync()
    assert not problems(a)
    assert on_server(server)[legacy]["status"] == "taken"
    # Another unit's request under the earlier id is not this unit's: pushed, it is new here.
    other = legacy_request(server, request(52), unit="JL-POHJ")
    assert other
    assert push(server, token, request(52)).json() == {"id": callback_id(KESK, "health", "ace-52"), "created": True}


def test_a_legacy_request_of_one_register_does_not_refuse_the_other_registers_request(server, devices):
    """The same source id in the other register is another request (review of 5.12.2026: a
    device holding both registers was refused a social request because a health request of
    the unit was held under the source's earlier id)."""
    legacy_request(server, request(61))  # health, under the earlier id
    both = devices("both")
    social_id = callback_id(KESK, "social", "ace-61")
    plant(both, social_id, "ace-61", register="social")
    both.sync()
    assert not problems(both)
    held = on_server(server)
    assert held[social_id]["sector"] == "social" and held[legacy_callback_id("ace-61")]["sector"] == "health"


def callback_ids_on(device, source: str) -> list[str]:
    return sorted(r["id"] for r in device.store.export_records() if r["type"] == "callback" and r["source"] == source)


def test_a_copy_imported_before_the_first_pull_is_dropped_and_the_workers_take_carried_over(server, devices, tmp_path, shipped):
    """A device that imported the file before it pulled holds a second copy of a request the
    unit holds under its earlier id. Its worker called once without an answer and then took
    the copy. After its sync the device holds one request, the unit's, taken by that worker
    with the draft contact and the call; the server has the take, so another device of the
    unit sees it taken (before: the copy's take was refused at every sync, and the unit's
    request stayed open for a second worker to call)."""
    legacy_request(server, request(71))
    legacy = legacy_callback_id("ace-71")
    mine = callback_id(KESK, "health", "ace-71")
    a, late = devices("a"), devices("late")
    a.sync()
    assert import_rows(late, tmp_path, "ace-71") == (1, 0)
    worker = late.store.viewer(late.worker().id)
    late.store.worklist.callback_no_answer(mine, worker, shipped.region.callbacks, now())
    draft = late.store.worklist.take_callback(mine, worker, now())
    late.sync()
    assert callback_ids_on(late, "ace-71") == [legacy]
    kept = late.store.worklist.callback(legacy)
    assert (kept.status, kept.taken_by, kept.contact_id, kept.attempts) == ("taken", late.worker().id, draft.id, 1)
    assert late.store.worklist.callback_of_contact(draft.id).id == legacy
    assert not problems(late) and late.store.outbox.pending_count() == 0
    held = on_server(server)
    assert [r["id"] for r in held.values() if r["source"] == "ace-71"] == [legacy]
    assert (held[legacy]["status"], held[legacy]["taken_by"], held[legacy]["attempts"]) == ("taken", late.worker().id, 1)
    a.sync()
    assert a.store.worklist.callback(legacy).status == "taken"
    assert callback_ids_on(a, "ace-71") == [legacy]


def test_a_copy_whose_request_another_worker_took_first_stays_visible(server, devices, tmp_path):
    """The unit's request was taken on another device first: the copy is dropped all the
    same (one request), the device shows the other worker's take, and this worker's take is
    a problem in F6 with their draft contact kept."""
    legacy_request(server, request(72))
    legacy = legacy_callback_id("ace-72")
    mine = callback_id(KESK, "health", "ace-72")
    a, late = devices("a"), devices("late")
    a.sync()
    a.store.worklist.take_callback(legacy, a.store.viewer(a.worker().id), now())
    a.sync()
    import_rows(late, tmp_path, "ace-72")
    draft = late.store.worklist.take_callback(mine, late.store.viewer(late.worker().id), now())
    late.sync()
    assert callback_ids_on(late, "ace-72") == [legacy]
    assert late.store.worklist.callback(legacy).taken_by == a.worker().id
    assert [(r, reason) for r, reason, _ in problems(late)] == [(mine, "invalid")]
    assert late.store.contacts.contact_status(draft.id).value == "draft"  # kept as started
    assert late.store.outbox.pending_count() == 0
    assert on_server(server)[legacy]["taken_by"] == a.worker().id


def test_the_answer_names_the_units_own_request_only(server, devices, tmp_path):
    """The answer to a copy carries the unit's request, to a device of its unit and register;
    a device of another unit (or of the unit's other register) importing the same file gets
    its own request and nothing of this unit's."""
    legacy_request(server, request(73))
    legacy = legacy_callback_id("ace-73")
    late = devices("late")
    import_rows(late, tmp_path, "ace-73")
    answer = raw_push(late, callback_id(KESK, "health", "ace-73"))
    assert (answer["status"], answer["current"]["id"], answer["current"]["unit_id"]) == ("rejected", legacy, KESK)
    b = devices("b", unit="JL-POHJ")
    import_rows(b, tmp_path, "ace-73")
    theirs = callback_id(POHJ, "health", "ace-73")
    assert raw_push(b, theirs)["status"] == "accepted"
    b.sync()
    assert not problems(b)
    assert callback_ids_on(b, "ace-73") == [theirs]
    assert not [r for r in b.store.export_records() if r["type"] == "callback" and r.get("unit_id") == KESK]
    social = devices("s", registers=("social",))
    plant(social, callback_id(KESK, "social", "ace-73"), "ace-73", register="social")
    answer = raw_push(social, callback_id(KESK, "social", "ace-73"))
    assert answer["status"] == "accepted" and answer.get("current") is None


def raw_push(device, record_id: str) -> dict:
    """The central API's answer to the device's queued change of this record, as sent."""
    entry = next(e for e in device.store.outbox.pending_changes(1000) if e.record_id == record_id)
    change = {
        "id": entry.change_id, "type": entry.record_type, "record_id": entry.record_id,
        "base_seq": entry.base_seq, "data": json.loads(entry.data),
    }
    with device.client() as client:
        response = client._request("POST", "/v1/push", json={"changes": [change]})
    return response.json()["answers"][0]


def test_imports_made_before_the_upgrade_and_not_sent_reach_the_unit(server, devices, tmp_path):
    """A device imported before the upgrade of 5.12.2026 (ids from the source alone) and had
    not sent the imports: the central API takes no new request under such an id. The device
    gives them the ids they get now at its next push - also one the previous version had
    already seen refused - and keeps the unit's where the unit holds the request under its
    earlier id. Nothing is left refused or queued, and the worker's take reaches the unit."""
    old = devices("old")
    # The version before this one sent ace-83 and had it refused for good.
    plant(old, legacy_callback_id("ace-83"), "ace-83")
    sends_as_planted(old)
    old.sync()
    assert [(r, reason) for r, reason, _ in problems(old)] == [(legacy_callback_id("ace-83"), "invalid")]
    installed_now(old)
    legacy_request(server, request(82))  # another device of the unit had sent this one
    for number in (81, 82):
        plant(old, legacy_callback_id(f"ace-{number}"), f"ace-{number}")
    draft = old.store.worklist.take_callback(legacy_callback_id("ace-81"), old.store.viewer(old.worker().id), now())
    old.sync()
    held = on_server(server)
    kept = {
        81: callback_id(KESK, "health", "ace-81"), 82: legacy_callback_id("ace-82"), 83: callback_id(KESK, "health", "ace-83"),
    }
    for number, record_id in kept.items():
        assert [r["id"] for r in held.values() if r["source"] == f"ace-{number}"] == [record_id]
        assert callback_ids_on(old, f"ace-{number}") == [record_id]
    assert held[kept[81]]["status"] == "taken" and held[kept[81]]["taken_by"] == old.worker().id
    assert old.store.worklist.callback(kept[81]).contact_id == draft.id
    assert old.store.outbox.pending_count() == 0
    a = devices("a")
    a.sync()
    assert {n: a.store.worklist.callback(r) is not None for n, r in kept.items()} == {81: True, 82: True, 83: True}


def test_a_copy_the_previous_version_sent_and_had_refused_is_resolved_after_the_upgrade(server, devices, tmp_path):
    """The previous version imported before its first pull (the id derived with the unit),
    pushed the copy and had it refused: nothing was left queued. After the upgrade the device
    sends it once more, the server answers with the unit's request, and the worker sees the
    caller once on the worklist."""
    legacy_request(server, request(91))
    late = devices("late")
    import_rows(late, tmp_path, "ace-91")
    with late.store.session() as session:  # what the previous version left after the refusal
        session.execute(text("DELETE FROM outbox WHERE record_type = 'callback'"))
        session.commit()
    late.sync()
    late.sync()
    assert callback_ids_on(late, "ace-91") == [legacy_callback_id("ace-91")]
    assert late.store.outbox.pending_count() == 0 and not problems(late)


def test_a_refusal_under_the_earlier_id_leaves_f6_once_the_request_has_its_new_id(server, devices):
    """A request refused under its id made before 5.12.2026 gets its new id at the upgrade and
    reaches the unit: the earlier refusal is no longer shown to the worker."""
    old = devices("old")
    plant(old, legacy_callback_id("ace-93"), "ace-93")
    sends_as_planted(old)
    old.sync()
    assert [r for r, _, _ in problems(old)] == [legacy_callback_id("ace-93")]
    installed_now(old)
    old.sync()
    assert callback_ids_on(old, "ace-93") == [callback_id(KESK, "health", "ace-93")]
    assert callback_id(KESK, "health", "ace-93") in on_server(server)
    assert not problems(old)


def test_calls_on_a_copy_before_the_units_latest_call_are_counted(server, devices, tmp_path, shipped):
    """A call without an answer made on a copy, then a later call on the unit's request on
    another device: once the copy is answered with the unit's request, both calls count on
    the server (the count decides the letter after three)."""
    legacy_request(server, request(92))
    legacy = legacy_callback_id("ace-92")
    a, late = devices("a"), devices("late")
    a.sync()
    import_rows(late, tmp_path, "ace-92")
    rules = shipped.region.callbacks
    copy = callback_id(KESK, "health", "ace-92")
    late.store.worklist.callback_no_answer(copy, late.store.viewer(late.worker().id), rules, now() - timedelta(minutes=30))
    a.store.worklist.callback_no_answer(legacy, a.store.viewer(a.worker().id), rules, now())
    a.sync()
    late.sync()
    assert late.store.outbox.pending_count() == 0
    held = on_server(server)[legacy]
    assert held["attempts"] == 2 and held["status"] == "open"
    a.sync()
    assert a.store.worklist.callback(legacy).attempts == 2
