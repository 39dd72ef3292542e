"""Trades not yet settled, for readers outside trading (the corporate actions' register).

A trade moves units in the ledger when it executes but settles on its `settlement_date`
(T+cycle). Whoever needs holdings *as settled* on a date takes the ledger's holdings and
undoes the deliveries of the trades that settle after it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.trading.models import Trade


async def units_settling_after(
    session: AsyncSession, instrument_id: uuid.UUID, day: date
) -> dict[uuid.UUID, int]:
    """Net units each user received (bought minus sold) in the instrument's trades that
    settle after `day`; users whose trades net to zero are left out."""
    net: dict[uuid.UUID, int] = defaultdict(int)
    for party, sign in ((Trade.buyer_id, 1), (Trade.seller_id, -1)):
        rows = await session.execute(
            select(party, func.sum(Trade.quantity))
            .where(Trade.instrument_id == instrument_id, Trade.settlement_date > day)
            .group_by(party)
        )
        for user_id, units in rows:
            net[user_id] += sign * int(units)
    return {user_id: units for user_id, units in net.items() if units}
