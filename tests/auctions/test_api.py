"""A re-issue auction's whole life over HTTP, at the scale of the RBI worked example: bids
reserve cash, clearing reproduces the published cut-off and partial allotment, settlement
pays the issuer, issues the units and releases the rest, exactly once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from liquibond.ledger.entries import EntryDraft
from liquibond.ledger.models import Bucket, JournalEntry
from liquibond.ledger.service import LedgerService
from liquibond.platform.db import utcnow
from tests.auctions.conftest import (
    CRORE_UNITS,
    FACE,
    balance,
    bidder,
    cash,
    get,
    list_bond,
    placed,
    run_job,
    running,
    schedule,
    step,
    stepped,
    today,
)
from tests.helpers import LoggedIn, assert_problem, register_and_login
from tests.trading.conftest import Market

# Notified 1,000 crore, a 5% (50 crore) non-competitive reserve of which 30 crore is bid, so
# 970 crore for the competitive bids (amounts in crore of face, prices per 100).
RBI_BIDS: list[tuple[str, int, str | None]] = [
    ("P1", 300, "101.25"),
    ("P2", 250, "101.10"),
    ("P3", 200, "101.00"),
    ("P4", 150, "100.95"),
    ("P5", 100, "100.95"),
    ("P6", 200, "100.90"),
    ("N1", 20, None),
    ("N2", 10, None),
]
RBI_AWARDS = {"P1": 300, "P2": 250, "P3": 200, "P4": 132, "P5": 88, "P6": 0, "N1": 20, "N2": 10}
MAX_PRICE = "102"


async def trade_cash(
    client: httpx.AsyncClient, market: Market, units: int, price: str
) -> dict[str, int]:
    """What a trade of `units` at `price` settling today costs, as the analytics API says."""
    body = await get(
        client,
        f"/api/v1/instruments/{market.id}/analytics?price={price}&units={units}"
        f"&settlement_date={today().isoformat()}",
    )
    cash: dict[str, int] = body["cash"]
    return cash


async def rbi_auction(
    client: httpx.AsyncClient, app: FastAPI, format_: str
) -> tuple[Market, dict[str, Any], dict[str, LoggedIn], dict[str, dict[str, Any]]]:
    """The RBI example's bids placed in an auction that is bidding."""
    market = await list_bond(client, app)
    auction = await running(
        client,
        market,
        format=format_,
        offering=1000 * CRORE_UNITS,
        lot=100,
        min_bid=100,
        bid_multiple=100,
        rounding="down",
        non_competitive_share="0.05",
        max_price=MAX_PRICE,
    )
    users: dict[str, LoggedIn] = {}
    bids: dict[str, dict[str, Any]] = {}
    for name, crore, price in RBI_BIDS:
        units = crore * CRORE_UNITS
        users[name] = await bidder(client, app, units * FACE * 11 // 10)
        quote = {} if price is None else {"price": price}
        bids[name] = await placed(client, users[name], auction["id"], units, **quote)
        # The most the bid can cost: at its price, a non-competitive one at the maximum.
        most = await trade_cash(client, market, units, price or MAX_PRICE)
        assert bids[name]["reserved"] == most["total"]
        assert await cash(app, users[name]) == (
            units * FACE * 11 // 10 - most["total"],
            most["total"],
        )
    return market, auction, users, bids


@pytest.mark.parametrize("format_", ["uniform", "multiple"])
async def test_the_rbi_example_through_the_api(
    client: httpx.AsyncClient, app: FastAPI, format_: str
) -> None:
    market, auction, users, bids = await rbi_auction(client, app, format_)
    auction_id = auction["id"]
    funded = {name: crore * CRORE_UNITS * FACE * 11 // 10 for name, crore, _ in RBI_BIDS}

    closed = await stepped(client, market.issuer, auction_id, "close")
    assert closed["status"] == "closed" and closed["bids"] == 8
    cleared = await stepped(client, market.issuer, auction_id, "clear")
    assert cleared["status"] == "cleared"

    # Public results: anybody may read them.
    results = await get(client, f"/api/v1/auctions/{auction_id}/results")
    assert results["cut_off"] == "100.95"
    assert results["partial_allotment"] == "88.00"
    assert results["weighted_average"] == "101.0918"
    assert results["bid_to_cover"] == "1.23"
    assert results["total_allotted"] == 1000 * CRORE_UNITS
    assert results["non_competitive_allotted"] == 30 * CRORE_UNITS
    assert results["undersubscribed"] is False
    assert cleared["results"] == results

    # The issuer sees every allocation; P4 only its own.
    everything = await get(client, f"/api/v1/auctions/{auction_id}/allocations", market.issuer)
    by_user = {a["user_id"]: a for a in everything["items"]}
    assert len(by_user) == 8
    for name, _, price in RBI_BIDS:
        allocation = by_user[users[name].user_id]
        assert allocation["quantity"] == RBI_AWARDS[name] * CRORE_UNITS, name
        if RBI_AWARDS[name]:
            # Uniform: all pay the cut-off; multiple: each its bid, non-competitive bids the
            # weighted average.
            expected = "100.95" if format_ == "uniform" else price or "101.0918"
            assert Decimal(allocation["price"]) == Decimal(expected), name
            due = await trade_cash(client, market, allocation["quantity"], expected)
            assert (allocation["principal"], allocation["accrued"], allocation["amount"]) == (
                due["principal"],
                due["accrued"],
                due["total"],
            )
            # The principal checked by hand: units x Rs 100 x price / 100, in paise.
            assert allocation["principal"] == allocation["quantity"] * 100 * Decimal(expected)
        else:
            assert allocation["price"] is None and allocation["amount"] == 0
        assert allocation["refund"] == bids[name]["reserved"] - allocation["amount"]
    mine = await get(client, f"/api/v1/auctions/{auction_id}/allocations", users["P4"])
    assert [a["user_id"] for a in mine["items"]] == [users["P4"].user_id]

    # Settlement: the issuer is paid, the winners get their units, everyone's lock is gone.
    issuer_before = await balance(app, market.issuer, "INR", Bucket.AVAILABLE)
    settled = await stepped(client, market.issuer, auction_id, "settle")
    assert settled["status"] == "settled"
    assert settled["results"]["settled_at"] is not None
    amounts = {users[n].user_id: by_user[users[n].user_id]["amount"] for n in users}
    assert await balance(app, market.issuer, "INR", Bucket.AVAILABLE) == issuer_before + sum(
        amounts.values()
    )
    assert results["amount_raised"] == sum(amounts.values())
    for name, user in users.items():
        amount = amounts[user.user_id]
        assert await cash(app, user) == (funded[name] - amount, 0), name
        units = await balance(app, user, market.isin, Bucket.AVAILABLE)
        assert units == RBI_AWARDS[name] * CRORE_UNITS, name
    bond = await get(client, f"/api/v1/instruments/{market.id}")
    assert bond["issue_size_units"] == 1_000_000 + 1000 * CRORE_UNITS

    # Settling again pays nobody twice.
    assert_problem(
        await step(client, market.issuer, auction_id, "settle"), 409, "auction.invalid_transition"
    )
    assert await balance(app, market.issuer, "INR", Bucket.AVAILABLE) == issuer_before + sum(
        amounts.values()
    )
    entries = await get(client, "/api/v1/accounts/entries", users["P1"])
    # One entry: the locked cash paid and refunded, the units received.
    assert len({e["entry_id"] for e in entries["items"] if e["kind"] == "auction"}) == 1

    # The winners' portfolios carry the allotted units at what they paid (clean).
    p4 = users["P4"]
    [held] = (await get(client, "/api/v1/portfolio/holdings", p4))["items"]
    [lot] = held["lots"]
    allotted = by_user[p4.user_id]
    assert (lot["source"], lot["auction_id"], lot["trade_id"]) == ("auction", auction_id, None)
    assert (lot["units"], lot["cost"]) == (allotted["quantity"], allotted["principal"])
    assert Decimal(lot["average_price"]) == Decimal(allotted["price"])
    assert held["units_without_cost"] == 0


async def test_amending_and_withdrawing_move_the_reservation(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    auction = await running(client, market, offering=100_000)
    investor = await bidder(client, app, 100_000_00)
    made = await placed(client, investor, auction["id"], 500, price="100.5")
    first = (await trade_cash(client, market, 500, "100.5"))["total"]
    assert await cash(app, investor) == (100_000_00 - first, first)

    path = f"/api/v1/auctions/{auction['id']}/bids/{made['id']}"
    amended = await client.patch(
        path, json={"quantity": 800, "price": "101"}, headers=investor.headers
    )
    assert amended.status_code == 200, amended.text
    second = (await trade_cash(client, market, 800, "101"))["total"]
    assert amended.json()["reserved"] == second
    assert await cash(app, investor) == (100_000_00 - second, second)

    smaller = await client.patch(path, json={"quantity": 200}, headers=investor.headers)
    third = (await trade_cash(client, market, 200, "101"))["total"]
    assert smaller.json()["reserved"] == third
    assert await cash(app, investor) == (100_000_00 - third, third)

    withdrawn = await client.delete(path, headers=investor.headers)
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert await cash(app, investor) == (100_000_00, 0)
    assert_problem(
        await client.patch(path, json={"quantity": 300}, headers=investor.headers),
        409,
        "auction.bid_not_active",
    )
    assert_problem(
        await client.delete(path, headers=investor.headers), 409, "auction.bid_not_active"
    )

    # After the close nothing changes any more.
    again = await placed(client, investor, auction["id"], 300, price="100")
    await stepped(client, market.issuer, auction["id"], "close")
    assert_problem(
        await client.delete(
            f"/api/v1/auctions/{auction['id']}/bids/{again['id']}", headers=investor.headers
        ),
        409,
        "auction.not_bidding",
    )


async def test_sealed_bids_are_seen_only_by_their_bidder_until_the_close(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    auction = await running(client, market, offering=100_000)
    alice, bob = await bidder(client, app, 10**9), await bidder(client, app, 10**9)
    mine = await placed(client, alice, auction["id"], 1_000, price="100.25")
    await placed(client, bob, auction["id"], 2_000, price="100.5")
    path = f"/api/v1/auctions/{auction['id']}/bids"

    seen = await get(client, path, alice)
    assert [b["id"] for b in seen["items"]] == [mine["id"]]
    assert seen["items"][0]["mine"] is True and seen["items"][0]["reserved"] > 0
    # The issuer and admins see none while bidding: sealed means sealed.
    assert (await get(client, path, market.issuer))["items"] == []
    assert (await get(client, path, market.admin))["items"] == []
    # The public view tells nothing about the bids either.
    public = await get(client, f"/api/v1/auctions/{auction['id']}")
    assert public["bids"] is None and public["seq"] == auction["seq"]
    # Nor another bidder's bid by its id.
    assert_problem(
        await client.delete(f"{path}/{mine['id']}", headers=bob.headers),
        404,
        "auction.bid_not_found",
    )
    assert_problem(
        await client.patch(f"{path}/{mine['id']}", json={"quantity": 100}, headers=bob.headers),
        404,
        "auction.bid_not_found",
    )

    await stepped(client, market.issuer, auction["id"], "close")
    opened = await get(client, path, market.issuer)
    assert [b["user_id"] for b in opened["items"]] == [alice.user_id, bob.user_id]
    assert all(b["reserved"] is None for b in opened["items"])  # not the issuer's business
    # A bidder still sees only their own.
    assert [b["id"] for b in (await get(client, path, alice))["items"]] == [mine["id"]]


async def test_open_bids_are_public_without_their_bidders(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    auction = await running(client, market, offering=100_000, visibility="open")
    alice, bob = await bidder(client, app, 10**9), await bidder(client, app, 10**9)
    await placed(client, alice, auction["id"], 1_000, price="100.25")
    await placed(client, bob, auction["id"], 2_000, price="100.5")
    seen = (await get(client, f"/api/v1/auctions/{auction['id']}/bids", alice))["items"]
    assert [(b["mine"], b["user_id"], b["price"]) for b in seen] == [
        (True, alice.user_id, "100.25"),
        (False, None, "100.5"),
    ]
    assert seen[1]["reserved"] is None and seen[1]["position"] is None
    public = await get(client, f"/api/v1/auctions/{auction['id']}")
    assert public["bids"] == 2 and public["seq"] == auction["seq"] + 2


async def test_cancelling_releases_every_bid(client: httpx.AsyncClient, app: FastAPI) -> None:
    market = await list_bond(client, app)
    auction = await running(client, market, offering=100_000)
    alice = await bidder(client, app, 10**9)
    await placed(client, alice, auction["id"], 1_000, price="100.25")
    await placed(client, alice, auction["id"], 1_000, price="99")
    await stepped(client, market.issuer, auction["id"], "close")
    await stepped(client, market.issuer, auction["id"], "clear")
    cancelled = await stepped(client, market.admin, auction["id"], "cancel")
    assert cancelled["status"] == "cancelled"
    assert await cash(app, alice) == (10**9, 0)
    bids = (await get(client, f"/api/v1/auctions/{auction['id']}/bids", alice))["items"]
    assert {b["status"] for b in bids} == {"cancelled"}
    assert_problem(
        await step(client, market.issuer, auction["id"], "settle"),
        409,
        "auction.invalid_transition",
    )
    assert await balance(app, alice, market.isin, Bucket.AVAILABLE) == 0


async def test_the_calendar_shows_announced_auctions_to_everyone(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    created = (
        await client.post(
            "/api/v1/auctions",
            json={
                "instrument_id": market.id,
                "format": "multiple",
                "offering": 100_000,
                **schedule(),
            },
            headers=market.issuer.headers,
        )
    ).json()
    stranger = await register_and_login(client)
    # A draft is the issuer's and the admins'.
    assert (await get(client, "/api/v1/auctions"))["items"] == []
    assert_problem(
        await client.get(f"/api/v1/auctions/{created['id']}", headers=stranger.headers),
        404,
        "auction.not_found",
    )
    assert [a["id"] for a in (await get(client, "/api/v1/auctions", market.issuer))["items"]] == [
        created["id"]
    ]
    await stepped(client, market.issuer, created["id"], "announce")
    listed = await get(client, "/api/v1/auctions?status=announced")
    assert [a["id"] for a in listed["items"]] == [created["id"]]
    assert listed["items"][0]["pricing"] == "multiple"
    assert (await get(client, "/api/v1/auctions?status=bidding"))["items"] == []
    assert_problem(
        await client.get(f"/api/v1/auctions/{created['id']}/results"), 409, "auction.not_cleared"
    )


async def test_a_crash_during_settlement_leaves_nothing_half_done(
    client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    market = await list_bond(client, app)
    auction = await running(client, market, offering=10_000)
    users = [await bidder(client, app, 10**9) for _ in range(3)]
    for user, price in zip(users, ("100", "100.25", "100.5"), strict=True):
        await placed(client, user, auction["id"], 4_000, price=price)
    await stepped(client, market.issuer, auction["id"], "close")
    await stepped(client, market.issuer, auction["id"], "clear")
    before = [await cash(app, user) for user in users]
    issuer_cash = await balance(app, market.issuer, "INR", Bucket.AVAILABLE)

    post = LedgerService.post
    calls = 0

    async def crashing(self: LedgerService, draft: EntryDraft) -> JournalEntry:
        nonlocal calls
        calls += 1
        if calls == 2:  # after the first winner's entry
            raise RuntimeError("the process died")
        return await post(self, draft)

    monkeypatch.setattr(LedgerService, "post", crashing)
    assert await run_job(app, utcnow()) == 0  # the settlement failed and rolled back whole
    assert (await get(client, f"/api/v1/auctions/{auction['id']}"))["status"] == "cleared"
    assert [await cash(app, user) for user in users] == before
    assert await balance(app, market.issuer, "INR", Bucket.AVAILABLE) == issuer_cash
    assert (await get(client, f"/api/v1/instruments/{market.id}"))["issue_size_units"] == 1_000_000

    monkeypatch.undo()
    assert await run_job(app, utcnow()) == 1
    assert await run_job(app, utcnow()) == 0
    allocations = (
        await get(client, f"/api/v1/auctions/{auction['id']}/allocations", market.issuer)
    )["items"]
    assert [a["quantity"] for a in allocations] == [2_000, 4_000, 4_000]
    assert all(a["settled_at"] is not None and a["entry_id"] for a in allocations)
    assert await balance(app, market.issuer, "INR", Bucket.AVAILABLE) == issuer_cash + sum(
        a["amount"] for a in allocations
    )
    for user, allocation in zip(users, allocations, strict=True):
        assert await cash(app, user) == (10**9 - allocation["amount"], 0)
    assert (await get(client, f"/api/v1/instruments/{market.id}"))["issue_size_units"] == 1_010_000


async def test_the_bidder_cap_counts_the_reported_position(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    auction = await running(client, market, offering=10_000, bidder_cap_share="0.35")
    big, small = await bidder(client, app, 10**9), await bidder(client, app, 10**9)
    # 35% of 10,000 is 3,500, less the 1,000 the big bidder reports holding.
    made = await placed(client, big, auction["id"], 6_000, price="101")
    path = f"/api/v1/auctions/{auction['id']}/bids/{made['id']}"
    amended = await client.patch(path, json={"position": 1_000}, headers=big.headers)
    assert amended.status_code == 200 and amended.json()["position"] == 1_000
    await placed(client, small, auction["id"], 9_000, price="100")
    await stepped(client, market.issuer, auction["id"], "close")
    await stepped(client, market.issuer, auction["id"], "clear")
    allocations = (
        await get(client, f"/api/v1/auctions/{auction['id']}/allocations", market.issuer)
    )["items"]
    assert [(a["requested"], a["recognised"], a["quantity"]) for a in allocations] == [
        (6_000, 2_500, 2_500),
        (9_000, 3_500, 3_500),
    ]
    results = await get(client, f"/api/v1/auctions/{auction['id']}/results")
    assert results["undersubscribed"] is True and results["total_allotted"] == 6_000
