"""Holdings, valuation and P&L over HTTP: settled and pending units, FIFO lots, marks, totals."""

from __future__ import annotations

from datetime import date, datetime

import httpx
import pytest
from fastapi import FastAPI

from liquibond.valuation.service import MARKET_TIME
from tests.helpers import make_admin, register_and_login
from tests.portfolio.conftest import Clock, get, trade
from tests.trading.conftest import balances, fund_cash, fund_units, list_bond, verified_investor
from tests.trading.test_orders import _accrued_30_360
from tests.valuation.test_curves import CURVE, upload

#: A Wednesday the NSE traded: a trade that day settled (T+1) long ago.
PAST = datetime(2025, 6, 4, 11, 0, tzinfo=MARKET_TIME)
FEES = {"taker_fee_bps": "10", "maker_fee_bps": "5"}


async def test_holdings_show_settled_and_pending_units_lots_and_figures_at_the_mark(
    client: httpx.AsyncClient, app: FastAPI, clock: Clock
) -> None:
    market = await list_bond(client, app, **FEES)
    dealer, me = await verified_investor(client), await verified_investor(client)
    await fund_units(app, market, dealer, 1_000)
    await fund_cash(app, me, 100_000_00)

    clock(PAST)
    first = await trade(client, market, dealer, me, "buy", "100", 100)
    clock(None)
    second = await trade(client, market, dealer, me, "buy", "101", 200)
    assert (first["trade_date"], first["settlement_date"]) == ("2025-06-04", "2025-06-05")
    assert date.fromisoformat(second["settlement_date"]) > date.today()

    (held,) = (await get(client, me, "/portfolio/holdings"))["items"]
    assert (held["isin"], held["units"], held["locked_units"]) == (market.isin, 300, 0)
    assert (held["settled_units"], held["pending_buy_units"], held["pending_sell_units"]) == (
        100,
        200,
        0,
    )
    # Costs are clean: 100 x ₹100 x 100.00% and 200 x ₹100 x 101.00%; taker fees of 10 bp.
    assert [(lot["units"], lot["cost"], lot["fee"], lot["source"]) for lot in held["lots"]] == [
        (100, 10_000_00, 10_00, "trade"),
        (200, 20_200_00, 20_20, "trade"),
    ]
    assert [lot["acquired_on"] for lot in held["lots"]] == ["2025-06-04", second["trade_date"]]
    assert [lot["trade_id"] for lot in held["lots"]] == [first["id"], second["id"]]
    assert (held["cost"], held["average_price"], held["fees"]) == (30_200_00, "100.666667", 30_20)
    assert held["units_without_cost"] == 0 and held["realised_pnl"] == 0

    assert (held["mark"], held["mark_source"]) == ("101", "last_trade")
    assert held["market_value"] == 30_300_00  # 300 x ₹100 x 101%
    assert held["unrealised_pnl"] == 30_300_00 - 30_200_00
    settles = date.fromisoformat(held["valuation_date"])
    assert settles > date.today()
    if settles.day != 31:
        assert held["accrued_interest"] == _accrued_30_360(300, settles)
    assert held["dirty_value"] == held["market_value"] + held["accrued_interest"]
    analytics = await get(
        client,
        me,
        f"/instruments/{market.id}/analytics",
        price="101",
        settlement_date=settles.isoformat(),
    )
    assert held["yield_percent"] == pytest.approx(analytics["yield"], abs=1e-9)
    assert held["modified_duration"] == pytest.approx(analytics["modified_duration"], rel=1e-9)
    assert held["dv01"] == pytest.approx(analytics["dv01_per_unit"] * 300, rel=1e-9)

    # The dealer's units were transferred in: no cost basis, so no P&L on what it sold.
    (theirs,) = (await get(client, dealer, "/portfolio/holdings"))["items"]
    assert (theirs["units"], theirs["units_without_cost"], theirs["cost"]) == (700, 700, 0)
    assert theirs["average_price"] is None and theirs["unrealised_pnl"] == 0
    assert [(lot["source"], lot["cost"], lot["trade_id"]) for lot in theirs["lots"]] == [
        ("transfer", None, None)
    ]
    (their_pnl,) = (await get(client, dealer, "/portfolio/pnl"))["items"]
    assert (their_pnl["realised_pnl"], their_pnl["unmatched_units"]) == (0, 300)
    assert their_pnl["fees"] == 5_00 + 10_10  # maker fees of 5 bp

    # Totals: the holding's values, and cash as the ledger holds it.
    portfolio = await get(client, me, "/portfolio")
    (totals,) = portfolio["totals"]
    (cash,) = portfolio["cash"]
    mine = await balances(client, me)
    paid = sum(t["dirty_amount"] + t["fee"] for t in (first, second))
    assert cash == {
        "currency": "INR",
        "scale": 2,
        "available": 100_000_00 - paid,
        "locked": 0,
        "other": 0,
        "total": mine[("INR", "available")] + mine.get(("INR", "locked"), 0),
    }
    assert totals["market_value"] == held["market_value"]
    assert totals["dirty_value"] == held["dirty_value"]
    assert totals["unrealised_pnl"] == held["unrealised_pnl"]
    assert totals["yield_percent"] == pytest.approx(held["yield_percent"])
    assert totals["modified_duration"] == pytest.approx(held["modified_duration"])
    assert totals["total_value"] == held["dirty_value"] + cash["total"]
    assert (totals["cost"], totals["fees"], totals["unvalued_positions"]) == (30_200_00, 30_20, 0)
    assert [h["isin"] for h in portfolio["holdings"]] == [market.isin]
    assert "lots" not in portfolio["holdings"][0]

    # Nobody else sees any of it.
    stranger = await register_and_login(client)
    assert (await get(client, stranger, "/portfolio/holdings"))["items"] == []
    assert (await get(client, stranger, "/portfolio/pnl"))["items"] == []
    assert (await client.get("/api/v1/portfolio")).status_code == 401


