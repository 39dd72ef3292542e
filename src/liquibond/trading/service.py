"""Order entry and reads: pre-trade checks, order and trade queries.

Pre-trade checks that only read run here, in the request's transaction: KYC, instrument
status and maturity, trading hours, tick and lot, the price band, the order's notional,
position and exposure limits, and a unique `client_order_id`. Each refusal is a 4xx problem
with its own code. The balance reservation runs in the instrument writer's transaction
(:mod:`liquibond.trading.runner`), so an order and its reservation commit together or not
at all. Exposure limits span books (one issuer, many bonds), so two orders sent at the same
instant in two books can each pass them; the balance check is exact.
"""

from __future__ import annotations

import json
import math
import uuid
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from fractions import Fraction

from sqlalchemy import ColumnElement, SQLColumnExpression, func, or_, select, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.analytics import AnalyticsError, BondTerms, bond_price, settlement_date, trade_cash
from liquibond.config import Settings
from liquibond.identity.models import User
from liquibond.identity.service import Principal
from liquibond.instruments.models import Instrument, InstrumentStatus
from liquibond.instruments.service import InstrumentService
from liquibond.kyc.service import KycChecks
from liquibond.ledger.models import Bucket
from liquibond.ledger.service import LedgerService
from liquibond.platform.db import canonical_decimal, utcnow
from liquibond.platform.errors import Conflict, FieldError, Unprocessable, not_found
from liquibond.platform.ownership import owned
from liquibond.platform.schemas import as_uuid, cursor_value, encode_cursor
from liquibond.trading.limits import Holding, Limits, check_buy, rating_bucket
from liquibond.trading.models import (
    LIVE_STATES,
    BookState,
    Order,
    OrderKind,
    OrderSide,
    OrderState,
    OrderTif,
    Trade,
    UserLimits,
    Venue,
)
from liquibond.trading.schemas import (
    OrderCreate,
    OrderReplace,
    TradeOut,
    TradingLimitsOut,
    TradingLimitsSet,
)
from liquibond.trading.sessions import TradingHours
from liquibond.valuation.service import fair_clean_price, instrument_terms, trade_date

_TRADABLE = frozenset({InstrumentStatus.LISTED})
#: Orders that hold a reservation: in the book, or queued for the open.
OPEN_STATES = LIVE_STATES | {OrderState.QUEUED}
_BPS = Decimal(10_000)

#: The buckets of a holding that count towards position and exposure limits.
_HELD = frozenset({Bucket.AVAILABLE, Bucket.LOCKED, Bucket.SELF_CUSTODY})


