"""The demo's liquidity provider: what it quotes (pure functions), and its rounds against the
real app — quotes in every demo book, trades on the tape, the maker's other orders left alone,
refusals survived, clean shutdown."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st

from liquibond.analytics import INDIA_GSEC
from liquibond.app import create_app
from liquibond.config import Settings
from liquibond.demo import DEMO_BONDS, DEMO_PASSWORD, seed_demo
from liquibond.identity.service import IdentityService
from liquibond.platform.uow import UnitOfWork
from liquibond.trading.liquidity import (
    LEVELS,
    MAKER_EMAIL,
    ORDER_PREFIX,
    UNLISTED_RATING_SPREAD,
    Inventory,
    Ladder,
    LiquidityProvider,
    Quote,
    Resting,
    crossing_order,
    fair_ticks,
    fair_yield,
    is_state_loan,
    ladder_for,
    lot_size,
    price_ticks,
    quotes,
    rating_grade,
    reference_ticks,
    requotes,
    units_worth,
)
from liquibond.trading.models import OrderSide
from liquibond.trading.service import OrderService
from tests.conftest import FAST_PASSWORDS, make_settings, started

BUY, SELL = OrderSide.BUY, OrderSide.SELL
#: A G-sec at 100.00 (tick 0.0025), lots of 100 units, 5,000 units at the best level.
GSEC_LADDER = Ladder(
    min_lot=100, lot_increment=100, level_units=5_000, half_spread_ticks=12, step_ticks=8
)
PLENTY = Inventory(units=100_000, buyable_units=100_000, target_units=100_000)


# -- lots, sizes and prices --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("units", "min_lot", "increment", "expected"),
    [(99, 100, 100, 0), (250, 100, 100, 200), (7, 1, 1, 7), (180, 100, 50, 150), (0, 1, 1, 0)],
)
def test_lot_size_is_the_largest_valid_quantity_not_above(
    units: int, min_lot: int, increment: int, expected: int
) -> None:
    assert lot_size(units, min_lot, increment) == expected


def test_units_worth_a_notional_come_in_whole_lots_and_at_least_one() -> None:
    assert units_worth(5_00_000_00, 100_00, 100, 100) == 5_000  # ₹5 lakh of a ₹100 G-sec
    assert units_worth(5_00_000_00, 1_00_000_00, 1, 1) == 5  # of a ₹1 lakh corporate bond
    assert units_worth(5_00_000_00, 1_000_00, 1, 1) == 500  # of a ₹1,000 retail NCD
    assert units_worth(5_00_000_00, 1_00_00_000_00, 1, 1) == 1  # a ₹1 crore bond: one


def test_a_price_becomes_the_nearest_tick_half_to_even() -> None:
    tick = Decimal("0.0025")
    assert price_ticks(100.0, tick) == 40_000
    assert price_ticks(100.0011, tick) == 40_000
    assert price_ticks(100.0014, tick) == 40_001
    assert price_ticks(100.00125, tick) == 40_000  # exactly half a tick: to the even one
    assert price_ticks(100.00375, tick) == 40_002
    assert price_ticks(0.0001, tick) == 1  # never zero


def test_the_reference_is_the_last_trade_held_near_fair_value() -> None:
    assert reference_ticks(None, 40_000) == 40_000
    assert reference_ticks(40_150, 40_000) == 40_150
    assert reference_ticks(41_000, 40_000) == 40_200  # 50 bp above fair at most
    assert reference_ticks(39_000, 40_000) == 39_800
    assert reference_ticks(5, 10, band_bp=50) == 9  # a band of at least one tick


# -- fair value ----------------------------------------------------------------------------------


def test_ratings_are_read_as_agencies_write_them() -> None:
    assert rating_grade("AAA") == "AAA"
    assert rating_grade("CRISIL AA+ (CE)") == "AA+"
    assert rating_grade("Sovereign") == "SOV"
    assert rating_grade("") == ""


def test_state_loans_are_told_from_central_and_corporate_bonds() -> None:
    assert is_state_loan("IN2220230014")  # 7.36% Maharashtra SDL 2028
    assert not is_state_loan("IN0020220060")  # 7.26% GS 2032
    assert not is_state_loan("INE134E08NY9")  # PFC


def test_fair_yields_rise_with_tenor_and_credit_risk() -> None:
    assert fair_yield("SOV", 10) == pytest.approx(0.0700)
    assert fair_yield("SOV", 0.25) < fair_yield("SOV", 5) < fair_yield("SOV", 10)
    assert fair_yield("SOV", 40) == fair_yield("SOV", 30)  # flat beyond the curve
    assert fair_yield("SOV", 5, state_loan=True) == pytest.approx(fair_yield("SOV", 5) + 0.004)
    assert fair_yield("SOV", 5) < fair_yield("CRISIL AAA", 5) < fair_yield("AA+", 5)
    assert fair_yield("AA+", 5) < fair_yield("AA", 5) < fair_yield("A", 5)
    assert fair_yield("BBB-", 5) == pytest.approx(fair_yield("SOV", 5) + UNLISTED_RATING_SPREAD)


def test_a_bond_at_its_coupon_yield_on_a_coupon_date_is_fair_at_par() -> None:
    terms = INDIA_GSEC.terms(date(2022, 8, 22), date(2032, 8, 22), Decimal("0.0726"))
    assert fair_ticks(terms, date(2026, 8, 22), 0.0726, Decimal("0.0025")) == 40_000
    assert fair_ticks(terms, date(2026, 8, 22), 0.0800, Decimal("0.0025")) < 40_000


def test_government_paper_is_quoted_tighter_than_corporate_bonds() -> None:
    gsec = ladder_for(40_000, 100_00, 100, 100, sovereign=True)  # ₹100.00, tick ₹0.0025
    assert (gsec.half_spread_ticks, gsec.step_ticks, gsec.level_units) == (12, 8, 5_000)
    ncd = ladder_for(10_000, 1_00_000_00, 1, 1, sovereign=False)  # ₹100.00, tick ₹0.01
    assert (ncd.half_spread_ticks, ncd.step_ticks, ncd.level_units) == (10, 5, 5)
    cheap = ladder_for(3, 100_00, 100, 100, sovereign=True)
    assert (cheap.half_spread_ticks, cheap.step_ticks) == (1, 1)


# -- quotes ------------------------------------------------------------------------------------


def test_a_balanced_maker_quotes_symmetric_levels_that_deepen() -> None:
    assert quotes(40_000, GSEC_LADDER, PLENTY) == [
        Quote(BUY, 39_988, 5_000),
        Quote(BUY, 39_980, 10_000),
        Quote(BUY, 39_972, 15_000),
        Quote(SELL, 40_012, 5_000),
        Quote(SELL, 40_020, 10_000),
        Quote(SELL, 40_028, 15_000),
    ]


def test_the_maker_leans_against_its_inventory() -> None:
    long = quotes(40_000, GSEC_LADDER, Inventory(150_000, 100_000, 100_000))
    short = quotes(40_000, GSEC_LADDER, Inventory(50_000, 100_000, 100_000))
    assert _best(long, SELL) == 40_006 and _best(long, BUY) == 39_982  # half a spread lower
    assert _best(short, SELL) == 40_018 and _best(short, BUY) == 39_994
    very_long = quotes(40_000, GSEC_LADDER, Inventory(10**9, 10**9, 100_000))
    assert _best(very_long, SELL) == 40_000  # the lean stops at half the spread
    assert not [q for q in very_long if q.side is BUY]  # and it bids for no more


def test_quotes_never_offer_more_than_held_nor_bid_more_than_cash_buys() -> None:
    thin = quotes(40_000, GSEC_LADDER, Inventory(units=7_250, buyable_units=12_345))
    assert [(q.side, q.quantity) for q in thin] == [
        (BUY, 5_000),
        (BUY, 7_300),
        (SELL, 5_000),
        (SELL, 2_200),
    ]
    assert quotes(40_000, GSEC_LADDER, Inventory(units=99, buyable_units=0)) == []


def test_no_quote_is_priced_below_one_tick() -> None:
    low = quotes(20, GSEC_LADDER, PLENTY)
    assert [q.price_ticks for q in low if q.side is BUY] == [8]
    assert all(q.price_ticks >= 1 for q in low)


@given(
    reference=st.integers(min_value=1, max_value=2_000_000),
    min_lot=st.integers(min_value=1, max_value=500),
    increment=st.integers(min_value=1, max_value=500),
    level_lots=st.integers(min_value=1, max_value=50),
    half=st.integers(min_value=1, max_value=200),
    step=st.integers(min_value=1, max_value=200),
    units=st.integers(min_value=0, max_value=10**7),
    buyable=st.integers(min_value=0, max_value=10**7),
    target=st.integers(min_value=0, max_value=10**7),
)
def test_quotes_are_valid_lots_on_an_uncrossed_ladder_within_means(
    reference: int,
    min_lot: int,
    increment: int,
    level_lots: int,
    half: int,
    step: int,
    units: int,
    buyable: int,
    target: int,
) -> None:
    ladder = Ladder(min_lot, increment, min_lot + (level_lots - 1) * increment, half, step)
    placed = quotes(reference, ladder, Inventory(units, buyable, target))
    bids = [q for q in placed if q.side is BUY]
    asks = [q for q in placed if q.side is SELL]
    assert all(lot_size(q.quantity, min_lot, increment) == q.quantity > 0 for q in placed)
    assert all(q.price_ticks >= 1 for q in placed)
    assert len(bids) <= LEVELS and len(asks) <= LEVELS
    assert sum(q.quantity for q in asks) <= units
    assert sum(q.quantity for q in bids) <= buyable
    if bids and asks:
        assert max(q.price_ticks for q in bids) < min(q.price_ticks for q in asks)
    assert [q.price_ticks for q in bids] == sorted((q.price_ticks for q in bids), reverse=True)
    assert [q.price_ticks for q in asks] == sorted(q.price_ticks for q in asks)


# -- requoting and crossing --------------------------------------------------------------------


def test_requoting_keeps_what_fits_cancels_the_rest_and_places_the_missing() -> None:
    kept, stale, partly_filled, duplicate = (uuid.uuid4() for _ in range(4))
    desired = [Quote(BUY, 100, 5), Quote(SELL, 110, 5), Quote(SELL, 112, 10)]
    resting = [
        Resting(kept, BUY, 100, 5),
        Resting(stale, BUY, 98, 5),
        Resting(partly_filled, SELL, 110, 3),
        Resting(duplicate, BUY, 100, 5),
    ]
    cancel, place = requotes(desired, resting)
    assert cancel == [stale, partly_filled, duplicate]
    assert place == [Quote(SELL, 110, 5), Quote(SELL, 112, 10)]
    in_place = [Resting(uuid.uuid4(), q.side, q.price_ticks, q.quantity) for q in desired]
    assert requotes(desired, in_place) == ([], [])


def test_a_crossing_order_takes_half_the_best_level_at_its_price() -> None:
    book = quotes(40_000, GSEC_LADDER, PLENTY)
    flow = Inventory(units=25_000, buyable_units=25_000)
    assert crossing_order(book, GSEC_LADDER, flow, buy=True) == Quote(BUY, 40_012, 2_500)
    assert crossing_order(book, GSEC_LADDER, flow, buy=False) == Quote(SELL, 39_988, 2_500)


def test_a_crossing_order_fits_what_the_trader_can_do() -> None:
    book = quotes(40_000, GSEC_LADDER, PLENTY)
    no_cash = Inventory(units=25_000, buyable_units=50)
    assert crossing_order(book, GSEC_LADDER, no_cash, buy=True) == Quote(SELL, 39_988, 2_500)
    some_units = Inventory(units=1_234, buyable_units=0)
    assert crossing_order(book, GSEC_LADDER, some_units, buy=True) == Quote(SELL, 39_988, 1_200)
    assert crossing_order(book, GSEC_LADDER, Inventory(0, 0), buy=True) is None
    assert crossing_order([], GSEC_LADDER, Inventory(10**6, 10**6), buy=True) is None
    one_sided = [Quote(BUY, 39_988, 100)]
    rich = Inventory(units=10**6, buyable_units=10**6)
    assert crossing_order(one_sided, GSEC_LADDER, rich, buy=True) == Quote(SELL, 39_988, 100)


# -- rounds against the real app -----------------------------------------------------------------


class _AlwaysTrades(random.Random):
    """Every round, in every book, the flow trader buys."""

    def random(self) -> float:
        return 0.0


async def test_a_round_quotes_every_demo_bond_and_trades_in_it(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    await seed_demo(settings, app.state.database)
    provider = _provider(app, settings)
    await provider.round()
    listed = (await client.get("/api/v1/instruments")).json()["items"]
    assert {bond["isin"] for bond in listed} == {bond.isin for bond in DEMO_BONDS}
    for bond in listed:
        book = (await client.get(f"/api/v1/instruments/{bond['id']}/book")).json()
        assert len(book["bids"]) == LEVELS and len(book["asks"]) == LEVELS, bond["isin"]
        assert Decimal(book["bids"][0]["price"]) < Decimal(book["asks"][0]["price"])
        tape = (await client.get(f"/api/v1/instruments/{bond['id']}/trades")).json()["items"]
        assert [trade["aggressor_side"] for trade in tape] == ["buy"], bond["isin"]

    # Another program trading as the maker (the market-maker program, a person) rests a bid,
    # a point below the provider's.
    deepest = (await client.get(f"/api/v1/instruments/{listed[0]['id']}/book")).json()["bids"]
    signed_in = await client.post(
        "/api/v1/auth/login", json={"email": MAKER_EMAIL, "password": DEMO_PASSWORD}
    )
    elsewhere = await client.post(
        "/api/v1/orders",
        json={
            "instrument_id": listed[0]["id"],
            "client_order_id": "mm-buy-elsewhere",
            "side": "buy",
            "price": str(Decimal(deepest[-1]["price"]) - 1),
            "quantity": listed[0]["min_lot"],
        },
        headers={"Authorization": f"Bearer {signed_in.json()['access_token']}"},
    )
    assert elsewhere.status_code == 201, elsewhere.text

    await provider.round()  # requotes around the trades, leaving no stale quote behind
    async with UnitOfWork(app.state.database, write=False) as uow:
        maker = await IdentityService(uow.session, app.state.credentials).find_user_id(MAKER_EMAIL)
        assert maker is not None
        open_orders, _ = await OrderService(uow.session).orders(
            maker, limit=500, cursor=None, open_only=True
        )
    mine = [o for o in open_orders if o.client_order_id.startswith(ORDER_PREFIX)]
    assert len(mine) == 2 * LEVELS * len(DEMO_BONDS)
    assert [o.client_order_id for o in open_orders if o not in mine] == ["mm-buy-elsewhere"]


async def test_a_refused_book_is_skipped_and_the_others_are_quoted(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    await seed_demo(settings, app.state.database)
    listed = (await client.get("/api/v1/instruments")).json()["items"]
    halted, *others = [uuid.UUID(bond["id"]) for bond in listed]
    async with UnitOfWork(app.state.database, write=False) as uow:
        market = await OrderService(uow.session).market(halted)
    (await app.state.trading.writer(market)).halted = "A test halted this book."

    await _provider(app, settings).round()  # 503 `trading.book_halted` in one book: logged

    for instrument_id in others:
        book = (await client.get(f"/api/v1/instruments/{instrument_id}/book")).json()
        assert book["bids"] and book["asks"]


async def test_stop_ends_the_loop_without_waiting_out_the_interval(
    app: FastAPI, settings: Settings
) -> None:
    provider = _provider(app, settings)  # no demo traders here: each round finds nothing to do
    running = asyncio.create_task(provider.run())
    await asyncio.sleep(0.1)
    provider.stop()
    await asyncio.wait_for(running, timeout=2)  # not the 5 s interval; and no error


async def test_demo_mode_runs_the_provider_until_shutdown(
    database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(
        database_url, tmp_path, demo_mode=True, demo_liquidity_interval_seconds=0.05
    )
    application = create_app(settings, passwords=FAST_PASSWORDS)
    async with started(application):
        await asyncio.sleep(0.2)  # no demo traders yet: the provider idles
        await seed_demo(settings, application.state.database)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            bond = (await client.get("/api/v1/instruments")).json()["items"][0]
            for _ in range(200):
                book = (await client.get(f"/api/v1/instruments/{bond['id']}/book")).json()
                if book["bids"] and book["asks"]:
                    break
                await asyncio.sleep(0.05)
            assert book["bids"] and book["asks"]
    # Leaving the lifespan stopped the provider before the writers, mid-round or not; the
    # database fixture then checks the ledger still balances.


async def test_an_interval_of_zero_turns_the_provider_off(
    database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(
        database_url, tmp_path, demo_mode=True, demo_liquidity_interval_seconds=0
    )
    application = create_app(settings, passwords=FAST_PASSWORDS)
    async with started(application):
        await seed_demo(settings, application.state.database)
        await asyncio.sleep(0.3)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            bond = (await client.get("/api/v1/instruments")).json()["items"][0]
            book = (await client.get(f"/api/v1/instruments/{bond['id']}/book")).json()
    assert book["bids"] == book["asks"] == []


def _provider(app: FastAPI, settings: Settings) -> LiquidityProvider:
    return LiquidityProvider(
        app.state.database, app.state.trading, settings, app.state.credentials, _AlwaysTrades()
    )


def _best(placed: list[Quote], side: OrderSide) -> int:
    prices = [q.price_ticks for q in placed if q.side is side]
    return max(prices) if side is BUY else min(prices)
