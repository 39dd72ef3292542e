"""Public market data over HTTP: the L2 book, the tape, candles and the ticker."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from liquibond.platform.db import utcnow
from liquibond.platform.uow import UnitOfWork
from liquibond.trading.models import Trade
from tests.helpers import LoggedIn, assert_problem
from tests.instruments.test_instruments_api import draft, issuer
from tests.trading.conftest import Market, fund_cash, fund_units, list_bond, order
from tests.trading.conftest import verified_investor as investor

#: 09:00 in Mumbai, a Monday: the open of a trading day.
OPEN = datetime(2024, 3, 4, 3, 30, tzinfo=UTC)
MARKET_DATA = ("book", "trades", "candles?interval=1m", "ticker")


async def _traders(client: httpx.AsyncClient, app: FastAPI, market: Market) -> tuple[LoggedIn, ...]:
    """A buyer with ₹1,00,000 and a seller with 1,000 units."""
    buyer, seller = await investor(client), await investor(client)
    await fund_cash(app, buyer, 100_000_00)
    await fund_units(app, market, seller, 1_000)
    return buyer, seller


async def _placed(
    client: httpx.AsyncClient, user: LoggedIn, market: Market, side: str, price: str, qty: int
) -> dict[str, Any]:
    placed = await order(client, user, market, side, price, qty)
    assert placed.status_code == 201, placed.text
    body: dict[str, Any] = placed.json()
    return body


async def _traded_at(app: FastAPI, market: Market, times: dict[int, datetime]) -> None:
    """Move trades (by sequence number) to known times."""
    async with UnitOfWork(app.state.database) as uow:
        for trade_seq, at in times.items():
            await uow.session.execute(
                update(Trade)
                .where(Trade.instrument_id == uuid.UUID(market.id), Trade.trade_seq == trade_seq)
                .values(created_at=at)
            )
        await uow.commit()


def _level(price: str, ticks: int, quantity: int, orders: int) -> dict[str, Any]:
    return {"price": price, "price_ticks": ticks, "quantity": quantity, "orders": orders}


async def test_the_book_aggregates_resting_orders_by_level(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    url = f"/api/v1/instruments/{market.id}/book"
    empty = (await client.get(url)).json()
    assert (empty["bids"], empty["asks"], empty["sequence"]) == ([], [], 0)

    buyer, seller = await _traders(client, app, market)
    other_buyer, other_seller = await _traders(client, app, market)
    await _placed(client, buyer, market, "buy", "100", 100)
    await _placed(client, other_buyer, market, "buy", "100.00", 200)
    await _placed(client, buyer, market, "buy", "99.9975", 100)
    await _placed(client, seller, market, "sell", "100.5", 100)
    await _placed(client, other_seller, market, "sell", "100.50", 300)
    await _placed(client, seller, market, "sell", "101", 100)

    book = await client.get(url)  # anonymous
    assert book.status_code == 200, book.text
    assert book.json()["instrument_id"] == market.id
    assert book.json()["bids"] == [
        _level("100", 40_000, 300, 2),
        _level("99.9975", 39_999, 100, 1),
    ]
    assert book.json()["asks"] == [_level("100.5", 40_200, 400, 2), _level("101", 40_400, 100, 1)]
    sequence = book.json()["sequence"]
    assert sequence > 0

    top = (await client.get(url, params={"depth": 1})).json()
    assert (top["bids"], top["asks"]) == ([_level("100", 40_000, 300, 2)], [book.json()["asks"][0]])

    # Taking 200 at 100.50: the older ask (100) goes, the newer one keeps 200 of its 300.
    await _placed(client, other_buyer, market, "buy", "100.5", 200)
    after = (await client.get(url)).json()
    assert after["asks"] == [_level("100.5", 40_200, 200, 1), _level("101", 40_400, 100, 1)]
    assert after["bids"] == book.json()["bids"] and after["sequence"] > sequence

    for depth in (0, 101, "ten"):
        body = assert_problem(
            await client.get(url, params={"depth": depth}), 422, "request.validation_failed"
        )
        assert body["errors"][0]["field"] == "query.depth"


async def test_a_halted_book_is_not_shown(client: httpx.AsyncClient, app: FastAPI) -> None:
    market = await list_bond(client, app)
    buyer, _ = await _traders(client, app, market)
    await _placed(client, buyer, market, "buy", "100", 100)
    writer = app.state.trading.writers()[uuid.UUID(market.id)]
    writer.halted = "The rebuilt book does not match the book at the last commit."
    for path in ("book", "ticker"):
        url = f"/api/v1/instruments/{market.id}/{path}"
        assert_problem(await client.get(url), 503, "trading.book_halted")
    assert (await client.get(f"/api/v1/instruments/{market.id}/trades")).status_code == 200


async def test_the_tape_lists_trades_newest_first_without_who_traded(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    buyer, seller = await _traders(client, app, market)
    orders = [
        await _placed(client, seller, market, "sell", "100.5", 100),
        await _placed(client, seller, market, "sell", "100.75", 100),
        await _placed(client, buyer, market, "buy", "100.5", 100),
        await _placed(client, buyer, market, "buy", "100.75", 100),
        await _placed(client, buyer, market, "buy", "100", 200),
        await _placed(client, seller, market, "sell", "100", 200),
    ]
    url = f"/api/v1/instruments/{market.id}/trades"

    tape = await client.get(url)
    assert tape.status_code == 200, tape.text
    trades = tape.json()["items"]
    assert [(t["trade_seq"], t["price"], t["price_ticks"], t["quantity"]) for t in trades] == [
        (3, "100", 40_000, 200),
        (2, "100.75", 40_300, 100),
        (1, "100.5", 40_200, 100),
    ]
    assert [t["aggressor_side"] for t in trades] == ["sell", "buy", "buy"]
    assert {t["venue"] for t in trades} == {"book"}
    assert tape.json()["next_cursor"] is None
    assert {key for t in trades for key in t} == {
        "id",
        "trade_seq",
        "venue",
        "price",
        "price_ticks",
        "quantity",
        "aggressor_side",
        "created_at",
    }
    for secret in (buyer.user_id, seller.user_id, *(o["id"] for o in orders)):
        assert secret not in tape.text
    mine = (await client.get("/api/v1/trades", headers=buyer.headers)).json()["items"]
    assert [t["id"] for t in trades] == [t["id"] for t in mine]

    first = (await client.get(url, params={"limit": 2})).json()
    assert [t["trade_seq"] for t in first["items"]] == [3, 2]
    rest = (await client.get(url, params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert ([t["trade_seq"] for t in rest["items"]], rest["next_cursor"]) == ([1], None)
    assert_problem(
        await client.get(url, params={"cursor": "bm90LWpzb24="}), 400, "pagination.invalid_cursor"
    )


async def _four_trades(client: httpx.AsyncClient, app: FastAPI, market: Market) -> None:
    """Trades at 100.50 x 100, 100.75 x 100, 100 x 200 and 100.25 x 100, in that order."""
    buyer, seller = await _traders(client, app, market)
    for side, price, quantity in (
        ("sell", "100.5", 100),
        ("sell", "100.75", 100),
        ("buy", "100.75", 200),
        ("buy", "100", 200),
        ("sell", "100", 200),
        ("sell", "100.25", 100),
        ("buy", "100.25", 100),
    ):
        await _placed(client, buyer if side == "buy" else seller, market, side, price, quantity)


def _candle(
    start: datetime, prices: tuple[str, str, str, str], volume: int, trades: int
) -> dict[str, Any]:
    open_, high, low, close = prices
    return {
        "start": start.isoformat().replace("+00:00", "Z"),
        "open": open_,
        "high": high,
        "low": low,
        "close": close,
        "volume": volume,
        "trades": trades,
    }


async def test_candles_aggregate_trades_per_interval(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    await _four_trades(client, app, market)
    await _traded_at(
        app,
        market,
        {
            1: OPEN + timedelta(seconds=5),
            2: OPEN + timedelta(seconds=50, microseconds=999_999),
            3: OPEN + timedelta(seconds=65),
            4: OPEN + timedelta(minutes=6),
        },
    )
    url = f"/api/v1/instruments/{market.id}/candles"

    async def candles(interval: str, start: datetime, end: datetime) -> dict[str, Any]:
        params = {"interval": interval, "from": start.isoformat(), "to": end.isoformat()}
        got = await client.get(url, params=params)
        assert got.status_code == 200, got.text
        body: dict[str, Any] = got.json()
        return body

    minutes = await candles("1m", OPEN, OPEN + timedelta(minutes=10))
    assert minutes["interval"] == "1m" and minutes["instrument_id"] == market.id
    assert minutes["candles"] == [
        _candle(OPEN, ("100.5", "100.75", "100.5", "100.75"), 200, 2),
        _candle(OPEN + timedelta(minutes=1), ("100", "100", "100", "100"), 200, 1),
        _candle(OPEN + timedelta(minutes=6), ("100.25", "100.25", "100.25", "100.25"), 100, 1),
    ]
    five = await candles("5m", OPEN, OPEN + timedelta(minutes=10))
    assert five["candles"] == [
        _candle(OPEN, ("100.5", "100.75", "100", "100"), 400, 3),
        _candle(OPEN + timedelta(minutes=5), ("100.25", "100.25", "100.25", "100.25"), 100, 1),
    ]
    # Windows widen to whole intervals; the first minute alone, then nothing before the open.
    first = await candles("1m", OPEN + timedelta(seconds=30), OPEN + timedelta(seconds=31))
    assert (first["from"], first["to"]) == ("2024-03-04T03:30:00Z", "2024-03-04T03:31:00Z")
    assert [c["trades"] for c in first["candles"]] == [2]
    assert (await candles("15m", OPEN - timedelta(hours=2), OPEN))["candles"] == []

    # Hours and days follow Mumbai time: 08:30 IST rounds down to 08:00 IST (02:30 UTC), and
    # the day starts at midnight IST (18:30 UTC the day before).
    hours = await candles("1h", OPEN - timedelta(minutes=30), OPEN + timedelta(hours=1))
    assert hours["from"] == "2024-03-04T02:30:00Z"
    assert hours["candles"] == [_candle(OPEN, ("100.5", "100.75", "100", "100.25"), 500, 4)]
    days = await candles("1d", OPEN, OPEN + timedelta(hours=1))
    assert days["candles"] == [
        _candle(
            datetime(2024, 3, 3, 18, 30, tzinfo=UTC), ("100.5", "100.75", "100", "100.25"), 500, 4
        )
    ]

    # Without `to`: up to now, whose candle is the latest (trades just done are in it).
    recent = await client.get(url, params={"interval": "1d"})
    assert recent.status_code == 200, recent.text
    assert recent.json()["candles"] == []  # every trade was moved to 2024


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"interval": "2m"}, "request.validation_failed", "query.interval"),
        ({}, "request.validation_failed", "query.interval"),
        (
            {"interval": "1m", "from": "2024-03-04T09:00:00"},  # no offset: ambiguous
            "request.validation_failed",
            "query.from",
        ),
        (
            {"interval": "1m", "from": "2024-03-04T09:00:00Z", "to": "2024-03-04T09:00:00Z"},
            "candles.invalid_range",
            "query.from",
        ),
        (
            {"interval": "1h", "from": "2024-03-05T00:00:00Z", "to": "2024-03-04T00:00:00Z"},
            "candles.invalid_range",
            "query.from",
        ),
        (
            {"interval": "1m", "from": "2024-03-04T00:00:00Z", "to": "2024-03-05T00:00:01Z"},
            "candles.range_too_large",
            "query.from",
        ),
        (
            {"interval": "1d", "from": "2020-01-01T00:00:00Z"},
            "candles.range_too_large",
            "query.from",
        ),
    ],
)
async def test_candles_refuse_bad_intervals_and_ranges(
    client: httpx.AsyncClient, app: FastAPI, params: dict[str, str], code: str, field: str
) -> None:
    market = await list_bond(client, app)
    url = f"/api/v1/instruments/{market.id}/candles"
    body = assert_problem(await client.get(url, params=params), 422, code)
    assert body["errors"][0]["field"] == field


async def test_candles_cover_at_most_a_thousand_intervals(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    url = f"/api/v1/instruments/{market.id}/candles"
    params = {
        "interval": "1m",
        "from": OPEN.isoformat(),
        "to": (OPEN + timedelta(minutes=1_000)).isoformat(),
    }
    assert (await client.get(url, params=params)).status_code == 200
    params["to"] = (OPEN + timedelta(minutes=1_000, seconds=1)).isoformat()
    assert_problem(await client.get(url, params=params), 422, "candles.range_too_large")


async def test_the_ticker_sums_up_the_last_24_hours(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    url = f"/api/v1/instruments/{market.id}/ticker"
    quiet = (await client.get(url)).json()
    assert quiet["last_price"] is None and quiet["change_24h"] is None
    assert (quiet["volume_24h"], quiet["trades_24h"]) == (0, 0)
    assert (quiet["best_bid"], quiet["best_ask"], quiet["last_yield"]) == (None, None, None)

    buyer, seller = await _traders(client, app, market)
    await _placed(client, seller, market, "sell", "99", 100)
    await _placed(client, buyer, market, "buy", "99", 100)
    await _traded_at(app, market, {1: utcnow() - timedelta(hours=25)})  # before the window
    await _placed(client, seller, market, "sell", "100", 100)
    await _placed(client, buyer, market, "buy", "100", 100)
    await _placed(client, buyer, market, "buy", "100.5", 200)
    await _placed(client, seller, market, "sell", "100.5", 200)
    await _placed(client, buyer, market, "buy", "99.5", 100)
    await _placed(client, seller, market, "sell", "101.25", 100)
    await _placed(client, seller, market, "sell", "101.25", 300)

    got = await client.get(url)
    assert got.status_code == 200, got.text
    ticker = got.json()
    assert ticker["instrument_id"] == market.id
    assert (ticker["last_price"], ticker["last_price_ticks"], ticker["last_quantity"]) == (
        "100.5",
        40_200,
        200,
    )
    assert (ticker["open_24h"], ticker["high_24h"], ticker["low_24h"]) == ("100", "100.5", "100")
    assert ticker["change_24h"] == "0.5"
    assert ticker["change_percent_24h"] == pytest.approx(0.5)
    assert (ticker["volume_24h"], ticker["trades_24h"]) == (300, 2)
    assert ticker["best_bid"] == _level("99.5", 39_800, 100, 1)
    assert ticker["best_ask"] == _level("101.25", 40_500, 400, 2)
    last_trade_at = datetime.fromisoformat(ticker["last_trade_at"])
    assert last_trade_at <= datetime.fromisoformat(ticker["as_of"])

    # The yield the analytics API gives for the same clean price and settlement date.
    analytics = await client.get(
        f"/api/v1/instruments/{market.id}/analytics", params={"price": "100.5"}
    )
    assert analytics.status_code == 200, analytics.text
    assert ticker["last_yield"] == pytest.approx(analytics.json()["yield"], abs=1e-9)
    assert 7 < ticker["last_yield"] < 7.26  # a 7.26% coupon bought above par


async def test_a_draft_or_unknown_instrument_has_no_market_data(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    listed = await list_bond(client, app)
    bank = await issuer(client, listed.admin)
    drafted = await draft(client, bank, isin="IN0020230010")
    assert drafted.status_code == 201, drafted.text
    for instrument_id in (drafted.json()["id"], str(uuid.uuid4())):
        for path in MARKET_DATA:
            url = f"/api/v1/instruments/{instrument_id}/{path}"
            assert_problem(await client.get(url), 404, "instrument.not_found")
            assert_problem(await client.get(url, headers=bank.headers), 404, "instrument.not_found")
    for path in MARKET_DATA:  # anonymous readers are welcome once it is listed
        got = await client.get(f"/api/v1/instruments/{listed.id}/{path}")
        assert got.status_code == 200, got.text


async def test_tickers_of_many_instruments_are_each_ones_ticker(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    traded = await list_bond(client, app)
    quiet = await list_bond(client, app, isin="IN0020230010")
    drafted = await draft(client, traded.issuer, isin="IN0020230028")
    assert drafted.status_code == 201, drafted.text
    buyer, seller = await _traders(client, app, traded)
    await _placed(client, seller, traded, "sell", "100", 100)
    await _placed(client, buyer, traded, "buy", "100", 100)
    await _placed(client, buyer, traded, "buy", "99.5", 100)

    def without_time(ticker: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in ticker.items() if key != "as_of"}

    singles = {}
    for market in (traded, quiet):
        single = await client.get(f"/api/v1/instruments/{market.id}/ticker")
        singles[market.id] = without_time(single.json())

    every = await client.get("/api/v1/market/tickers")
    assert every.status_code == 200, every.text
    listed = [without_time(ticker) for ticker in every.json()]
    by_isin = sorted((traded, quiet), key=lambda market: market.isin)
    assert listed == [singles[market.id] for market in by_isin]
    assert listed[[m.id for m in by_isin].index(traded.id)]["last_price"] == "100"

    # Asked by id: drafts and unknown ids are left out, as on the single ticker's 404.
    ids = [quiet.id, drafted.json()["id"], str(uuid.uuid4())]
    some = await client.get("/api/v1/market/tickers", params={"instrument_id": ids})
    assert [without_time(ticker) for ticker in some.json()] == [singles[quiet.id]]
    too_many = {"instrument_id": [str(uuid.uuid4()) for _ in range(201)]}
    assert_problem(
        await client.get("/api/v1/market/tickers", params=too_many),
        422,
        "request.validation_failed",
    )


async def test_the_analytics_quote_the_exact_cash_a_trade_settles_for(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    buyer, seller = await _traders(client, app, market)
    await _placed(client, seller, market, "sell", "100.4975", 300)
    await _placed(client, buyer, market, "buy", "100.4975", 300)
    [fill] = (await client.get("/api/v1/trades", headers=buyer.headers)).json()["items"]

    url = f"/api/v1/instruments/{market.id}/analytics"
    params = {"price": "100.4975", "units": 300, "settlement_date": fill["settlement_date"]}
    quoted = await client.get(url, params=params)
    assert quoted.status_code == 200, quoted.text
    cash = quoted.json()["cash"]
    assert (cash["units"], cash["scale"]) == (300, 2)
    assert (cash["accrued"], cash["total"]) == (fill["accrued_interest"], fill["dirty_amount"])
    assert cash["principal"] + cash["accrued"] == cash["total"]
    assert quoted.json()["cash"] is not None
    assert (await client.get(url, params={"price": "100"})).json()["cash"] is None
    assert_problem(
        await client.get(url, params={"yield": "7", "units": 100}), 422, "request.validation_failed"
    )