@dataclass(frozen=True, slots=True)
class Market:
    """What a book's writer needs to know about its instrument."""

    instrument_id: uuid.UUID
    isin: str  # also the ledger asset code of the bond's units (scale 0)
    currency: str
    scale: int
    tick_size: Decimal
    terms: BondTerms
    settlement_cycle_days: int
    calendar: str
    maker_fee_bps: Decimal
    taker_fee_bps: Decimal
    hours: TradingHours

    def clean_price(self, ticks: int) -> Decimal:
        """The clean price per 100 of `ticks`, without trailing zeros."""
        return canonical_decimal(ticks * self.tick_size)

    def settlement_date(self, traded: date) -> date:
        """Settlement date of a trade done on `traded` (T+cycle business days)."""
        return settlement_date(traded, self.settlement_cycle_days, self.calendar)

    def fee(self, clean_amount: int, bps: Decimal) -> int:
        """A fee of `bps` basis points on a clean amount, in minor units, rounded up."""
        return int((clean_amount * bps / _BPS).to_integral_value(ROUND_CEILING))

    def accrual_margin(self, units: int) -> int:
        """One full coupon on `units`, in minor units, rounded up: the most interest can accrue
        while a buy order rests, so a later fill never costs more than was reserved."""
        terms = self.terms
        coupon = Fraction(terms.face_value) * Fraction(terms.coupon_rate) / terms.frequency
        amount: Fraction = units * coupon * 10**self.scale
        return -(-amount.numerator // amount.denominator)  # ceiling, exactly

    def buy_reservation(self, units: int, ticks: int, traded: date) -> int:
        """Cash a buy of `units` at no more than `ticks` can cost: price, accrued interest (now
        and while it rests) and the larger fee."""
        cash = trade_cash(
            self.terms, self.settlement_date(traded), units, self.clean_price(ticks), self.scale
        )
        fee = self.fee(cash.principal, max(self.maker_fee_bps, self.taker_fee_bps))
        return cash.total + fee + self.accrual_margin(units)


@dataclass(frozen=True, slots=True)
class OrderTicket:
    """An order that passed the read-only pre-trade checks, ready for its book's writer."""

    user_id: uuid.UUID
    request: OrderCreate
    price_ticks: int  # the limit, or a market order's or stop's protection price
    stop_ticks: int | None
    reserve_asset: str
    reserve_amount: int
    expire_at: datetime | None
    queued: bool  # sent outside trading hours: enters the book at the open


@dataclass(frozen=True, slots=True)
class ReplaceTicket:
    """A checked change to a resting order."""

    user_id: uuid.UUID
    order_id: uuid.UUID
    quantity: int | None
    price_ticks: int | None
    limit_yield: Decimal | None


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
        maker_fee_bps=instrument.maker_fee_bps,
        taker_fee_bps=instrument.taker_fee_bps,
        hours=TradingHours(instrument.session_open, instrument.session_close, instrument.calendar),
    )


def to_ticks(
    price: Decimal, tick_size: Decimal, field: str = "body.price", prefix: str = "order"
) -> int:
    """`price` as a whole number of ticks; 422 `{prefix}.invalid_tick` if it is off the tick."""
    ticks = price / tick_size
    if ticks != ticks.to_integral_value() or ticks <= 0:
        raise Unprocessable(
            code=f"{prefix}.invalid_tick",
            detail=f"The price must be a multiple of the tick size {tick_size}.",
            errors=[FieldError(field, f"not a multiple of {tick_size}", "invalid_tick")],
        )
    return int(ticks)


def duplicate_client_order_id(existing: uuid.UUID) -> Conflict:
    """The 409 for a `client_order_id` the user already gave `existing`."""
    return Conflict(
        code="order.duplicate_client_order_id",
        detail="You already sent an order with this client_order_id.",
        errors=[FieldError("body.client_order_id", "already used", "duplicate")],
        extra={"order_id": str(existing)},
    )


#: The orders named by (user_id, client_order_id) pairs, per dialect, looked up pair by pair
#: (`user_id IN (...) AND client_order_id IN (...)` looks up every user with every id, and a
#: join may scan the table): the pairs as two arrays on PostgreSQL, as JSON on SQLite.
_USED_CLIENT_ORDER_IDS = {
    "postgresql": text(
        "SELECT o.user_id, o.client_order_id, o.id"
        " FROM unnest(CAST(:user_ids AS UUID[]), CAST(:client_order_ids AS VARCHAR[]))"
        " AS w(user_id, client_order_id),"
        " LATERAL (SELECT user_id, client_order_id, id FROM orders"
        " WHERE orders.user_id = w.user_id AND orders.client_order_id = w.client_order_id"
        " LIMIT 1) AS o"
    ).columns(Order.user_id, Order.client_order_id, Order.id),
    "sqlite": text(
        "SELECT o.user_id, o.client_order_id, o.id FROM json_each(:pairs) AS w"
        " JOIN orders AS o ON o.user_id = json_extract(w.value, '$[0]')"
        " AND o.client_order_id = json_extract(w.value, '$[1]')"
    ).columns(Order.user_id, Order.client_order_id, Order.id),
}


