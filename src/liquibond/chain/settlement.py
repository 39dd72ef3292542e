"""The settlement saga and reconciliation: trades in tokenized bonds settle their token leg on
chain, in DvP batches; a reconciliation compares every wallet's tokens with its ledger holdings.

A trade moves the buyer's cash and units in the ledger when it executes (the ledger is the
book of record), but the seller's proceeds wait, settling, until its token leg is delivered
on chain; an instruction out of tries is unwound (:mod:`liquibond.chain.cash_leg`). Each run
of :func:`settle_due`, under the chain lock:

1. finds what happened to instructions a previous run submitted but never heard back about
   (a dropped confirmation, a crash): the chain says whether their settlement id is spent;
2. gives every new trade of each tokenized bond an instruction, in trade order;
3. sends the pending ones, oldest first, in one transaction (hybrid mode: bond only): netted
   per participant into the fewest deliveries (`settleNet`, spending one id for the batch),
   or trade by trade (`settleBatch`, one id each) when netting is off, and confirms them from
   the receipt. A batch that reverts is tried one trade at a time, so one bad trade does not
   hold up the others; an instruction out of tries fails into the breaks queue.

Every step is committed before the chain call that follows it, and the DvP spends each
settlement id at most once, so a repeated, reordered or lost confirmation never settles a
trade twice or leaves it half done."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from eth_utils.crypto import keccak
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.chain.cash_leg import advance
from liquibond.chain.cash_token import cash_token, fund, sweep
from liquibond.chain.custody import self_custody_differences, units_leaving
from liquibond.chain.lifecycle import (
    IN_FLIGHT,
    SettlementStatus,
    SettlementStep,
    after_revert,
)
from liquibond.chain.models import ChainBreak, ChainSettlement, TokenizedBond
from liquibond.chain.netting import Delivery, Leg, net
from liquibond.chain.port import MAX_EVENT_SPAN, Address, Call, TransactionReverted
from liquibond.chain.service import (
    MAX_INSTRUCTIONS,
    MAX_NETTED_TRADES,
    ChainComponents,
    list_unlisted,
)
from liquibond.chain.venue import MAX_BATCH
from liquibond.instruments.service import InstrumentService
from liquibond.ledger.service import InsufficientFunds, LedgerService
from liquibond.platform.audit import record_audit
from liquibond.platform.db import utcnow
from liquibond.platform.errors import Conflict, Unprocessable, not_found
from liquibond.platform.uow import UnitOfWork
from liquibond.trading.service import OrderService

log = structlog.get_logger(__name__)

_ZERO = Address("0x" + "00" * 20)


def settlement_id(trade_id: uuid.UUID) -> bytes:
    """The DvP settlement id of a trade: its id, so the chain settles each trade once."""
    return trade_id.bytes.rjust(32, b"\0")


@dataclass(frozen=True, slots=True)
class RunReport:
    """What one run of the settlement job did."""

    instructed: int = 0
    settled: int = 0
    retried: int = 0
    failed: int = 0

    def __add__(self, other: RunReport) -> RunReport:
        return RunReport(
            self.instructed + other.instructed,
            self.settled + other.settled,
            self.retried + other.retried,
            self.failed + other.failed,
        )


async def settle_due(chain: ChainComponents) -> RunReport:
    """One run of the settlement saga (see the module docstring)."""
    async with chain.lock:
        if chain.network_id is None:
            return RunReport()
        settled = await _recover_submitted(chain)
        instructed = await _instruct_new_trades(chain)
        report = await _settle_pending(chain)
    if chain.metrics is not None:
        chain.metrics.settled.inc(settled + report.settled)
        chain.metrics.failed.inc(report.failed)
    return RunReport(instructed, settled + report.settled, report.retried, report.failed)


async def _recover_submitted(chain: ChainComponents) -> int:
    async with UnitOfWork(chain.database, write=False) as uow:
        stranded = await _in_status(uow.session, [SettlementStatus.SUBMITTED])
    if not stranded:
        return 0
    if _on_chain_cash(chain):  # a run cut off between funding and sweeping its cash legs
        async with UnitOfWork(chain.database, write=False) as uow:
            people = {p for row in stranded for p in (row.seller_id, row.buyer_id)}
            found_wallets = await chain.service(uow.session).find_custodial(people)
        for token in (await _cash_tokens(chain)).values():
            await sweep(chain.venue, token, [Address(w.address) for w in found_wallets.values()])
    spent = {row.id: await _is_spent(chain, _spent_id(row)) for row in stranded}
    found = await _find_transactions(chain, [row for row in stranded if spent[row.id]])
    async with UnitOfWork(chain.database) as uow:
        for row in await _in_status(uow.session, [SettlementStatus.SUBMITTED]):
            if spent.get(row.id):
                tx_hash, block = found.get(_spent_id(row), (None, None))
                await advance(
                    uow.session, [row], SettlementStep.CONFIRM, tx_hash=tx_hash, block=block
                )
            elif row.id in spent:
                await _revert(uow.session, row, "no confirmation came")
        await uow.commit()
    return sum(spent.values())


async def _find_transactions(
    chain: ChainComponents, rows: Sequence[ChainSettlement]
) -> dict[bytes, tuple[str, int]]:
    """The transaction (hash and block) that spent each row's id, from the DvP's `Settled`
    and `NetSettled` events since the row was submitted (bounded block ranges, no scans)."""
    wanted = {_spent_id(row) for row in rows}
    if not wanted:
        return {}
    dvp = chain.venue.require_contracts().dvp
    latest = await chain.venue.chain.block_number()
    start = min(row.submitted_block or 0 for row in rows)
    found: dict[bytes, tuple[str, int]] = {}
    while start <= latest and len(found) < len(wanted):
        end = min(start + MAX_EVENT_SPAN - 1, latest)
        for event in await chain.venue.chain.events([dvp], start, end):
            spent = event.args.get("batchId") or event.args.get("settlementId")
            if event.name in ("Settled", "NetSettled") and isinstance(spent, str):
                key = bytes.fromhex(spent.removeprefix("0x"))
                if key in wanted:
                    found[key] = (event.tx_hash, event.block)
        start = end + 1
    return found


def _spent_id(row: ChainSettlement) -> bytes:
    """The id the instruction's last try spends: its netted batch's, else its trade's."""
    return bytes.fromhex(row.batch_id[2:]) if row.batch_id else settlement_id(row.trade_id)


