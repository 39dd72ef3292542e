"""Order entry forwarded over Redis to the engine process that holds the book's lease.

Two "processes" here are two apps (or an app and a `Trading` of the test's) with their own
`Database` and lease manager, on one database and one Redis.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import astuple, dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from liquibond.app import create_app
from liquibond.platform.db import Database
from liquibond.platform.errors import Conflict, FieldError, Problem, ServiceUnavailable
from liquibond.platform.uow import UnitOfWork
from liquibond.trading.forwarding import COMMANDS, Forwarder, decode, encode
from liquibond.trading.lease import LeaseManager
from liquibond.trading.models import OrderKind, OrderSide, OrderTif
from liquibond.trading.runner import OrderRecord, Trading
from liquibond.trading.schemas import OrderCreate
from liquibond.trading.service import Market, OrderService, OrderTicket, ReplaceTicket
from tests.conftest import FAST_PASSWORDS, REDIS_URL, make_settings, service_url, started
from tests.helpers import LoggedIn, assert_problem
from tests.trading.conftest import fund_cash, fund_units, list_bond, order, verified_investor

#: The apps' forwarding deadline: short, so a dead holder's 503 comes soon.
DEADLINE = 3.0


T = TypeVar("T")


def _round_trip(kind: type[T], value: T) -> T:
    return decode(kind, json.loads(json.dumps(encode(value))))


def test_tickets_orders_and_problems_survive_the_codec() -> None:
    ticket = OrderTicket(
        user_id=uuid.uuid4(),
        request=OrderCreate(
            instrument_id=uuid.uuid4(),
            client_order_id="c-1",
            side=OrderSide.SELL,
            time_in_force=OrderTif.GTD,
            price=Decimal("100.0025"),
            quantity=300,
            display_quantity=100,
            expire_at=datetime(2030, 1, 2, 3, 4, 5, 600_000, tzinfo=UTC),
        ),
        price_ticks=40_001,
        stop_ticks=None,
        reserve_asset="IN0020220012",
        reserve_amount=300,
        expire_at=datetime(2030, 1, 2, 3, 4, 5, 600_000, tzinfo=UTC),
        queued=True,
    )
    assert _round_trip(OrderTicket, ticket) == ticket
    assert _round_trip(OrderTicket, ticket).request.order_type is OrderKind.LIMIT

    replace = ReplaceTicket(uuid.uuid4(), uuid.uuid4(), 200, None, Decimal("7.125000"))
    assert _round_trip(ReplaceTicket, replace) == replace

    record = OrderRecord(
        uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), "c-1", 7, "buy", "limit", "gtc", False,
        Decimal("100.2500"), 40_100, Decimal("7.1"), None, None, 100, None, True,
        datetime(2030, 1, 2, tzinfo=UTC), "cancel_newest", 300, 100, 0, 200, 100, 9,
        "partially_filled", None, "INR", 12_345_67, datetime.now(UTC), None,
    )  # fmt: skip
    back = _round_trip(list[OrderRecord], [record])
    assert [astuple(order) for order in back] == [astuple(record)]
    assert str(back[0].price) == "100.2500"  # the scale kept, as the database gives it

    problem = Conflict(
        code="order.duplicate_client_order_id",
        detail="Seen it.",
        errors=[FieldError("body.client_order_id", "already used", "duplicate")],
        headers={"Retry-After": "2"},
        extra={"order_id": "x", "nested": {"n": [1, None]}},
    )
    copy = _round_trip(Problem, problem)
    assert (copy.status, copy.code, copy.detail) == (409, problem.code, problem.detail)
    assert list(copy.errors) == list(problem.errors)
    assert copy.headers == problem.headers and copy.extra == problem.extra
    assert copy.to_body("/i") == problem.to_body("/i")


def test_the_codec_refuses_what_it_cannot_rebuild() -> None:
    with pytest.raises(TypeError):
        decode(int, "1")
    with pytest.raises(TypeError):
        decode(int | str, 1)  # type: ignore[arg-type]


@dataclass
class Process:
    """An API process: its app and a client talking to it."""

    app: FastAPI
    client: httpx.AsyncClient

    @property
    def trading(self) -> Trading:
        trading: Trading = self.app.state.trading
        return trading


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    """The shared Redis."""
    client = Redis.from_url(service_url("redis", REDIS_URL))
    yield client
    await client.aclose()


@pytest.fixture
async def processes(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[Process, Process]]:
    """Two API processes, started, on one database and one Redis (one settings: a token
    from either is good at both)."""
    settings = make_settings(
        database_url,
        tmp_path,
        redis_url=service_url("redis", REDIS_URL),
        trading_forward_seconds=DEADLINE,
    )
    apps = [create_app(settings, passwords=FAST_PASSWORDS) for _ in range(2)]
    async with started(apps[0]), started(apps[1]):
        # Logins are rate limited per IP in the shared Redis: a client address of its own.
        address = (f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.1", 40000)
        clients = [
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, client=address), base_url="http://t"
            )
            for app in apps
        ]
        yield Process(apps[0], clients[0]), Process(apps[1], clients[1])
        for client in clients:
            await client.aclose()


def _body(response: httpx.Response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_any_process_takes_orders_for_a_book_another_writes(
    processes: tuple[Process, Process],
) -> None:
    a, b = processes
    market = await list_bond(a.client, a.app)
    seller, buyer = await verified_investor(a.client), await verified_investor(a.client)
    await fund_units(a.app, market, seller, 500)
    await fund_cash(a.app, buyer, 100_000_00)
    _body(await order(a.client, seller, market, "sell", "100.00", 100))
    instrument_id = uuid.UUID(market.id)
    assert instrument_id in a.trading.writers()  # A holds the book

    bid = _body(await order(b.client, buyer, market, "buy", "100.00", 400))
    assert (bid["status"], bid["filled_quantity"], bid["leaves_quantity"]) == (
        "partially_filled",
        100,
        300,
    )
    trades = (await b.client.get("/api/v1/trades", headers=buyer.headers)).json()["items"]
    assert [(t["order_id"], t["quantity"]) for t in trades] == [(bid["id"], 100)]
    assert instrument_id not in b.trading.writers()  # forwarded, not taken over

    replaced = _body(
        await b.client.patch(
            f"/api/v1/orders/{bid['id']}", json={"quantity": 200}, headers=buyer.headers
        ),
        200,
    )
    assert (replaced["quantity"], replaced["leaves_quantity"]) == (200, 100)
    cancelled = _body(
        await b.client.delete(f"/api/v1/orders/{bid['id']}", headers=buyer.headers), 200
    )
    assert (cancelled["status"], cancelled["leaves_quantity"]) == ("cancelled", 0)

    resting = [
        _body(await order(b.client, seller, market, "sell", price, 100))
        for price in ("101.00", "102.00")
    ]
    everything = _body(
        await b.client.post("/api/v1/orders/cancel-all", json={}, headers=seller.headers), 200
    )
    assert sorted(everything["cancelled"]) == sorted(o["id"] for o in resting)
    mine = (await a.client.get("/api/v1/orders", headers=seller.headers)).json()["items"]
    assert {o["id"]: o["status"] for o in mine if o["id"] in everything["cancelled"]} == {
        o["id"]: "cancelled" for o in resting
    }
    assert instrument_id not in b.trading.writers()


async def test_a_refusal_comes_back_as_the_holder_gave_it(
    processes: tuple[Process, Process],
) -> None:
    a, b = processes
    market = await list_bond(a.client, a.app)
    seller, broke = await verified_investor(a.client), await verified_investor(a.client)
    await fund_units(a.app, market, seller, 100)
    _body(await order(a.client, seller, market, "sell", "100.00", 100))

    refusals = [
        await order(process.client, broke, market, "buy", "100.00", 100) for process in (a, b)
    ]
    here, forwarded = (assert_problem(r, 422, "order.insufficient_funds") for r in refusals)
    assert forwarded == here and forwarded["asset"] == "INR" and forwarded["required"] > 0
    assert uuid.UUID(market.id) not in b.trading.writers()


@dataclass
class Holder:
    """An engine process the test runs itself."""

    database: Database
    trading: Trading
    forwarder: Forwarder
    serving: asyncio.Task[None] | None

    def serve(self) -> None:
        self.serving = asyncio.create_task(self.forwarder.serve(self.trading))

    async def stop_serving(self) -> None:
        """Stop taking commands (the lease stays held: to the others it looks dead)."""
        if self.serving is not None:
            self.serving.cancel()
            await asyncio.gather(self.serving, return_exceptions=True)
            self.serving = None

    async def hold(self, instrument_id: uuid.UUID) -> Market:
        """Take the book's lease (and start its writer)."""
        async with UnitOfWork(self.database, write=False) as uow:
            market = await OrderService(uow.session).market(instrument_id)
        await self.trading.local_writer(market)
        return market


