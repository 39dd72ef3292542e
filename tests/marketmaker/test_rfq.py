"""The market maker answers RFQs against the real app, over HTTP like any client: it quotes the
dealer's side, meets or answers counters, takes its last look, declines what its limits or its
fair value do not allow, and leaves alone the RFQs not asked of it. The last test runs the app
on a real port, so its WebSocket brings the RFQs to the maker's loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from decimal import Decimal
from typing import Any, TypeVar

import httpx
import uvicorn
from fastapi import FastAPI

from liquibond.marketmaker.client import Config, Credentials, MarketMaker, RfqFeed, websocket_url
from liquibond.marketmaker.quoting import Lots, Side, rfq_price
from tests.helpers import PASSWORD, LoggedIn
from tests.marketmaker.test_client import CURVE, fair_value, put_curve
from tests.rfq.conftest import RS_1_CRORE, dealer
from tests.trading.conftest import Market, fund_cash, fund_units, list_bond, order
from tests.trading.conftest import verified_investor as verified

T = TypeVar("T")
GSEC_LOTS = Lots(Decimal("0.0025"), 100, 100)
#: Seconds a test waits for what the running maker does.
WAIT = 10


def rfq_config(market: Market, **overrides: Any) -> Config:
    """RFQs only, 20 bp wide around the curve's fair value, 10,000 units either way."""
    values: dict[str, Any] = {
        "size": 1_000,
        "max_inventory": 10_000,
        "spread_bps": Decimal(20),
        "isins": (market.isin,),
        "curve": CURVE,
        "books": False,
        "interval": 0.02,
        "retry_pause": 0.0,
        **overrides,
    }
    return Config(**values)


def maker_of(client: httpx.AsyncClient, user: LoggedIn, config: Config) -> MarketMaker:
    return MarketMaker(client, Credentials(email=user.email, password=PASSWORD), config)


async def requester(client: httpx.AsyncClient, app: FastAPI) -> LoggedIn:
    user = await verified(client)
    await fund_cash(app, user, RS_1_CRORE)
    return user


