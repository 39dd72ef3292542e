"""The market maker's loop against the real app in-process, over HTTP like any client."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from liquibond.cli import app as cli
from liquibond.marketmaker.client import ApiError, Config, Credentials, MarketMaker, websocket_url
from tests.helpers import PASSWORD, LoggedIn
from tests.trading.conftest import Market, fund_cash, fund_units, list_bond, order
from tests.trading.conftest import verified_investor as verified

CURVE = "INR-GSEC"


async def put_curve(client: httpx.AsyncClient, admin: LoggedIn, par_yield: str) -> None:
    """A flat par curve as of today."""
    body = {
        "as_of": date.today().isoformat(),
        "points": [{"tenor_years": t, "par_yield": par_yield} for t in (1, 5, 10, 30)],
    }
    response = await client.put(f"/api/v1/admin/curves/{CURVE}", json=body, headers=admin.headers)
    assert response.status_code == 200, response.text


async def fair_value(client: httpx.AsyncClient, market: Market) -> Decimal:
    response = await client.get(
        f"/api/v1/instruments/{market.id}/analytics", params={"curve": CURVE, "spread_bp": 0}
    )
    assert response.status_code == 200, response.text
    return Decimal(str(response.json()["clean_price"]))


async def book(client: httpx.AsyncClient, market: Market) -> dict[str, list[dict[str, Any]]]:
    response = await client.get(f"/api/v1/instruments/{market.id}/book")
    assert response.status_code == 200, response.text
    body: dict[str, list[dict[str, Any]]] = response.json()
    return body


async def open_orders(client: httpx.AsyncClient, user: LoggedIn) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/orders", params={"open": "true"}, headers=user.headers)
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def maker_user(
    client: httpx.AsyncClient, app: FastAPI, market: Market, *, cash: int, units: int
) -> LoggedIn:
    user = await verified(client)
    if cash:
        await fund_cash(app, user, cash)
    if units:
        await fund_units(app, market, user, units)
    return user


def config(market: Market, **overrides: Any) -> Config:
    values: dict[str, Any] = {
        "size": 1_000,
        "max_inventory": 10_000,
        "spread_bps": Decimal(20),
        "isins": (market.isin,),
        "curve": CURVE,
        "interval": 0.02,
        "retry_pause": 0.0,
        **overrides,
    }
    return Config(**values)


async def test_quotes_around_the_curve_follow_it_and_are_cancelled_on_exit(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    await put_curve(client, market.admin, "7.00")
    user = await maker_user(client, app, market, cash=10**10, units=5_000)
    maker = MarketMaker(client, Credentials(email=user.email, password=PASSWORD), config(market))
    await maker.login()

    first = await maker.cycle()

    assert sorted((a.side, a.kind) for a in first) == [("buy", "placed"), ("sell", "placed")]
    fair = await fair_value(client, market)
    levels = await book(client, market)
    [bid], [ask] = levels["bids"], levels["asks"]
    assert (bid["quantity"], ask["quantity"]) == (1_000, 1_000)
    assert Decimal(str(bid["price"])) < fair < Decimal(str(ask["price"]))
    assert Decimal(str(ask["price"])) - Decimal(str(bid["price"])) >= fair * Decimal("0.0020")
    placed = {o["side"]: o["id"] for o in await open_orders(client, user)}

    # Nothing moved: nothing is sent.
    assert {a.kind for a in await maker.cycle()} == {"kept"}

    # Yields up, prices down: both quotes are replaced, lower, in place.
    await put_curve(client, market.admin, "7.50")
    lower = await fair_value(client, market)
    assert lower < fair - 1
    second = await maker.cycle()

    assert sorted((a.side, a.kind) for a in second) == [("buy", "replaced"), ("sell", "replaced")]
    assert [a.side for a in second] == ["buy", "sell"]  # the bid gets out of the way first
    levels = await book(client, market)
    [new_bid], [new_ask] = levels["bids"], levels["asks"]
    assert Decimal(str(new_bid["price"])) < lower < Decimal(str(new_ask["price"]))
    assert Decimal(str(new_ask["price"])) < Decimal(str(bid["price"]))
    assert {o["side"]: o["id"] for o in await open_orders(client, user)} == placed

    assert await maker.cancel_all() == 2
    levels = await book(client, market)
    assert (levels["bids"], levels["asks"]) == ([], [])
    assert await open_orders(client, user) == []


async def test_with_an_api_key_and_no_curve_it_quotes_the_mid_until_stopped(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    other = await maker_user(client, app, market, cash=10**10, units=1_000)
    for side, price in (("buy", "99.0000"), ("sell", "101.0000")):
        assert (await order(client, other, market, side, price, 100)).status_code == 201
    user = await maker_user(client, app, market, cash=10**10, units=5_000)
    created = await client.post(
        "/api/v1/me/api-keys",
        json={"name": "market maker", "scopes": ["read", "write"]},
        headers=user.headers,
    )
    assert created.status_code == 201, created.text
    maker = MarketMaker(
        client, Credentials(api_key=created.json()["key"]), config(market, curve="NO-SUCH-CURVE")
    )
    stop = asyncio.Event()
    running = asyncio.create_task(maker.run(stop=stop))
    try:
        for _ in range(500):
            mine = await open_orders(client, user)
            if len(mine) == 2:
                break
            await asyncio.sleep(0.02)
        # the middle of the other user's 99/101 is the fair value; 20 bp around it
        assert {(o["side"], Decimal(str(o["price"]))) for o in mine} == {
            ("buy", Decimal("99.9")),
            ("sell", Decimal("100.1")),
        }
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)

    assert await open_orders(client, user) == []
    assert len(await open_orders(client, other)) == 2  # only its own orders were cancelled


async def test_without_a_curve_its_own_quotes_are_left_out_of_the_mid_it_quotes_around(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    other = await maker_user(client, app, market, cash=10**10, units=1_000)
    for side, price in (("buy", "99.0000"), ("sell", "101.0000")):
        assert (await order(client, other, market, side, price, 100)).status_code == 201
    user = await maker_user(client, app, market, cash=10**10, units=5_000)
    # Long 5,000 of its 10,000 limit: its quotes lean a quarter of the spread below the mid.
    maker = MarketMaker(
        client,
        Credentials(email=user.email, password=PASSWORD),
        config(market, curve=None, target_inventory=0, rfq=False),
    )
    await maker.login()

    first = await maker.cycle()
    quoted = {(o["side"], Decimal(str(o["price"]))) for o in await open_orders(client, user)}

    assert sorted((a.side, a.kind) for a in first) == [("buy", "placed"), ("sell", "placed")]
    assert quoted == {("buy", Decimal("99.85")), ("sell", Decimal("100.05"))}
    # Its own 99.85/100.05 are not the market: the others' 99/101 still are, nothing moves
    # (counting its own quotes, the mid would fall each cycle, chasing its own lean).
    assert {a.kind for a in await maker.cycle()} == {"kept"}
    await maker.cancel_all()


async def test_a_refused_side_is_logged_and_left_alone_while_the_other_quotes(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    await put_curve(client, market.admin, "7.00")
    user = await maker_user(client, app, market, cash=0, units=5_000)  # no cash to bid with
    # A clock that stands still: the refusal's back-off cannot run out between two cycles
    # however slowly they run.
    maker = MarketMaker(
        client,
        Credentials(email=user.email, password=PASSWORD),
        config(market),
        clock=lambda: 0.0,
    )
    await maker.login()

    first = await maker.cycle()

    assert {(a.side, a.kind) for a in first} == {("buy", "failed"), ("sell", "placed")}
    [refused] = [a for a in first if a.kind == "failed"]
    assert refused.detail.endswith("insufficient_funds")
    second = await maker.cycle()
    assert {(a.side, a.kind) for a in second} == {("buy", "skipped"), ("sell", "kept")}
    await maker.cancel_all()


async def test_server_errors_are_retried_with_growing_pauses() -> None:
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.headers.get("Idempotency-Key", ""))
        if len(calls) < 3:
            return httpx.Response(503, json={"code": "unavailable", "detail": "busy"})
        return httpx.Response(201, json={"id": "x", "price": 100.25})

    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    async with httpx.AsyncClient(
        transport=httpx.MockTransport(answer), base_url="http://mm.test"
    ) as http:
        maker = MarketMaker(
            http,
            Credentials(api_key="lb_x"),
            Config(size=100, max_inventory=100, retry_pause=0.5),
            sleep=sleep,
        )
        body = await maker._request("POST", "/orders", json={}, idempotency_key="k1")

    assert body == {"id": "x", "price": Decimal("100.25")}
    assert calls == ["k1", "k1", "k1"] and pauses == [0.5, 1.0]


async def test_a_refusal_is_not_retried() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(409, json={"code": "order.not_open", "detail": "gone"})

    async with httpx.AsyncClient(
        transport=httpx.MockTransport(answer), base_url="http://mm.test"
    ) as http:
        maker = MarketMaker(http, Credentials(api_key="lb_x"), Config(size=100, max_inventory=100))
        with pytest.raises(ApiError) as raised:
            await maker._request("DELETE", "/orders/1")
    assert (raised.value.status, raised.value.code) == (409, "order.not_open")


@pytest.mark.parametrize(
    "args",
    [
        ["--api-key", "lb_x", "--spread-bps", "wide"],
        ["--email", "a@example.com"],  # no password
        ["--api-key", "lb_x", "--size", "0"],
        ["--api-key", "lb_x", "--yield", "IN0020220060"],  # no percent
        ["--api-key", "lb_x", "--yield", "IN0020220060=seven"],
        ["--api-key", "lb_x", "--yield", "IN0020220060=-1"],
        ["--api-key", "lb_x", "--rfq-valid-seconds", "0"],
        ["--api-key", "lb_x", "--rfq-last-look-ms", "60001"],
        ["--api-key", "lb_x", "--rfq-max-notional", "0"],
    ],
)
def test_the_command_refuses_bad_options(args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["market-maker", *args], env={"LIQUIBOND_MM_API_KEY": ""})
    assert result.exit_code == 2, result.output


@pytest.mark.parametrize(
    ("base", "ws"),
    [
        ("http://127.0.0.1:8000", "ws://127.0.0.1:8000/api/v1/ws"),
        ("https://venue.example/", "wss://venue.example/api/v1/ws"),
    ],
)
def test_the_websocket_is_found_beside_the_api(base: str, ws: str) -> None:
    assert websocket_url(base) == ws
