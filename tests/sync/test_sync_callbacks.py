"""Callback requests (soittopyynnöt) as a synced record type: the queue of a unit is shared
by its devices, and the first take to reach the central API wins. Real `ohjaus serve` on
loopback, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from ohjaus_core.domain.callbacks import callback_id, read_callbacks
from ohjaus_core.domain.clock import now
from ohjaus_core.domain.worklist import WorkKind
from ohjaus_core.reference import ref_id

from ..sync_helpers import sync_all


def viewer(device, register: str = "health"):
    return device.store.viewer(device.worker(register).id)


def queue_file(tmp_path, name: str = "queue.csv"):
    at = (now() - timedelta(hours=1)).replace(microsecond=0).isoformat()
    path = tmp_path / name
    path.write_text(
        "id,requested_at,phone,name,reason,register\n"
        f"cb-test-1,{at},+358401110001,Liisa Soittaja,Kuumetta,health\n"
        f"cb-test-2,{at},+358401110002,Pekka Soittaja,Selkä kipeä,health\n"
        f"cb-test-3,{at},+358401110003,Sanna Soittaja,Toimeentulo,social\n",
        encoding="utf-8",
    )
    return path


def import_file(device, path) -> None:
    read = read_callbacks(path)
    assert not read.problems
    device.store.worklist.import_callbacks(read.requests, device.worker().unit_id, now())


def listed(device, shipped, register: str = "health") -> set[str]:
    items = device.store.worklist.worklist(viewer(device, register), shipped.region, now())
    return {item.id for item in items if item.kind == WorkKind.CALLBACK}


def callbacks(device) -> dict[str, dict]:
    return {row["id"]: row for row in device.store.export_records() if row["type"] == "callback"}


KESK = ref_id("unit", "JL-KESK")
IDS = [callback_id(KESK, register, f"cb-test-{n}") for n, register in ((1, "health"), (2, "health"), (3, "social"))]


def test_a_unit_s_devices_share_the_queue_and_no_one_else_gets_it(server, devices, shipped, tmp_path):
    a, b = devices("a"), devices("b")
    other = devices("pohj", "JL-POHJ", ("health", "social"))
    health_only = devices("health", "JL-KESK", ("health",))
    import_file(a, queue_file(tmp_path))
    sync_all(a, b, other, health_only)
    assert set(IDS[:2]) <= listed(b, shipped, "health")
    assert IDS[2] in listed(b, shipped, "social")
    assert set(IDS[:2]) <= listed(health_only, shipped, "health")
    assert IDS[2] not in callbacks(health_only)  # a social request stays with social devices
    assert not set(IDS) & set(callbacks(other))  # another unit never gets them
    assert {k: v for k, v in callbacks(a).items() if k in IDS} == {k: v for k, v in callbacks(b).items() if k in IDS}
    for device in (a, b, other, health_only):
        assert not [p for p in device.store.outbox.sync_problems() if p.record_id in IDS]


def test_the_same_file_imported_on_two_devices_is_one_record_each(server, devices, tmp_path):
    a, b = devices("a"), devices("b")
    path = queue_file(tmp_path)
    import_file(a, path)
    import_file(b, path)
    sync_all(a, b)
    held_a, held_b = callbacks(a), callbacks(b)
    for request_id, source in zip(IDS, ("cb-test-1", "cb-test-2", "cb-test-3")):
        assert [r["id"] for r in held_a.values() if r["source"] == source] == [request_id]
        assert [r["id"] for r in held_b.values() if r["source"] == source] == [request_id]
        assert held_a[request_id] == held_b[request_id]
    assert not a.store.outbox.sync_problems() and not b.store.outbox.sync_problems()
    assert a.store.outbox.pending_count() == b.store.outbox.pending_count() == 0


def test_a_request_taken_on_one_device_leaves_the_others_list(server, devices, shipped, tmp_path):
    a, b = devices("a"), devices("b")
    import_file(a, queue_file(tmp_path))
    sync_all(a, b)
    draft = a.store.worklist.take_callback(IDS[0], viewer(a), now())
    a.sync()
    b.sync()
    assert IDS[0] not in listed(b, shipped) and IDS[1] in listed(b, shipped)
    held = b.store.worklist.callback(IDS[0])
    assert (held.status, held.taken_by, held.contact_id) == ("taken", a.worker().id, None)  # A's draft is not here
    # A signs the contact: done on both, B now holds the contact it refers to.
    a.store.contacts.sign(_complete(a.store.contacts.load_draft(draft.id)), now())
    sync_all(a, b)
    held = b.store.worklist.callback(IDS[0])
    assert (held.status, held.contact_id) == ("done", draft.id)
    assert not a.store.outbox.sync_problems() and not b.store.outbox.sync_problems()


def test_two_takes_of_one_request_offline_the_first_to_reach_the_server_wins(server, devices, shipped, tmp_path):
    a, b = devices("a"), devices("b")
    import_file(a, queue_file(tmp_path))
    sync_all(a, b)
    draft_a = a.store.worklist.take_callback(IDS[1], viewer(a), now())
    draft_b = b.store.worklist.take_callback(IDS[1], viewer(b), now())
    a.sync()
    b.sync()
    problems = b.store.outbox.sync_problems()
    assert [(p.record_type, p.record_id, p.reason) for p in problems] == [("callback", IDS[1], "callback_taken")]
    assert not a.store.outbox.sync_problems()
    held = b.store.worklist.callback(IDS[1])
    assert (held.status, held.contact_id) == ("taken", None)  # the server's version: A's take
    assert b.store.contacts.contact_status(draft_b.id).value == "draft"  # B's draft is kept
    assert draft_b.id in {i.id for i in b.store.worklist.worklist(viewer(b), shipped.region, now()) if i.kind == WorkKind.DRAFT}
    # B discards its draft: the request stays A's (nothing of B's pointed to it any more).
    b.store.contacts.discard_draft(draft_b.id, now())
    sync_all(a, b)
    assert a.store.worklist.callback(IDS[1]).contact_id == draft_a.id
    assert b.store.worklist.callback(IDS[1]).status == "taken"
    # A discards its draft: the request is open again everywhere.
    a.store.contacts.discard_draft(draft_a.id, now())
    sync_all(a, b)
    assert IDS[1] in listed(b, shipped) and IDS[1] in listed(a, shipped)
    assert len(b.store.outbox.sync_problems()) == 1 and not a.store.outbox.sync_problems()


def test_a_done_request_stays_done(server, devices, tmp_path):
    a, b = devices("a"), devices("b")
    import_file(a, queue_file(tmp_path))
    sync_all(a, b)
    a.store.worklist.finish_callback(IDS[0], "Ei vastannut kahdesti, tekstiviesti lähetetty", viewer(a), now())
    b.store.worklist.take_callback(IDS[0], viewer(b), now())
    a.sync()
    b.sync()
    assert [p.reason for p in b.store.outbox.sync_problems()] == ["callback_taken"]
    assert b.store.worklist.callback(IDS[0]).status == "done"
    a.sync()
    assert a.store.worklist.callback(IDS[0]).status == "done"


def _complete(draft):
    """A taken callback's draft made signable (advice only)."""
    from ohjaus_core.domain.codes import OutcomeKind, Segment, ServiceArea, Urgency

    draft.service_area = ServiceArea.HEALTH
    draft.protocol_id, draft.protocol_version = "advice_only", 1
    draft.answers = {"has_symptoms_or_worry": False}
    draft.suggested_urgency = draft.urgency = Urgency.SELF_CARE
    draft.suggested_segment = draft.segment = Segment.ADVICE
    draft.outcome_kind, draft.advice_text = OutcomeKind.ADVICE, "Lepoa ja nestettä."
    if not draft.reason:
        draft.reason = "Soittopyyntö"
    draft.anonymous = draft.client_id is None
    return draft
