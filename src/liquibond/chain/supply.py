"""A tokenized bond's supply follows the ledger: units an auction allots are minted to the
allottees' custodial wallets, units a redemption (or call) retires are burned from the holders'.

**Causes.** Consumers of `auction.settled.v1` and of `corporate_action.paid.v1` (a redeeming
kind) record one :class:`~liquibond.chain.models.SupplyChange` per cause (`auction:{id}`,
`redemption:{action id}`, unique), in one transaction with their idempotency marker, and never
touch the chain (the outbox relay must not wait on it). :func:`apply_supply_changes`, a job,
applies them under the chain lock, oldest first. A bond that is not tokenized is skipped: if it
is tokenized later, tokenization mints the ledger's holdings, these units included. That check
is made under the chain lock, which :func:`~liquibond.chain.service.tokenize` holds from its
snapshot of the ledger to its record of the token, so a tokenization is wholly before the
check (its token is recorded) or wholly after it (its snapshot has the units).

**The race with tokenization.** An allotment committed before the snapshot of a tokenization
(or of the embedded chain's rebuild on start) was minted by it; one committed after it was
not; and nothing in the database tells which, because a snapshot records no position in the
ledger's history that an allotment could be placed before or after. So the chain is the
witness: the job never mints a cause's units blindly, but what each allottee's wallet lacks of
what the ledger says it should hold (the figure reconciliation checks: ledger units less the
token legs still to settle), and never more than the cause gave that holder; a burn likewise
takes what a wallet holds beyond the ledger. An allotment the snapshot included is found on
chain already and recorded as such (`chain_units` less than `units`). Two causes pending for
one holder share its gap in order (the total is exact); a break on an allottee's wallet at that
moment (fewer tokens than the ledger says) would be made good up to the allotment.

**Crash safety.** Before sending, the job records its plan (`submitted`, the units per
wallet); after, `applied`. A run after a crash between the two plans again, bounded by the
recorded plan: a chain that did it shows no gap, and nothing is sent twice. A mint or burn
that reverts goes back to `pending` for the next run.

**Burns** wait until no token leg of the bond is still to settle: a redemption retires the
ledger units of a buyer whose delivery is still in flight, whose expected tokens would then be
below zero. They look at every custodial wallet (one balance read each, once per redemption):
tokens reach custodial wallets by tokenization, delivery and mint, and only the chain knows
them all. Units held in linked wallets (self-custody) are not retired by a redemption.

**Frozen allottees** (KYC revoked: delisted, so no mint can reach them) are listed for the
moment of the mint and frozen again after it (:func:`liquibond.chain.identity.hold_open`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from enum import StrEnum

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.auctions.service import VENUE, AuctionService
from liquibond.chain.identity import apply_freezes, hold_open
from liquibond.chain.models import (
    SupplyChange,
    SupplyKind,
    SupplyStatus,
    TokenizedBond,
    Wallet,
    WalletCustody,
)
from liquibond.chain.port import Address, TransactionReverted
from liquibond.chain.service import ChainComponents, list_unlisted
from liquibond.chain.settlement import expected_holdings, unsettled_legs
from liquibond.corporate_actions.rules import REDEEMING, ActionKind
from liquibond.platform.audit import record_audit
from liquibond.platform.outbox import Event
from liquibond.platform.transitions import apply_step
from liquibond.platform.uow import UnitOfWork
from liquibond.trading.service import OrderService

log = structlog.get_logger(__name__)

#: Record the causes for :func:`apply_supply_changes`.
ALLOTMENT_CONSUMER = "chain.supply.allotments"
REDEMPTION_CONSUMER = "chain.supply.redemptions"

#: Allocations read per page.
_PAGE = 500


class SupplyStep(StrEnum):
    """What happens to a supply change."""

    SUBMIT = "submit"  # its plan is recorded; its mints or burns are being sent
    APPLY = "apply"  # the token holds what the ledger says
    REVERT = "revert"  # its transaction reverted: plan again next run
    SKIP = "skip"  # the bond is not tokenized


S = SupplyStatus

TRANSITIONS: Mapping[tuple[SupplyStatus, SupplyStep], SupplyStatus] = {
    (S.PENDING, SupplyStep.SUBMIT): S.SUBMITTED,
    (S.PENDING, SupplyStep.APPLY): S.APPLIED,  # the chain had it all already
    (S.SUBMITTED, SupplyStep.APPLY): S.APPLIED,
    (S.SUBMITTED, SupplyStep.REVERT): S.PENDING,
    (S.PENDING, SupplyStep.SKIP): S.SKIPPED,
}


def advance(row: SupplyChange, step: SupplyStep, **changes: object) -> None:
    """Move a supply change along its lifecycle (the one place its status changes)."""
    target = TRANSITIONS.get((SupplyStatus(row.status), step))
    apply_step(row, target, step, code="chain.supply_state", noun="supply change", **changes)
    if target is S.APPLIED:
        row.applied_at = row.updated_at


async def record_allotment(uow: UnitOfWork, event: Event) -> None:
    """`auction.settled.v1`: the units it allotted are to be minted (if the bond is
    tokenized)."""
    units = int(event.data.get("total_allotted") or 0)
    if units:
        await _record(
            uow.session,
            f"auction:{event.data['auction_id']}",
            uuid.UUID(event.data["instrument_id"]),
            SupplyKind.MINT,
            units,
        )


async def record_redemption(uow: UnitOfWork, event: Event) -> None:
    """`corporate_action.paid.v1` of a redemption or call: the units it retired are to be
    burned (if the bond is tokenized)."""
    if ActionKind(event.data["kind"]) in REDEEMING:
        await _record(
            uow.session,
            f"redemption:{event.data['action_id']}",
            uuid.UUID(event.data["instrument_id"]),
            SupplyKind.BURN,
            0,
        )


async def _record(
    session: AsyncSession, cause: str, instrument_id: uuid.UUID, kind: SupplyKind, units: int
) -> None:
    try:
        async with session.begin_nested():
            session.add(
                SupplyChange(
                    cause=cause,
                    instrument_id=instrument_id,
                    kind=kind.value,
                    status=S.PENDING.value,
                    units=units,
                )
            )
    except IntegrityError:  # the same cause, recorded already
        log.debug("chain.supply_duplicate", cause=cause)


async def apply_supply_changes(chain: ChainComponents) -> int:
    """Mint and burn what the pending supply changes need (see the module docstring); how
    many it applied or skipped."""
    async with chain.lock:
        if chain.network_id is None:
            return 0
        async with UnitOfWork(chain.database, write=False) as uow:
            due = list(
                await uow.session.scalars(
                    select(SupplyChange.id)
                    .where(SupplyChange.status.in_([S.PENDING.value, S.SUBMITTED.value]))
                    .order_by(SupplyChange.created_at, SupplyChange.id)
                )
            )
        return sum([await _apply(chain, change_id) for change_id in due])


async def _apply(chain: ChainComponents, change_id: uuid.UUID) -> int:
    async with UnitOfWork(chain.database, write=False) as uow:
        change = await uow.session.get_one(SupplyChange, change_id)
        token = await chain.service(uow.session).token(change.instrument_id)
        waiting = (
            token is not None
            and change.kind == SupplyKind.BURN
            and bool(await unsettled_legs(uow.session, OrderService(uow.session), token))
        )
    if token is None:
        await _update(chain, change_id, SupplyStep.SKIP)
        return 1
    if waiting:
        await _update(chain, change_id, None, last_error="waiting for the bond's deliveries")
        return 0
    bounds, owners = await _bounds(chain, change)
    plan = await _plan(chain, change, token, bounds)
    if change.status == S.PENDING.value and plan:
        await _update(
            chain,
            change_id,
            SupplyStep.SUBMIT,
            deliveries=plan,
            chain_units=sum(plan.values()),
            token=token.address,
            attempts=change.attempts + 1,
            **({} if change.kind == SupplyKind.MINT else {"units": sum(plan.values())}),
        )
    held_open = (
        await hold_open(chain, {owners[w] for w in plan})
        if plan and change.kind == SupplyKind.MINT
        else set()
    )
    try:
        if plan:
            send = chain.venue.mint if change.kind == SupplyKind.MINT else chain.venue.burn
            await send(Address(token.address), [(Address(w), u) for w, u in plan.items()])
    except TransactionReverted as reverted:
        await _update(chain, change_id, SupplyStep.REVERT, last_error=reverted.reason[:500])
        log.warning("chain.supply_reverted", cause=change.cause, reason=reverted.reason)
        return 0
    finally:
        if held_open:
            await apply_freezes(chain, held_open)
    block = await chain.venue.chain.block_number()
    await _update(chain, change_id, SupplyStep.APPLY, block=block, token=token.address)
    return 1


async def _bounds(
    chain: ChainComponents, change: SupplyChange
) -> tuple[dict[str, int | None], dict[str, uuid.UUID]]:
    """The most each wallet may be minted or burned for the change (None: what it holds
    beyond the ledger), and whose each wallet is. A plan recorded before bounds its retry."""
    async with UnitOfWork(chain.database) as uow:
        if change.kind == SupplyKind.MINT:
            allotted = await _allotted(uow.session, change)
            wallets = await chain.service(uow.session).custodial_wallets(
                allotted.keys(), chain.settings.chain_country
            )
            bounds: dict[str, int | None] = {
                wallets[user].address: units for user, units in allotted.items()
            }
        else:
            wallets = {
                wallet.user_id: wallet
                for wallet in await uow.session.scalars(
                    select(Wallet).where(Wallet.custody == WalletCustody.CUSTODIAL.value)
                )
            }
            bounds = dict.fromkeys((wallet.address for wallet in wallets.values()), None)
        await uow.commit()
    if change.deliveries is not None:  # submitted before: no more than that plan
        bounds = {wallet: int(units) for wallet, units in change.deliveries.items()}
    await list_unlisted(chain)  # an allottee new to the chain is listed before the mint
    return bounds, {wallet.address: user for user, wallet in wallets.items()}


async def _allotted(session: AsyncSession, change: SupplyChange) -> dict[uuid.UUID, int]:
    """Each allottee's units of the auction that caused the change."""
    auction_id = uuid.UUID(change.cause.removeprefix("auction:"))
    auctions = AuctionService(session)
    units: dict[uuid.UUID, int] = defaultdict(int)
    cursor = None
    while True:
        page, cursor = await auctions.allocations(VENUE, auction_id, limit=_PAGE, cursor=cursor)
        for allocation in page:
            units[allocation.user_id] += allocation.quantity
        if cursor is None:
            return {user: quantity for user, quantity in units.items() if quantity}


