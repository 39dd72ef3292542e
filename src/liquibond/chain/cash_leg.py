"""The cash leg of trades whose units deliver on chain (hybrid settlement).

Such a trade moves the buyer's cash and units in the ledger when it executes, but the
seller's proceeds land in its `settling` bucket, not its available cash. They wait there for
the chain: when the trade's instruction is settled (or written off by operations) they are
paid to the seller; when it is unwound they go back to the buyer with the fees, and the buyer's
units go back to the seller, in one compensating entry. :func:`advance` is the one place an
instruction's status changes, so the cash always follows it, in the same transaction.

Trades executed before their bond was tokenized settled in full when they executed
(`settles_on_chain` false): their instructions move no cash.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.chain.lifecycle import SettlementStatus, SettlementStep, next_settlement_status
from liquibond.chain.models import ChainSettlement
from liquibond.instruments.service import InstrumentService
from liquibond.ledger.entries import FEES, AccountKey, EntryDraft, Leg, Owner
from liquibond.ledger.models import Bucket
from liquibond.ledger.service import LedgerService
from liquibond.platform.transitions import apply_step
from liquibond.trading.models import Trade
from liquibond.trading.service import OrderService

#: Statuses in which the chain delivered the units (or operations say it happened elsewhere).
_DELIVERED = frozenset({SettlementStatus.SETTLED, SettlementStatus.WRITTEN_OFF})


async def advance(
    session: AsyncSession,
    rows: Sequence[ChainSettlement],
    step: SettlementStep,
    **changes: object,
) -> None:
    """Move settlement instructions along their lifecycle (the one place their status
    changes) and move the cash that waited on them: a delivered trade pays its seller, an
    unwound one is reversed. Raises :class:`InsufficientFunds` (changing nothing in the
    ledger) if an unwind finds the buyer without the units to give back."""
    paid, unwound = [], []
    for row in rows:
        target = next_settlement_status(SettlementStatus(row.status), step)
        apply_step(row, target, step, code="chain.settlement_state", noun="settlement", **changes)
        if target is SettlementStatus.SETTLED:
            row.settled_at = row.updated_at
        if target in _DELIVERED:
            paid.append(row)
        elif target is SettlementStatus.UNWOUND:
            unwound.append(row)
    await _move_cash(session, paid, unwound)


async def _move_cash(
    session: AsyncSession, paid: Sequence[ChainSettlement], unwound: Sequence[ChainSettlement]
) -> None:
    trades = await OrderService(session).trades_by_id([row.trade_id for row in [*paid, *unwound]])
    held = {trade.id: trade for trade in trades if trade.settles_on_chain}
    if not held:
        return
    instruments = {
        i.id: i.isin
        for i in await InstrumentService(session).find(
            ids=list({trade.instrument_id for trade in held.values()})
        )
    }
    drafts = [_payment(held[row.trade_id]) for row in paid if row.trade_id in held] + [
        _reversal(held[row.trade_id], instruments[held[row.trade_id].instrument_id])
        for row in unwound
        if row.trade_id in held
    ]
    ledger = LedgerService(session)
    # A confirmation repeated after its instruction was somehow put back pays nobody twice.
    done = await ledger.posted([draft.reference for draft in drafts if draft.reference])
    batch = ledger.batch()
    for draft in drafts:
        if draft.reference not in done:
            await batch.post(draft)
    await batch.write()


def _proceeds(trade: Trade) -> int:
    return trade.dirty_amount - trade.seller_fee


def _payment(trade: Trade) -> EntryDraft:
    """The seller's proceeds, settling until now, paid."""
    seller = Owner.user(trade.seller_id)
    return EntryDraft(
        kind="trade_settlement",
        description=f"Proceeds of trade {trade.trade_seq}: delivered on chain",
        legs=(
            Leg(AccountKey(seller, trade.currency, Bucket.SETTLING), -_proceeds(trade)),
            Leg(AccountKey(seller, trade.currency, Bucket.AVAILABLE), _proceeds(trade)),
        ),
        reference=f"chain:{trade.id}:paid",
    )


def _reversal(trade: Trade, isin: str) -> EntryDraft:
    """The trade undone: the buyer's cash and fee back, the seller's fee back (from the
    proceeds it never received), the units back to the seller."""
    buyer, seller = Owner.user(trade.buyer_id), Owner.user(trade.seller_id)
    fees = trade.buyer_fee + trade.seller_fee
    legs = (
        Leg(AccountKey(seller, trade.currency, Bucket.SETTLING), -_proceeds(trade)),
        Leg(AccountKey(FEES, trade.currency, Bucket.SYSTEM), -fees),
        Leg(
            AccountKey(buyer, trade.currency, Bucket.AVAILABLE),
            trade.dirty_amount + trade.buyer_fee,
        ),
        Leg(AccountKey(buyer, isin, Bucket.AVAILABLE), -trade.quantity),
        Leg(AccountKey(seller, isin, Bucket.AVAILABLE), trade.quantity),
    )
    return EntryDraft(
        kind="trade_unwind",
        description=f"Trade {trade.trade_seq} unwound: its units never delivered on chain",
        legs=tuple(leg for leg in legs if leg.amount),
        reference=f"chain:{trade.id}:unwound",
    )
