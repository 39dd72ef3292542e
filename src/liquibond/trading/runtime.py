"""Trading's part of the app's lifespan: the book writers, rebuilt and checked on start, with
Redis the forwarding of orders between engine processes, the cancelling of a revoked
investor's orders, and in demo mode the demo's liquidity provider."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import uuid
from collections.abc import AsyncIterator

from fastapi import FastAPI
from redis.asyncio import Redis

from liquibond.config import Settings
from liquibond.kyc.models import KycStatus
from liquibond.kyc.service import KycChecks
from liquibond.platform.db import Database
from liquibond.platform.outbox import Event, EventBus
from liquibond.platform.uow import UnitOfWork
from liquibond.trading.forwarding import Forwarder
from liquibond.trading.lease import LeaseManager
from liquibond.trading.liquidity import LiquidityProvider
from liquibond.trading.runner import Trading
from liquibond.trading.service import OrderService

#: How long shutdown waits for the liquidity provider to finish the book in hand.
LIQUIDITY_STOP_SECONDS = 10.0


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Install `app.state.trading`, rebuilding every book from its resting orders; with Redis,
    forward the orders for books another process holds to it, and serve those it forwards
    here; in demo mode (unless its interval is 0), run the liquidity provider. Shutdown
    undoes these in reverse order: the writers stop last but for the Redis client."""
    settings: Settings = app.state.settings
    async with contextlib.AsyncExitStack() as stack:
        forwarder = None
        if settings.redis_url:
            redis = Redis.from_url(settings.redis_url)
            stack.push_async_callback(redis.aclose)
            forwarder = Forwarder(
                redis, app.state.database, deadline_seconds=settings.trading_forward_seconds
            )
        trading = Trading(
            app.state.database,
            on_commit=app.state.relay.wake,  # real-time subscribers hear of a commit at once
            leases=LeaseManager(
                app.state.database,
                duration=settings.trading_lease_seconds,
                renew_interval=settings.trading_lease_seconds / 4,
            ),
            remote=None if forwarder is None else forwarder.book,
        )
        await trading.start()
        stack.push_async_callback(trading.stop)
        app.state.trading = trading
        if forwarder is not None:
            serving = asyncio.create_task(forwarder.serve(trading), name="trading-commands")
            stack.push_async_callback(_cancel, serving)
        bus: EventBus = app.state.bus
        bus.subscribe(
            "kyc.revoked.v1",
            functools.partial(cancel_orders_of_revoked, app.state.database, trading),
        )
        if settings.demo_mode and settings.demo_liquidity_interval_seconds > 0:
            provider = LiquidityProvider(
                app.state.database, trading, settings, app.state.credentials
            )
            quoting = asyncio.create_task(provider.run(), name="demo-liquidity")
            stack.push_async_callback(_stop_quoting, provider, quoting)
        yield


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _stop_quoting(provider: LiquidityProvider, task: asyncio.Task[None]) -> None:
    """Let the liquidity provider finish the book in hand (for a while), then stop it."""
    provider.stop()
    await asyncio.wait({task}, timeout=LIQUIDITY_STOP_SECONDS)
    await _cancel(task)  # nothing to cancel once it has stopped


async def cancel_orders_of_revoked(database: Database, trading: Trading, event: Event) -> None:
    """Cancel every open order of an investor whose KYC was revoked, through the books'
    writers. Idempotent (a redelivery finds nothing open), so it keeps no marker; skipped if
    the investor was verified again before it ran."""
    user_id = uuid.UUID(event.data["user_id"])
    async with UnitOfWork(database, write=False) as uow:
        if (await KycChecks(uow.session).status_of(user_id)).status is KycStatus.VERIFIED:
            return
        service = OrderService(uow.session)
        markets = [await service.market(i) for i in await service.open_instruments(user_id)]
    for market in markets:
        await (await trading.writer(market)).cancel_all(user_id)
