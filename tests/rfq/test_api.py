"""The RFQ lifecycle over HTTP: ask, quote, counter, accept (settled through the book's
writer), outcomes, the trail and the dealers' statistics."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from liquibond.ledger.models import Bucket
from liquibond.platform.db import utcnow
from tests.auctions.conftest import balance
from tests.helpers import assert_problem
from tests.rfq.conftest import RS_1_CRORE, Desk, asked, get, quote, quoted, run_job
from tests.trading.conftest import fund_units, order


async def test_a_requester_lifts_the_best_offer_and_dealers_learn_their_outcomes(
    client: httpx.AsyncClient, app: FastAPI, desk: Desk
) -> None:
    market, requester, (d1, d2, d3) = desk.market, desk.requester, desk.dealers
    # A book trade first: the RFQ trade continues the instrument's trade numbering.
    seller = d3
    sold = await order(client, seller, market, "sell", "100", 100)
    bought = await order(client, requester, market, "buy", "100", 100)
    assert sold.status_code == bought.status_code == 201, bought.text

    rfq = await asked(client, desk, quantity=1_000)
    assert rfq["status"] == "open" and rfq["role"] == "requester"
    assert {d["dealer_id"] for d in rfq["dealers"]} == {d1.user_id, d2.user_id, d3.user_id}

    # Anonymous: a dealer does not see who asks, nor the other dealers.
    seen = await get(client, f"/api/v1/rfqs/{rfq['id']}", d1)
    assert seen["role"] == "dealer" and seen["requester_id"] is None and seen["dealers"] == []

    q1 = await quoted(client, d1, rfq["id"], "100.50")
    q2 = await quoted(client, d2, rfq["id"], "100.75")
    # The requester counters dealer 2, who improves to the counter: the old quote is replaced.
    countered = await client.post(
        f"/api/v1/rfqs/{rfq['id']}/quotes/{q2['id']}/counter",
        json={"price": "100.25"},
        headers=requester.headers,
    )
    assert countered.status_code == 200, countered.text
    assert (await get(client, f"/api/v1/rfqs/{rfq['id']}", d2))["quotes"][0]["counter_price"] == (
        "100.25"
    )
    q2 = await quoted(client, d2, rfq["id"], "100.25")
    await quoted(client, d3, rfq["id"], "100.50")  # ties dealer 1
    view = await get(client, f"/api/v1/rfqs/{rfq['id']}", requester)
    assert sorted(q["price"] for q in view["quotes"] if q["status"] == "live") == [
        "100.25",
        "100.5",
        "100.5",
    ]
    # Dealer 1 sees only its own quote.
    assert [q["id"] for q in (await get(client, f"/api/v1/rfqs/{rfq['id']}", d1))["quotes"]] == [
        q1["id"]
    ]

    cash_before = await balance(app, requester, "INR", Bucket.AVAILABLE)
    accepted = await client.post(
        f"/api/v1/rfqs/{rfq['id']}/accept",
        json={"quote_id": q2["id"], "price": "100.25"},
        headers=requester.headers,
    )
    assert accepted.status_code == 200, accepted.text
    done = accepted.json()
    assert done["status"] == "done" and done["price"] == "100.25" and done["trade_id"]
    assert done["cover_price"] == "100.5"
    outcomes = {d["dealer_id"]: d["outcome"] for d in done["dealers"]}
    assert outcomes == {d2.user_id: "done", d1.user_id: "covered", d3.user_id: "covered"}

    # The trade settled as a book trade: it is my fill, numbered after the book's.
    [fill] = (await get(client, f"/api/v1/trades?instrument_id={market.id}&limit=1", requester))[
        "items"
    ]
    assert fill["id"] == done["trade_id"] and fill["venue"] == "rfq"
    assert fill["rfq_id"] == rfq["id"] and fill["order_id"] is None
    assert fill["liquidity"] == "taker" and fill["quantity"] == 1_000
    tape = (await client.get(f"/api/v1/instruments/{market.id}/trades")).json()["items"]
    assert [(t["trade_seq"], t["venue"]) for t in tape] == [(2, "rfq"), (1, "book")]
    paid = fill["dirty_amount"] + fill["fee"]
    assert await balance(app, requester, "INR", Bucket.AVAILABLE) == cash_before - paid
    assert await balance(app, requester, market.isin, Bucket.AVAILABLE) == 1_100
    assert await balance(app, d2, market.isin, Bucket.AVAILABLE) == 9_000
    [dealer_fill] = (await get(client, "/api/v1/trades", d2))["items"]
    assert dealer_fill["side"] == "sell" and dealer_fill["liquidity"] == "maker"

    # Each dealer learns its outcome; only the winner sees the price and the cover.
    won = await get(client, f"/api/v1/rfqs/{rfq['id']}", d2)
    assert (won["outcome"], won["price"], won["cover_price"]) == ("done", "100.25", "100.5")
    lost = await get(client, f"/api/v1/rfqs/{rfq['id']}", d1)
    assert (lost["outcome"], lost["price"], lost["trade_id"]) == ("covered", None, None)

    # The trail has every step in order.
    trail = await get(client, f"/api/v1/rfqs/{rfq['id']}/events", requester)
    assert [e["action"] for e in trail] == [
        "requested", "quoted", "quoted", "countered", "quoted", "quoted", "done",
    ]  # fmt: skip
    assert_problem(
        await client.get(f"/api/v1/rfqs/{rfq['id']}/events", headers=d1.headers),
        403,
        "auth.forbidden",
    )

    # Done is final: no second trade on it.
    again = await client.post(
        f"/api/v1/rfqs/{rfq['id']}/accept", json={"quote_id": q1["id"]}, headers=requester.headers
    )
    assert_problem(again, 409, "rfq.not_open")

    stats = {d["id"]: d for d in await get(client, "/api/v1/rfqs/dealers", requester)}
    assert (stats[d2.user_id]["asked"], stats[d2.user_id]["quoted"]) == (1, 1)
    assert (stats[d2.user_id]["hit_rate"], stats[d1.user_id]["hit_rate"]) == ("100.00", "0.00")
    assert stats[d1.user_id]["response_rate"] == "100.00"
    assert stats[d1.user_id]["average_response_ms"] >= 0


async def test_a_tied_dealer_is_told_so(
    client: httpx.AsyncClient, app: FastAPI, desk: Desk
) -> None:
    d1, d2, d3 = desk.dealers
    rfq = await asked(client, desk, side="sell")  # dealers bid: higher is better
    await quoted(client, d1, rfq["id"], "99.50")
    best = await quoted(client, d2, rfq["id"], "99.75")
    await quoted(client, d3, rfq["id"], "99.75")
    await fund_units(app, desk.market, desk.requester, 1_000)
    accepted = await client.post(
        f"/api/v1/rfqs/{rfq['id']}/accept",
        json={"quote_id": best["id"]},
        headers=desk.requester.headers,
    )
    assert accepted.status_code == 200, accepted.text
    outcomes = {d["dealer_id"]: d["outcome"] for d in accepted.json()["dealers"]}
    assert outcomes == {d2.user_id: "done", d3.user_id: "tied", d1.user_id: "covered"}
    assert accepted.json()["cover_price"] == "99.75"
    assert await balance(app, d2, desk.market.isin, Bucket.AVAILABLE) == 11_000


async def test_last_look_fill_reject_and_time_out(
    client: httpx.AsyncClient, app: FastAPI, desk: Desk
) -> None:
    requester, (d1, d2, _) = desk.requester, desk.dealers
    rfq = await asked(client, desk)
    q1 = await quoted(client, d1, rfq["id"], "100.10", last_look_ms=2_000)
    q2 = await quoted(client, d2, rfq["id"], "100.20", last_look_ms=2_000)

    async def accept(quote_id: str) -> dict[str, Any]:
        response = await client.post(
            f"/api/v1/rfqs/{rfq['id']}/accept", json={"quote_id": quote_id},
            headers=requester.headers,
        )  # fmt: skip
        assert response.status_code == 200, response.text
        return dict(response.json())

    held = await accept(q1["id"])
    assert held["status"] == "last_look" and held["hold_until"] is not None
    # While held, nothing else trades, and another dealer cannot decide.
    assert_problem(
        await client.post(
            f"/api/v1/rfqs/{rfq['id']}/accept", json={"quote_id": q2["id"]},
            headers=requester.headers,
        ),
        409,
        "rfq.not_open",
    )  # fmt: skip
    assert_problem(
        await client.post(
            f"/api/v1/rfqs/{rfq['id']}/last-look", json={"decision": "fill"}, headers=d2.headers
        ),
        409,
        "rfq.not_held",
    )
    rejected = await client.post(
        f"/api/v1/rfqs/{rfq['id']}/last-look",
        json={"decision": "reject", "reason": "price moved"},
        headers=d1.headers,
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "open"
    [mine] = rejected.json()["quotes"]
    assert (mine["status"], mine["decision"], mine["decision_reason"]) == (
        "rejected", "reject", "price moved",
    )  # fmt: skip

    # Dealer 2's hold runs out: the venue rejects it for the dealer.
    held = await accept(q2["id"])
    assert held["status"] == "last_look"
    assert await run_job(app, utcnow() + timedelta(seconds=3)) == 1
    reopened = await get(client, f"/api/v1/rfqs/{rfq['id']}", requester)
    assert reopened["status"] == "open"
    assert [q["status"] for q in reopened["quotes"]] == ["rejected", "rejected"]
    late = await client.post(
        f"/api/v1/rfqs/{rfq['id']}/last-look", json={"decision": "fill"}, headers=d2.headers
    )
    assert_problem(late, 409, "rfq.not_held")

    # Dealer 1 quotes again and fills on its last look: the trade is done.
    again = await quoted(client, d1, rfq["id"], "100.15", last_look_ms=2_000)
    await accept(again["id"])
    filled = await client.post(
        f"/api/v1/rfqs/{rfq['id']}/last-look", json={"decision": "fill"}, headers=d1.headers
    )
    assert filled.status_code == 200, filled.text
    assert filled.json()["status"] == "done" and filled.json()["outcome"] == "done"
    trail = [e["action"] for e in await get(client, f"/api/v1/rfqs/{rfq['id']}/events", requester)]
    assert trail.count("held") == 3 and trail.count("last_look_rejected") == 2
    assert trail[-1] == "done"
    assert await balance(app, requester, desk.market.isin, Bucket.AVAILABLE) == 1_000


async def test_expiry_closes_quotes_and_tells_dealers(
    client: httpx.AsyncClient, app: FastAPI, desk: Desk
) -> None:
    d1 = desk.dealers[0]
    rfq = await asked(client, desk, expires_in_seconds=30)
    q1 = await quoted(client, d1, rfq["id"], "100", valid_for_seconds=10)
    assert await run_job(app, utcnow() + timedelta(seconds=15)) == 1  # the quote lapses
    view = await get(client, f"/api/v1/rfqs/{rfq['id']}", desk.requester)
    assert (view["status"], view["quotes"][0]["status"]) == ("open", "expired")
    assert_problem(
        await client.post(
            f"/api/v1/rfqs/{rfq['id']}/accept", json={"quote_id": q1["id"]},
            headers=desk.requester.headers,
        ),
        409,
        "rfq.quote_not_live",
    )  # fmt: skip
    assert await run_job(app, utcnow() + timedelta(seconds=31)) == 1
    ended = await get(client, f"/api/v1/rfqs/{rfq['id']}", desk.requester)
    assert ended["status"] == "expired" and ended["ended_at"] is not None
    assert {d["outcome"] for d in ended["dealers"]} == {"expired"}
    assert (await get(client, f"/api/v1/rfqs/{rfq['id']}", d1))["outcome"] == "expired"
    assert_problem(await quote(client, d1, rfq["id"], "100"), 409, "rfq.not_open")
    assert await run_job(app, utcnow() + timedelta(seconds=60)) == 0


async def test_cancel_and_lists(client: httpx.AsyncClient, desk: Desk) -> None:
    d1 = desk.dealers[0]
    first = await asked(client, desk)
    second = await asked(client, desk, dealer_ids=[desk.dealers[1].user_id])
    cancelled = await client.post(
        f"/api/v1/rfqs/{first['id']}/cancel", headers=desk.requester.headers
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert {d["outcome"] for d in cancelled.json()["dealers"]} == {"cancelled"}
    mine = await get(client, "/api/v1/rfqs?role=requester", desk.requester)
    assert [r["id"] for r in mine["items"]] == [second["id"], first["id"]]
    open_ = await get(client, "/api/v1/rfqs?status=open", desk.requester)
    assert [r["id"] for r in open_["items"]] == [second["id"]]
    # Dealer 1 was asked only on the first.
    assert [r["id"] for r in (await get(client, "/api/v1/rfqs?role=dealer", d1))["items"]] == [
        first["id"]
    ]
    assert_problem(
        await client.get(f"/api/v1/rfqs/{second['id']}", headers=d1.headers), 404, "rfq.not_found"
    )
    assert_problem(
        await client.post(f"/api/v1/rfqs/{first['id']}/cancel", headers=desk.requester.headers),
        409,
        "rfq.not_open",
    )


async def test_disclosed_requests_show_the_requester(client: httpx.AsyncClient, desk: Desk) -> None:
    rfq = await asked(client, desk, disclosed=True)
    seen = await get(client, f"/api/v1/rfqs/{rfq['id']}", desk.dealers[0])
    assert seen["requester_id"] == desk.requester.user_id and seen["requester_name"]


async def test_a_failed_settlement_changes_nothing(
    client: httpx.AsyncClient, app: FastAPI, desk: Desk
) -> None:
    """The dealer no longer holds the units when the requester lifts its offer: the writer
    refuses the trade, and the RFQ and quote stand as they were."""
    d1 = desk.dealers[0]
    rfq = await asked(client, desk, quantity=1_000)
    offer = await quoted(client, d1, rfq["id"], "100")
    sold = await order(client, d1, desk.market, "sell", "100", 10_000)  # locks all its units
    assert sold.status_code == 201, sold.text
    refused = await client.post(
        f"/api/v1/rfqs/{rfq['id']}/accept",
        json={"quote_id": offer["id"]},
        headers=desk.requester.headers,
    )
    body = assert_problem(refused, 422, "trade.insufficient_units")
    assert body["party"] == "seller"
    view = await get(client, f"/api/v1/rfqs/{rfq['id']}", desk.requester)
    assert view["status"] == "open" and view["quotes"][0]["status"] == "live"
    assert (await get(client, "/api/v1/trades", desk.requester))["items"] == []
    assert await balance(app, desk.requester, "INR", Bucket.AVAILABLE) == RS_1_CRORE


async def test_an_acceptance_with_an_idempotency_key_is_answered_and_replayed(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    """The trade commits in the book writer's transaction mid-request; the answer and its
    Idempotency-Key are stored after it, and a retry gets the same answer."""
    for _ in range(3):
        rfq = await asked(client, desk, quantity=100)
        offer = await quoted(client, desk.dealers[0], rfq["id"], "100")
        headers = {**desk.requester.headers, "Idempotency-Key": f"lift-{rfq['id']}"}
        body = {"quote_id": offer["id"]}
        first = await client.post(f"/api/v1/rfqs/{rfq['id']}/accept", json=body, headers=headers)
        assert first.status_code == 200, first.text
        assert first.json()["status"] == "done"
        again = await client.post(f"/api/v1/rfqs/{rfq['id']}/accept", json=body, headers=headers)
        assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
