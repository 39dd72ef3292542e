"""Trading API shapes. Prices are clean per 100 of face value; quantities are bond units."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from pydantic import Field

from liquibond.platform.schemas import RequestModel, ResponseModel
from liquibond.trading.models import OrderKind, OrderSide, OrderState, OrderTif


class OrderCreate(RequestModel):
    """A new order. The price must sit on the instrument's tick, the quantity on its lots."""

    instrument_id: uuid.UUID
    client_order_id: str = Field(
        min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$", description="Yours, unique"
    )
    side: OrderSide
    order_type: OrderKind = OrderKind.LIMIT
    time_in_force: OrderTif = OrderTif.GTC
    price: Decimal = Field(gt=0, lt=10_000, decimal_places=6, description="Clean price per 100")
    quantity: int = Field(gt=0, le=10**12, description="Units of the bond")
    post_only: bool = False


class OrderOut(ResponseModel):
    """An order and how much of it traded."""

    id: uuid.UUID
    instrument_id: uuid.UUID
    client_order_id: str
    side: OrderSide
    order_type: OrderKind
    time_in_force: OrderTif
    post_only: bool
    price: Decimal
    quantity: int
    filled_quantity: int
    cancelled_quantity: int
    leaves_quantity: int
    status: OrderState
    reject_reason: str | None
    reserved_asset: str
    reserved: int
    created_at: datetime
    updated_at: datetime | None


class TradeOut(ResponseModel):
    """One of my fills, from my side. Amounts in minor units of `currency`."""

    id: uuid.UUID
    instrument_id: uuid.UUID
    order_id: uuid.UUID
    side: OrderSide
    liquidity: str  # "maker" or "taker"
    price: Decimal
    quantity: int
    currency: str
    clean_amount: int
    accrued_interest: int
    dirty_amount: int
    fee: int
    trade_date: date
    settlement_date: date
    created_at: datetime


# -- market data -------------------------------------------------------------------------------


class BookLevel(ResponseModel):
    """One price level of a book: its displayed quantity and how many orders rest there."""

    price: Decimal
    price_ticks: int
    quantity: int
    orders: int


class OrderBookOut(ResponseModel):
    """L2: the book's price levels, best first on each side."""

    instrument_id: uuid.UUID
    sequence: int = Field(
        description="Sequence number of the book's last committed change to its levels "
        "(the `seq` of the `book` channel's deltas)"
    )
    bids: list[BookLevel]
    asks: list[BookLevel]


class PublicTradeOut(ResponseModel):
    """A trade on the public tape: who traded is never shown."""

    id: uuid.UUID
    trade_seq: int
    price: Decimal
    price_ticks: int
    quantity: int
    aggressor_side: OrderSide
    created_at: datetime


class CandleInterval(StrEnum):
    """Candle widths; they are aligned on Indian market time, so a day is a trade date."""

    ONE_MINUTE = "1m"
    FIVE_MINUTES = "5m"
    FIFTEEN_MINUTES = "15m"
    ONE_HOUR = "1h"
    ONE_DAY = "1d"

    @property
    def width(self) -> timedelta:
        """How long one candle lasts."""
        return _WIDTHS[self]


_WIDTHS = {
    CandleInterval.ONE_MINUTE: timedelta(minutes=1),
    CandleInterval.FIVE_MINUTES: timedelta(minutes=5),
    CandleInterval.FIFTEEN_MINUTES: timedelta(minutes=15),
    CandleInterval.ONE_HOUR: timedelta(hours=1),
    CandleInterval.ONE_DAY: timedelta(days=1),
}


class Candle(ResponseModel):
    """Open, high, low and close prices and the volume (units) of the trades in one interval."""

    start: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int
    trades: int


class CandlesOut(ResponseModel):
    """The candles of the intervals that had trades, oldest first; quiet intervals are absent."""

    instrument_id: uuid.UUID
    interval: CandleInterval
    from_: datetime = Field(serialization_alias="from", description="Start of the first interval")
    to: datetime = Field(description="End of the last interval (exclusive)")
    candles: list[Candle]


class TickerOut(ResponseModel):
    """The last trade, the last 24 hours and the top of the book."""

    instrument_id: uuid.UUID
    last_price: Decimal | None
    last_price_ticks: int | None
    last_quantity: int | None
    last_trade_at: datetime | None
    open_24h: Decimal | None = Field(description="Price of the first trade of the last 24 hours")
    high_24h: Decimal | None
    low_24h: Decimal | None
    change_24h: Decimal | None = Field(description="Last price minus `open_24h`")
    change_percent_24h: float | None
    volume_24h: int = Field(description="Units traded in the last 24 hours")
    trades_24h: int
    best_bid: BookLevel | None
    best_ask: BookLevel | None
    last_yield: float | None = Field(
        description="Percent: the yield at the last price, for settlement on today's trades"
    )
    as_of: datetime
