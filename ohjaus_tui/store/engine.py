"""Opening the SQLite file with SQLModel: WAL, synchronous=FULL, foreign keys, migrations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import create_engine

from .directory import DB_NAME, StoreError, apply_pragmas, prepare

__all__ = ["DB_NAME", "StoreError", "open_engine"]


def open_engine(data_dir: Path) -> Engine:
    """Create the data directory if needed, migrate the schema, return an engine."""
    prepare(data_dir)
    engine = create_engine(
        f"sqlite:///{data_dir / DB_NAME}", connect_args={"check_same_thread": False, "timeout": 5}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        apply_pragmas(dbapi_connection)

    return engine

