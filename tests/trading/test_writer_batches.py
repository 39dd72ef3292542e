"""The book writer's set-based batches: many rows written in bulk, the orders a batch finds
(read, kept from an earlier batch, or its own), and answers as their batch committed them."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import fields
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from liquibond.platform.errors import Conflict
from liquibond.platform.outbox import OutboxRow
from liquibond.platform.uow import UnitOfWork
from liquibond.trading.models import Order, OrderSide
from liquibond.trading.runner import BookWriter, OrderRecord
from liquibond.trading.schemas import OrderCreate
from liquibond.trading.service import Market, OrderService, OrderTicket
from liquibond.valuation.service import trade_date
from tests.helpers import LoggedIn
from tests.trading.conftest import Market as Listed
from tests.trading.conftest import (
    balances,
    fund_cash,
    fund_units,
    list_bond,
    order,
    verified_investor,
)

TICK = Decimal("0.0025")


async def _traders(
    client: httpx.AsyncClient, app: FastAPI, listed: Listed
) -> tuple[LoggedIn, LoggedIn]:
    """A seller holding 10,000 units and a buyer with ₹50 lakh."""
    seller, buyer = await verified_investor(client), await verified_investor(client)
    await fund_units(app, listed, seller, 10_000)
    await fund_cash(app, buyer, 50_00_000_00)
    return seller, buyer


async def _writer(app: FastAPI, listed: Listed) -> tuple[BookWriter, Market]:
    async with UnitOfWork(app.state.database, write=False) as uow:
        market = await OrderService(uow.session).market(uuid.UUID(listed.id))
    return await app.state.trading.writer(market), market


def _ticket(
    market: Market,
    user: LoggedIn,
    side: OrderSide,
    price: str,
    quantity: int,
    *,
    client_order_id: str | None = None,
    queued: bool = False,
) -> OrderTicket:
    """What the order API's pre-trade checks hand the writer for a GTC limit order."""
    ticks = int(Decimal(price) / TICK)
    if side is OrderSide.SELL:
        asset, amount = market.isin, quantity
    else:
        asset, amount = market.currency, market.buy_reservation(quantity, ticks, trade_date())
    request = OrderCreate(
        instrument_id=market.instrument_id,
        client_order_id=client_order_id or uuid.uuid4().hex,
        side=side,
        price=Decimal(price),
        quantity=quantity,
    )
    return OrderTicket(
        user_id=uuid.UUID(user.user_id),
        request=request,
        price_ticks=ticks,
        stop_ticks=None,
        reserve_asset=asset,
        reserve_amount=amount,
        expire_at=None,
        queued=queued,
    )


