"""Events the book emits: immutable value objects (frozen ``msgspec`` structs).

Every event carries ``seq``, the book's own sequence number: gap-free and
strictly increasing across all events of the book, so a consumer (the outbox,
an L2 feed) can detect a gap. The list returned for one command is the complete
effect of that command, in the order it happened.

Per fill the order is: :class:`Trade`, then the maker's fill event
(:class:`OrderPartiallyFilled` or :class:`OrderFilled`), then the taker's.
A :class:`BookDelta` gives the new aggregate *displayed* quantity at one price
level (``qty == 0`` means the level is gone); it is emitted once per level
touched, when the engine is done with that level in the current step.

Events are frozen ``msgspec.Struct`` classes: immutable value objects with equality, hashing,
``repr``, pickling and pattern matching, built positionally in declaration order. They are
declared ``gc=False``: an event holds only ints, enum members and ``None``, so it can never be
part of a reference cycle, and keeping the several events of every command out of the
cyclic garbage collector's bookkeeping is a large part of the engine's throughput. Construction
costs about a third of a slotted frozen dataclass's, and ``msgspec`` encodes them straight to
JSON or MessagePack for the outbox (``msgspec.structs.asdict`` gives a plain dict).
"""

from __future__ import annotations

from msgspec import Struct

from liquibond.trading.engine.values import (
    AccountId,
    CancelReason,
    OrderId,
    OrderType,
    RejectReason,
    Side,
    TimeInForce,
)


class OrderAccepted(Struct, frozen=True, gc=False):
    """A new order is in the book's hands: working (``NEW``) or, for a stop, ``PENDING_TRIGGER``."""

    seq: int
    order_id: OrderId
    account: AccountId
    side: Side
    order_type: OrderType
    tif: TimeInForce
    price: int | None
    stop_price: int | None
    qty: int


class OrderRejected(Struct, frozen=True, gc=False):
    """A new order was refused; nothing changed."""

    seq: int
    order_id: OrderId
    account: AccountId
    reason: RejectReason


class Trade(Struct, frozen=True, gc=False):
    """A fill, always at the maker's (resting) price."""

    seq: int
    trade_id: int
    price: int
    qty: int
    taker_order_id: OrderId
    taker_account: AccountId
    taker_side: Side
    maker_order_id: OrderId
    maker_account: AccountId


class OrderPartiallyFilled(Struct, frozen=True, gc=False):
    seq: int
    order_id: OrderId
    account: AccountId
    trade_id: int
    price: int
    qty: int  # this fill
    filled_qty: int  # cumulative
    leaves_qty: int  # still open


class OrderFilled(Struct, frozen=True, gc=False):
    seq: int
    order_id: OrderId
    account: AccountId
    trade_id: int
    price: int
    qty: int  # this (last) fill
    filled_qty: int  # cumulative, the whole order


class OrderCancelled(Struct, frozen=True, gc=False):
    seq: int
    order_id: OrderId
    account: AccountId
    cancelled_qty: int  # open quantity removed by this cancel
    filled_qty: int
    reason: CancelReason


class OrderReduced(Struct, frozen=True, gc=False):
    """Open quantity reduced without a trade and the order still live (STP ``DECREMENT``)."""

    seq: int
    order_id: OrderId
    account: AccountId
    reduced_by: int
    leaves_qty: int
    reason: CancelReason


class OrderExpired(Struct, frozen=True, gc=False):
    seq: int
    order_id: OrderId
    account: AccountId
    expired_qty: int
    filled_qty: int


class OrderTriggered(Struct, frozen=True, gc=False):
    """A stop reached its trigger; it now works as a MARKET (STOP) or LIMIT (STOP_LIMIT) order."""

    seq: int
    order_id: OrderId
    account: AccountId
    stop_price: int
    last_price: int


class OrderReplaced(Struct, frozen=True, gc=False):
    seq: int
    order_id: OrderId
    account: AccountId
    price: int
    qty: int  # new total quantity
    leaves_qty: int
    priority_kept: bool


class CancelRejected(Struct, frozen=True, gc=False):
    seq: int
    order_id: OrderId
    account: AccountId | None
    reason: RejectReason


class ReplaceRejected(Struct, frozen=True, gc=False):
    seq: int
    order_id: OrderId
    account: AccountId | None
    reason: RejectReason


class BookDelta(Struct, frozen=True, gc=False):
    """L2 change: the aggregate displayed quantity and order count now at ``price``."""

    seq: int
    side: Side
    price: int
    qty: int
    count: int


Event = (
    OrderAccepted
    | OrderRejected
    | Trade
    | OrderPartiallyFilled
    | OrderFilled
    | OrderCancelled
    | OrderReduced
    | OrderExpired
    | OrderTriggered
    | OrderReplaced
    | CancelRejected
    | ReplaceRejected
    | BookDelta
)

EVENT_TYPES: tuple[type, ...] = (
    OrderAccepted,
    OrderRejected,
    Trade,
    OrderPartiallyFilled,
    OrderFilled,
    OrderCancelled,
    OrderReduced,
    OrderExpired,
    OrderTriggered,
    OrderReplaced,
    CancelRejected,
    ReplaceRejected,
    BookDelta,
)
