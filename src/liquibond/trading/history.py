"""One user's trade history, as the portfolio reads it: fills oldest first, and last prices.

Reads only, over the committed `trades` table; every fill is seen from the user's side.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.platform.errors import not_found
from liquibond.trading.models import OrderSide, Trade


@dataclass(frozen=True, slots=True)
class Fill:
    """My side of one trade; amounts in minor units of `currency`, `fee` is mine."""

    trade_id: uuid.UUID
    instrument_id: uuid.UUID
    trade_seq: int
    side: OrderSide
    liquidity: str  # "maker" or "taker"
    price: Decimal  # clean, per 100 of face
    quantity: int
    currency: str
    clean_amount: int
    accrued_interest: int
    dirty_amount: int
    fee: int
    trade_date: date
    settlement_date: date
    journal_entry_id: uuid.UUID
    created_at: datetime


def _sides(trade: Trade, user_id: uuid.UUID) -> list[Fill]:
    """The user's fills of a trade: one, or two if the user was on both sides."""
    fills = []
    for side, party, fee in (
        (OrderSide.BUY, trade.buyer_id, trade.buyer_fee),
        (OrderSide.SELL, trade.seller_id, trade.seller_fee),
    ):
        if party != user_id:
            continue
        fills.append(
            Fill(
                trade_id=trade.id,
                instrument_id=trade.instrument_id,
                trade_seq=trade.trade_seq,
                side=side,
                liquidity="taker" if trade.aggressor_side == side.value else "maker",
                price=trade.price,
                quantity=trade.quantity,
                currency=trade.currency,
                clean_amount=trade.clean_amount,
                accrued_interest=trade.accrued_interest,
                dirty_amount=trade.dirty_amount,
                fee=fee,
                trade_date=trade.trade_date,
                settlement_date=trade.settlement_date,
                journal_entry_id=trade.journal_entry_id,
                created_at=trade.created_at,
            )
        )
    return fills


async def fills(
    session: AsyncSession, user_id: uuid.UUID, instrument_ids: Collection[uuid.UUID]
) -> list[Fill]:
    """The user's fills in some instruments, each instrument's in its book's order."""
    query = (
        select(Trade)
        .where(
            or_(Trade.buyer_id == user_id, Trade.seller_id == user_id),
            Trade.instrument_id.in_(list(instrument_ids)),
        )
        .order_by(Trade.instrument_id, Trade.trade_seq)
    )
    return [fill for trade in await session.scalars(query) for fill in _sides(trade, user_id)]


async def fill(session: AsyncSession, user_id: uuid.UUID, trade_id: uuid.UUID) -> Fill:
    """My side of one of my trades (404 `trade.not_found` for anyone else's)."""
    trade = await session.get(Trade, trade_id)
    mine = [] if trade is None else _sides(trade, user_id)
    if not mine:
        raise not_found("trade")
    return mine[0]


async def last_prices(
    session: AsyncSession, instrument_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Decimal]:
    """The clean price of each instrument's last trade (instruments never traded are absent)."""
    if not instrument_ids:
        return {}
    last = (
        select(Trade.instrument_id, func.max(Trade.trade_seq).label("seq"))
        .where(Trade.instrument_id.in_(list(instrument_ids)))
        .group_by(Trade.instrument_id)
        .subquery()
    )
    rows = await session.execute(
        select(Trade.instrument_id, Trade.price).join(
            last, (Trade.instrument_id == last.c.instrument_id) & (Trade.trade_seq == last.c.seq)
        )
    )
    return {row.instrument_id: row.price for row in rows}
