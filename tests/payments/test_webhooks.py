"""The rail's webhook: refused when forged, stale or malformed; applied once when duplicated."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from liquibond.payments.models import Payment
from liquibond.payments.runtime import expire_collects_once
from liquibond.platform.db import utcnow
from liquibond.platform.uow import UnitOfWork
from liquibond.platform.webhooks import sign
from tests.helpers import assert_problem, make_admin
from tests.payments.conftest import balances, verified_investor

PATH = "/api/v1/webhooks/payments"


def signed(
    app: FastAPI,
    payload: dict[str, object],
    webhook_id: str,
    *,
    at: int | None = None,
    secret: bytes | None = None,
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    key = secret or app.state.settings.webhook_secret("payments")
    headers = sign(key, webhook_id, body, timestamp=at).as_dict()
    return body, {**headers, "content-type": "application/json"}


async def pending_deposit(
    client: httpx.AsyncClient, app: FastAPI, amount: int
) -> tuple[object, str]:
    """A deposit the rail will never confirm by itself (the payer 'never approves')."""
    user = await verified_investor(client)
    payment = (
        await client.post(
            "/api/v1/deposits",
            json={"amount": amount, "method": "upi", "payer_vpa": "expire.me@okicici"},
            headers=user.headers,
        )
    ).json()
    return user, payment["rail_reference"]


async def test_duplicate_delivery_credits_once(client: httpx.AsyncClient, app: FastAPI) -> None:
    user, reference = await pending_deposit(client, app, 3_000_00)
    event = {"type": "collect.succeeded", "rail_reference": reference, "amount": 3_000_00}
    body, headers = signed(app, event, "wh_dup_1")
    first = await client.post(PATH, content=body, headers=headers)
    again = await client.post(PATH, content=body, headers=headers)
    assert first.json() == {"status": "processed"} and again.json() == {"status": "duplicate"}
    # The rail retrying under a new webhook id still cannot credit twice.
    body, headers = signed(app, event, "wh_dup_2")
    assert (await client.post(PATH, content=body, headers=headers)).status_code == 200
    assert await balances(client, user) == {("INR", "available"): 3_000_00}  # type: ignore[arg-type]


async def test_tampered_stale_and_forged_webhooks_are_refused(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    user, reference = await pending_deposit(client, app, 1_000_00)
    event = {"type": "collect.succeeded", "rail_reference": reference, "amount": 1_000_00}
    body, headers = signed(app, event, "wh_t1")
    tampered = body.replace(b"100000", b"900000")
    assert_problem(
        await client.post(PATH, content=tampered, headers=headers), 401, "webhook.bad_signature"
    )

    stale_body, stale_headers = signed(app, event, "wh_t2", at=int(time.time()) - 600)
    assert_problem(
        await client.post(PATH, content=stale_body, headers=stale_headers), 401, "webhook.stale"
    )

    forged_body, forged_headers = signed(app, event, "wh_t3", secret=b"attacker")
    assert_problem(
        await client.post(PATH, content=forged_body, headers=forged_headers),
        401,
        "webhook.bad_signature",
    )
    assert_problem(await client.post(PATH, content=body), 401, "webhook.missing_headers")
    assert await balances(client, user) == {}  # type: ignore[arg-type]


async def test_unknown_reference_mismatch_and_malformed(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    admin = await make_admin(app, client)
    user, reference = await pending_deposit(client, app, 2_000_00)
    body, headers = signed(
        app, {"type": "collect.succeeded", "rail_reference": "COLNOPE", "amount": 1}, "wh_u1"
    )
    assert_problem(await client.post(PATH, content=body, headers=headers), 404, "payment.not_found")

    wrong = {"type": "collect.succeeded", "rail_reference": reference, "amount": 2_000_01}
    body, headers = signed(app, wrong, "wh_u2")
    assert_problem(
        await client.post(PATH, content=body, headers=headers), 422, "payment.amount_mismatch"
    )
    audit = (
        await client.get(
            "/api/v1/admin/audit",
            params={"action": "payment.amount_mismatch"},
            headers=admin.headers,
        )
    ).json()["items"]
    assert audit[0]["payload"] == {"expected": 2_000_00, "reported": 2_000_01}

    for payload in (
        {"type": "collect.succeeded", "rail_reference": reference, "amount": 2000.0},
        {"type": "collect.succeeded"},
    ):
        body, headers = signed(app, payload, f"wh_m{len(payload)}")
        assert_problem(
            await client.post(PATH, content=body, headers=headers), 400, "webhook.malformed"
        )
    body, headers = signed(
        app, {"type": "collect.refunded", "rail_reference": reference, "amount": 2_000_00}, "wh_u3"
    )
    assert_problem(
        await client.post(PATH, content=body, headers=headers), 422, "webhook.unknown_type"
    )
    assert await balances(client, user) == {}  # type: ignore[arg-type]


async def test_outcome_after_a_final_state_is_a_conflict(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    user, reference = await pending_deposit(client, app, 1_00)
    async with UnitOfWork(app.state.database) as uow:
        await uow.session.execute(
            update(Payment).where(Payment.rail_reference == reference).values(status="failed")
        )
        await uow.commit()
    body, headers = signed(
        app, {"type": "collect.succeeded", "rail_reference": reference, "amount": 1_00}, "wh_c"
    )
    assert_problem(
        await client.post(PATH, content=body, headers=headers), 409, "payment.invalid_transition"
    )
    assert await balances(client, user) == {}  # type: ignore[arg-type]


async def test_unapproved_collects_expire(client: httpx.AsyncClient, app: FastAPI) -> None:
    user, reference = await pending_deposit(client, app, 5_00)
    assert await expire_collects_once(app) == 0  # not old yet
    async with UnitOfWork(app.state.database) as uow:
        await uow.session.execute(
            update(Payment)
            .where(Payment.rail_reference == reference)
            .values(created_at=utcnow() - timedelta(hours=1))
        )
        await uow.commit()
    assert await expire_collects_once(app) == 1
    payments = (await client.get("/api/v1/payments", headers=user.headers)).json()["items"]  # type: ignore[attr-defined]
    assert payments[0]["status"] == "expired"
    # A late approval from the rail can no longer credit it.
    body, headers = signed(
        app, {"type": "collect.succeeded", "rail_reference": reference, "amount": 5_00}, "wh_late"
    )
    assert_problem(
        await client.post(PATH, content=body, headers=headers), 409, "payment.invalid_transition"
    )
    assert await balances(client, user) == {}  # type: ignore[arg-type]
