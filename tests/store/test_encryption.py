"""Encryption at rest: the device database is SQLCipher, its key outside the data directory.

A copy of the data directory - a backup, a disk image, a folder sent on - opens with nothing
else; plain sqlite3 reads nothing from it; a plaintext database from before encryption is
encrypted on open with every row kept.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlcipher3 import dbapi2 as sqlcipher

from ohjaus_core.domain.codes import Language
from ohjaus_core.domain.identity import make_identity_code
from ohjaus_tui.store import encrypt
from ohjaus_tui.store.directory import DB_NAME, connect, read_setting, sign_in_workers
from ohjaus_tui.store.keys import KEY_DIR_ENV, KEY_ID_NAME, KeyMissing, key_dir, key_path
from ohjaus_tui.store.errors import StoreError
from ohjaus_tui.store.store import Store

from ..conftest import FIXED_NOW

PLAINTEXT_HEADER = b"SQLite format 3"


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def demo_identity_code(data_dir: Path) -> str:
    connection = connect(data_dir)
    try:
        return connection.execute(
            "SELECT identity_code FROM client WHERE identity_code IS NOT NULL ORDER BY identity_code LIMIT 1"
        ).fetchone()[0]
    finally:
        connection.close()


def row_counts(connection) -> dict[str, int]:
    tables = [r[0] for r in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    )]
    return {t: connection.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


@pytest.fixture
def other_key_dir(tmp_path: Path, monkeypatch) -> Path:
    """Another machine's (empty) key directory."""
    folder = tmp_path / "other-machine-keys"
    folder.mkdir()
    monkeypatch.setenv(KEY_DIR_ENV, str(folder))
    return folder


def test_the_file_is_not_plaintext_sqlite_and_plain_sqlite3_cannot_read_it(data_dir):
    path = data_dir / DB_NAME
    assert not path.read_bytes().startswith(PLAINTEXT_HEADER)
    connection = sqlite3.connect(path)
    try:
        with pytest.raises(sqlite3.DatabaseError):
            connection.execute("select * from client").fetchall()
    finally:
        connection.close()


def test_the_key_is_outside_the_data_directory_and_only_the_user_can_read_it(data_dir):
    key = key_path(data_dir)
    assert key is not None and key.parent == key_dir() == Path(os.environ[KEY_DIR_ENV])
    assert data_dir not in key.parents
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    # The data directory holds the key's id, not the key.
    secret = key.read_text().strip()
    assert all(secret.encode() not in content for content in snapshot(data_dir).values())
    assert (data_dir / KEY_ID_NAME).read_text().strip() == key.stem


def test_a_wrong_key_fails_with_a_clear_message_and_changes_nothing(data_dir):
    # Another key id and key file (the one it has is shared with every copy of the template).
    wrong_id = os.urandom(16).hex()
    (data_dir / KEY_ID_NAME).write_text(wrong_id + "\n")
    (key_dir() / f"{wrong_id}.key").write_text(os.urandom(32).hex() + "\n")
    before = snapshot(data_dir)
    with pytest.raises(StoreError, match="does not open the database") as raised:
        Store(data_dir)
    assert "\n" not in str(raised.value)
    with pytest.raises(StoreError, match="does not open the database"):
        read_setting(data_dir, "unit")
    assert snapshot(data_dir) == before
    # And SQLCipher itself, given the wrong key, reads nothing.
    connection = sqlcipher.connect(data_dir / DB_NAME)
    try:
        connection.execute(f"PRAGMA key = \"x'{os.urandom(32).hex()}'\"")
        with pytest.raises(sqlcipher.DatabaseError):
            connection.execute("select * from client").fetchall()
    finally:
        connection.close()


def test_a_copied_data_directory_opens_with_nothing_else(data_dir, tmp_path, other_key_dir):
    copy = tmp_path / "copy"
    shutil.copytree(data_dir, copy)
    before = snapshot(copy)
    for attempt in (lambda: Store(copy), lambda: read_setting(copy, "unit"), lambda: sign_in_workers(copy)):
        with pytest.raises(KeyMissing, match="not on this machine") as raised:
            attempt()
        assert str(copy) in str(raised.value) and "\n" not in str(raised.value)
    # Nothing overwritten, and no new key made for it: that key would open nothing.
    assert snapshot(copy) == before
    assert list(other_key_dir.iterdir()) == []


