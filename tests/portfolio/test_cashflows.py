"""The cash-flow calendar of my holdings over HTTP."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import httpx
from fastapi import FastAPI

from tests.helpers import assert_problem, register_and_login
from tests.portfolio.conftest import get
from tests.trading.conftest import fund_units, list_bond


async def test_the_calendar_shows_coupons_and_redemptions_of_what_i_hold(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    today = date.today()
    maturity = today + timedelta(days=200)
    held = await list_bond(client, app)
    maturing = await list_bond(
        client,
        app,
        isin="IN0020240035",
        name="7.50% GS short",
        coupon_rate="7.5",
        issue_date=(maturity - timedelta(days=3 * 365)).isoformat(),
        maturity_date=maturity.isoformat(),
    )
    not_mine = await list_bond(client, app, isin="IN0020230085", name="7.18% GS 2033")
    me = await register_and_login(client)
    await fund_units(app, held, me, 300)
    await fund_units(app, maturing, me, 200)
    until = today + timedelta(days=400)

    calendar = await get(client, me, "/portfolio/cashflows", until=until.isoformat())
    assert calendar["until"] == until.isoformat()
    items = calendar["items"]
    assert {item["isin"] for item in items} == {held.isin, maturing.isin}
    assert not_mine.isin not in str(items)
    assert [item["payment_date"] for item in items] == sorted(i["payment_date"] for i in items)
    units = {held.isin: 300, maturing.isin: 200}
    for item in items:
        assert item["units"] == units[item["isin"]]
        assert item["expected_amount"] == item["units"] * item["amount_per_unit"]
        assert item["record_date"] < item["payment_date"] <= until.isoformat()
        assert item["ex_date"] <= item["payment_date"]
        assert (item["currency"], item["scale"]) == ("INR", 2)
    kinds = Counter((item["isin"], item["kind"]) for item in items)
    assert kinds[(held.isin, "coupon")] == 2  # half-yearly, over 400 days
    assert kinds[(maturing.isin, "redemption")] == 1
    (redemption,) = [i for i in items if i["kind"] == "redemption"]
    assert redemption["payment_date"] <= maturity.isoformat()  # a holiday moves it earlier
    assert redemption["amount_per_unit"] >= 100_00  # the face value (with the final coupon)

    # What each payment date pays per unit is what the bond's schedule pays on it (a
    # redemption may carry the final coupon); dates whose record date is behind are left out.
    for market in (held, maturing):
        schedule = await get(client, me, f"/instruments/{market.id}/cashflows")
        expected: Counter[str] = Counter()
        for flow in schedule["flows"]:
            paid = flow["payment_date"]
            if paid and (today + timedelta(days=30)).isoformat() < paid <= until.isoformat():
                expected[paid] += flow["amount_per_unit"]
        shown: Counter[str] = Counter()
        for item in items:
            if item["isin"] == market.isin and item["payment_date"] in expected:
                shown[item["payment_date"]] += item["amount_per_unit"]
        assert expected and shown == expected
    (total,) = calendar["totals"]
    assert total["expected_amount"] == sum(item["expected_amount"] for item in items)

    default = await get(client, me, "/portfolio/cashflows")
    assert (
        default["until"] == (date.fromisoformat(default["from"]) + timedelta(days=365)).isoformat()
    )
    stranger = await register_and_login(client)
    assert (await get(client, stranger, "/portfolio/cashflows"))["items"] == []

    for until_, code in (
        (today - timedelta(days=2), "cashflows.invalid_until"),
        (today + timedelta(days=4000), "cashflows.range_too_long"),
    ):
        response = await client.get(
            "/api/v1/portfolio/cashflows", params={"until": until_.isoformat()}, headers=me.headers
        )
        assert_problem(response, 422, code)