async def _plan(
    chain: ChainComponents,
    change: SupplyChange,
    token: TokenizedBond,
    bounds: Mapping[str, int | None],
) -> dict[str, int]:
    """What each wallet is still to be minted (lacks of the ledger) or burned (holds beyond
    it), within its bound."""
    async with UnitOfWork(chain.database, write=False, snapshot=True) as uow:
        expected = await expected_holdings(chain, uow.session)
    should_hold = expected.get((token.instrument_id, token.address), {})
    plan = {}
    for wallet, bound in bounds.items():
        holds = await chain.venue.balance_of(Address(token.address), Address(wallet))
        _, ledger = should_hold.get(wallet, (None, 0))
        gap = ledger - holds if change.kind == SupplyKind.MINT else holds - ledger
        units = max(0, min(gap, holds if bound is None else bound))
        if units:
            plan[wallet] = units
    return plan


async def _update(
    chain: ChainComponents, change_id: uuid.UUID, step: SupplyStep | None, **changes: object
) -> None:
    """Record a step of the change (None: only `changes`), audited once it is applied."""
    async with UnitOfWork(chain.database) as uow:
        row = await uow.session.get_one(SupplyChange, change_id, with_for_update=True)
        if step is None:
            for name, value in changes.items():
                setattr(row, name, value)
        else:
            advance(row, step, **changes)
        if step is SupplyStep.APPLY:
            await record_audit(
                uow.session,
                actor_id=None,
                action=f"chain.supply_{row.kind}ed",
                target=f"instrument:{row.instrument_id}",
                payload={
                    "cause": row.cause,
                    "units": row.units,
                    "chain_units": row.chain_units,
                    "deliveries": row.deliveries,
                    "token": row.token,
                    "block": row.block,
                },
            )
        await uow.commit()
