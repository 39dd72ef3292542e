"""Trading tables: orders, trades and each book's state at its last commit."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from liquibond.instruments.models import PRICE_SCALE
from liquibond.platform.db import Base, CreatedAt, ExactDecimal, IdPrimaryKey
from liquibond.trading.lease import TradingLease as TradingLease  # the app's metadata has it

#: Limit percentages are kept to 4 decimals.
PERCENT_SCALE = 4


class OrderSide(StrEnum):
    """Buy or sell."""

    BUY = "buy"
    SELL = "sell"


class OrderKind(StrEnum):
    """Order types. A market order and a triggered stop trade at any price within the
    instrument's price band (their protection price), never beyond it."""

    LIMIT = "limit"
    MARKET = "market"
    STOP = "stop"  # a market order once the last trade reaches the stop price
    STOP_LIMIT = "stop_limit"  # a limit order once the last trade reaches the stop price


class OrderTif(StrEnum):
    """Time in force."""

    GTC = "gtc"  # good till cancelled
    DAY = "day"  # expires at the instrument's market close (end of the trade date if none)
    GTD = "gtd"  # good till `expire_at`
    IOC = "ioc"  # immediate or cancel
    FOK = "fok"  # fill or kill


class SelfTradePrevention(StrEnum):
    """What happens when my incoming order would trade with my own resting order."""

    CANCEL_NEWEST = "cancel_newest"
    CANCEL_OLDEST = "cancel_oldest"
    CANCEL_BOTH = "cancel_both"
    DECREMENT = "decrement"


class OrderState(StrEnum):
    """An order's status as stored: the engine's `OrderStatus`, named."""

    QUEUED = "queued"  # sent outside trading hours; enters the book at the open
    PENDING_TRIGGER = "pending_trigger"  # a stop waiting for its stop price
    NEW = "new"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REJECTED = "rejected"


#: Statuses of an order its book holds (resting, or waiting for its trigger).
LIVE_STATES = frozenset({OrderState.PENDING_TRIGGER, OrderState.NEW, OrderState.PARTIALLY_FILLED})


class Order(IdPrimaryKey, CreatedAt, Base):
    """An order and everything needed to put it back in its book after a restart.

    `reserved` is what is still locked in the ledger for this order (cash for a buy, units
    for a sell, in minor units of `reserved_asset`); it is released when the order completes.
    """

    __tablename__ = "orders"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    instrument_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instruments.id"))
    client_order_id: Mapped[str] = mapped_column(String(64))
    #: The engine's id of this order, unique within its instrument's book.
    book_order_id: Mapped[int] = mapped_column(BigInteger)
    side: Mapped[str] = mapped_column(String(4))
    order_type: Mapped[str] = mapped_column(String(16))
    time_in_force: Mapped[str] = mapped_column(String(8))
    post_only: Mapped[bool]
    #: Clean price per 100 of face: the limit, or a market order's or stop's protection price.
    price: Mapped[Decimal] = mapped_column(ExactDecimal(PRICE_SCALE))
    price_ticks: Mapped[int] = mapped_column(BigInteger)
    #: The yield (percent) the order was priced at, when it was sent as a yield.
    limit_yield: Mapped[Decimal | None] = mapped_column(ExactDecimal(PRICE_SCALE))
    stop_price: Mapped[Decimal | None] = mapped_column(ExactDecimal(PRICE_SCALE))
    stop_price_ticks: Mapped[int | None] = mapped_column(BigInteger)
    display_quantity: Mapped[int | None] = mapped_column(BigInteger)  # an iceberg's slice
    min_quantity: Mapped[int | None] = mapped_column(BigInteger)
    all_or_none: Mapped[bool] = mapped_column(default=False)
    expire_at: Mapped[datetime | None]  # DAY and GTD
    self_trade_prevention: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(BigInteger)  # units
    filled_quantity: Mapped[int] = mapped_column(BigInteger, default=0)
    cancelled_quantity: Mapped[int] = mapped_column(BigInteger, default=0)
    leaves_quantity: Mapped[int] = mapped_column(BigInteger)
    shown_quantity: Mapped[int] = mapped_column(BigInteger)
    #: The engine's time priority while the order rests (restores the queue order).
    priority: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(20))
    reject_reason: Mapped[str | None] = mapped_column(String(40))
    reserved_asset: Mapped[str] = mapped_column(ForeignKey("assets.code"))
    reserved: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("user_id", "client_order_id", name="uq_orders_user_client_order_id"),
        UniqueConstraint("instrument_id", "book_order_id", name="uq_orders_instrument_book_order"),
        Index("ix_orders_user_id_id", "user_id", "id"),
        Index("ix_orders_instrument_id_status", "instrument_id", "status"),
        CheckConstraint("quantity > 0 AND price_ticks > 0", name="positive_terms"),
        CheckConstraint(
            "filled_quantity + cancelled_quantity + leaves_quantity = quantity",
            name="quantities_add_up",
        ),
        CheckConstraint("reserved >= 0", name="non_negative_reservation"),
    )