async def _batch(
    client: httpx.AsyncClient, user: LoggedIn, orders: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    response = await client.post(
        "/api/v1/orders/batch", json={"orders": orders}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


async def test_a_large_batch_writes_its_orders_trades_entries_and_events(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    listed = await list_bond(client, app)
    seller, buyer = await _traders(client, app, listed)
    asks = [
        {"instrument_id": listed.id, "client_order_id": f"ask-{i}", "side": "sell",
         "price": str(100 + Decimal(i) / 4), "quantity": 100}
        for i in range(40)
    ]  # fmt: skip
    assert {r["order"]["status"] for r in await _batch(client, seller, asks)} == {"new"}
    bids = [
        {"instrument_id": listed.id, "client_order_id": f"bid-{i}", "side": "buy",
         "price": "110", "quantity": 100}
        for i in range(40)
    ]  # fmt: skip
    filled = await _batch(client, buyer, bids)  # one batch: 40 trades, cheapest first
    assert [r["order"]["status"] for r in filled] == ["filled"] * 40

    trades = (
        await client.get("/api/v1/trades", params={"limit": 100}, headers=buyer.headers)
    ).json()
    assert sorted(Decimal(t["price"]) for t in trades["items"]) == [
        100 + Decimal(i) / 4 for i in range(40)
    ]
    mine = await balances(client, seller)
    assert mine[(listed.isin, "locked")] == 0 and mine[(listed.isin, "available")] == 6_000
    assert (await balances(client, buyer))[("INR", "locked")] == 0  # the surplus went back
    async with UnitOfWork(app.state.database, write=False) as uow:
        events = list(await uow.session.scalars(select(OutboxRow).order_by(OutboxRow.position)))
    executed = [e.data for e in events if e.type == "trade.executed.v1"]
    assert [e["trade_seq"] for e in executed] == list(range(1, 41))  # in the order they traded
    assert [Decimal(e["price"]) for e in executed] == [100 + Decimal(i) / 4 for i in range(40)]
    assert all(e["buyer_id"] == buyer.user_id and e["quantity"] == 100 for e in executed)
    accepted = [e.data["client_order_id"] for e in events if e.type == "order.accepted.v1"]
    assert accepted == [f"ask-{i}" for i in range(40)] + [f"bid-{i}" for i in range(40)]


async def test_a_client_order_id_used_by_an_earlier_batch_is_refused_alone(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """The writer checks what the API's own check could not see: an id committed since."""
    listed = await list_bond(client, app)
    seller, _ = await _traders(client, app, listed)
    writer, market = await _writer(app, listed)
    first = await writer.submit(
        _ticket(market, seller, OrderSide.SELL, "101", 100, client_order_id="x")
    )
    again, other = await asyncio.gather(  # one batch
        writer.submit(_ticket(market, seller, OrderSide.SELL, "102", 100, client_order_id="x")),
        writer.submit(_ticket(market, seller, OrderSide.SELL, "103", 100, client_order_id="y")),
        return_exceptions=True,
    )
    assert isinstance(again, Conflict) and again.code == "order.duplicate_client_order_id"
    assert again.extra == {"order_id": str(first.id)}
    assert isinstance(other, OrderRecord) and other.status == "new"
    assert (await balances(client, seller))[(listed.isin, "locked")] == 200


async def test_an_answer_is_the_order_as_its_batch_committed_it(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    listed = await list_bond(client, app)
    seller, buyer = await _traders(client, app, listed)
    writer, market = await _writer(app, listed)
    ask = await writer.submit(_ticket(market, seller, OrderSide.SELL, "100", 300))
    bid = await writer.submit(_ticket(market, buyer, OrderSide.BUY, "100", 100))
    assert bid.status == "filled"
    assert (ask.status, ask.filled_quantity, ask.reserved) == ("new", 0, 300)  # as answered

    cancelled = await writer.cancel(uuid.UUID(seller.user_id), ask.id)  # kept: not read again
    assert (cancelled.status, cancelled.filled_quantity, cancelled.cancelled_quantity) == (
        "cancelled",
        100,
        200,
    )
    assert cancelled.reserved == 0 and (ask.status, ask.reserved) == ("new", 300)
    stored = (await client.get(f"/api/v1/orders/{ask.id}", headers=seller.headers)).json()
    assert (stored["status"], stored["cancelled_quantity"]) == ("cancelled", 200)


async def test_orders_the_writer_does_not_keep_are_read_again(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    listed = await list_bond(client, app)
    seller, buyer = await _traders(client, app, listed)
    writer, market = await _writer(app, listed)
    asks = [
        await writer.submit(_ticket(market, seller, OrderSide.SELL, "100", 100)) for _ in range(3)
    ]
    await writer.rebuild()  # forgets every record it kept
    # One batch: the buy reads asks 0 and 1 as it trades with them, the cancel names ask 1;
    # both must change one record of it, which the cancel answers.
    traded, cancelled = await asyncio.gather(
        writer.submit(_ticket(market, buyer, OrderSide.BUY, "100", 150)),
        writer.cancel(uuid.UUID(seller.user_id), asks[1].id),
    )
    assert traded.status == "filled"
    assert (cancelled.status, cancelled.filled_quantity, cancelled.cancelled_quantity) == (
        "cancelled",
        50,
        50,
    )
    after = await writer.cancel(uuid.UUID(seller.user_id), asks[2].id)
    assert after.status == "cancelled"
    with pytest.raises(Conflict) as done:
        await writer.cancel(uuid.UUID(seller.user_id), asks[0].id)
    assert done.value.code == "order.not_cancellable"
    assert (await balances(client, seller))[(listed.isin, "locked")] == 0


async def test_a_cancel_all_cancels_what_its_own_batch_queued(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    listed = await list_bond(client, app)
    _, buyer = await _traders(client, app, listed)
    writer, market = await _writer(app, listed)
    queued, cancelled = await asyncio.gather(  # one batch
        writer.submit(_ticket(market, buyer, OrderSide.BUY, "99", 100, queued=True)),
        writer.cancel_all(uuid.UUID(buyer.user_id)),
    )
    assert queued.status == "cancelled" and [o.id for o in cancelled] == [queued.id]
    assert writer.queued == 0
    assert (await balances(client, buyer))[("INR", "locked")] == 0
    assert (await order(client, buyer, listed, "buy", "99", 100)).status_code == 201


def test_an_order_record_has_every_column_of_an_order() -> None:
    """The writer reads, writes and answers orders as records: a column they lacked would be
    neither read nor written."""
    assert {field.name for field in fields(OrderRecord)} == set(Order.__table__.c.keys())
