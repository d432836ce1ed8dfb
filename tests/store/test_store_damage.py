"""The store refuses to start over silently, and a damaged file is one line (issue 14).

A directory with a key id whose database is missing or empty is said so and left as it is
(never rebuilt as a new empty store); damaged pages make `export`, `report` and `sync` print
one line and exit non-zero, with the details, without client data, in the error log; no SQL
parameter (a name, an identity code) reaches a message or a log. Real store files, the
`ohjaus` command in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ohjaus_tui.store.directory import DB_NAME, connect
from ohjaus_tui.store.errors import StoreError
from ohjaus_tui.store.keys import KEY_ID_NAME
from ohjaus_tui.store.store import Store

ROOT = Path(__file__).resolve().parents[2]


def ohjaus(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "OHJAUS_LANG": "en"}
    return subprocess.run(
        [sys.executable, "-m", "ohjaus", *args], capture_output=True, text=True, input=stdin,
        timeout=120, cwd=ROOT, env=env,
    )


def _secrets(data_dir: Path) -> list[str]:
    """Names and identity codes held in the store, to look for where they must not be."""
    store = Store(data_dir)
    try:
        clients = [c for c in (store.clients.client(i) for i in {c.client_id for c in store.contacts.signed_contacts(50)} if i) if c]
    finally:
        store.close()
    return [c.last_name for c in clients[:10]] + [c.identity_code for c in clients[:10] if c.identity_code]


def _damage(data_dir: Path, table: str | None = None) -> None:
    """Overwrite the middle third of the (checkpointed) file's pages with noise, or the
    first page of one table."""
    connection = connect(data_dir)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        root = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    finally:
        connection.close()
    path = data_dir / DB_NAME
    size = path.stat().st_size
    pages = size // 4096
    chosen = range(root[0] - 1, root[0]) if table else range(pages // 3, 2 * pages // 3)
    with path.open("r+b") as file:
        for page in chosen:
            file.seek(page * 4096 + 100)
            file.write(os.urandom(2000))


@pytest.mark.parametrize("how", ["empty", "missing"])
def test_a_directory_with_a_key_id_and_no_database_is_not_made_anew(data_dir, how):
    path = data_dir / DB_NAME
    assert (data_dir / KEY_ID_NAME).exists()
    for extra in (data_dir / f"{DB_NAME}-wal", data_dir / f"{DB_NAME}-shm"):
        extra.unlink(missing_ok=True)
    if how == "empty":
        path.write_bytes(b"")
    else:
        path.unlink()
    with pytest.raises(StoreError, match="no new store is made over it"):
        Store(data_dir)
    result = ohjaus("report", "--data-dir", str(data_dir)) if how == "empty" else ohjaus("--data-dir", str(data_dir))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "key id" in lines[0] and "Nothing was changed" in lines[0]
    # Nothing was created or changed.
    if how == "empty":
        assert path.stat().st_size == 0
    else:
        assert not path.exists()
    assert (data_dir / KEY_ID_NAME).exists()


def test_damaged_pages_are_one_line_and_a_non_zero_exit_for_report_and_export(data_dir, tmp_path):
    secrets = _secrets(data_dir)
    _damage(data_dir)
    for args, stdin in (
        (("report", "--data-dir", str(data_dir), "--from", "2020-01-01", "--to", "2030-01-01"), ""),
        (("export", "--data-dir", str(data_dir), "--worker", "esihenkilo1", "--out", str(tmp_path / "x.jsonl"),
          "--purpose", "audit"), "demo1234\n"),
    ):
        result = ohjaus(*args, stdin=stdin)
        assert result.returncode != 0, args
        assert "Traceback" not in result.stderr, result.stderr[-2000:]
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "damaged" in lines[0], result.stderr
        for secret in secrets:
            assert secret not in result.stderr
    log = (data_dir / "logs" / "errors.log").read_text("utf-8")
    assert "DatabaseError" in log
    for secret in secrets:
        assert secret not in log


def test_damaged_pages_in_sync_print_no_names_or_identity_codes(devices):
    a = devices("a")
    a.sync()
    secrets = _secrets(a.path)
    # Changes waiting, and their records' pages damaged.
    for contact in a.store.contacts.signed_contacts(20):
        if contact.client_id:
            a.store.clients.update_client(contact.client_id, __import__("ohjaus_core.domain.clock", fromlist=["now"]).now(),
                                  phone="0401234567")
    a.close()
    _damage(a.path, "outbox")
    result = ohjaus("sync", "--data-dir", str(a.path))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "parameters" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for secret in secrets:
        assert secret not in result.stderr
    log_path = a.path / "logs" / "errors.log"
    if log_path.exists():
        for secret in secrets:
            assert secret not in log_path.read_text("utf-8")
