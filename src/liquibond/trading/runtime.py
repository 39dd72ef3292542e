"""Trading's part of the app's lifespan: the book writers, rebuilt and checked on start, and in
demo mode the demo's liquidity provider."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from liquibond.config import Settings
from liquibond.trading.lease import LeaseManager
from liquibond.trading.liquidity import LiquidityProvider
from liquibond.trading.runner import Trading

#: How long shutdown waits for the liquidity provider to finish the book in hand.
LIQUIDITY_STOP_SECONDS = 10.0


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Install `app.state.trading`, rebuilding every book from its resting orders; in demo
    mode (unless its interval is 0), run the liquidity provider, which stops before the
    writers do."""
    settings: Settings = app.state.settings
    trading = Trading(
        app.state.database,
        on_commit=app.state.relay.wake,  # real-time subscribers hear of a commit at once
        leases=LeaseManager(
            app.state.database,
            duration=settings.trading_lease_seconds,
            renew_interval=settings.trading_lease_seconds / 4,
        ),
    )
    await trading.start()
    app.state.trading = trading
    quoting: tuple[LiquidityProvider, asyncio.Task[None]] | None = None
    if settings.demo_mode and settings.demo_liquidity_interval_seconds > 0:
        provider = LiquidityProvider(app.state.database, trading, settings, app.state.credentials)
        quoting = provider, asyncio.create_task(provider.run(), name="demo-liquidity")
    try:
        yield
    finally:
        if quoting is not None:
            provider, task = quoting
            provider.stop()
            await asyncio.wait({task}, timeout=LIQUIDITY_STOP_SECONDS)
            task.cancel()  # nothing to cancel once it has stopped
            await asyncio.gather(task, return_exceptions=True)
        await trading.stop()