def test_an_encrypted_database_without_its_key_id_is_refused_and_no_key_is_made(data_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(data_dir, copy)
    (copy / KEY_ID_NAME).unlink()
    keys_before = sorted(key_dir().iterdir())
    before = snapshot(copy)
    with pytest.raises(KeyMissing, match="no key id"):
        Store(copy)
    assert snapshot(copy) == before
    assert sorted(key_dir().iterdir()) == keys_before


def test_no_file_of_the_data_directory_holds_an_identity_code_in_plaintext_wal_included(data_dir):
    seeded = demo_identity_code(data_dir)
    store = Store(data_dir)
    try:
        worker = store.workers()[0]
        new_code = next(
            code for n in range(900, 1000)
            if (code := make_identity_code(date(1999, 1, 1), n)) != seeded
            and not store.clients.find_clients(code)
        )
        store.clients.add_client(
            first_name="Salli", last_name="Salaisuus", identity_code=new_code, phone=None,
            language=Language.FI, municipality="Järvilaakso", created_by=worker.id, now=FIXED_NOW,
            allow_temporary=True,
        )
        assert store.clients.find_clients(new_code)
        wal = data_dir / (DB_NAME + "-wal")
        assert wal.exists() and wal.stat().st_size > 0, "the write is still in the WAL"
        for name, content in snapshot(data_dir).items():
            for secret in (seeded, new_code, "Salaisuus"):
                assert secret.encode() not in content, f"{secret} in plaintext in {name}"
    finally:
        store.close()
    for name, content in snapshot(data_dir).items():
        assert new_code.encode() not in content and seeded.encode() not in content, name


def make_plaintext_directory(data_dir: Path, target: Path) -> dict[str, int]:
    """A data directory as releases before encryption left it: a plaintext SQLite file in WAL
    mode, no key id, and (as after a killed process) committed rows still only in the WAL.
    Returns the row counts of every table."""
    target.mkdir()
    plain = target / DB_NAME
    source = connect(data_dir)
    try:
        version = source.execute("PRAGMA user_version").fetchone()[0]
        source.execute("ATTACH DATABASE ? AS plain KEY ''", (str(plain),))
        source.execute("SELECT sqlcipher_export('plain')")
        source.execute(f"PRAGMA plain.user_version = {version}")
        source.execute("DETACH DATABASE plain")
    finally:
        source.close()
    writer = sqlite3.connect(plain, isolation_level=None)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("UPDATE setting SET value = value WHERE key = 'unit'")
    writer.execute("INSERT INTO setting (key, value) VALUES ('only_in_the_wal', 'yes')")
    counts = row_counts(writer)
    # Copy the files while the writer still has them open: the WAL is not yet folded back.
    crashed = target.parent / (target.name + "-crashed")
    shutil.copytree(target, crashed)
    writer.close()
    shutil.rmtree(target)
    crashed.rename(target)
    assert (target / (DB_NAME + "-wal")).stat().st_size > 0
    assert plain.read_bytes().startswith(PLAINTEXT_HEADER)
    return counts


def test_a_plaintext_database_is_encrypted_on_open_and_keeps_every_row(data_dir, tmp_path):
    old = tmp_path / "old-release"
    counts = make_plaintext_directory(data_dir, old)
    assert not (old / KEY_ID_NAME).exists()

    store = Store(old)
    try:
        assert store.setting("only_in_the_wal") == "yes"
        assert store.clients.find_clients("a")  # the full-text index came along
    finally:
        store.close()
    assert not (old / DB_NAME).read_bytes().startswith(PLAINTEXT_HEADER)
    assert (old / KEY_ID_NAME).exists() and key_path(old).exists()
    assert not (old / (DB_NAME + encrypt.TEMP_SUFFIX)).exists()
    connection = connect(old)
    try:
        assert row_counts(connection) == counts
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        connection.close()
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(old / DB_NAME).execute("select * from client").fetchall()


def test_an_upgrade_killed_before_the_rename_leaves_the_plaintext_file_whole(data_dir, tmp_path, monkeypatch):
    old = tmp_path / "old-release"
    counts = make_plaintext_directory(data_dir, old)

    replace = os.replace

    def killed_at_the_rename(source, target):
        if str(source).endswith(encrypt.TEMP_SUFFIX):
            raise SystemExit("killed")  # not an Exception: nothing cleans up, as after SIGKILL
        replace(source, target)

    monkeypatch.setattr(os, "replace", killed_at_the_rename)
    with pytest.raises(SystemExit):
        Store(old)
    monkeypatch.undo()
    assert (old / (DB_NAME + encrypt.TEMP_SUFFIX)).exists(), "the half-done copy is left behind"
    plain = sqlite3.connect(old / DB_NAME)
    try:
        assert row_counts(plain) == counts
    finally:
        plain.close()

    Store(old).close()  # the next start finishes the job
    assert not (old / DB_NAME).read_bytes().startswith(PLAINTEXT_HEADER)
    assert not (old / (DB_NAME + encrypt.TEMP_SUFFIX)).exists()
    connection = connect(old)
    try:
        assert row_counts(connection) == counts
    finally:
        connection.close()


def test_a_failed_check_of_the_encrypted_copy_keeps_the_plaintext_file(data_dir, tmp_path, monkeypatch):
    old = tmp_path / "old-release"
    counts = make_plaintext_directory(data_dir, old)

    def differs(*_args):
        raise sqlcipher.DatabaseError("the encrypted copy differs from the original")

    monkeypatch.setattr(encrypt, "_check", differs)
    with pytest.raises(StoreError, match="could not be encrypted"):
        Store(old)
    assert (old / DB_NAME).read_bytes().startswith(PLAINTEXT_HEADER)
    assert not (old / (DB_NAME + encrypt.TEMP_SUFFIX)).exists()
    plain = sqlite3.connect(old / DB_NAME)
    try:
        assert row_counts(plain) == counts
    finally:
        plain.close()


def test_a_new_data_directory_gets_its_own_key(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    Store(first).close()
    Store(second).close()
    assert key_path(first) != key_path(second)
    assert key_path(first).read_text() != key_path(second).read_text()


def ohjaus(*args: str, key_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OHJAUS_LANG": "en", KEY_DIR_ENV: str(key_dir)}
    return subprocess.run(
        [sys.executable, "-m", "ohjaus", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_the_cli_on_a_copied_directory_says_what_is_missing_in_one_line(data_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(data_dir, copy)
    empty = tmp_path / "no-keys"
    empty.mkdir()
    before = snapshot(copy)
    export = ("export", "--data-dir", str(copy), "--worker", "esihenkilo1", "--out", str(tmp_path / "o.jsonl"), "--purpose", "p")
    for args in (("--data-dir", str(copy)), export):
        result = ohjaus(*args, key_dir=empty)
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
        assert "not on this machine" in result.stderr and str(empty) in result.stderr
        assert "Traceback" not in result.stderr and result.stdout == ""
    assert snapshot(copy) == before
    assert list(empty.iterdir()) == []


def test_every_pooled_connection_of_the_store_is_keyed(store):
    held = [store.engine.connect() for _ in range(3)]  # three at once: three new connections
    try:
        for connection in held:
            raw = connection.connection.driver_connection
            assert isinstance(raw, sqlcipher.Connection)
            assert raw.execute("SELECT count(*) FROM client").fetchone()[0] > 0
            assert raw.execute("PRAGMA synchronous").fetchone()[0] == 2
    finally:
        for connection in held:
            connection.close()


def test_without_ohjaus_key_dir_the_keys_are_in_the_user_configuration_directory(monkeypatch, tmp_path):
    import platformdirs

    monkeypatch.delenv(KEY_DIR_ENV)
    monkeypatch.setattr(platformdirs, "user_config_dir", lambda name, appauthor=None: str(tmp_path / name))
    assert key_dir() == tmp_path / "ohjaus" / "keys"


def test_a_key_is_never_made_inside_the_data_directory(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_DIR_ENV, str(tmp_path / "data" / "keys"))
    with pytest.raises(StoreError, match="inside the data directory"):
        Store(tmp_path / "data")
    assert not (tmp_path / "data" / "keys").exists()
