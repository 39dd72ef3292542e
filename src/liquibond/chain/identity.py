"""KYC revocation on chain: a revoked investor's wallets are removed from the identity registry
and frozen on every bond token; verified again, they are unfrozen and listed again.

The consumers of `kyc.revoked.v1` and `kyc.verified.v1` only record what is wanted (an
:class:`~liquibond.chain.models.InvestorFreeze`, changed through :func:`advance`), in one
transaction with their idempotency marker: the outbox relay must never wait on the chain.
:func:`sync_freezes` (a job, and once as the venue starts, before any other chain job) does
the chain's part under the chain lock and outside any database transaction: it reads what the
registry and each token say of each wallet, sends only what differs, then records it. So a
repeated run, or one after a crash between the chain acting and the database recording it,
finds the chain already right and sends nothing twice.

A frozen investor is looked at again whenever the chain may have changed under it: the
network was rebuilt (the embedded chain re-deploys on every start and lists every wallet
again), a bond was tokenized since (a token to freeze on), or the investor has a wallet not yet
frozen (a custodial wallet made later for a delivery); and its freeze is reopened (`frozen` ->
`freezing`) while the supply job lists a wallet for a moment to mint units the ledger gave it
(:func:`hold_open`).

A frozen wallet keeps the current network's id in `Wallet.network_id`, so the registrar,
which lists the wallets whose network id differs, leaves it alone; `Wallet.frozen_at` says it
is delisted and frozen. Trades already executed whose delivery reaches a frozen wallet revert
("receiver frozen") and go the way of every reverting token leg: retried, then the breaks queue.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from enum import StrEnum

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.chain.models import FreezeStatus, InvestorFreeze, Wallet
from liquibond.chain.port import Address
from liquibond.chain.service import ChainComponents, listing_identity
from liquibond.chain.venue import Venue
from liquibond.platform.audit import record_audit
from liquibond.platform.db import utcnow
from liquibond.platform.outbox import Event
from liquibond.platform.transitions import apply_step
from liquibond.platform.uow import UnitOfWork

log = structlog.get_logger(__name__)

#: Records revocations and re-verifications for :func:`sync_freezes`.
REVOKED_CONSUMER = "chain.freeze"
VERIFIED_CONSUMER = "chain.thaw"


class FreezeStep(StrEnum):
    """What happens to an investor's freeze."""

    REVOKE = "revoke"  # KYC revoked
    RESTORE = "restore"  # verified again
    APPLY = "apply"  # the chain did it
    REOPEN = "reopen"  # a wallet is listed for a moment: to freeze again


F = FreezeStatus

TRANSITIONS: Mapping[tuple[FreezeStatus, FreezeStep], FreezeStatus] = {
    (F.THAWED, FreezeStep.REVOKE): F.FREEZING,
    (F.THAWING, FreezeStep.REVOKE): F.FREEZING,
    (F.FREEZING, FreezeStep.APPLY): F.FROZEN,
    (F.THAWING, FreezeStep.APPLY): F.THAWED,
    (F.FREEZING, FreezeStep.RESTORE): F.THAWING,
    (F.FROZEN, FreezeStep.RESTORE): F.THAWING,
    (F.FROZEN, FreezeStep.REOPEN): F.FREEZING,
}

#: Statuses in which the investor's wallets are (to be) frozen.
FROZEN_OR_FREEZING = frozenset({F.FREEZING, F.FROZEN})


def advance(row: InvestorFreeze, step: FreezeStep) -> None:
    """Move an investor's freeze along its lifecycle (the one place its status changes)."""
    target = TRANSITIONS.get((FreezeStatus(row.status), step))
    apply_step(row, target, step, code="chain.freeze_state", noun="freeze")


async def record_revocation(uow: UnitOfWork, event: Event) -> None:
    """`kyc.revoked.v1`: the investor's wallets are to be delisted and frozen."""
    user_id = uuid.UUID(event.data["user_id"])
    row = await uow.session.get(InvestorFreeze, user_id, with_for_update=True)
    if row is None:
        uow.session.add(
            InvestorFreeze(user_id=user_id, status=F.FREEZING.value, revoked_at=event.occurred_at)
        )
    elif FreezeStatus(row.status) not in FROZEN_OR_FREEZING:
        advance(row, FreezeStep.REVOKE)
        row.revoked_at = event.occurred_at


async def record_verification(uow: UnitOfWork, event: Event) -> None:
    """`kyc.verified.v1`: a frozen investor's wallets are to be unfrozen and listed again."""
    row = await uow.session.get(
        InvestorFreeze, uuid.UUID(event.data["user_id"]), with_for_update=True
    )
    if row is not None and FreezeStatus(row.status) in FROZEN_OR_FREEZING:
        advance(row, FreezeStep.RESTORE)


