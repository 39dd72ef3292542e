"""Order entry's own transaction only reads: the checks run beside the book writer, and an
`Idempotency-Key` is stored after the writer answered."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from liquibond.platform.db import utcnow
from liquibond.platform.routing import IdempotencyRecord
from liquibond.platform.uow import UnitOfWork
from tests.helpers import assert_problem
from tests.trading.conftest import fund_cash, list_bond, order, verified_investor


async def test_checks_do_not_wait_for_another_writer(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    investor = await verified_investor(client)
    # Another writer holds the database's write lock (on SQLite, taken at BEGIN IMMEDIATE).
    async with UnitOfWork(app.state.database) as writer:
        await writer.session.get(IdempotencyRecord, ("nobody", "nothing"))
        refused = await asyncio.wait_for(
            order(client, investor, market, "buy", "100.001", 100), timeout=10
        )
        assert_problem(refused, 422, "order.invalid_tick")
        amended = await asyncio.wait_for(
            client.patch(
                "/api/v1/orders/01a20262-a6d2-7ef0-9e09-1027144fe157",
                json={"quantity": 100},
                headers=investor.headers,
            ),
            timeout=10,
        )
        assert_problem(amended, 404, "order.not_found")


async def test_a_lapsed_key_is_replaced_by_the_next_order(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    investor = await verified_investor(client)
    await fund_cash(app, investor, 1_000_000_00)
    key = {"Idempotency-Key": "order-key-1"}
    first = await order(client, investor, market, "buy", "99", 100, headers=key)
    assert first.status_code == 201, first.text
    replayed = await order(
        client, investor, market, "buy", "99", 100, headers=key,
        client_order_id=first.json()["client_order_id"],
    )  # fmt: skip
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == first.json()

    async with UnitOfWork(app.state.database) as uow:
        await uow.session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.key == key["Idempotency-Key"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await uow.commit()
    second = await order(client, investor, market, "buy", "98", 200, headers=key)
    assert second.status_code == 201, second.text
    assert second.json()["id"] != first.json()["id"]
    again = await order(
        client, investor, market, "buy", "98", 200, headers=key,
        client_order_id=second.json()["client_order_id"],
    )  # fmt: skip
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == second.json()
