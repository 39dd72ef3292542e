"""The sandbox provider delivers like a real one: signed, retried under one id, stoppable."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from datetime import date

import pytest

from liquibond.kyc import sandbox
from liquibond.kyc.provider import VerificationRequest
from liquibond.kyc.sandbox import SandboxKycProvider
from liquibond.platform.webhooks import verify
from tests.kyc.helpers import eventually

SECRET = b"sandbox-test-secret"
REQUEST = VerificationRequest(
    uuid.uuid4(), 1, pan="ABCPE1234F", date_of_birth=date(1990, 5, 17), pincode="400001"
)


async def test_a_failed_delivery_is_retried_under_the_same_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sandbox, "RETRY_DELAYS", (0.0, 0.0, 0.0, 0.0))
    received: list[str] = []

    async def flaky_receiver(headers: Mapping[str, str], body: bytes) -> None:
        received.append(verify(SECRET, headers, body))
        if len(received) < 3:
            raise RuntimeError("receiver down")

    provider = SandboxKycProvider(SECRET, flaky_receiver)
    await provider.start(REQUEST)

    async def delivered() -> list[str] | None:
        return None if _deliveries() else received

    ids = await eventually(delivered)
    assert len(ids) == 3  # two failures, then one success and no further attempt
    assert len(set(ids)) == 1 and REQUEST.application_id.hex in ids[0]
    assert repr(REQUEST).endswith("attempt=1)")  # no PII in the repr, hence none in a log


async def test_pending_deliveries_stop_with_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "RETRY_DELAYS", (3600.0,))
    bodies: list[bytes] = []

    async def receiver(headers: Mapping[str, str], body: bytes) -> None:
        bodies.append(body)

    provider = SandboxKycProvider(SECRET, receiver)
    await provider.start(REQUEST)
    await provider.aclose()
    assert bodies == []
    assert not _deliveries()


def _deliveries() -> list[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("kyc-sandbox-")]
