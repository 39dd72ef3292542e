"""Trading API shapes. Prices are clean per 100 of face value; quantities are bond units."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import AwareDatetime, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from liquibond.platform.schemas import RequestModel, ResponseModel
from liquibond.trading.models import (
    OrderKind,
    OrderSide,
    OrderState,
    OrderTif,
    SelfTradePrevention,
    Venue,
)

Price = Annotated[Decimal, Field(gt=0, lt=10_000, decimal_places=6)]
Quantity = Annotated[int, Field(gt=0, le=10**12)]
YieldPercent = Annotated[Decimal, Field(gt=-10, lt=100, decimal_places=6)]

_PRICED = frozenset({OrderKind.LIMIT, OrderKind.STOP_LIMIT})
_STOPS = frozenset({OrderKind.STOP, OrderKind.STOP_LIMIT})
_RESTING = frozenset({OrderTif.GTC, OrderTif.DAY, OrderTif.GTD})


def _invalid(code: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(code, message)


class OrderCreate(RequestModel):
    """A new order. Prices sit on the instrument's tick, quantities on its lots.

    A limit (or stop-limit) is given as a clean `price` or as a `yield_percent`, which is
    converted to the clean price on the tick that never gives a worse yield (a buy rounds
    down, a sell up). Market orders and triggered stops trade within the price band.
    """

    instrument_id: uuid.UUID
    client_order_id: str = Field(
        min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$", description="Yours, unique"
    )
    side: OrderSide
    order_type: OrderKind = OrderKind.LIMIT
    time_in_force: OrderTif = OrderTif.GTC
    price: Price | None = Field(default=None, description="Limit: clean price per 100")
    yield_percent: YieldPercent | None = Field(
        default=None, description="Limit as a yield to maturity in percent, instead of `price`"
    )
    stop_price: Price | None = Field(
        default=None, description="Stops: triggers when the last trade reaches it"
    )
    quantity: Quantity = Field(description="Units of the bond")
    display_quantity: Quantity | None = Field(
        default=None, description="Iceberg: the most shown at once (limit orders)"
    )
    min_quantity: Quantity | None = Field(
        default=None, description="Trade at least this much on arrival, or nothing"
    )
    all_or_none: bool = Field(default=False, description="Fill completely on arrival, or nothing")
    post_only: bool = Field(default=False, description="Refused if it would take liquidity")
    expire_at: AwareDatetime | None = Field(default=None, description="GTD only")
    self_trade_prevention: SelfTradePrevention = SelfTradePrevention.CANCEL_NEWEST

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        kind, tif = self.order_type, self.time_in_force
        if self.price is not None and self.yield_percent is not None:
            raise _invalid("price_and_yield", "give price or yield_percent, not both")
        limited = self.price is not None or self.yield_percent is not None
        if kind in _PRICED and not limited:
            raise _invalid("price_required", f"a {kind} order needs a price or yield_percent")
        if kind not in _PRICED and limited:
            raise _invalid("price_not_allowed", f"a {kind} order takes no price")
        if (kind in _STOPS) != (self.stop_price is not None):
            raise _invalid("stop_price", "stop_price goes with stop and stop_limit orders only")
        if kind is OrderKind.MARKET and tif not in (OrderTif.IOC, OrderTif.FOK):
            raise _invalid("time_in_force", "a market order is ioc or fok")
        if kind in _STOPS and tif not in _RESTING:
            raise _invalid("time_in_force", "a stop order is gtc, day or gtd")
        if (tif is OrderTif.GTD) != (self.expire_at is not None):
            raise _invalid("expire_at", "expire_at goes with time_in_force gtd only")
        if self.display_quantity is not None and (
            kind is not OrderKind.LIMIT or self.display_quantity > self.quantity
        ):
            raise _invalid("display_quantity", "an iceberg is a limit order showing <= quantity")
        if self.min_quantity is not None and self.min_quantity > self.quantity:
            raise _invalid("min_quantity", "min_quantity cannot exceed quantity")
        if (self.min_quantity is not None or self.all_or_none) and kind in _STOPS:
            raise _invalid("min_quantity", "stops take no minimum quantity")
        if self.post_only and (kind is not OrderKind.LIMIT or tif not in _RESTING):
            raise _invalid("post_only", "post_only is for limit orders that can rest")
        return self


class OrderReplace(RequestModel):
    """Change a resting order: a lower quantity keeps its place in the queue; a new price or
    a higher quantity sends it to the back (and it may trade)."""

    price: Price | None = None
    yield_percent: YieldPercent | None = None
    quantity: Quantity | None = Field(
        default=None, description="The new total quantity, what already traded included"
    )

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.price is not None and self.yield_percent is not None:
            raise _invalid("price_and_yield", "give price or yield_percent, not both")
        if self.price is None and self.yield_percent is None and self.quantity is None:
            raise _invalid("nothing_to_change", "give a price, a yield_percent or a quantity")
        return self


class OrderBatch(RequestModel):
    """Up to 1,000 orders, each placed (or refused) on its own."""

    orders: list[OrderCreate] = Field(min_length=1, max_length=1_000)


class CancelAllRequest(RequestModel):
    """Cancel all my open orders, or those of one instrument."""

    instrument_id: uuid.UUID | None = None


class OrderOut(ResponseModel):
    """An order and how much of it traded."""

    id: uuid.UUID
    instrument_id: uuid.UUID
    client_order_id: str
    side: OrderSide
    order_type: OrderKind
    time_in_force: OrderTif
    post_only: bool
    price: Decimal = Field(description="The limit, or a market order's protection price")
    limit_yield: Decimal | None = Field(description="The yield the order was sent at")
    stop_price: Decimal | None
    quantity: int
    display_quantity: int | None
    min_quantity: int | None
    all_or_none: bool
    expire_at: datetime | None
    self_trade_prevention: SelfTradePrevention
    filled_quantity: int
    cancelled_quantity: int
    leaves_quantity: int
    status: OrderState
    reject_reason: str | None
    reserved_asset: str
    reserved: int
    created_at: datetime
    updated_at: datetime | None


class BatchItem(ResponseModel):
    """One order of a batch: the order, or the problem that refused it."""

    index: int
    status: int = Field(description="The HTTP status this order alone would have had")
    order: OrderOut | None = None
    problem: dict[str, Any] | None = None


class BatchOut(ResponseModel):
    """The batch's results, in the order sent."""

    results: list[BatchItem]


