"""A pull whose apply fails midway (TRUST.md: one bad record never stalls anyone).

A page of the server's changes holds records this device cannot apply: a value of an
enumeration a newer server knows (a client's language), a record type a newer server has, a
record of the wrong shape, data that is not a JSON object, data that is not JSON text at all
(the whole page's body then does not parse), and a row the device's SQLite refuses (a CHECK
constraint). Each is kept aside with its reason - as the push side keeps its refusals - and
reported to the central API; the rest of the page arrives; the cursor ends at the server's
head, never past a record not accounted for; the next round is not stuck on them; F6 says what
they are. Real server on loopback (SQLite and PostgreSQL), real device SQLite files.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

from sqlalchemy import func, insert, select

from ohjaus_central.tables import change_log
from ohjaus_core.domain.identity import make_identity_code

from ..sync_helpers import badge_text, f6_rows, signed_in


def _append_text(server, record_type: str, record_id: str, text: str) -> int:
    """A change-log row as a server (a newer one, or one with a damaged row) holds it."""
    central = server.central()
    try:
        with central.engine.begin() as conn:
            seq = (conn.execute(select(func.max(change_log.c.seq))).scalar() or 0) + 1
            conn.execute(
                insert(change_log).values(
                    seq=seq, record_type=record_type, record_id=record_id, unit_id=None, register=None,
                    data=text, device_id=None, received_at=datetime.now(UTC),
                )
            )
            return seq
    finally:
        central.close()


def _client(device, first: str, serial: int, **changed) -> dict:
    client_id = str(uuid.uuid4())
    return {
        "id": client_id, "first_name": first, "last_name": "Myrkky",
        "identity_code": make_identity_code(date(1980, 1, 1 + serial % 27), serial), "phone": None,
        "language": "fi", "municipality": "Järvilaakso", "created_at": "2026-01-01T08:00:00+00:00",
        "created_by": device.worker().id, **changed,
    }


def _poison(server, device) -> tuple[dict[int, str], dict]:
    """The bad records (seq -> what they are) and a good client after them all."""
    bad = {}
    newer_language = _client(device, "Uusikieli", 971, language="se")
    bad[_append_text(server, "client", newer_language["id"], json.dumps(newer_language))] = "enum"
    note_id = str(uuid.uuid4())
    bad[_append_text(server, "note", note_id, json.dumps({"id": note_id, "text": "uusi tietuelaji"}))] = "type"
    shape_id = str(uuid.uuid4())
    bad[_append_text(server, "contact", shape_id, json.dumps({"contact": "ei olio", "follow_ups": 5}))] = "shape"
    list_id = str(uuid.uuid4())
    bad[_append_text(server, "client", list_id, "[1, 2]")] = "not an object"
    broken_id = str(uuid.uuid4())
    bad[_append_text(server, "client", broken_id, '{"id": "%s", "first_name": "Rik' % broken_id)] = "not JSON"
    worker_id = str(uuid.uuid4())
    refused = {"id": worker_id, "username": "uusi9", "name": "Uusi", "role": "nurse", "sector": "bogus",
               "unit_id": next(u.id for u in device.store.units() if u.code == device.unit), "languages": "fi"}
    bad[_append_text(server, "worker", worker_id, json.dumps(refused))] = "check"
    good = _client(device, "Hyvä", 972)
    _append_text(server, "client", good["id"], json.dumps(good))
    return bad, good


def test_a_page_with_records_this_device_cannot_apply_is_applied_around_them(server, devices):
    a = devices("a")
    a.sync()
    bad, good = _poison(server, a)
    central = server.central()
    head = central.changes.log_max()
    central.close()

    result = a.sync(page=3)  # small pages: the bad records fall in several, one at a page's end

    assert a.store.clients.client(good["id"]).first_name == "Hyvä"  # the rest arrived
    assert result.pulled >= 1
    kept = {k.seq: k for k in a.store.pull.quarantined()}
    assert set(kept) == set(bad)  # every bad record kept, none lost, none more
    unreadable = ("enum", "type", "not JSON", "not an object")  # not a record this version can read
    assert {kept[s].reason for s, what in bad.items() if what in unreadable} == {"unreadable"}
    assert {kept[s].reason for s, what in bad.items() if what not in unreadable} == {"invalid"}
    assert "CHECK constraint failed" in next(k.detail for s, k in kept.items() if bad[s] == "check")
    assert next(k.detail for s, k in kept.items() if bad[s] == "enum") == "client.language: not a value this version knows"
    not_json = next(k for s, k in kept.items() if bad[s] == "not JSON")
    assert not_json.data.startswith('{"id": "') and not_json.record_type == "client"  # kept as it came
    assert a.store.pull.sync_cursor() == head  # caught up, every skipped record accounted for above
    assert a.store.outbox.sync_status().problems == len(bad)
    assert a.store.outbox.sync_status().last_error == ""
    assert result.set_aside == len(bad)
    assert "kept aside 6 received records this device cannot apply (F6)" in result.summary()
    central = server.central()
    reports = central.quarantine_reports()
    central.close()
    assert {r["seq"] for r in reports} == set(bad)  # the administrator learns of each

    # Not stuck: the next round finishes, keeps them, applies nothing again and moves nowhere.
    again = a.sync()
    assert again.pulled == 0 and again.set_aside == 0 and a.store.pull.sync_cursor() == head
    assert {k.seq for k in a.store.pull.quarantined()} == set(bad)


def test_a_page_whose_apply_fails_midway_on_the_disk_is_applied_whole_later(server, devices, monkeypatch):
    """A failure that is not a record's (the disk, mid-page): the page's transaction is
    rolled back whole - no record of it, no kept-aside row, the cursor not past it - the
    worker is told in one line, and the next round applies the page."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from ohjaus_tui.store import sync_pull
    from ohjaus_tui.store.errors import StoreError

    a = devices("a")
    a.sync()
    cursor = a.store.pull.sync_cursor()
    bad, good = _poison(server, a)
    written = sync_pull._held_versions

    def disk_fails(session, seqs):
        written(session, seqs)  # the page's rows are in the transaction by now
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("disk I/O error"))

    monkeypatch.setattr(sync_pull, "_held_versions", disk_fails)
    try:
        a.sync()
    except StoreError as error:
        assert "disk I/O error" in str(error) and "INSERT" not in str(error)
    else:
        raise AssertionError("the round reported no problem")
    # The pages before it stay applied; of the failed one nothing is held, nor is it passed.
    stopped = a.store.pull.sync_cursor()
    assert cursor <= stopped < max(bad)
    assert a.store.clients.client(good["id"]) is None
    assert all(k.seq <= stopped for k in a.store.pull.quarantined())
    monkeypatch.setattr(sync_pull, "_held_versions", written)
    a.sync()
    assert a.store.clients.client(good["id"]) is not None
    assert {k.seq for k in a.store.pull.quarantined()} == set(bad)


async def test_f6_names_the_records_this_version_cannot_read(server, devices):
    a = devices("a")
    a.sync()
    _poison(server, a)
    a.sync()
    async with signed_in(a, size=(120, 40)) as (app, pilot):
        assert "6 problems (F6)" in badge_text(app)
        rows = await f6_rows(app, pilot)
        assert len(rows) == 6
        assert sum("this version cannot read it" in row for row in rows) == 4
        assert sum("this device cannot store it" in row for row in rows) == 2
