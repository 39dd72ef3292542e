"""A bond's register of holders: its issuer, admins and compliance see who holds how much."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.helpers import assert_problem
from tests.trading.conftest import fund_units, list_bond
from tests.trading.conftest import verified_investor as investor


async def test_the_register_lists_holders_largest_first(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    issue = market.bond["issue_size_units"]
    holder = await investor(client)
    await fund_units(app, market, holder, 2_500)

    for viewer in (market.issuer, market.admin):
        got = await client.get(f"/api/v1/instruments/{market.id}/holders", headers=viewer.headers)
        assert got.status_code == 200, got.text
        register = got.json()
        assert (register["isin"], register["issue_size_units"]) == (market.isin, issue)
        assert register["held_units"] == issue
        assert [(h["user_id"], h["units"]) for h in register["holders"]] == [
            (market.issuer.user_id, issue - 2_500),
            (holder.user_id, 2_500),
        ]
        mine = register["holders"][1]
        assert mine["display_name"]
        assert mine["percent_of_issue"] == str(round(2_500 * 100 / issue, 4)).rstrip("0").rstrip(
            "."
        )

    assert_problem(
        await client.get(f"/api/v1/instruments/{market.id}/holders", headers=holder.headers),
        403,
        "auth.forbidden_role",
    )
    assert_problem(
        await client.get(f"/api/v1/instruments/{market.id}/holders"), 401, "auth.unauthenticated"
    )
