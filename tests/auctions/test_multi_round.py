"""A multi-round auction over HTTP: each round sells a tranche, its cut-off is the floor of
the next, and the results add the rounds up."""

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
    running,
    stepped,
)
from tests.helpers import assert_problem


async def test_two_rounds(client: httpx.AsyncClient, app: FastAPI) -> None:
    market = await list_bond(client, app)
    auction = await running(
        client, market, format="multi_round", rounds=2, offering=100_000, min_price="100"
    )
    assert (auction["current_round"], auction["round_offering"]) == (1, 50_000)
    assert auction["round_reference"] == "100"
    funds = 10**9
    a = await bidder(client, app, funds)
    b = await bidder(client, app, funds)
    c = await bidder(client, app, funds)
    assert_problem(
        await bid(client, a, auction["id"], 1_000, price="99.5"), 422, "auction.quote_out_of_range"
    )
    await placed(client, a, auction["id"], 30_000, price="100.5")
    b_first = await placed(client, b, auction["id"], 40_000, price="100.2")

    before = utcnow()
    second = await stepped(client, market.issuer, auction["id"], "close")
    # Round 1 sold its 50,000: a in full, b half; round 2 takes no bid under 100.2.
    assert second["status"] == "bidding"
    assert (second["current_round"], second["round_offering"], second["round_reference"]) == (
        2,
        50_000,
        "100.2",
    )
    closes = datetime.fromisoformat(second["closes_at"])
    assert closes > before + timedelta(minutes=1)
    assert_problem(
        await bid(client, c, auction["id"], 1_000, price="100.1"),
        422,
        "auction.quote_out_of_range",
    )
    # Round 1's bids are settled business: they no longer change.
    assert_problem(
        await client.delete(
            f"/api/v1/auctions/{auction['id']}/bids/{b_first['id']}", headers=b.headers
        ),
        409,
        "auction.bid_not_active",
    )
    await placed(client, c, auction["id"], 60_000, price="100.3")

    await stepped(client, market.issuer, auction["id"], "close")
    results = (await stepped(client, market.issuer, auction["id"], "clear"))["results"]
    assert [(r["number"], r["cut_off"], r["total_allotted"]) for r in results["rounds"]] == [
        (1, "100.2", 50_000),
        (2, "100.3", 50_000),
    ]
    assert results["cut_off"] == "100.2"  # the worst price accepted over the rounds
    assert results["partial_allotment"] == "50.00"
    assert results["total_allotted"] == 100_000 and results["total_bid"] == 130_000
    allocations = (
        await get(client, f"/api/v1/auctions/{auction['id']}/allocations", market.issuer)
    )["items"]
    assert [(a_["round"], a_["quantity"], a_["price"]) for a_ in allocations] == [
        (1, 30_000, "100.2"),
        (1, 20_000, "100.2"),
        (2, 50_000, "100.3"),
    ]
    await stepped(client, market.issuer, auction["id"], "settle")
    for user, units in ((a, 30_000), (b, 20_000), (c, 50_000)):
        assert await balance(app, user, market.isin, Bucket.AVAILABLE) == units
        assert (await cash(app, user))[1] == 0
