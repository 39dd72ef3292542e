"""The hub's fan-out and queues, with fake sources and transports (no app, no database)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Collection
from datetime import timedelta
from typing import Any

import pytest

from liquibond.platform.db import utcnow
from liquibond.platform.errors import NotFound, Unauthorized
from liquibond.platform.outbox import Event
from liquibond.realtime.hub import BookSnapshot, Hub, HubConfig, Identity, Refresher
from liquibond.realtime.protocol import Code, ProtocolError, parse_channel, parse_operation
from tests.realtime.conftest import eventually

BOOK = uuid.uuid4()
ALICE, BOB = uuid.uuid4(), uuid.uuid4()


class FakeSources:
    """Books, tickers and balances held in memory; `gate` holds book snapshots back."""

    def __init__(self) -> None:
        self.snapshot = BookSnapshot(seq=0, bids=[], asks=[])
        self.gate = asyncio.Event()
        self.gate.set()
        self.identities = {"alice": Identity(ALICE, None), "bob": Identity(BOB, None)}
        self.rows: dict[uuid.UUID, list[dict[str, Any]]] = {}
        self.balance_reads: list[set[uuid.UUID]] = []
        self.portfolio_reads: list[uuid.UUID] = []

    async def authenticate(self, token: str) -> Identity:
        if token not in self.identities:
            raise Unauthorized(code="auth.token_invalid", detail="The access token is invalid.")
        return self.identities[token]

    async def check_instrument(self, instrument_id: uuid.UUID) -> None:
        if instrument_id != BOOK:
            raise NotFound(code="instrument.not_found", detail="No such instrument.")

    async def book(self, instrument_id: uuid.UUID) -> BookSnapshot:
        await self.gate.wait()
        return self.snapshot

    async def ticker(self, instrument_id: uuid.UUID) -> dict[str, Any]:
        return {"instrument_id": str(instrument_id)}

    async def balances(
        self, user_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, list[dict[str, Any]]]:
        self.balance_reads.append(set(user_ids))
        return {user_id: self.rows.get(user_id, []) for user_id in user_ids}

    async def portfolio(self, user_id: uuid.UUID) -> dict[str, Any]:
        self.portfolio_reads.append(user_id)
        return {"holdings": self.rows.get(user_id, []), "reads": len(self.portfolio_reads)}

    def price_ticks(self, instrument_id: uuid.UUID, price: str) -> int | None:
        return 40_000


class FakeTransport:
    """A client: what it sends, what it received; closing `gate` makes it stop reading."""

    def __init__(self) -> None:
        self.incoming: asyncio.Queue[str | None] = asyncio.Queue()
        self.received: list[dict[str, Any]] = []
        self.close_code: int | None = None
        self.gate = asyncio.Event()
        self.gate.set()

    async def receive(self) -> str | None:
        return await self.incoming.get()

    async def send(self, text: str) -> None:
        await self.gate.wait()
        self.received.append(json.loads(text))

    async def close(self, code: int) -> None:
        self.close_code = code

    def op(self, **message: Any) -> None:
        self.incoming.put_nowait(json.dumps(message))

    def of(self, type_: str) -> list[dict[str, Any]]:
        return [m for m in self.received if m["type"] == type_]


@pytest.fixture
def sources() -> FakeSources:
    return FakeSources()


@pytest.fixture
def config() -> HubConfig:
    return HubConfig(
        conflate_seconds=0, balances_seconds=0.1, portfolio_seconds=0.1, close_grace_seconds=0.2
    )


@pytest.fixture
async def hub(sources: FakeSources, config: HubConfig) -> AsyncIterator[Hub]:
    running = Hub(sources, config)
    await running.start()
    yield running
    await running.stop()


class Client:
    """A fake transport served by the hub."""

    def __init__(self, hub: Hub, token: str | None = None) -> None:
        self.transport = FakeTransport()
        self.task = asyncio.create_task(hub.serve(self.transport, token=token))

    async def subscribe(self, *channels: str) -> None:
        self.transport.op(op="subscribe", channels=list(channels))
        await eventually(lambda: bool(self.transport.of("subscribed")))

    async def leave(self) -> None:
        self.transport.incoming.put_nowait(None)
        await self.task


def _changed(seq: int, *levels: tuple[int, int], prev_seq: int | None = None) -> Event:
    data = {
        "instrument_id": str(BOOK),
        "prev_seq": seq - 1 if prev_seq is None else prev_seq,
        "seq": seq,
        "bids": [
            {"price": str(t / 400), "price_ticks": t, "quantity": q, "orders": 1} for t, q in levels
        ],
        "asks": [],
    }
    return Event(uuid.uuid4(), "book.changed.v1", utcnow(), data)


def _trade(buyer: uuid.UUID, seller: uuid.UUID, aggressor: str = "buy") -> Event:
    data = {
        "trade_id": str(uuid.uuid4()),
        "instrument_id": str(BOOK),
        "trade_seq": 1,
        "price": "100",
        "quantity": 100,
        "aggressor_side": aggressor,
        "buy_order_id": "buy-order",
        "sell_order_id": "sell-order",
        "buyer_id": str(buyer),
        "seller_id": str(seller),
        "dirty_amount": 10_050_00,
        "accrued_interest": 50_00,
        "settlement_date": "2024-03-05",
    }
    return Event(uuid.uuid4(), "trade.executed.v1", utcnow(), data)


async def _settle() -> None:
    """Let scheduled flushes and writer tasks run."""
    for _ in range(5):
        await asyncio.sleep(0)


async def test_contiguous_book_changes_merge_into_one_delta_shared_by_all(hub: Hub) -> None:
    a, b = Client(hub), Client(hub)
    for client in (a, b):
        await client.subscribe(f"book:{BOOK}")
    for event in (_changed(1, (40_000, 100)), _changed(2, (40_000, 300), (39_999, 50))):
        await hub.on_event(event)  # one relay batch: no flush in between
    await hub.on_event(_changed(3, (39_999, 0)))
    await hub.on_event(_changed(9, (40_001, 10), prev_seq=7))  # the hub missed 3 to 7
    await eventually(lambda: len(a.transport.of("delta")) == len(b.transport.of("delta")) == 2)

    merged, after_gap = (m["data"] for m in a.transport.of("delta"))
    assert (merged["prev_seq"], merged["seq"]) == (0, 3)
    assert [(lv["price_ticks"], lv["quantity"]) for lv in merged["bids"]] == [
        (40_000, 300),
        (39_999, 0),
    ]
    assert (after_gap["prev_seq"], after_gap["seq"]) == (7, 9)  # the client sees the gap
    assert a.transport.of("delta") == b.transport.of("delta")
    await a.leave()
    await b.leave()


async def test_changes_during_a_snapshot_follow_it_in_sequence(
    hub: Hub, sources: FakeSources
) -> None:
    sources.snapshot = BookSnapshot(seq=3, bids=[{"price_ticks": 40_000}], asks=[])
    sources.gate.clear()
    client = Client(hub)
    client.transport.op(op="subscribe", channels=[f"book:{BOOK}"])
    await _settle()
    for seq in (2, 4, 5):  # relayed while the snapshot (at 3) is being read
        await hub.on_event(_changed(seq, (40_000, seq)))
        await _settle()
    assert client.transport.of("subscribed") == []
    sources.gate.set()
    await eventually(lambda: len(client.transport.of("delta")) == 2)

    types = [m["type"] for m in client.transport.received]
    assert types == ["welcome", "subscribed", "snapshot", "delta", "delta"]
    deltas = [m["data"] for m in client.transport.of("delta")]
    assert [(d["prev_seq"], d["seq"]) for d in deltas] == [(3, 4), (4, 5)]
    await client.leave()


@pytest.mark.parametrize("config", [HubConfig(max_queue_messages=3, conflate_seconds=0)])
async def test_a_client_that_stops_reading_is_cut_off_alone(hub: Hub) -> None:
    slow, fast = Client(hub), Client(hub)
    for client in (slow, fast):
        await client.subscribe(f"book:{BOOK}")
    slow.transport.gate.clear()
    for seq in range(1, 11):
        await hub.on_event(_changed(seq, (40_000, seq)))  # never waits on a client
        await _settle()
    assert [m["data"]["seq"] for m in fast.transport.of("delta")] == list(range(1, 11))
    (cut,) = [c for c in hub.connections if c.close_reason == "slow_consumer"]
    assert cut.queued == 1  # nothing but the last words

    slow.transport.gate.set()  # it reads again within the grace period: it is told why
    await slow.task
    assert slow.transport.received[-1]["code"] == Code.SLOW_CONSUMER
    assert slow.transport.close_code == 1008
    assert hub.metrics.disconnects.labels("slow_consumer")._value.get() == 1
    await fast.leave()


@pytest.mark.parametrize(
    "config", [HubConfig(max_queue_messages=3, conflate_seconds=0, close_grace_seconds=0.05)]
)
async def test_a_stuck_client_is_cut_after_the_grace_period(hub: Hub) -> None:
    stuck = Client(hub)
    await stuck.subscribe(f"book:{BOOK}")
    stuck.transport.gate.clear()
    for seq in range(1, 6):
        await hub.on_event(_changed(seq, (40_000, seq)))
        await _settle()
    await asyncio.wait_for(stuck.task, 1)
    assert stuck.transport.close_code is None  # it never read, so was never told
    assert hub.connections == frozenset()


async def test_private_events_reach_only_their_owner(hub: Hub) -> None:
    alice, bob, public = Client(hub, "alice"), Client(hub, "bob"), Client(hub)
    for client in (alice, bob):
        await client.subscribe("orders", "fills")
    await public.subscribe(f"trades:{BOOK}")
    order = {"order_id": "o1", "user_id": str(ALICE), "status": "new", "quantity": 100}
    await hub.on_event(Event(uuid.uuid4(), "order.accepted.v1", utcnow(), order))
    await hub.on_event(_trade(ALICE, BOB, aggressor="sell"))
    await eventually(lambda: len(public.transport.of("trades")) == 1)
    await eventually(lambda: len(bob.transport.of("fill")) == 1)

    (mine,) = alice.transport.of("order")
    assert mine["event"] == "accepted" and mine["channel"] == "orders"
    assert mine["data"] == {"order_id": "o1", "status": "new", "quantity": 100}
    assert bob.transport.of("order") == []
    (alice_fill,) = [m["data"] for m in alice.transport.of("fill")]
    (bob_fill,) = [m["data"] for m in bob.transport.of("fill")]
    assert (alice_fill["side"], alice_fill["order_id"], alice_fill["liquidity"]) == (
        "buy",
        "buy-order",
        "maker",
    )
    assert (bob_fill["side"], bob_fill["order_id"], bob_fill["liquidity"]) == (
        "sell",
        "sell-order",
        "taker",
    )
    assert str(BOB) not in json.dumps(alice.transport.received)
    (tape,) = public.transport.of("trades")
    (entry,) = tape["data"]
    assert set(entry) == {
        "id",
        "trade_seq",
        "venue",
        "price",
        "price_ticks",
        "quantity",
        "aggressor_side",
        "created_at",
    }
    for client in (alice, bob, public):
        await client.leave()


async def test_redelivered_events_are_sent_once(hub: Hub) -> None:
    client = Client(hub, "alice")
    await client.subscribe("orders")
    event = Event(uuid.uuid4(), "order.cancelled.v1", utcnow(), {"user_id": str(ALICE)})
    await hub.on_event(event)
    await hub.on_event(event)
    await _settle()
    assert len(client.transport.of("order")) == 1
    await client.leave()


async def test_balance_changes_are_coalesced(hub: Hub, sources: FakeSources) -> None:
    client = Client(hub, "alice")
    await client.subscribe("balances")
    assert len(sources.balance_reads) == 1  # the first state
    for balance in range(1, 6):
        sources.rows[ALICE] = [{"asset": "INR", "bucket": "available", "balance": balance}]
        data = {"user_id": str(ALICE), "balance": balance}
        await hub.on_event(Event(uuid.uuid4(), "ledger.balance_changed.v1", utcnow(), data))
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.15)
    assert 2 <= len(sources.balance_reads) <= 3  # not one per change
    assert client.transport.of("balances")[-1]["data"][0]["balance"] == 5
    await client.leave()


async def test_a_portfolio_follows_its_owners_fills_and_balances_coalesced(
    hub: Hub, sources: FakeSources
) -> None:
    alice, bob = Client(hub, "alice"), Client(hub, "bob")
    await alice.subscribe("portfolio")
    await bob.subscribe("balances")
    (first,) = alice.transport.of("portfolio")
    assert (first["channel"], first["data"]["reads"]) == ("portfolio", 1)
    assert sources.portfolio_reads == [ALICE]
    await hub.on_event(_trade(BOB, uuid.uuid4()))  # not alice's: nothing to revalue
    await asyncio.sleep(0.15)
    assert sources.portfolio_reads == [ALICE]

    await hub.on_event(_trade(ALICE, BOB))
    for balance in range(1, 6):
        data = {"user_id": str(ALICE), "balance": balance}
        await hub.on_event(Event(uuid.uuid4(), "ledger.balance_changed.v1", utcnow(), data))
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.25)
    assert 2 <= len(sources.portfolio_reads) <= 3  # not one per change
    assert set(sources.portfolio_reads) == {ALICE}
    assert alice.transport.of("portfolio")[-1]["data"]["reads"] == len(sources.portfolio_reads)
    assert bob.transport.of("portfolio") == []
    for client in (alice, bob):
        await client.leave()


async def test_expired_authentication_ends_the_private_channels(
    hub: Hub, sources: FakeSources
) -> None:
    sources.identities["alice"] = Identity(ALICE, utcnow() + timedelta(seconds=60))
    client = Client(hub, "alice")
    await client.subscribe("orders", f"trades:{BOOK}")
    hub.beat()
    assert client.transport.of("error") == []
    (conn,) = hub.connections
    conn.auth_expires_at = utcnow() - timedelta(seconds=1)
    hub.beat()
    await eventually(lambda: bool(client.transport.of("error")))
    (expired,) = client.transport.of("error")
    assert (expired["code"], expired["channels"]) == ("auth.token_expired", ["orders"])
    assert list(conn.subscriptions) == [f"trades:{BOOK}"] and conn.user_id is None
    client.transport.op(op="subscribe", channels=["orders"])
    await eventually(lambda: len(client.transport.of("error")) == 2)
    assert client.transport.of("error")[1]["code"] == "auth.unauthenticated"
    await client.leave()


async def test_silent_clients_are_dropped_at_a_heartbeat(hub: Hub) -> None:
    client = Client(hub)
    await eventually(lambda: bool(client.transport.of("welcome")))
    hub.beat()
    await eventually(lambda: bool(client.transport.of("heartbeat")))
    (conn,) = hub.connections
    conn.last_seen -= hub.config.heartbeat_timeout_seconds + 1
    hub.beat()
    await client.task
    assert client.transport.received[-1]["code"] == "ws.heartbeat_timeout"
    assert client.transport.close_code == 1008


@pytest.mark.parametrize("config", [HubConfig(max_connections=1)])
async def test_connections_beyond_the_limit_are_refused(hub: Hub) -> None:
    first, second = Client(hub), Client(hub)
    await second.task
    assert second.transport.received[0]["code"] == "ws.too_many_connections"
    assert second.transport.close_code == 1013
    await first.leave()


async def test_stopping_the_hub_closes_every_connection(sources: FakeSources) -> None:
    hub = Hub(sources, HubConfig())
    await hub.start()
    client = Client(hub)
    await eventually(lambda: bool(client.transport.of("welcome")))
    await hub.stop()
    await client.task
    assert client.transport.close_code == 1001


async def test_a_refresher_coalesces_what_changes_while_it_works() -> None:
    runs: list[set[int]] = []
    release = asyncio.Event()

    async def refresh(keys: set[int]) -> None:
        runs.append(keys)
        await release.wait()

    refresher: Refresher[int] = Refresher("test", 0, refresh)
    task = asyncio.create_task(refresher.run())
    refresher.mark(1)
    await eventually(lambda: len(runs) == 1)
    for key in (2, 3, 2):
        refresher.mark(key)
    release.set()
    await eventually(lambda: len(runs) == 2)
    assert runs == [{1}, {2, 3}]
    task.cancel()


def test_channel_names() -> None:
    instrument = uuid.uuid4()
    assert parse_channel(f"book:{instrument}").key(ALICE) == f"book:{instrument}"
    assert parse_channel("orders").key(ALICE) == f"orders:{ALICE}"
    assert parse_channel("portfolio").key(ALICE) == f"portfolio:{ALICE}"
    assert parse_channel(f"ticker:{str(instrument).upper()}").name == f"ticker:{instrument}"
    for name, code in (
        ("book", "channel.invalid"),
        ("fills:x", "channel.invalid"),
        (f"portfolio:{instrument}", "channel.invalid"),
        ("depth:1", "channel.unknown"),
        ("", "channel.unknown"),
    ):
        with pytest.raises(ProtocolError) as refused:
            parse_channel(name)
        assert (refused.value.code, refused.value.channel) == (code, name)


def test_operations() -> None:
    assert parse_operation('{"op": "ping", "id": "a"}').id == "a"
    for text, code in (
        ("{", "ws.bad_message"),
        ('"ping"', "ws.bad_message"),
        ('{"op": 1}', "ws.unknown_op"),
        ('{"op": "auth"}', "ws.bad_message"),
        ('{"op": "ping", "id": true}', "ws.bad_message"),
        ('{"op": "subscribe", "channels": ["x"], "id": "' + "i" * 65 + '"}', "ws.bad_message"),
    ):
        with pytest.raises(ProtocolError) as refused:
            parse_operation(text)
        assert refused.value.code == code, text
