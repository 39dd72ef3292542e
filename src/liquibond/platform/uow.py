"""The unit of work: one transaction per request or command. Services never commit."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.platform.db import SQLITE_WRITE, Database


class UnitOfWork:
    """Owns a session; commits only when the whole use case succeeded."""

    def __init__(self, database: Database, *, write: bool = True, snapshot: bool = False) -> None:
        """`snapshot`: every read of the transaction sees the database as of its first read
        (REPEATABLE READ on PostgreSQL; a SQLite transaction always does), e.g. to read two
        tables another process changes together."""
        self._database = database
        self._write = write
        self._snapshot = snapshot
        self._after_commit: list[Callable[[], None]] = []
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        """The session of this unit of work (only valid inside `async with`)."""
        if self._session is None:
            raise RuntimeError("unit of work is not open")
        return self._session

    async def __aenter__(self) -> Self:
        self._session = self._database.sessions()
        try:
            await self.begin()
        except BaseException:
            # Cancelled (or failed) while waiting for the write lock: `__aexit__` will not
            # run, so give the connection back here or it keeps the lock.
            await self._session.close()
            self._session = None
            raise
        return self

    async def begin(self) -> None:
        """Start the next transaction now: on SQLite, a writing unit of work takes the write
        lock at once (BEGIN IMMEDIATE). Call it after a mid-way :meth:`commit` before reading
        and then writing again: a deferred transaction that read first cannot take the lock
        once another writer has committed (SQLITE_BUSY_SNAPSHOT), it fails at once."""
        if self._write and self._database.is_sqlite:
            await self.session.connection(execution_options={SQLITE_WRITE: True})
        elif self._snapshot and not self._database.is_sqlite:
            await self.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is not None:
                await self.rollback()
        finally:
            await self.session.close()
            self._session = None

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once this unit of work has committed (e.g. wake the outbox relay)."""
        self._after_commit.append(callback)

    async def commit(self) -> None:
        """Commit everything done in this unit of work, then run the after-commit hooks."""
        await self.session.commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    async def rollback(self) -> None:
        """Discard everything done in this unit of work."""
        self._after_commit.clear()
        await self.session.rollback()
