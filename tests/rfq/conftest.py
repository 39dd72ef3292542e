"""RFQ tests: a listed G-sec, a verified requester with cash, and verified dealers holding
units of it; helpers to ask, quote and accept over HTTP.

The background job is off (interval 0): tests run it with the time they need
(`run_job(app, now)`), the clock seam of :func:`liquibond.rfq.runtime.run_due`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from liquibond.config import Settings
from liquibond.rfq.runtime import run_due
from tests.conftest import make_settings
from tests.helpers import LoggedIn
from tests.trading.conftest import Market, fund_cash, fund_units, list_bond, verified_investor

RS_1_CRORE = 1_000_000_000  # paise


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The app's settings, with the background jobs off."""
    return make_settings(
        database_url,
        tmp_path,
        auctions_interval_seconds=0,
        corporate_actions_interval_seconds=0,
        rfq_interval_seconds=0,
        sandbox_rail_delay_seconds=0,
    )


@dataclass
class Desk:
    """A listed bond, a funded requester and dealers holding its units."""

    market: Market
    requester: LoggedIn
    dealers: list[LoggedIn]


async def dealer(client: httpx.AsyncClient, app: FastAPI, market: Market, units: int) -> LoggedIn:
    """A verified investor made a dealer by an admin, holding `units` of the bond and cash."""
    user = await verified_investor(client)
    granted = await client.post(
        f"/api/v1/admin/users/{user.user_id}/roles",
        json={"roles": ["investor", "dealer"]},
        headers=market.admin.headers,
    )
    assert granted.status_code == 200, granted.text
    await fund_units(app, market, user, units)
    await fund_cash(app, user, RS_1_CRORE)
    return user  # roles are read at each request: the token stays good


@pytest.fixture
async def desk(client: httpx.AsyncClient, app: FastAPI) -> Desk:
    market = await list_bond(client, app)
    requester = await verified_investor(client)
    await fund_cash(app, requester, RS_1_CRORE)
    dealers = [await dealer(client, app, market, 10_000) for _ in range(3)]
    return Desk(market, requester, dealers)


async def ask(
    client: httpx.AsyncClient, desk: Desk, quantity: int = 1_000, **extra: Any
) -> httpx.Response:
    """Ask every dealer of the desk (unless `dealer_ids` is given) for a price."""
    body = {
        "instrument_id": desk.market.id,
        "side": "buy",
        "quantity": quantity,
        "dealer_ids": [d.user_id for d in desk.dealers],
        **extra,
    }
    return await client.post("/api/v1/rfqs", json=body, headers=desk.requester.headers)


async def asked(client: httpx.AsyncClient, desk: Desk, **extra: Any) -> dict[str, Any]:
    """An RFQ that must be accepted."""
    response = await ask(client, desk, **extra)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def quote(
    client: httpx.AsyncClient, who: LoggedIn, rfq_id: str, price: str, **extra: Any
) -> httpx.Response:
    """A dealer's quote."""
    return await client.post(
        f"/api/v1/rfqs/{rfq_id}/quotes", json={"price": price, **extra}, headers=who.headers
    )


async def quoted(
    client: httpx.AsyncClient, who: LoggedIn, rfq_id: str, price: str, **extra: Any
) -> dict[str, Any]:
    """A quote that must be accepted; the dealer's live quote."""
    response = await quote(client, who, rfq_id, price, **extra)
    assert response.status_code == 201, response.text
    [live] = [q for q in response.json()["quotes"] if q["status"] == "live"]
    return dict(live)


async def run_job(app: FastAPI, now: datetime) -> int:
    """Run the RFQ job as the scheduler does, at `now`."""
    return await run_due(app.state.database, app.state.settings, now)


async def get(client: httpx.AsyncClient, path: str, who: LoggedIn) -> Any:
    """GET that must succeed."""
    response = await client.get(path, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


__all__ = ["Desk", "Market", "fund_cash", "list_bond"]