async def frozen_investors(
    session: AsyncSession, user_ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these users' wallets are (to be) frozen."""
    query = select(InvestorFreeze.user_id).where(
        InvestorFreeze.user_id.in_(set(user_ids)),
        InvestorFreeze.status.in_([status.value for status in FROZEN_OR_FREEZING]),
    )
    return set(await session.scalars(query))


async def sync_freezes(chain: ChainComponents) -> int:
    """Make the chain do what revocations and re-verifications asked (see the module
    docstring); how many investors' wallets it changed."""
    async with chain.lock:
        return await apply_freezes(chain)


async def apply_freezes(chain: ChainComponents, user_ids: Collection[uuid.UUID] = ()) -> int:
    """:func:`sync_freezes` for the caller that holds the chain lock (for these users only,
    when given)."""
    network_id = chain.network_id
    if network_id is None:
        return 0
    async with UnitOfWork(chain.database, write=False) as uow:
        service = chain.service(uow.session)
        tokens = [Address(token.address) for token in await service.tokens()]
        due = await _due(uow.session, network_id, len(tokens), user_ids)
        wallets = {row.user_id: await service.wallets(row.user_id) for row in due}
    for row in due:
        addresses = [Address(wallet.address) for wallet in wallets[row.user_id]]
        if FreezeStatus(row.status) in FROZEN_OR_FREEZING:
            await _freeze(chain.venue, tokens, addresses)
        else:
            await _thaw(chain.venue, tokens, wallets[row.user_id])
    async with UnitOfWork(chain.database) as uow:
        for acted in due:
            await _record(uow.session, acted, wallets[acted.user_id], network_id, len(tokens))
        await uow.commit()
    return len(due)


async def hold_open(chain: ChainComponents, user_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    """List the wallets of those of these users who are frozen, for the agent to mint to
    them (the caller holds the chain lock, and calls :func:`apply_freezes` for them after);
    which users they are. Their freeze is reopened first, so that a crash before it is
    applied again leaves it for the next :func:`sync_freezes`."""
    async with UnitOfWork(chain.database) as uow:
        frozen = await frozen_investors(uow.session, user_ids)
        rows = await uow.session.scalars(
            select(InvestorFreeze)
            .where(InvestorFreeze.user_id.in_(frozen), InvestorFreeze.status == F.FROZEN.value)
            .with_for_update()
        )
        for row in rows:
            advance(row, FreezeStep.REOPEN)
        wallets = list(await uow.session.scalars(select(Wallet).where(Wallet.user_id.in_(frozen))))
        await uow.commit()
    delisted = [w for w in wallets if not await chain.venue.is_listed(Address(w.address))]
    if delisted:
        await chain.venue.register([listing_identity(wallet) for wallet in delisted])
    return frozen


async def _due(
    session: AsyncSession,
    network_id: uuid.UUID,
    tokens: int,
    user_ids: Collection[uuid.UUID],
) -> list[InvestorFreeze]:
    """The freezes and thaws to apply, and the frozen investors to look at again."""
    query = select(InvestorFreeze).where(InvestorFreeze.status != F.THAWED.value)
    if user_ids:
        query = query.where(InvestorFreeze.user_id.in_(set(user_ids)))
    rows = list(await session.scalars(query.order_by(InvestorFreeze.revoked_at)))
    frozen = [row.user_id for row in rows if row.status == F.FROZEN.value]
    with_unfrozen_wallets = set(
        await session.scalars(
            select(Wallet.user_id).where(Wallet.user_id.in_(frozen), Wallet.frozen_at.is_(None))
        )
    )
    return [
        row
        for row in rows
        if row.status != F.FROZEN.value
        or row.network_id != network_id
        or row.tokens != tokens
        or row.user_id in with_unfrozen_wallets
    ]


async def _freeze(venue: Venue, tokens: Sequence[Address], wallets: Sequence[Address]) -> None:
    listed = [wallet for wallet in wallets if await venue.is_listed(wallet)]
    if listed:
        await venue.delist(listed)
    for token in tokens:
        unfrozen = [wallet for wallet in wallets if not await venue.is_frozen(token, wallet)]
        if unfrozen:
            await venue.set_frozen(token, unfrozen, True)


async def _thaw(venue: Venue, tokens: Sequence[Address], wallets: Sequence[Wallet]) -> None:
    addresses = [Address(wallet.address) for wallet in wallets]
    for token in tokens:
        frozen = [address for address in addresses if await venue.is_frozen(token, address)]
        if frozen:
            await venue.set_frozen(token, frozen, False)
    delisted = [w for w in wallets if not await venue.is_listed(Address(w.address))]
    if delisted:
        await venue.register([listing_identity(wallet) for wallet in delisted])


async def _record(
    session: AsyncSession,
    acted: InvestorFreeze,
    wallets: Sequence[Wallet],
    network_id: uuid.UUID,
    tokens: int,
) -> None:
    """Record what the chain now does for the investor, unless KYC changed its mind while the
    chain was at it (then the next run acts on the new wish)."""
    row = await session.get(
        InvestorFreeze, acted.user_id, with_for_update=True, populate_existing=True
    )
    if row is None or row.status != acted.status:
        return
    freezing = FreezeStatus(row.status) in FROZEN_OR_FREEZING
    if row.status != F.FROZEN.value:
        advance(row, FreezeStep.APPLY)
    row.network_id, row.tokens, row.updated_at = network_id, tokens, utcnow()
    now = utcnow()
    for wallet in await session.scalars(
        select(Wallet).where(Wallet.id.in_([wallet.id for wallet in wallets]))
    ):
        wallet.network_id = network_id
        wallet.frozen_at = (wallet.frozen_at or now) if freezing else None
    await record_audit(
        session,
        actor_id=None,
        action="chain.wallets_frozen" if freezing else "chain.wallets_unfrozen",
        target=f"user:{row.user_id}",
        payload={"wallets": [wallet.address for wallet in wallets], "tokens": tokens},
    )
    log.info(
        "chain.wallets_frozen" if freezing else "chain.wallets_unfrozen",
        user_id=str(row.user_id),
        wallets=len(wallets),
    )
