"""The WebSocket endpoint `/api/v1/ws` (the protocol is described in :mod:`liquibond.realtime`)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import APIRouter, FastAPI, WebSocket

from liquibond.realtime.hub import Hub, HubConfig
from liquibond.realtime.sources import DatabaseSources
from liquibond.trading.runner import Trading


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Install `app.state.hub`, fed by the outbox events the relay delivers to `app.state.bus`.

    The hub's limits come from `app.state.realtime_config` when it is set (a `HubConfig`),
    otherwise from its defaults.
    """

    def trading() -> Trading:
        running: Trading = app.state.trading  # started after this lifespan, used later
        return running

    config: HubConfig = getattr(app.state, "realtime_config", None) or HubConfig()
    sources = DatabaseSources(
        app.state.database, app.state.credentials, trading, app.state.settings
    )
    hub = Hub(sources, config, registry=app.state.metrics.registry)
    hub.listen(app.state.bus)
    await hub.start()
    app.state.hub = hub
    try:
        yield
    finally:
        await hub.stop()
        hub.metrics.unregister()


realtime = APIRouter(prefix="/api/v1", lifespan=lifespan)


class _Socket:
    """A Starlette WebSocket as the hub's transport."""

    def __init__(self, websocket: WebSocket) -> None:
        self._websocket = websocket

    async def receive(self) -> str | None:
        """The next message as text; None once the client disconnected."""
        message = await self._websocket.receive()
        if message["type"] == "websocket.disconnect":
            return None
        text: str | None = message.get("text")
        if text is None:
            data: bytes = message.get("bytes") or b""
            text = data.decode("utf-8", errors="replace")
        return text

    async def send(self, text: str) -> None:
        """Send a text frame."""
        await self._websocket.send_text(text)

    async def close(self, code: int) -> None:
        """Close the WebSocket."""
        await self._websocket.close(code)


def _token(websocket: WebSocket) -> str | None:
    """A token given with the connection request: `?token=`, `Authorization: Bearer` or
    `X-API-Key` (first-message `auth` is the alternative, and what browsers should use)."""
    token = websocket.query_params.get("token") or websocket.headers.get("x-api-key")
    if token:
        return token
    scheme, _, credential = websocket.headers.get("authorization", "").partition(" ")
    return credential.strip() or None if scheme.lower() == "bearer" else None


@realtime.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket) -> None:
    """Real-time channels: public market data and, once authenticated, my own data."""
    hub: Hub = websocket.app.state.hub
    await websocket.accept()
    await hub.serve(_Socket(websocket), token=_token(websocket))


routers = [realtime]
