"""Encrypting a plaintext database in place: field laptops upgrade with client data on them.

The plaintext file stays where it is until an encrypted copy is complete and checked: the copy
is written beside it (`ohjaus.sqlite3.encrypting`) by SQLCipher's `sqlcipher_export`, then
renamed over it. Killed at any point, the directory holds either the old file, whole, or the
new one, whole; a half-written copy is removed at the next try.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlcipher3 import dbapi2 as sqlcipher

from ohjaus_core.i18n import _
from .errors import StoreError
from .keys import fsync_directory
from .migrations import register_functions

HEADER = b"SQLite format 3\x00"
TEMP_SUFFIX = ".encrypting"


def is_plaintext(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(HEADER)) == HEADER
    except FileNotFoundError:
        return False


def holds_encrypted_data(path: Path) -> bool:
    """Something is there that only a key can read: a database file (or its WAL) that is
    not plaintext SQLite."""
    sizes = [_size(path), _size(path.with_name(path.name + "-wal"))]
    return any(sizes) and not is_plaintext(path)


def encrypt_plaintext(path: Path, key: bytes) -> None:
    with _exclusive(path):
        if not is_plaintext(path):
            return  # another process did it while this one waited
        temp = path.with_name(path.name + TEMP_SUFFIX)
        for leftover in (temp, temp.with_name(temp.name + "-journal")):
            leftover.unlink(missing_ok=True)
        try:
            expected = _export(path, temp, key)
            _check(temp, key, expected)
            _fsync(temp)
            # Rollback-journal mode left no WAL; a stale one must not meet the new file.
            for sidecar in ("-wal", "-shm"):
                path.with_name(path.name + sidecar).unlink(missing_ok=True)
            os.replace(temp, path)
            fsync_directory(path.parent)
        except sqlcipher.DatabaseError as error:
            temp.unlink(missing_ok=True)
            raise StoreError(
                _("The database {path} could not be encrypted: {reason}. The unencrypted file is "
                  "kept as it was.").format(path=path, reason=error)
            ) from error


def _export(path: Path, temp: Path, key: bytes) -> tuple[int, dict[str, int]]:
    """Copy everything into `temp`, encrypted; returns the schema version and row counts."""
    connection = sqlcipher.connect(path, isolation_level=None, timeout=1)
    register_functions(connection)  # the triggers' functions, should the copy fire any
    try:
        # Leaving WAL mode folds the WAL into the file and needs the only connection: it
        # proves no other process still writes to the old file.
        mode = connection.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        if mode != "delete":
            raise StoreError(
                _("The database {path} is in use by another program; close it and start ohjaus "
                  "again to encrypt it.").format(path=path)
            )
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        counts = _counts(connection, "main")
        connection.execute(
            "ATTACH DATABASE ? AS encrypted KEY ?", (str(temp), f"x'{key.hex()}'")
        )
        connection.execute("SELECT sqlcipher_export('encrypted')")
        # sqlcipher_export copies the schema and rows, not the header's schema version.
        connection.execute(f"PRAGMA encrypted.user_version = {int(version)}")
        connection.execute("DETACH DATABASE encrypted")
    except sqlcipher.OperationalError as error:
        if "locked" in str(error):
            raise StoreError(
                _("The database {path} is in use by another program; close it and start ohjaus "
                  "again to encrypt it.").format(path=path)
            ) from error
        raise
    finally:
        connection.close()
    return version, counts


def _check(temp: Path, key: bytes, expected: tuple[int, dict[str, int]]) -> None:
    from .keys import key_pragma

    connection = sqlcipher.connect(temp)
    try:
        connection.execute(key_pragma(key))
        if connection.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise sqlcipher.DatabaseError("integrity_check failed on the encrypted copy")
        found = (connection.execute("PRAGMA user_version").fetchone()[0], _counts(connection, "main"))
        if found != expected:
            raise sqlcipher.DatabaseError("the encrypted copy differs from the original")
    finally:
        connection.close()


def _counts(connection: sqlcipher.Connection, schema: str) -> dict[str, int]:
    tables = [
        row[0]
        for row in connection.execute(
            f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {
        table: connection.execute(f'SELECT count(*) FROM {schema}."{table}"').fetchone()[0]
        for table in tables
    }


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """One process encrypts; the others wait, then find it done. (No flock on Windows: there
    the in-use check of `_export` is the guard.)"""
    try:
        import fcntl
    except ImportError:
        yield
        return
    with path.open("rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
