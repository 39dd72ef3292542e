"""Commands the book accepts. Immutable; validated by the book, which answers with events.

Construction checks only types (:func:`_check_types`); everything else is judged by the
book, which answers a bad command with a reject event and a reason code.

Every command may carry ``ts``, the caller's timestamp (any monotonic integer,
e.g. nanoseconds since the epoch). The engine never reads a clock: a command
with ``ts > 0`` first expires every DAY/GTD order whose ``expire_at <= ts``,
and ``Expire(now)`` does only that. ``ts == 0`` means "no time given".
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from liquibond.trading.engine.values import (
    AccountId,
    OrderId,
    OrderType,
    Side,
    StpMode,
    TimeInForce,
)


@dataclass(frozen=True, slots=True)
class NewOrder:
    """Place an order.

    - ``price``: limit price in ticks; required for LIMIT and STOP_LIMIT. On a MARKET or
      STOP order it is optional and a protection price: the order (once triggered) trades
      like a market order but never beyond it, and what it cannot fill there is cancelled.
    - ``stop_price``: trigger price in ticks; required for STOP and STOP_LIMIT. A buy stop
      triggers when the last trade price is at or above it, a sell stop at or below it.
    - ``tif``: LIMIT takes any; MARKET takes IOC or FOK; STOP/STOP_LIMIT take GTC, DAY or GTD
      (for how long the stop waits; a triggered STOP behaves as IOC).
    - ``expire_at``: required for DAY (the session close) and GTD, forbidden otherwise.
    - ``display_qty``: makes a LIMIT an iceberg showing at most this much; when the shown
      slice is used up it refreshes from the hidden quantity at the back of its level's queue.
    - ``min_qty``: the order must trade at least this much on arrival or it is rejected with no
      trade (``MIN_QTY_NOT_MET``); the remainder then follows ``tif``. ``all_or_none`` is
      ``min_qty == qty``: fill completely on arrival or reject. Neither condition rests.
    - ``post_only``: LIMIT only, must be able to rest (GTC/DAY/GTD); rejected if it would take.
    - ``stp``: self-trade prevention mode applied when this order is the taker.
    """

    order_id: OrderId
    account: AccountId
    side: Side
    qty: int
    price: int | None = None
    order_type: OrderType = OrderType.LIMIT
    tif: TimeInForce = TimeInForce.GTC
    expire_at: int | None = None
    stop_price: int | None = None
    display_qty: int | None = None
    min_qty: int | None = None
    all_or_none: bool = False
    post_only: bool = False
    stp: StpMode = StpMode.CANCEL_NEWEST
    ts: int = 0

    def __post_init__(self) -> None:
        if not (
            type(self.order_id) is int
            and type(self.account) is int
            and type(self.side) is Side
            and type(self.qty) is int
            and (self.price is None or type(self.price) is int)
            and type(self.order_type) is OrderType
            and type(self.tif) is TimeInForce
            and (self.expire_at is None or type(self.expire_at) is int)
            and (self.stop_price is None or type(self.stop_price) is int)
            and (self.display_qty is None or type(self.display_qty) is int)
            and (self.min_qty is None or type(self.min_qty) is int)
            and type(self.all_or_none) is bool
            and type(self.post_only) is bool
            and type(self.stp) is StpMode
            and type(self.ts) is int
        ):
            _check_types(self)


@dataclass(frozen=True, slots=True)
class CancelOrder:
    """Cancel a live order (resting or waiting for its trigger).

    With ``account`` set, only that account's order may be cancelled.
    """

    order_id: OrderId
    account: AccountId | None = None
    ts: int = 0

    def __post_init__(self) -> None:
        if not (
            type(self.order_id) is int
            and (self.account is None or type(self.account) is int)
            and type(self.ts) is int
        ):
            _check_types(self)


@dataclass(frozen=True, slots=True)
class ReplaceOrder:
    """Change the price and/or total quantity of a resting order.

    ``qty`` is the new *total* order quantity (filled part included), as in FIX; the
    open quantity becomes ``qty - filled - cancelled`` and must stay above 0.
    Reducing the open quantity at the same price keeps queue priority; a new price or
    a larger open quantity loses it (the order re-enters at the back, and may trade).
    """

    order_id: OrderId
    qty: int | None = None
    price: int | None = None
    account: AccountId | None = None
    ts: int = 0

    def __post_init__(self) -> None:
        _check_types(self)


@dataclass(frozen=True, slots=True)
class CancelAll:
    """Mass cancel: every live order of ``account``, or of everyone (the kill switch)."""

    account: AccountId | None = None
    ts: int = 0

    def __post_init__(self) -> None:
        _check_types(self)


@dataclass(frozen=True, slots=True)
class Expire:
    """Expire every DAY/GTD order with ``expire_at <= now``."""

    now: int

    def __post_init__(self) -> None:
        _check_types(self)


Command = NewOrder | CancelOrder | ReplaceOrder | CancelAll | Expire

_ENUMS = {"side": Side, "order_type": OrderType, "tif": TimeInForce, "stp": StpMode}
_FLAGS = {"all_or_none", "post_only"}


def _check_types(cmd: object) -> None:
    """Refuse a wrongly *typed* command at construction (a programming error, not a business
    rejection): enum fields must be the enum, numbers exact ``int`` (no float, no bool), flags
    ``bool``. Ranges and combinations are the book's to judge, with a reject reason.

    The commands' ``__post_init__`` run an inlined version of this check and call it only
    when something is off (it is slower, and names the bad field)."""
    for f in fields(cmd):  # type: ignore[arg-type]
        value = getattr(cmd, f.name)
        enum = _ENUMS.get(f.name)
        if enum is not None:
            ok = type(value) is enum
        elif f.name in _FLAGS:
            ok = type(value) is bool
        else:
            ok = type(value) is int or (value is None and "None" in str(f.type))
        if not ok:
            raise TypeError(f"{type(cmd).__name__}.{f.name}: bad value {value!r}")
