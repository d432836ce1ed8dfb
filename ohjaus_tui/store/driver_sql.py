"""Driver SQL on a session's own connection, within its transaction (issue 18): for the
store's hot writes (signing a contact), statements made once as SQL text, run on the
DBAPI cursor, so no statement is built, coerced, cache-keyed or given an execution
context per call. The values go in and come out through the columns' own SQLAlchemy types
(the dialect's bind and result processors, looked up once), so the rows are exactly those
a Core statement writes and reads; a driver error becomes the SQLAlchemy error a Core
statement would raise (Store.session turns OperationalError into a StoreError)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

Processors = tuple[Callable[[Any], Any] | None, ...]


class DriverSql:
    """The session's connection as a DBAPI cursor. Made after the session's pending ORM
    rows are flushed (as a Core statement's autoflush would), in its transaction."""

    def __init__(self, session: Session) -> None:
        session.flush()
        connection = session.connection()
        self.dialect: Dialect = connection.dialect
        self._error = self.dialect.loaded_dbapi.Error
        self._cursor = connection.connection.dbapi_connection.cursor()

    def run(self, sql: str, params: Sequence = ()) -> int:
        """Execute; the number of rows changed."""
        self._execute(sql, params)
        return self._cursor.rowcount

    def rows(self, sql: str, params: Sequence = ()) -> list[tuple]:
        self._execute(sql, params)
        return self._cursor.fetchall()

    def first(self, sql: str, params: Sequence = ()) -> tuple | None:
        self._execute(sql, params)
        return self._cursor.fetchone()

    def insert(self, table: Table, values: Mapping[str, Any]) -> None:
        """Insert a row of `table`: the columns given, with each missing column's
        Python-side default (as a Core insert of these values writes it)."""
        sql, names, processors = _insert(self.dialect, table, tuple(values))
        self._execute(sql, [_bound(values.get(n, d), p) for (n, d), p in zip(names, processors)])

    def update(self, table: Table, row_id: str, values: Mapping[str, Any]) -> int:
        """Set the given columns of the row whose id is `row_id`; rows changed."""
        sql, processors = _update(self.dialect, table, tuple(values))
        self._execute(sql, [*(_bound(v, p) for v, p in zip(values.values(), processors)), row_id])
        return self._cursor.rowcount

    def records(self, table: Table, columns: Iterable[str], where: str, params: Sequence = ()) -> list[dict]:
        """Rows of `table` as {column: value}, the values as the columns' types read them.
        `where`: the SQL after WHERE (with ORDER BY, LIMIT), `?` marks for `params`."""
        sql, names, processors = _select(self.dialect, table, tuple(columns), where)
        return [
            {name: (value if process is None else process(value)) for name, value, process in zip(names, row, processors)}
            for row in self.rows(sql, params)
        ]

    def _execute(self, sql: str, params: Sequence) -> None:
        try:
            self._cursor.execute(sql, params)
        except self._error as error:
            raise DBAPIError.instance(
                sql, None, error, self._error, hide_parameters=True, dialect=self.dialect, ismulti=False
            ) from error


def _bound(value: Any, process: Callable[[Any], Any] | None) -> Any:
    return value if process is None else process(value)


def _bind_processor(dialect: Dialect, column) -> Callable[[Any], Any] | None:
    return column.type.dialect_impl(dialect).bind_processor(dialect)


@lru_cache(maxsize=256)
def _insert(dialect: Dialect, table: Table, given: tuple[str, ...]) -> tuple[str, tuple, Processors]:
    names = []
    for column in table.columns:
        if column.name in given:
            names.append((column.name, None))
        elif column.default is not None and column.default.is_scalar:
            names.append((column.name, column.default.arg))
    unknown = set(given) - {column.name for column in table.columns}
    if unknown:
        raise KeyError(f"{table.name} has no column {sorted(unknown)}")
    sql = f"INSERT INTO {table.name} ({', '.join(n for n, _d in names)}) VALUES ({', '.join('?' * len(names))})"
    return sql, tuple(names), tuple(_bind_processor(dialect, table.c[n]) for n, _d in names)


@lru_cache(maxsize=256)
def _update(dialect: Dialect, table: Table, given: tuple[str, ...]) -> tuple[str, Processors]:
    sql = f"UPDATE {table.name} SET {', '.join(f'{name} = ?' for name in given)} WHERE id = ?"
    return sql, tuple(_bind_processor(dialect, table.c[name]) for name in given)


@lru_cache(maxsize=256)
def _select(dialect: Dialect, table: Table, names: tuple[str, ...], where: str) -> tuple[str, tuple, Processors]:
    sql = f"SELECT {', '.join(names)} FROM {table.name} WHERE {where}"
    return sql, names, tuple(table.c[name].type.dialect_impl(dialect).result_processor(dialect, None) for name in names)
