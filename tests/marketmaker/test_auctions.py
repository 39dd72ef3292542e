"""The market maker bids in auctions against the real app, over HTTP like any client: one
competitive bid at the fair value less its spread, rounded down to the tick, in each auction
bid in price that it can value; none in English auctions, and never a second one."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from liquibond.config import Settings
from liquibond.marketmaker.client import Config, Credentials, MarketMaker
from tests.auctions.conftest import get, running
from tests.conftest import make_settings
from tests.helpers import PASSWORD, LoggedIn
from tests.marketmaker.test_client import CURVE, fair_value, maker_user, put_curve
from tests.trading.conftest import Market, list_bond
from tests.valuation.helpers import isin

TICK = Decimal("0.0025")


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The app's settings with the auctions job off: the tests take the steps themselves."""
    return make_settings(database_url, tmp_path, auctions_interval_seconds=0)


def auction_config(**overrides: Any) -> Config:
    """Auctions only, 20 bp under the curve's fair value, 5,000 units a bid."""
    values: dict[str, Any] = {
        "size": 1_000,
        "max_inventory": 10_000,
        "spread_bps": Decimal(20),
        "curve": CURVE,
        "books": False,
        "rfq": False,
        "auction_size": 5_000,
        "interval": 0.02,
        "retry_pause": 0.0,
        **overrides,
    }
    return Config(**values)


async def my_bids(client: httpx.AsyncClient, who: LoggedIn, auction: dict[str, Any]) -> list[Any]:
    page = await get(client, f"/api/v1/auctions/{auction['id']}/bids?mine=true", who)
    return [(Decimal(b["price"]), b["quantity"], b["status"]) for b in page["items"]]


async def test_one_cycle_bids_once_at_fair_value_less_the_spread_and_not_in_english(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    english_bond = await list_bond(client, app, isin=isin("IN002022009"), name="Other GS")
    await put_curve(client, market.admin, "7.00")
    user = await maker_user(client, app, market, cash=10**10, units=0)
    sealed = await running(client, market)
    english = await running(
        client,
        english_bond,
        format="english",
        min_price="90",
        min_increment="0.01",
        offering=1_000,
    )
    maker = MarketMaker(client, Credentials(email=user.email, password=PASSWORD), auction_config())

    await maker.run(once=True)

    fair = await fair_value(client, market)
    expected = ((fair - fair * Decimal("0.0020")) / TICK).to_integral_value(ROUND_FLOOR) * TICK
    assert await my_bids(client, user, sealed) == [(expected, 5_000, "active")]
    assert expected < fair
    assert await my_bids(client, user, english) == []

    # The next cycle finds its bid and bids no more; the English auction stays skipped.
    actions = {a.isin: (a.kind, a.detail) for a in await maker.bid_auctions()}
    assert actions[market.isin][0] == "kept"
    assert actions[english_bond.isin] == ("skipped", "english")
    assert len(await my_bids(client, user, sealed)) == 1


async def test_without_a_fair_value_or_with_auctions_off_it_does_not_bid(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market: Market = await list_bond(client, app)
    user = await maker_user(client, app, market, cash=10**10, units=0)
    auction = await running(client, market)
    credentials = Credentials(email=user.email, password=PASSWORD)

    await MarketMaker(client, credentials, auction_config(auctions=False)).run(once=True)
    unvalued = MarketMaker(client, credentials, auction_config(curve=None))
    await unvalued.login()
    [skipped] = await unvalued.bid_auctions()  # no curve, no book, no trade: no fair value

    assert (skipped.kind, skipped.detail) == ("skipped", "no fair value")
    assert await my_bids(client, user, auction) == []
