"""The hub: routes outbox events to WebSocket connections through bounded per-connection queues.

Bus handlers only append to in-memory buffers; they never wait. Public market data is
conflated: book changes and trades of an instrument that arrive within `conflate_seconds`
of the previous flush go out together, as ONE delta per contiguous run of book sequence
numbers (levels carry absolute quantities, so a merged delta is still exact) and one list of
trades, serialized once and shared by every subscriber. Each connection has its own writer
task draining its queue; a connection whose queue overflows is told and closed, so a slow
client never slows the others. The ticker and balances are state, recomputed at most once
per interval for the instruments and users that changed and that somebody watches; so is a
user's portfolio, after their fills and balance changes.

The hub reads the database and the books only through :class:`Sources`, so it is tested
with fakes.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from liquibond.platform.db import utcnow
from liquibond.platform.errors import Problem
from liquibond.platform.outbox import Event, EventBus
from liquibond.realtime.protocol import (
    Auth,
    Channel,
    CloseCode,
    Code,
    Kind,
    Ping,
    ProtocolError,
    Subscribe,
    Unsubscribe,
    channel_message,
    dumps,
    error,
    parse_channel,
    parse_operation,
    reply,
    request_id,
)

log = structlog.get_logger(__name__)

#: Failed `auth` operations after which a connection is closed.
MAX_AUTH_FAILURES = 3
#: How many recent event ids the hub remembers to drop redeliveries.
REMEMBERED_EVENTS = 10_000
#: Book changes buffered for one subscription while its snapshot is read.
MAX_PENDING = 10_000

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class HubConfig:
    """Limits and timings of the hub (the defaults suit production)."""

    heartbeat_seconds: float = 15.0
    #: A client that sent nothing (a `pong` answers a heartbeat) for this long is dropped.
    heartbeat_timeout_seconds: float = 45.0
    #: Public market data is flushed at most this often per hub (book deltas are merged).
    conflate_seconds: float = 0.025
    ticker_seconds: float = 1.0
    balances_seconds: float = 0.25
    #: A portfolio is revalued at most this often per user (it reads the user's history).
    portfolio_seconds: float = 1.0
    #: An auction's public state is re-read at most this often.
    auction_seconds: float = 0.1
    #: An RFQ is re-read for each user it concerns at most this often.
    rfq_seconds: float = 0.05
    max_queue_messages: int = 1_000
    max_queue_bytes: int = 8 * 1024 * 1024
    max_subscriptions: int = 50
    max_message_bytes: int = 16 * 1024
    max_connections: int = 10_000
    #: Client messages per second (bursts of twice as many are allowed).
    ops_per_second: float = 10.0
    #: How long a closing connection may take to say why before it is cut.
    close_grace_seconds: float = 1.0


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a connection is authenticated as, and until when."""

    user_id: uuid.UUID
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class BookSnapshot:
    """A committed L2 book: every level, best first, as of book sequence `seq`."""

    seq: int
    bids: list[dict[str, Any]]
    asks: list[dict[str, Any]]


class Sources(Protocol):
    """What the hub reads: identities, instruments, books, tickers, balances, portfolios."""

    async def authenticate(self, token: str) -> Identity:
        """The identity behind an access token or API key; a Problem if it is not valid."""

    async def check_instrument(self, instrument_id: uuid.UUID) -> None:
        """Raise a Problem unless the instrument is public."""

    async def book(self, instrument_id: uuid.UUID) -> BookSnapshot:
        """The committed book of an instrument; a Problem if it cannot be shown."""

    async def ticker(self, instrument_id: uuid.UUID) -> dict[str, Any]:
        """The instrument's ticker as JSON-ready data."""

    async def balances(
        self, user_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, list[dict[str, Any]]]:
        """Each user's balances as JSON-ready data."""

    async def portfolio(self, user_id: uuid.UUID) -> dict[str, Any]:
        """A user's portfolio summary as JSON-ready data."""

    def price_ticks(self, instrument_id: uuid.UUID, price: str) -> int | None:
        """A price of the instrument in ticks, when its tick size is known."""

    async def check_auction(self, auction_id: uuid.UUID) -> None:
        """Raise a Problem unless the auction is public (announced)."""

    async def auction(self, auction_id: uuid.UUID) -> dict[str, Any]:
        """An auction's public state as JSON-ready data (never a sealed bid)."""

    async def open_rfqs(self, user_id: uuid.UUID) -> list[dict[str, Any]]:
        """The user's open RFQs (asked for or asked on), each as the user may see it."""

    async def rfq(self, rfq_id: uuid.UUID, user_id: uuid.UUID) -> dict[str, Any]:
        """One RFQ as the user may see it (`GET /api/v1/rfqs/{id}`)."""


