"""Payments' part of the app's lifespan: the rail (and, in demo mode, the faucet)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI

from liquibond.config import Settings
from liquibond.payments.faucet import fund_new_user
from liquibond.payments.rails import SandboxRail, WebhookSender
from liquibond.platform.db import Database
from liquibond.platform.outbox import EventBus, idempotent_consumer


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Install `app.state.payment_rail`; subscribe the demo faucet when in demo mode."""
    settings: Settings = app.state.settings
    database: Database = app.state.database
    rail = SandboxRail(
        database,
        settings.webhook_secret("payments"),
        _self_sender(app),
        delay_seconds=settings.sandbox_rail_delay_seconds,
    )
    app.state.payment_rail = rail
    if settings.demo_mode:
        bus: EventBus = app.state.bus
        bus.subscribe(
            "user.registered.v1", idempotent_consumer(database, "demo_faucet", fund_new_user)
        )
    try:
        yield
    finally:
        await rail.drain()


def _self_sender(app: FastAPI) -> WebhookSender:
    """Deliver the sandbox rail's webhooks to our own endpoint, through the full HTTP stack."""

    async def send(path: str, body: bytes, headers: dict[str, str]) -> int:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 0))
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox-rail") as client:
            response = await client.post(
                path, content=body, headers={**headers, "content-type": "application/json"}
            )
            return response.status_code

    return send
