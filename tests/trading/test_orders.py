"""Order entry over HTTP: matching, internal settlement, pre-trade refusals, cancels, restarts."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

import httpx
import pytest
from fastapi import FastAPI

from liquibond.app import create_app
from liquibond.config import Settings
from liquibond.platform.uow import UnitOfWork
from liquibond.trading.models import BookState
from liquibond.trading.runner import BookWriter, book_digest
from tests.conftest import FAST_PASSWORDS, started
from tests.helpers import LoggedIn, assert_problem, register_and_login
from tests.trading.conftest import (
    balances,
    fund_cash,
    fund_units,
    list_bond,
    order,
    verified_investor,
)

FACE = 100_00  # paise per unit
COUPON = Decimal("0.0726")
ONE_COUPON_PER_100_UNITS = 363_00  # 100 units x ₹100 x 7.26% / 2, the accrual margin


def _accrued_30_360(units: int, settles: date) -> int:
    """Accrued interest in paise, by hand: 30/360 from the last coupon (6 Jan / 6 Jul)."""
    last = date(settles.year, 7, 6) if (settles.month, settles.day) >= (7, 6) else None
    if last is None:
        last = (
            date(settles.year, 1, 6)
            if (settles.month, settles.day) >= (1, 6)
            else date(settles.year - 1, 7, 6)
        )
    days = (
        360 * (settles.year - last.year)
        + 30 * (settles.month - last.month)
        + (min(settles.day, 30) - last.day)
    )
    exact = Decimal(units * FACE) * COUPON * days / 360
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


async def test_buy_crossing_a_resting_sell_trades_and_settles(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    seller, buyer = await verified_investor(client), await verified_investor(client)
    await fund_units(app, market, seller, 300)
    await fund_cash(app, buyer, 20_000_00)

    ask = await order(client, seller, market, "sell", "100.50", 100)
    assert ask.status_code == 201, ask.text
    assert ask.json()["status"] == "new" and ask.json()["reserved"] == 100
    assert (await balances(client, seller))[(market.isin, "locked")] == 100

    bid = await order(client, buyer, market, "buy", "100.75", 100)
    assert bid.status_code == 201, bid.text
    filled = bid.json()
    assert filled["status"] == "filled" and filled["filled_quantity"] == 100
    assert filled["leaves_quantity"] == 0 and filled["reserved"] == 0

    trades = (await client.get("/api/v1/trades", headers=buyer.headers)).json()["items"]
    assert len(trades) == 1
    trade = trades[0]
    assert trade["side"] == "buy" and trade["liquidity"] == "taker"
    assert trade["price"] == "100.5" and trade["quantity"] == 100  # the maker's price
    assert trade["order_id"] == filled["id"] and trade["fee"] == 0
    settles = date.fromisoformat(trade["settlement_date"])
    assert settles > date.fromisoformat(trade["trade_date"])
    # 100 units x ₹100 x 100.50 / 100 = ₹10,050.00, exactly; accrued rounded once.
    assert trade["clean_amount"] == 10_050_00
    if settles.day != 31:  # 30/360 variants agree on every other day
        assert trade["accrued_interest"] == _accrued_30_360(100, settles)
    dirty = trade["dirty_amount"]
    assert dirty == trade["clean_amount"] + trade["accrued_interest"]

    sold = (await client.get("/api/v1/trades", headers=seller.headers)).json()["items"]
    assert [(t["side"], t["liquidity"], t["dirty_amount"]) for t in sold] == [
        ("sell", "maker", dirty)
    ]
    maker = (await client.get(f"/api/v1/orders/{ask.json()['id']}", headers=seller.headers)).json()
    assert maker["status"] == "filled" and maker["reserved"] == 0

    mine = await balances(client, buyer)
    assert mine[("INR", "available")] == 20_000_00 - dirty
    assert mine[("INR", "locked")] == 0
    assert mine[(market.isin, "available")] == 100
    theirs = await balances(client, seller)
    assert theirs[("INR", "available")] == dirty
    assert theirs[(market.isin, "available")] == 200
    assert theirs[(market.isin, "locked")] == 0

    entries = (await client.get("/api/v1/accounts/entries", headers=buyer.headers)).json()
    assert "trade" in {line["kind"] for line in entries["items"]}


async def test_a_partial_fill_keeps_the_rest_resting(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    seller, buyer = await verified_investor(client), await verified_investor(client)
    await fund_units(app, market, seller, 100)
    await fund_cash(app, buyer, 50_000_00)

    bid = (await order(client, buyer, market, "buy", "99.0025", 300)).json()
    reserved = bid["reserved"]
    assert bid["status"] == "new"
    ask = (await order(client, seller, market, "sell", "99", 100)).json()
    assert ask["status"] == "filled"

    rest = (await client.get(f"/api/v1/orders/{bid['id']}", headers=buyer.headers)).json()
    assert rest["status"] == "partially_filled"
    assert (rest["filled_quantity"], rest["leaves_quantity"]) == (100, 200)
    trade = (await client.get("/api/v1/trades", headers=buyer.headers)).json()["items"][0]
    assert trade["price"] == "99.0025" and trade["liquidity"] == "maker"
    assert rest["reserved"] == reserved - trade["dirty_amount"]
    assert (await balances(client, buyer))[("INR", "locked")] == rest["reserved"]

    cancelled = await client.delete(f"/api/v1/orders/{bid['id']}", headers=buyer.headers)
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancelled_quantity"] == 200
    mine = await balances(client, buyer)
    assert mine[("INR", "locked")] == 0
    assert mine[("INR", "available")] == 50_000_00 - trade["dirty_amount"]


async def test_each_pre_trade_refusal_has_its_code(client: httpx.AsyncClient, app: FastAPI) -> None:
    market = await list_bond(client, app)
    investor = await verified_investor(client)
    unverified = await register_and_login(client)

    assert_problem(
        await order(client, unverified, market, "buy", "100", 100), 403, "kyc.not_verified"
    )
    body = assert_problem(
        await order(client, investor, market, "buy", "100.001", 100), 422, "order.invalid_tick"
    )
    assert body["errors"][0]["field"] == "body.price"
    assert_problem(
        await order(client, investor, market, "buy", "100", 50), 422, "order.invalid_lot"
    )
    assert_problem(
        await order(client, investor, market, "buy", "100", 150), 422, "order.invalid_lot"
    )
    body = assert_problem(
        await order(client, investor, market, "buy", "100", 100), 422, "order.insufficient_funds"
    )
    assert body["asset"] == "INR"
    assert_problem(
        await order(client, investor, market, "sell", "100", 100),
        422,
        "order.insufficient_funds",
    )
    assert (await client.get("/api/v1/orders", headers=investor.headers)).json()["items"] == []

    await fund_cash(app, investor, 20_000_00)
    placed = await order(client, investor, market, "buy", "100", 100, client_order_id="mine-1")
    assert placed.status_code == 201
    assert_problem(
        await order(client, investor, market, "buy", "100", 100, client_order_id="mine-1"),
        409,
        "order.duplicate_client_order_id",
    )

    suspended = await client.post(
        f"/api/v1/instruments/{market.id}/suspend",
        json={"reason": "Pending disclosure"},
        headers=market.admin.headers,
    )
    assert suspended.json()["status"] == "suspended", suspended.text
    assert_problem(
        await order(client, investor, market, "buy", "100", 100),
        422,
        "order.instrument_not_tradable",
    )
    await client.delete(f"/api/v1/orders/{placed.json()['id']}", headers=investor.headers)


async def test_another_users_order_is_not_found(client: httpx.AsyncClient, app: FastAPI) -> None:
    market = await list_bond(client, app)
    owner, other = await verified_investor(client), await verified_investor(client)
    await fund_cash(app, owner, 20_000_00)
    placed = (await order(client, owner, market, "buy", "100", 100)).json()

    url = f"/api/v1/orders/{placed['id']}"
    assert_problem(await client.get(url, headers=other.headers), 404, "order.not_found")
    assert_problem(await client.delete(url, headers=other.headers), 404, "order.not_found")
    assert_problem(
        await client.get(f"/api/v1/orders/{uuid.uuid4()}", headers=owner.headers),
        404,
        "order.not_found",
    )
    assert (await client.get("/api/v1/orders", headers=other.headers)).json()["items"] == []
    assert (await client.get(url, headers=owner.headers)).json()["status"] == "new"
    await client.delete(url, headers=owner.headers)


async def test_cancel_releases_the_reservation(client: httpx.AsyncClient, app: FastAPI) -> None:
    market = await list_bond(client, app)
    buyer, seller = await verified_investor(client), await verified_investor(client)
    await fund_cash(app, buyer, 20_000_00)
    await fund_units(app, market, seller, 200)

    bid = (await order(client, buyer, market, "buy", "100", 100)).json()
    # Principal ₹10,000 + accrued at settlement + one coupon (₹363) of margin for accrual.
    assert bid["reserved"] > 10_000_00 + ONE_COUPON_PER_100_UNITS
    assert bid["reserved"] < 10_000_00 + 2 * ONE_COUPON_PER_100_UNITS
    held = await balances(client, buyer)
    assert held[("INR", "locked")] == bid["reserved"]
    assert held[("INR", "available")] == 20_000_00 - bid["reserved"]
    ask = (await order(client, seller, market, "sell", "101", 200)).json()

    for who, placed in ((buyer, bid), (seller, ask)):
        cancelled = await client.delete(f"/api/v1/orders/{placed['id']}", headers=who.headers)
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled" and cancelled.json()["reserved"] == 0
    assert await balances(client, buyer) == {("INR", "available"): 20_000_00, ("INR", "locked"): 0}
    units = await balances(client, seller)
    assert (units[(market.isin, "available")], units[(market.isin, "locked")]) == (200, 0)

    again = await client.delete(f"/api/v1/orders/{bid['id']}", headers=buyer.headers)
    assert_problem(again, 409, "order.not_cancellable")
    listed = await client.get(
        "/api/v1/orders", params={"status": "cancelled", "limit": 1}, headers=buyer.headers
    )
    assert [o["id"] for o in listed.json()["items"]] == [bid["id"]]


async def test_list_my_orders_with_filters_and_cursor(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    seller = await verified_investor(client)
    await fund_units(app, market, seller, 500)
    ids = [
        (await order(client, seller, market, "sell", f"10{i}", 100)).json()["id"] for i in range(5)
    ]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, "side": "sell", "open": "true"}
        page = (
            await client.get(
                "/api/v1/orders",
                params={**params, **({"cursor": cursor} if cursor else {})},
                headers=seller.headers,
            )
        ).json()
        seen += [o["id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]
    assert (
        await client.get("/api/v1/orders", params={"side": "buy"}, headers=seller.headers)
    ).json()["items"] == []
    for order_id in ids:
        await client.delete(f"/api/v1/orders/{order_id}", headers=seller.headers)


async def test_orders_and_trades_filter_by_time_and_side(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    seller, buyer = await verified_investor(client), await verified_investor(client)
    await fund_units(app, market, seller, 200)
    await fund_cash(app, buyer, 1_000_000_00)
    await order(client, seller, market, "sell", "100", 100)
    await order(client, buyer, market, "buy", "100", 100)
    cut = datetime.now(UTC)
    await order(client, seller, market, "sell", "100", 100)
    await order(client, buyer, market, "buy", "100", 100)

    async def listed(path: str, who: LoggedIn, **params: str) -> list[str]:
        got = await client.get(f"/api/v1/{path}", params=params, headers=who.headers)
        assert got.status_code == 200, got.text
        return [item["created_at"] for item in got.json()["items"]]

    for path in ("orders", "trades"):
        every = await listed(path, seller)
        later = await listed(path, seller, **{"from": cut.isoformat()})
        earlier = await listed(path, seller, to=cut.isoformat())
        assert len(every) == 2 and len(later) == 1 and len(earlier) == 1, path
        assert sorted(later + earlier) == sorted(every)
    assert len(await listed("trades", seller, side="sell")) == 2
    assert await listed("trades", seller, side="buy") == []
    assert len(await listed("trades", buyer, side="buy")) == 2
    assert_problem(
        await client.get("/api/v1/trades", params={"from": "yesterday"}, headers=buyer.headers),
        422,
        "request.validation_failed",
    )


async def test_an_order_is_placed_once_per_idempotency_key(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    buyer = await verified_investor(client)
    await fund_cash(app, buyer, 20_000_00)
    key = {"Idempotency-Key": "order-42"}

    first = await order(client, buyer, market, "buy", "100", 100, client_order_id="a", headers=key)
    retry = await order(client, buyer, market, "buy", "100", 100, client_order_id="a", headers=key)
    assert first.status_code == retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    orders = (await client.get("/api/v1/orders", headers=buyer.headers)).json()["items"]
    assert len(orders) == 1
    assert (await balances(client, buyer))[("INR", "locked")] == first.json()["reserved"]
    assert_problem(
        await order(client, buyer, market, "buy", "100", 200, client_order_id="a", headers=key),
        422,
        "idempotency.key_reused",
    )
    await client.delete(f"/api/v1/orders/{first.json()['id']}", headers=buyer.headers)


async def test_restart_rebuilds_the_books_and_they_keep_trading(settings: Settings) -> None:
    first = create_app(settings, passwords=FAST_PASSWORDS)
    async with started(first), _client(first) as client:
        market = await list_bond(client, first)
        seller, buyer = await verified_investor(client), await verified_investor(client)
        await fund_units(first, market, seller, 300)
        await fund_cash(first, buyer, 50_000_00)
        asks = [
            (await order(client, seller, market, "sell", price, 100)).json()
            for price in ("100.50", "100.25", "100.50")
        ]
        bid = (await order(client, buyer, market, "buy", "99.75", 100)).json()
        assert bid["status"] == "new"
        writer = first.state.trading.writers()[uuid.UUID(market.id)]
        hash_before = writer.state_hash()
        assert len(writer.book) == 4

    second = create_app(settings, passwords=FAST_PASSWORDS)
    async with started(second), _client(second) as client:
        writer = second.state.trading.writers()[uuid.UUID(market.id)]
        assert writer.halted is None and len(writer.book) == 4
        async with UnitOfWork(second.state.database, write=False) as uow:
            state = await uow.session.get(BookState, uuid.UUID(market.id))
        assert state is not None
        assert writer.state_hash() == state.state_hash == hash_before
        assert format(book_digest(writer.book), "064x") == hash_before

        # Price-time priority survived: 100.25 first, then the older of the two at 100.50.
        taken = await order(client, buyer, market, "buy", "100.50", 200)
        assert taken.json()["status"] == "filled", taken.text
        assert (await _status(client, seller, asks[1]["id"])) == "filled"
        assert (await _status(client, seller, asks[0]["id"])) == "filled"
        assert (await _status(client, seller, asks[2]["id"])) == "new"
        assert (await balances(client, buyer))[(market.isin, "available")] == 200
        for who, placed in ((seller, asks[2]), (buyer, bid)):
            await client.delete(f"/api/v1/orders/{placed['id']}", headers=who.headers)


def _client(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://liquibond.test")


async def _status(client: httpx.AsyncClient, user: LoggedIn, order_id: str) -> str:
    response = await client.get(f"/api/v1/orders/{order_id}", headers=user.headers)
    return str(response.json()["status"])


async def test_concurrent_orders_are_group_committed_and_consistent(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    seller, buyer = await verified_investor(client), await verified_investor(client)
    await fund_units(app, market, seller, 2_000)
    await fund_cash(app, buyer, 500_000_00)

    sells = [order(client, seller, market, "sell", f"100.{i:02d}", 100) for i in range(20)]
    buys = [order(client, buyer, market, "buy", "100.10", 100) for _ in range(15)]
    responses = await asyncio.gather(*sells, *buys)
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses]

    trades = (await client.get("/api/v1/trades", headers=buyer.headers)).json()["items"]
    bought = sum(t["quantity"] for t in trades)
    assert (await balances(client, buyer))[(market.isin, "available")] == bought
    paid = sum(t["dirty_amount"] for t in trades)
    mine = await balances(client, buyer)
    assert mine[("INR", "available")] + mine[("INR", "locked")] == 500_000_00 - paid
    writer = app.state.trading.writers()[uuid.UUID(market.id)]
    async with UnitOfWork(app.state.database, write=False) as uow:
        state = await uow.session.get(BookState, uuid.UUID(market.id))
    # The digest each commit updated from the orders it touched equals a full recount.
    assert state is not None and state.state_hash == format(book_digest(writer.book), "064x")
    assert state.trade_seq == len(trades)
    writer.book.audit()


async def test_a_failed_commit_rebuilds_the_book_from_the_database(
    client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    market = await list_bond(client, app)
    seller, buyer = await verified_investor(client), await verified_investor(client)
    await fund_units(app, market, seller, 100)
    await fund_cash(app, buyer, 20_000_00)
    ask = (await order(client, seller, market, "sell", "100", 100)).json()
    writer = app.state.trading.writers()[uuid.UUID(market.id)]
    before = writer.book.state_hash()

    async def broken(self: BookWriter, session: object, digest: int) -> None:
        raise RuntimeError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(BookWriter, "_save_state", broken)
        failed = await order(client, buyer, market, "buy", "100", 100)
    assert_problem(failed, 503, "trading.unavailable")
    # The trade happened in memory but never committed: the book is the committed one again.
    assert writer.book.state_hash() == before and writer.halted is None
    assert (await balances(client, buyer)).get(("INR", "locked"), 0) == 0
    assert (await client.get("/api/v1/trades", headers=buyer.headers)).json()["items"] == []

    retried = await order(client, buyer, market, "buy", "100", 100)
    assert retried.json()["status"] == "filled", retried.text
    assert (await _status(client, seller, ask["id"])) == "filled"


async def test_stopping_a_writer_answers_every_command_it_holds(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    seller = await verified_investor(client)
    await fund_units(app, market, seller, 5_000)
    await order(client, seller, market, "sell", "101", 100)  # starts the writer
    writer = app.state.trading.writers()[uuid.UUID(market.id)]
    placing = asyncio.gather(
        *(order(client, seller, market, "sell", "101", 100) for _ in range(40))
    )
    await asyncio.sleep(0.05)  # some are being committed, some still queued
    await writer.stop()
    responses = await asyncio.wait_for(placing, timeout=10)  # none is left waiting
    assert {r.status_code for r in responses} <= {201, 503}
