"""The first `ohjaus --demo` (issue 17): it shows how far it is, and a first use interrupted
half-way - Ctrl+C or kill -9 - leaves no directory that the next `ohjaus --demo` refuses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ohjaus_tui.demo import make_demo_atomically
from ohjaus_tui.store.keys import key_dir
from ohjaus_tui.store.store import Store

ROOT = Path(__file__).resolve().parents[2]


def _keys() -> set[str]:
    return {p.name for p in key_dir().glob("*.key")} if key_dir().exists() else set()


def test_an_interrupted_first_use_leaves_nothing_and_the_next_one_works(tmp_path, shipped):
    target = tmp_path / "demo"
    keys_before = _keys()
    seen: list[tuple[str, int, int]] = []

    def interrupt(what: str, done: int, total: int) -> None:
        seen.append((what, done, total))
        if done == 5:
            raise KeyboardInterrupt  # Ctrl+C in the middle of the contacts

    with pytest.raises(KeyboardInterrupt):
        make_demo_atomically(target, clients=20, contacts=10, shipped=shipped, progress=interrupt)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []  # no half-made sibling either
    assert _keys() == keys_before  # nor a device key for it
    assert [what for what, _, _ in seen[:3]] == ["Units, workers and time slots", "Clients", "Contacts"]
    assert all(total == 12 for _, _, total in seen)

    summary = make_demo_atomically(target, clients=20, contacts=10, shipped=shipped)
    assert str(target) in summary and ".partial" not in summary
    store = Store(target)
    try:
        assert store.workers() and len(store.contacts.signed_contacts(50)) > 0
    finally:
        store.close()


def test_an_empty_directory_is_filled_and_one_with_data_is_refused(tmp_path, shipped):
    from ohjaus_core.domain.errors import DomainError

    target = tmp_path / "demo"
    target.mkdir()
    make_demo_atomically(target, clients=10, contacts=2, shipped=shipped)
    with pytest.raises(DomainError, match="already holds ohjaus data"):
        make_demo_atomically(target, clients=10, contacts=2, shipped=shipped)


@pytest.mark.slow
def test_a_first_use_killed_with_sigkill_leaves_no_directory_and_the_next_run_cleans_up(tmp_path):
    target = tmp_path / "demo"
    command = [sys.executable, "-m", "ohjaus", "--lang", "en", "demo", "--data-dir", str(target)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".demo.partial-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(tmp_path.glob(".demo.partial-*")), "the build never started"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)
    assert not target.exists()  # what `ohjaus --demo` would open next time is not there

    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Demo data directory" in done.stdout and str(target) in done.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["demo"]  # the killed run's leftovers are gone


def test_the_demo_is_built_without_a_flush_per_commit_but_opens_with_full_sync(tmp_path, shipped):
    """The build skips the per-commit fsync (issue 18: it is built aside and flushed once at
    the end); a store opened on the demo afterwards is synchronous=FULL as every store is."""
    target = tmp_path / "demo"
    make_demo_atomically(target, clients=10, contacts=4, shipped=shipped)
    assert not (target / "ohjaus.sqlite3-wal").exists() or (target / "ohjaus.sqlite3-wal").stat().st_size == 0
    store = Store(target)
    try:
        with store.engine.connect() as connection:
            raw = connection.connection.driver_connection
            assert raw.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert store.contacts.signed_contacts() and store.workers()
    finally:
        store.close()


def test_a_demo_device_keeps_its_clients_past_the_regions_retention_check(store, shipped):
    """The demo's clients were all made 400 days before the demo's day: at a demo device's
    first sync two thirds of them left it at once (issue 20's retention, 365 days). Now every
    demo client is within it, and only real age makes one leave."""
    from ..conftest import FIXED_NOW

    removal = store.removal.remove_clients(set(), shipped.region.devices.retention_days, FIXED_NOW)
    # Nobody is due to leave: not removed, nor kept only because the demo has not synced yet.
    assert (removal.scope, removal.retention, removal.kept_pending, removal.kept_open, removal.kept_log) == (0, 0, 0, 0, 0)
