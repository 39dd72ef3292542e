"""The scheduler moves auctions when their time comes, idempotently, one auction at a time:
a step that fails holds back only its own auction."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import httpx
from fastapi import FastAPI

from liquibond.auctions.schemas import BidCreate
from liquibond.auctions.service import AuctionService, market_date
from liquibond.identity.models import Role
from liquibond.identity.service import Principal
from liquibond.ledger.models import Bucket
from liquibond.platform.db import utcnow
from liquibond.platform.uow import UnitOfWork
from tests.auctions.conftest import balance, bidder, cash, create, get, list_bond, run_job
from tests.helpers import LoggedIn, assert_problem
from tests.valuation.helpers import isin


async def test_the_job_runs_an_auction_on_its_schedule(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    t0 = utcnow()
    announce, opens, closes = (t0 + timedelta(hours=h) for h in (1, 2, 3))
    settles = market_date(closes) + timedelta(days=1)
    created = await create(
        client,
        market,
        offering=10_000,
        announce_at=announce.isoformat(),
        opens_at=opens.isoformat(),
        closes_at=closes.isoformat(),
        settles_on=settles.isoformat(),
    )
    assert created.status_code == 201, created.text
    auction_id = created.json()["id"]
    path = f"/api/v1/auctions/{auction_id}"

    async def status() -> str:
        return str((await get(client, path, market.issuer))["status"])

    assert await run_job(app, t0) == 0
    assert await status() == "draft"
    assert (await client.get(path)).status_code == 404  # not public yet
    assert await run_job(app, announce) == 1
    assert await status() == "announced"
    assert (await client.get(path)).status_code == 200
    assert await run_job(app, announce + timedelta(minutes=30)) == 0  # nothing more yet
    assert await run_job(app, opens) == 1
    assert await status() == "bidding"

    # Bids at the clock's time (the HTTP API uses the real one).
    investor = await bidder(client, app, 10**9)
    assert_problem(
        await client.post(
            f"{path}/bids", json={"quantity": 100, "price": "100"}, headers=investor.headers
        ),
        409,
        "auction.not_bidding",  # the real now is before the opening
    )
    await _bid(app, investor, auction_id, 4_000, "100.5", opens + timedelta(minutes=1))
    await _bid(app, investor, auction_id, 8_000, "100", opens + timedelta(minutes=2))

    assert await run_job(app, closes) == 1  # closes and clears at once
    cleared = await get(client, path)
    assert cleared["status"] == "cleared"
    assert cleared["results"]["cut_off"] == "100"
    assert cleared["results"]["partial_allotment"] == "75.00"
    assert await run_job(app, closes + timedelta(minutes=1)) == 0  # settles on its date
    tomorrow = closes + timedelta(days=1)
    assert await run_job(app, tomorrow) == 1
    settled = await get(client, path)
    assert settled["status"] == "settled"
    assert await balance(app, investor, market.isin, Bucket.AVAILABLE) == 10_000
    assert (await cash(app, investor))[1] == 0
    # Run again: nothing moves, nobody is paid twice.
    issuer_cash = await balance(app, market.issuer, "INR", Bucket.AVAILABLE)
    assert await run_job(app, tomorrow) == 0
    assert await run_job(app, tomorrow + timedelta(days=1)) == 0
    assert await balance(app, market.issuer, "INR", Bucket.AVAILABLE) == issuer_cash


async def test_a_failing_step_holds_back_only_its_auction(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    healthy, broken = (
        await list_bond(client, app),
        await list_bond(client, app, isin=isin("IN002023010"), name="7.18% GS 2033"),
    )
    t0 = utcnow()
    times = {
        "announce_at": (t0 + timedelta(hours=1)).isoformat(),
        "opens_at": (t0 + timedelta(hours=2)).isoformat(),
        "closes_at": (t0 + timedelta(hours=3)).isoformat(),
        "settles_on": (market_date(t0 + timedelta(hours=3)) + timedelta(days=1)).isoformat(),
    }
    ids = []
    for market in (healthy, broken):
        created = await create(client, market, offering=10_000, **times)
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    # The second bond is suspended: its auction cannot open.
    suspended = await client.post(
        f"/api/v1/instruments/{broken.id}/suspend",
        json={"reason": "Under review"},
        headers=broken.admin.headers,
    )
    assert suspended.status_code == 200, suspended.text
    assert await run_job(app, t0 + timedelta(hours=2)) == 2  # both announced; one opened
    statuses = [(await get(client, f"/api/v1/auctions/{i}"))["status"] for i in ids]
    assert statuses == ["bidding", "announced"]
    assert await run_job(app, t0 + timedelta(hours=2, minutes=1)) == 0  # still stuck, logged
    assert (await get(client, f"/api/v1/auctions/{ids[1]}"))["status"] == "announced"


async def _bid(
    app: FastAPI, user: LoggedIn, auction_id: str, quantity: int, price: str, at: datetime
) -> None:
    principal = Principal(uuid.UUID(user.user_id), frozenset({Role.INVESTOR}))
    async with UnitOfWork(app.state.database) as uow:
        await AuctionService(uow.session).place_bid(
            principal,
            uuid.UUID(auction_id),
            BidCreate(quantity=quantity, price=Decimal(price)),
            at,
        )
        await uow.commit()
