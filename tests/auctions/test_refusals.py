"""Every refusal is a 4xx problem with its own code, and changes nothing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from liquibond.platform.db import utcnow
from tests.auctions.conftest import (
    bid,
    bidder,
    cash,
    create,
    list_bond,
    new_issue,
    placed,
    schedule,
    step,
    stepped,
    today,
)
from tests.helpers import assert_problem, make_admin, register_and_login
from tests.instruments.test_instruments_api import issuer


async def test_drafting_refusals(client: httpx.AsyncClient, app: FastAPI) -> None:
    market = await list_bond(client, app)
    pending = await new_issue(client, app)
    investor = await register_and_login(client)
    other_issuer = await issuer(client, market.admin)

    async def refused(status: int, code: str, who: Any = None, on: Any = None, **body: Any) -> None:
        assert_problem(await create(client, on or market, who, **body), status, code)

    await refused(403, "auth.forbidden_role", investor)
    await refused(403, "auction.not_issuer", other_issuer)
    await refused(409, "auction.instrument_not_listed", on=pending)
    await refused(409, "auction.instrument_not_pending", basis="yield")
    await refused(
        422,
        "auction.settles_on_not_issue_date",
        on=pending,
        basis="yield",
        settles_on=(today() + timedelta(days=1)).isoformat(),
    )
    await refused(422, "auction.offering_not_lots", offering=150)
    await refused(422, "auction.invalid_tick", min_price="100.001")
    past = utcnow() - timedelta(hours=1)
    await refused(
        422,
        "auction.closes_in_the_past",
        **schedule(
            announce_at=past - timedelta(hours=2),
            opens_at=past - timedelta(hours=1),
            closes_at=past,
        ),
    )
    await refused(
        422,
        "auction.too_far_ahead",
        **schedule(closes_at=utcnow() + timedelta(days=400), settles_on="2031-01-06"),
    )
    await refused(
        422,
        "auction.settles_before_close",
        settles_on=(today() - timedelta(days=1)).isoformat(),
    )
    await refused(422, "auction.settles_after_maturity", settles_on="2032-01-06")
    # Shapes the schema refuses, each naming its rule.
    for body in (
        {"format": "english", "min_price": "100", "min_increment": "1", "visibility": "sealed"},
        {"format": "english"},
        {"non_competitive_share": "0.05"},  # non-competitive bids need a maximum price
        {"format": "multiple", "basis": "yield"},  # ... and a yield auction a maximum yield
        {"format": "multi_round"},  # how many rounds?
        {"rounds": 2},
        {"basis": "yield", "min_price": "99"},
        {"min_price": "101", "max_price": "100"},
        {
            "closes_at": utcnow().isoformat(),
            "opens_at": (utcnow() + timedelta(hours=1)).isoformat(),
        },
    ):
        await refused(422, "request.validation_failed", **body)
    # One auction of a bond at a time.
    assert (await create(client, market)).status_code == 201
    await refused(409, "auction.instrument_busy")


async def test_two_auctions_of_a_bond_created_at_once_make_one(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    answers = await asyncio.gather(*(create(client, market) for _ in range(4)))
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]
    for answer in answers:
        if answer.status_code == 409:
            assert_problem(answer, 409, "auction.instrument_busy")


async def test_lifecycle_refusals(client: httpx.AsyncClient, app: FastAPI) -> None:
    market = await list_bond(client, app)
    created = await create(client, market, settles_on=(today() + timedelta(days=1)).isoformat())
    auction_id = created.json()["id"]
    stranger = await register_and_login(client)
    other_issuer = await issuer(client, market.admin)

    assert_problem(
        await step(client, market.issuer, auction_id, "open"), 409, "auction.invalid_transition"
    )
    # A draft does not exist for anybody but its issuer and the admins.
    assert_problem(await step(client, stranger, auction_id, "announce"), 404, "auction.not_found")
    assert_problem(
        await step(client, market.issuer, str(uuid.uuid4()), "announce"), 404, "auction.not_found"
    )
    unauthenticated = await client.post(f"/api/v1/auctions/{auction_id}/announce")
    assert_problem(unauthenticated, 401, "auth.unauthenticated")
    await stepped(client, market.issuer, auction_id, "announce")
    assert_problem(await step(client, other_issuer, auction_id, "open"), 403, "auction.not_issuer")
    assert_problem(await step(client, stranger, auction_id, "cancel"), 403, "auction.not_issuer")
    await stepped(client, market.admin, auction_id, "open")
    assert_problem(
        await client.get(f"/api/v1/auctions/{auction_id}/allocations", headers=stranger.headers),
        409,
        "auction.not_cleared",
    )
    await stepped(client, market.issuer, auction_id, "close")
    await stepped(client, market.issuer, auction_id, "clear")
    assert_problem(
        await step(client, market.issuer, auction_id, "settle"), 409, "auction.settlement_not_due"
    )
    assert_problem(
        await step(client, market.issuer, auction_id, "close"), 409, "auction.invalid_transition"
    )


async def test_bidding_refusals(client: httpx.AsyncClient, app: FastAPI) -> None:
    market = await list_bond(client, app)
    created = await create(
        client,
        market,
        offering=100_000,
        min_bid=1_000,
        bid_multiple=500,
        min_price="99",
        max_price="102",
        non_competitive_share="0.1",
        non_competitive_max=2_000,
    )
    auction_id = created.json()["id"]
    investor = await bidder(client, app, 1_000_000_00)
    unverified = await register_and_login(client)

    # Before the auction is public it does not exist; announced, it is not bidding yet.
    assert_problem(
        await bid(client, investor, auction_id, 1_000, price="100"), 404, "auction.not_found"
    )
    await stepped(client, market.issuer, auction_id, "announce")
    assert_problem(
        await bid(client, investor, auction_id, 1_000, price="100"), 409, "auction.not_bidding"
    )
    await stepped(client, market.issuer, auction_id, "open")

    cases: list[tuple[Any, int, dict[str, Any], int, str]] = [
        (unverified, 1_000, {"price": "100"}, 403, "kyc.not_verified"),
        (market.issuer, 1_000, {"price": "100"}, 403, "auction.own_auction"),
        (investor, 500, {"price": "100"}, 422, "auction.bid_below_minimum"),
        (investor, 1_200, {"price": "100"}, 422, "auction.bid_not_multiple"),
        (investor, 1_000, {"price": "100.001"}, 422, "auction.invalid_tick"),
        (investor, 1_000, {"price": "98.5"}, 422, "auction.quote_out_of_range"),
        (investor, 1_000, {"price": "102.25"}, 422, "auction.quote_out_of_range"),
        (investor, 1_000, {"yield_percent": "7"}, 422, "auction.wrong_basis"),
        (investor, 2_500, {}, 422, "auction.non_competitive_max_exceeded"),
        (investor, 1_000, {"price": "100", "yield_percent": "7"}, 422, "request.validation_failed"),
        (investor, 100_000, {"price": "101"}, 422, "auction.insufficient_funds"),
    ]
    for who, quantity, quote, status, code in cases:
        assert_problem(await bid(client, who, auction_id, quantity, **quote), status, code)
    assert await cash(app, investor) == (1_000_000_00, 0)

    nc = await placed(client, investor, auction_id, 1_500)
    assert_problem(
        await bid(client, investor, auction_id, 1_000), 422, "auction.non_competitive_max_exceeded"
    )
    path = f"/api/v1/auctions/{auction_id}/bids"
    assert_problem(
        await client.patch(f"{path}/{nc['id']}", json={"price": "100"}, headers=investor.headers),
        422,
        "auction.bid_kind_fixed",
    )
    assert_problem(
        await client.patch(f"{path}/{nc['id']}", json={}, headers=investor.headers),
        422,
        "request.validation_failed",
    )
    assert_problem(
        await client.delete(f"{path}/{uuid.uuid4()}", headers=investor.headers),
        404,
        "auction.bid_not_found",
    )
    # A retried bid (same Idempotency-Key) is one bid.
    headers = {**investor.headers, "Idempotency-Key": "bid-1"}
    body = {"quantity": 1_000, "price": "100.5"}
    first = await client.post(path, json=body, headers=headers)
    again = await client.post(path, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    mine = (await client.get(path, headers=investor.headers)).json()["items"]
    assert len(mine) == 2


@pytest.mark.parametrize("name", ["announce", "open", "close", "clear", "settle", "cancel"])
async def test_every_step_refuses_an_unknown_auction(
    client: httpx.AsyncClient, app: FastAPI, name: str
) -> None:
    admin = await make_admin(app, client)
    assert_problem(await step(client, admin, str(uuid.uuid4()), name), 404, "auction.not_found")
