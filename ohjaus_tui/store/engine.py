"""Opening the SQLite file: WAL, synchronous=FULL, foreign keys, migrations."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import create_engine

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


def _apply_pragmas(connection: sqlite3.Connection) -> None:
    for pragma in PRAGMAS:
        connection.execute(pragma)


def open_engine(data_dir: Path) -> Engine:
    """Create the data directory if needed, migrate the schema, return an engine."""
    check_writable(data_dir)
    path = data_dir / DB_NAME
    try:
        raw = sqlite3.connect(path, isolation_level=None)
        try:
            _apply_pragmas(raw)
            migrate(raw)
        finally:
            raw.close()
    except sqlite3.DatabaseError as error:
        raise StoreError(
            _("The database {path} cannot be opened: {reason}").format(path=path, reason=error)
        ) from error
    engine = create_engine(
        f"sqlite:///{path}", connect_args={"check_same_thread": False, "timeout": 5}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        _apply_pragmas(dbapi_connection)

    return engine


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    configured = os.environ.get("OHJAUS_DATA_DIR")
    return Path(configured) if configured else Path(user_data_dir("ohjaus", appauthor=False))
