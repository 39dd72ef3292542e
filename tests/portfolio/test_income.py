"""Coupons and redemptions paid by corporate actions, as the portfolio shows them: P&L,
income, tax withheld, the statement, and units retired at par."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from liquibond.valuation.service import MARKET_TIME
from tests.helpers import LoggedIn, make_admin
from tests.portfolio.conftest import Clock, get, trade
from tests.portfolio.test_documents_api import sections
from tests.trading.conftest import Market, fund_cash, fund_units, list_bond, verified_investor


async def _pay(
    client: httpx.AsyncClient,
    market: Market,
    admin: LoggedIn,
    clock: Clock,
    kind: str,
    due: date,
) -> dict[str, Any]:
    """The issuer announces the payment due on `due`; on its payment date an admin runs it."""
    announced = await client.post(
        "/api/v1/corporate-actions",
        json={"instrument_id": market.id, "kind": kind, "due_date": due.isoformat()},
        headers=market.issuer.headers,
    )
    assert announced.status_code == 201, announced.text
    action: dict[str, Any] = announced.json()
    clock(datetime.combine(date.fromisoformat(action["payment_date"]), time(11), MARKET_TIME))
    ran = await client.post(f"/api/v1/corporate-actions/{action['id']}/run", headers=admin.headers)
    assert ran.status_code == 200 and ran.json()["status"] == "paid", ran.text
    paid: dict[str, Any] = ran.json()
    return paid


async def _next_due(client: httpx.AsyncClient, user: LoggedIn, market: Market, kind: str) -> date:
    schedule = await get(client, user, f"/instruments/{market.id}/cashflows")
    return min(
        date.fromisoformat(flow["scheduled_date"])
        for flow in schedule["flows"]
        if flow["kind"] == kind
        and flow["scheduled_date"] > (date.today() + timedelta(7)).isoformat()
    )


async def test_coupons_and_redemptions_show_as_income_and_retire_units_at_par(
    client: httpx.AsyncClient, app: FastAPI, clock: Clock
) -> None:
    admin = await make_admin(app, client)
    gsec = await list_bond(client, app)
    maturity = date.today() + timedelta(days=120)
    short = await list_bond(
        client,
        app,
        isin="IN0020240035",
        name="7.50% GS short",
        coupon_rate="7.5",
        issue_date=(maturity - timedelta(days=2 * 365)).isoformat(),
        maturity_date=maturity.isoformat(),
    )
    dealer, me = await verified_investor(client), await verified_investor(client)
    for market in (gsec, short):
        await fund_units(app, market, dealer, 1_000)
        await fund_cash(app, market.issuer, 1_000_000_00)
    await fund_cash(app, me, 100_000_00)
    bought = await trade(client, gsec, dealer, me, "buy", "100", 300)
    await trade(client, short, dealer, me, "buy", "99.5", 100)  # costs 9,950.00

    coupon = await _pay(
        client, gsec, admin, clock, "coupon", await _next_due(client, me, gsec, "coupon")
    )
    assert (
        coupon["units"] == 1_000
    )  # the dealer's 700 and my 300; the issuer's own are owed to nobody
    redemption = await _pay(client, short, admin, clock, "redemption", maturity)
    (paid,) = [p for p in redemption["payments"] if p["user_id"] == me.user_id]

    # My coupon: 300 units x ₹100 x 7.26% / 2 = ₹1,089.00, 10% withheld.
    pnl = await get(client, me, "/portfolio/pnl")
    rows = {row["isin"]: row for row in pnl["items"]}
    assert (rows[gsec.isin]["coupons"], rows[gsec.isin]["tax_withheld"]) == (1_089_00, 108_90)
    assert rows[gsec.isin]["units"] == 300 and rows[gsec.isin]["realised_pnl"] == 0
    # The redeemed units left at par: 100 x ₹100 against a cost of 9,950.00.
    redeemed = rows[short.isin]
    (disposal,) = redeemed["disposals"]
    assert (disposal["trade_id"], disposal["units"], disposal["matched_units"]) == (None, 100, 100)
    assert (disposal["proceeds"], disposal["cost"], disposal["realised_pnl"]) == (
        10_000_00,
        9_950_00,
        50_00,
    )
    assert (redeemed["units"], redeemed["redemptions"], redeemed["coupons"]) == (
        0,
        paid["gross"],
        0,
    )
    assert redeemed["redemptions"] > 10_000_00  # principal and the final coupon
    assert [h["isin"] for h in (await get(client, me, "/portfolio/holdings"))["items"]] == [
        gsec.isin
    ]

    start = date.fromisoformat(bought["trade_date"])
    statement = await client.get(
        "/api/v1/portfolio/statements",
        params={"from": start.isoformat(), "to": redemption["payment_date"], "format": "csv"},
        headers=me.headers,
    )
    assert statement.status_code == 200, statement.text
    found = sections(statement.text)
    payouts = [
        (p["isin"], p["kind"], p["units"], p["gross"], p["tax_withheld"], p["net"])
        for p in found["Coupons and redemptions"]
    ]
    assert payouts[0] == (gsec.isin, "coupon", "300", "1089.00", "108.90", "980.10")
    assert payouts[1][:3] == (short.isin, "redemption", "100")
    positions = {p["isin"]: p for p in found["Positions"]}
    assert (positions[short.isin]["opening_units"], positions[short.isin]["closing_units"]) == (
        "0",
        "0",
    )
    kinds = {line["kind"] for line in found["Cash movements"]}
    assert {"coupon", "redemption", "deposit"} <= kinds