async def ask(
    client: httpx.AsyncClient,
    who: LoggedIn,
    market: Market,
    side: str,
    quantity: int,
    dealers: list[LoggedIn],
) -> str:
    """An RFQ asked of `dealers`; its id."""
    body = {
        "instrument_id": market.id,
        "side": side,
        "quantity": quantity,
        "dealer_ids": [d.user_id for d in dealers],
    }
    response = await client.post("/api/v1/rfqs", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def view(client: httpx.AsyncClient, who: LoggedIn, rfq_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/rfqs/{rfq_id}", headers=who.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def live_quote(client: httpx.AsyncClient, who: LoggedIn, rfq_id: str) -> dict[str, Any]:
    """The one live quote of the RFQ."""
    [live] = [q for q in (await view(client, who, rfq_id))["quotes"] if q["status"] == "live"]
    return dict(live)


async def counter(client: httpx.AsyncClient, who: LoggedIn, rfq_id: str, price: Decimal) -> None:
    quote = await live_quote(client, who, rfq_id)
    response = await client.post(
        f"/api/v1/rfqs/{rfq_id}/quotes/{quote['id']}/counter",
        json={"price": str(price)},
        headers=who.headers,
    )
    assert response.status_code == 200, response.text


async def accept(client: httpx.AsyncClient, who: LoggedIn, rfq_id: str) -> dict[str, Any]:
    quote = await live_quote(client, who, rfq_id)
    response = await client.post(
        f"/api/v1/rfqs/{rfq_id}/accept",
        json={"quote_id": quote["id"], "price": quote["price"]},
        headers=who.headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def my_trades(client: httpx.AsyncClient, who: LoggedIn, market: Market) -> list[Any]:
    response = await client.get(
        "/api/v1/trades", params={"instrument_id": market.id}, headers=who.headers
    )
    return [
        (t["side"], t["quantity"], Decimal(str(t["price"])), t["venue"])
        for t in response.json()["items"]
    ]


async def test_it_quotes_the_dealers_side_and_the_requester_trades_on_it(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    await put_curve(client, market.admin, "7.00")
    mm = await dealer(client, app, market, 5_000)
    by_hand = await dealer(client, app, market, 5_000)  # a dealer nothing answers for
    buyer = await requester(client, app)
    maker = maker_of(client, mm, rfq_config(market))
    await maker.login()
    buying = await ask(client, buyer, market, "buy", 1_000, [mm, by_hand])
    selling = await ask(client, buyer, market, "sell", 1_000, [mm, by_hand])
    not_mine = await ask(client, buyer, market, "buy", 1_000, [by_hand])

    actions = await maker.answer_rfqs()

    assert {(a.rfq_id, a.kind) for a in actions} == {(buying, "quoted"), (selling, "quoted")}
    prices = {a.rfq_id: a.price for a in actions}
    fair = await fair_value(client, market)
    policy = rfq_config(market).policy()
    # It offers to the buyer and bids to the seller, 10 bp (half the spread) from fair value,
    # rounded away from it to the tick; flat (its inventory is its target), so no skew.
    offer, bid = prices[buying], prices[selling]
    assert offer == rfq_price(fair, GSEC_LOTS, policy, 0, Side.SELL)
    assert bid == rfq_price(fair, GSEC_LOTS, policy, 0, Side.BUY)
    assert fair < offer < fair * Decimal("1.001") + GSEC_LOTS.tick
    assert fair * Decimal("0.999") - GSEC_LOTS.tick < bid < fair
    for rfq_id, price in ((buying, offer), (selling, bid)):
        quote = await live_quote(client, buyer, rfq_id)
        assert quote["dealer_id"] == mm.user_id and Decimal(quote["price"]) == price
        assert quote["firm"] is True and quote["last_look_ms"] is None
    assert (await view(client, buyer, not_mine))["quotes"] == []
    assert await maker.answer_rfqs() == []  # nothing changed, nothing to do

    done = await accept(client, buyer, buying)

    assert done["status"] == "done" and Decimal(done["price"]) == offer
    assert await my_trades(client, mm, market) == [("sell", 1_000, offer, "rfq")]
    assert await my_trades(client, buyer, market) == [("buy", 1_000, offer, "rfq")]
    assert await maker.answer_rfqs() == []
    assert (await view(client, by_hand, buying))["quotes"] == []  # nobody quoted for it


async def test_a_counter_within_its_spread_is_met_and_one_beyond_it_gets_its_own_price(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    await put_curve(client, market.admin, "7.00")
    mm = await dealer(client, app, market, 5_000)
    buyer = await requester(client, app)
    maker = maker_of(client, mm, rfq_config(market))
    await maker.login()
    rfq_id = await ask(client, buyer, market, "buy", 1_000, [mm])
    [quoted] = await maker.answer_rfqs()
    assert quoted.price is not None
    offer = quoted.price

    keener = offer - 2 * GSEC_LOTS.tick
    await counter(client, buyer, rfq_id, keener)
    [met] = await maker.answer_rfqs()

    assert (met.kind, met.price) == ("met_counter", keener)
    assert Decimal((await live_quote(client, buyer, rfq_id))["price"]) == keener

    through_fair = GSEC_LOTS.floor(await fair_value(client, market)) - GSEC_LOTS.tick
    await counter(client, buyer, rfq_id, through_fair)
    [requoted] = await maker.answer_rfqs()

    assert (requoted.kind, requoted.price) == ("requoted", offer)
    done = await accept(client, buyer, rfq_id)
    assert done["status"] == "done" and Decimal(done["price"]) == offer


async def test_its_last_look_fills_at_fair_value_and_rejects_once_the_market_moved_through(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    await put_curve(client, market.admin, "7.00")
    mm = await dealer(client, app, market, 5_000)
    buyer = await requester(client, app)
    maker = maker_of(client, mm, rfq_config(market, rfq_last_look_ms=5_000))
    await maker.login()
    first = await ask(client, buyer, market, "buy", 1_000, [mm])
    [quoted] = await maker.answer_rfqs()
    assert (await live_quote(client, buyer, first))["last_look_ms"] == 5_000

    assert (await accept(client, buyer, first))["status"] == "last_look"
    [filled] = await maker.answer_rfqs()

    assert (filled.kind, filled.price) == ("filled", quoted.price)
    assert (await view(client, buyer, first))["status"] == "done"

    second = await ask(client, buyer, market, "buy", 1_000, [mm])
    [quoted] = await maker.answer_rfqs()
    await put_curve(client, market.admin, "6.50")  # yields down, prices up through its offer
    assert quoted.price is not None and quoted.price < await fair_value(client, market)

    assert (await accept(client, buyer, second))["status"] == "last_look"
    [rejected] = await maker.answer_rfqs()

    assert rejected.kind == "rejected" and rejected.detail.startswith("fair value now")
    reopened = await view(client, buyer, second)
    assert reopened["status"] == "open"
    assert [q["status"] for q in reopened["quotes"]] == ["rejected"]
    assert await maker.answer_rfqs() == []  # it does not quote again what it turned down
    assert await my_trades(client, buyer, market) == [("buy", 1_000, filled.price, "rfq")]


async def test_without_a_curve_it_declines_until_the_book_gives_a_fair_value_and_keeps_limits(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    mm = await dealer(client, app, market, 5_000)
    buyer = await requester(client, app)
    maker = maker_of(client, mm, rfq_config(market, curve=None, rfq_max_quantity=1_000))
    await maker.login()
    rfq_id = await ask(client, buyer, market, "buy", 1_000, [mm])

    [declined] = await maker.answer_rfqs()

    assert (declined.kind, declined.detail) == ("declined", "no fair value")
    assert (await view(client, buyer, rfq_id))["quotes"] == []

    other = await verified(client)
    await fund_cash(app, other, RS_1_CRORE)
    await fund_units(app, market, other, 1_000)
    for side, price in (("buy", "99"), ("sell", "101")):
        assert (await order(client, other, market, side, price, 100)).status_code == 201
    [quoted] = await maker.answer_rfqs()

    assert (quoted.kind, quoted.price) == ("quoted", Decimal("100.1"))  # 10 bp over the mid

    too_big = await ask(client, buyer, market, "buy", 1_100, [mm])
    actions = await maker.answer_rfqs()
    assert [(a.rfq_id, a.kind, a.detail) for a in actions] == [(too_big, "declined", "size")]

    # A yield configured for the bond comes before the book.
    configured = maker_of(
        client, mm, rfq_config(market, curve=None, yields={market.isin: Decimal(7)})
    )
    instrument = await configured.instrument(market.id)
    at_seven = await client.get(f"/api/v1/instruments/{market.id}/analytics?yield=7")
    assert await configured.fair_value(instrument) == (
        Decimal(str(at_seven.json()["clean_price"])),
        "yield:7",
    )


# -- over a real port: the WebSocket -------------------------------------------------------------


class _Server(uvicorn.Server):
    """A server in the test's event loop, leaving the process's signals alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """The (started) app on a free local port; its base URL."""
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_config=None))
    running = asyncio.create_task(server.serve())
    while not server.started:
        assert not running.done(), running.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(running, 10)


async def eventually(probe: Callable[[], Awaitable[T | None]]) -> T:
    """The first truthy answer of `probe`, polled for about WAIT seconds at most."""
    for _ in range(int(WAIT / 0.02)):
        answer = await probe()
        if answer:
            return answer
        await asyncio.sleep(0.02)
    raise AssertionError("the condition never held")


async def test_the_websocket_brings_rfqs_and_counters_to_the_running_maker(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    await put_curve(client, market.admin, "7.00")
    mm = await dealer(client, app, market, 5_000)
    buyer = await requester(client, app)
    config = rfq_config(market, interval=600.0)  # after the first look, only pushes arrive
    async with serving(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        feed = RfqFeed(websocket_url(url), pause=0.05)
        maker = MarketMaker(
            http, Credentials(email=mm.email, password=PASSWORD), config, rfq_feed=feed
        )
        stop = asyncio.Event()
        running = asyncio.create_task(maker.run(stop=stop))
        try:
            rfq_id = await ask(client, buyer, market, "buy", 1_000, [mm])

            async def quoted() -> dict[str, Any] | None:
                quotes = (await view(client, buyer, rfq_id))["quotes"]
                return quotes[-1] if quotes else None

            first = await eventually(quoted)
            keener = Decimal(first["price"]) - GSEC_LOTS.tick
            await counter(client, buyer, rfq_id, keener)

            async def met() -> bool:
                return Decimal((await quoted() or {})["price"]) == keener

            await eventually(met)
            done = await accept(client, buyer, rfq_id)
            assert done["status"] == "done" and Decimal(done["price"]) == keener
            second = await ask(client, buyer, market, "buy", 1_000, [mm])
            await eventually(lambda: live_quote_or_none(client, buyer, second))
        finally:
            stop.set()
            await asyncio.wait_for(running, 10)
    # On exit it withdrew the quote still standing.
    assert [q["status"] for q in (await view(client, buyer, second))["quotes"]] == ["withdrawn"]


async def live_quote_or_none(
    client: httpx.AsyncClient, who: LoggedIn, rfq_id: str
) -> dict[str, Any] | None:
    live = [q for q in (await view(client, who, rfq_id))["quotes"] if q["status"] == "live"]
    return live[0] if live else None
