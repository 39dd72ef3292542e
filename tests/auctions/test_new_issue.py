"""A new issue bid in yield: the cut-off yield becomes the coupon, settlement lists the bond
and issues its units to the winners (none to the issuer)."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import httpx
from fastapi import FastAPI

from liquibond.ledger.models import Bucket
from tests.auctions.conftest import (
    FACE,
    balance,
    bidder,
    cash,
    get,
    new_issue,
    placed,
    running,
    stepped,
)
from tests.auctions.test_lifecycle import hand_price
from tests.helpers import assert_problem

BIDS = [("A", 40_000, "7.1"), ("B", 50_000, "7.15"), ("C", 30_000, "7.2")]


async def test_a_uniform_yield_auction_sets_the_coupon_and_issues_at_par(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await new_issue(client, app)
    auction = await running(client, market, basis="yield", offering=100_000, max_yield="8")
    users = {}
    for name, units, quote in BIDS:
        users[name] = await bidder(client, app, units * FACE)
        made = await placed(client, users[name], auction["id"], units, yield_percent=quote)
        assert made["yield_percent"] == quote and made["price"] is None
        assert made["reserved"] == units * FACE  # at par: the coupon is the cut-off
    # The bond is not public yet, but its auction is, with its terms; the coupon is to come.
    assert (await client.get(f"/api/v1/instruments/{market.id}")).status_code == 404
    public = await get(client, f"/api/v1/auctions/{auction['id']}")
    assert public["bond"]["coupon_rate"] is None
    assert public["bond"]["maturity_date"] == market.bond["maturity_date"]

    await stepped(client, market.issuer, auction["id"], "close")
    results = (await stepped(client, market.issuer, auction["id"], "clear"))["results"]
    # Lowest yields first: A and B in full (90,000), C pro-rated to the 10,000 left.
    assert results["cut_off"] == "7.2" and results["coupon_rate"] == "7.2"
    assert (await get(client, f"/api/v1/auctions/{auction['id']}"))["bond"]["coupon_rate"] == "7.2"
    assert results["partial_allotment"] == "33.34"
    assert results["weighted_average"] == "7.135"  # (40k x 7.10 + 50k x 7.15 + 10k x 7.20) / 100k
    allocations = (
        await get(client, f"/api/v1/auctions/{auction['id']}/allocations", market.issuer)
    )["items"]
    assert [(a["quantity"], a["price"], a["yield_percent"]) for a in allocations] == [
        (40_000, "100", "7.2"),
        (50_000, "100", "7.2"),
        (10_000, "100", "7.2"),
    ]

    settled = await stepped(client, market.issuer, auction["id"], "settle")
    assert settled["status"] == "settled"
    bond = await get(client, f"/api/v1/instruments/{market.id}")
    assert bond["status"] == "listed"
    assert bond["coupon_rate"] == "7.2" and bond["issue_size_units"] == 100_000
    assert await balance(app, market.issuer, "INR", Bucket.AVAILABLE) == 100_000 * FACE
    assert await balance(app, market.issuer, market.isin, Bucket.AVAILABLE) == 0
    for name, units, _ in BIDS:
        allotted = {"A": 40_000, "B": 50_000, "C": 10_000}[name]
        assert await balance(app, users[name], market.isin, Bucket.AVAILABLE) == allotted
        assert await cash(app, users[name]) == ((units - allotted) * FACE, 0)


async def test_a_multiple_price_yield_auction_charges_a_premium_below_the_cut_off(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await new_issue(client, app)
    auction = await running(
        client,
        market,
        format="multiple",
        basis="yield",
        offering=100_000,
        max_yield="7.5",
        min_yield="6.5",
        non_competitive_share="0.05",
    )
    users = {}
    funds = 200 * FACE * 100_000
    for name, units, quote in BIDS:
        users[name] = await bidder(client, app, funds)
        await placed(client, users[name], auction["id"], units, yield_percent=quote)
    users["N"] = await bidder(client, app, funds)
    await placed(client, users["N"], auction["id"], 5_000)
    await stepped(client, market.issuer, auction["id"], "close")
    results = (await stepped(client, market.issuer, auction["id"], "clear"))["results"]
    # 5,000 non-competitive leave 95,000: A, B in full, C gets 5,000.
    assert results["cut_off"] == "7.2" and results["coupon_rate"] == "7.2"
    allocations = {
        a["user_id"]: a
        for a in (
            await get(client, f"/api/v1/auctions/{auction['id']}/allocations", market.issuer)
        )["items"]
    }
    wa = Decimal(results["weighted_average"])
    for name, quote in (("A", "7.1"), ("B", "7.15"), ("C", "7.2"), ("N", str(wa))):
        allocation = allocations[users[name].user_id]
        # Par plus the premium of the bid's yield over the coupon, checked by hand.
        premium = hand_price(quote, "7.2") - hand_price("7.2", "7.2")
        expected = (100 + premium).quantize(Decimal("0.0001"), ROUND_HALF_EVEN)
        assert Decimal(allocation["price"]) == expected, name
        assert allocation["amount"] == allocation["quantity"] * 100 * expected, name
        assert allocation["amount"] <= allocation["reserved"]
    assert Decimal(allocations[users["A"].user_id]["price"]) > 100
    assert allocations[users["C"].user_id]["price"] == "100"

    await stepped(client, market.issuer, auction["id"], "settle")
    raised = sum(a["amount"] for a in allocations.values())
    assert await balance(app, market.issuer, "INR", Bucket.AVAILABLE) == raised
    for name, user in users.items():
        allocation = allocations[user.user_id]
        assert await cash(app, user) == (funds - allocation["amount"], 0), name


async def test_yield_auction_refusals(client: httpx.AsyncClient, app: FastAPI) -> None:
    market = await new_issue(client, app)
    auction = await running(client, market, basis="yield", offering=100_000, max_yield="8")
    investor = await bidder(client, app, 10**9)
    path = f"/api/v1/auctions/{auction['id']}/bids"
    refused = await client.post(
        path, json={"quantity": 1_000, "price": "100"}, headers=investor.headers
    )
    assert_problem(refused, 422, "auction.wrong_basis")
    refused = await client.post(
        path, json={"quantity": 1_000, "yield_percent": "8.5"}, headers=investor.headers
    )
    assert_problem(refused, 422, "auction.quote_out_of_range")
    refused = await client.post(
        path, json={"quantity": 1_000, "yield_percent": "7.12345"}, headers=investor.headers
    )
    assert_problem(refused, 422, "request.validation_failed")
    # The bond is listed by the auction: an admin approving it meanwhile stops settlement.
    await placed(client, investor, auction["id"], 1_000, yield_percent="7")
    await stepped(client, market.issuer, auction["id"], "close")
    await stepped(client, market.issuer, auction["id"], "clear")
    approved = await client.post(
        f"/api/v1/instruments/{market.id}/approve", headers=market.admin.headers
    )
    assert approved.status_code == 200
    assert_problem(
        await client.post(
            f"/api/v1/auctions/{auction['id']}/settle", headers=market.issuer.headers
        ),
        409,
        "auction.instrument_unavailable",
    )
    await stepped(client, market.issuer, auction["id"], "cancel")
    assert await cash(app, investor) == (10**9, 0)