async def test_a_sequence_of_buys_and_sells_realises_fifo_pnl(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app, **FEES)
    dealer, me, other = [await verified_investor(client) for _ in range(3)]
    await fund_units(app, market, dealer, 1_000)
    await fund_cash(app, dealer, 100_000_00)
    await fund_cash(app, me, 100_000_00)
    await fund_cash(app, other, 100_000_00)

    # I take every order the dealer rests (10 bp taker fee, rounded up to the paisa).
    fills = [
        await trade(client, market, dealer, me, "buy", "100", 100),  # lot A: 10,000.00
        await trade(client, market, dealer, me, "buy", "101", 200),  # lot B: 20,200.00
        await trade(client, market, dealer, me, "sell", "102", 200),  # A + half of B
        await trade(client, market, dealer, me, "buy", "100.5", 100),  # lot C: 10,050.00
        await trade(client, market, dealer, me, "sell", "99.5", 200),  # rest of B + C
        await trade(client, market, dealer, me, "buy", "101.25", 100),  # lot D: 10,125.00
    ]
    assert [f["fee"] for f in fills] == [10_00, 20_20, 20_40, 10_05, 19_90, 10_13]
    await trade(client, market, dealer, other, "buy", "101.75", 100)  # the last price

    pnl = await get(client, me, "/portfolio/pnl")
    (row,) = pnl["items"]
    first_sale, second_sale = row["disposals"]
    # Sale 1: 200 @ 102 = 20,400.00 against A (10,000.00) + 100 of B (10,100.00).
    assert first_sale == {
        "on": fills[2]["trade_date"],
        "trade_id": fills[2]["id"],
        "units": 200,
        "matched_units": 200,
        "proceeds": 20_400_00,
        "cost": 20_100_00,
        "realised_pnl": 300_00,
        "fees": 20_40 + 10_00 + 10_10,  # its fee, A's fee, half of B's
        "realised_pnl_net": 300_00 - 40_50,
    }
    # Sale 2: 200 @ 99.50 = 19,900.00 against the rest of B (10,100.00) + C (10,050.00).
    assert (second_sale["proceeds"], second_sale["cost"]) == (19_900_00, 20_150_00)
    assert second_sale["realised_pnl"] == -250_00
    assert second_sale["fees"] == 19_90 + 10_10 + 10_05
    assert (row["realised_pnl"], row["realised_fees"]) == (50_00, 80_55)
    assert row["realised_pnl_net"] == 50_00 - 80_55
    # Lot D is left: 100 units that cost 10,125.00, marked at the last trade, 101.75.
    assert (row["units"], row["cost"], row["mark"], row["mark_source"]) == (
        100,
        10_125_00,
        "101.75",
        "last_trade",
    )
    assert row["unrealised_pnl"] == 10_175_00 - 10_125_00
    assert row["fees"] == sum(f["fee"] for f in fills)
    assert row["accrued_paid"] == sum(f["accrued_interest"] for f in fills if f["side"] == "buy")
    assert row["accrued_received"] == sum(
        f["accrued_interest"] for f in fills if f["side"] == "sell"
    )
    assert (row["unmatched_units"], row["units_without_cost"]) == (0, 0)
    (totals,) = pnl["totals"]
    assert (totals["realised_pnl"], totals["unrealised_pnl"]) == (50_00, 50_00)

    (held,) = (await get(client, me, "/portfolio/holdings"))["items"]
    (lot,) = held["lots"]
    assert (lot["trade_id"], lot["units"], lot["cost"], lot["fee"]) == (
        fills[5]["id"],
        100,
        10_125_00,
        10_13,
    )
    assert (held["pending_buy_units"], held["pending_sell_units"]) == (500, 400)
    assert held["settled_units"] == 0  # everything was traded today: none of it settled yet


async def test_marks_fall_back_to_the_curve_then_to_none(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    admin = await make_admin(app, client)
    assert (await upload(client, admin, CURVE)).status_code == 200
    curved = await list_bond(client, app, reference_curve="INR-GSEC")
    bare = await list_bond(client, app, isin="IN0020230085", name="7.18% GS 2033")
    holder = await register_and_login(client)
    await fund_units(app, curved, holder, 500)
    await fund_units(app, bare, holder, 200)

    portfolio = await get(client, holder, "/portfolio")
    by_isin = {h["isin"]: h for h in portfolio["holdings"]}
    valued, unvalued = by_isin[curved.isin], by_isin[bare.isin]
    assert valued["mark_source"] == "curve"
    fair = await get(
        client,
        holder,
        f"/instruments/{curved.id}/analytics",
        curve="INR-GSEC",
        spread_bp=0,
        settlement_date=valued["valuation_date"],
    )
    assert float(valued["mark"]) == pytest.approx(fair["clean_price"], abs=1e-6)
    assert valued["market_value"] > 0 and valued["yield_percent"] is not None
    assert valued["units_without_cost"] == 500 and valued["unrealised_pnl"] == 0
    assert unvalued["mark"] is None and unvalued["mark_source"] is None
    for figure in ("market_value", "accrued_interest", "dirty_value", "yield_percent", "dv01"):
        assert unvalued[figure] is None
    (totals,) = portfolio["totals"]
    assert totals["unvalued_positions"] == 1
    assert totals["dirty_value"] == valued["dirty_value"]
