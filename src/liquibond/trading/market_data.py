"""Public market data: the L2 book, the tape, candles and the ticker of a public instrument.

The book is read from its writer's in-memory :class:`~liquibond.trading.engine.Book` as of
its last commit (:meth:`~liquibond.trading.runner.BookWriter.depth` waits out a commit in
flight). Everything else is read from the committed `trades` table.

Candles are aggregated by the database in one query that runs on SQLite and PostgreSQL, over
a window refused beyond :data:`MAX_CANDLES` intervals. Intervals are aligned on Indian market
time, so a daily candle is a trade date and hourly candles start on the hour in IST.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, Row, and_, extract, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from liquibond.analytics import AnalyticsError, bond_yield
from liquibond.instruments.lifecycle import PUBLIC_STATUSES
from liquibond.instruments.models import Instrument, InstrumentStatus
from liquibond.instruments.service import InstrumentService
from liquibond.platform.db import canonical_decimal, utcnow
from liquibond.platform.errors import FieldError, Unprocessable
from liquibond.platform.schemas import as_int, cursor_value, encode_cursor
from liquibond.trading.engine import DepthLevel
from liquibond.trading.models import Trade
from liquibond.trading.runner import BookHalted, BookWriter, Trading, elsewhere
from liquibond.trading.schemas import (
    BookLevel,
    Candle,
    CandleInterval,
    CandlesOut,
    OrderBookOut,
    PublicTradeOut,
    TickerOut,
)
from liquibond.trading.service import market_of
from liquibond.valuation.service import MARKET_TIME, trade_date

#: Most price levels per side a book request may ask for.
MAX_DEPTH = 100
#: Most intervals one candles request may cover.
MAX_CANDLES = 1_000
#: Intervals a candles request covers when it gives no `from`.
DEFAULT_CANDLES = 100
TICKER_WINDOW = timedelta(hours=24)
#: An instrument's last 24 hours: id, first trade_seq, high, low, volume, trades.
_DayRow = Row[uuid.UUID, int, Decimal, Decimal, int, int]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Seconds from UTC to market time: candles start on market-time boundaries.
_MARKET_OFFSET = int(MARKET_TIME.utcoffset(None).total_seconds())


@dataclass(frozen=True, slots=True)
class CandleWindow:
    """The whole intervals a candles request covers: `start` inclusive, `end` exclusive."""

    interval: CandleInterval
    start: datetime
    end: datetime

    @classmethod
    def of(
        cls, interval: CandleInterval, from_: datetime | None, to: datetime | None
    ) -> CandleWindow:
        """`from` rounded down and `to` rounded up to the interval (`to` defaults to now, `from`
        to :data:`DEFAULT_CANDLES` intervals before); 422 if empty or too long."""
        width = interval.width
        try:
            end = _align(to or utcnow(), width, up=True)
            start = _align(from_, width) if from_ is not None else end - DEFAULT_CANDLES * width
        except OverflowError:  # within an interval of year 1 or year 9999
            start = end = _EPOCH
        if start >= end:
            raise Unprocessable(
                code="candles.invalid_range",
                detail="`from` must be before `to`, both within years 1 to 9999.",
                errors=[FieldError("query.from", "not before `to`", "invalid_range")],
            )
        if (end - start) / width > MAX_CANDLES:
            raise Unprocessable(
                code="candles.range_too_large",
                detail=f"At most {MAX_CANDLES:,} {interval.value} candles are returned per "
                "request; narrow `from` and `to` or use a wider interval.",
                errors=[FieldError("query.from", "too many intervals", "range_too_large")],
                extra={"max_candles": MAX_CANDLES},
            )
        return cls(interval, start, end)


def _align(moment: datetime, width: timedelta, *, up: bool = False) -> datetime:
    """The start of the market-time interval holding `moment` (its end if `up` and `moment` is
    not on a boundary)."""
    seconds = int(width.total_seconds())
    elapsed = (moment - _EPOCH) // timedelta(seconds=1)
    into = (elapsed + _MARKET_OFFSET) % seconds
    if up and (into or moment > _EPOCH + timedelta(seconds=elapsed)):
        into -= seconds
    return _EPOCH + timedelta(seconds=elapsed - into)


def _level(writer: BookWriter, level: DepthLevel) -> BookLevel:
    return BookLevel(
        price=canonical_decimal(writer.market.clean_price(level.price)),
        price_ticks=level.price,
        quantity=level.qty,
        orders=level.count,
    )


class MarketData:
    """Public market data of instruments anyone may see; reads only."""

    def __init__(self, session: AsyncSession, trading: Trading) -> None:
        self._session = session
        self._trading = trading

    async def book(self, instrument_id: uuid.UUID, depth: int) -> OrderBookOut:
        """Up to `depth` price levels per side, best first."""
        instrument = await self._instrument(instrument_id)
        writer = self._writer(instrument.id)
        if writer is None:
            if self._trading.held_elsewhere(instrument.id):
                raise elsewhere(instrument.isin)
            return OrderBookOut(instrument_id=instrument.id, sequence=0, bids=[], asks=[])
        sequence, levels = await writer.depth(depth)
        return OrderBookOut(
            instrument_id=instrument.id,
            sequence=sequence,
            bids=[_level(writer, level) for level in levels.bids],
            asks=[_level(writer, level) for level in levels.asks],
        )

    async def trades(
        self, instrument_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> tuple[list[PublicTradeOut], str | None]:
        """The tape, newest first."""
        instrument = await self._instrument(instrument_id)
        query = (
            select(Trade)
            .where(Trade.instrument_id == instrument.id)
            .order_by(Trade.trade_seq.desc())
        )
        before = cursor_value(cursor, "before", as_int)
        if before is not None:
            query = query.where(Trade.trade_seq < before)
        rows = list(await self._session.scalars(query.limit(limit + 1)))
        next_cursor = (
            encode_cursor({"before": rows[limit - 1].trade_seq}) if len(rows) > limit else None
        )
        return [PublicTradeOut.model_validate(row) for row in rows[:limit]], next_cursor

    async def candles(self, instrument_id: uuid.UUID, window: CandleWindow) -> CandlesOut:
        """OHLCV of every interval of the window that had a trade, oldest first."""
        instrument = await self._instrument(instrument_id)
        seconds = int(window.interval.width.total_seconds())
        epoch = extract("epoch", Trade.created_at)  # whole seconds on SQLite, exact on PostgreSQL
        traded = (
            select(
                (epoch - (epoch + _MARKET_OFFSET) % seconds).label("start"),
                Trade.trade_seq,
                Trade.price,
                Trade.quantity,
            )
            .where(
                Trade.instrument_id == instrument.id,
                Trade.created_at >= window.start,
                Trade.created_at < window.end,
            )
            .subquery()
        )
        buckets = (
            select(
                traded.c.start,
                func.min(traded.c.trade_seq).label("first"),
                func.max(traded.c.trade_seq).label("last"),
                func.max(traded.c.price).label("high"),
                func.min(traded.c.price).label("low"),
                func.sum(traded.c.quantity).label("volume"),
                func.count().label("trades"),
            )
            .group_by(traded.c.start)
            .subquery()
        )
        opening, closing = aliased(Trade), aliased(Trade)
        rows = await self._session.execute(
            select(buckets, opening.price.label("open"), closing.price.label("close"))
            .join(opening, _trade_at(opening, instrument.id, buckets.c.first))
            .join(closing, _trade_at(closing, instrument.id, buckets.c.last))
            .order_by(buckets.c.start)
        )
        candles = [
            Candle(
                start=_EPOCH + timedelta(seconds=int(row.start)),  # PostgreSQL: a whole Decimal
                open=row.open,
                high=row.high,
                low=row.low,
                close=row.close,
                volume=int(row.volume),
                trades=row.trades,
            )
            for row in rows
        ]
        return CandlesOut(
            instrument_id=instrument.id,
            interval=window.interval,
            from_=window.start,
            to=window.end,
            candles=candles,
        )

    async def ticker(self, instrument_id: uuid.UUID) -> TickerOut:
        """Last trade, the last 24 hours' figures, the top of the book and the yield at last."""
        return (await self._tickers([await self._instrument(instrument_id)]))[0]

    async def tickers(self, instrument_ids: Collection[uuid.UUID] = ()) -> list[TickerOut]:
        """The tickers of these public instruments (unknown and draft ids are left out), or of
        every instrument that is listed or suspended; in ISIN order."""
        if instrument_ids:
            found = await InstrumentService(self._session).find(ids=instrument_ids)
            instruments = [row for row in found if InstrumentStatus(row.status) in PUBLIC_STATUSES]
        else:
            instruments = await InstrumentService(self._session).on_market()
        return await self._tickers(sorted(instruments, key=lambda row: row.isin))

    async def _tickers(self, instruments: list[Instrument]) -> list[TickerOut]:
        """Tickers in three queries whatever the number of instruments."""
        ids = [row.id for row in instruments]
        if not ids:
            return []
        now = utcnow()
        newest = (
            select(Trade.instrument_id, func.max(Trade.trade_seq).label("trade_seq"))
            .where(Trade.instrument_id.in_(ids))
            .group_by(Trade.instrument_id)
            .subquery()
        )
        lasts = {
            trade.instrument_id: trade
            for trade in await self._session.scalars(
                select(Trade).join(
                    newest, _trade_at(Trade, newest.c.instrument_id, newest.c.trade_seq)
                )
            )
        }
        days = {
            row.instrument_id: row
            for row in await self._session.execute(
                select(
                    Trade.instrument_id,
                    func.min(Trade.trade_seq).label("first"),
                    func.max(Trade.price).label("high"),
                    func.min(Trade.price).label("low"),
                    func.coalesce(func.sum(Trade.quantity), 0).label("volume"),
                    func.count().label("trades"),
                )
                .where(Trade.instrument_id.in_(ids), Trade.created_at >= now - TICKER_WINDOW)
                .group_by(Trade.instrument_id)
            )
        }
        opens: dict[uuid.UUID, Decimal] = {}
        if days:
            rows = await self._session.execute(
                select(Trade.instrument_id, Trade.price).where(
                    or_(*(_trade_at(Trade, key, day.first) for key, day in days.items()))
                )
            )
            opens = dict(rows.all())
        return [
            await self._ticker(row, lasts.get(row.id), days.get(row.id), opens.get(row.id), now)
            for row in instruments
        ]

    async def _ticker(
        self,
        instrument: Instrument,
        last: Trade | None,
        day: _DayRow | None,
        opened: Decimal | None,
        now: datetime,
    ) -> TickerOut:
        change = None if last is None or opened is None else last.price - opened
        bid, ask = await self._top(instrument.id)
        return TickerOut(
            instrument_id=instrument.id,
            last_price=None if last is None else last.price,
            last_price_ticks=None if last is None else last.price_ticks,
            last_quantity=None if last is None else last.quantity,
            last_trade_at=None if last is None else last.created_at,
            open_24h=opened,
            high_24h=None if day is None else day.high,
            low_24h=None if day is None else day.low,
            change_24h=None if change is None else canonical_decimal(change),
            change_percent_24h=(
                None if change is None or opened is None else float(change / opened * 100)
            ),
            volume_24h=0 if day is None else int(day.volume),
            trades_24h=0 if day is None else day.trades,
            best_bid=bid,
            best_ask=ask,
            last_yield=None if last is None else await self._yield(instrument, last.price),
            as_of=now,
        )

    # -- helpers ---------------------------------------------------------------------------

    async def _instrument(self, instrument_id: uuid.UUID) -> Instrument:
        """A public instrument (listed, or listed once); drafts and unknown ids are 404."""
        return await InstrumentService(self._session).get(None, instrument_id)

    def _writer(self, instrument_id: uuid.UUID) -> BookWriter | None:
        """The instrument's book writer; None if its book never had an order (it is empty).
        503 `trading.book_halted` if the book does not match its last commit."""
        writer = self._trading.writers().get(instrument_id)
        if writer is not None and writer.halted is not None:
            raise BookHalted(code="trading.book_halted", detail=writer.halted)
        return writer

    async def _top(self, instrument_id: uuid.UUID) -> tuple[BookLevel | None, BookLevel | None]:
        """The best bid and ask levels."""
        writer = self._writer(instrument_id)
        if writer is None:
            return None, None
        _, top = await writer.depth(1)
        return (
            _level(writer, top.bids[0]) if top.bids else None,
            _level(writer, top.asks[0]) if top.asks else None,
        )

    async def _yield(self, instrument: Instrument, price: Decimal) -> float | None:
        """Yield in percent at `price` for settlement of a trade done today; None where the
        analytics core cannot value the bond (a zero coupon, settlement past maturity...)."""
        try:
            market = await market_of(self._session, instrument)
            settles = market.settlement_date(trade_date())
            return bond_yield(market.terms, settles, float(price)) * 100
        except (AnalyticsError, Unprocessable):
            return None


def _trade_at(trade: type[Trade], instrument_id: object, trade_seq: object) -> ColumnElement[bool]:
    """The trade of an instrument with a given sequence number (the unique index's key)."""
    return and_(trade.instrument_id == instrument_id, trade.trade_seq == trade_seq)
