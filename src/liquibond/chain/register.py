"""The register of a tokenized bond at a block, from its indexed Transfer history (see
:mod:`liquibond.chain.transfers`), and the corporate actions' register on the chain.

A wallet's units at block N are what it received less what it sent in the token's transfers
up to and including block N (the zero address mints and burns). Each holding is cross-checked
with the token's `balanceOf` at block N where the node still has that state: the embedded
chain and anvil keep every state, a pruned RPC node may not, and a holding it cannot read is
reported as not cross-checked, never as agreeing.

For a corporate action the register is read at the record block, the last block mined before
the record date closed, and brought to the ledger's terms: wallets become their users, the
token legs of trades the chain had not delivered by that block are added (as reconciliation
counts those in flight, plus those settled in a later block), and the units of trades settling
after the record date are taken off, exactly as the ledger's register does."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.chain.lifecycle import SettlementStatus
from liquibond.chain.models import ChainSettlement, TokenizedBond, TokenTransfer
from liquibond.chain.port import Address, ChainUnavailable
from liquibond.chain.service import ChainComponents
from liquibond.chain.settlement import unsettled_legs
from liquibond.chain.transfers import ZERO_ADDRESS, indexed_up_to, owners
from liquibond.corporate_actions.register import RecordRegister, RegisterNotReady
from liquibond.trading.service import OrderService
from liquibond.trading.settlements import units_settling_after


@dataclass(frozen=True, slots=True)
class Holding:
    """A wallet's units at a block by the indexed history, and by the chain's own state."""

    wallet: str
    user_id: uuid.UUID | None
    units: int
    #: `balanceOf` at the block; None if it could not be read there.
    on_chain: int | None


@dataclass(frozen=True, slots=True)
class TokenRegister:
    """A token's holders at a block; `unchecked` says why some balances could not be read."""

    token: str
    block: int
    holdings: list[Holding]
    unchecked: str | None = None

    @property
    def verified(self) -> bool:
        """Whether every holding was cross-checked with the chain's state at the block."""
        return self.unchecked is None

    @property
    def mismatches(self) -> list[Holding]:
        """Holdings the chain's state at the block contradicts."""
        return [h for h in self.holdings if h.on_chain is not None and h.on_chain != h.units]


async def holders_at(
    chain: ChainComponents, session: AsyncSession, token: TokenizedBond, block: int
) -> TokenRegister:
    """The token's holders at `block` by its indexed history, each with its owner (None: no
    user's wallet) and cross-checked with `balanceOf` at that block."""
    units: dict[str, int] = defaultdict(int)
    for party, sign in ((TokenTransfer.receiver, 1), (TokenTransfer.sender, -1)):
        rows = await session.execute(
            select(party, func.sum(TokenTransfer.amount))
            .where(
                TokenTransfer.network_id == token.network_id,
                TokenTransfer.token == token.address,
                TokenTransfer.block <= block,
            )
            .group_by(party)
        )
        for wallet, amount in rows:
            units[wallet] += sign * int(amount)
    units.pop(ZERO_ADDRESS, None)
    held = {wallet: n for wallet, n in sorted(units.items()) if n}
    users = await owners(session, held)
    holdings, unchecked = [], None
    for wallet, n in held.items():
        on_chain = None
        if unchecked is None:  # after one failure, the node is not asked about the rest
            try:
                on_chain = await chain.venue.balance_of(
                    Address(token.address), Address(wallet), block
                )
            except ChainUnavailable:
                raise
            except Exception as error:  # any answer but a balance: that state is not there
                unchecked = f"balanceOf at block {block} could not be read: {error}"[:300]
        holdings.append(Holding(wallet, users.get(wallet), n, on_chain))
    return TokenRegister(token.address, block, holdings, unchecked)


