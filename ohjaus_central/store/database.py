"""The central database: its engine, and the write transaction no other push runs beside.

The same code runs on SQLite (one file, `ohjaus serve` anywhere) and PostgreSQL (a region).
Pushes are applied one batch at a time (a lock in the process, and on PostgreSQL an advisory
lock for several processes), so sequence numbers become visible in order: a device that
pulled up to N never misses a change numbered below N that was still being written.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from ..batch import among
from ..schema import check as check_schema
from ..schema import upgrade as upgrade_schema
from ..schema import Unreachable


def now() -> datetime:
    return datetime.now(UTC)


def token_hash(token: str) -> str:
    """What is kept of a credential or a one-time code: its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def each_among(conn: Connection, query, column, ids: list[str], size: int = 500):
    """The rows of `query` whose `column` is among `ids`, asked `size` ids at a time."""
    for start in range(0, len(ids), size):
        yield from conn.execute(query.where(among(conn, column, ids[start : start + size])))


class Database:
    """hide_parameters: a database error never puts record values (client data) in a log."""

    def __init__(self, url: str, *, upgrade: bool = True) -> None:
        self.url = url
        self.is_postgres = url.startswith("postgresql")
        if self.is_postgres and url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        if self.is_postgres:
            self.engine: Engine = create_engine(
                url, pool_size=10, max_overflow=20, pool_recycle=1800, hide_parameters=True
            )
        else:
            self.engine = create_engine(
                url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._push_lock = threading.Lock()
        # The schema is Alembic's (central/schema.py): the server and the administrator's
        # commands pass upgrade=False and are refused by a database behind the code; a library
        # caller (tests, benches) upgrades it, as `ohjaus db upgrade` does.
        try:
            if upgrade:
                self.schema_found = upgrade_schema(self.engine, self.url)[0]
            else:
                self.schema_found = check_schema(self.engine, self.url)
        except OperationalError as error:  # the first connection: a wrong password, host or name
            self.engine.dispose()
            raise Unreachable(self.url, error) from None

    def close(self) -> None:
        self.engine.dispose()

    def writing(self) -> _Writing:
        return _Writing(self)


class _Writing:
    """A write transaction no other push runs beside: the process lock, and on PostgreSQL
    an advisory lock (several server processes), on SQLite BEGIN IMMEDIATE. Sequence numbers
    are given inside it, so they become visible in order."""

    def __init__(self, store: Database) -> None:
        self.store = store

    def __enter__(self) -> Connection:
        self.store._push_lock.acquire()
        try:
            self.conn = self.store.engine.connect()
            if self.store.is_postgres:
                self.transaction = self.conn.begin()
                self.conn.exec_driver_sql("SELECT pg_advisory_xact_lock(804201)")
            else:
                self.conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.store._push_lock.release()
            raise
        return self.conn

    def __exit__(self, kind, _value, _traceback) -> None:
        try:
            if self.store.is_postgres:
                if kind is None:
                    self.transaction.commit()
                else:
                    self.transaction.rollback()
            else:
                self.conn.exec_driver_sql("COMMIT" if kind is None else "ROLLBACK")
        finally:
            self.conn.close()
            self.store._push_lock.release()


def _sqlite_pragmas(connection, _record) -> None:
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("PRAGMA busy_timeout = 30000")
