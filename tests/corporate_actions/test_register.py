"""The register's sources: the ledger's holders of a bond and the trades not yet settled."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from fastapi import FastAPI

from liquibond.ledger.models import Bucket
from liquibond.ledger.service import LedgerService
from liquibond.platform.uow import UnitOfWork
from liquibond.trading.settlements import units_settling_after
from tests.corporate_actions.conftest import corporate_bond, settles_today, today
from tests.trading.conftest import fund_cash, fund_units, order, verified_investor


async def test_holders_and_the_units_trades_deliver_after_a_date(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await corporate_bond(client, app, today() + timedelta(days=40))
    seller, buyer = await verified_investor(client), await verified_investor(client)
    await fund_units(app, market, seller, 500)
    await fund_cash(app, buyer, 1_00_000_00)
    assert (await order(client, seller, market, "sell", "101", 200)).status_code == 201  # rests
    assert (await order(client, seller, market, "sell", "100", 100)).status_code == 201
    assert (await order(client, buyer, market, "buy", "100", 100)).json()["status"] == "filled"

    ids = {uuid.UUID(u.user_id): name for u, name in ((seller, "seller"), (buyer, "buyer"))}
    issuer = uuid.UUID(market.issuer.user_id)
    async with UnitOfWork(app.state.database, write=False) as uow:
        ledger = LedgerService(uow.session)
        held = {ids.get(user, user): units for user, units in await ledger.holders(market.isin)}
        available = dict(await ledger.holders(market.isin, (Bucket.AVAILABLE,)))
        settles = settles_today()
        pending = await units_settling_after(
            uow.session, uuid.UUID(market.id), settles - timedelta(1)
        )
        settled = await units_settling_after(uow.session, uuid.UUID(market.id), settles)
    # Locked units (the resting sell order's) are still held; the issuer holds the rest.
    assert held == {"seller": 400, "buyer": 100, issuer: 1_000_000 - 500}
    assert available[uuid.UUID(seller.user_id)] == 200
    assert {ids[user]: units for user, units in pending.items()} == {"buyer": 100, "seller": -100}
    assert settled == {}