async def record_block(
    chain: ChainComponents, session: AsyncSession, token: TokenizedBond, close: datetime
) -> int | None:
    """The last (confirmed) block mined before `close`; None if the token was deployed at or
    after it. Blocks not yet confirmed count as after it: what they deliver is in flight."""
    adapter = chain.venue.chain
    latest = await adapter.block_number()
    if latest < token.deploy_block:
        raise RegisterNotReady(
            code="corporate_action.register_not_ready",
            detail=f"The token {token.address} is not confirmed on chain yet.",
        )
    deadline = close.timestamp()

    async def before(block: int) -> bool:
        return await adapter.block_timestamp(block) < deadline

    if not await before(token.deploy_block):
        return None
    # The indexed transfers' timestamps bracket the block: fewer blocks to ask the node about.
    of_token = (
        TokenTransfer.network_id == token.network_id,
        TokenTransfer.token == token.address,
    )
    known_before = await session.scalar(
        select(func.max(TokenTransfer.block)).where(*of_token, TokenTransfer.block_time < close)
    )
    known_after = await session.scalar(
        select(func.min(TokenTransfer.block)).where(*of_token, TokenTransfer.block_time >= close)
    )
    low = max(token.deploy_block, known_before or 0)
    high = latest if known_after is None else min(latest, known_after - 1)
    while low < high:  # the blocks' timestamps never decrease
        middle = (low + high + 1) // 2
        if await before(middle):
            low = middle
        else:
            high = middle - 1
    return low


async def undelivered(
    session: AsyncSession, token: TokenizedBond, block: int
) -> list[tuple[uuid.UUID, uuid.UUID, int]]:
    """The (seller, buyer, units) of the bond's trades whose token leg the chain had not
    delivered by `block`: still in flight or not yet instructed (as reconciliation counts
    them), or settled in a later block. A settlement whose block was never found counts from
    the block it was sent in."""
    legs = await unsettled_legs(session, OrderService(session), token)
    later = await session.execute(
        select(ChainSettlement.seller_id, ChainSettlement.buyer_id, ChainSettlement.quantity).where(
            ChainSettlement.instrument_id == token.instrument_id,
            ChainSettlement.status == SettlementStatus.SETTLED.value,
            # earlier trades were in the deployment's mints (a rebuilt chain's too)
            ChainSettlement.trade_seq > token.minted_trade_seq,
            func.coalesce(ChainSettlement.block, ChainSettlement.submitted_block) > block,
        )
    )
    return legs + [(seller, buyer, int(units)) for seller, buyer, units in later]


class ChainRegister:
    """The corporate actions' :class:`~liquibond.corporate_actions.register.Register` of
    tokenized bonds: their holders on the venue's chain at a record date's close."""

    def __init__(self, chain: ChainComponents) -> None:
        self._chain = chain

    async def at_close(
        self, session: AsyncSession, instrument_id: uuid.UUID, record_date: date, close: datetime
    ) -> RecordRegister | None:
        """The tokenized bond's holders as settled at `close` (see the module docstring);
        None for a bond that is not tokenized."""
        token = await self._chain.service(session).token(instrument_id)
        if token is None:
            return None
        source = f"token {token.address} on the {self._chain.venue.chain.kind} chain"
        block = await record_block(self._chain, session, token, close)
        if block is None:
            return RecordRegister(
                source, None, note="the token was deployed after the record date closed"
            )
        indexed = await indexed_up_to(session, token.network_id, token.address)
        if indexed is None or indexed < block:
            raise RegisterNotReady(
                code="corporate_action.register_not_ready",
                detail=f"The Transfer history of {token.address} is indexed up to block "
                f"{indexed}; the record date closed at block {block}.",
            )
        register = await holders_at(self._chain, session, token, block)
        held: dict[uuid.UUID, int] = defaultdict(int)
        unattributed: dict[str, int] = {}
        for holding in register.holdings:
            if holding.user_id is None:
                unattributed[holding.wallet] = holding.units
            else:
                held[holding.user_id] += holding.units
        for seller, buyer, units in await undelivered(session, token, block):
            held[buyer] += units
            held[seller] -= units
        settling = await units_settling_after(session, instrument_id, record_date)
        for user_id, units in settling.items():
            held[user_id] -= units
        return RecordRegister(
            source,
            block,
            held=dict(held),
            unattributed=unattributed,
            inconsistencies=tuple(
                f"{h.wallet}: history {h.units}, balanceOf {h.on_chain}"
                for h in register.mismatches
            ),
            verified=register.verified,
            note=register.unchecked or "",
        )
