"""The `auction:{id}` WebSocket channel: public state on subscribe and after each public
change; a sealed bid is neither shown nor signalled."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from liquibond.platform.db import utcnow
from liquibond.realtime.hub import HubConfig
from tests.auctions.conftest import bidder, create, list_bond, placed, running, schedule, stepped
from tests.realtime.conftest import WsClient
from tests.realtime.conftest import app as app  # the app with the test's hub configuration


@pytest.fixture
def realtime_config() -> HubConfig:
    """Quick refreshes."""
    return HubConfig(conflate_seconds=0.005, auction_seconds=0.01)


async def _until(ws: WsClient, channel: str, done: Any) -> dict[str, Any]:
    """The first `auction` state of `channel` for which `done(data)` holds."""
    while True:
        message = await ws.expect("auction", channel=channel)
        if done(message["data"]):
            return message


async def test_a_sealed_auction_shows_its_life_but_not_its_bids(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    auction = await running(client, market, offering=100_000)
    channel = f"auction:{auction['id']}"
    alice = await bidder(client, app, 10**9)
    async with WsClient(app) as ws:
        await ws.call({"op": "subscribe", "channels": [channel]}, "subscribed")
        first = await ws.expect("auction", channel=channel)
        assert first["data"]["status"] == "bidding" and first["data"]["bids"] is None
        assert first["data"]["seq"] == auction["seq"]

        await placed(client, alice, auction["id"], 1_000, price="100.25")
        await ws.quiet(0.5)  # not even a signal that somebody bid

        await stepped(client, market.issuer, auction["id"], "close")
        await stepped(client, market.issuer, auction["id"], "clear")
        cleared = await _until(ws, channel, lambda data: data["status"] == "cleared")
        assert cleared["data"]["results"]["cut_off"] == "100.25"
        assert cleared["data"]["seq"] > first["data"]["seq"]
        assert alice.user_id not in json.dumps(cleared)


async def test_an_english_auction_streams_its_best_bid_and_close(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    now = utcnow()
    auction = await running(
        client,
        market,
        format="english",
        offering=1_000,
        min_price="100",
        min_increment="0.5",
        soft_close_seconds=120,
        **schedule(announce_at=now, opens_at=now, closes_at=now + timedelta(seconds=60)),
    )
    channel = f"auction:{auction['id']}"
    alice = await bidder(client, app, 10**9)
    async with WsClient(app) as ws:
        await ws.call({"op": "subscribe", "channels": [channel]}, "subscribed")
        first = await ws.expect("auction", channel=channel)
        assert first["data"]["english"]["best_price"] is None
        await placed(client, alice, auction["id"], 1_000, price="101")
        live = await _until(ws, channel, lambda data: data["english"]["best_price"] == "101")
        assert live["data"]["english"] == {"best_price": "101", "minimum_bid": "101.5", "bids": 1}
        assert live["data"]["closes_at"] > first["data"]["closes_at"]  # the soft close
        assert alice.user_id not in json.dumps(live)


async def test_only_announced_auctions_have_a_channel(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    draft = (await create(client, market)).json()
    async with WsClient(app) as ws:
        await ws.send({"op": "subscribe", "channels": [f"auction:{draft['id']}", "auction:x"]})
        errors = [await ws.expect("error"), await ws.expect("error")]
        assert {(e["code"], e["channel"]) for e in errors} == {
            ("auction.not_found", f"auction:{draft['id']}"),
            ("channel.invalid", "auction:x"),
        }
        assert (await ws.expect("subscribed"))["channels"] == []
