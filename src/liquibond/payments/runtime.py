"""Payments' part of the app's lifespan: the rail (and, in demo mode, the faucet)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import httpx
import structlog
from fastapi import FastAPI

from liquibond.config import Settings
from liquibond.payments.faucet import fund_new_user
from liquibond.payments.rails import SandboxRail, WebhookSender
from liquibond.payments.service import PaymentService
from liquibond.platform.db import Database
from liquibond.platform.outbox import EventBus, idempotent_consumer, record_event
from liquibond.platform.uow import UnitOfWork

log = structlog.get_logger(__name__)


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
    jobs = [
        asyncio.create_task(
            _every(settings.reconciliation_interval_seconds, lambda: reconcile_once(app)),
            name="payments-reconciliation",
        ),
        asyncio.create_task(
            _every(60, lambda: expire_collects_once(app)), name="payments-collect-expiry"
        ),
    ]
    if settings.demo_mode:
        bus: EventBus = app.state.bus
        bus.subscribe(
            "user.registered.v1", idempotent_consumer(database, "demo_faucet", fund_new_user)
        )
    try:
        yield
    finally:
        for job in jobs:
            job.cancel()
        await asyncio.gather(*jobs, return_exceptions=True)
        await rail.drain()


async def reconcile_once(app: FastAPI) -> int:
    """Compare the rail's statement with our books; breaks are logged and emitted as an event."""
    database: Database = app.state.database
    async with UnitOfWork(database) as uow:
        service = PaymentService(
            uow.session, app.state.payment_rail, app.state.credentials.cipher, _no_kyc_needed
        )
        breaks = await service.reconcile()
        if breaks:
            rows = [{"rail_reference": b.rail_reference, "problem": b.problem} for b in breaks]
            log.error("payments.reconciliation_breaks", count=len(breaks), breaks=rows)
            record_event(uow.session, "payments.reconciliation_breaks.v1", {"breaks": rows})
        await uow.commit()
        return len(breaks)


async def expire_collects_once(app: FastAPI) -> int:
    """Expire deposits whose collect request nobody approved in time."""
    settings: Settings = app.state.settings
    async with UnitOfWork(app.state.database) as uow:
        service = PaymentService(
            uow.session, app.state.payment_rail, app.state.credentials.cipher, _no_kyc_needed
        )
        expired = await service.expire_stale_collects(
            timedelta(seconds=settings.collect_expiry_seconds)
        )
        await uow.commit()
        return expired


async def _every(interval_seconds: float, job: Callable[[], Awaitable[int]]) -> None:
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            await job()
        except Exception:
            log.exception("payments.job_failed")


async def _no_kyc_needed(_user_id: uuid.UUID) -> None:
    """Reconciliation moves no money, so it needs no KYC gate."""


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