class Venue(StrEnum):
    """Where a trade was agreed: on the book, or off it (an accepted RFQ quote)."""

    BOOK = "book"
    RFQ = "rfq"


class Trade(IdPrimaryKey, CreatedAt, Base):
    """A fill between two orders of the book, or a trade agreed off it (`venue`, with the
    RFQ in `venue_ref` and no orders), settled internally: cash and units moved in one
    entry. Both kinds take their number from the book's writer, so `trade_seq` stays
    gap-free per instrument."""

    __tablename__ = "trades"

    instrument_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instruments.id"))
    #: The engine's trade id, gap-free within the instrument.
    trade_seq: Mapped[int] = mapped_column(BigInteger)
    price: Mapped[Decimal] = mapped_column(ExactDecimal(PRICE_SCALE))
    price_ticks: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(BigInteger)
    aggressor_side: Mapped[str] = mapped_column(String(4))
    buy_order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"))
    sell_order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"))
    venue: Mapped[str] = mapped_column(String(8), default=Venue.BOOK.value)
    venue_ref: Mapped[uuid.UUID | None]
    buyer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    seller_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    currency: Mapped[str] = mapped_column(ForeignKey("assets.code"))
    clean_amount: Mapped[int] = mapped_column(BigInteger)  # minor units of `currency`
    accrued_interest: Mapped[int] = mapped_column(BigInteger)
    dirty_amount: Mapped[int] = mapped_column(BigInteger)  # clean + accrued: what the buyer pays
    buyer_fee: Mapped[int] = mapped_column(BigInteger)
    seller_fee: Mapped[int] = mapped_column(BigInteger)
    trade_date: Mapped[date]
    settlement_date: Mapped[date]
    journal_entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("journal_entries.id"))
    #: Its units deliver on chain (a tokenized bond): the seller's proceeds wait, settling,
    #: until the chain confirms the delivery.
    settles_on_chain: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        UniqueConstraint("instrument_id", "trade_seq", name="uq_trades_instrument_trade_seq"),
        CheckConstraint("quantity > 0", name="positive_quantity"),
        CheckConstraint(
            "(venue = 'book') = (buy_order_id IS NOT NULL AND sell_order_id IS NOT NULL)",
            name="book_trades_have_orders",
        ),
        # Candles and the 24 h ticker select an instrument's trades by time.
        Index("ix_trades_instrument_id_created_at", "instrument_id", "created_at"),
    )


class UserLimits(Base):
    """One user's pre-trade limits, where they differ from the venue's (a None field, or a
    rating bucket absent from `rating_limits`, keeps the venue's)."""

    __tablename__ = "trading_user_limits"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    max_order_notional: Mapped[int | None] = mapped_column(BigInteger)
    max_position_percent: Mapped[Decimal | None] = mapped_column(ExactDecimal(PERCENT_SCALE))
    max_issuer_exposure: Mapped[int | None] = mapped_column(BigInteger)
    rating_limits: Mapped[dict[str, Any]]
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime]


class BookState(Base):
    """One instrument book's position as of its writer's last commit.

    `state_hash` is the book's digest after that commit (:func:`~liquibond.trading.runner.
    book_digest`: every live order with every field that restores it, priority included);
    a book rebuilt from the resting orders must reproduce it, or the writer refuses to
    trade it. Each commit updates it from the orders it touched, never by rehashing the book.
    """

    __tablename__ = "trading_books"

    instrument_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instruments.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    trade_seq: Mapped[int] = mapped_column(BigInteger)
    last_book_order_id: Mapped[int] = mapped_column(BigInteger)
    last_price_ticks: Mapped[int | None] = mapped_column(BigInteger)
    state_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]
