"""An English auction over HTTP: the live best bid is public, each bid must beat it by the
increment, an outbid bidder's cash is released at once, and a bid near the end moves it."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from fastapi import FastAPI

from liquibond.ledger.models import Bucket
from liquibond.platform.db import utcnow
from tests.auctions.conftest import (
    balance,
    bid,
    bidder,
    cash,
    get,
    list_bond,
    placed,
    run_job,
    running,
    schedule,
)
from tests.auctions.test_api import trade_cash
from tests.helpers import assert_problem

OFFERING = 10_000


async def test_an_english_auction_with_a_soft_close(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    now = utcnow()
    close = now + timedelta(seconds=30)
    auction = await running(
        client,
        market,
        format="english",
        offering=OFFERING,
        min_price="100",
        min_increment="0.25",
        soft_close_seconds=60,
        **schedule(announce_at=now, opens_at=now + timedelta(seconds=5), closes_at=close),
    )
    assert auction["visibility"] == "open" and auction["english"] == {
        "best_price": None,
        "minimum_bid": "100",
        "bids": 0,
    }
    funds = 2 * OFFERING * 100_00
    alice, bob = await bidder(client, app, funds), await bidder(client, app, funds)
    path = f"/api/v1/auctions/{auction['id']}"

    assert_problem(
        await bid(client, alice, auction["id"], OFFERING, price="99.75"), 422, "auction.bid_too_low"
    )
    assert_problem(
        await bid(client, alice, auction["id"], OFFERING // 2, price="100"),
        422,
        "auction.bid_not_whole_offering",
    )
    assert_problem(
        await bid(client, alice, auction["id"], OFFERING),
        422,
        "auction.non_competitive_not_offered",
    )
    first = await placed(client, alice, auction["id"], OFFERING, price="100")
    live = await get(client, path)
    assert live["english"] == {"best_price": "100", "minimum_bid": "100.25", "bids": 1}
    # Bid in the last 60 seconds: the close moves 60 seconds later.
    extended = datetime.fromisoformat(live["closes_at"])
    assert extended - close == timedelta(seconds=60) - timedelta(
        microseconds=close.microsecond % 1000
    )
    assert live["scheduled_close_at"] == close.isoformat().replace("+00:00", "Z")

    assert_problem(
        await bid(client, alice, auction["id"], OFFERING, price="100.5"),
        409,
        "auction.already_leading",
    )
    low = await bid(client, bob, auction["id"], OFFERING, price="100.1")
    assert_problem(low, 422, "auction.bid_too_low")
    assert low.json()["minimum_bid"] == "100.25"
    second = await placed(client, bob, auction["id"], OFFERING, price="100.25")
    # Alice is outbid: her cash is free again.
    assert await cash(app, alice) == (funds, 0)
    bids = (await get(client, f"{path}/bids", alice))["items"]
    assert [(b["mine"], b["status"], b["price"]) for b in bids] == [
        (True, "outbid", "100"),
        (False, "active", "100.25"),
    ]
    # English bids are binding.
    assert_problem(
        await client.delete(f"{path}/bids/{second['id']}", headers=bob.headers),
        409,
        "auction.bid_final",
    )
    assert_problem(
        await client.patch(
            f"{path}/bids/{first['id']}", json={"price": "101"}, headers=alice.headers
        ),
        409,
        "auction.bid_final",
    )
    # Bob bid more than 60 seconds before the (moved) close: it stays.
    live = await get(client, path)
    closes = datetime.fromisoformat(live["closes_at"])
    assert closes == extended
    assert live["english"] == {"best_price": "100.25", "minimum_bid": "100.5", "bids": 2}

    # The scheduler does nothing at the original close, and everything after the moved one.
    assert await run_job(app, close + timedelta(seconds=1)) == 0
    assert (await get(client, path))["status"] == "bidding"
    assert await run_job(app, closes + timedelta(seconds=1)) == 1
    done = await get(client, path)
    assert done["status"] == "settled"
    assert done["results"]["cut_off"] == "100.25"
    due = await trade_cash(client, market, OFFERING, "100.25")
    assert await cash(app, bob) == (funds - due["total"], 0)
    assert await balance(app, bob, market.isin, Bucket.AVAILABLE) == OFFERING
    assert await cash(app, alice) == (funds, 0)
    assert_problem(
        await bid(client, alice, auction["id"], OFFERING, price="105"), 409, "auction.not_bidding"
    )
