"""The provider's webhook: authentic, fresh and for the current attempt, applied once."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from liquibond.app import create_app
from liquibond.config import Environment, Settings
from liquibond.platform.outbox import OutboxRow
from liquibond.platform.uow import UnitOfWork
from liquibond.platform.webhooks import sign
from tests.conftest import FAST_PASSWORDS, make_settings, started
from tests.helpers import assert_problem, make_admin, register_and_login
from tests.kyc.helpers import PNG, REFERRED, VERIFIED_FULL, a_pan, form, submit, submitted

WEBHOOK = "/api/v1/webhooks/kyc"


def _result(application_id: str, outcome: str = "verified", **extra: Any) -> bytes:
    tier = {"tier": "basic"} if outcome == "verified" else {}
    body = {
        "type": "kyc.verification.completed",
        "application_id": application_id,
        "attempt": 1,
        "outcome": outcome,
        "checks": {"pan_status": "valid"},
        **tier,
        **extra,
    }
    return json.dumps(body).encode()


def _signed(settings: Settings, webhook_id: str, body: bytes, **kwargs: Any) -> dict[str, str]:
    return sign(settings.webhook_secret("kyc"), webhook_id, body, **kwargs).as_dict()


async def _count(app: FastAPI, event_type: str) -> int:
    async with UnitOfWork(app.state.database, write=False) as uow:
        count = await uow.session.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.type == event_type)
        )
    return int(count or 0)


async def test_a_duplicate_delivery_is_applied_once(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    investor = await register_and_login(client)
    application_id = (await submitted(client, investor, a_pan(REFERRED)))["id"]
    body = _result(application_id)
    headers = _signed(settings, "wh_provider_1", body)

    first = await client.post(WEBHOOK, content=body, headers=headers)
    assert first.status_code == 200 and first.json() == {"status": "applied"}
    for retry in (headers, _signed(settings, "wh_provider_1", body)):  # as sent, and re-signed
        again = await client.post(WEBHOOK, content=body, headers=retry)
        assert again.status_code == 200 and again.json() == {"status": "duplicate"}

    mine = (await client.get("/api/v1/kyc", headers=investor.headers)).json()
    assert (mine["status"], mine["tier"]) == ("verified", "basic")
    assert await _count(app, "kyc.verified.v1") == 1
    admin = await make_admin(app, client)
    audit = await client.get(
        "/api/v1/admin/audit", params={"action": "kyc.verified"}, headers=admin.headers
    )
    assert [e["target"] for e in audit.json()["items"]] == [f"kyc_application:{application_id}"]


async def test_forged_stale_and_replayed_webhooks_change_nothing(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    investor = await register_and_login(client)
    pan = a_pan(REFERRED)
    application_id = (await submitted(client, investor, pan))["id"]
    body = _result(application_id)
    now = int(time.time())
    refused = [
        (body.replace(b"basic", b"full"), _signed(settings, "wh_1", body), "webhook.bad_signature"),
        (body, {**_signed(settings, "wh_1", body), "webhook-id": "wh_2"}, "webhook.bad_signature"),
        (body, sign(b"not-the-secret", "wh_1", body).as_dict(), "webhook.bad_signature"),
        (body, _signed(settings, "wh_1", body, timestamp=now - 600), "webhook.stale"),
        (body, _signed(settings, "wh_1", body, timestamp=now + 600), "webhook.stale"),
        (body, {"webhook-id": "wh_1"}, "webhook.missing_headers"),
    ]
    for content, headers, code in refused:
        assert_problem(await client.post(WEBHOOK, content=content, headers=headers), 401, code)
    mine = await client.get("/api/v1/kyc", headers=investor.headers)
    assert mine.json()["status"] == "pending"

    asked = _result(application_id, "needs_info", reason="Blurred scan.")
    captured = _signed(settings, "wh_needs_info", asked)
    assert (await client.post(WEBHOOK, content=asked, headers=captured)).json() == {
        "status": "applied"
    }
    again = await submit(client, investor, form(pan), PNG, "image/png")
    assert again.json()["status"] == "pending"

    replayed = await client.post(WEBHOOK, content=asked, headers=captured)
    assert replayed.json() == {"status": "duplicate"}
    late = _signed(settings, "wh_late_verdict", body)  # authentic, but about attempt 1
    assert (await client.post(WEBHOOK, content=body, headers=late)).json() == {
        "status": "superseded"
    }
    mine = await client.get("/api/v1/kyc", headers=investor.headers)
    assert (mine.json()["status"], mine.json()["attempt"]) == ("pending", 2)

    for content, code, status in (
        (b"{not json", "kyc.webhook_malformed", 422),
        (_result(application_id, tier=None), "kyc.webhook_malformed", 422),
        (_result(str(uuid.uuid4())), "kyc_application.not_found", 404),
    ):
        headers = _signed(settings, f"wh_{uuid.uuid4().hex}", content)
        assert_problem(await client.post(WEBHOOK, content=content, headers=headers), status, code)


async def test_production_runs_no_sandbox(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path, env=Environment.PRODUCTION)
    application = create_app(settings, passwords=FAST_PASSWORDS)
    async with started(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="https://t") as http:
            investor = await register_and_login(http)
            application_id = (await submitted(http, investor, a_pan(VERIFIED_FULL)))["id"]
            body = _result(application_id)
            assert_problem(
                await http.post(WEBHOOK, content=body, headers=_signed(settings, "wh_1", body)),
                503,
                "kyc.provider_unconfigured",
            )
            await asyncio.sleep(0.3)  # a sandbox would have verified it by now
            mine = await http.get("/api/v1/kyc", headers=investor.headers)
    assert mine.json()["status"] == "pending"
