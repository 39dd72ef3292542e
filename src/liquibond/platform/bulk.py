"""Set-based writes for units of work that write hundreds of rows of a table at once.

:class:`BulkInsert` appends many rows to one table with the cheapest statement each database
offers, in the caller's transaction: PostgreSQL's binary ``COPY`` (asyncpg streams the rows
at once, where an ``executemany`` INSERT runs them one by one) and, on SQLite, one
``executemany`` on the driver's connection (one trip to aiosqlite's thread, without
SQLAlchemy's per-row work). :class:`BulkUpdate` changes many rows by primary key: on
PostgreSQL with one statement joining the new values, sent as one array per column; on
SQLite with one ``executemany``.

Values are converted by the columns' own SQLAlchemy types, so they are stored as a Core
statement would store them, and what the database refuses raises SQLAlchemy's
:class:`~sqlalchemy.exc.IntegrityError` (or :class:`~sqlalchemy.exc.DBAPIError`) as a Core
statement would. A few rows go through a plain Core statement.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any

import msgspec
from asyncpg.exceptions import (  # type: ignore[import-untyped]
    IntegrityConstraintViolationError,
    PostgresError,
)
from sqlalchemy import JSON, Table, bindparam, insert, text, update
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import TextClause

#: Fewer rows than this go through a Core statement (a COPY costs a round trip more).
MIN_BULK_ROWS = 16

#: Converts one column's values for the driver.
_Converter = Callable[[Sequence[Any]], Sequence[Any]]
_JSON = msgspec.json.Encoder()
_UNSEEN = object()


class BulkInsert:
    """An INSERT into `model`'s table of rows given as tuples of `columns`, in that order.
    Columns left out take their server-side value (an autoincrement key) or NULL, so none of
    them may have a client-side default."""

    def __init__(self, model: type[Any], columns: Sequence[str]) -> None:
        table: Table = model.__table__
        defaulted = [c.name for c in table.c if c.name not in columns and c.default is not None]
        if defaulted:
            raise ValueError(f"columns with a client-side default must be given: {defaulted}")
        self.table = table
        self.columns = tuple(columns)
        self._values = _Values(table, self.columns)

    async def __call__(self, connection: AsyncConnection, rows: Sequence[Sequence[Any]]) -> None:
        """Insert `rows` in `connection`'s transaction."""
        if not rows:
            return
        dialect = connection.dialect
        driver: Any = (await connection.get_raw_connection()).driver_connection
        with _translated(f"bulk insert into {self.table.name}"):
            if len(rows) >= MIN_BULK_ROWS and dialect.name == "sqlite":
                values = self._values.rows(dialect, rows)
                await driver.executemany(self._sqlite_insert(dialect), values)
            # Outside a transaction, a COPY would commit on its own.
            elif len(rows) >= MIN_BULK_ROWS and driver.is_in_transaction():
                await driver.copy_records_to_table(
                    self.table.name,
                    records=self._values.rows(dialect, rows),
                    columns=self.columns,
                    schema_name=self.table.schema,
                )
            else:
                await connection.execute(
                    insert(self.table), [dict(zip(self.columns, row, strict=True)) for row in rows]
                )

    def _sqlite_insert(self, dialect: Dialect) -> str:
        """The INSERT statement, in SQLite's parameter style; names come from the metadata."""
        quote = dialect.identifier_preparer.quote
        names = ", ".join(quote(name) for name in self.columns)
        marks = ", ".join("?" * len(self.columns))
        return f"INSERT INTO {quote(self.table.name)} ({names}) VALUES ({marks})"  # noqa: S608