@pytest.fixture
async def holder(
    processes: tuple[Process, Process], database_url: str, redis: Redis
) -> AsyncIterator[Holder]:
    """A third engine process, holding nothing yet: its own `Database`, `Trading` and command
    server, which the test can stop and start."""
    database = Database(database_url)
    trading = Trading(database, leases=LeaseManager(database))
    process = Holder(database, trading, Forwarder(redis, database), None)
    yield process
    await process.stop_serving()
    await trading.stop()
    await database.dispose()


async def test_a_silent_holder_gives_503_after_the_deadline_and_stale_commands_are_dropped(
    processes: tuple[Process, Process], holder: Holder, redis: Redis
) -> None:
    a, b = processes
    market = await list_bond(a.client, a.app)
    seller = await verified_investor(a.client)
    await fund_units(a.app, market, seller, 200)
    book = await holder.hold(uuid.UUID(market.id))
    holder.serve()
    ask = _body(await order(b.client, seller, market, "sell", "100.00", 100))
    assert book.instrument_id in holder.trading.writers()

    await holder.stop_serving()
    began = time.monotonic()
    refused = await b.client.delete(f"/api/v1/orders/{ask['id']}", headers=seller.headers)
    assert_problem(refused, 503, "trading.book_elsewhere")
    assert refused.headers["retry-after"] == "2"
    assert time.monotonic() - began >= DEADLINE
    queue = COMMANDS.format(holder=holder.trading.holder)
    assert not await redis.exists(queue)  # the command expired with the sender's wait

    # A command the holder takes only after its deadline is not run; nor is garbage.
    late = Forwarder(redis, a.app.state.database, deadline_seconds=0.3, grace_seconds=2)
    cancel = asyncio.create_task(
        late.book(book).cancel(uuid.UUID(seller.user_id), uuid.UUID(ask["id"]))
    )
    await redis.rpush(queue, "not a command")
    await asyncio.sleep(0.6)
    holder.serve()
    with pytest.raises(ServiceUnavailable) as unanswered:
        await cancel
    assert unanswered.value.code == "trading.book_elsewhere"
    assert await redis.llen(queue) == 0  # taken, and dropped
    assert await _status(b, seller, ask) == "new"

    cancelled = await b.client.delete(f"/api/v1/orders/{ask['id']}", headers=seller.headers)
    assert _body(cancelled, 200)["status"] == "cancelled"  # the holder serves again


async def test_no_holder_is_503_and_depth_is_not_forwarded(
    processes: tuple[Process, Process], holder: Holder
) -> None:
    a, b = processes
    market = await list_bond(a.client, a.app)
    book = await holder.hold(uuid.UUID(market.id))
    holder.serve()
    remote = await b.trading.writer(book)
    with pytest.raises(ServiceUnavailable, match="another engine process"):
        await remote.depth(1)
    with pytest.raises(ServiceUnavailable, match="another engine process"):
        _ = remote.book
    assert_problem(
        await b.client.get(f"/api/v1/instruments/{market.id}/book"), 503, "trading.book_elsewhere"
    )

    await holder.trading.stop()  # releases the lease: nobody holds the book now
    with pytest.raises(ServiceUnavailable) as nobody:
        await remote.cancel_all(None)
    assert nobody.value.code == "trading.book_elsewhere"


async def _status(process: Process, user: LoggedIn, placed: dict[str, Any]) -> str:
    response = await process.client.get(f"/api/v1/orders/{placed['id']}", headers=user.headers)
    return str(response.json()["status"])
