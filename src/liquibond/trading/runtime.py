"""Trading's part of the app's lifespan: the book writers, rebuilt and checked on start."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from liquibond.trading.runner import Trading


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Install `app.state.trading`, rebuilding every book from its resting orders."""
    trading = Trading(app.state.database)
    await trading.start()
    app.state.trading = trading
    try:
        yield
    finally:
        await trading.stop()