class Transport(Protocol):
    """One client's WebSocket, as the hub needs it."""

    async def receive(self) -> str | None:
        """The next text message, or None once the client has gone."""

    async def send(self, text: str) -> None:
        """Send one text message (waits while the client does not read)."""

    async def close(self, code: int) -> None:
        """Close the WebSocket with `code`."""


class HubMetrics:
    """The hub's Prometheus collectors."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry
        self.connections = Gauge(
            "liquibond_ws_connections", "Open WebSocket connections", registry=registry
        )
        self.subscriptions = Gauge(
            "liquibond_ws_subscriptions", "Channel subscriptions", registry=registry
        )
        self.events = Counter(
            "liquibond_ws_events", "Outbox events the hub received", ["type"], registry=registry
        )
        self.messages = Counter(
            "liquibond_ws_messages", "Channel messages queued to clients", registry=registry
        )
        self.disconnects = Counter(
            "liquibond_ws_disconnects",
            "Closed connections by reason",
            ["reason"],
            registry=registry,
        )
        self.flush = Histogram(
            "liquibond_ws_flush_seconds",
            "Time to fan one flush of market data out to every queue",
            registry=registry,
            buckets=(0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1),
        )

    def unregister(self) -> None:
        """Remove the collectors from their registry (the app may start a new hub)."""
        for collector in (
            self.connections,
            self.subscriptions,
            self.events,
            self.messages,
            self.disconnects,
            self.flush,
        ):
            self._registry.unregister(collector)


def iso(moment: datetime) -> str:
    """A UTC timestamp as the REST API writes it (`...Z`)."""
    return moment.isoformat().replace("+00:00", "Z")


# -- book deltas -------------------------------------------------------------------------------


@dataclass(slots=True)
class Segment:
    """Contiguous book changes of one instrument merged into one delta: each level as it is
    at `seq` (quantity 0: gone)."""

    instrument_id: str
    prev_seq: int
    seq: int
    bids: dict[int, dict[str, Any]] = field(default_factory=dict)
    asks: dict[int, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def of(cls, data: dict[str, Any]) -> Segment:
        """The segment of one `book.changed.v1` event."""
        segment = cls(data["instrument_id"], data["prev_seq"], data["prev_seq"])
        segment.extend(data)
        return segment

    def extend(self, data: dict[str, Any]) -> None:
        """Merge the next change (its `prev_seq` is this segment's `seq`)."""
        self.seq = data["seq"]
        for level in data["bids"]:
            self.bids[level["price_ticks"]] = level
        for level in data["asks"]:
            self.asks[level["price_ticks"]] = level

    def message(self, channel: str, prev_seq: int | None = None) -> str:
        """The delta message (from `prev_seq` when a subscriber's snapshot is newer)."""
        return channel_message(
            "delta",
            channel,
            {
                "instrument_id": self.instrument_id,
                "prev_seq": self.prev_seq if prev_seq is None else prev_seq,
                "seq": self.seq,
                "bids": [self.bids[p] for p in sorted(self.bids, reverse=True)],
                "asks": [self.asks[p] for p in sorted(self.asks)],
            },
        )


# -- connections -------------------------------------------------------------------------------


@dataclass(slots=True)
class Subscription:
    """One channel of one connection. While its first state is read, what the channel
    publishes waits in `pending`; `seq` is the last book sequence the client has."""

    channel: Channel
    key: str
    seq: int = 0
    pending: list[str | Segment] | None = field(default_factory=list)


class Connection:
    """One client: its identity, subscriptions and bounded outbound queue."""

    def __init__(self, number: int, config: HubConfig) -> None:
        self.number = number
        self.user_id: uuid.UUID | None = None
        self.auth_expires_at: datetime | None = None
        self.auth_failures = 0
        self.subscriptions: dict[str, Subscription] = {}
        self.opened = self.last_seen = time.monotonic()
        self.sent = 0
        self.close_code: int | None = None
        self.close_reason = "client"
        self.killed = asyncio.Event()
        self._config = config
        self._queue: deque[str] = deque()
        self._bytes = 0
        self._waiter: asyncio.Future[None] | None = None
        self._tokens = 2 * config.ops_per_second
        self._tokens_at = self.opened

    @property
    def queued(self) -> int:
        """Messages waiting to be sent."""
        return len(self._queue)

    def offer(self, text: str) -> None:
        """Queue a message; a queue that overflows closes the connection (slow consumer)."""
        if self.close_code is not None:
            return
        size = len(text)
        config = self._config
        if len(self._queue) >= config.max_queue_messages or self._bytes + size > (
            config.max_queue_bytes
        ):
            self.kill(
                CloseCode.POLICY,
                "slow_consumer",
                error(Code.SLOW_CONSUMER, "Messages were not read fast enough; reconnect."),
            )
            return
        self._queue.append(text)
        self._bytes += size
        self._wake()

    def kill(self, code: int, reason: str, last_words: str | None = None) -> None:
        """Close the connection: drop what is queued, say `last_words` if the client still
        reads, then close with `code`."""
        if self.close_code is not None:
            return
        self.close_code, self.close_reason = code, reason
        self._queue.clear()
        self._bytes = 0
        if last_words is not None:
            self._queue.append(last_words)
            self._bytes = len(last_words)
        self._wake()
        self.killed.set()
        log.info("ws.closing", connection=self.number, reason=reason, code=code)

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def allow(self) -> bool:
        """Spend one token of the client's message budget; False when it is used up."""
        now = time.monotonic()
        rate = self._config.ops_per_second
        self._tokens = min(2 * rate, self._tokens + (now - self._tokens_at) * rate)
        self._tokens_at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    async def pump(self, transport: Transport) -> None:
        """Send queued messages in order until the connection is closed."""
        queue = self._queue
        loop = asyncio.get_running_loop()
        try:
            while True:
                while queue:
                    text = queue.popleft()
                    self._bytes -= len(text)
                    await transport.send(text)
                    self.sent += 1
                if self.close_code is not None:
                    await transport.close(self.close_code)
                    return
                self._waiter = loop.create_future()
                await self._waiter
        except Exception as exc:  # the client went away mid-send
            log.debug("ws.send_failed", connection=self.number, error=type(exc).__name__)


class Refresher(Generic[K]):
    """Runs `refresh` for the keys marked since its last run: at once after a quiet spell,
    then at most once per `interval` (what changes meanwhile is coalesced)."""

    def __init__(
        self, name: str, interval: float, refresh: Callable[[set[K]], Awaitable[None]]
    ) -> None:
        self._name = name
        self._interval = interval
        self._refresh = refresh
        self._dirty: set[K] = set()
        self._wake = asyncio.Event()

    def mark(self, key: K) -> None:
        """Ask for `key` to be refreshed."""
        self._dirty.add(key)
        self._wake.set()

    async def run(self) -> None:
        """Refresh forever."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            keys, self._dirty = self._dirty, set()
            try:
                await self._refresh(keys)
            except Exception:
                log.exception("ws.refresh_failed", what=self._name)
            await asyncio.sleep(self._interval)


class _Recent:
    """The last `size` event ids seen."""

    def __init__(self, size: int) -> None:
        self._order: deque[uuid.UUID] = deque()
        self._ids: set[uuid.UUID] = set()
        self._size = size

    def seen(self, event_id: uuid.UUID) -> bool:
        """True if `event_id` was seen before; remembers it otherwise."""
        if event_id in self._ids:
            return True
        self._ids.add(event_id)
        self._order.append(event_id)
        if len(self._order) > self._size:
            self._ids.discard(self._order.popleft())
        return False


# -- the hub -----------------------------------------------------------------------------------


class Hub:
    """Every WebSocket connection of this process and the channels they subscribe to."""

    def __init__(
        self,
        sources: Sources,
        config: HubConfig | None = None,
        *,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.config = config or HubConfig()
        self.metrics = HubMetrics(registry or CollectorRegistry())
        self._sources = sources
        self._connections: set[Connection] = set()
        self._routes: dict[str, dict[Connection, Subscription]] = {}
        self._recent = _Recent(REMEMBERED_EVENTS)
        self._books: dict[str, list[Segment]] = {}
        self._trades: dict[str, list[dict[str, Any]]] = {}
        self._flush_at: asyncio.TimerHandle | None = None
        self._last_flush = float("-inf")
        self._tickers: Refresher[uuid.UUID] = Refresher(
            "ticker", self.config.ticker_seconds, self._refresh_tickers
        )
        self._balances: Refresher[uuid.UUID] = Refresher(
            "balances", self.config.balances_seconds, self._refresh_balances
        )
        self._portfolios: Refresher[uuid.UUID] = Refresher(
            "portfolio", self.config.portfolio_seconds, self._refresh_portfolios
        )
        self._auctions: Refresher[uuid.UUID] = Refresher(
            "auction", self.config.auction_seconds, self._refresh_auctions
        )
        self._rfqs: Refresher[tuple[uuid.UUID, uuid.UUID]] = Refresher(
            "rfq", self.config.rfq_seconds, self._refresh_rfqs
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._numbers = 0
        self._running = False

    @property
    def connections(self) -> frozenset[Connection]:
        """The open connections."""
        return frozenset(self._connections)

    def listen(self, bus: EventBus) -> None:
        """Consume the events the channels are made of."""
        for pattern in (
            "book.changed.v1",
            "trade.executed.v1",
            "order.*",
            "ledger.balance_*",
            "auction.*",
            "rfq.*",
        ):
            bus.subscribe(pattern, self.on_event)

    async def start(self) -> None:
        """Start the heartbeat and the ticker, balance and portfolio refreshers."""
        self._running = True
        self._tasks = [
            asyncio.create_task(self._heartbeats(), name="ws-heartbeats"),
            asyncio.create_task(self._tickers.run(), name="ws-tickers"),
            asyncio.create_task(self._balances.run(), name="ws-balances"),
            asyncio.create_task(self._portfolios.run(), name="ws-portfolios"),
            asyncio.create_task(self._auctions.run(), name="ws-auctions"),
            asyncio.create_task(self._rfqs.run(), name="ws-rfqs"),
        ]

    async def stop(self) -> None:
        """Close every connection (going away) and stop."""
        self._running = False
        if self._flush_at is not None:
            self._flush_at.cancel()
        for connection in list(self._connections):
            connection.kill(CloseCode.GOING_AWAY, "shutdown")
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- one connection ------------------------------------------------------------------------

    async def serve(self, transport: Transport, *, token: str | None = None) -> None:
        """Run one client's connection until it or the hub closes it."""
        if not self._running or len(self._connections) >= self.config.max_connections:
            with contextlib.suppress(Exception):  # the client may be gone already
                if self._running:
                    await transport.send(error(Code.TOO_MANY_CONNECTIONS, "The server is full."))
                await transport.close(
                    CloseCode.TRY_AGAIN_LATER if self._running else CloseCode.GOING_AWAY
                )
            self.metrics.disconnects.labels("refused").inc()
            return
        self._numbers += 1
        conn = Connection(self._numbers, self.config)
        self._connections.add(conn)
        self.metrics.connections.inc()
        tasks: list[asyncio.Task[Any]] = []
        try:
            if token is None or await self._connect_with(conn, token):
                conn.offer(self._welcome(conn))
            pump = asyncio.create_task(conn.pump(transport))
            reader = asyncio.create_task(self._read(conn, transport))
            killed = asyncio.create_task(conn.killed.wait())
            tasks = [pump, reader, killed]
            log.info("ws.connected", connection=conn.number, user_id=_text(conn.user_id))
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            if not reader.done():  # closed by the hub: the pump says why, within a grace period
                reader.cancel()
                await asyncio.wait([pump], timeout=self.config.close_grace_seconds)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._drop(conn)

    async def _connect_with(self, conn: Connection, token: str) -> bool:
        """Authenticate with the token of the connection request (closing it if that fails)."""
        try:
            return await self._authenticate(conn, token, None)
        except Exception:
            log.exception("ws.authentication_failed", connection=conn.number)
            conn.kill(
                CloseCode.INTERNAL,
                "internal_error",
                error(Code.INTERNAL, "An unexpected error occurred; it has been logged."),
            )
            return False

    def _welcome(self, conn: Connection) -> str:
        config = self.config
        return dumps(
            {
                "type": "welcome",
                "user_id": _text(conn.user_id),
                "heartbeat_seconds": config.heartbeat_seconds,
                "heartbeat_timeout_seconds": config.heartbeat_timeout_seconds,
                "max_subscriptions": config.max_subscriptions,
                "max_message_bytes": config.max_message_bytes,
            }
        )

    def _drop(self, conn: Connection) -> None:
        for name in list(conn.subscriptions):
            self._remove(conn, name)
        self._connections.discard(conn)
        self.metrics.connections.dec()
        self.metrics.disconnects.labels(conn.close_reason).inc()
        log.info(
            "ws.disconnected",
            connection=conn.number,
            user_id=_text(conn.user_id),
            reason=conn.close_reason,
            sent=conn.sent,
            seconds=round(time.monotonic() - conn.opened, 3),
        )

    async def _read(self, conn: Connection, transport: Transport) -> None:
        while (text := await transport.receive()) is not None:
            conn.last_seen = time.monotonic()
            await self.handle(conn, text)
            if conn.close_code is not None:
                return

    async def handle(self, conn: Connection, text: str) -> None:
        """Answer one client message (errors are answered, never raised)."""
        if len(text) > self.config.max_message_bytes:
            conn.kill(
                CloseCode.TOO_BIG,
                "message_too_large",
                error(
                    Code.MESSAGE_TOO_LARGE,
                    f"Messages are at most {self.config.max_message_bytes} bytes.",
                ),
            )
            return
        if not conn.allow():
            conn.offer(
                error(Code.RATE_LIMITED, "Too many messages; slow down.", request=request_id(text))
            )
            return
        try:
            match parse_operation(text):
                case Auth() as op:
                    await self._authenticate(conn, op.token, op)
                case Subscribe() as op:
                    await self._subscribe(conn, op)
                case Unsubscribe() as op:
                    self._unsubscribe(conn, op)
                case Ping() as op:
                    conn.offer(reply("pong", op.id))
                case _:  # pong: its arrival is all that counts
                    pass
        except ProtocolError as exc:
            conn.offer(
                error(
                    exc.code,
                    exc.detail,
                    request=request_id(text),
                    channel=exc.channel,
                    errors=exc.errors,
                )
            )
        except Exception:
            log.exception("ws.operation_failed", connection=conn.number)
            conn.offer(
                error(
                    Code.INTERNAL,
                    "An unexpected error occurred; it has been logged.",
                    request=request_id(text),
                )
            )

    async def _authenticate(self, conn: Connection, token: str, op: Auth | None) -> bool:
        """Authenticate `conn` with a token from an `auth` operation, or (`op` None) from the
        connection request. A failure is answered, and closes the connection if the token came
        with the request or after repeated failures."""
        request = None if op is None else op.id
        try:
            identity = await self._sources.authenticate(token)
        except Problem as problem:
            conn.auth_failures += 1
            last_words = error(problem.code, problem.detail, request=request)
            if op is None or conn.auth_failures >= MAX_AUTH_FAILURES:
                conn.kill(CloseCode.POLICY, "auth_failed", last_words)
            else:
                conn.offer(last_words)
            return False
        if conn.user_id is not None and conn.user_id != identity.user_id:
            raise ProtocolError(
                Code.USER_MISMATCH, "This connection belongs to another user; open a new one."
            )
        conn.user_id, conn.auth_expires_at = identity.user_id, identity.expires_at
        if op is not None:
            expires = identity.expires_at
            conn.offer(
                reply(
                    "authenticated",
                    request,
                    user_id=str(identity.user_id),
                    expires_at=None if expires is None else iso(expires),
                )
            )
        return True

    # -- subscriptions -------------------------------------------------------------------------

    async def _subscribe(self, conn: Connection, op: Subscribe) -> None:
        """Register each channel (buffering what it publishes), read its first state, then
        answer `subscribed` and release the first states and what was buffered."""
        started: list[tuple[Subscription, str | None]] = []
        for name in dict.fromkeys(op.channels):
            try:
                channel = self._admissible(conn, name)
            except ProtocolError as exc:
                conn.offer(error(exc.code, exc.detail, request=op.id, channel=name))
                continue
            try:
                if channel.instrument_id is not None:
                    await self._sources.check_instrument(channel.instrument_id)
                if channel.auction_id is not None:
                    await self._sources.check_auction(channel.auction_id)
                sub = self._add(conn, channel)
                started.append((sub, await self._first_state(conn, sub)))
            except Exception as exc:
                self._remove(conn, channel.name)
                if isinstance(exc, Problem):
                    conn.offer(error(exc.code, exc.detail, request=op.id, channel=name))
                else:
                    log.exception("ws.subscribe_failed", channel=channel.name)
                    conn.offer(error(Code.INTERNAL, "The channel could not be read.", channel=name))
        live = [
            (sub, first)
            for sub, first in started
            if conn.subscriptions.get(sub.channel.name) is sub
        ]
        conn.offer(reply("subscribed", op.id, channels=[sub.channel.name for sub, _ in live]))
        for sub, first in live:
            if first is not None:
                conn.offer(first)
            self._release(conn, sub)

    def _admissible(self, conn: Connection, name: str) -> Channel:
        channel = parse_channel(name)
        if channel.kind.private and conn.user_id is None:
            raise ProtocolError(
                Code.UNAUTHENTICATED,
                "Private channels need authentication: send an `auth` operation first.",
            )
        if channel.name not in conn.subscriptions and len(conn.subscriptions) >= (
            self.config.max_subscriptions
        ):
            raise ProtocolError(
                Code.TOO_MANY_SUBSCRIPTIONS,
                f"A connection may hold at most {self.config.max_subscriptions} subscriptions.",
            )
        return channel

    def _add(self, conn: Connection, channel: Channel) -> Subscription:
        """Register a subscription in buffering state (a fresh one for a resubscription)."""
        self._remove(conn, channel.name)
        sub = Subscription(channel, channel.key(conn.user_id))
        conn.subscriptions[channel.name] = sub
        self._routes.setdefault(sub.key, {})[conn] = sub
        self.metrics.subscriptions.inc()
        return sub

    def _remove(self, conn: Connection, name: str) -> None:
        sub = conn.subscriptions.pop(name, None)
        if sub is None:
            return
        subscribers = self._routes.get(sub.key)
        if subscribers is not None:
            subscribers.pop(conn, None)
            if not subscribers:
                del self._routes[sub.key]
        self.metrics.subscriptions.dec()

    async def _first_state(self, conn: Connection, sub: Subscription) -> str | None:
        """The message a new subscriber starts from: a snapshot of state channels."""
        channel = sub.channel
        name, instrument_id = channel.name, channel.instrument_id
        if channel.kind is Kind.BOOK:
            assert instrument_id is not None
            book = await self._sources.book(instrument_id)
            sub.seq = book.seq
            return channel_message(
                "snapshot",
                name,
                {
                    "instrument_id": str(instrument_id),
                    "seq": book.seq,
                    "bids": book.bids,
                    "asks": book.asks,
                },
            )
        if channel.kind is Kind.TICKER:
            assert instrument_id is not None
            return channel_message("ticker", name, await self._sources.ticker(instrument_id))
        if channel.kind is Kind.BALANCES:
            assert conn.user_id is not None
            balances = await self._sources.balances([conn.user_id])
            return channel_message("balances", name, balances.get(conn.user_id, []))
        if channel.kind is Kind.PORTFOLIO:
            assert conn.user_id is not None
            return channel_message("portfolio", name, await self._sources.portfolio(conn.user_id))
        if channel.kind is Kind.AUCTION:
            assert channel.auction_id is not None
            return channel_message("auction", name, await self._sources.auction(channel.auction_id))
        if channel.kind is Kind.RFQ:
            assert conn.user_id is not None
            return channel_message("rfqs", name, await self._sources.open_rfqs(conn.user_id))
        return None

    def _release(self, conn: Connection, sub: Subscription) -> None:
        """Send what a new subscription buffered, after its first state."""
        pending, sub.pending = sub.pending or [], None
        for item in pending:
            if isinstance(item, Segment):
                self._deliver(conn, sub, item, None)
            else:
                conn.offer(item)

    def _unsubscribe(self, conn: Connection, op: Unsubscribe) -> None:
        names: list[str] = []
        for name in dict.fromkeys(op.channels):
            try:
                channel = parse_channel(name)
            except ProtocolError as exc:
                conn.offer(error(exc.code, exc.detail, request=op.id, channel=name))
                continue
            self._remove(conn, channel.name)
            names.append(channel.name)
        conn.offer(reply("unsubscribed", op.id, channels=names))

    # -- events --------------------------------------------------------------------------------

    async def on_event(self, event: Event) -> None:
        """The bus handler: route one event to the channels it concerns (never raises, never
        waits)."""
        if not self._running or self._recent.seen(event.event_id):
            return
        self.metrics.events.labels(event.type).inc()
        try:
            if event.type == "book.changed.v1":
                self._book_changed(event.data)
            elif event.type == "trade.executed.v1":
                self._trade_executed(event)
            elif event.type.startswith("order."):
                self._order_changed(event)
            elif event.type.startswith("auction."):
                self._auction_changed(event.data)
            elif event.type.startswith("rfq."):
                self._rfq_changed(event.data)
            elif event.type == "ledger.balance_changed.v1":
                user_id = event.data["user_id"]
                if f"balances:{user_id}" in self._routes:
                    self._balances.mark(uuid.UUID(user_id))
                self._portfolio_changed(user_id)
        except Exception:
            log.exception("ws.event_failed", event_type=event.type, event_id=str(event.event_id))

    def _book_changed(self, data: dict[str, Any]) -> None:
        instrument_id = data["instrument_id"]
        self._ticker_changed(instrument_id)
        if f"book:{instrument_id}" not in self._routes:
            return
        segments = self._books.setdefault(instrument_id, [])
        if segments and segments[-1].seq == data["prev_seq"]:
            segments[-1].extend(data)
        else:
            segments.append(Segment.of(data))
        self._schedule_flush()

    def _trade_executed(self, event: Event) -> None:
        data = event.data
        instrument_id = data["instrument_id"]
        created_at = iso(event.occurred_at)
        self._ticker_changed(instrument_id)
        self._portfolio_changed(data["buyer_id"])
        self._portfolio_changed(data["seller_id"])
        if f"trades:{instrument_id}" in self._routes:
            self._trades.setdefault(instrument_id, []).append(
                {
                    "id": data["trade_id"],
                    "trade_seq": data["trade_seq"],
                    "venue": data.get("venue", "book"),
                    "price": data["price"],
                    "price_ticks": self._sources.price_ticks(
                        uuid.UUID(instrument_id), data["price"]
                    ),
                    "quantity": data["quantity"],
                    "aggressor_side": data["aggressor_side"],
                    "created_at": created_at,
                }
            )
            self._schedule_flush()
        for side, user, order in (
            ("buy", "buyer_id", "buy_order_id"),
            ("sell", "seller_id", "sell_order_id"),
        ):
            key = f"fills:{data[user]}"
            if key not in self._routes:
                continue
            fill = {
                "id": data["trade_id"],
                "trade_seq": data["trade_seq"],
                "instrument_id": instrument_id,
                "venue": data.get("venue", "book"),
                "order_id": data[order],
                "side": side,
                "liquidity": "taker" if data["aggressor_side"] == side else "maker",
                "price": data["price"],
                "quantity": data["quantity"],
                "accrued_interest": data["accrued_interest"],
                "dirty_amount": data["dirty_amount"],
                "settlement_date": data["settlement_date"],
                "created_at": created_at,
            }
            self._broadcast(key, channel_message("fill", Kind.FILLS.value, fill))

    def _order_changed(self, event: Event) -> None:
        data = event.data
        key = f"orders:{data['user_id']}"
        if key in self._routes:
            order = {name: value for name, value in data.items() if name != "user_id"}
            state = event.type.split(".")[1]
            self._broadcast(key, channel_message("order", Kind.ORDERS.value, order, event=state))

    def _auction_changed(self, data: dict[str, Any]) -> None:
        """Re-read an auction's public state after a public change. A change nobody else
        may see (a sealed bid) is not even signalled: its timing would tell that a bid came."""
        auction_id = data["auction_id"]
        if data.get("public") and f"auction:{auction_id}" in self._routes:
            self._auctions.mark(uuid.UUID(auction_id))

    def _rfq_changed(self, data: dict[str, Any]) -> None:
        """Re-read an RFQ for each of the users the change concerns who are listening."""
        rfq_id = uuid.UUID(data["rfq_id"])
        for user_id in data["audience"]:
            if f"rfq:{user_id}" in self._routes:
                self._rfqs.mark((rfq_id, uuid.UUID(user_id)))

    def _ticker_changed(self, instrument_id: str) -> None:
        if f"ticker:{instrument_id}" in self._routes:
            self._tickers.mark(uuid.UUID(instrument_id))

    def _portfolio_changed(self, user_id: str) -> None:
        if f"portfolio:{user_id}" in self._routes:
            self._portfolios.mark(uuid.UUID(user_id))

    # -- fan-out -------------------------------------------------------------------------------

    def _broadcast(self, key: str, text: str) -> None:
        """Queue one message to every subscriber of a routing key."""
        subscribers = self._routes.get(key)
        if not subscribers:
            return
        for conn, sub in subscribers.items():
            if sub.pending is not None:
                sub.pending.append(text)
            else:
                conn.offer(text)
        self.metrics.messages.inc(len(subscribers))

    def _schedule_flush(self) -> None:
        if self._flush_at is not None:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, self._last_flush + self.config.conflate_seconds - loop.time())
        self._flush_at = loop.call_later(delay, self.flush)

    def flush(self) -> None:
        """Fan out the conflated book changes and trades gathered since the last flush."""
        started = time.perf_counter()
        self._flush_at = None
        self._last_flush = asyncio.get_running_loop().time()
        books, self._books = self._books, {}
        trades, self._trades = self._trades, {}
        queued = 0
        for instrument_id, segments in books.items():
            name = f"book:{instrument_id}"
            subscribers = self._routes.get(name, {})
            for segment in segments:
                shared = segment.message(name)
                for conn, sub in subscribers.items():
                    if sub.pending is None:
                        self._deliver(conn, sub, segment, shared)
                    elif len(sub.pending) < MAX_PENDING:
                        sub.pending.append(segment)
                queued += len(subscribers)
        self.metrics.messages.inc(queued)
        for instrument_id, entries in trades.items():
            name = f"trades:{instrument_id}"
            self._broadcast(name, channel_message("trades", name, entries))
        self.metrics.flush.observe(time.perf_counter() - started)

    @staticmethod
    def _deliver(conn: Connection, sub: Subscription, segment: Segment, shared: str | None) -> None:
        """Queue a delta the subscriber does not have yet. A client's snapshot may be newer
        than the delta's start: its levels are absolute, so it applies from the snapshot on.
        A client behind the delta's start gets it as it is, sees the gap and resyncs."""
        if segment.seq <= sub.seq:
            return
        if sub.seq <= segment.prev_seq:
            text = shared if shared is not None else segment.message(sub.channel.name)
        else:
            text = segment.message(sub.channel.name, prev_seq=sub.seq)
        sub.seq = segment.seq
        conn.offer(text)

    # -- state channels and heartbeats ---------------------------------------------------------

    async def _refresh_tickers(self, instrument_ids: set[uuid.UUID]) -> None:
        for instrument_id in instrument_ids:
            name = f"ticker:{instrument_id}"
            if name not in self._routes:
                continue
            try:
                ticker = await self._sources.ticker(instrument_id)
            except Problem as problem:  # e.g. a halted book
                log.warning(
                    "ws.ticker_unavailable", instrument_id=str(instrument_id), code=problem.code
                )
                continue
            self._broadcast(name, channel_message("ticker", name, ticker))

    async def _refresh_balances(self, user_ids: set[uuid.UUID]) -> None:
        watched = [user_id for user_id in user_ids if f"balances:{user_id}" in self._routes]
        if not watched:
            return
        for user_id, balances in (await self._sources.balances(watched)).items():
            self._broadcast(
                f"balances:{user_id}", channel_message("balances", Kind.BALANCES.value, balances)
            )

    async def _refresh_portfolios(self, user_ids: set[uuid.UUID]) -> None:
        for user_id in user_ids:
            key = f"portfolio:{user_id}"
            if key not in self._routes:
                continue
            try:
                summary = await self._sources.portfolio(user_id)
            except Problem as problem:
                log.warning("ws.portfolio_unavailable", user_id=str(user_id), code=problem.code)
                continue
            self._broadcast(key, channel_message("portfolio", Kind.PORTFOLIO.value, summary))

    async def _refresh_auctions(self, auction_ids: set[uuid.UUID]) -> None:
        for auction_id in auction_ids:
            name = f"auction:{auction_id}"
            if name not in self._routes:
                continue
            try:
                state = await self._sources.auction(auction_id)
            except Problem as problem:
                log.warning("ws.auction_unavailable", auction_id=str(auction_id), code=problem.code)
                continue
            self._broadcast(name, channel_message("auction", name, state))

    async def _refresh_rfqs(self, keys: set[tuple[uuid.UUID, uuid.UUID]]) -> None:
        for rfq_id, user_id in sorted(keys):
            key = f"rfq:{user_id}"
            if key not in self._routes:
                continue
            try:
                state = await self._sources.rfq(rfq_id, user_id)
            except Problem as problem:
                log.warning("ws.rfq_unavailable", rfq_id=str(rfq_id), code=problem.code)
                continue
            self._broadcast(key, channel_message("rfq", Kind.RFQ.value, state))

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(self.config.heartbeat_seconds)
            self.beat()

    def beat(self) -> None:
        """Send every connection a heartbeat; drop those silent for too long, and end the
        private subscriptions of those whose authentication expired."""
        now, wall = time.monotonic(), utcnow()
        silent_since = now - self.config.heartbeat_timeout_seconds
        heartbeat = dumps({"type": "heartbeat", "ts": iso(wall)})
        for conn in list(self._connections):
            if conn.last_seen < silent_since:
                conn.kill(
                    CloseCode.POLICY,
                    "heartbeat_timeout",
                    error(Code.HEARTBEAT_TIMEOUT, "No message (or `pong`) came in time."),
                )
                continue
            if conn.auth_expires_at is not None and conn.auth_expires_at <= wall:
                self._expire(conn)
            conn.offer(heartbeat)

    def _expire(self, conn: Connection) -> None:
        ended = [name for name, sub in conn.subscriptions.items() if sub.channel.kind.private]
        for name in ended:
            self._remove(conn, name)
        conn.user_id = conn.auth_expires_at = None
        conn.offer(
            error(
                Code.TOKEN_EXPIRED,
                "The access token expired: private channels ended. Send `auth` with a fresh "
                "token and subscribe again.",
                channels=ended,
            )
        )


def _text(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)
