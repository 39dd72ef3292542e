"""Order entry and reads: pre-trade checks, order and trade queries.

Pre-trade checks that only read (KYC, instrument status, tick, lot, a unique
`client_order_id`) run here, in the request's transaction. The balance reservation runs in
the instrument writer's transaction (:mod:`liquibond.trading.runner`), so an order and its
reservation commit together or not at all.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.analytics import AnalyticsError, BondTerms, settlement_date, trade_cash
from liquibond.identity.service import Principal
from liquibond.instruments.models import Instrument, InstrumentStatus
from liquibond.instruments.service import InstrumentService
from liquibond.kyc.service import KycChecks
from liquibond.ledger.service import LedgerService
from liquibond.platform.errors import Conflict, FieldError, Unprocessable
from liquibond.platform.ownership import owned
from liquibond.platform.schemas import as_uuid, cursor_value, encode_cursor
from liquibond.trading.models import Order, OrderSide, OrderState, Trade
from liquibond.trading.schemas import OrderCreate, TradeOut
from liquibond.valuation.service import instrument_terms, trade_date

_TRADABLE = frozenset({InstrumentStatus.LISTED})


@dataclass(frozen=True, slots=True)
class Market:
    """What a book's writer needs to know about its instrument (fixed once listed)."""

    instrument_id: uuid.UUID
    isin: str  # also the ledger asset code of the bond's units (scale 0)
    currency: str
    scale: int
    tick_size: Decimal
    terms: BondTerms
    settlement_cycle_days: int
    calendar: str

    def clean_price(self, ticks: int) -> Decimal:
        """The clean price per 100 of `ticks`."""
        return ticks * self.tick_size

    def settlement_date(self, traded: date) -> date:
        """Settlement date of a trade done on `traded` (T+cycle business days)."""
        return settlement_date(traded, self.settlement_cycle_days, self.calendar)

    def accrual_margin(self, units: int) -> int:
        """One full coupon on `units`, in minor units, rounded up: the most interest can accrue
        while a buy order rests, so a later fill never costs more than was reserved."""
        terms = self.terms
        coupon = Fraction(terms.face_value) * Fraction(terms.coupon_rate) / terms.frequency
        amount: Fraction = units * coupon * 10**self.scale
        return -(-amount.numerator // amount.denominator)  # ceiling, exactly


@dataclass(frozen=True, slots=True)
class OrderTicket:
    """An order that passed the read-only pre-trade checks, ready for its book's writer."""

    user_id: uuid.UUID
    request: OrderCreate
    price_ticks: int
    reserve_asset: str
    reserve_amount: int


async def market_of(session: AsyncSession, instrument: Instrument) -> Market:
    """The trading view of an instrument."""
    scale = (await LedgerService(session).asset(instrument.currency)).scale
    _, terms = instrument_terms(instrument, scale)
    return Market(
        instrument_id=instrument.id,
        isin=instrument.isin,
        currency=instrument.currency,
        scale=scale,
        tick_size=instrument.tick_size,
        terms=terms,
        settlement_cycle_days=instrument.settlement_cycle_days,
        calendar=instrument.calendar,
    )


def to_ticks(price: Decimal, tick_size: Decimal) -> int:
    """`price` as a whole number of ticks; 422 `order.invalid_tick` if it is off the tick."""
    ticks = price / tick_size
    if ticks != ticks.to_integral_value() or ticks <= 0:
        raise Unprocessable(
            code="order.invalid_tick",
            detail=f"The price must be a multiple of the tick size {tick_size}.",
            errors=[FieldError("body.price", f"not a multiple of {tick_size}", "invalid_tick")],
        )
    return int(ticks)


class OrderService:
    """Order entry checks and reads over one unit of work's session; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def prepare(
        self, principal: Principal, request: OrderCreate
    ) -> tuple[OrderTicket, Market]:
        """Run the pre-trade checks that need no lock; each refusal is a 4xx with its code."""
        await KycChecks(self._session).require_verified(principal.user_id)
        instrument = await InstrumentService(self._session).get(principal, request.instrument_id)
        if InstrumentStatus(instrument.status) not in _TRADABLE:
            raise Unprocessable(
                code="order.instrument_not_tradable",
                detail=f"{instrument.isin} is {instrument.status}; it cannot be traded now.",
                errors=[FieldError("body.instrument_id", "not tradable", "not_tradable")],
            )
        ticks = to_ticks(request.price, instrument.tick_size)
        quantity = request.quantity
        if (
            quantity < instrument.min_lot
            or (quantity - instrument.min_lot) % instrument.lot_increment
        ):
            raise Unprocessable(
                code="order.invalid_lot",
                detail=f"The quantity must be at least {instrument.min_lot} units and go up in "
                f"steps of {instrument.lot_increment}.",
                errors=[FieldError("body.quantity", "not a valid lot", "invalid_lot")],
            )
        await self.ensure_new_client_order_id(principal.user_id, request.client_order_id)
        market = await market_of(self._session, instrument)
        if request.side is OrderSide.SELL:
            return OrderTicket(principal.user_id, request, ticks, market.isin, quantity), market
        try:
            cash = trade_cash(
                market.terms,
                market.settlement_date(trade_date()),
                quantity,
                market.clean_price(ticks),
                market.scale,
            )
        except AnalyticsError as exc:
            raise Unprocessable(
                code="order.instrument_not_tradable",
                detail=f"{instrument.isin} cannot be priced for settlement now: {exc}",
            ) from exc
        amount = cash.total + market.accrual_margin(quantity)
        return OrderTicket(principal.user_id, request, ticks, market.currency, amount), market

    async def ensure_new_client_order_id(self, user_id: uuid.UUID, client_order_id: str) -> None:
        """409 `order.duplicate_client_order_id` if the user already used this id."""
        existing = await self._session.scalar(
            select(Order.id).where(
                Order.user_id == user_id, Order.client_order_id == client_order_id
            )
        )
        if existing is not None:
            raise Conflict(
                code="order.duplicate_client_order_id",
                detail="You already sent an order with this client_order_id.",
                errors=[FieldError("body.client_order_id", "already used", "duplicate")],
                extra={"order_id": str(existing)},
            )

    async def market(self, instrument_id: uuid.UUID) -> Market:
        """The trading view of a public instrument (one that has or had a market)."""
        instrument = await InstrumentService(self._session).get(None, instrument_id)
        return await market_of(self._session, instrument)

    async def order(self, user_id: uuid.UUID, order_id: uuid.UUID) -> Order:
        """One of the user's orders (404 for anyone else's)."""
        return await owned(self._session, Order, order_id, user_id, "order")

    async def orders(
        self,
        user_id: uuid.UUID,
        *,
        limit: int,
        cursor: str | None,
        instrument_id: uuid.UUID | None = None,
        status: OrderState | None = None,
        side: OrderSide | None = None,
        open_only: bool = False,
    ) -> tuple[list[Order], str | None]:
        """The user's orders, newest first."""
        query = select(Order).where(Order.user_id == user_id).order_by(Order.id.desc())
        before = cursor_value(cursor, "before", as_uuid)
        if before is not None:
            query = query.where(Order.id < before)
        if instrument_id is not None:
            query = query.where(Order.instrument_id == instrument_id)
        if status is not None:
            query = query.where(Order.status == status.value)
        if side is not None:
            query = query.where(Order.side == side.value)
        if open_only:
            query = query.where(
                Order.status.in_([OrderState.NEW.value, OrderState.PARTIALLY_FILLED.value])
            )
        rows = list(await self._session.scalars(query.limit(limit + 1)))
        next_cursor = (
            encode_cursor({"before": str(rows[limit - 1].id)}) if len(rows) > limit else None
        )
        return rows[:limit], next_cursor

    async def trades(
        self,
        user_id: uuid.UUID,
        *,
        limit: int,
        cursor: str | None,
        instrument_id: uuid.UUID | None = None,
    ) -> tuple[list[TradeOut], str | None]:
        """The user's fills, newest first, each seen from the user's side."""
        query = (
            select(Trade)
            .where(or_(Trade.buyer_id == user_id, Trade.seller_id == user_id))
            .order_by(Trade.id.desc())
        )
        before = cursor_value(cursor, "before", as_uuid)
        if before is not None:
            query = query.where(Trade.id < before)
        if instrument_id is not None:
            query = query.where(Trade.instrument_id == instrument_id)
        rows = list(await self._session.scalars(query.limit(limit + 1)))
        next_cursor = (
            encode_cursor({"before": str(rows[limit - 1].id)}) if len(rows) > limit else None
        )
        return [_my_side(trade, user_id) for trade in rows[:limit]], next_cursor


def _my_side(trade: Trade, user_id: uuid.UUID) -> TradeOut:
    buying = trade.buyer_id == user_id
    side = OrderSide.BUY if buying else OrderSide.SELL
    return TradeOut(
        id=trade.id,
        instrument_id=trade.instrument_id,
        order_id=trade.buy_order_id if buying else trade.sell_order_id,
        side=side,
        liquidity="taker" if trade.aggressor_side == side.value else "maker",
        price=trade.price,
        quantity=trade.quantity,
        currency=trade.currency,
        clean_amount=trade.clean_amount,
        accrued_interest=trade.accrued_interest,
        dirty_amount=trade.dirty_amount,
        fee=trade.buyer_fee if buying else trade.seller_fee,
        trade_date=trade.trade_date,
        settlement_date=trade.settlement_date,
        created_at=trade.created_at,
    )
