"""The first look into a data directory, with plain sqlite3 and no ORM.

Start-up must be quick: the sign-in screen needs only the workers and a setting, so they
are read here while the full store (SQLModel) is opened in the background.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ..domain.errors import DomainError
from ..i18n import _
from .migrations import migrate

DB_NAME = "ohjaus.sqlite3"

# FULL, not NORMAL: in WAL mode NORMAL can lose a committed transaction on power loss.
PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 5000",
)


class StoreError(DomainError):
    """The local store cannot be used (unwritable directory, broken file)."""


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


def apply_pragmas(connection: sqlite3.Connection) -> None:
    for pragma in PRAGMAS:
        connection.execute(pragma)


def prepare(data_dir: Path) -> None:
    """Create the directory if needed and bring the schema up to date."""
    check_writable(data_dir)
    path = data_dir / DB_NAME
    try:
        connection = sqlite3.connect(path, isolation_level=None)
        try:
            apply_pragmas(connection)
            migrate(connection)
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise StoreError(
            _("The database {path} cannot be opened: {reason}").format(path=path, reason=error)
        ) from error


def default_data_dir() -> Path:
    import os

    from platformdirs import user_data_dir

    configured = os.environ.get("OHJAUS_DATA_DIR")
    return Path(configured) if configured else Path(user_data_dir("ohjaus", appauthor=False))


def _read(data_dir: Path, query: str, params: tuple = ()) -> list[tuple]:
    connection = sqlite3.connect(data_dir / DB_NAME)
    try:
        return connection.execute(query, params).fetchall()
    finally:
        connection.close()


def read_setting(data_dir: Path, key: str) -> str | None:
    """A device setting, or None (also when there is no database yet)."""
    if not (data_dir / DB_NAME).exists():
        return None
    try:
        rows = _read(data_dir, "SELECT value FROM setting WHERE key = ?", (key,))
    except sqlite3.DatabaseError:
        return None
    return rows[0][0] if rows else None


def sign_in_workers(data_dir: Path) -> list[SignInWorker]:
    """The workers who may sign in on this device: those of its unit and registers (the
    settings `unit` and `registers`, from enrolment or the demo), or everyone before that."""
    rows = _read(
        data_dir,
        "SELECT worker.id, worker.name, worker.role, worker.sector, unit.code "
        "FROM worker JOIN unit ON unit.id = worker.unit_id "
        "WHERE unit.code = coalesce((SELECT value FROM setting WHERE key = 'unit'), unit.code) "
        "AND instr(',' || coalesce((SELECT value FROM setting WHERE key = 'registers'), worker.sector) || ',', "
        "',' || worker.sector || ',') > 0 "
        "ORDER BY worker.name",
    )
    return [SignInWorker(*row) for row in rows]
