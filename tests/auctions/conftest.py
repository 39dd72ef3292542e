"""Auction tests: a listed G-sec to re-issue, a submitted bond to issue new, verified
bidders with cash, and helpers to run an auction over HTTP.

The background job is off (interval 0): tests take the steps over HTTP or run the job with
the time they need (`run_job(app, now)`), the clock seam of
:func:`liquibond.auctions.runtime.run_due`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from liquibond.auctions.runtime import run_due
from liquibond.config import Settings
from liquibond.ledger.entries import AccountKey, Owner
from liquibond.ledger.models import Bucket
from liquibond.ledger.service import LedgerService
from liquibond.platform.db import utcnow
from liquibond.platform.uow import UnitOfWork
from liquibond.valuation.service import MARKET_TIME, trade_date
from tests.conftest import make_settings
from tests.helpers import LoggedIn, make_admin
from tests.instruments.test_instruments_api import GSEC, draft, issuer
from tests.trading.conftest import Market, fund_cash, list_bond, verified_investor
from tests.valuation.helpers import isin

__all__ = ["Market", "fund_cash", "list_bond", "verified_investor"]

CRORE_UNITS = 100_000  # Rs 1 crore of face in units of Rs 100
FACE = 100_00  # Rs 100 a unit, in paise


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The app's settings, with the background jobs off."""
    return make_settings(
        database_url,
        tmp_path,
        auctions_interval_seconds=0,
        corporate_actions_interval_seconds=0,
        sandbox_rail_delay_seconds=0,
    )


def today() -> date:
    """Today's Indian market date."""
    return trade_date()


def schedule(**overrides: Any) -> dict[str, Any]:
    """Times of an auction announced now, open soon, closing later today (market time), and
    settling today: a test opens and closes it early over HTTP."""
    now = utcnow()
    end_of_day = datetime.combine(today() + timedelta(days=1), time(0), MARKET_TIME)
    closes = min(now + timedelta(hours=1), end_of_day - timedelta(seconds=1))
    opens = now + (closes - now) / 2
    times = {"announce_at": now, "opens_at": opens, "closes_at": closes, "settles_on": today()}
    times.update(overrides)
    return {k: v.isoformat() if isinstance(v, datetime | date) else v for k, v in times.items()}


async def run_job(app: FastAPI, now: datetime) -> int:
    """Run the auctions job as the scheduler does, at `now`."""
    return await run_due(app.state.database, now)


async def new_issue(client: httpx.AsyncClient, app: FastAPI, **overrides: Any) -> Market:
    """A 10-year G-sec submitted for listing, issued today: what a yield auction sells (its
    coupon, 7%, is provisional)."""
    admin = await make_admin(app, client)
    bank = await issuer(client, admin)
    issued = today()
    terms: dict[str, Any] = {
        "isin": isin("IN002025001"),
        "name": "New GS 2035",
        "coupon_rate": "7",
        "issue_date": issued.isoformat(),
        "maturity_date": issued.replace(year=issued.year + 10).isoformat(),
        **overrides,
    }
    drafted = await draft(client, bank, **terms)
    assert drafted.status_code == 201, drafted.text
    bond = drafted.json()
    submitted = await client.post(f"/api/v1/instruments/{bond['id']}/submit", headers=bank.headers)
    assert submitted.json()["status"] == "pending_approval", submitted.text
    return Market(submitted.json(), bank, admin)


async def create(
    client: httpx.AsyncClient, market: Market, who: LoggedIn | None = None, **overrides: Any
) -> httpx.Response:
    """Draft an auction of `market` (by its issuer unless `who`)."""
    body = {
        "instrument_id": market.id,
        "format": "uniform",
        "offering": 100_000,
        **schedule(),
        **overrides,
    }
    return await client.post("/api/v1/auctions", json=body, headers=(who or market.issuer).headers)


async def step(
    client: httpx.AsyncClient, who: LoggedIn, auction_id: str, name: str
) -> httpx.Response:
    """Take a lifecycle step over HTTP."""
    return await client.post(f"/api/v1/auctions/{auction_id}/{name}", headers=who.headers)


async def stepped(client: httpx.AsyncClient, who: LoggedIn, auction_id: str, name: str) -> Any:
    """Take a step that must succeed; the auction after it."""
    response = await step(client, who, auction_id, name)
    assert response.status_code == 200, response.text
    return response.json()


async def running(client: httpx.AsyncClient, market: Market, **overrides: Any) -> dict[str, Any]:
    """An auction created, announced and opened: taking bids."""
    created = await create(client, market, **overrides)
    assert created.status_code == 201, created.text
    auction_id = created.json()["id"]
    await stepped(client, market.issuer, auction_id, "announce")
    opened: dict[str, Any] = await stepped(client, market.issuer, auction_id, "open")
    assert opened["status"] == "bidding"
    return opened


async def bid(
    client: httpx.AsyncClient, who: LoggedIn, auction_id: str, quantity: int, **quote: Any
) -> httpx.Response:
    """Place a bid (`price=...`, `yield_percent=...`, or neither: non-competitive)."""
    return await client.post(
        f"/api/v1/auctions/{auction_id}/bids",
        json={"quantity": quantity, **{k: str(v) for k, v in quote.items()}},
        headers=who.headers,
    )


async def placed(
    client: httpx.AsyncClient, who: LoggedIn, auction_id: str, quantity: int, **quote: Any
) -> dict[str, Any]:
    """A bid that must be accepted."""
    response = await bid(client, who, auction_id, quantity, **quote)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def bidder(client: httpx.AsyncClient, app: FastAPI, cash: int) -> LoggedIn:
    """A verified investor with `cash` paise available."""
    user = await verified_investor(client)
    await fund_cash(app, user, cash)
    return user


async def balance(app: FastAPI, user: LoggedIn | uuid.UUID, asset: str, bucket: Bucket) -> int:
    """One of a user's balances."""
    user_id = user if isinstance(user, uuid.UUID) else uuid.UUID(user.user_id)
    async with UnitOfWork(app.state.database, write=False) as uow:
        return await LedgerService(uow.session).balance(
            AccountKey(Owner.user(user_id), asset, bucket)
        )


async def cash(app: FastAPI, user: LoggedIn) -> tuple[int, int]:
    """A user's (available, locked) INR."""
    return (
        await balance(app, user, "INR", Bucket.AVAILABLE),
        await balance(app, user, "INR", Bucket.LOCKED),
    )


async def get(client: httpx.AsyncClient, path: str, who: LoggedIn | None = None) -> Any:
    """GET that must succeed."""
    response = await client.get(path, headers=who.headers if who else None)
    assert response.status_code == 200, response.text
    return response.json()


__all__ += ["GSEC"]
