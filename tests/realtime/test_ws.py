"""The WebSocket hub through the real app: books, tape, ticker, private channels, limits."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from liquibond.platform.db import utcnow
from liquibond.platform.outbox import Event
from liquibond.realtime.hub import Hub, HubConfig
from tests.helpers import LoggedIn, register_and_login
from tests.realtime.conftest import WsClient, eventually
from tests.trading.conftest import Market, balances, fund_cash, fund_units, list_bond, order
from tests.trading.conftest import verified_investor as investor

PUBLIC_TRADE = {
    "id",
    "trade_seq",
    "venue",
    "price",
    "price_ticks",
    "quantity",
    "aggressor_side",
    "created_at",
}


async def _traders(client: httpx.AsyncClient, app: FastAPI, market: Market) -> tuple[LoggedIn, ...]:
    """A buyer with ₹1,00,000 and a seller with 1,000 units."""
    buyer, seller = await investor(client), await investor(client)
    await fund_cash(app, buyer, 100_000_00)
    await fund_units(app, market, seller, 1_000)
    return buyer, seller


async def _placed(
    client: httpx.AsyncClient, user: LoggedIn, market: Market, side: str, price: str, qty: int
) -> dict[str, Any]:
    placed = await order(client, user, market, side, price, qty)
    assert placed.status_code == 201, placed.text
    body: dict[str, Any] = placed.json()
    return body


class L2:
    """A client's copy of a book, kept from a snapshot and the deltas after it."""

    def __init__(self, snapshot: dict[str, Any]) -> None:
        data = snapshot["data"]
        self.seq: int = data["seq"]
        self.sides = {
            side: {lv["price_ticks"]: lv for lv in data[side]} for side in ("bids", "asks")
        }

    def apply(self, delta: dict[str, Any]) -> None:
        data = delta["data"]
        assert data["prev_seq"] == self.seq, f"gap: at {self.seq}, delta from {data['prev_seq']}"
        assert data["seq"] > self.seq
        for side in ("bids", "asks"):
            for level in data[side]:
                if level["quantity"]:
                    self.sides[side][level["price_ticks"]] = level
                else:
                    self.sides[side].pop(level["price_ticks"], None)
        self.seq = data["seq"]

    def levels(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "bids": [self.sides["bids"][p] for p in sorted(self.sides["bids"], reverse=True)],
            "asks": [self.sides["asks"][p] for p in sorted(self.sides["asks"])],
        }

    async def follow(self, ws: WsClient, channel: str, seq: int) -> None:
        """Apply deltas until the book is at `seq`."""
        while self.seq < seq:
            self.apply(await ws.expect("delta", channel=channel))


async def _rest_book(client: httpx.AsyncClient, market: Market) -> dict[str, Any]:
    book: dict[str, Any] = (
        await client.get(f"/api/v1/instruments/{market.id}/book", params={"depth": 100})
    ).json()
    return book


