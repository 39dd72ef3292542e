"""Real-time tests: the real app with its hub, and WebSocket clients driving it in-process."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Container
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI

from liquibond.app import create_app
from liquibond.config import Settings
from liquibond.realtime.hub import HubConfig
from tests.conftest import FAST_PASSWORDS, started

#: Seconds a test waits for a message it expects.
WAIT = 5.0
_CLOSED = object()


@pytest.fixture
def realtime_config() -> HubConfig:
    """The hub's configuration in these tests (override for small limits)."""
    return HubConfig(
        conflate_seconds=0.005,
        ticker_seconds=0.05,
        balances_seconds=0.05,
        portfolio_seconds=0.05,
    )


@pytest.fixture
async def app(settings: Settings, realtime_config: HubConfig) -> AsyncIterator[FastAPI]:
    """The real application with the test's hub configuration."""
    application = create_app(settings, passwords=FAST_PASSWORDS)
    application.state.realtime_config = realtime_config
    async with started(application):
        yield application


async def eventually(condition: Callable[[], bool]) -> None:
    """Wait (a few seconds at most) until `condition()` holds."""
    for _ in range(int(WAIT / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


class Closed(Exception):
    """The server closed the WebSocket."""

    def __init__(self, code: int) -> None:
        super().__init__(f"closed with {code}")
        self.code = code


class WsClient:
    """A WebSocket client of `/api/v1/ws`, speaking ASGI to the app in this event loop (so
    the app's database, books and hub are the test's).

    `inbox` bounds the messages received but not yet read: when it is full the server's
    sends wait, as they would for a client that stops reading its socket.
    """

    def __init__(
        self,
        app: FastAPI,
        *,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        inbox: int = 0,
    ) -> None:
        self._app = app
        self._query = urlencode(query or {})
        self._headers = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        self._to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._inbox: asyncio.Queue[Any] = asyncio.Queue(maxsize=inbox)
        self._accepted = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.close_code: int | None = None

    async def __aenter__(self) -> Self:
        scope = {
            "type": "websocket",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "scheme": "ws",
            "server": ("liquibond.test", 80),
            "client": ("203.0.113.7", 40000),
            "root_path": "",
            "path": "/api/v1/ws",
            "raw_path": b"/api/v1/ws",
            "query_string": self._query.encode(),
            "headers": [(b"host", b"liquibond.test"), *self._headers],
            "subprotocols": [],
            "state": {},
        }
        self._to_app.put_nowait({"type": "websocket.connect"})
        self._task = asyncio.create_task(self._app(scope, self._to_app.get, self._from_app))
        await asyncio.wait_for(self._accepted.wait(), WAIT)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._task is not None
        if not self._task.done():
            self._to_app.put_nowait({"type": "websocket.disconnect", "code": 1000})
            while not self._inbox.empty():  # a server blocked on a full inbox must finish
                self._inbox.get_nowait()
            await asyncio.wait_for(self._task, WAIT)

    async def _from_app(self, message: dict[str, Any]) -> None:
        if message["type"] == "websocket.accept":
            self._accepted.set()
        elif message["type"] == "websocket.send":
            await self._inbox.put(json.loads(message["text"]))
        elif message["type"] == "websocket.close":
            self.close_code = message.get("code", 1000)
            self._accepted.set()
            await self._inbox.put(_CLOSED)

    async def send(self, message: dict[str, Any] | str) -> None:
        """Send a JSON message (or raw text)."""
        text = message if isinstance(message, str) else json.dumps(message)
        await self._to_app.put({"type": "websocket.receive", "text": text})

    async def receive(self, wait: float = WAIT) -> dict[str, Any]:
        """The next message; Closed if the server closed the WebSocket."""
        message = await asyncio.wait_for(self._inbox.get(), wait)
        if message is _CLOSED:
            assert self.close_code is not None
            raise Closed(self.close_code)
        assert isinstance(message, dict)
        return message

    async def expect(
        self,
        type_: str,
        *,
        channel: str | None = None,
        skip: Container[str] = ("heartbeat", "welcome"),
        wait: float = WAIT,
    ) -> dict[str, Any]:
        """The next message of `type_` (and `channel`), passing over those of `skip`; fails on
        any other."""
        while True:
            message = await self.receive(wait)
            if message["type"] == type_ and channel in (None, message.get("channel")):
                return message
            assert message["type"] in skip, f"expected {type_}, got {message}"

    async def call(self, message: dict[str, Any], type_: str) -> dict[str, Any]:
        """Send an operation and return its answer of `type_`."""
        await self.send(message)
        return await self.expect(type_)

    async def closed(self, wait: float = WAIT) -> tuple[int, list[dict[str, Any]]]:
        """Read until the server closes: its close code and the messages before it."""
        messages: list[dict[str, Any]] = []
        while True:
            try:
                messages.append(await self.receive(wait))
            except Closed as closed:
                return closed.code, messages

    async def quiet(self, seconds: float = 0.3, skip: Container[str] = ("heartbeat",)) -> None:
        """Nothing but `skip` arrives for `seconds`."""
        try:
            while True:
                message = await self.receive(seconds)
                assert message["type"] in skip, f"unexpected {message}"
        except TimeoutError:
            return
