"""Trading tests: a listed G-sec, verified investors with cash or bonds."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from liquibond.ledger.entries import RAIL_IN_TRANSIT, AccountKey, Owner
from liquibond.ledger.models import Bucket
from liquibond.ledger.service import LedgerService
from liquibond.platform.uow import UnitOfWork
from tests.helpers import LoggedIn, make_admin
from tests.instruments.test_instruments_api import GSEC, draft, issuer
from tests.payments.conftest import verified_investor

__all__ = ["GSEC", "Market", "balances", "list_bond", "order", "verified_investor"]


@dataclass
class Market:
    """A listed bond, its issuer (holding the whole issue) and an admin."""

    bond: dict[str, Any]
    issuer: LoggedIn
    admin: LoggedIn

    @property
    def id(self) -> str:
        return str(self.bond["id"])

    @property
    def isin(self) -> str:
        return str(self.bond["isin"])


async def list_bond(client: httpx.AsyncClient, app: FastAPI, **overrides: Any) -> Market:
    """List the 7.26% GS 2032 (face ₹100, tick 0.0025, lots of 100 units), with any terms or
    market parameters overridden."""
    admin = await make_admin(app, client)
    bank = await issuer(client, admin)
    drafted = await draft(client, bank, **overrides)
    assert drafted.status_code == 201, drafted.text
    bond = drafted.json()
    await client.post(f"/api/v1/instruments/{bond['id']}/submit", headers=bank.headers)
    listed = await client.post(f"/api/v1/instruments/{bond['id']}/approve", headers=admin.headers)
    assert listed.json()["status"] == "listed", listed.text
    return Market(listed.json(), bank, admin)


async def fund_cash(app: FastAPI, user: LoggedIn, amount: int) -> None:
    """Credit `amount` paise to the user's available INR (as a confirmed deposit would)."""
    async with UnitOfWork(app.state.database) as uow:
        await LedgerService(uow.session).move(
            "deposit",
            "Test deposit",
            source=AccountKey(RAIL_IN_TRANSIT, "INR", Bucket.SYSTEM),
            destination=AccountKey(Owner.user(uuid.UUID(user.user_id)), "INR", Bucket.AVAILABLE),
            amount=amount,
        )
        await uow.commit()


async def fund_units(app: FastAPI, market: Market, user: LoggedIn, units: int) -> None:
    """Give the user `units` of the bond from the issuer's holding."""
    async with UnitOfWork(app.state.database) as uow:
        await LedgerService(uow.session).move(
            "transfer",
            "Test transfer",
            source=AccountKey(
                Owner.user(uuid.UUID(market.issuer.user_id)), market.isin, Bucket.AVAILABLE
            ),
            destination=AccountKey(
                Owner.user(uuid.UUID(user.user_id)), market.isin, Bucket.AVAILABLE
            ),
            amount=units,
        )
        await uow.commit()


async def balances(client: httpx.AsyncClient, user: LoggedIn) -> dict[tuple[str, str], int]:
    """My balances keyed by (asset, bucket); absent accounts read as missing."""
    rows: list[dict[str, Any]] = (await client.get("/api/v1/accounts", headers=user.headers)).json()
    return {(row["asset"], row["bucket"]): row["balance"] for row in rows}


async def order(
    client: httpx.AsyncClient,
    user: LoggedIn,
    market: Market,
    side: str,
    price: str,
    quantity: int,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> httpx.Response:
    """Send an order."""
    body = {
        "instrument_id": market.id,
        "client_order_id": extra.pop("client_order_id", uuid.uuid4().hex),
        "side": side,
        "price": price,
        "quantity": quantity,
        **extra,
    }
    return await client.post(
        "/api/v1/orders", json=body, headers={**user.headers, **(headers or {})}
    )