class CancelAllOut(ResponseModel):
    """The orders a mass cancel cancelled."""

    cancelled: list[uuid.UUID]


class TradeOut(ResponseModel):
    """One of my fills, from my side. Amounts in minor units of `currency`."""

    id: uuid.UUID
    instrument_id: uuid.UUID
    venue: Venue = Field(description="`book`, or `rfq` for a trade on an accepted quote")
    order_id: uuid.UUID | None = Field(description="My order (None for an RFQ trade)")
    rfq_id: uuid.UUID | None = Field(description="The RFQ of an RFQ trade")
    side: OrderSide
    liquidity: str  # "maker" or "taker"; an RFQ's requester takes, its dealer makes
    price: Decimal
    quantity: int
    currency: str
    clean_amount: int
    accrued_interest: int
    dirty_amount: int
    fee: int
    trade_date: date
    settlement_date: date
    settles_on_chain: bool = Field(
        description="The units deliver on chain (a tokenized bond); a seller is paid once they do"
    )
    created_at: datetime


# -- limits ------------------------------------------------------------------------------------


class RatingBucket(StrEnum):
    """The rating buckets exposure limits are set per."""

    SOV = "SOV"
    AAA = "AAA"
    AA = "AA"
    A = "A"
    BBB = "BBB"
    SUB_IG = "SUB_IG"
    UNRATED = "UNRATED"


MinorUnits = Annotated[int, Field(gt=0, le=10**18)]


class TradingLimitsSet(RequestModel):
    """A user's own pre-trade limits: each replaces the venue's (None keeps the venue's)."""

    model_config = ConfigDict(from_attributes=True)

    max_order_notional: MinorUnits | None = Field(
        default=None, description="Largest clean consideration of one order, minor units"
    )
    max_position_percent: Annotated[Decimal, Field(gt=0, le=100, decimal_places=4)] | None = Field(
        default=None, description="Share of an issue the user may hold and bid for"
    )
    max_issuer_exposure: MinorUnits | None = Field(
        default=None, description="Face value of one issuer's bonds held and bid for"
    )
    rating_limits: dict[RatingBucket, MinorUnits] = Field(
        default_factory=dict, description="Face value held and bid for, per rating bucket"
    )

    @property
    def is_empty(self) -> bool:
        """True when it overrides nothing."""
        return (
            self.max_order_notional is None
            and self.max_position_percent is None
            and self.max_issuer_exposure is None
            and not self.rating_limits
        )


class TradingLimitsOut(ResponseModel):
    """The limits a user's orders are checked against, and the user's own where set."""

    user_id: uuid.UUID
    own: TradingLimitsSet | None
    max_order_notional: int
    max_position_percent: Decimal
    max_issuer_exposure: int | None
    rating_limits: dict[str, int] = Field(description="Absent buckets are unlimited")
    updated_by: uuid.UUID | None
    updated_at: datetime | None


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
    venue: Venue
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