async def test_a_book_is_a_snapshot_then_deltas_in_sequence(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    buyer, seller = await _traders(client, app, market)
    await _placed(client, buyer, market, "buy", "100", 100)
    channel = f"book:{market.id}"

    async with WsClient(app) as ws:
        welcome = await ws.expect("welcome")
        assert welcome["user_id"] is None
        await ws.send({"op": "subscribe", "channels": [channel], "id": 1})
        assert await ws.expect("subscribed") == {
            "type": "subscribed",
            "channels": [channel],
            "id": 1,
        }
        snapshot = await ws.expect("snapshot", channel=channel)
        rest = await _rest_book(client, market)
        assert snapshot["data"]["seq"] == rest["sequence"] > 0
        assert snapshot["data"]["instrument_id"] == market.id
        book = L2(snapshot)
        assert book.levels() == {"bids": rest["bids"], "asks": rest["asks"]}

        await _placed(client, seller, market, "sell", "100.5", 100)
        await _placed(client, buyer, market, "buy", "99.9975", 300)
        await _placed(client, seller, market, "sell", "100", 100)  # takes the bid at 100
        rest = await _rest_book(client, market)
        await book.follow(ws, channel, rest["sequence"])
        assert book.seq == rest["sequence"]
        assert book.levels() == {"bids": rest["bids"], "asks": rest["asks"]}
        assert [lv["price"] for lv in rest["bids"]] == ["99.9975"]

        # Subscribing again resyncs: a fresh snapshot at the current sequence.
        await ws.send({"op": "subscribe", "channels": [channel]})
        assert (await ws.expect("subscribed"))["channels"] == [channel]
        again = await ws.expect("snapshot", channel=channel)
        assert again["data"]["seq"] == rest["sequence"]
        assert L2(again).levels() == book.levels()

        await ws.send({"op": "unsubscribe", "channels": [channel], "id": "u"})
        assert await ws.expect("unsubscribed") == {
            "type": "unsubscribed",
            "channels": [channel],
            "id": "u",
        }
        await _placed(client, seller, market, "sell", "101", 100)
        await ws.quiet()


async def test_the_public_tape_and_ticker_never_show_who_traded(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    buyer, seller = await _traders(client, app, market)
    async with WsClient(app) as ws:
        await ws.send(
            {"op": "subscribe", "channels": [f"trades:{market.id}", f"ticker:{market.id}"]}
        )
        await ws.expect("subscribed")
        first = await ws.expect("ticker", channel=f"ticker:{market.id}")
        assert first["data"]["last_price"] is None and first["data"]["trades_24h"] == 0

        orders = [
            await _placed(client, seller, market, "sell", "100.5", 100),
            await _placed(client, seller, market, "sell", "100.75", 100),
            await _placed(client, buyer, market, "buy", "100.75", 200),
        ]
        entries: list[dict[str, Any]] = []
        raw: list[str] = []
        while len(entries) < 2:
            message = await ws.expect(
                "trades", channel=f"trades:{market.id}", skip=("ticker", "heartbeat")
            )
            raw.append(json.dumps(message))
            entries.extend(message["data"])
        assert all(set(entry) == PUBLIC_TRADE for entry in entries)
        tape = (await client.get(f"/api/v1/instruments/{market.id}/trades")).json()["items"]
        keys = ("id", "trade_seq", "price", "price_ticks", "quantity", "aggressor_side")
        assert [{k: e[k] for k in keys} for e in entries] == [
            {k: t[k] for k in keys} for t in reversed(tape)
        ]
        for secret in (buyer.user_id, seller.user_id, *(o["id"] for o in orders)):
            assert all(secret not in text for text in raw)

        ticker = first
        while ticker["data"]["trades_24h"] < 2:
            ticker = await ws.expect("ticker", skip=("trades", "heartbeat"))
        rest = (await client.get(f"/api/v1/instruments/{market.id}/ticker")).json()
        assert ticker["data"]["last_price"] == rest["last_price"] == "100.75"
        assert ticker["data"]["volume_24h"] == rest["volume_24h"] == 200


async def test_private_channels_need_auth_and_show_only_my_own(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    me, other = await _traders(client, app, market)  # I buy, they sell
    async with WsClient(app) as mine, WsClient(app, query={"token": other.access_token}) as theirs:
        assert (await mine.expect("welcome"))["user_id"] is None
        assert (await theirs.expect("welcome"))["user_id"] == other.user_id

        await mine.send({"op": "subscribe", "channels": ["orders", "balances"], "id": 7})
        for name in ("orders", "balances"):
            refused = await mine.expect("error")
            assert (refused["code"], refused["channel"], refused["id"]) == (
                "auth.unauthenticated",
                name,
                7,
            )
        assert (await mine.expect("subscribed"))["channels"] == []

        authed = await mine.call({"op": "auth", "token": me.access_token}, "authenticated")
        assert authed["user_id"] == me.user_id and authed["expires_at"].endswith("Z")
        for ws in (mine, theirs):
            await ws.send({"op": "subscribe", "channels": ["orders", "fills", "balances"]})
            assert (await ws.expect("subscribed"))["channels"] == ["orders", "fills", "balances"]
        start = await mine.expect("balances", channel="balances")
        assert _balances(start["data"]) == await balances(client, me)
        await theirs.expect("balances", channel="balances")

        theirs_order = await _placed(client, other, market, "sell", "100.5", 100)
        my_order = await _placed(client, me, market, "buy", "100.5", 100)  # trades at once
        mine_seen = await _until_balances(client, mine, me, {"order": 2, "fill": 1})
        theirs_seen = await _until_balances(client, theirs, other, {"order": 2, "fill": 1})

        my_orders = [m for m in mine_seen if m["type"] == "order"]
        assert [m["event"] for m in my_orders] == ["accepted", "filled"]
        assert {m["data"]["order_id"] for m in my_orders} == {my_order["id"]}
        assert all("user_id" not in m["data"] for m in my_orders)
        (my_fill,) = [m["data"] for m in mine_seen if m["type"] == "fill"]
        assert (my_fill["order_id"], my_fill["side"], my_fill["liquidity"]) == (
            my_order["id"],
            "buy",
            "taker",
        )
        assert (my_fill["price"], my_fill["quantity"]) == ("100.5", 100)
        mine_text = json.dumps(mine_seen)
        assert other.user_id not in mine_text and theirs_order["id"] not in mine_text

        (their_fill,) = [m["data"] for m in theirs_seen if m["type"] == "fill"]
        assert (their_fill["order_id"], their_fill["side"], their_fill["liquidity"]) == (
            theirs_order["id"],
            "sell",
            "maker",
        )
        assert their_fill["id"] == my_fill["id"]
        theirs_text = json.dumps(theirs_seen)
        assert me.user_id not in theirs_text and my_order["id"] not in theirs_text


async def test_my_portfolio_is_a_snapshot_then_revalued_after_my_fills(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    me, other = await _traders(client, app, market)  # I buy, they sell
    async with WsClient(app, query={"token": me.access_token}) as ws:
        await ws.send({"op": "subscribe", "channels": ["portfolio"]})
        assert (await ws.expect("subscribed"))["channels"] == ["portfolio"]
        first = (await ws.expect("portfolio", channel="portfolio"))["data"]
        rest = (await client.get("/api/v1/portfolio", headers=me.headers)).json()
        assert {k: v for k, v in first.items() if k != "as_of"} == {
            k: v for k, v in rest.items() if k != "as_of"
        }
        assert first["holdings"] == [] and first["cash"][0]["available"] == 100_000_00

        await _placed(client, other, market, "sell", "100.5", 100)
        await _placed(client, me, market, "buy", "100.5", 100)
        update = first
        while not update["holdings"]:
            update = (await ws.expect("portfolio", skip=("heartbeat",)))["data"]
        (holding,) = update["holdings"]
        assert (holding["isin"], holding["units"], holding["pending_buy_units"]) == (
            market.isin,
            100,
            100,
        )
        assert (holding["mark"], holding["mark_source"], holding["cost"]) == (
            "100.5",
            "last_trade",
            10_050_00,
        )
        rest = (await client.get("/api/v1/portfolio", headers=me.headers)).json()
        while update["cash"] != rest["cash"]:  # a balance change may still be on its way
            update = (await ws.expect("portfolio", skip=("heartbeat",)))["data"]
        assert update["totals"] == rest["totals"]
        assert other.user_id not in json.dumps(update)


def _balances(rows: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    return {(row["asset"], row["bucket"]): row["balance"] for row in rows}


async def _until_balances(
    client: httpx.AsyncClient, ws: WsClient, user: LoggedIn, counts: dict[str, int]
) -> list[dict[str, Any]]:
    """Read until `counts` messages of each type arrived and the balances shown are the
    user's balances now; returns what was read."""
    expected = await balances(client, user)
    seen: list[dict[str, Any]] = []
    shown: dict[tuple[str, str], int] = {}
    while shown != expected or any(
        sum(m["type"] == type_ for m in seen) < count for type_, count in counts.items()
    ):
        message = await ws.receive()
        seen.append(message)
        if message["type"] == "balances":
            shown = _balances(message["data"])
    return seen


async def test_bad_operations_are_answered_with_codes(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    async with WsClient(app) as ws:
        await ws.expect("welcome")
        cases: list[tuple[Any, str]] = [
            ("not json", "ws.bad_message"),
            ("[1, 2]", "ws.bad_message"),
            ({"channels": ["orders"]}, "ws.unknown_op"),
            ({"op": "dance", "id": 3}, "ws.unknown_op"),
            ({"op": "subscribe", "id": "s1"}, "ws.bad_message"),
            ({"op": "subscribe", "channels": [], "extra": 1}, "ws.bad_message"),
            ({"op": "subscribe", "channels": ["candles:x"]}, "channel.unknown"),
            ({"op": "subscribe", "channels": ["book:not-a-uuid"]}, "channel.invalid"),
            ({"op": "subscribe", "channels": ["orders:me"]}, "channel.invalid"),
            ({"op": "subscribe", "channels": [f"book:{uuid.uuid4()}"]}, "instrument.not_found"),
            ({"op": "subscribe", "channels": ["fills"]}, "auth.unauthenticated"),
            ({"op": "auth", "token": "not-a-token"}, "auth.token_invalid"),
            ({"op": "auth", "token": "lb_nope_nope"}, "auth.api_key_invalid"),
        ]
        for message, code in cases:
            await ws.send(message)
            answer = await ws.expect("error")
            assert answer["code"] == code, (message, answer)
            assert answer["detail"]
            if isinstance(message, dict) and "id" in message:
                assert answer["id"] == message["id"]
            if code.startswith(("channel.", "instrument.", "auth.unauth")):
                assert (await ws.expect("subscribed"))["channels"] == []
        missing = await ws.call({"op": "subscribe"}, "error")
        assert missing["errors"][0]["field"] == "channels"
        # Still serving: a subscribe with one good and one bad channel keeps the good one.
        await ws.send({"op": "subscribe", "channels": ["nope", f"trades:{market.id}"]})
        assert (await ws.expect("error"))["channel"] == "nope"
        assert (await ws.expect("subscribed"))["channels"] == [f"trades:{market.id}"]
        assert await ws.call({"op": "ping", "id": 9}, "pong") == {"type": "pong", "id": 9}

        await ws.send("x" * (app.state.hub.config.max_message_bytes + 1))
        code, last = await ws.closed()
        assert code == 1009 and [m["code"] for m in last] == ["ws.message_too_large"]


@pytest.mark.parametrize(
    "realtime_config", [HubConfig(max_subscriptions=2, ops_per_second=5)], ids=["limited"]
)
async def test_subscriptions_and_message_rate_are_bounded(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    names = [f"{kind}:{market.id}" for kind in ("book", "trades", "ticker")]
    async with WsClient(app) as ws:
        await ws.expect("welcome")
        await ws.send({"op": "subscribe", "channels": names})
        refused = await ws.expect("error", skip=())
        assert (refused["code"], refused["channel"]) == ("ws.too_many_subscriptions", names[2])
        assert (await ws.expect("subscribed", skip=()))["channels"] == names[:2]
        await ws.expect("snapshot", skip=())
        for n in range(12):
            await ws.send({"op": "ping", "id": n})
        answers = [await ws.receive() for _ in range(12)]
        assert answers[0] == {"type": "pong", "id": 0}
        limited = [a for a in answers if a["type"] == "error"]
        assert limited and all(a["code"] == "ws.rate_limited" for a in limited)
        assert {a["id"] for a in answers} == set(range(12))


@pytest.mark.parametrize(
    "realtime_config",
    [HubConfig(max_queue_messages=5, conflate_seconds=0, close_grace_seconds=5)],
    ids=["small-queues"],
)
async def test_a_slow_consumer_is_cut_off_without_slowing_the_others(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    market = await list_bond(client, app)
    channel = f"book:{market.id}"
    hub: Hub = app.state.hub
    async with WsClient(app, inbox=1) as stalled, WsClient(app) as healthy:
        await stalled.send({"op": "subscribe", "channels": [channel]})
        await healthy.send({"op": "subscribe", "channels": [channel]})
        await healthy.expect("snapshot", skip=("welcome", "subscribed"))
        await eventually(lambda: _both_subscribed(hub, channel))
        for seq in range(1, 21):  # the stalled client reads nothing meanwhile
            await app.state.bus.publish(_book_changed(market.id, seq))
            await asyncio.sleep(0.002)
        for seq in range(1, 21):
            delta = await healthy.expect("delta")
            assert (delta["data"]["prev_seq"], delta["data"]["seq"]) == (seq - 1, seq)
        assert any(c.close_reason == "slow_consumer" for c in hub.connections)

        code, messages = await stalled.closed()
        assert code == 1008
        assert messages[-1]["code"] == "ws.slow_consumer"
        assert [m["type"] for m in messages[:-1]] == ["welcome", "subscribed"]
        assert await healthy.call({"op": "ping"}, "pong") == {"type": "pong"}


def _both_subscribed(hub: Hub, channel: str) -> bool:
    subs = [c.subscriptions.get(channel) for c in hub.connections]
    return len(subs) == 2 and all(sub is not None and sub.pending is None for sub in subs)


def _book_changed(instrument_id: str, seq: int) -> Event:
    """A book change of one level (what the book writer records per committed batch)."""
    level = {"price": "100", "price_ticks": 40_000, "quantity": seq * 100, "orders": seq}
    data = {
        "instrument_id": instrument_id,
        "prev_seq": seq - 1,
        "seq": seq,
        "bids": [level],
        "asks": [],
    }
    return Event(uuid.uuid4(), "book.changed.v1", utcnow(), data)


async def test_tokens_can_come_with_the_connection_request(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    user = await register_and_login(client)
    created = await client.post(
        "/api/v1/me/api-keys", json={"name": "feed", "scopes": ["read"]}, headers=user.headers
    )
    key = created.json()["key"]
    for connecting in (
        WsClient(app, query={"token": key}),
        WsClient(app, headers={"X-API-Key": key}),
        WsClient(app, headers={"Authorization": f"Bearer {user.access_token}"}),
    ):
        async with connecting as ws:
            assert (await ws.expect("welcome"))["user_id"] == user.user_id
            await ws.send({"op": "subscribe", "channels": ["orders"]})
            assert (await ws.expect("subscribed"))["channels"] == ["orders"]
    used = (await client.get("/api/v1/me/api-keys", headers=user.headers)).json()
    assert used[0]["last_used_at"] is not None

    async with WsClient(app, query={"token": "forged"}) as ws:
        code, messages = await ws.closed()
        assert code == 1008 and [m["code"] for m in messages] == ["auth.token_invalid"]


@pytest.mark.parametrize(
    "realtime_config",
    [HubConfig(heartbeat_seconds=0.05, heartbeat_timeout_seconds=0.3)],
    ids=["fast-heartbeats"],
)
async def test_clients_that_miss_heartbeats_are_dropped(app: FastAPI) -> None:
    async with WsClient(app) as alive, WsClient(app) as silent:
        welcome = await alive.expect("welcome")
        assert welcome["heartbeat_seconds"] == 0.05
        beats = 0
        while beats < 12:  # 0.6 s: twice the timeout, answering each heartbeat
            await alive.expect("heartbeat", skip=())
            await alive.send({"op": "pong"})
            beats += 1

        code, messages = await silent.closed()
        assert code == 1008
        assert [m["type"] for m in messages[:-1]] == ["welcome"] + ["heartbeat"] * (
            len(messages) - 2
        )
        assert messages[-1]["code"] == "ws.heartbeat_timeout"
        assert 4 <= len(messages) - 2 <= 8  # about 0.3 s of heartbeats
        assert await alive.call({"op": "ping"}, "pong") == {"type": "pong"}
