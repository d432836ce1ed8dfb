"""Opening the device database with SQLModel: keyed (SQLCipher), WAL, synchronous=FULL,
foreign keys, migrations."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlcipher3 import dbapi2 as sqlcipher
from sqlmodel import create_engine

from .directory import DB_NAME, StoreError, connect, prepare

__all__ = ["DB_NAME", "StoreError", "open_engine"]


def open_engine(data_dir: Path) -> Engine:
    """Create the data directory if needed, migrate the schema, return an engine."""
    prepare(data_dir)
    # Every pooled connection comes from `connect`, so each is keyed and has the PRAGMAs.
    # The file URL keeps the pool SQLAlchemy gives a file database (the creator opens it);
    # `module` makes the pysqlite dialect wrap sqlcipher3's own exception classes
    # (OperationalError, IntegrityError) as it wraps sqlite3's.
    return create_engine(
        f"sqlite:///{data_dir / DB_NAME}",
        module=sqlcipher,
        creator=partial(connect, data_dir, check_same_thread=False),
        # A database error never carries record values (names, identity codes) into a
        # message, traceback or log.
        hide_parameters=True,
    )