def _user_id_bind(dialect: Dialect) -> Callable[[uuid.UUID], object]:
    """A user id as `dialect` stores it."""
    process = Order.__table__.c.user_id.type.bind_processor(dialect)
    return (lambda value: value) if process is None else process


def _refuse(code: str, detail: str, field: str | None = None, **extra: object) -> Unprocessable:
    errors = [FieldError(field, detail, code.split(".")[-1])] if field else []
    return Unprocessable(code=code, detail=detail, errors=errors, extra=extra)


@dataclass(frozen=True, slots=True)
class TradingLimits:
    """The limits a user's orders are checked against: the venue's, with the user's own."""

    max_order_notional: int
    exposure: Limits


async def trading_limits(
    session: AsyncSession, settings: Settings, user_id: uuid.UUID
) -> TradingLimits:
    """The user's limits in force: each of the user's overrides, else the venue's."""
    own = await session.get(UserLimits, user_id)
    venue = TradingLimits(
        settings.trading_max_order_notional,
        Limits(
            settings.trading_max_position_percent,
            settings.trading_max_issuer_exposure,
            settings.trading_rating_limits,
        ),
    )
    if own is None:
        return venue
    return TradingLimits(
        own.max_order_notional or venue.max_order_notional,
        Limits(
            own.max_position_percent or venue.exposure.max_position_percent,
            own.max_issuer_exposure or venue.exposure.max_issuer_exposure,
            {**venue.exposure.rating_limits, **own.rating_limits},
        ),
    )


class LimitsAdmin:
    """Per-user trading limits (admins set them, compliance reads them); never commits."""

    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self._session = session
        self._settings = settings

    async def view(self, user_id: uuid.UUID) -> TradingLimitsOut:
        """A user's own limits and those in force."""
        own = await self._session.get(UserLimits, user_id)
        in_force = await trading_limits(self._session, self._settings, user_id)
        return TradingLimitsOut(
            user_id=user_id,
            own=None if own is None else TradingLimitsSet.model_validate(own),
            max_order_notional=in_force.max_order_notional,
            max_position_percent=in_force.exposure.max_position_percent,
            max_issuer_exposure=in_force.exposure.max_issuer_exposure,
            rating_limits=dict(in_force.exposure.rating_limits),
            updated_by=None if own is None else own.updated_by,
            updated_at=None if own is None else own.updated_at,
        )

    async def set(
        self, actor: Principal, user_id: uuid.UUID, body: TradingLimitsSet
    ) -> TradingLimitsOut:
        """Replace a user's own limits (all None and no rating limit: the venue's again)."""
        if await self._session.get(User, user_id) is None:
            raise not_found("user")
        own = await self._session.get(UserLimits, user_id)
        if body.is_empty:
            if own is not None:
                await self._session.delete(own)
        else:
            if own is None:
                own = UserLimits(user_id=user_id)
                self._session.add(own)
            own.max_order_notional = body.max_order_notional
            own.max_position_percent = body.max_position_percent
            own.max_issuer_exposure = body.max_issuer_exposure
            own.rating_limits = {bucket.value: v for bucket, v in body.rating_limits.items()}
            own.updated_by, own.updated_at = actor.user_id, utcnow()
        await self._session.flush()
        return await self.view(user_id)


