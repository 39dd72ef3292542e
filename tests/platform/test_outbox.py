"""Transactional outbox: events commit with their change, reach the bus, apply once."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from liquibond.platform.db import Database
from liquibond.platform.outbox import (
    Event,
    OutboxRelay,
    OutboxRow,
    idempotent_consumer,
    record_event,
)
from liquibond.platform.uow import UnitOfWork
from tests.helpers import register


async def test_registration_event_reaches_the_bus(client: httpx.AsyncClient, app: FastAPI) -> None:
    received: list[Event] = []
    delivered = asyncio.Event()

    async def on_user(event: Event) -> None:
        received.append(event)
        delivered.set()

    app.state.bus.subscribe("user.*", on_user)
    user = await register(client)
    await asyncio.wait_for(delivered.wait(), timeout=5)
    assert [e.type for e in received] == ["user.registered.v1"]
    assert received[0].data == {"user_id": user["id"], "roles": ["investor"]}
    assert set(received[0].to_json()) == {"event_id", "type", "occurred_at", "data"}


async def test_rolled_back_change_leaves_no_event(app: FastAPI) -> None:
    async with UnitOfWork(app.state.database) as uow:
        record_event(uow.session, "test.never.v1", {})
        await uow.rollback()
    async with UnitOfWork(app.state.database, write=False) as uow:
        count = await uow.session.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.type == "test.never.v1")
        )
    assert count == 0


async def test_redelivery_is_applied_once(app: FastAPI) -> None:
    applied: list[str] = []

    async def apply(uow: UnitOfWork, event: Event) -> None:
        applied.append(str(event.event_id))

    handler = idempotent_consumer(app.state.database, "test-consumer", apply)
    async with UnitOfWork(app.state.database) as uow:
        event = record_event(uow.session, "test.once.v1", {"n": 1})
        await uow.commit()
    await handler(event)
    await handler(event)  # at-least-once delivery: a duplicate arrives
    assert applied == [str(event.event_id)]


async def test_failed_delivery_is_retried_in_order(database_url: str) -> None:
    seen: list[int] = []
    failures = [1]

    class FlakyBus:
        def subscribe(self, pattern: str, handler: object) -> None:
            raise NotImplementedError

        async def publish(self, event: Event) -> None:
            if event.data["n"] == 2 and failures[0]:
                failures[0] -= 1
                raise RuntimeError("bus down")
            seen.append(event.data["n"])

    database = Database(database_url)  # no app, so no other relay races this one
    try:
        async with UnitOfWork(database) as uow:
            for n in (1, 2, 3):
                record_event(uow.session, "test.ordered.v1", {"n": n})
            await uow.commit()
        relay = OutboxRelay(database, FlakyBus())
        assert await relay.relay_once() == 1  # stops at the failure to keep order
        assert await relay.relay_once() == 2
        assert await relay.relay_once() == 0
        assert seen == [1, 2, 3]
        async with UnitOfWork(database, write=False) as uow:
            attempts = await uow.session.scalar(
                select(func.max(OutboxRow.attempts)).where(OutboxRow.type == "test.ordered.v1")
            )
        assert attempts == 1
    finally:
        await database.dispose()
