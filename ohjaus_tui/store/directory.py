"""The first look into a data directory, and the one way to open its database.

Start-up must be quick: the sign-in screen needs only the workers and a setting, so they
are read here with the DB-API and no ORM while the full store (SQLModel) is opened in the
background. Every connection to the device database - these, the SQLModel engine's, the
migrations', the tests' - comes from `connect`, so every one is keyed and has the PRAGMAs.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlcipher3 import dbapi2 as sqlcipher

from ohjaus_core.i18n import _
from ohjaus_core.settings import settings
from .encrypt import encrypt_plaintext, holds_encrypted_data, is_plaintext
from .errors import StoreError
from .keys import KEY_ID_NAME, KeyMissing, key_path, key_pragma, make_key, read_key
from .migrations import migrate, register_functions

__all__ = ["DB_NAME", "PRAGMAS", "SignInWorker", "StoreError", "connect", "prepare"]

DB_NAME = "ohjaus.sqlite3"

# FULL, not NORMAL: in WAL mode NORMAL can lose a committed transaction on power loss.
PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 5000",
    # Up to 256 MiB of decrypted pages a connection, taken as pages are read: SQLCipher
    # decrypts every page it reads from the file, and with the default 2 MiB a report's day
    # of a year's store (bench/reports.py) read the same pages from the file again and
    # again (1.4 s a day's figures, 0.23 s with the pages kept).
    "PRAGMA cache_size = -262144",
)


@dataclass(frozen=True)
class SignInWorker:
    id: str
    name: str
    role: str
    sector: str
    unit_code: str


def check_writable(data_dir: Path) -> None:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        probe = data_dir / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise StoreError(
            _("The data directory {path} cannot be written: {reason}").format(
                path=data_dir, reason=error.strerror or error
            )
        ) from error


def apply_pragmas(connection: sqlcipher.Connection) -> None:
    for pragma in PRAGMAS:
        connection.execute(pragma)


def device_key(data_dir: Path) -> bytes:
    """The directory's key. A new one only where nothing is encrypted yet (a new directory,
    a plaintext database): a new key for an encrypted database would open nothing, and the
    old data would be lost to it."""
    path = data_dir / DB_NAME
    try:
        key = read_key(data_dir)
    except KeyMissing:
        if holds_encrypted_data(path):
            raise
        key = None
    if key is not None:
        return key
    if holds_encrypted_data(path):
        raise KeyMissing(
            _("The database {path} is encrypted and the data directory has no key id ({name}); "
              "it does not open without its device key. Nothing was changed.").format(
                path=path, name=KEY_ID_NAME
            )
        )
    return make_key(data_dir)


def refuse_to_start_over(data_dir: Path) -> None:
    """A directory with a key id has had a database: one that is now missing or empty (0
    bytes) was lost or cut, and making a new empty store there would hide it. Nothing is
    created or changed; the worker is told in one line."""
    if not (data_dir / KEY_ID_NAME).exists():
        return
    path = data_dir / DB_NAME
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        size = None
    except OSError:
        return  # unreadable: opening it says so
    if size:
        return
    state = _("is missing") if size is None else _("is empty (0 bytes)")
    raise StoreError(
        _("The data directory {dir} has a device key id ({name}) but its database {path} {state}: "
          "the data was lost or cut, and no new store is made over it. Restore the file from a "
          "backup, or move the directory aside to start anew. Nothing was changed.").format(
            dir=data_dir, name=KEY_ID_NAME, path=path, state=state
        )
    )


# Database files this process has opened encrypted. Their header is not read again: closing
# any other descriptor of the file would drop the POSIX locks that the process's open
# connections hold on it (SQLite's "How To Corrupt An SQLite Database File", 2.2), so the
# file is looked at only before the first connection, under a lock.
_seen_encrypted: set[str] = set()
_first_open = threading.Lock()


def connect(data_dir: Path, **options) -> sqlcipher.Connection:
    """A connection to the device database: keyed first, then WAL, synchronous=FULL, foreign
    keys and the busy timeout. A plaintext database (from before encryption) is encrypted
    first. Options go to sqlcipher3's connect (check_same_thread, isolation_level)."""
    path = data_dir / DB_NAME
    name = os.path.abspath(path)
    if name not in _seen_encrypted:
        refuse_to_start_over(data_dir)
    key = device_key(data_dir)
    options.setdefault("timeout", 5)
    if name in _seen_encrypted:
        return _open(data_dir, key, options)
    with _first_open:
        if name not in _seen_encrypted and is_plaintext(path):
            encrypt_plaintext(path, key)
        connection = _open(data_dir, key, options)
        _seen_encrypted.add(name)
        return connection


def _open(data_dir: Path, key: bytes, options: dict) -> sqlcipher.Connection:
    path = data_dir / DB_NAME
    connection = sqlcipher.connect(path, **options)
    try:
        connection.execute(key_pragma(key))
        # SQLCipher reports a failed page check on stderr too; the message below says it.
        connection.execute("PRAGMA cipher_log_level = NONE")
        connection.execute("SELECT count(*) FROM sqlite_master").fetchall()
    except sqlcipher.DatabaseError as error:
        connection.close()
        raise StoreError(
            _("The device key {key} does not open the database {path} (another key, or a "
              "damaged file). Nothing was changed.").format(key=key_path(data_dir), path=path)
        ) from error
    try:
        register_functions(connection)
        apply_pragmas(connection)
    except BaseException:
        connection.close()
        raise
    return connection