async def _is_spent(chain: ChainComponents, spent_id: bytes) -> bool:
    dvp = chain.venue.require_contracts().dvp
    return bool(await chain.venue.chain.read(Call("DvP", dvp, "isSettled", (spent_id,))))


async def _instruct_new_trades(chain: ChainComponents) -> int:
    # Look before writing: on SQLite a writing unit of work takes the one write lock, which
    # the book writers need, and most runs find nothing to do.
    async with UnitOfWork(chain.database, write=False) as uow:
        trading = OrderService(uow.session)
        tokens = await chain.service(uow.session).tokens()
        due = [
            t
            for t in tokens
            if await trading.trades_after(t.instrument_id, t.instructed_trade_seq, limit=1)
        ]
    if not due:
        return 0
    async with UnitOfWork(chain.database) as uow:
        service = chain.service(uow.session)
        instructed = sum([await service.instruct(token) for token in await service.tokens()])
        await uow.commit()
    return instructed


async def _settle_pending(chain: ChainComponents) -> RunReport:
    async with UnitOfWork(chain.database, write=False) as uow:
        if not await _in_status(uow.session, [SettlementStatus.PENDING], limit=1):
            return RunReport()
    cash = await _cash_tokens(chain) if _on_chain_cash(chain) else {}
    netting = chain.settings.chain_settlement_netting and not cash
    async with UnitOfWork(chain.database) as uow:
        pending = await _in_status(
            uow.session,
            [SettlementStatus.PENDING],
            limit=MAX_NETTED_TRADES if netting else MAX_INSTRUCTIONS,
        )
        if not pending:
            return RunReport()
        tokens = {t.instrument_id: t for t in await chain.service(uow.session).tokens()}
        people = {row.seller_id for row in pending} | {row.buyer_id for row in pending}
        wallets = await chain.service(uow.session).custodial_wallets(
            people, chain.settings.chain_country
        )
        trades = (
            {
                t.id: t
                for t in await OrderService(uow.session).trades_by_id([r.trade_id for r in pending])
            }
            if cash
            else {}
        )
        legs = {
            row.id: (
                settlement_id(row.trade_id),
                Address(tokens[row.instrument_id].address),
                Address(wallets[row.seller_id].address),
                Address(wallets[row.buyer_id].address),
                row.quantity,
                *(
                    (cash[trades[row.trade_id].currency], trades[row.trade_id].dirty_amount)
                    if cash
                    else (_ZERO, 0)
                ),
            )
            for row in pending
        }
        order = [row.id for row in pending]
        deliveries = _netted(order, legs) if netting and len(order) > 1 else []
        while len(deliveries) > MAX_BATCH:  # too spread out for one transaction: fewer trades
            order = order[: len(order) // 2]
            deliveries = _netted(order, legs)
        batch = _batch_of(order, legs) if deliveries else None
        submitting = [row for row in pending if row.id in set(order)]
        await advance(
            uow.session,
            submitting,
            SettlementStep.SUBMIT,
            submitted_block=await chain.venue.chain.block_number(),
            batch_id=None if batch is None else "0x" + batch.hex(),
        )
        for row in submitting:
            row.attempts += 1
        await uow.commit()
    await list_unlisted(chain)  # a buyer new to the chain is listed before tokens reach it
    try:
        await _fund_cash_legs(chain, [legs[i] for i in order])
        if batch is not None:
            return await _send_netted(chain, order, legs, batch, deliveries)
        return await _send_batch(chain, order, legs)
    finally:
        await _sweep(chain, cash.values(), [legs[i] for i in order])


def _netted(
    order: Sequence[uuid.UUID], legs: Mapping[uuid.UUID, tuple[Any, ...]]
) -> list[Delivery]:
    """The legs of these instructions netted per participant into the fewest deliveries."""
    return net(Leg(legs[i][1], legs[i][2], legs[i][3], legs[i][4]) for i in order)


def _batch_of(order: Sequence[uuid.UUID], legs: Mapping[uuid.UUID, tuple[Any, ...]]) -> bytes:
    """The DvP id of these instructions netted together (see :func:`batch_id`)."""
    return batch_id(uuid.UUID(bytes=bytes(legs[i][0])[-16:]) for i in order)


async def _send_batch(
    chain: ChainComponents, order: Sequence[uuid.UUID], legs: Mapping[uuid.UUID, tuple[Any, ...]]
) -> RunReport:
    """Settle trade by trade in one `settleBatch` (one id each); if it reverts, one at a time."""
    contracts = chain.venue.require_contracts()
    call = Call("DvP", contracts.dvp, "settleBatch", ([legs[i] for i in order],))
    try:
        receipt = await chain.venue.chain.send(call, sender=contracts.operator)
    except TransactionReverted as reverted:
        if len(order) == 1:
            return await _record_revert(chain, order[0], reverted.reason)
        return await _settle_one_by_one(chain, order, legs)
    return await _record_settled(chain, order, receipt.tx_hash, receipt.block)


async def _send_netted(
    chain: ChainComponents,
    order: Sequence[uuid.UUID],
    legs: Mapping[uuid.UUID, tuple[Any, ...]],
    batch: bytes,
    deliveries: Sequence[Delivery],
) -> RunReport:
    """Settle a netted batch in one `settleNet`. If it reverts, each half is netted and sent on
    its own, and so on down to single trades: the trades that can settle do, and the few that
    cannot are found in a logarithmic number of tries, not one transaction per trade."""
    contracts = chain.venue.require_contracts()
    moves = [(d.token, d.sender, d.receiver, d.amount) for d in deliveries]
    call = Call("DvP", contracts.dvp, "settleNet", (batch, len(order), moves))
    try:
        receipt = await chain.venue.chain.send(call, sender=contracts.operator)
    except TransactionReverted as reverted:
        if len(order) == 1:
            return await _record_revert(chain, order[0], reverted.reason)
        middle = len(order) // 2
        report = RunReport()
        for half in (order[:middle], order[middle:]):
            report += await _retry_netted(chain, half, legs)
        return report
    return await _record_settled(chain, order, receipt.tx_hash, receipt.block)


async def _retry_netted(
    chain: ChainComponents, order: Sequence[uuid.UUID], legs: Mapping[uuid.UUID, tuple[Any, ...]]
) -> RunReport:
    """Send part of a reverted netted batch as a batch of its own (a single trade spends its
    own id), recording first which id its rows now try."""
    deliveries = _netted(order, legs)
    batch = _batch_of(order, legs) if len(order) > 1 else None
    async with UnitOfWork(chain.database) as uow:
        for row in await _by_ids(uow.session, order):
            row.batch_id = None if batch is None else "0x" + batch.hex()
        await uow.commit()
    if batch is None:
        return await _send_batch(chain, order, legs)
    return await _send_netted(chain, order, legs, batch, deliveries)


def _on_chain_cash(chain: ChainComponents) -> bool:
    return chain.settings.chain_settlement_mode == "onchain"


async def _cash_tokens(chain: ChainComponents) -> dict[str, Address]:
    """Each tokenized bond's currency's cash token (deployed the first time it is needed)."""
    assert chain.network_id is not None
    async with UnitOfWork(chain.database, write=False) as uow:
        tokens = await chain.service(uow.session).tokens()
        currencies = {
            instrument.currency
            for instrument in await InstrumentService(uow.session).find(
                ids=[t.instrument_id for t in tokens]
            )
        }
        ledger = LedgerService(uow.session)
        scales = {currency: (await ledger.asset(currency)).scale for currency in currencies}
    return {
        currency: await cash_token(chain.database, chain.venue, chain.network_id, currency, scale)
        for currency, scale in scales.items()
    }


async def _fund_cash_legs(chain: ChainComponents, legs: Iterable[tuple[Any, ...]]) -> None:
    """Give each buyer the cash tokens its legs pay, per currency (on-chain mode)."""
    needs: dict[Address, dict[Address, int]] = defaultdict(lambda: defaultdict(int))
    for *_, buyer, _units, cash, amount in legs:
        if amount:
            needs[cash][buyer] += amount
    for cash, wallets in needs.items():
        await fund(chain.venue, cash, wallets)


async def _sweep(
    chain: ChainComponents, cash_tokens: Iterable[Address], legs: Iterable[tuple[Any, ...]]
) -> None:
    """Burn the cash tokens the legs' wallets hold once their batch is over (on-chain mode)."""
    wallets = {wallet for leg in legs for wallet in (leg[2], leg[3])}
    for token in cash_tokens:
        await sweep(chain.venue, token, wallets)


def batch_id(trade_ids: Iterable[uuid.UUID]) -> bytes:
    """The DvP id of a netted batch: a hash of its trades' ids, so the same batch retried
    spends the same id, and a batch once settled is never settled again."""
    return keccak(b"".join(sorted(trade_id.bytes for trade_id in trade_ids)))


async def _settle_one_by_one(
    chain: ChainComponents, order: Sequence[uuid.UUID], legs: Mapping[uuid.UUID, tuple[Any, ...]]
) -> RunReport:
    contracts = chain.venue.require_contracts()
    async with UnitOfWork(chain.database) as uow:  # each now spends its own trade's id
        for row in await _by_ids(uow.session, order):
            row.batch_id = None
        await uow.commit()
    report = RunReport()
    for instruction in order:
        try:
            receipt = await chain.venue.chain.send(
                Call("DvP", contracts.dvp, "settle", (legs[instruction],)),
                sender=contracts.operator,
            )
        except TransactionReverted as reverted:
            report += await _record_revert(chain, instruction, reverted.reason)
            continue
        report += await _record_settled(chain, [instruction], receipt.tx_hash, receipt.block)
    return report


async def _record_settled(
    chain: ChainComponents, ids: Iterable[uuid.UUID], tx_hash: str, block: int
) -> RunReport:
    async with UnitOfWork(chain.database) as uow:
        rows = await _by_ids(uow.session, ids)
        await advance(
            uow.session, rows, SettlementStep.CONFIRM, tx_hash=tx_hash, block=block, last_error=None
        )
        await uow.commit()
    return RunReport(settled=len(rows))


async def _record_revert(chain: ChainComponents, instruction: uuid.UUID, reason: str) -> RunReport:
    async with UnitOfWork(chain.database) as uow:
        [row] = await _by_ids(uow.session, [instruction])
        if "already used" in reason and await _is_spent(chain, _spent_id(row)):
            # an earlier try did settle
            await advance(uow.session, [row], SettlementStep.CONFIRM, last_error=None)
            await uow.commit()
            return RunReport(settled=1)
        step = await _revert(uow.session, row, reason)
        await uow.commit()
    log.warning(
        "chain.settlement_reverted", trade_id=str(row.trade_id), reason=reason, step=step.value
    )
    return RunReport(failed=1) if step is SettlementStep.FAIL else RunReport(retried=1)


async def _revert(session: AsyncSession, row: ChainSettlement, reason: str) -> SettlementStep:
    """Put a submitted instruction back for another try, or, out of tries, fail and unwind it
    (see :func:`unwind`); the step taken."""
    step = after_revert(row.attempts)
    await advance(session, [row], step, last_error=reason[:500])
    if step is SettlementStep.FAIL:
        await record_audit(
            session,
            actor_id=None,
            action="chain.settlement_failed",
            target=f"trade:{row.trade_id}",
            payload={"attempts": row.attempts, "reason": row.last_error},
        )
        await unwind(session, row, actor_id=None)
    return step


async def unwind(
    session: AsyncSession, row: ChainSettlement, *, actor_id: uuid.UUID | None
) -> bool:
    """Reverse a failed trade in the ledger (the chain never delivered it); whether it could.
    Where the buyer no longer holds the units, it stays failed for operations, its proceeds
    still settling; the reason goes in `last_error`."""
    try:
        async with session.begin_nested():
            await advance(session, [row], SettlementStep.UNWIND)
    except InsufficientFunds:
        await session.refresh(row)
        row.last_error = (
            f"{row.last_error or 'failed'}; not unwound: the buyer no longer holds the units"
        )[:500]
        return False
    await record_audit(
        session,
        actor_id=actor_id,
        action="chain.settlement_unwound",
        target=f"trade:{row.trade_id}",
        payload={"reason": row.last_error},
    )
    return True


async def _in_status(
    session: AsyncSession, statuses: Sequence[SettlementStatus], *, limit: int | None = None
) -> list[ChainSettlement]:
    """Instructions in these statuses, oldest first (at most `limit`)."""
    query = (
        select(ChainSettlement)
        .where(ChainSettlement.status.in_([s.value for s in statuses]))
        .order_by(
            ChainSettlement.created_at, ChainSettlement.instrument_id, ChainSettlement.trade_seq
        )
        .limit(limit)
    )
    return list(await session.scalars(query))


async def _by_ids(session: AsyncSession, ids: Iterable[uuid.UUID]) -> list[ChainSettlement]:
    return list(
        await session.scalars(select(ChainSettlement).where(ChainSettlement.id.in_(list(ids))))
    )


async def retry_failed(
    chain: ChainComponents, actor_id: uuid.UUID, trade_id: uuid.UUID
) -> ChainSettlement:
    """Put a failed instruction back for the next run (operations fixed what failed it)."""
    async with chain.lock, UnitOfWork(chain.database) as uow:
        row = await uow.session.scalar(
            select(ChainSettlement).where(ChainSettlement.trade_id == trade_id)
        )
        if row is None:
            raise not_found("settlement")
        await advance(uow.session, [row], SettlementStep.RETRY, attempts=0)
        await record_audit(
            uow.session,
            actor_id=actor_id,
            action="chain.settlement_retried",
            target=f"trade:{trade_id}",
        )
        await uow.commit()
        return row


async def unwind_failed(
    chain: ChainComponents, actor_id: uuid.UUID, trade_id: uuid.UUID
) -> ChainSettlement:
    """Unwind a failed instruction whose automatic unwind could not run (the buyer now holds
    the units again). 409 `chain.settlement_state` unless failed, 422
    `chain.unwind_blocked` while the buyer still lacks the units."""
    async with chain.lock, UnitOfWork(chain.database) as uow:
        row = await uow.session.scalar(
            select(ChainSettlement).where(ChainSettlement.trade_id == trade_id)
        )
        if row is None:
            raise not_found("settlement")
        if row.status == SettlementStatus.FAILED and await _is_spent(chain, _spent_id(row)):
            raise Conflict(
                code="chain.settlement_spent",
                detail="The chain settled this trade after all; retry it to record that.",
            )
        if not await unwind(uow.session, row, actor_id=actor_id):
            raise Unprocessable(
                code="chain.unwind_blocked",
                detail="The buyer does not hold the trade's units available to give back.",
            )
        await uow.commit()
        return row


# -- reconciliation --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Difference:
    """A wallet whose tokens differ from its ledger holdings (less what is still settling)."""

    instrument_id: uuid.UUID
    user_id: uuid.UUID | None
    wallet: str
    ledger_units: int
    chain_units: int


async def reconcile(chain: ChainComponents) -> list[Difference]:
    """Compare every wallet's tokens of every tokenized bond with what the ledger says it
    holds, less the trades whose token leg has not settled yet; record the breaks found (and
    resolve those that agree again). The differences."""
    async with chain.lock:
        if chain.network_id is None:
            return []
        async with UnitOfWork(chain.database, write=False, snapshot=True) as uow:
            expected = await expected_holdings(chain, uow.session)
            differences = await self_custody_differences(chain, uow.session)
        for (instrument_id, token), wallets in expected.items():
            for wallet, (user_id, units) in wallets.items():
                on_chain = await chain.venue.balance_of(Address(token), Address(wallet))
                if on_chain != units:
                    differences.append(Difference(instrument_id, user_id, wallet, units, on_chain))
        await _record_breaks(chain, {t for t, _ in expected}, differences)
    if chain.metrics is not None:
        chain.metrics.breaks.set(len(differences))
    return differences


async def expected_holdings(
    chain: ChainComponents, session: AsyncSession
) -> dict[tuple[uuid.UUID, str], dict[str, tuple[uuid.UUID | None, int]]]:
    """Per tokenized bond, each custodial wallet's expected tokens: its owner's ledger units,
    less bought and plus sold units whose token leg is still to settle, plus units withdrawn
    to a linked wallet that have not left yet."""
    service = chain.service(session)
    tokens = await service.tokens()
    instruments = {
        i.id: i
        for i in await InstrumentService(session).find(ids=[t.instrument_id for t in tokens])
    }
    trading = OrderService(session)
    ledger = LedgerService(session)
    expected: dict[tuple[uuid.UUID, str], dict[str, tuple[uuid.UUID | None, int]]] = {}
    for token in tokens:
        units: dict[uuid.UUID, int] = defaultdict(int)
        for user_id, held in await ledger.holders(instruments[token.instrument_id].isin):
            units[user_id] += held
        for seller, buyer, quantity in await unsettled_legs(session, trading, token):
            units[buyer] -= quantity
            units[seller] += quantity
        for user_id, leaving in (await units_leaving(session, token.instrument_id, units)).items():
            units[user_id] += leaving
        wallets = await service.find_custodial(units.keys())
        expected[(token.instrument_id, token.address)] = {
            (wallets[user_id].address if user_id in wallets else _ZERO): (user_id, held)
            for user_id, held in units.items()
            if user_id in wallets or held  # a holder with no wallet holds no tokens
        }
    return expected


async def unsettled_legs(
    session: AsyncSession, trading: OrderService, token: TokenizedBond
) -> list[tuple[uuid.UUID, uuid.UUID, int]]:
    in_flight = await session.execute(
        select(ChainSettlement.seller_id, ChainSettlement.buyer_id, ChainSettlement.quantity).where(
            ChainSettlement.instrument_id == token.instrument_id,
            ChainSettlement.status.in_([s.value for s in IN_FLIGHT]),
        )
    )
    legs = [(seller, buyer, int(quantity)) for seller, buyer, quantity in in_flight]
    after = token.instructed_trade_seq
    while batch := await trading.trades_after(token.instrument_id, after, limit=MAX_INSTRUCTIONS):
        legs.extend((t.seller_id, t.buyer_id, t.quantity) for t in batch)
        after = batch[-1].trade_seq
    return legs


async def _record_breaks(
    chain: ChainComponents, instrument_ids: set[uuid.UUID], differences: list[Difference]
) -> None:
    async with UnitOfWork(chain.database) as uow:
        open_breaks = {
            (b.instrument_id, b.wallet): b
            for b in await uow.session.scalars(
                select(ChainBreak).where(ChainBreak.resolved_at.is_(None))
            )
        }
        found = {(d.instrument_id, d.wallet): d for d in differences}
        for key, difference in found.items():
            known = open_breaks.get(key)
            if known is not None:
                known.ledger_units, known.chain_units = (
                    difference.ledger_units,
                    difference.chain_units,
                )
                continue
            uow.session.add(
                ChainBreak(
                    instrument_id=difference.instrument_id,
                    user_id=difference.user_id,
                    wallet=difference.wallet,
                    ledger_units=difference.ledger_units,
                    chain_units=difference.chain_units,
                )
            )
            await record_audit(
                uow.session,
                actor_id=None,
                action="chain.break_found",
                target=f"instrument:{difference.instrument_id}",
                payload={
                    "wallet": difference.wallet,
                    "ledger_units": difference.ledger_units,
                    "chain_units": difference.chain_units,
                },
            )
        for key, known in open_breaks.items():
            if key not in found and key[0] in instrument_ids:
                known.resolved_at = utcnow()
        await uow.commit()
    if differences:
        log.warning("chain.breaks", count=len(differences))
