"""The indexed Transfer history of tokenized bonds: every `Transfer` event of their tokens on
the current network, with its block's timestamp, read from the chain by a job.

Each run follows each token from where its cursor stopped (a new token: from its deployment
block, so the mints that tokenized it are in the history) up to the chain's latest block as
:meth:`~liquibond.chain.port.Chain.block_number` gives it: on an RPC node that is the latest
less `chain_confirmations`, so a reorganisation shallower than that never reaches the index.
It reads in spans of at most :data:`~liquibond.chain.port.MAX_EVENT_SPAN` blocks with
:meth:`~liquibond.chain.port.Chain.events`, a bounded `eth_getLogs` over the tokens' addresses;
on the embedded chain eth-tester answers the same bounded query from the logs it keeps in
memory, and the saved cursor means no block is ever asked for twice in normal running, so no
wide scan happens there either.

A span's transfers are stored and the tokens' cursors advanced in one transaction: a crash
between reading the chain and committing leaves the cursors where they were and the next run
reads the span again; a span read twice (a cursor moved back, a retried run) never stores a
transfer twice, as each row is unique on (network, transaction hash, log index). Tokens whose
cursors differ are read separately until they meet, then together."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Collection, Sequence
from datetime import UTC, datetime

import structlog
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.chain.models import TokenizedBond, TokenTransfer, TransferCursor, Wallet
from liquibond.chain.port import MAX_EVENT_SPAN, Address
from liquibond.chain.service import ChainComponents
from liquibond.platform.db import utcnow
from liquibond.platform.jobs import Job
from liquibond.platform.schemas import as_int, cursor_value, encode_cursor
from liquibond.platform.uow import UnitOfWork

log = structlog.get_logger(__name__)

#: Where a mint comes from and a burn goes to.
ZERO_ADDRESS = "0x" + "00" * 20


def transfer_job(chain: ChainComponents) -> Job:
    """The indexer as a job, run as often as the registrar (`chain_interval_seconds`)."""
    return Job(
        "chain.transfers",
        chain.settings.chain_interval_seconds,
        functools.partial(index_transfers, chain),
    )


async def index_transfers(chain: ChainComponents) -> int:
    """One run of the indexer (see the module docstring); how many transfers it stored."""
    network_id = chain.network_id
    if network_id is None:
        return 0
    latest = await chain.venue.chain.block_number()
    async with UnitOfWork(chain.database, write=False) as uow:
        starts = await _starts(uow.session, network_id)
    stored = 0
    while due := {token: start for token, start in starts.items() if start <= latest}:
        start = min(due.values())
        # Stop where the next group of tokens starts, so the two read together from there.
        end = min([start + MAX_EVENT_SPAN - 1, latest, *(s - 1 for s in due.values() if s > start)])
        tokens = sorted(token for token, s in due.items() if s == start)
        indexed = await _index_span(chain, network_id, tokens, start, end)
        if indexed is None:
            log.info("chain.transfers_moved_on", start=start, tokens=len(tokens))
            break
        stored += indexed
        starts.update(dict.fromkeys(tokens, end + 1))
    if chain.metrics is not None:
        behind = [latest + 1 - start for start in starts.values()]
        chain.metrics.transfer_lag.set(max([0, *behind]))
    return stored


async def _starts(session: AsyncSession, network_id: uuid.UUID) -> dict[str, int]:
    """The first block not yet indexed of each token on the network."""
    tokens = await session.execute(
        select(TokenizedBond.address, TokenizedBond.deploy_block).where(
            TokenizedBond.network_id == network_id
        )
    )
    cursors = dict(
        (
            await session.execute(
                select(TransferCursor.token, TransferCursor.block).where(
                    TransferCursor.network_id == network_id
                )
            )
        ).all()
    )
    return {
        address: cursors[address] + 1 if address in cursors else deploy_block
        for address, deploy_block in tokens
    }


async def _index_span(
    chain: ChainComponents, network_id: uuid.UUID, tokens: Sequence[str], start: int, end: int
) -> int | None:
    """Store the tokens' transfers in blocks `start`..`end` and move their cursors to `end`;
    how many were new, or None if another indexer moved a cursor meanwhile (nothing stored)."""
    adapter = chain.venue.chain
    events = await adapter.events([Address(token) for token in tokens], start, end)
    transfers = [event for event in events if event.name == "Transfer"]
    mined = {
        block: datetime.fromtimestamp(await adapter.block_timestamp(block), UTC)
        for block in sorted({event.block for event in transfers})
    }
    async with UnitOfWork(chain.database) as uow:
        session = uow.session
        cursors = {
            cursor.token: cursor
            for cursor in await session.scalars(
                select(TransferCursor)
                .where(TransferCursor.network_id == network_id, TransferCursor.token.in_(tokens))
                .with_for_update()
            )
        }
        if any(cursor.block + 1 != start for cursor in cursors.values()):
            return None
        known = set(
            await session.execute(
                select(TokenTransfer.tx_hash, TokenTransfer.log_index).where(
                    TokenTransfer.network_id == network_id, TokenTransfer.block.between(start, end)
                )
            )
        )
        new = [event for event in transfers if (event.tx_hash, event.log_index) not in known]
        session.add_all(
            TokenTransfer(
                network_id=network_id,
                token=event.address,
                block=event.block,
                block_time=mined[event.block],
                tx_hash=event.tx_hash,
                log_index=event.log_index,
                sender=event.args["sender"],
                receiver=event.args["receiver"],
                amount=int(event.args["value"]),
            )
            for event in new
        )
        now = utcnow()
        for token in tokens:
            cursor = cursors.get(token)
            if cursor is None:
                session.add(
                    TransferCursor(network_id=network_id, token=token, block=end, updated_at=now)
                )
            else:
                cursor.block, cursor.updated_at = end, now
        await uow.commit()
    return len(new)


async def indexed_up_to(session: AsyncSession, network_id: uuid.UUID, token: str) -> int | None:
    """The last block of the token's history the indexer has read (None: none yet)."""
    return await session.scalar(
        select(TransferCursor.block).where(
            TransferCursor.network_id == network_id, TransferCursor.token == token
        )
    )


async def transfers_page(
    session: AsyncSession, token: TokenizedBond, *, limit: int, cursor: str | None
) -> tuple[list[TokenTransfer], dict[str, uuid.UUID], str | None]:
    """A page of the token's indexed transfers, newest first; the users whose wallets sent or
    received them (by address); the cursor of the next page."""
    query = (
        select(TokenTransfer)
        .where(TokenTransfer.network_id == token.network_id, TokenTransfer.token == token.address)
        .order_by(TokenTransfer.block.desc(), TokenTransfer.log_index.desc())
        .limit(limit + 1)
    )
    block = cursor_value(cursor, "block", as_int)
    log_index = cursor_value(cursor, "log_index", as_int)
    if block is not None and log_index is not None:
        query = query.where(
            or_(
                TokenTransfer.block < block,
                and_(TokenTransfer.block == block, TokenTransfer.log_index < log_index),
            )
        )
    rows = list(await session.scalars(query))
    page = rows[:limit]
    users = await owners(session, {row.sender for row in page} | {row.receiver for row in page})
    if len(rows) <= limit:
        return page, users, None
    last = page[-1]
    return page, users, encode_cursor({"block": last.block, "log_index": last.log_index})


async def owners(session: AsyncSession, addresses: Collection[str]) -> dict[str, uuid.UUID]:
    """The users whose wallets these are, by address (addresses of no user's are left out)."""
    query = select(Wallet.address, Wallet.user_id).where(Wallet.address.in_(list(addresses)))
    return dict((await session.execute(query)).all())
