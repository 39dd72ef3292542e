"""Per-user pre-trade limits: an admin sets a user's own, which replace the venue's."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.helpers import assert_problem
from tests.trading.conftest import fund_cash, list_bond, order, verified_investor


async def test_a_users_own_limits_replace_the_venues(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    small = await list_bond(client, app, issue_size_units=2_000, price_band_percent=None)
    admin = small.admin
    buyer = await verified_investor(client)
    await fund_cash(app, buyer, 1_00_00_000_00)
    path = f"/api/v1/admin/trading-limits/{buyer.user_id}"

    venue = (await client.get("/api/v1/trading-limits", headers=buyer.headers)).json()
    assert venue["own"] is None and venue["max_position_percent"] == "25"

    # The buyer may not set its own limits.
    assert_problem(
        await client.put(path, json={"max_position_percent": "60"}, headers=buyer.headers),
        403,
        "auth.forbidden_role",
    )
    # 25% of 2,000 units is 500: with 60% the buyer may bid for 1,200, and no order above
    # ₹50,000 of clean consideration.
    set_ = await client.put(
        path,
        json={"max_position_percent": "60", "max_order_notional": 50_000_00,
              "rating_limits": {"SOV": 10_00_000_00}},
        headers=admin.headers,
    )  # fmt: skip
    assert set_.status_code == 200, set_.text
    limits = set_.json()
    assert (limits["max_position_percent"], limits["max_order_notional"]) == ("60", 50_000_00)
    assert limits["rating_limits"]["SOV"] == 10_00_000_00
    assert limits["rating_limits"]["UNRATED"] == 1_00_00_000_00  # the venue's, kept
    assert (await order(client, buyer, small, "buy", "90", 500)).status_code == 201
    assert_problem(
        await order(client, buyer, small, "buy", "90", 600), 422, "order.max_notional_exceeded"
    )
    assert (await order(client, buyer, small, "buy", "90", 500)).status_code == 201
    assert_problem(
        await order(client, buyer, small, "buy", "90", 300), 422, "order.position_limit_exceeded"
    )

    # Compliance reads them; an empty body gives the venue's back.
    assert (await client.get(path, headers=admin.headers)).json()["own"]["max_position_percent"]
    reset = await client.put(path, json={}, headers=admin.headers)
    assert reset.status_code == 200 and reset.json()["own"] is None
    assert_problem(
        await order(client, buyer, small, "buy", "90", 100), 422, "order.position_limit_exceeded"
    )
    audit = (
        await client.get("/api/v1/admin/audit?action=trading.limits_set", headers=admin.headers)
    ).json()
    assert len(audit["items"]) == 2
    assert_problem(
        await client.put(
            "/api/v1/admin/trading-limits/01900000-0000-7000-8000-000000000000",
            json={"max_order_notional": 1},
            headers=admin.headers,
        ),
        404,
        "user.not_found",
    )
