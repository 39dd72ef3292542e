"""Events the book emits: immutable (frozen, slotted) dataclasses.

Every event carries ``seq``, the book's own sequence number: gap-free and
strictly increasing across all events of the book, so a consumer (the outbox,
an L2 feed) can detect a gap. The list returned for one command is the complete
effect of that command, in the order it happened.

Per fill the order is: :class:`Trade`, then the maker's fill event
(:class:`OrderPartiallyFilled` or :class:`OrderFilled`), then the taker's.
A :class:`BookDelta` gives the new aggregate *displayed* quantity at one price
level (``qty == 0`` means the level is gone); it is emitted once per level
touched, when the engine is done with that level in the current step.

Building a frozen dataclass costs about five times a plain one in CPython
(every field goes through ``object.__setattr__``). The engine therefore builds
each event through ``make_<event>`` factories below: they allocate a slotted mutable
twin of the same layout, fill its slots and then set its class to the frozen one. The result is
an ordinary instance of the frozen dataclass (equality, hash, repr, pickling and
immutability are the dataclass's own); only the construction is faster.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from liquibond.trading.engine.values import (
    AccountId,
    CancelReason,
    OrderId,
    OrderType,
    RejectReason,
    Side,
    TimeInForce,
)


@dataclass(frozen=True, slots=True)
class OrderAccepted:
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


@dataclass(frozen=True, slots=True)
class OrderRejected:
    """A new order was refused; nothing changed."""

    seq: int
    order_id: OrderId
    account: AccountId
    reason: RejectReason


@dataclass(frozen=True, slots=True)
class Trade:
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


@dataclass(frozen=True, slots=True)
class OrderPartiallyFilled:
    seq: int
    order_id: OrderId
    account: AccountId
    trade_id: int
    price: int
    qty: int  # this fill
    filled_qty: int  # cumulative
    leaves_qty: int  # still open


@dataclass(frozen=True, slots=True)
class OrderFilled:
    seq: int
    order_id: OrderId
    account: AccountId
    trade_id: int
    price: int
    qty: int  # this (last) fill
    filled_qty: int  # cumulative, the whole order


@dataclass(frozen=True, slots=True)
class OrderCancelled:
    seq: int
    order_id: OrderId
    account: AccountId
    cancelled_qty: int  # open quantity removed by this cancel
    filled_qty: int
    reason: CancelReason


@dataclass(frozen=True, slots=True)
class OrderReduced:
    """Open quantity reduced without a trade and the order still live (STP ``DECREMENT``)."""

    seq: int
    order_id: OrderId
    account: AccountId
    reduced_by: int
    leaves_qty: int
    reason: CancelReason


@dataclass(frozen=True, slots=True)
class OrderExpired:
    seq: int
    order_id: OrderId
    account: AccountId
    expired_qty: int
    filled_qty: int


@dataclass(frozen=True, slots=True)
class OrderTriggered:
    """A stop reached its trigger; it now works as a MARKET (STOP) or LIMIT (STOP_LIMIT) order."""

    seq: int
    order_id: OrderId
    account: AccountId
    stop_price: int
    last_price: int


@dataclass(frozen=True, slots=True)
class OrderReplaced:
    seq: int
    order_id: OrderId
    account: AccountId
    price: int
    qty: int  # new total quantity
    leaves_qty: int
    priority_kept: bool


@dataclass(frozen=True, slots=True)
class CancelRejected:
    seq: int
    order_id: OrderId
    account: AccountId | None
    reason: RejectReason


@dataclass(frozen=True, slots=True)
class ReplaceRejected:
    seq: int
    order_id: OrderId
    account: AccountId | None
    reason: RejectReason


@dataclass(frozen=True, slots=True)
class BookDelta:
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

_E = TypeVar("_E")


def _fast_factory(cls: type[_E]) -> Callable[..., _E]:
    """A positional constructor for the frozen dataclass ``cls`` that skips ``object.__setattr__``.

    It allocates a plain slotted twin with the very same slots (so CPython allows the
    ``__class__`` assignment), stores the fields and switches the new object to ``cls``.
    """
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    twin = type(f"_{cls.__name__}Builder", (), {"__slots__": cls.__slots__})  # type: ignore[attr-defined]
    args = ", ".join(names)
    body = "".join(f"    o.{n} = {n}\n" for n in names)
    src = (
        f"def make_{cls.__name__}({args}):\n"
        f"    o = _new(_twin)\n{body}    o.__class__ = _cls\n    return o\n"
    )
    namespace: dict[str, Any] = {"_new": object.__new__, "_twin": twin, "_cls": cls}
    exec(src, namespace)  # noqa: S102 - fixed source built from the dataclass's own field names
    factory: Callable[..., _E] = namespace[f"make_{cls.__name__}"]
    factory.__doc__ = f"Build a {cls.__name__} positionally (fields in declaration order)."
    _BUILDERS[cls] = twin
    return factory


_BUILDERS: dict[type, type] = {}


def builder(cls: type) -> type[Any]:
    """The slotted twin of event class ``cls``, for code that inlines the factory:
    ``o = object.__new__(builder(C)); o.f = ...; o.__class__ = C``."""
    return _BUILDERS[cls]


make_accepted = _fast_factory(OrderAccepted)
make_rejected = _fast_factory(OrderRejected)
make_trade = _fast_factory(Trade)
make_partially_filled = _fast_factory(OrderPartiallyFilled)
make_filled = _fast_factory(OrderFilled)
make_cancelled = _fast_factory(OrderCancelled)
make_reduced = _fast_factory(OrderReduced)
make_expired = _fast_factory(OrderExpired)
make_triggered = _fast_factory(OrderTriggered)
make_replaced = _fast_factory(OrderReplaced)
make_cancel_rejected = _fast_factory(CancelRejected)
make_replace_rejected = _fast_factory(ReplaceRejected)
make_delta = _fast_factory(BookDelta)
