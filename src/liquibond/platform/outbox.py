"""Transactional outbox, the in-process event bus, and idempotent consumers.

A state change and its event are written in one transaction (`record_event`, or an `Outbox`
for a unit of work that records many); the relay later delivers committed events to the
bus, at least once; consumers wrapped by `idempotent_consumer` apply each `event_id` once.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import structlog
from sqlalchemy import BigInteger, Integer, String, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from liquibond.platform.bulk import BulkInsert
from liquibond.platform.db import Base, Database, new_id, utcnow
from liquibond.platform.uow import UnitOfWork

log = structlog.get_logger(__name__)


class OutboxRow(Base):
    """An event waiting for (or past) delivery to the bus."""

    __tablename__ = "outbox_events"

    position: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    event_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    type: Mapped[str] = mapped_column(String(100), index=True)
    occurred_at: Mapped[datetime]
    data: Mapped[dict[str, Any]]
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)


class ProcessedEvent(Base):
    """Remembers which consumer has applied which event, so redelivery is harmless."""

    __tablename__ = "processed_events"

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True, slots=True)
class Event:
    """The envelope every consumer receives."""

    event_id: uuid.UUID
    type: str
    occurred_at: datetime
    data: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The envelope as JSON-ready data."""
        return {
            "event_id": str(self.event_id),
            "type": self.type,
            "occurred_at": self.occurred_at.isoformat(),
            "data": self.data,
        }


#: Records one event (`type`, `data`) and returns it: `Outbox.record`, or `record_event` bound
#: to a session.
Recorder = Callable[[str, dict[str, Any]], Event]


def record_event(session: AsyncSession, type_: str, data: dict[str, Any]) -> Event:
    """Add an event to the outbox in the caller's transaction (committed with the change)."""
    event = Event(event_id=new_id(), type=type_, occurred_at=utcnow(), data=data)
    session.add(OutboxRow(**_row(event)))
    return event


class Outbox:
    """The events of one unit of work that records many, kept in the order recorded and
    added to the outbox by one statement (:meth:`write`) in its transaction."""

    def __init__(self) -> None:
        self._events: list[Event] = []

    def record(self, type_: str, data: dict[str, Any]) -> Event:
        """Note an event; it is written, after those recorded before it, by :meth:`write`."""
        event = Event(event_id=new_id(), type=type_, occurred_at=utcnow(), data=data)
        self._events.append(event)
        return event

    @contextlib.contextmanager
    def savepoint(self) -> Iterator[None]:
        """Forget the events recorded in the block if it raises."""
        recorded = len(self._events)
        try:
            yield
        except BaseException:
            del self._events[recorded:]
            raise

    async def write(self, session: AsyncSession) -> None:
        """Add the events recorded so far to the outbox in `session`'s transaction (in the
        order recorded: the outbox's positions follow it)."""
        if self._events:
            await _OUTBOX_ROWS(
                await session.connection(),
                [(e.event_id, e.type, e.occurred_at, e.data, 0) for e in self._events],
            )
            self._events.clear()


_OUTBOX_ROWS = BulkInsert(OutboxRow, ("event_id", "type", "occurred_at", "data", "attempts"))


def _row(event: Event) -> dict[str, Any]:
    """The outbox row of `event`, as column values."""
    return {
        "event_id": event.event_id,
        "type": event.type,
        "occurred_at": event.occurred_at,
        "data": event.data,
    }


Handler = Callable[[Event], Awaitable[None]]


class EventBus(Protocol):
    """Where the relay delivers events; the in-process bus now, Redis Streams later."""

    def subscribe(self, pattern: str, handler: Handler) -> None:
        """Call `handler` for every event whose type matches the glob `pattern`."""

    async def publish(self, event: Event) -> None:
        """Deliver one event to every matching subscriber; raises if one fails."""


class InProcessBus:
    """Delivers events to handlers in this process, in the order they are published."""

    def __init__(self) -> None:
        self._subscriptions: list[tuple[str, Handler]] = []

    def subscribe(self, pattern: str, handler: Handler) -> None:
        """Call `handler` for every event whose type matches the glob `pattern`."""
        self._subscriptions.append((pattern, handler))

    async def publish(self, event: Event) -> None:
        """Deliver one event to every matching subscriber; raises if one fails."""
        for pattern, handler in self._subscriptions:
            if fnmatch.fnmatchcase(event.type, pattern):
                await handler(event)


ConsumerBody = Callable[[UnitOfWork, Event], Awaitable[None]]


def idempotent_consumer(database: Database, name: str, apply: ConsumerBody) -> Handler:
    """Wrap `apply` so each event_id is applied once, in one transaction with its marker."""

    async def handle(event: Event) -> None:
        async with UnitOfWork(database) as uow:
            uow.session.add(ProcessedEvent(consumer=name, event_id=event.event_id))
            try:
                await uow.session.flush()
            except IntegrityError:
                await uow.rollback()
                log.debug("event.duplicate_skipped", consumer=name, event_id=str(event.event_id))
                return
            await apply(uow, event)
            await uow.commit()

    return handle


class OutboxRelay:
    """Moves committed outbox rows to the bus in order; safe to run in several processes."""

    def __init__(self, database: Database, bus: EventBus, *, batch_size: int = 1_000) -> None:
        """`batch_size`: events marked delivered per transaction. A book writer's full batch
        records a thousand or more; each round is a commit, and on SQLite a turn of the write
        lock the writer waits for, so rounds are few and large."""
        self._database = database
        self._bus = bus
        self._batch_size = batch_size
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        """Ask the relay to look for new events now rather than at its next poll."""
        self._wakeup.set()

    async def relay_once(self) -> int:
        """Deliver one batch of pending events in order; returns how many were delivered."""
        async with UnitOfWork(self._database, write=False) as uow:
            query = (
                select(OutboxRow)
                .where(OutboxRow.published_at.is_(None))
                .order_by(OutboxRow.position)
                .limit(self._batch_size)
            )
            if not self._database.is_sqlite:
                # Other relays skip what this one is delivering; the lock is held until commit.
                query = query.with_for_update(skip_locked=True)
            rows = (await uow.session.scalars(query)).all()
            delivered: list[int] = []
            failed: int | None = None
            for row in rows:
                try:
                    await self._bus.publish(
                        Event(row.event_id, row.type, row.occurred_at, row.data)
                    )
                except Exception:
                    # Stop at the first failure to keep order; the event is retried later.
                    log.exception("outbox.delivery_failed", event_type=row.type)
                    failed = row.position
                    break
                delivered.append(row.position)
            if self._database.is_sqlite:
                # Handlers committed meanwhile: end the read snapshot before writing.
                await uow.rollback()
            if delivered:
                await uow.session.execute(
                    update(OutboxRow)
                    .where(OutboxRow.position.in_(delivered))
                    .values(published_at=utcnow())
                )
            if failed is not None:
                await uow.session.execute(
                    update(OutboxRow)
                    .where(OutboxRow.position == failed)
                    .values(attempts=OutboxRow.attempts + 1)
                )
            await uow.commit()
            return len(delivered)

    async def run(self, poll_seconds: float) -> None:
        """Relay forever: after every commit that recorded events, and at least every poll."""
        while True:
            # Cleared before relaying: a commit that wakes us meanwhile is relayed next round.
            self._wakeup.clear()
            try:
                while await self.relay_once() == self._batch_size:
                    pass
            except Exception:
                log.exception("outbox.relay_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=poll_seconds)
