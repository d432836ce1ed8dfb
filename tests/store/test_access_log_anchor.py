"""The access log's tail is anchored (issue 14): its count and last hash are kept apart from
the log, written in the same transaction as every entry, and sent to the central API at
every sync. Entries cut from the end, a tail hashed anew and an emptied log are found by
`ohjaus log verify`, which says which entries are missing; the central API refuses a log
that shrank or was rewritten. Real store files; a real server on loopback."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ohjaus.cli import main
from ohjaus_core.domain.access_log import AccessAction, entry_hash
from ohjaus_tui.store.directory import connect
from ohjaus_tui.sync.client import AccessLogRefused

from ..conftest import FIXED_NOW
from ..factories import client_in_both_registers, viewer

TRIGGERS = ("access_log_no_update", "access_log_no_delete")


def _tamper(data_dir, *statements: str, anchor: bool = False) -> None:
    """Someone with the file and its key goes around the triggers (of the anchor too)."""
    connection = connect(data_dir)
    try:
        with connection:
            for trigger in TRIGGERS + (("access_log_anchor_no_delete", "access_log_anchor_no_shrink") if anchor else ()):
                connection.execute(f"DROP TRIGGER IF EXISTS {trigger}")
            for statement in statements:
                connection.execute(statement)
    finally:
        connection.close()


def _rehash_from(store, first: int) -> None:
    """Change the entries from `first` on and make every hash of the chain again, so the
    chain itself is whole."""
    entries = store.protection.access_entries()
    previous = entries[first - 2].hash if first > 1 else "0" * 64
    statements = []
    for entry in entries[first - 1 :]:
        forged = type(entry)(**{**entry.__dict__, "item": "nothing", "prev_hash": previous, "hash": ""})
        previous = entry_hash(forged)
        statements.append(
            f"UPDATE access_log SET item = 'nothing', prev_hash = '{forged.prev_hash}', hash = '{previous}' "
            f"WHERE seq = {entry.seq}"
        )
    _tamper(store.data_dir, *statements)


def _log(store, count: int = 6, device=None) -> None:
    if device is None:
        nurse, client = viewer(store, "hoitaja1"), client_in_both_registers(store)
    else:
        nurse = store.viewer(device.worker().id)
        client = next(c for c in store.contacts.signed_contacts(50) if c.client_id and c.sector == "health").client_id
    for minute in range(count):
        store.protection.log_access(nurse, [client], AccessAction.VIEW, "client", "contact", FIXED_NOW + timedelta(minutes=minute))


@pytest.fixture
def logged(store):
    _log(store)
    assert store.protection.verify_access_log().intact
    return store


def _verify(store, capsys) -> tuple[int, str]:
    code = main(["log", "verify", "--data-dir", str(store.data_dir)])
    return code, capsys.readouterr().out


def test_a_deleted_tail_is_found_and_named(logged, capsys):
    total = logged.protection.access_entries()[-1].seq
    _tamper(logged.data_dir, f"DELETE FROM access_log WHERE seq > {total - 3}")
    problems = logged.protection.verify_access_log().problems
    assert problems == [(total - 2, f"entries {total - 2}-{total} are missing")]
    code, out = _verify(logged, capsys)
    assert code == 1 and f"entries {total - 2}-{total} are missing" in out


def test_an_emptied_log_is_found(logged, capsys):
    total = logged.protection.access_entries()[-1].seq
    _tamper(logged.data_dir, "DELETE FROM access_log")
    code, out = _verify(logged, capsys)
    assert code == 1 and f"entries 1-{total} are missing" in out


def test_a_tail_hashed_anew_is_found(logged, capsys):
    total = logged.protection.access_entries()[-1].seq
    _rehash_from(logged, total - 2)
    code, out = _verify(logged, capsys)
    assert code == 1 and f"entry {total}: not the entry the log had under this number" in out


def test_after_a_cut_the_numbers_go_on_and_the_gap_stays(logged):
    total = logged.protection.access_entries()[-1].seq
    _tamper(logged.data_dir, f"DELETE FROM access_log WHERE seq > {total - 2}")
    _log(logged, 1)  # the device keeps working
    assert logged.protection.access_entries()[-1].seq == total + 1
    assert logged.protection.verify_access_log().problems == [(total + 1, f"entries {total - 1}-{total} are missing")]


def test_the_anchor_is_written_with_every_entry_and_never_goes_back(logged):
    count, last = logged.protection.access_log_anchor()
    assert (count, last) == (logged.protection.access_entries()[-1].seq, logged.protection.access_entries()[-1].hash)
    connection = connect(logged.data_dir)
    try:
        with pytest.raises(Exception, match="never"):
            connection.execute("UPDATE access_log_anchor SET count = 1")
        with pytest.raises(Exception, match="never"):
            connection.execute("DELETE FROM access_log_anchor")
    finally:
        connection.close()


# -- the central API keeps the highest anchor it has seen ------------------------------------------


def test_the_central_api_refuses_a_log_cut_with_its_anchor(devices):
    a = devices("a")
    _log(a.store, 4, a)
    a.sync()
    total = a.store.protection.access_entries()[-1].seq
    # The tail and the anchor both cut back, so the device's own check passes.
    keep = total - 3
    keep_hash = a.store.protection.access_entries()[keep - 1].hash
    _tamper(
        a.path,
        f"DELETE FROM access_log WHERE seq > {keep}",
        f"UPDATE access_log_anchor SET count = {keep}, hash = '{keep_hash}'",
        "UPDATE setting SET value = '{keep}' WHERE key = 'access_log_sent'".replace("{keep}", str(keep)),
        anchor=True,
    )
    assert a.store.protection.verify_access_log().intact
    with pytest.raises(AccessLogRefused, match=f"entries {keep + 1}-{total} are missing"):
        a.sync()


def test_the_central_api_refuses_a_log_whose_sent_tail_was_hashed_anew(devices):
    a = devices("a")
    _log(a.store, 4, a)
    a.sync()
    total = a.store.protection.access_entries()[-1].seq
    _rehash_from(a.store, total - 1)
    last = a.store.protection.access_entries()[-1].hash
    _tamper(a.path, f"UPDATE access_log_anchor SET hash = '{last}'", anchor=True)
    assert a.store.protection.verify_access_log().intact
    with pytest.raises(AccessLogRefused, match="rewritten"):
        a.sync()