class BulkUpdate:
    """An UPDATE of `columns` of rows of `model`'s table, each found by its primary key: rows
    are given as tuples of the key and the new values of `columns`, in that order."""

    def __init__(self, model: type[Any], columns: Sequence[str]) -> None:
        table: Table = model.__table__
        (key,) = table.primary_key.columns
        self.table = table
        self.columns = (key.name, *columns)
        self._values = _Values(table, self.columns)
        self._each = (
            update(table)
            .where(key == bindparam("_0"))
            .values({name: bindparam(f"_{i}") for i, name in enumerate(columns, 1)})
        )
        self._arrays: TextClause | None = None

    async def __call__(self, connection: AsyncConnection, rows: Sequence[Sequence[Any]]) -> None:
        """Update `rows` in `connection`'s transaction."""
        if not rows:
            return
        dialect = connection.dialect
        if dialect.name == "postgresql" and len(rows) >= MIN_BULK_ROWS:
            columns = self._values.columns(dialect, rows)
            await connection.execute(
                self._postgres(dialect), {f"_{i}": list(values) for i, values in enumerate(columns)}
            )
        else:
            await connection.execute(
                self._each, [{f"_{i}": value for i, value in enumerate(row)} for row in rows]
            )

    def _postgres(self, dialect: Dialect) -> TextClause:
        """``UPDATE ... FROM unnest(<an array per column>)``, the arrays of the columns' types;
        names come from the metadata."""
        if self._arrays is None:
            quote = dialect.identifier_preparer.quote
            table = quote(self.table.name)
            names = [quote(name) for name in self.columns]
            arrays = ", ".join(
                f"CAST(:_{i} AS {self.table.c[name].type.compile(dialect)}[])"
                for i, name in enumerate(self.columns)
            )
            assignments = ", ".join(f"{name} = v.{name}" for name in names[1:])
            self._arrays = text(
                f"UPDATE {table} SET {assignments} FROM unnest({arrays})"  # noqa: S608
                f" AS v({', '.join(names)}) WHERE {table}.{names[0]} = v.{names[0]}"
            )
        return self._arrays


class _Values:
    """Rows of `columns` of `table` as the driver takes them: each column through its
    converter (built once per dialect)."""

    def __init__(self, table: Table, columns: Sequence[str]) -> None:
        self._table = table
        self._columns = columns
        self._converters: dict[str, list[_Converter | None]] = {}

    def rows(self, dialect: Dialect, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """`rows`, converted."""
        return list(zip(*self.columns(dialect, rows), strict=True))

    def columns(self, dialect: Dialect, rows: Sequence[Sequence[Any]]) -> list[Sequence[Any]]:
        """The values of each column of `rows`, converted."""
        converters = self._converters.get(dialect.name)
        if converters is None:
            converters = [self._converter(name, dialect) for name in self._columns]
            self._converters[dialect.name] = converters
        return [
            values if convert is None else convert(values)
            for convert, values in zip(converters, zip(*rows, strict=True), strict=True)
        ]

    def _converter(self, name: str, dialect: Dialect) -> _Converter | None:
        """How the values of column `name` reach the driver: through its type's bind
        processor, once per distinct value (a batch's rows share timestamps, ids and codes);
        JSON encoded by msgspec (the JSON `json.dumps` gives, several times faster; the
        driver's JSON codec takes text as SQLAlchemy gives it)."""
        impl = self._table.c[name].type.dialect_impl(dialect)
        if isinstance(impl, JSON):
            none_as_null = impl.none_as_null
            return lambda values: [
                None if value is None and none_as_null else _JSON.encode(value).decode()
                for value in values
            ]
        process = impl.bind_processor(dialect)
        return None if process is None else partial(_each_once, process)


def _each_once(process: Callable[[Any], Any], values: Sequence[Any]) -> list[Any]:
    """`process` applied to each of `values`, computed once per distinct value."""
    done: dict[Any, Any] = {}
    known = done.get
    out = []
    for value in values:
        result = known(value, _UNSEEN)
        if result is _UNSEEN:
            result = done[value] = process(value)
        out.append(result)
    return out


@contextlib.contextmanager
def _translated(statement: str) -> Iterator[None]:
    """Raise what the driver refused as SQLAlchemy's exceptions, as a Core statement would."""
    try:
        yield
    except (sqlite3.IntegrityError, IntegrityConstraintViolationError) as exc:
        raise IntegrityError(statement, None, exc) from exc
    except (sqlite3.Error, PostgresError) as exc:
        raise DBAPIError(statement, None, exc) from exc