def prepare(data_dir: Path, *, sign_in: bool = False) -> tuple[list[SignInWorker], str | None] | None:
    """Create the directory if needed and bring the schema up to date. With `sign_in`, the
    sign-in screen's list (sign_in_list) is read on the same connection and returned: at the
    application's start, one opening of the database less before the first screen (issue 18)."""
    check_writable(data_dir)
    path = data_dir / DB_NAME
    try:
        connection = connect(data_dir, isolation_level=None)
        try:
            migrate(connection)
            return sign_in_list(data_dir, connection) if sign_in else None
        finally:
            connection.close()
    except sqlcipher.DatabaseError as error:
        raise StoreError(
            _("The database {path} cannot be opened: {reason}").format(path=path, reason=error)
        ) from error


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return settings().data_dir_path or Path(user_data_dir("ohjaus", appauthor=False))


def _read(data_dir: Path, query: str, params: tuple = (), connection: sqlcipher.Connection | None = None) -> list[tuple]:
    if connection is not None:
        return connection.execute(query, params).fetchall()
    connection = connect(data_dir)
    try:
        return connection.execute(query, params).fetchall()
    finally:
        connection.close()


DRAFT_WORKER = "SELECT worker_id FROM contact WHERE status = 'draft' ORDER BY updated_at DESC LIMIT 1"


def draft_worker(data_dir: Path, connection: sqlcipher.Connection | None = None) -> str | None:
    """The worker of the latest unfinished contact on this device: after a crash or a kill,
    sign-in offers them first, so that the draft comes back to its own worker."""
    if not (data_dir / DB_NAME).exists():
        return None
    try:
        rows = _read(data_dir, DRAFT_WORKER, connection=connection)
    except sqlcipher.DatabaseError:
        return None
    return rows[0][0] if rows else None


def read_setting(data_dir: Path, key: str) -> str | None:
    """A device setting, or None (also when there is no database yet). A missing or wrong
    key is a StoreError, not None: the caller must not take the directory for a new one."""
    return read_settings(data_dir, (key,)).get(key)


def read_settings(data_dir: Path, keys: tuple[str, ...]) -> dict[str, str]:
    """Device settings (those set of `keys`) read on one connection, as read_setting reads one."""
    if not (data_dir / DB_NAME).exists():
        return {}
    try:
        rows = _read(
            data_dir, f"SELECT key, value FROM setting WHERE key IN ({', '.join('?' * len(keys))})", tuple(keys)
        )
    except sqlcipher.DatabaseError:
        return {}
    return dict(rows)


SIGN_IN_WORKERS = (
    "SELECT worker.id, worker.name, worker.role, worker.sector, unit.code "
    "FROM worker JOIN unit ON unit.id = worker.unit_id "
    "WHERE unit.code = coalesce((SELECT value FROM setting WHERE key = 'unit'), unit.code) "
    "AND instr(',' || coalesce((SELECT value FROM setting WHERE key = 'registers'), worker.sector) || ',', "
    "',' || worker.sector || ',') > 0 "
    "ORDER BY worker.name"
)


def sign_in_workers(data_dir: Path, connection: sqlcipher.Connection | None = None) -> list[SignInWorker]:
    """The workers who may sign in on this device: those of its unit and registers (the
    settings `unit` and `registers`, from enrolment or the demo), or everyone before that."""
    return [SignInWorker(*row) for row in _read(data_dir, SIGN_IN_WORKERS, connection=connection)]


def sign_in_list(data_dir: Path, connection: sqlcipher.Connection | None = None) -> tuple[list[SignInWorker], str | None]:
    """The sign-in screen's workers and the one to offer first (draft_worker), read on one
    connection (this one if given): each opening keys the database and sets its pragmas
    (start-up, issue 18)."""
    own = connection is None
    connection = connect(data_dir) if own else connection
    try:
        workers = sign_in_workers(data_dir, connection)
        return workers, draft_worker(data_dir, connection) if workers else None
    finally:
        if own:
            connection.close()


def needs_enrolment(data_dir: Path, worker_id: str) -> bool:
    """Whether the worker's first sign-in here takes the enrolment code: the device is
    connected (a server and a credential set) and holds no verifier for them. As
    `store.outbox.sync_config` and `store.sign_in.has_passphrase` tell it, without the ORM, so that choosing a
    name on the sign-in screen never waits for the store to open."""
    rows = _read(
        data_dir,
        "SELECT (SELECT count(*) FROM setting WHERE key IN ('sync_server', 'sync_token') AND value <> '') = 2 "
        "AND NOT EXISTS (SELECT 1 FROM credential WHERE worker_id = ?)",
        (worker_id,),
    )
    return bool(rows[0][0])
