"""The order book and matcher for one instrument.

Layout
------
Each side is a ``dict[key, Level]`` plus a binary heap of the same keys. The key is
the price for asks and the negated price for bids, so on both sides the smallest key
is the best level and "this level crosses the taker's limit" is ``key <= limit_key``.
Level removal is lazy in the heap but never at its top: ``heap[0]`` is always a live
level, so the best price is O(1); stale keys deeper down are dropped when they surface
or when the heap is rebuilt (amortised, once it is twice the size it was last rebuilt at).

A level is an intrusive doubly linked FIFO of :class:`Order` nodes and the book keeps
``dict[order_id, Order]``, so a cancel is O(1), plus O(log L) heap pops when it empties
the best level. Pending stops live in two heaps ordered by trigger
price then priority; DAY/GTD orders in a heap by ``expire_at``; both use lazy deletion.

Priority
--------
Every time an order joins the back of a queue (it rests, an iceberg slice refreshes,
a replace loses priority, a stop triggers) it takes the next value of a per-book
counter, so within a level the FIFO order is ascending ``priority``. That is what lets
:meth:`Book.restore` rebuild every queue exactly from a list of orders.

Determinism
-----------
No clock, no randomness, no iteration over unordered containers where order matters
(mass cancels and expiries are sorted by priority), so the same commands always give
the same events and the same :meth:`Book.state_hash`.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from heapq import heapify, heappop, heappush, nsmallest
from typing import Any

from msgspec import Struct

from liquibond.trading.engine.commands import (
    CancelAll,
    CancelOrder,
    Command,
    Expire,
    NewOrder,
    ReplaceOrder,
)
from liquibond.trading.engine.events import (
    BookDelta,
    CancelRejected,
    Event,
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderPartiallyFilled,
    OrderReduced,
    OrderRejected,
    OrderReplaced,
    OrderTriggered,
    ReplaceRejected,
    Trade,
)
from liquibond.trading.engine.lifecycle import LIVE, TRANSITIONS, IllegalTransition, transition
from liquibond.trading.engine.values import (
    MAX_TICKS,
    AccountId,
    CancelReason,
    OrderId,
    OrderStatus,
    OrderType,
    RejectReason,
    Side,
    StpMode,
    TimeInForce,
)

BUY = Side.BUY
SELL = Side.SELL
LIMIT = OrderType.LIMIT
MARKET = OrderType.MARKET
STOP = OrderType.STOP
STOP_LIMIT = OrderType.STOP_LIMIT
GTC = TimeInForce.GTC
DAY = TimeInForce.DAY
GTD = TimeInForce.GTD
IOC = TimeInForce.IOC
FOK = TimeInForce.FOK
PENDING_NEW = OrderStatus.PENDING_NEW
NEW = OrderStatus.NEW
PARTIALLY_FILLED = OrderStatus.PARTIALLY_FILLED
FILLED = OrderStatus.FILLED
CANCELLED = OrderStatus.CANCELLED
EXPIRED = OrderStatus.EXPIRED
REJECTED = OrderStatus.REJECTED
PENDING_TRIGGER = OrderStatus.PENDING_TRIGGER
CANCEL_NEWEST = StpMode.CANCEL_NEWEST
CANCEL_OLDEST = StpMode.CANCEL_OLDEST
CANCEL_BOTH = StpMode.CANCEL_BOTH
DECREMENT = StpMode.DECREMENT
R = RejectReason
SELF_TRADE = CancelReason.SELF_TRADE

_USER = CancelReason.USER

# The lifecycle table, for the hot paths that apply :func:`transition`'s check inline
# (``if new not in _NEXT[o.status]: raise IllegalTransition``) to save a call per fill.
_NEXT = TRANSITIONS

_NO_LIMIT = 1 << 63  # a market order's limit key: crosses every level
_RESTING_TIFS = frozenset({GTC, DAY, GTD})
_MIN_REBUILD = 64


class Order(Struct, gc=False, eq=False):
    """A live order. Mutable and internal to the book; read it through :class:`OrderSnapshot`.

    ``leaves`` is the open quantity, ``shown`` the part of it displayed in its level
    (``shown < leaves`` only for an iceberg). Invariant: ``filled + leaves + cancelled == qty``.
    ``prev``/``next``/``shown``/``priority`` are set when the order is accepted or rests.

    A ``msgspec`` struct declared ``gc=False`` (and compared by identity): the cyclic garbage
    collector never tracks the book's live orders, which would otherwise be most of the
    objects it scans. The only references between orders are a level's ``prev``/``next``
    links, cleared whenever an order leaves its level; a dropped :class:`Book` clears the
    links of the orders still resting (:meth:`Book.__del__`), so no cycle is ever left behind.
    Build one from a command with :meth:`of`.
    """

    cmd: NewOrder  # the command it came from: read-only options (tif, stp, display_qty, ...)
    order_id: OrderId
    account: AccountId
    side: Side
    price: int | None  # None for MARKET and STOP
    qty: int  # total quantity (changed by a replace)
    leaves: int
    filled: int = 0
    cancelled: int = 0
    status: OrderStatus = PENDING_NEW
    shown: int = 0
    priority: int = 0
    prev: Order | None = None
    next: Order | None = None

    @classmethod
    def of(cls, cmd: NewOrder) -> Order:
        """A ``PENDING_NEW`` order built from ``cmd``."""
        return cls(cmd, cmd.order_id, cmd.account, cmd.side, cmd.price, cmd.qty, cmd.qty)


class Level:
    """All resting orders at one price, oldest first; ``qty`` is the displayed total."""

    __slots__ = ("count", "head", "price", "qty", "tail")

    def __init__(self, price: int) -> None:
        self.price = price
        self.qty = 0
        self.count = 0
        self.head: Order | None = None
        self.tail: Order | None = None

    def __iter__(self) -> Iterator[Order]:
        node = self.head
        while node is not None:
            yield node
            node = node.next


@dataclass(frozen=True, slots=True)
class OrderSnapshot:
    """Everything needed to put a live order back into a book (crash recovery)."""

    order_id: OrderId
    account: AccountId
    side: Side
    order_type: OrderType
    tif: TimeInForce
    price: int | None
    stop_price: int | None
    qty: int
    leaves_qty: int
    shown_qty: int
    filled_qty: int
    cancelled_qty: int
    status: OrderStatus
    priority: int
    expire_at: int | None = None
    display_qty: int | None = None
    min_qty: int | None = None
    all_or_none: bool = False
    post_only: bool = False
    stp: StpMode = StpMode.CANCEL_NEWEST


@dataclass(frozen=True, slots=True)
class DepthLevel:
    price: int
    qty: int
    count: int


@dataclass(frozen=True, slots=True)
class Depth:
    """L2: aggregated displayed quantity per level, best first on each side."""

    bids: tuple[DepthLevel, ...]
    asks: tuple[DepthLevel, ...]


class CorruptSnapshot(ValueError):
    """:meth:`Book.restore` was given orders that cannot form a valid book."""


class CorruptBook(RuntimeError):
    """:meth:`Book.audit` found a broken internal invariant: an engine bug."""


def _snapshot(o: Order) -> OrderSnapshot:
    c = o.cmd
    return OrderSnapshot(
        order_id=o.order_id,
        account=o.account,
        side=o.side,
        order_type=c.order_type,
        tif=c.tif,
        price=o.price,
        stop_price=c.stop_price,
        qty=o.qty,
        leaves_qty=o.leaves,
        shown_qty=o.shown,
        filled_qty=o.filled,
        cancelled_qty=o.cancelled,
        status=o.status,
        priority=o.priority,
        expire_at=c.expire_at,
        display_qty=c.display_qty,
        min_qty=c.min_qty,
        all_or_none=c.all_or_none,
        post_only=c.post_only,
        stp=c.stp,
    )


class Book:
    """One instrument's order book. Single writer; every command returns its events."""

    __slots__ = (
        "_ask_heap",
        "_ask_levels",
        "_ask_limit",
        "_bid_heap",
        "_bid_levels",
        "_bid_limit",
        "_buy_stops",
        "_exp_heap",
        "_exp_limit",
        "_exp_tie",
        "_last",
        "_orders",
        "_prio",
        "_sell_stops",
        "_seq",
        "_stop_limit",
        "_trade_seq",
        "instrument",
    )

    def __init__(self, instrument: str = "") -> None:
        self.instrument = instrument
        self._orders: dict[int, Order] = {}  # live orders: resting and pending stops
        self._bid_levels: dict[int, Level] = {}  # key = -price
        self._ask_levels: dict[int, Level] = {}  # key = price
        self._bid_heap: list[int] = []
        self._ask_heap: list[int] = []
        self._bid_limit = _MIN_REBUILD
        self._ask_limit = _MIN_REBUILD
        self._buy_stops: list[tuple[int, int, Order]] = []  # (stop_price, priority, order)
        self._sell_stops: list[tuple[int, int, Order]] = []  # (-stop_price, priority, order)
        self._stop_limit = _MIN_REBUILD
        self._exp_heap: list[tuple[int, int, Order]] = []  # (expire_at, tie, order)
        self._exp_limit = _MIN_REBUILD
        self._exp_tie = 0
        self._seq = 0  # last event sequence number
        self._trade_seq = 0  # last trade id
        self._prio = 0  # last priority handed out
        self._last: int | None = None  # last trade price

    def __del__(self) -> None:
        # Orders are invisible to the cyclic GC (see :class:`Order`): unlink the resting ones so
        # that the prev/next cycles of every level are freed by reference counting.
        for name in ("_bid_levels", "_ask_levels"):
            levels: dict[int, Level] = getattr(self, name, {})  # {}: __init__ did not finish
            for level in levels.values():
                node = level.head
                level.head = level.tail = None
                while node is not None:
                    nxt = node.next
                    node.prev = node.next = None
                    node = nxt

    # ------------------------------------------------------------------ reads

    @property
    def seq(self) -> int:
        """Sequence number of the last event emitted."""
        return self._seq

    @property
    def trade_seq(self) -> int:
        """Id of the last trade."""
        return self._trade_seq

    @property
    def last_price(self) -> int | None:
        return self._last

    def number_off_book_trade(self) -> int:
        """The id of a trade agreed away from this book (an RFQ): the next trade id, so ids
        stay gap-free per instrument. The book itself does not change: no order, level or
        last price (an off-book price triggers no stop)."""
        self._trade_seq += 1
        return self._trade_seq

    @property
    def best_bid(self) -> int | None:
        h = self._bid_heap
        return -h[0] if h else None

    @property
    def best_ask(self) -> int | None:
        h = self._ask_heap
        return h[0] if h else None

    def next_expiry(self) -> int | None:
        """The earliest ``expire_at`` of a live DAY/GTD order (None: nothing expires)."""
        heap = self._exp_heap
        while heap and heap[0][2].status not in LIVE:
            heappop(heap)
        return heap[0][0] if heap else None

    def __len__(self) -> int:
        """Number of live orders (resting and pending stops)."""
        return len(self._orders)

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._orders

    def order(self, order_id: OrderId) -> OrderSnapshot | None:
        o = self._orders.get(order_id)
        return None if o is None else _snapshot(o)

    def depth(self, n: int | None = None) -> Depth:
        """L2 snapshot: up to ``n`` levels per side (all when ``None``)."""
        return Depth(
            bids=self._depth_side(self._bid_levels, n), asks=self._depth_side(self._ask_levels, n)
        )

    @staticmethod
    def _depth_side(levels: dict[int, Level], n: int | None) -> tuple[DepthLevel, ...]:
        keys = sorted(levels) if n is None else nsmallest(n, levels)
        return tuple(DepthLevel(lv.price, lv.qty, lv.count) for lv in (levels[k] for k in keys))

    def snapshot(self) -> list[OrderSnapshot]:
        """Every live order in canonical order: bids best first (FIFO within a level),
        asks best first, then buy stops and sell stops in trigger order."""
        return [_snapshot(o) for o in self._canonical()]

    def _canonical(self) -> Iterator[Order]:
        for levels in (self._bid_levels, self._ask_levels):
            for key in sorted(levels):
                yield from levels[key]
        for heap in (self._buy_stops, self._sell_stops):
            for entry in sorted(e for e in heap if e[2].status is PENDING_TRIGGER):
                yield entry[2]

    def state_hash(self) -> str:
        """BLAKE2b over the live orders in canonical order and the last trade price.

        Raw priority numbers are not hashed (a restored book may number them
        differently); their *ranks* are, so the relative time priority across levels
        (which decides the order of expiries and mass cancels) is part of the state.
        """
        orders = list(self._canonical())
        rank = {id(o): i for i, o in enumerate(sorted(orders, key=lambda o: o.priority))}
        h = hashlib.blake2b(digest_size=32)
        h.update(repr(("last", self._last)).encode())
        for o in orders:
            c = o.cmd
            row = (
                o.order_id, o.account, int(o.side), o.price, o.qty, o.leaves, o.shown,
                o.filled, o.cancelled, int(o.status), rank[id(o)], int(c.order_type),
                int(c.tif), c.stop_price, c.expire_at, c.display_qty, c.post_only, int(c.stp),
            )  # fmt: skip
            h.update(repr(row).encode())
        return h.hexdigest()

    def audit(self) -> None:
        """Check every internal invariant (O(n)); raise :class:`CorruptBook` at the first break.

        For tests and for a runner's paranoid mode (e.g. after :meth:`restore`); not used on the
        hot path.
        """
        seen: set[int] = set()
        for side, levels, heap in (
            (BUY, self._bid_levels, self._bid_heap),
            (SELL, self._ask_levels, self._ask_heap),
        ):
            if set(levels) - set(heap):
                raise CorruptBook(f"{side.name}: a level is missing from the heap")
            if levels and heap[0] != min(levels):
                raise CorruptBook(
                    f"{side.name}: heap top {heap[0]} is not the best level {min(levels)}"
                )
            if not levels and heap:
                raise CorruptBook(f"{side.name}: heap has stale keys but no levels")
            for key, level in levels.items():
                if key != (-level.price if side is BUY else level.price):
                    raise CorruptBook(f"level {level.price} filed under key {key}")
                count = qty = 0
                prev: Order | None = None
                node = level.head
                while node is not None:
                    if node.prev is not prev:
                        raise CorruptBook(f"order {node.order_id}: broken prev link")
                    if self._orders.get(node.order_id) is not node:
                        raise CorruptBook(f"order {node.order_id} is resting but not indexed")
                    if node.side is not side or node.price != level.price:
                        raise CorruptBook(f"order {node.order_id} is on the wrong level")
                    if node.status is not NEW and node.status is not PARTIALLY_FILLED:
                        raise CorruptBook(
                            f"order {node.order_id} rests with status {node.status.name}"
                        )
                    if not 0 < node.shown <= node.leaves:
                        raise CorruptBook(
                            f"order {node.order_id}: shown {node.shown} of {node.leaves}"
                        )
                    if node.filled + node.leaves + node.cancelled != node.qty:
                        raise CorruptBook(f"order {node.order_id}: quantities do not add up")
                    if prev is not None and prev.priority >= node.priority:
                        raise CorruptBook(f"order {node.order_id}: queue is not in priority order")
                    seen.add(node.order_id)
                    count += 1
                    qty += node.shown
                    prev = node
                    node = node.next
                if level.tail is not prev or count == 0:
                    raise CorruptBook(f"level {level.price}: bad tail or empty level")
                if count != level.count or qty != level.qty:
                    raise CorruptBook(
                        f"level {level.price}: count/qty {level.count}/{level.qty} != {count}/{qty}"
                    )
        stops = {id(e[2]) for e in self._buy_stops + self._sell_stops}
        for oid, o in self._orders.items():
            if oid in seen:
                continue
            if o.status is not PENDING_TRIGGER or id(o) not in stops:
                raise CorruptBook(f"order {oid} is indexed but neither resting nor a pending stop")
            if self._last is not None and (
                (o.side is BUY and o.cmd.stop_price <= self._last)  # type: ignore[operator]
                or (o.side is SELL and o.cmd.stop_price >= self._last)  # type: ignore[operator]
            ):
                raise CorruptBook(f"stop {oid} should have triggered at {self._last}")
        bb, ba = self.best_bid, self.best_ask
        if bb is not None and ba is not None and bb >= ba:
            raise CorruptBook(f"crossed book: bid {bb} >= ask {ba}")

    # ------------------------------------------------------------------ restore

    @classmethod
    def restore(
        cls,
        orders: Iterable[OrderSnapshot],
        *,
        instrument: str = "",
        last_price: int | None = None,
        seq: int = 0,
        trade_seq: int = 0,
    ) -> Book:
        """Rebuild a book from its live orders (in any order), e.g. after a crash.

        Queues are rebuilt by ``priority``, so the book matches exactly as the one the
        snapshots were taken from, and has the same :meth:`state_hash` given the same
        ``last_price``. ``seq``/``trade_seq`` continue the event and trade numbering.
        """
        book = cls(instrument)
        book._last = last_price
        book._seq = seq
        book._trade_seq = trade_seq
        snaps = sorted(orders, key=lambda s: s.priority)
        for s in snaps:
            if s.order_id in book._orders:
                raise CorruptSnapshot(f"duplicate order id {s.order_id}")
            if s.status not in LIVE:
                raise CorruptSnapshot(f"order {s.order_id} is not live ({s.status.name})")
            if not s.leaves_qty > 0 or s.filled_qty + s.leaves_qty + s.cancelled_qty != s.qty:
                raise CorruptSnapshot(f"order {s.order_id}: quantities do not add up")
            cmd = NewOrder(
                order_id=s.order_id,
                account=s.account,
                side=s.side,
                qty=s.qty,
                price=s.price,
                order_type=s.order_type,
                tif=s.tif,
                expire_at=s.expire_at,
                stop_price=s.stop_price,
                display_qty=s.display_qty,
                min_qty=s.min_qty,
                all_or_none=s.all_or_none,
                post_only=s.post_only,
                stp=s.stp,
            )
            o = Order.of(cmd)
            o.leaves = s.leaves_qty
            o.filled = s.filled_qty
            o.cancelled = s.cancelled_qty
            o.status = s.status  # restoring a state, not changing one
            o.priority = s.priority
            book._prio = max(book._prio, s.priority)
            if s.status is PENDING_TRIGGER:
                if s.stop_price is None:
                    raise CorruptSnapshot(f"stop {s.order_id} has no stop price")
                book._orders[o.order_id] = o
                if s.side is BUY:
                    book._buy_stops.append((s.stop_price, o.priority, o))
                else:
                    book._sell_stops.append((-s.stop_price, o.priority, o))
            else:
                if s.price is None or not 0 < s.shown_qty <= s.leaves_qty:
                    raise CorruptSnapshot(f"order {s.order_id}: bad price or shown quantity")
                o.shown = s.shown_qty
                book._append(o)
            if s.expire_at is not None:
                book._exp_tie += 1
                book._exp_heap.append((s.expire_at, book._exp_tie, o))
        heapify(book._buy_stops)
        heapify(book._sell_stops)
        heapify(book._exp_heap)
        bb, ba = book.best_bid, book.best_ask
        if bb is not None and ba is not None and bb >= ba:
            raise CorruptSnapshot(f"crossed book: bid {bb} >= ask {ba}")
        return book

    # ------------------------------------------------------------------ commands

    def apply(self, command: Command) -> list[Event]:
        """Apply any command object; the same as calling the matching method."""
        t = type(command)
        if t is NewOrder:
            return self.submit(command)  # type: ignore[arg-type]
        if t is CancelOrder:
            return self.cancel(command.order_id, command.account, command.ts)  # type: ignore[union-attr]
        if t is ReplaceOrder:
            c: ReplaceOrder = command  # type: ignore[assignment]
            return self.replace(c.order_id, c.qty, c.price, c.account, c.ts)
        if t is CancelAll:
            return self.cancel_all(command.account, command.ts)  # type: ignore[union-attr]
        if t is Expire:
            return self.expire(command.now)  # type: ignore[union-attr]
        raise TypeError(f"not a book command: {command!r}")

    def submit(self, cmd: NewOrder) -> list[Event]:
        """Place a new order and match it."""
        ts = cmd.ts
        if ts:
            exp = self._exp_heap
            if exp and exp[0][0] <= ts:
                ev: list[Any] = []
                self._expire_due(ts, ev)
                return self._submit(cmd, ev)
        # Fast path: a plain GTC limit (the bulk of the flow). Everything else, and any
        # command that fails a check, takes the general path in _submit.
        if (
            cmd.order_type is LIMIT
            and cmd.tif is GTC
            and cmd.stop_price is None
            and cmd.display_qty is None
            and cmd.min_qty is None
            and cmd.expire_at is None
            and not cmd.post_only
            and not cmd.all_or_none
        ):
            qty = cmd.qty
            price = cmd.price
            oid = cmd.order_id
            if (
                0 < qty <= MAX_TICKS
                and price is not None
                and 0 < price <= MAX_TICKS
                and oid not in self._orders
            ):
                side = cmd.side
                if side is BUY:
                    opp = self._ask_heap
                    key = -price
                    levels = self._bid_levels
                    crosses = opp and opp[0] <= price
                else:
                    opp = self._bid_heap
                    key = price
                    levels = self._ask_levels
                    crosses = opp and opp[0] <= -price
                account = cmd.account
                self._prio = prio = self._prio + 1
                # Accepted on the spot, so built directly in NEW (the one move PENDING_NEW has
                # for an order that passed the checks).
                if crosses:
                    o = Order(cmd, oid, account, side, price, qty, qty, 0, 0, NEW, 0, prio)
                    self._seq = seq = self._seq + 1
                    ev = [OrderAccepted(seq, oid, account, side, LIMIT, GTC, price, None, qty)]
                    trade_seq = self._trade_seq
                    self._match(o, price if side is BUY else -price, ev)
                    if o.leaves and o.status is not CANCELLED:
                        self._rest(o, ev)
                    if self._trade_seq != trade_seq and (self._buy_stops or self._sell_stops):
                        self._run_stops(ev)
                    return ev
                level = levels.get(key)
                if level is None:
                    level = self._new_level(side, key, price)
                tail = level.tail
                o = Order(cmd, oid, account, side, price, qty, qty, 0, 0, NEW, qty, prio, tail)
                if tail is None:
                    level.head = o
                else:
                    tail.next = o
                level.tail = o
                lq = level.qty = level.qty + qty
                n = level.count = level.count + 1
                self._orders[oid] = o
                seq = self._seq
                self._seq = seq + 2
                return [
                    OrderAccepted(seq + 1, oid, account, side, LIMIT, GTC, price, None, qty),
                    BookDelta(seq + 2, side, price, lq, n),
                ]
        return self._submit(cmd, [])

    def _submit(self, cmd: NewOrder, ev: list[Any]) -> list[Any]:
        order = Order.of(cmd)
        reason = self._check_new(cmd)
        if reason is not None:
            return self._reject(order, reason, ev)
        otype = cmd.order_type
        if otype is STOP or otype is STOP_LIMIT:
            self._accept_stop(order, ev)
            return ev
        side = order.side
        price = order.price  # None only for a MARKET order without a protection price
        if side is BUY:
            opp = self._ask_heap
            limit_key = _NO_LIMIT if price is None else price
        else:
            opp = self._bid_heap
            limit_key = _NO_LIMIT if price is None else -price
        crosses = bool(opp) and opp[0] <= limit_key
        if cmd.post_only and crosses:
            return self._reject(order, R.POST_ONLY_WOULD_TAKE, ev)
        if cmd.tif is FOK or cmd.all_or_none:
            if not crosses or self._dry_fill(order, limit_key, order.qty) < order.qty:
                reason = R.FOK_NOT_FILLABLE if cmd.tif is FOK else R.MIN_QTY_NOT_MET
                return self._reject(order, reason, ev)
        elif cmd.min_qty is not None and (
            not crosses or self._dry_fill(order, limit_key, cmd.min_qty) < cmd.min_qty
        ):
            return self._reject(order, R.MIN_QTY_NOT_MET, ev)
        transition(order, NEW)
        self._prio = order.priority = self._prio + 1
        self._seq = seq = self._seq + 1
        ev.append(
            OrderAccepted(
                seq,
                order.order_id,
                order.account,
                side,
                otype,
                cmd.tif,
                order.price,
                None,
                order.qty,
            )
        )
        if cmd.expire_at is not None:
            self._track_expiry(order)
        if crosses:
            trade_seq = self._trade_seq
            self._match(order, limit_key, ev)
            self._finish_taker(order, ev)
            if self._trade_seq != trade_seq and (self._buy_stops or self._sell_stops):
                self._run_stops(ev)
        elif otype is LIMIT and cmd.tif in _RESTING_TIFS:
            self._rest(order, ev)
        else:
            self._cancel_unfilled(order, ev)
        return ev

    def cancel(
        self, order_id: OrderId, account: AccountId | None = None, ts: int = 0
    ) -> list[Event]:
        """Cancel a live order; with ``account``, only if it is that account's."""
        ev: list[Any] = []
        if ts:
            exp = self._exp_heap
            if exp and exp[0][0] <= ts:
                self._expire_due(ts, ev)
        o = self._orders.get(order_id)
        if o is None or (account is not None and o.account != account):
            self._seq = seq = self._seq + 1
            reason = R.UNKNOWN_ORDER if o is None else R.NOT_ORDER_OWNER
            ev.append(CancelRejected(seq, order_id, account, reason))
            return ev
        del self._orders[order_id]
        if o.status is PENDING_TRIGGER:
            self._remove_done(o, CANCELLED, CancelReason.USER, ev)
            return ev
        # Unlink from its level (inlined: this is the hot path).
        side = o.side
        price: int = o.price  # type: ignore[assignment]
        if side is BUY:
            key = -price
            level = self._bid_levels[key]
        else:
            key = price
            level = self._ask_levels[key]
        prev = o.prev
        nxt = o.next
        if prev is None:
            level.head = nxt
        else:
            prev.next = nxt
            o.prev = None
        if nxt is None:
            level.tail = prev
        else:
            nxt.prev = prev
            o.next = None
        lq = level.qty = level.qty - o.shown
        n = level.count = level.count - 1
        if n == 0:
            self._drop_level(side, key)
        leaves = o.leaves
        if CANCELLED not in _NEXT[o.status]:
            raise IllegalTransition(order_id, o.status, CANCELLED)
        o.status = CANCELLED
        o.cancelled += leaves
        o.leaves = o.shown = 0
        seq = self._seq
        self._seq = seq + 2
        ev.append(OrderCancelled(seq + 1, order_id, o.account, leaves, o.filled, _USER))
        ev.append(BookDelta(seq + 2, side, price, lq, n))
        return ev

    def replace(
        self,
        order_id: OrderId,
        qty: int | None = None,
        price: int | None = None,
        account: AccountId | None = None,
        ts: int = 0,
    ) -> list[Event]:
        """Change a resting order's price and/or total quantity (see :class:`ReplaceOrder`)."""
        ev: list[Any] = []
        if ts:
            exp = self._exp_heap
            if exp and exp[0][0] <= ts:
                self._expire_due(ts, ev)
        o = self._orders.get(order_id)
        reason: RejectReason | None = None
        if o is None:
            reason = R.UNKNOWN_ORDER
        elif account is not None and o.account != account:
            reason = R.NOT_ORDER_OWNER
        elif o.status is PENDING_TRIGGER:
            reason = R.NOT_REPLACEABLE
        elif price is not None and not 0 < price <= MAX_TICKS:
            reason = R.INVALID_PRICE
        elif qty is not None and not 0 < qty <= MAX_TICKS:
            reason = R.INVALID_QTY
        if reason is not None or o is None:
            self._seq = seq = self._seq + 1
            reason = R.UNKNOWN_ORDER if reason is None else reason  # (o is None sets it)
            ev.append(ReplaceRejected(seq, order_id, account, reason))
            return ev
        old_price: int = o.price  # type: ignore[assignment]  # a resting order has a price
        new_price = old_price if price is None else price
        new_qty = o.qty if qty is None else qty
        new_leaves = new_qty - o.filled - o.cancelled
        if new_leaves <= 0:
            self._seq = seq = self._seq + 1
            ev.append(ReplaceRejected(seq, order_id, account, R.REPLACE_QTY_TOO_LOW))
            return ev
        side = o.side
        if new_price == old_price and new_leaves <= o.leaves:
            # Same price, no more open quantity: keep the place in the queue.
            level = self._bid_levels[-old_price] if side is BUY else self._ask_levels[old_price]
            old_shown = o.shown
            o.qty = new_qty
            o.leaves = new_leaves
            if old_shown > new_leaves:
                o.shown = new_leaves
                level.qty -= old_shown - new_leaves
            self._seq = seq = self._seq + 1
            ev.append(OrderReplaced(seq, order_id, o.account, new_price, new_qty, new_leaves, True))
            if o.shown != old_shown:
                self._seq = seq = seq + 1
                ev.append(BookDelta(seq, side, old_price, level.qty, level.count))
            return ev
        # New price or more quantity: loses priority and re-enters as if new (it may trade).
        if side is BUY:
            opp = self._ask_heap
            limit_key = new_price
        else:
            opp = self._bid_heap
            limit_key = -new_price
        crosses = bool(opp) and opp[0] <= limit_key
        if crosses and o.cmd.post_only:
            self._seq = seq = self._seq + 1
            ev.append(ReplaceRejected(seq, order_id, account, R.POST_ONLY_WOULD_TAKE))
            return ev
        level = self._unlink(o)
        o.qty = new_qty
        o.leaves = new_leaves
        o.price = new_price
        self._prio = o.priority = self._prio + 1
        self._seq = seq = self._seq + 1
        ev.append(OrderReplaced(seq, order_id, o.account, new_price, new_qty, new_leaves, False))
        self._seq = seq = seq + 1
        ev.append(BookDelta(seq, side, old_price, level.qty, level.count))
        if crosses:
            trade_seq = self._trade_seq
            self._match(o, limit_key, ev)
            self._finish_taker(o, ev)
            if self._trade_seq != trade_seq and (self._buy_stops or self._sell_stops):
                self._run_stops(ev)
        else:
            self._rest(o, ev)
        return ev

    def cancel_all(self, account: AccountId | None = None, ts: int = 0) -> list[Event]:
        """Mass cancel every live order of ``account``, or all of them (kill switch)."""
        ev: list[Any] = []
        if ts:
            exp = self._exp_heap
            if exp and exp[0][0] <= ts:
                self._expire_due(ts, ev)
        victims = [o for o in self._orders.values() if account is None or o.account == account]
        self._remove_many(victims, CANCELLED, ev)
        return ev

    def expire(self, now: int) -> list[Event]:
        """Expire every DAY/GTD order with ``expire_at <= now``."""
        ev: list[Any] = []
        self._expire_due(now, ev)
        return ev

    # ------------------------------------------------------------------ internals

    def _check_new(self, c: NewOrder) -> RejectReason | None:
        qty = c.qty
        if not 0 < qty <= MAX_TICKS:
            return R.INVALID_QTY
        ot = c.order_type
        tif = c.tif
        p = c.price
        if p is None:
            if ot is LIMIT or ot is STOP_LIMIT:
                return R.INVALID_PRICE
        elif not 0 < p <= MAX_TICKS:
            return R.INVALID_PRICE
        if ot is LIMIT:
            if c.stop_price is not None:
                return R.INVALID_STOP_PRICE
        elif ot is MARKET:
            if c.stop_price is not None:
                return R.INVALID_STOP_PRICE
            if tif is not IOC and tif is not FOK:
                return R.INVALID_TIME_IN_FORCE
            if c.display_qty is not None:
                return R.INVALID_DISPLAY_QTY
        else:  # STOP / STOP_LIMIT
            sp = c.stop_price
            if sp is None or not 0 < sp <= MAX_TICKS:
                return R.INVALID_STOP_PRICE
            if tif not in _RESTING_TIFS:
                return R.INVALID_TIME_IN_FORCE
            if c.display_qty is not None:
                return R.INVALID_DISPLAY_QTY
            if c.min_qty is not None or c.all_or_none:
                return R.INVALID_MIN_QTY
        if tif is DAY or tif is GTD:
            e = c.expire_at
            if e is None or e <= 0:
                return R.INVALID_EXPIRY
            if c.ts and e <= c.ts:
                return R.EXPIRED_ON_ARRIVAL
        elif c.expire_at is not None:
            return R.INVALID_EXPIRY
        d = c.display_qty
        if d is not None and not 0 < d <= qty:
            return R.INVALID_DISPLAY_QTY
        m = c.min_qty
        if m is not None and not 0 < m <= qty:
            return R.INVALID_MIN_QTY
        if c.post_only and (
            ot is not LIMIT or tif not in _RESTING_TIFS or m is not None or c.all_or_none
        ):
            return R.INVALID_POST_ONLY
        if c.order_id in self._orders:
            return R.DUPLICATE_ORDER_ID
        return None

    def _reject(self, order: Order, reason: RejectReason, ev: list[Any]) -> list[Any]:
        transition(order, REJECTED)
        self._seq = seq = self._seq + 1
        ev.append(OrderRejected(seq, order.order_id, order.account, reason))
        return ev

    def _accept_stop(self, order: Order, ev: list[Any]) -> None:
        cmd = order.cmd
        stop: int = cmd.stop_price  # type: ignore[assignment]  # checked by _check_new
        transition(order, PENDING_TRIGGER)
        self._prio = prio = order.priority = self._prio + 1
        self._seq = seq = self._seq + 1
        ev.append(
            OrderAccepted(
                seq,
                order.order_id,
                order.account,
                order.side,
                cmd.order_type,
                cmd.tif,
                order.price,
                stop,
                order.qty,
            )
        )
        self._orders[order.order_id] = order
        heap = self._buy_stops if order.side is BUY else self._sell_stops
        if len(heap) >= self._stop_limit:
            self._compact_stops()
            heap = self._buy_stops if order.side is BUY else self._sell_stops
        heappush(heap, (stop, prio, order) if order.side is BUY else (-stop, prio, order))
        if cmd.expire_at is not None:
            self._track_expiry(order)
        if self._last is not None:
            self._run_stops(ev)

    def _compact_stops(self) -> None:
        self._buy_stops = [e for e in self._buy_stops if e[2].status is PENDING_TRIGGER]
        self._sell_stops = [e for e in self._sell_stops if e[2].status is PENDING_TRIGGER]
        heapify(self._buy_stops)
        heapify(self._sell_stops)
        self._stop_limit = max(_MIN_REBUILD, 2 * max(len(self._buy_stops), len(self._sell_stops)))

    def _track_expiry(self, order: Order) -> None:
        heap = self._exp_heap
        if len(heap) >= self._exp_limit:
            heap = [e for e in heap if e[2].status in LIVE]
            heapify(heap)
            self._exp_heap = heap
            self._exp_limit = max(_MIN_REBUILD, 2 * len(heap))
        self._exp_tie += 1
        expire_at: int = order.cmd.expire_at  # type: ignore[assignment]  # DAY/GTD only
        heappush(heap, (expire_at, self._exp_tie, order))

    def _expire_due(self, now: int, ev: list[Any]) -> None:
        heap = self._exp_heap
        due: list[Order] = []
        while heap and heap[0][0] <= now:
            o = heappop(heap)[2]
            if o.status in LIVE:
                due.append(o)
        if due:
            self._remove_many(due, EXPIRED, ev)

    def _remove_many(self, victims: list[Order], status: OrderStatus, ev: list[Any]) -> None:
        """Cancel or expire many orders: events by (expire_at, priority) for expiries and by
        priority for cancels, then one BookDelta per touched level, bids then asks, best first."""
        if status is EXPIRED:
            victims.sort(key=lambda o: (o.cmd.expire_at, o.priority))
        else:
            victims.sort(key=lambda o: o.priority)
        touched: dict[tuple[int, int], Level] = {}
        orders = self._orders
        for o in victims:
            del orders[o.order_id]
            if o.status is not PENDING_TRIGGER:
                level = self._unlink(o, remove_index=False)
                side = o.side
                touched[(0, -level.price) if side is BUY else (1, level.price)] = level
            self._remove_done(o, status, CancelReason.MASS_CANCEL, ev)
        for (s, _), level in sorted(touched.items()):
            self._seq = seq = self._seq + 1
            ev.append(BookDelta(seq, BUY if s == 0 else SELL, level.price, level.qty, level.count))

    def _remove_done(
        self, o: Order, status: OrderStatus, reason: CancelReason, ev: list[Any]
    ) -> None:
        """Close a live order that is already out of the index and its level."""
        leaves = o.leaves
        o.cancelled += leaves
        o.leaves = 0
        o.shown = 0
        transition(o, status)
        self._seq = seq = self._seq + 1
        if status is EXPIRED:
            ev.append(OrderExpired(seq, o.order_id, o.account, leaves, o.filled))
        else:
            ev.append(OrderCancelled(seq, o.order_id, o.account, leaves, o.filled, reason))

    def _new_level(self, side: Side, key: int, price: int) -> Level:
        """Create an empty level; rebuild the side's heap when stale keys have piled up."""
        level = Level(price)
        if side is BUY:
            levels = self._bid_levels
            heap = self._bid_heap
            if len(heap) >= self._bid_limit:
                heap[:] = list(levels)
                heapify(heap)
                self._bid_limit = max(_MIN_REBUILD, 2 * len(heap))
        else:
            levels = self._ask_levels
            heap = self._ask_heap
            if len(heap) >= self._ask_limit:
                heap[:] = list(levels)
                heapify(heap)
                self._ask_limit = max(_MIN_REBUILD, 2 * len(heap))
        levels[key] = level
        heappush(heap, key)
        return level

    def _drop_level(self, side: Side, key: int) -> None:
        """Remove an emptied level; the heap's top stays a live level."""
        if side is BUY:
            levels = self._bid_levels
            heap = self._bid_heap
        else:
            levels = self._ask_levels
            heap = self._ask_heap
        del levels[key]
        if heap[0] == key:
            heappop(heap)
            while heap and heap[0] not in levels:
                heappop(heap)

    def _append(self, o: Order) -> Level:
        """Put ``o`` at the back of its level (creating it) and into the index."""
        price: int = o.price  # type: ignore[assignment]
        side = o.side
        key = -price if side is BUY else price
        level = (self._bid_levels if side is BUY else self._ask_levels).get(key)
        if level is None:
            level = self._new_level(side, key, price)
        tail = level.tail
        if tail is None:
            level.head = o
            o.prev = None
        else:
            tail.next = o
            o.prev = tail
        o.next = None
        level.tail = o
        level.qty += o.shown
        level.count += 1
        self._orders[o.order_id] = o
        return level

    def _rest(self, o: Order, ev: list[Any]) -> None:
        d = o.cmd.display_qty
        leaves = o.leaves
        o.shown = leaves if d is None or d >= leaves else d
        level = self._append(o)
        self._seq = seq = self._seq + 1
        ev.append(BookDelta(seq, o.side, level.price, level.qty, level.count))

    def _unlink(self, o: Order, remove_index: bool = True) -> Level:
        """Take a resting order out of its level (dropping an emptied level) and the index."""
        price: int = o.price  # type: ignore[assignment]
        side = o.side
        key = -price if side is BUY else price
        level = (self._bid_levels if side is BUY else self._ask_levels)[key]
        prev, nxt = o.prev, o.next
        if prev is None:
            level.head = nxt
        else:
            prev.next = nxt
        if nxt is None:
            level.tail = prev
        else:
            nxt.prev = prev
        o.prev = o.next = None
        level.qty -= o.shown
        level.count -= 1
        if level.count == 0:
            self._drop_level(side, key)
        if remove_index:
            del self._orders[o.order_id]
        return level

    def _cancel_unfilled(self, o: Order, ev: list[Any]) -> None:
        self._remove_done(o, CANCELLED, CancelReason.UNFILLED, ev)

    def _finish_taker(self, o: Order, ev: list[Any]) -> None:
        """After matching: rest the remainder, or cancel it if the order cannot rest."""
        if o.leaves and o.status is not CANCELLED:
            c = o.cmd
            if c.order_type is not MARKET and c.order_type is not STOP and c.tif in _RESTING_TIFS:
                self._rest(o, ev)
            else:
                self._cancel_unfilled(o, ev)

    def _match(self, taker: Order, limit_key: int, ev: list[Any]) -> None:
        """Cross ``taker`` against the opposite side: best level first, FIFO within it.

        Fills print at the maker's price. Leaves ``taker.leaves`` as what is left; if
        self-trade prevention cancelled the taker, its status is CANCELLED.
        """
        side = taker.side
        if side is BUY:
            levels = self._ask_levels
            heap = self._ask_heap
            mside = SELL
        else:
            levels = self._bid_levels
            heap = self._bid_heap
            mside = BUY
        orders = self._orders
        append = ev.append
        rem = taker.leaves
        acct = taker.account
        tid = taker.order_id
        seq = self._seq
        trade_seq = self._trade_seq
        last = self._last
        while heap:
            key = heap[0]
            if key > limit_key:
                break
            level = levels[key]
            price = level.price
            touched = False
            while rem:
                maker = level.head
                if maker is None:
                    break
                if maker.account == acct:
                    self._seq = seq
                    taker.leaves = rem
                    before = (level.qty, level.count)
                    rem = self._self_trade(taker, maker, level, ev)
                    seq = self._seq
                    if (level.qty, level.count) != before:
                        touched = True
                    if taker.status is CANCELLED:
                        break
                    continue
                touched = True
                moid = maker.order_id
                macct = maker.account
                mshown = maker.shown
                fill = rem if rem < mshown else mshown
                rem -= fill
                trade_seq += 1
                append(
                    Trade(
                        seq + 1,
                        trade_seq,
                        price,
                        fill,
                        tid,
                        acct,
                        side,
                        moid,
                        macct,
                    )
                )
                mleft = maker.leaves - fill
                maker.leaves = mleft
                maker.shown = mshown - fill
                mfilled = maker.filled + fill
                maker.filled = mfilled
                level.qty -= fill
                if mleft == 0:
                    if FILLED not in _NEXT[maker.status]:
                        raise IllegalTransition(moid, maker.status, FILLED)
                    maker.status = FILLED
                    append(OrderFilled(seq + 2, moid, macct, trade_seq, price, fill, mfilled))
                    nxt = maker.next
                    level.head = nxt
                    if nxt is None:
                        level.tail = None
                    else:
                        nxt.prev = None
                        maker.next = None
                    level.count -= 1
                    del orders[moid]
                else:
                    if maker.status is not PARTIALLY_FILLED:
                        transition(maker, PARTIALLY_FILLED)  # once per order: not worth inlining
                    append(
                        OrderPartiallyFilled(
                            seq + 2,
                            moid,
                            macct,
                            trade_seq,
                            price,
                            fill,
                            mfilled,
                            mleft,
                        )
                    )
                    if mshown == fill:  # iceberg slice used up: refresh at the back of the queue
                        d: int = maker.cmd.display_qty  # type: ignore[assignment]
                        shown = d if d < mleft else mleft
                        maker.shown = shown
                        level.qty += shown
                        self._prio = maker.priority = self._prio + 1
                        nxt = maker.next
                        if nxt is not None:
                            level.head = nxt
                            nxt.prev = None
                            tail: Order = level.tail  # type: ignore[assignment]
                            tail.next = maker
                            maker.prev = tail
                            maker.next = None
                            level.tail = maker
                tfilled = taker.filled + fill
                taker.filled = tfilled
                seq += 3
                if rem == 0:
                    if FILLED not in _NEXT[taker.status]:
                        raise IllegalTransition(tid, taker.status, FILLED)
                    taker.status = FILLED
                    append(OrderFilled(seq, tid, acct, trade_seq, price, fill, tfilled))
                else:
                    if taker.status is not PARTIALLY_FILLED:
                        transition(taker, PARTIALLY_FILLED)
                    append(
                        OrderPartiallyFilled(seq, tid, acct, trade_seq, price, fill, tfilled, rem)
                    )
                last = price
            if touched:
                seq += 1
                append(BookDelta(seq, mside, price, level.qty, level.count))
            if level.count == 0:
                self._drop_level(mside, key)
            if rem == 0 or taker.status is CANCELLED:
                break
        taker.leaves = rem
        self._seq = seq
        self._trade_seq = trade_seq
        self._last = last

    def _self_trade(self, taker: Order, maker: Order, level: Level, ev: list[Any]) -> int:
        """Apply the taker's STP mode against ``maker`` (head of ``level``).

        Returns the taker's open quantity afterwards (0 once it is cancelled)."""
        mode = taker.cmd.stp
        rem = taker.leaves
        if mode is CANCEL_OLDEST or mode is CANCEL_BOTH:
            self._unlink_head(maker, level)
            self._remove_done(maker, CANCELLED, SELF_TRADE, ev)
            if mode is CANCEL_OLDEST:
                return rem
        elif mode is DECREMENT:
            mleaves = maker.leaves
            q = rem if rem < mleaves else mleaves
            if q == mleaves:
                self._unlink_head(maker, level)
                self._remove_done(maker, CANCELLED, SELF_TRADE, ev)
            else:
                maker.leaves = mleaves - q
                maker.cancelled += q
                if maker.shown > maker.leaves:
                    level.qty -= maker.shown - maker.leaves
                    maker.shown = maker.leaves
                self._seq = seq = self._seq + 1
                ev.append(
                    OrderReduced(seq, maker.order_id, maker.account, q, maker.leaves, SELF_TRADE)
                )
            if q < rem:
                rem -= q
                taker.leaves = rem
                taker.cancelled += q
                self._seq = seq = self._seq + 1
                ev.append(OrderReduced(seq, taker.order_id, taker.account, q, rem, SELF_TRADE))
                return rem
        # CANCEL_NEWEST, CANCEL_BOTH, or a DECREMENT that used the taker up: the taker is done.
        self._remove_done(taker, CANCELLED, SELF_TRADE, ev)
        return 0

    def _unlink_head(self, maker: Order, level: Level) -> None:
        nxt = maker.next
        level.head = nxt
        if nxt is None:
            level.tail = None
        else:
            nxt.prev = None
            maker.next = None
        level.qty -= maker.shown
        level.count -= 1
        del self._orders[maker.order_id]

    def _dry_fill(self, taker: Order, limit_key: int, need: int) -> int:
        """How much ``taker`` would fill right now (stopping once ``need`` is reached),
        simulating the matcher exactly — FIFO, iceberg refreshes, self-trade prevention —
        on copies, without changing anything. Used for FOK, all-or-none and min-qty."""
        levels = self._ask_levels if taker.side is BUY else self._bid_levels
        rem = taker.leaves
        acct = taker.account
        mode = taker.cmd.stp
        filled = 0
        for key in sorted(k for k in levels if k <= limit_key):
            node = levels[key].head
            back: deque[list[int]] = deque()
            while rem:
                if node is not None:
                    d = node.cmd.display_qty
                    m = [node.account, node.shown, node.leaves, 0 if d is None else d]
                    node = node.next
                elif back:
                    m = back.popleft()
                else:
                    break
                while rem:  # m is at the head of the queue
                    if m[0] == acct:
                        if mode is CANCEL_NEWEST or mode is CANCEL_BOTH:
                            return filled
                        if mode is CANCEL_OLDEST:
                            break
                        q = rem if rem < m[2] else m[2]
                        rem -= q
                        m[2] -= q
                        if m[1] > m[2]:
                            m[1] = m[2]
                        if m[2] == 0:
                            break
                        continue
                    f = rem if rem < m[1] else m[1]
                    rem -= f
                    filled += f
                    m[1] -= f
                    m[2] -= f
                    if m[2] == 0:
                        break
                    if m[1] == 0:
                        m[1] = m[3] if m[3] < m[2] else m[2]
                        back.append(m)
                        break
            if filled >= need or not rem:
                break
        return filled

    def _run_stops(self, ev: list[Any]) -> None:
        """Trigger every stop the last trade price has reached, one at a time (a triggered
        stop may trade and move the price further): lowest buy stop / highest sell stop
        first, the older one first when both sides have a stop to trigger."""
        while True:
            last = self._last
            if last is None:
                return
            bh = self._buy_stops
            sh = self._sell_stops
            while bh and bh[0][2].status is not PENDING_TRIGGER:
                heappop(bh)
            while sh and sh[0][2].status is not PENDING_TRIGGER:
                heappop(sh)
            b = bh[0] if bh and bh[0][0] <= last else None
            s = sh[0] if sh and sh[0][0] <= -last else None
            if b is None and s is None:
                return
            take_buy = s is None or (b is not None and b[1] < s[1])
            self._trigger(heappop(bh if take_buy else sh)[2], last, ev)

    def _trigger(self, o: Order, last: int, ev: list[Any]) -> None:
        cmd = o.cmd
        del self._orders[o.order_id]
        transition(o, NEW)
        self._prio = o.priority = self._prio + 1
        self._seq = seq = self._seq + 1
        stop: int = cmd.stop_price  # type: ignore[assignment]  # a stop always has one
        ev.append(OrderTriggered(seq, o.order_id, o.account, stop, last))
        side = o.side
        price = o.price  # None only for a STOP without a protection price
        limit_key = _NO_LIMIT if price is None else (price if side is BUY else -price)
        opp = self._ask_heap if side is BUY else self._bid_heap
        if opp and opp[0] <= limit_key:
            self._match(o, limit_key, ev)
            self._finish_taker(o, ev)
        elif cmd.order_type is STOP_LIMIT:
            self._rest(o, ev)
        else:
            self._cancel_unfilled(o, ev)
