"""KYC's part of the app's lifespan: its components, and the provider fed by submissions.

Every committed `kyc.submitted.v1` event reaches an idempotent consumer that hands the
attempt to the provider. Outside production that is the sandbox, which answers by
delivering a signed webhook to `deliver_to_self`: the same verification and handling as
`POST /api/v1/webhooks/kyc`, in a transaction of its own. In production, until a real
adapter is configured, no provider runs and compliance reviews every application.
"""

from __future__ import annotations

import contextlib
import functools
import uuid
from collections.abc import AsyncIterator, Mapping

import structlog
from fastapi import FastAPI

from liquibond.config import Settings
from liquibond.kyc.provider import KycProvider
from liquibond.kyc.sandbox import SandboxKycProvider
from liquibond.kyc.schemas import WebhookReceipt
from liquibond.kyc.service import WEBHOOK_SOURCE, KycComponents, KycService
from liquibond.platform.outbox import Event, EventBus, idempotent_consumer
from liquibond.platform.uow import UnitOfWork

log = structlog.get_logger(__name__)

CONSUMER = "kyc.provider"


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Install `app.state.kyc` and, where a provider runs, subscribe it to submissions."""
    settings: Settings = app.state.settings
    sandbox = (
        None
        if settings.is_production
        else SandboxKycProvider(
            settings.webhook_secret(WEBHOOK_SOURCE), functools.partial(deliver_to_self, app)
        )
    )
    components = KycComponents.from_settings(settings, provider=sandbox)
    app.state.kyc = components
    if sandbox is None:
        log.warning("kyc.no_provider", detail="every KYC application waits for compliance review")
    else:
        bus: EventBus = app.state.bus
        bus.subscribe(
            "kyc.submitted.v1",
            idempotent_consumer(
                app.state.database,
                CONSUMER,
                functools.partial(_start_verification, components, sandbox),
            ),
        )
    try:
        yield
    finally:
        if sandbox is not None:
            await sandbox.aclose()


async def deliver_to_self(app: FastAPI, headers: Mapping[str, str], body: bytes) -> WebhookReceipt:
    """Handle a signed webhook exactly as `POST /api/v1/webhooks/kyc` does, and commit."""
    async with UnitOfWork(app.state.database) as uow:
        receipt = await KycService(uow.session, app.state.kyc).receive_webhook(headers, body)
        await uow.commit()
    return receipt


async def _start_verification(
    components: KycComponents, provider: KycProvider, uow: UnitOfWork, event: Event
) -> None:
    request = await KycService(uow.session, components).verification_request(
        uuid.UUID(event.data["application_id"]), int(event.data["attempt"])
    )
    if request is not None:
        await provider.start(request)
