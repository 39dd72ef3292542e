"""Every order type over HTTP, replace, batches, mass cancels, fees and the pre-trade limits."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from liquibond.analytics import bond_yield
from liquibond.instruments.service import InstrumentService
from liquibond.platform.uow import UnitOfWork
from liquibond.trading.runner import book_digest
from liquibond.trading.service import market_of
from liquibond.valuation.service import MARKET_TIME, trade_date
from tests.helpers import LoggedIn, assert_problem
from tests.trading.conftest import (
    Market,
    balances,
    fund_cash,
    fund_units,
    list_bond,
    order,
    verified_investor,
)


async def _pair(
    client: httpx.AsyncClient, app: FastAPI, market: Market, *, units: int = 1_000
) -> tuple[LoggedIn, LoggedIn]:
    """A seller holding `units` of the bond and a buyer with ₹5 lakh."""
    seller, buyer = await verified_investor(client), await verified_investor(client)
    await fund_units(app, market, seller, units)
    await fund_cash(app, buyer, 5_00_000_00)
    return seller, buyer


async def _get(client: httpx.AsyncClient, who: LoggedIn, order_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/orders/{order_id}", headers=who.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _trade_at(
    client: httpx.AsyncClient, market: Market, seller: LoggedIn, buyer: LoggedIn, price: str
) -> None:
    """Print one lot at `price` (sets the last price, the band's reference)."""
    assert (await order(client, seller, market, "sell", price, 100)).status_code == 201
    bid = await order(client, buyer, market, "buy", price, 100)
    assert bid.json()["status"] == "filled", bid.text


async def test_a_market_order_sweeps_within_its_protection_price(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    seller, buyer = await _pair(client, app, market)
    assert_problem(
        await order(
            client, buyer, market, "buy", None, 100, order_type="market", time_in_force="ioc"
        ),
        422,
        "order.no_reference_price",
    )
    await _trade_at(client, market, seller, buyer, "100")
    await order(client, seller, market, "sell", "101", 100)
    await order(client, seller, market, "sell", "106", 100)  # beyond 5% of 100: out of reach
    swept = await order(
        client, buyer, market, "buy", None, 300, order_type="market", time_in_force="ioc"
    )
    assert swept.status_code == 201, swept.text
    body = swept.json()
    assert body["price"] == "105"  # the protection price: reference 100 + 5%
    assert (body["status"], body["filled_quantity"], body["cancelled_quantity"]) == (
        "cancelled",
        100,
        200,
    )
    assert body["reserved"] == 0
    assert (await balances(client, buyer))[("INR", "locked")] == 0


async def test_a_stop_waits_for_the_last_price_then_trades(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    seller, buyer = await _pair(client, app, market)
    await _trade_at(client, market, seller, buyer, "100")
    stop = await order(
        client, seller, market, "sell", None, 100, order_type="stop", stop_price="99.5"
    )
    assert stop.status_code == 201, stop.text
    assert stop.json()["status"] == "pending_trigger" and stop.json()["reserved"] == 100
    book = (await client.get(f"/api/v1/instruments/{market.id}/book")).json()
    assert book["asks"] == []  # a waiting stop is not in the book

    await order(client, buyer, market, "buy", "99", 200)  # the stop will sell into this bid
    await order(client, buyer, market, "buy", "99.5", 100)
    await order(client, seller, market, "sell", "99.5", 100)  # prints 99.5: the stop triggers
    done = await _get(client, seller, stop.json()["id"])
    assert (done["status"], done["filled_quantity"]) == ("filled", 100)
    tape = (await client.get(f"/api/v1/instruments/{market.id}/trades")).json()["items"]
    assert [t["price"] for t in tape[:2]] == ["99", "99.5"]


async def test_a_stop_limit_rests_at_its_limit_once_triggered(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    seller, buyer = await _pair(client, app, market)
    await _trade_at(client, market, seller, buyer, "100")
    placed = await order(
        client,
        buyer,
        market,
        "buy",
        "100.5",
        100,
        order_type="stop_limit",
        stop_price="100.25",
    )
    assert placed.json()["status"] == "pending_trigger", placed.text
    await _trade_at(client, market, seller, buyer, "100.25")
    rested = await _get(client, buyer, placed.json()["id"])
    assert rested["status"] == "new"
    book = (await client.get(f"/api/v1/instruments/{market.id}/book")).json()
    assert book["bids"][0]["price"] == "100.5"


async def test_an_iceberg_shows_only_its_slice(client: httpx.AsyncClient, app: FastAPI) -> None:
    market = await list_bond(client, app)
    seller, buyer = await _pair(client, app, market)
    iceberg = await order(client, seller, market, "sell", "100", 1_000, display_quantity=200)
    assert iceberg.status_code == 201, iceberg.text
    book = (await client.get(f"/api/v1/instruments/{market.id}/book")).json()
    assert book["asks"] == [{"price": "100", "price_ticks": 40_000, "quantity": 200, "orders": 1}]
    await order(client, buyer, market, "buy", "100", 300)
    book = (await client.get(f"/api/v1/instruments/{market.id}/book")).json()
    # 200 from the first slice, then 100 from a slice refreshed from the hidden part.
    assert book["asks"][0]["quantity"] == 100
    left = await _get(client, seller, iceberg.json()["id"])
    assert (left["filled_quantity"], left["leaves_quantity"]) == (300, 700)


async def test_gtd_and_day_orders_expire_and_release(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    seller, buyer = await _pair(client, app, market)
    soon = datetime.now(UTC) + timedelta(seconds=1)
    gtd = await order(
        client, buyer, market, "buy", "99", 100, time_in_force="gtd", expire_at=soon.isoformat()
    )
    assert gtd.status_code == 201, gtd.text
    day = await order(client, seller, market, "sell", "101", 100, time_in_force="day")
    # Round the clock, a DAY order lasts to market-time midnight.
    expiry = datetime.fromisoformat(day.json()["expire_at"]).astimezone(MARKET_TIME)
    assert (expiry.date(), expiry.hour, expiry.minute) == (trade_date() + timedelta(days=1), 0, 0)
    assert_problem(
        await order(
            client,
            buyer,
            market,
            "buy",
            "99",
            100,
            time_in_force="gtd",
            expire_at=(datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        ),
        422,
        "order.expired_on_arrival",
    )
    for _ in range(50):
        expired = await _get(client, buyer, gtd.json()["id"])
        if expired["status"] == "expired":
            break
        await asyncio.sleep(0.1)
    assert (expired["status"], expired["reserved"]) == ("expired", 0)
    assert (await balances(client, buyer))[("INR", "locked")] == 0


async def test_a_yield_priced_order_rounds_to_the_safe_tick(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app, price_band_percent=None)
    seller, buyer = await _pair(client, app, market)
    bid = await order(client, buyer, market, "buy", None, 100, yield_percent="7.1")
    assert bid.status_code == 201, bid.text
    ask = await order(client, seller, market, "sell", None, 100, yield_percent="7.3")
    placed_bid, placed_ask = bid.json(), ask.json()
    assert placed_bid["limit_yield"] == "7.1"
    async with UnitOfWork(app.state.database, write=False) as uow:
        instrument = await InstrumentService(uow.session).get(None, uuid.UUID(market.id))
        terms = await market_of(uow.session, instrument)
    settles = terms.settlement_date(trade_date())
    # The buyer never accepts less than 7.1%, the seller never gives more than 7.3%.
    assert bond_yield(terms.terms, settles, float(placed_bid["price"])) >= 0.071
    assert bond_yield(terms.terms, settles, float(placed_ask["price"])) <= 0.073
    assert float(placed_bid["price"]) > float(placed_ask["price"])  # lower yield, higher price
    assert placed_ask["status"] == "filled"  # 7.3% asks less than the 7.1% bid pays


async def test_replace_keeps_priority_on_a_decrease_and_adjusts_the_reservation(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    seller, buyer = await _pair(client, app, market)
    other = await verified_investor(client)
    await fund_cash(app, other, 5_00_000_00)
    first = (await order(client, buyer, market, "buy", "99", 300)).json()
    second = (await order(client, other, market, "buy", "99", 100)).json()

    smaller = await client.patch(
        f"/api/v1/orders/{first['id']}", json={"quantity": 200}, headers=buyer.headers
    )
    assert smaller.status_code == 200, smaller.text
    assert smaller.json()["reserved"] < first["reserved"]
    locked = (await balances(client, buyer))[("INR", "locked")]
    assert locked == smaller.json()["reserved"]
    await order(client, seller, market, "sell", "99", 100)  # hits the first in the queue
    assert (await _get(client, buyer, first["id"]))["filled_quantity"] == 100
    assert (await _get(client, other, second["id"]))["filled_quantity"] == 0

    higher = await client.patch(
        f"/api/v1/orders/{first['id']}", json={"price": "99.5"}, headers=buyer.headers
    )
    assert higher.status_code == 200, higher.text
    assert higher.json()["price"] == "99.5" and higher.json()["leaves_quantity"] == 100
    assert (await balances(client, buyer))[("INR", "locked")] == higher.json()["reserved"]

    assert_problem(
        await client.patch(
            f"/api/v1/orders/{first['id']}", json={"quantity": 100}, headers=buyer.headers
        ),
        422,
        "order.replace_quantity_too_low",
    )
    assert_problem(
        await client.patch(
            f"/api/v1/orders/{first['id']}", json={"price": "98"}, headers=other.headers
        ),
        404,
        "order.not_found",
    )
    assert_problem(
        await client.patch(
            f"/api/v1/orders/{first['id']}", json={"quantity": 10_000}, headers=buyer.headers
        ),
        422,
        "order.insufficient_funds",
    )
    assert (await _get(client, buyer, first["id"]))["quantity"] == 200  # refused: unchanged


async def test_a_batch_places_each_order_on_its_own(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    seller, _ = await _pair(client, app, market)
    orders = [
        {"instrument_id": market.id, "client_order_id": f"b-{i}", "side": "sell",
         "price": str(100 + i), "quantity": 100}
        for i in range(3)
    ]  # fmt: skip
    orders.append({**orders[0], "client_order_id": "b-bad", "price": "100.001"})
    orders.append({**orders[0]})  # a duplicate client_order_id
    response = await client.post(
        "/api/v1/orders/batch", json={"orders": orders}, headers=seller.headers
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 201, 201, 422, 409]
    assert results[3]["problem"]["code"] == "order.invalid_tick"
    assert results[4]["problem"]["code"] == "order.duplicate_client_order_id"
    assert (await balances(client, seller))[(market.isin, "locked")] == 300
    again = await client.post(
        "/api/v1/orders/batch",
        json={"orders": [orders[1], {**orders[1], "client_order_id": "b-new"}]},
        headers=seller.headers,
    )
    assert [r["status"] for r in again.json()["results"]] == [409, 201]
    assert again.json()["results"][0]["problem"]["code"] == "order.duplicate_client_order_id"
    assert_problem(
        await client.post("/api/v1/orders/batch", json={"orders": []}, headers=seller.headers),
        422,
        "request.validation_failed",
    )


async def test_cancel_all_and_the_kill_switch(client: httpx.AsyncClient, app: FastAPI) -> None:
    market = await list_bond(client, app)
    seller, buyer = await _pair(client, app, market)
    mine = [(await order(client, buyer, market, "buy", p, 100)).json() for p in ("98", "99")]
    theirs = (await order(client, seller, market, "sell", "101", 100)).json()

    cancelled = await client.post("/api/v1/orders/cancel-all", json={}, headers=buyer.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert sorted(cancelled.json()["cancelled"]) == sorted(o["id"] for o in mine)
    assert (await balances(client, buyer))[("INR", "locked")] == 0
    assert (await _get(client, seller, theirs["id"]))["status"] == "new"

    url = f"/api/v1/instruments/{market.id}/orders/cancel-all"
    assert_problem(await client.post(url, headers=buyer.headers), 403, "auth.forbidden_role")
    killed = await client.post(url, headers=market.admin.headers)
    assert killed.json()["cancelled"] == [theirs["id"]], killed.text
    assert (await client.get(f"/api/v1/instruments/{market.id}/book")).json()["asks"] == []


async def test_fees_are_charged_in_basis_points_to_maker_and_taker(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app, maker_fee_bps="1", taker_fee_bps="2.5")
    seller, buyer = await _pair(client, app, market)
    await order(client, seller, market, "sell", "100", 1_000)  # maker
    await order(client, buyer, market, "buy", "100", 1_000)  # taker
    bought = (await client.get("/api/v1/trades", headers=buyer.headers)).json()["items"][0]
    sold = (await client.get("/api/v1/trades", headers=seller.headers)).json()["items"][0]
    assert bought["clean_amount"] == 1_00_000_00
    assert bought["fee"] == 25_00  # 2.5 bp of ₹1 lakh
    assert sold["fee"] == 10_00  # 1 bp
    assert (await balances(client, buyer))[("INR", "available")] == (
        5_00_000_00 - bought["dirty_amount"] - 25_00
    )
    assert (await balances(client, seller))[("INR", "available")] == sold["dirty_amount"] - 10_00


async def test_each_market_refusal_has_its_code(client: httpx.AsyncClient, app: FastAPI) -> None:
    market = await list_bond(client, app, max_order_notional=50_000_00)
    seller, buyer = await _pair(client, app, market)
    await _trade_at(client, market, seller, buyer, "100")
    body = assert_problem(
        await order(client, buyer, market, "buy", "94", 100), 422, "order.price_out_of_band"
    )
    assert (body["low"], body["high"]) == ("95", "105")
    assert_problem(
        await order(client, buyer, market, "buy", "100", 600),
        422,
        "order.max_notional_exceeded",
    )
    assert_problem(
        await order(client, buyer, market, "buy", "100", 100, order_type="market"),
        422,
        "request.validation_failed",
    )


async def test_position_and_rating_limits(client: httpx.AsyncClient, app: FastAPI) -> None:
    small = await list_bond(client, app, issue_size_units=2_000, price_band_percent=None)
    seller, buyer = await _pair(client, app, small)
    # 25% of 2,000 units: 500. Holdings and open bids count, and so do earlier orders.
    assert (await order(client, buyer, small, "buy", "90", 300)).status_code == 201
    assert_problem(
        await order(client, buyer, small, "buy", "90", 300), 422, "order.position_limit_exceeded"
    )
    junk = await list_bond(
        client, app, isin="INE002A08534", credit_rating="CARE BB+", face_value=1_00_000_00
    )
    await fund_cash(app, buyer, 2_00_00_000_00)
    body = assert_problem(
        await order(client, buyer, junk, "buy", "90", 200), 422, "order.rating_limit_exceeded"
    )
    assert body["limit"] == 1_00_00_000_00  # ₹1 crore of sub-investment-grade face value
    assert (await order(client, seller, small, "sell", "95", 100)).status_code == 201


async def test_outside_hours_orders_are_refused_or_queued(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    now = datetime.now(MARKET_TIME)
    hours = ("13:00:00", "14:00:00") if now.hour < 12 else ("01:00:00", "02:00:00")
    closed = await list_bond(client, app, session_open=hours[0], session_close=hours[1])
    _, buyer = await _pair(client, app, closed)
    body = assert_problem(
        await order(client, buyer, closed, "buy", "99", 100), 422, "order.market_closed"
    )
    assert datetime.fromisoformat(body["next_open"]) > now

    queues = await list_bond(
        client,
        app,
        isin="INE062A08264",
        session_open=hours[0],
        session_close=hours[1],
        queue_outside_hours=True,
    )
    queued = await order(client, buyer, queues, "buy", "99", 100, time_in_force="day")
    assert queued.status_code == 201, queued.text
    placed = queued.json()
    assert placed["status"] == "queued" and placed["reserved"] > 0
    expiry = datetime.fromisoformat(placed["expire_at"]).astimezone(MARKET_TIME)
    assert expiry.time().isoformat() == hours[1]  # the close of the session it will trade in
    book = (await client.get(f"/api/v1/instruments/{queues.id}/book")).json()
    assert book["bids"] == []
    cancelled = await client.delete(f"/api/v1/orders/{placed['id']}", headers=buyer.headers)
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["reserved"] == 0
    assert (await balances(client, buyer))[("INR", "locked")] == 0


async def test_queued_orders_enter_the_book_when_the_market_opens(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    now = datetime.now(MARKET_TIME)
    hours = ("13:00:00", "14:00:00") if now.hour < 12 else ("01:00:00", "02:00:00")
    market = await list_bond(
        client, app, session_open=hours[0], session_close=hours[1], queue_outside_hours=True
    )
    seller, buyer = await _pair(client, app, market)
    queued = (await order(client, buyer, market, "buy", "99", 100)).json()
    assert queued["status"] == "queued"

    # The admin opens the market round the clock; the book's next order brings the change.
    opened = await client.patch(
        f"/api/v1/instruments/{market.id}",
        json={"session_open": None, "session_close": None},
        headers=market.admin.headers,
    )
    assert opened.status_code == 200, opened.text
    await order(client, seller, market, "sell", "101", 100)
    for _ in range(50):
        if (await _get(client, buyer, queued["id"]))["status"] == "new":
            break
        await asyncio.sleep(0.1)
    book = (await client.get(f"/api/v1/instruments/{market.id}/book")).json()
    assert [level["price"] for level in book["bids"]] == ["99"]
    filled = await order(client, seller, market, "sell", "99", 100)
    assert filled.json()["status"] == "filled", filled.text


async def test_the_incremental_digest_matches_a_rebuilt_book(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    seller, buyer = await _pair(client, app, market)
    await _trade_at(client, market, seller, buyer, "100")
    await order(client, seller, market, "sell", "100.5", 600, display_quantity=200)
    await order(client, seller, market, "sell", "101", 100, time_in_force="day")
    await order(client, buyer, market, "buy", None, 100, order_type="stop", stop_price="100.5")
    bid = (await order(client, buyer, market, "buy", "99.5", 300)).json()
    await client.patch(f"/api/v1/orders/{bid['id']}", json={"quantity": 200}, headers=buyer.headers)
    await order(client, buyer, market, "buy", "100.5", 300)  # takes the iceberg, trips the stop
    await order(client, seller, market, "sell", "99.5", 100, self_trade_prevention="decrement")

    writer = app.state.trading.writers()[uuid.UUID(market.id)]
    assert writer.state_hash() == format(book_digest(writer.book), "064x")
    before = writer.state_hash()
    await writer.rebuild()
    assert writer.halted is None and writer.state_hash() == before
