"""Writer leases: an instrument's book is written by one engine process at a time, fenced.

A process owns a book while it holds the book's row in `trading_leases`: its `holder`
(host:pid:random) and a `fence` token that grows by one on every new acquisition. The
lease lasts `duration` seconds unless renewed; a process that stops renewing (crashed,
partitioned, paused) loses it, and the next process takes it over with a higher fence.

Timing alone cannot make this safe (a writer can stall between checking its lease and
committing), so every write is fenced: :func:`check_fence` runs inside the writer's
transaction, just before it commits, and raises :class:`LeaseLost` unless the row still
names this holder and fence and is unexpired. It does so with an UPDATE of the lease row,
which keeps that row locked until the transaction ends: on PostgreSQL a competitor's
acquisition waits on the row lock, on SQLite on the database's write lock. So a takeover is
always ordered after the stale writer's last commit, and the new holder, which rebuilds
its book after acquiring, sees everything the old one committed; once the lease has
changed hands, the old writer's transactions fail their check and roll back.

Clocks: on PostgreSQL every expiry is computed and compared with the database's
`clock_timestamp()` (the real time, not the transaction's start time as `now()` would give
inside a long batch), so engine processes on machines whose clocks disagree still agree
on when a lease expires. SQLite is shared only by processes on one machine, so this
process's UTC clock is that machine's clock. Each process also bounds its lease with its
own monotonic clock (:attr:`Lease.valid_until`): the renewal loop gives up, and tells the
writer to stop, `renew_interval` seconds before the lease could expire.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    ForeignKey,
    Interval,
    String,
    func,
    literal,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from liquibond.platform.db import Base, Database, UTCDateTime, utcnow
from liquibond.platform.uow import UnitOfWork

log = structlog.get_logger(__name__)

#: Default lease duration and renewal interval, in seconds.
LEASE_DURATION = 10.0
RENEW_INTERVAL = 3.0


class TradingLease(Base):
    """Which engine process may write an instrument's book, until when, under which fence.

    The row outlives its holders (a release only expires it), so `fence` never goes back.
    """

    __tablename__ = "trading_leases"

    instrument_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instruments.id"), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    fence: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime]
    acquired_at: Mapped[datetime]
    renewed_at: Mapped[datetime]


class LeaseLost(Exception):
    """The lease is no longer this process's: whatever it was about to commit must not be."""

    def __init__(self, lease: Lease) -> None:
        super().__init__(f"lease on instrument {lease.instrument_id} (fence {lease.fence}) is lost")
        self.lease = lease


@dataclass(slots=True)
class Lease:
    """A lease this process holds (or held).

    `expires_at` is the expiry in the database's time; `valid_until` is a `time.monotonic()`
    instant before which the lease cannot have expired (it is measured from just before the
    acquisition or renewal was sent). Both move forward on every renewal.
    """

    instrument_id: uuid.UUID
    holder: str
    fence: int
    expires_at: datetime
    valid_until: float


def process_identity() -> str:
    """`host:pid:random`: unique per process, even across restarts and containers."""
    return f"{socket.gethostname()[:150]}:{os.getpid()}:{secrets.token_hex(4)}"


class _Clock:
    """Lease times as SQL: PostgreSQL's clock, or this machine's for SQLite (module docstring)."""

    def __init__(self, session: AsyncSession) -> None:
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self._local = utcnow()

    @property
    def now(self) -> ColumnElement[datetime]:
        """The current time."""
        if self.postgres:
            return func.clock_timestamp(type_=UTCDateTime())
        return literal(self._local, UTCDateTime())

    def after(self, duration: timedelta) -> ColumnElement[datetime]:
        """The current time plus `duration`."""
        if self.postgres:
            return self.now + literal(duration, Interval())
        return literal(self._local + duration, UTCDateTime())


def _held(lease: Lease, now: ColumnElement[datetime]) -> list[ColumnElement[bool]]:
    """The lease row still belongs to `lease` and has not expired."""
    return [
        TradingLease.instrument_id == lease.instrument_id,
        TradingLease.holder == lease.holder,
        TradingLease.fence == lease.fence,
        TradingLease.expires_at > now,
    ]


async def check_fence(
    session: AsyncSession, lease: Lease, *, extend_seconds: float | None = None
) -> datetime | None:
    """Fail the writer's transaction unless `lease` is still held; call it last before commit.

    Raises :class:`LeaseLost` if another process has taken the lease over, or it expired or
    was released. Otherwise the lease row stays locked until `session`'s transaction ends, so
    no other process can take the lease over before this transaction has committed (on
    SQLite the writer already holds the database's write lock from `BEGIN IMMEDIATE`).

    With `extend_seconds` the same write also renews the lease (returning its new expiry,
    which holds once the transaction commits): a busy writer keeps its lease with every batch
    even when the renewal loop cannot get at the database.
    """
    clock = _Clock(session)
    values: dict[str, object] = (
        {"fence": TradingLease.fence}  # a write that changes nothing takes the row lock
        if extend_seconds is None
        else {
            "expires_at": clock.after(timedelta(seconds=extend_seconds)),
            "renewed_at": clock.now,
        }
    )
    expires_at = await session.scalar(
        update(TradingLease)
        .where(*_held(lease, clock.now))
        .values(values)
        .returning(TradingLease.expires_at)
        .execution_options(synchronize_session=False)
    )
    if expires_at is None:
        raise LeaseLost(lease)
    return expires_at if extend_seconds is not None else None


