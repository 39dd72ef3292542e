"""Value objects of the matching engine: typed ids, enums and reason codes.

Prices are integer *ticks* and quantities integer *lots*; converting from a
clean bond price per 100 of face value happens outside the engine. Nothing in
this package ever sees a float, a ``Decimal`` or a clock.

The enums on the hot path (``Side``, ``OrderStatus``, ...) are ``IntEnum`` so
that hashing and comparing them is the C-level ``int`` operation; the reason
codes are ``StrEnum`` so they read well on the wire (``"post_only_would_take"``).
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import NewType

OrderId = NewType("OrderId", int)
"""Caller-assigned order id, unique among the book's live orders."""

AccountId = NewType("AccountId", int)
"""The account an order belongs to; self-trade prevention is keyed on it."""

Price = int
"""A price in integer ticks (always > 0 for a limit or stop price)."""

Qty = int
"""A quantity in integer lots (always > 0 on a new order)."""

MAX_TICKS = (1 << 62) - 1
"""Upper bound for prices and quantities (they must fit a signed 64-bit column)."""


class Side(IntEnum):
    BUY = 1
    SELL = 2

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(IntEnum):
    LIMIT = 1
    MARKET = 2
    STOP = 3  # becomes a MARKET order when the last trade price reaches stop_price
    STOP_LIMIT = 4  # becomes a LIMIT order when the last trade price reaches stop_price


class TimeInForce(IntEnum):
    GTC = 1  # good till cancelled
    DAY = 2  # good for the session: expires at ``expire_at`` (the market close the caller supplies)
    GTD = 3  # good till date: expires at ``expire_at``
    IOC = 4  # immediate or cancel: fill what crosses, cancel the rest
    FOK = 5  # fill or kill: fill completely at once or reject with no trade


class StpMode(IntEnum):
    """Self-trade prevention: what happens when a taker meets a maker of its own account.

    The incoming (taker) order's mode decides.
    """

    CANCEL_NEWEST = 1  # cancel the taker's remainder, leave the resting order alone
    CANCEL_OLDEST = 2  # cancel the resting order and keep matching
    CANCEL_BOTH = 3  # cancel the resting order and the taker's remainder
    DECREMENT = 4  # reduce both by the smaller quantity without a trade; cancel what reaches 0


class OrderStatus(IntEnum):
    PENDING_NEW = 0  # built from a command, not yet accepted (transient, never seen at rest)
    NEW = 1  # accepted, working, nothing filled
    PARTIALLY_FILLED = 2
    FILLED = 3
    CANCELLED = 4
    EXPIRED = 5
    REJECTED = 6
    PENDING_TRIGGER = 7  # an accepted stop waiting for the last trade price


class RejectReason(StrEnum):
    """Why a command was refused. A rejected command changes nothing in the book."""

    INVALID_QTY = "invalid_qty"
    INVALID_PRICE = "invalid_price"
    INVALID_STOP_PRICE = "invalid_stop_price"
    INVALID_TIME_IN_FORCE = "invalid_time_in_force"
    INVALID_EXPIRY = "invalid_expiry"
    INVALID_DISPLAY_QTY = "invalid_display_qty"
    INVALID_MIN_QTY = "invalid_min_qty"
    INVALID_POST_ONLY = "invalid_post_only"
    DUPLICATE_ORDER_ID = "duplicate_order_id"
    EXPIRED_ON_ARRIVAL = "expired_on_arrival"
    POST_ONLY_WOULD_TAKE = "post_only_would_take"
    FOK_NOT_FILLABLE = "fok_not_fillable"
    MIN_QTY_NOT_MET = "min_qty_not_met"
    UNKNOWN_ORDER = "unknown_order"
    NOT_ORDER_OWNER = "not_order_owner"
    NOT_REPLACEABLE = "not_replaceable"
    REPLACE_QTY_TOO_LOW = "replace_qty_too_low"


class CancelReason(StrEnum):
    USER = "user"  # an explicit cancel
    MASS_CANCEL = "mass_cancel"  # cancel_all for an account or the whole instrument (kill switch)
    SELF_TRADE = "self_trade"  # removed by self-trade prevention
    UNFILLED = "unfilled"  # IOC, market or triggered-stop remainder with nothing left to cross