class PreTradeChecks:
    """The checks an order passes before it reaches its book; never commits."""

    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self._session = session
        self._settings = settings
        # Memos for a batch of orders: what one order looked up, the next reuses.
        self._verified: set[uuid.UUID] = set()
        self._listings: dict[uuid.UUID, tuple[Instrument, Market, PriceBand]] = {}
        self._holdings: dict[uuid.UUID, dict[uuid.UUID, Holding]] = {}
        self._limits: dict[uuid.UUID, TradingLimits] = {}
        # (user, client_order_id) pairs looked up ahead for a batch: the order each names.
        self._client_order_ids: dict[tuple[uuid.UUID, str], uuid.UUID | None] = {}

    async def look_up_client_order_ids(
        self, user_id: uuid.UUID, orders: Collection[OrderCreate]
    ) -> None:
        """Find which of a batch's client order ids the user has used, in one statement, so
        each order's check need not ask."""
        pairs = {(user_id, order.client_order_id) for order in orders}
        used = await OrderService(self._session).used_client_order_ids(pairs)
        self._client_order_ids.update({pair: used.get(pair) for pair in pairs})

    async def prepare(
        self, principal: Principal, request: OrderCreate
    ) -> tuple[OrderTicket, Market]:
        """Run the pre-trade checks that need no lock; each refusal is a 4xx with its code."""
        if principal.user_id not in self._verified:
            await KycChecks(self._session).require_verified(principal.user_id)
            self._verified.add(principal.user_id)
        instrument, market, band = await self._listing(principal, request.instrument_id)
        now = utcnow()
        queued = self._outside_hours(instrument, market, now)
        quantity = request.quantity
        check_lot(instrument, quantity, "body.quantity")
        if request.display_quantity is not None:
            check_lot(instrument, request.display_quantity, "body.display_quantity")
        stop_ticks = (
            None
            if request.stop_price is None
            else to_ticks(request.stop_price, market.tick_size, "body.stop_price")
        )
        if request.order_type in (OrderKind.LIMIT, OrderKind.STOP_LIMIT):
            ticks = self._limit_ticks(market, request.side, request.price, request.yield_percent)
            band.check(ticks, "body.price")
        else:
            reference = stop_ticks if stop_ticks is not None else band.reference
            if reference is None:
                raise _refuse(
                    "order.no_reference_price",
                    "There is no reference price yet (no trade, no curve) to protect a market "
                    "order with; send a limit order.",
                    "body.order_type",
                )
            ticks = band.protection(request.side, reference)
        if stop_ticks is not None:
            band.check(stop_ticks, "body.stop_price")
        await self._check_notional(principal.user_id, instrument, market, quantity, ticks)
        expire_at = self._expiry(request, market, now)
        await self._ensure_new_client_order_id(principal.user_id, request.client_order_id)
        if request.side is OrderSide.SELL:
            ticket = OrderTicket(
                principal.user_id, request, ticks, stop_ticks, market.isin, quantity,
                expire_at, queued,
            )  # fmt: skip
            return ticket, market
        await self._check_exposure(principal.user_id, instrument, quantity)
        try:
            amount = market.buy_reservation(quantity, ticks, trade_date())
        except AnalyticsError as exc:
            raise _refuse(
                "order.instrument_not_tradable",
                f"{instrument.isin} cannot be priced for settlement now: {exc}",
            ) from exc
        ticket = OrderTicket(
            principal.user_id, request, ticks, stop_ticks, market.currency, amount,
            expire_at, queued,
        )  # fmt: skip
        return ticket, market

    async def prepare_replace(
        self, principal: Principal, order_id: uuid.UUID, change: OrderReplace
    ) -> tuple[ReplaceTicket, Market]:
        """Check a change to one of my orders: tick, lot, band and notional of the result."""
        order = await OrderService(self._session).order(principal.user_id, order_id)
        instrument, market, band = await self._listing(principal, order.instrument_id)
        if OrderKind(order.order_type) is not OrderKind.LIMIT:
            raise Conflict(
                code="order.not_replaceable", detail="Only limit orders can be replaced."
            )
        ticks: int | None = None
        if change.price is not None or change.yield_percent is not None:
            side = OrderSide(order.side)
            ticks = self._limit_ticks(market, side, change.price, change.yield_percent)
            band.check(ticks, "body.price")
        quantity = change.quantity
        if quantity is not None:
            check_lot(instrument, quantity, "body.quantity")
        await self._check_notional(
            principal.user_id,
            instrument,
            market,
            quantity or order.quantity,
            ticks if ticks is not None else order.price_ticks,
        )
        if quantity is not None and OrderSide(order.side) is OrderSide.BUY:
            await self._check_exposure(
                principal.user_id, instrument, max(0, quantity - order.quantity)
            )
        ticket = ReplaceTicket(principal.user_id, order.id, quantity, ticks, change.yield_percent)
        return ticket, market

    # -- the checks ------------------------------------------------------------------------

    async def _ensure_new_client_order_id(self, user_id: uuid.UUID, client_order_id: str) -> None:
        pair = user_id, client_order_id
        if pair not in self._client_order_ids:
            await OrderService(self._session).ensure_new_client_order_id(*pair)
        elif (existing := self._client_order_ids[pair]) is not None:
            raise duplicate_client_order_id(existing)

    async def _listing(
        self, principal: Principal, instrument_id: uuid.UUID
    ) -> tuple[Instrument, Market, PriceBand]:
        """A tradable instrument, its market and its price band (looked up once per batch)."""
        listing = self._listings.get(instrument_id)
        if listing is None:
            instrument = await InstrumentService(self._session).get(principal, instrument_id)
            require_tradable(instrument)
            market = await market_of(self._session, instrument)
            listing = instrument, market, await self._band(instrument, market)
            self._listings[instrument_id] = listing
        return listing

    @staticmethod
    def _outside_hours(instrument: Instrument, market: Market, now: datetime) -> bool:
        """False when the market is open; True when it is closed and orders queue for the
        open; a refusal when it is closed and they do not."""
        if market.hours.is_open(now):
            return False
        opens = market.hours.next_open(now)
        if instrument.queue_outside_hours:
            return True
        raise _refuse(
            "order.market_closed",
            f"{instrument.isin} trades from {instrument.session_open} to "
            f"{instrument.session_close} (Indian market time) on business days; "
            f"it next opens at {opens.isoformat()}.",
            next_open=opens.isoformat(),
        )

    @staticmethod
    def _limit_ticks(
        market: Market, side: OrderSide, price: Decimal | None, yield_percent: Decimal | None
    ) -> int:
        """The limit in ticks, from a clean price or a yield (rounded to the tick on the side
        that never gives the sender a worse yield)."""
        if price is not None:
            return to_ticks(price, market.tick_size)
        assert yield_percent is not None  # the schema requires one of them
        settles = market.settlement_date(trade_date())
        try:
            clean = bond_price(market.terms, settles, float(yield_percent) / 100).clean
        except AnalyticsError as exc:
            raise _refuse(
                "order.invalid_yield", f"No price for this yield: {exc}", "body.yield_percent"
            ) from exc
        rounding = ROUND_FLOOR if side is OrderSide.BUY else ROUND_CEILING
        if not math.isfinite(clean):
            raise _refuse("order.invalid_yield", "This yield gives no price.", "body.yield_percent")
        ticks = int((Decimal(repr(clean)) / market.tick_size).to_integral_value(rounding))
        if ticks <= 0:
            raise _refuse(
                "order.invalid_yield", "This yield gives no positive price.", "body.yield_percent"
            )
        return ticks

    async def _band(self, instrument: Instrument, market: Market) -> PriceBand:
        """The instrument's price band around its reference price (last trade, else the
        reference curve's fair value)."""
        state = await self._session.get(BookState, instrument.id)
        reference = None if state is None else state.last_price_ticks
        if reference is None and instrument.reference_curve:
            fair = await fair_clean_price(
                self._session,
                instrument,
                market.scale,
                instrument.reference_curve,
                market.settlement_date(trade_date()),
            )
            if fair is not None and fair > 0:
                reference = max(1, round(Decimal(repr(fair)) / market.tick_size))
        percent = instrument.price_band_percent
        return PriceBand(
            market,
            reference,
            percent,
            percent or self._settings.trading_market_protection_percent,
        )

    def _expiry(self, request: OrderCreate, market: Market, now: datetime) -> datetime | None:
        if request.time_in_force is OrderTif.DAY:
            return market.hours.day_expiry(now)
        if request.time_in_force is OrderTif.GTD:
            assert request.expire_at is not None  # the schema requires it
            if request.expire_at <= now:
                raise _refuse(
                    "order.expired_on_arrival", "expire_at is in the past.", "body.expire_at"
                )
            return request.expire_at
        return None

    async def _limits_of(self, user_id: uuid.UUID) -> TradingLimits:
        limits = self._limits.get(user_id)
        if limits is None:
            limits = self._limits[user_id] = await trading_limits(
                self._session, self._settings, user_id
            )
        return limits

    async def _check_notional(
        self, user_id: uuid.UUID, instrument: Instrument, market: Market, units: int, ticks: int
    ) -> None:
        """422 `order.max_notional_exceeded` if the order's clean consideration is above the
        user's limit or the instrument's, whichever is lower."""
        notional = _clean_notional(market, units, ticks)
        limit = (await self._limits_of(user_id)).max_order_notional
        if instrument.max_order_notional:
            limit = min(limit, instrument.max_order_notional)
        if notional > limit:
            raise _refuse(
                "order.max_notional_exceeded",
                f"This order's clean consideration ({notional} minor units) exceeds the "
                f"largest allowed ({limit}).",
                "body.quantity",
                limit=limit,
                notional=notional,
            )

    async def _check_exposure(self, user_id: uuid.UUID, instrument: Instrument, units: int) -> None:
        """Refuse a buy of `units` more that would breach a position or exposure limit; a buy
        that passes counts towards the next order's check in the same batch."""
        limits = (await self._limits_of(user_id)).exposure
        holdings = self._holdings.get(user_id)
        if holdings is None:
            holdings = self._holdings[user_id] = await self._load_holdings(user_id)
        buy = _holding(instrument, units)
        breach = check_buy(limits, holdings.values(), buy)
        if breach is not None:
            raise _refuse(
                breach.code, breach.detail, "body.quantity", limit=breach.limit, after=breach.after
            )
        held = holdings.get(instrument.id)
        holdings[instrument.id] = _holding(instrument, units + (held.units if held else 0))

    async def _load_holdings(self, user_id: uuid.UUID) -> dict[uuid.UUID, Holding]:
        """What the user holds (available, locked, or in their own wallet) and bids for, per
        bond."""
        held: dict[str, int] = defaultdict(int)
        for balance in await LedgerService(self._session).balances(user_id):
            if balance.bucket in _HELD and balance.scale == 0:
                held[balance.asset] += balance.balance
        bidding: dict[uuid.UUID, int] = {
            instrument_id: int(units)
            for instrument_id, units in (
                await self._session.execute(
                    select(Order.instrument_id, func.sum(Order.leaves_quantity))
                    .where(
                        Order.user_id == user_id,
                        Order.side == OrderSide.BUY.value,
                        Order.status.in_([state.value for state in OPEN_STATES]),
                    )
                    .group_by(Order.instrument_id)
                )
            ).all()
        }
        bonds = await InstrumentService(self._session).find(ids=bidding, isins=held)
        return {
            bond.id: _holding(bond, held.get(bond.isin, 0) + bidding.get(bond.id, 0))
            for bond in bonds
        }


