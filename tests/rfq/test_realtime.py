"""The private `rfq` WebSocket channel: my open RFQs on subscribe, then each change of one,
as that user may see it; nobody else hears of it."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from liquibond.realtime.hub import HubConfig
from tests.realtime.conftest import WsClient
from tests.realtime.conftest import app as app  # the app with the test's hub configuration
from tests.rfq.conftest import Desk, asked, quoted


@pytest.fixture
def realtime_config() -> HubConfig:
    """Quick refreshes."""
    return HubConfig(rfq_seconds=0.01)


async def _subscribed(ws: WsClient, token: str) -> list[dict[str, Any]]:
    await ws.call({"op": "auth", "token": token}, "authenticated")
    await ws.call({"op": "subscribe", "channels": ["rfq"]}, "subscribed")
    snapshot: list[dict[str, Any]] = (await ws.expect("rfqs", channel="rfq"))["data"]
    return snapshot


async def _until(ws: WsClient, done: Any) -> dict[str, Any]:
    while True:
        data: dict[str, Any] = (await ws.expect("rfq", channel="rfq"))["data"]
        if done(data):
            return data


async def test_requester_and_dealers_follow_an_rfq_live(
    client: httpx.AsyncClient, app: FastAPI, desk: Desk
) -> None:
    d1, d2, d3 = desk.dealers
    earlier = await asked(client, desk, dealer_ids=[d1.user_id])
    async with WsClient(app) as requester, WsClient(app) as dealer, WsClient(app) as other:
        assert [r["id"] for r in await _subscribed(requester, desk.requester.access_token)] == [
            earlier["id"]
        ]
        [seen] = await _subscribed(dealer, d1.access_token)
        assert seen["role"] == "dealer" and seen["requester_id"] is None
        assert await _subscribed(other, d3.access_token) == []

        rfq = await asked(client, desk, dealer_ids=[d1.user_id, d2.user_id])
        arrived = await _until(dealer, lambda data: data["id"] == rfq["id"])
        assert arrived["status"] == "open" and arrived["quotes"] == []

        offer = await quoted(client, d2, rfq["id"], "100.5")
        with_quote = await _until(requester, lambda data: data["quotes"])
        assert [q["price"] for q in with_quote["quotes"]] == ["100.5"]

        accepted = await client.post(
            f"/api/v1/rfqs/{rfq['id']}/accept",
            json={"quote_id": offer["id"]},
            headers=desk.requester.headers,
        )
        assert accepted.status_code == 200, accepted.text
        lost = await _until(dealer, lambda data: data["status"] == "done")
        assert lost["outcome"] == "done_away" and lost["price"] is None
        # Dealer 1 never heard of dealer 2's quote, and dealer 3 of nothing at all.
        assert "100.5" not in json.dumps(lost)
        await other.quiet(0.3)