class LeaseManager:
    """Acquires, renews and releases this process's writer leases.

    `duration` is how long a lease lasts without renewal; the renewal loop (:meth:`keep`)
    renews every `renew_interval` and gives up `renew_interval` before expiry, so the
    interval must be under half the duration.
    """

    def __init__(
        self,
        database: Database,
        *,
        duration: float = LEASE_DURATION,
        renew_interval: float = RENEW_INTERVAL,
    ) -> None:
        if not 0 < 2 * renew_interval < duration:
            raise ValueError("renew_interval must be positive and under half the duration")
        self._database = database
        self.duration = duration
        self.renew_interval = renew_interval
        self.holder = process_identity()

    async def acquire(self, instrument_id: uuid.UUID) -> Lease | None:
        """Take the instrument's lease if nobody holds it (free, expired or released) with a
        new, higher fence; None if another process holds it. Of any number of processes
        trying at once, exactly one succeeds (one atomic upsert, conditional on expiry)."""
        started = time.monotonic()
        async with UnitOfWork(self._database) as uow:
            clock = _Clock(uow.session)
            insert = pg_insert if clock.postgres else sqlite_insert
            statement = insert(TradingLease).values(
                instrument_id=instrument_id,
                holder=self.holder,
                fence=1,
                expires_at=clock.after(timedelta(seconds=self.duration)),
                acquired_at=clock.now,
                renewed_at=clock.now,
            )
            statement = statement.on_conflict_do_update(
                index_elements=[TradingLease.instrument_id],
                set_={
                    "holder": statement.excluded.holder,
                    "fence": TradingLease.fence + 1,
                    "expires_at": statement.excluded.expires_at,
                    "acquired_at": statement.excluded.acquired_at,
                    "renewed_at": statement.excluded.renewed_at,
                },
                where=TradingLease.expires_at <= clock.now,
            )
            row = (
                await uow.session.execute(
                    statement.returning(TradingLease.fence, TradingLease.expires_at)
                )
            ).one_or_none()
            await uow.commit()
        if row is None:
            return None
        fence, expires_at = row
        log.info(
            "trading.lease_acquired",
            instrument_id=str(instrument_id),
            fence=fence,
            holder=self.holder,
        )
        return Lease(instrument_id, self.holder, fence, expires_at, started + self.duration)

    async def renew(self, lease: Lease) -> bool:
        """Extend `lease` by `duration` from now; False if it is no longer held (taken over,
        expired or released), in which case it cannot be renewed ever again."""
        started = time.monotonic()
        async with UnitOfWork(self._database) as uow:
            clock = _Clock(uow.session)
            expires_at = await uow.session.scalar(
                update(TradingLease)
                .where(*_held(lease, clock.now))
                .values(
                    expires_at=clock.after(timedelta(seconds=self.duration)), renewed_at=clock.now
                )
                .returning(TradingLease.expires_at)
                .execution_options(synchronize_session=False)
            )
            await uow.commit()
        if expires_at is None:
            return False
        lease.expires_at = expires_at
        lease.valid_until = started + self.duration
        return True

    async def release(self, lease: Lease) -> None:
        """Give `lease` up now (if still held), so another process can take it at once.
        Stop writing first: the lease is gone for this process's transactions too."""
        lease.valid_until = time.monotonic()
        async with UnitOfWork(self._database) as uow:
            clock = _Clock(uow.session)
            await uow.session.execute(
                update(TradingLease)
                .where(*_held(lease, clock.now))
                .values(expires_at=clock.now)
                .execution_options(synchronize_session=False)
            )
            await uow.commit()
        log.info(
            "trading.lease_released", instrument_id=str(lease.instrument_id), fence=lease.fence
        )

    def keep(self, lease: Lease, on_lost: Callable[[], None]) -> asyncio.Task[None]:
        """Renew `lease` every `renew_interval` in a background task until the task is
        cancelled. If the lease cannot be renewed — it was lost, or the database did not
        answer in time (errors are retried) — call `on_lost()` once and end, at the latest
        `renew_interval` before the lease could expire: the writer stops while the lease is
        still its own. `on_lost` runs in the task, so it must not block or raise (to stop
        asynchronously, schedule a task); cancel the task and :meth:`release` to stop."""
        return asyncio.create_task(
            self._keep(lease, on_lost), name=f"lease-keeper-{lease.instrument_id}"
        )

    async def _keep(self, lease: Lease, on_lost: Callable[[], None]) -> None:
        while True:
            await asyncio.sleep(self.renew_interval)
            if not await self._renew_in_time(lease):
                log.warning(
                    "trading.lease_lost", instrument_id=str(lease.instrument_id), fence=lease.fence
                )
                on_lost()
                return

    async def _renew_in_time(self, lease: Lease) -> bool:
        """Renew `lease`, retrying failures, until `renew_interval` before it could expire."""
        # The deadline moves when the writer renews the lease with a batch meanwhile.
        while (remaining := lease.valid_until - self.renew_interval - time.monotonic()) > 0:
            try:
                async with asyncio.timeout(remaining):
                    return await self.renew(lease)
            except Exception:
                log.warning(
                    "trading.lease_renewal_failed",
                    instrument_id=str(lease.instrument_id),
                    exc_info=True,
                )
            await asyncio.sleep(
                min(
                    self.renew_interval / 4,
                    max(0.0, lease.valid_until - self.renew_interval - time.monotonic()),
                )
            )
        return False