#: A time range: from (inclusive) and to (exclusive), either open.
Period = tuple[datetime | None, datetime | None]


def in_period(column: SQLColumnExpression[datetime], period: Period) -> list[ColumnElement[bool]]:
    """Conditions keeping `column` inside `period`."""
    start, end = period
    return [
        *([column >= start] if start is not None else []),
        *([column < end] if end is not None else []),
    ]


class OrderService:
    """Order reads and the checks the writer repeats in its own transaction; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def ensure_new_client_order_id(self, user_id: uuid.UUID, client_order_id: str) -> None:
        """409 `order.duplicate_client_order_id` if the user already used this id."""
        existing = await self._session.scalar(
            select(Order.id).where(
                Order.user_id == user_id, Order.client_order_id == client_order_id
            )
        )
        if existing is not None:
            raise duplicate_client_order_id(existing)

    async def used_client_order_ids(
        self, candidates: Collection[tuple[uuid.UUID, str]]
    ) -> dict[tuple[uuid.UUID, str], uuid.UUID]:
        """Which of these (user, client_order_id) pairs name an order already, and which: one
        statement, one index lookup per pair."""
        if not candidates:
            return {}
        dialect = self._session.get_bind().dialect
        if dialect.name == "postgresql":
            params: dict[str, object] = {
                "user_ids": [user_id for user_id, _ in candidates],
                "client_order_ids": [client_order_id for _, client_order_id in candidates],
            }
        else:
            as_stored = _user_id_bind(dialect)
            params = {"pairs": json.dumps([[as_stored(u), c] for u, c in candidates])}
        rows = await self._session.execute(_USED_CLIENT_ORDER_IDS[dialect.name], params)
        return {(user_id, client_order_id): order_id for user_id, client_order_id, order_id in rows}

    async def open_instruments(
        self, user_id: uuid.UUID, instrument_id: uuid.UUID | None = None
    ) -> list[uuid.UUID]:
        """The instruments in which the user has open orders (of one, when given)."""
        query = select(Order.instrument_id).where(
            Order.user_id == user_id, Order.status.in_([state.value for state in OPEN_STATES])
        )
        if instrument_id is not None:
            query = query.where(Order.instrument_id == instrument_id)
        return list(await self._session.scalars(query.distinct()))

    async def last_trade_seq(self, instrument_id: uuid.UUID) -> int:
        """The sequence number of the instrument's latest trade (0 before its first)."""
        latest = await self._session.scalar(
            select(func.max(Trade.trade_seq)).where(Trade.instrument_id == instrument_id)
        )
        return int(latest or 0)

    async def trades_after(
        self, instrument_id: uuid.UUID, after_seq: int, *, limit: int
    ) -> list[Trade]:
        """The instrument's trades numbered after `after_seq`, oldest first, at most `limit`."""
        query = (
            select(Trade)
            .where(Trade.instrument_id == instrument_id, Trade.trade_seq > after_seq)
            .order_by(Trade.trade_seq)
            .limit(limit)
        )
        return list(await self._session.scalars(query))

    async def trades_by_id(self, trade_ids: Collection[uuid.UUID]) -> list[Trade]:
        """The trades with these ids (any user's: for the venue's own flows)."""
        if not trade_ids:
            return []
        return list(await self._session.scalars(select(Trade).where(Trade.id.in_(trade_ids))))

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
        period: Period = (None, None),
    ) -> tuple[list[Order], str | None]:
        """The user's orders, newest first, created in `period` (from inclusive, to exclusive)."""
        query = (
            select(Order)
            .where(Order.user_id == user_id, *in_period(Order.created_at, period))
            .order_by(Order.id.desc())
        )
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
            query = query.where(Order.status.in_([state.value for state in OPEN_STATES]))
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
        side: OrderSide | None = None,
        period: Period = (None, None),
    ) -> tuple[list[TradeOut], str | None]:
        """The user's fills, newest first, each seen from the user's side; `side` keeps only
        the user's buys or sells, `period` the trades done in it (from inclusive, to exclusive)."""
        mine = {
            None: or_(Trade.buyer_id == user_id, Trade.seller_id == user_id),
            OrderSide.BUY: Trade.buyer_id == user_id,
            OrderSide.SELL: Trade.seller_id == user_id,
        }[side]
        query = (
            select(Trade)
            .where(mine, *in_period(Trade.created_at, period))
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


@dataclass(frozen=True, slots=True)
class PriceBand:
    """How far from the reference an order may be priced, and where market orders stop."""

    market: Market
    reference: int | None  # ticks
    percent: Decimal | None  # None: no band
    protection_percent: Decimal  # market orders: the band, else the venue's protection

    def check(self, ticks: int, field: str) -> None:
        """422 `order.price_out_of_band` if `ticks` lies outside the band."""
        if self.reference is None or self.percent is None:
            return
        low, high = self._edges(self.reference, self.percent)
        if not low <= ticks <= high:
            clean = self.market.clean_price
            raise _refuse(
                "order.price_out_of_band",
                f"The price must lie within {self.percent}% of the reference price "
                f"{clean(self.reference)}: from {clean(low)} to {clean(high)}.",
                field,
                low=str(clean(low)),
                high=str(clean(high)),
            )

    def protection(self, side: OrderSide, reference: int) -> int:
        """The worst price a market order (or triggered stop) may trade at."""
        low, high = self._edges(reference, self.protection_percent)
        return high if side is OrderSide.BUY else low

    @staticmethod
    def _edges(reference: int, percent: Decimal) -> tuple[int, int]:
        """The band's edges in ticks, rounded inwards (never wider than `percent`)."""
        width = Decimal(reference) * percent / 100
        low = int((reference - width).to_integral_value(ROUND_CEILING))
        high = int((reference + width).to_integral_value(ROUND_FLOOR))
        return max(1, low), high


def require_tradable(
    instrument: Instrument, field: str = "body.instrument_id", prefix: str = "order"
) -> None:
    """422 `{prefix}.instrument_not_tradable` unless the bond is listed, or
    `{prefix}.instrument_matured` once it has matured."""
    if InstrumentStatus(instrument.status) not in _TRADABLE:
        raise _refuse(
            f"{prefix}.instrument_not_tradable",
            f"{instrument.isin} is {instrument.status}; it cannot be traded now.",
            field,
        )
    if instrument.maturity_date <= trade_date():
        raise _refuse(
            f"{prefix}.instrument_matured",
            f"{instrument.isin} matured on {instrument.maturity_date}.",
            field,
        )


def check_lot(instrument: Instrument, quantity: int, field: str, prefix: str = "order") -> None:
    """422 `{prefix}.invalid_lot` unless `quantity` is a whole number of the bond's lots."""
    if quantity < instrument.min_lot or (quantity - instrument.min_lot) % instrument.lot_increment:
        raise _refuse(
            f"{prefix}.invalid_lot",
            f"Quantities must be at least {instrument.min_lot} units and go up in steps of "
            f"{instrument.lot_increment}.",
            field,
        )


def _clean_notional(market: Market, units: int, ticks: int) -> int:
    """Clean consideration of `units` at `ticks`, in minor units (rounded up)."""
    face = Fraction(market.terms.face_value) * 10**market.scale
    amount: Fraction = units * face * Fraction(market.clean_price(ticks)) / 100
    return -(-amount.numerator // amount.denominator)


def _holding(instrument: Instrument, units: int) -> Holding:
    return Holding(
        instrument_id=instrument.id,
        issuer_id=instrument.issuer_id,
        rating_bucket=rating_bucket(instrument.credit_rating),
        face_value=instrument.face_value,
        issue_size_units=instrument.issue_size_units,
        units=units,
    )


def _my_side(trade: Trade, user_id: uuid.UUID) -> TradeOut:
    buying = trade.buyer_id == user_id
    side = OrderSide.BUY if buying else OrderSide.SELL
    return TradeOut(
        id=trade.id,
        instrument_id=trade.instrument_id,
        venue=Venue(trade.venue),
        order_id=trade.buy_order_id if buying else trade.sell_order_id,
        rfq_id=trade.venue_ref if trade.venue == Venue.RFQ else None,
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
        settles_on_chain=trade.settles_on_chain,
        created_at=trade.created_at,
    )
