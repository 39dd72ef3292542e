"""Writer leases: one process per book at a time, and a stale writer cannot commit.

Each `LeaseManager` here has its own `Database` (engine, connections): a separate engine
process as far as the database can tell.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from liquibond.platform.db import Database, utcnow
from liquibond.platform.uow import UnitOfWork
from liquibond.trading.lease import Lease, LeaseLost, LeaseManager, TradingLease, check_fence
from liquibond.trading.models import BookState
from liquibond.trading.runner import Trading
from tests.helpers import assert_problem
from tests.trading.conftest import fund_cash, list_bond, order, verified_investor

#: Short leases, so expiry can be waited for.
SHORT = 0.5
#: Long enough that a renewal survives a loaded machine's slow commit, short enough to outlive.
RENEWED = 2.0
#: Long enough to outlast any test.
LONG = 30.0


@dataclass
class Process:
    """An engine process: its own database connections and its lease manager."""

    database: Database
    leases: LeaseManager


Processes = Callable[..., Process]


@pytest.fixture
async def instrument_id(client: httpx.AsyncClient, app: FastAPI) -> uuid.UUID:
    """A listed bond whose book the processes compete for."""
    return uuid.UUID((await list_bond(client, app)).id)


@pytest.fixture
async def process(database_url: str) -> AsyncIterator[Processes]:
    """Starts "engine processes": lease managers with their own database connections."""
    databases: list[Database] = []

    def start(duration: float = LONG, renew_interval: float = 0.1) -> Process:
        databases.append(Database(database_url))
        leases = LeaseManager(databases[-1], duration=duration, renew_interval=renew_interval)
        return Process(databases[-1], leases)

    yield start
    for database in databases:
        await database.dispose()


async def _write_book_state(database: Database, instrument_id: uuid.UUID, lease: Lease) -> None:
    """What a writer's batch does: change the book's state, check the fence, commit."""
    async with UnitOfWork(database) as uow:
        await uow.session.merge(
            BookState(
                instrument_id=instrument_id,
                seq=lease.fence,
                trade_seq=0,
                last_book_order_id=0,
                last_price_ticks=None,
                state_hash="0" * 64,
                updated_at=utcnow(),
            )
        )
        await check_fence(uow.session, lease)
        await uow.commit()


async def _book_seq(database: Database, instrument_id: uuid.UUID) -> int | None:
    async with UnitOfWork(database, write=False) as uow:
        return await uow.session.scalar(
            select(BookState.seq).where(BookState.instrument_id == instrument_id)
        )


async def test_only_one_process_holds_a_book(process: Processes, instrument_id: uuid.UUID) -> None:
    first, second = process(), process()
    lease = await first.leases.acquire(instrument_id)
    assert lease is not None
    assert (lease.holder, lease.fence) == (first.leases.holder, 1)
    assert await second.leases.acquire(instrument_id) is None
    assert await first.leases.acquire(instrument_id) is None  # not even twice by the same process

    assert await first.leases.renew(lease)
    await _write_book_state(first.database, instrument_id, lease)
    assert await _book_seq(second.database, instrument_id) == 1


async def test_an_expired_lease_passes_on_with_a_higher_fence(
    process: Processes, instrument_id: uuid.UUID
) -> None:
    stale, successor = process(duration=SHORT), process()
    old = await stale.leases.acquire(instrument_id)
    assert old is not None
    await asyncio.sleep(SHORT + 0.1)

    new = await successor.leases.acquire(instrument_id)
    assert new is not None
    assert new.holder == successor.leases.holder and new.fence > old.fence
    assert not await stale.leases.renew(old)
    assert await stale.leases.acquire(instrument_id) is None

    # The stale writer's batch fails its fence check and does not commit; the new one's does.
    with pytest.raises(LeaseLost) as lost:
        await _write_book_state(stale.database, instrument_id, old)
    assert lost.value.lease is old
    assert await _book_seq(successor.database, instrument_id) is None
    await _write_book_state(successor.database, instrument_id, new)
    assert await _book_seq(stale.database, instrument_id) == new.fence


async def test_an_expired_lease_fails_the_fence_even_if_nobody_took_it(
    process: Processes, instrument_id: uuid.UUID
) -> None:
    writer = process(duration=SHORT)
    lease = await writer.leases.acquire(instrument_id)
    assert lease is not None
    await asyncio.sleep(SHORT + 0.1)
    with pytest.raises(LeaseLost):
        await _write_book_state(writer.database, instrument_id, lease)
    assert not await writer.leases.renew(lease)


async def test_release_hands_the_book_over_at_once(
    process: Processes, instrument_id: uuid.UUID
) -> None:
    first, second = process(), process()
    lease = await first.leases.acquire(instrument_id)
    assert lease is not None
    await first.leases.release(lease)

    taken = await second.leases.acquire(instrument_id)
    assert taken is not None and taken.fence == lease.fence + 1
    assert not await first.leases.renew(lease)
    with pytest.raises(LeaseLost):
        await _write_book_state(first.database, instrument_id, lease)
    await first.leases.release(lease)  # releasing a lease no longer held leaves the holder alone
    assert await first.leases.acquire(instrument_id) is None
    assert await second.leases.renew(taken)


async def test_concurrent_acquisitions_have_exactly_one_winner(
    process: Processes, instrument_id: uuid.UUID
) -> None:
    # Long leases, expired by hand between rounds: on a slow machine eight acquisitions in a
    # row can take longer than a short lease, which would then rightly pass on mid-round.
    rivals = [process(duration=LONG) for _ in range(8)]
    for round_ in (1, 2):
        leases = await asyncio.gather(*(rival.leases.acquire(instrument_id) for rival in rivals))
        won = [lease for lease in leases if lease is not None]
        assert len(won) == 1
        assert won[0].fence == round_
        async with UnitOfWork(rivals[0].database) as uow:
            row = await uow.session.get_one(TradingLease, instrument_id)
            assert (row.holder, row.fence) == (won[0].holder, won[0].fence)
            # Expire it: the next round starts from a stale lease.
            row.expires_at = utcnow() - timedelta(seconds=1)
            await uow.commit()


async def test_a_takeover_waits_for_the_stale_writers_commit(
    process: Processes, instrument_id: uuid.UUID
) -> None:
    """Once the fence check passed, the lease can expire but cannot change hands before the
    commit: the successor's acquisition waits for it, then sees what was committed."""
    stale, successor = process(duration=SHORT), process()
    old = await stale.leases.acquire(instrument_id)
    assert old is not None
    async with UnitOfWork(stale.database) as uow:
        uow.session.add(
            BookState(
                instrument_id=instrument_id,
                seq=7,
                trade_seq=0,
                last_book_order_id=0,
                last_price_ticks=None,
                state_hash="0" * 64,
                updated_at=utcnow(),
            )
        )
        await check_fence(uow.session, old)
        await asyncio.sleep(SHORT + 0.1)  # the writer stalls; its lease expires meanwhile
        takeover = asyncio.create_task(successor.leases.acquire(instrument_id))
        await asyncio.sleep(0.3)
        assert not takeover.done()
        await uow.commit()
    new = await asyncio.wait_for(takeover, timeout=10)
    assert new is not None and new.fence == old.fence + 1
    assert await _book_seq(successor.database, instrument_id) == 7
    with pytest.raises(LeaseLost):
        await _write_book_state(stale.database, instrument_id, old)


async def test_renewal_keeps_the_lease(process: Processes, instrument_id: uuid.UUID) -> None:
    holder, other = process(duration=RENEWED, renew_interval=0.2), process()
    lease = await holder.leases.acquire(instrument_id)
    assert lease is not None
    lost: list[bool] = []
    keeper = holder.leases.keep(lease, lambda: lost.append(True))
    await asyncio.sleep(1.5 * RENEWED)
    assert await other.leases.acquire(instrument_id) is None
    assert not lost and not keeper.done()
    await _write_book_state(holder.database, instrument_id, lease)

    keeper.cancel()
    await asyncio.gather(keeper, return_exceptions=True)
    await holder.leases.release(lease)
    assert await other.leases.acquire(instrument_id) is not None
    assert not lost


async def test_a_lease_taken_away_is_reported_lost(
    process: Processes, instrument_id: uuid.UUID
) -> None:
    holder, other = process(duration=SHORT), process()
    lease = await holder.leases.acquire(instrument_id)
    assert lease is not None
    lost = asyncio.Event()
    keeper = holder.leases.keep(lease, lost.set)
    # An operator expires the lease by hand; another process takes it over.
    async with UnitOfWork(other.database) as uow:
        await uow.session.execute(
            update(TradingLease)
            .where(TradingLease.instrument_id == instrument_id)
            .values(expires_at=utcnow())
        )
        await uow.commit()
    assert await other.leases.acquire(instrument_id) is not None

    await asyncio.wait_for(lost.wait(), timeout=5)
    await asyncio.wait_for(keeper, timeout=1)


async def test_a_silent_database_stops_the_writer_before_the_lease_expires(
    process: Processes, instrument_id: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = process(duration=SHORT, renew_interval=0.2)
    lease = await holder.leases.acquire(instrument_id)
    assert lease is not None

    async def hang(_lease: Lease) -> bool:
        return await asyncio.Event().wait()

    monkeypatch.setattr(holder.leases, "renew", hang)
    lost_at: list[float] = []
    keeper = holder.leases.keep(lease, lambda: lost_at.append(time.monotonic()))
    await asyncio.wait_for(keeper, timeout=5)
    assert len(lost_at) == 1
    assert lost_at[0] < lease.valid_until
    assert lost_at[0] >= lease.valid_until - 2 * holder.leases.renew_interval


def test_renewal_must_come_well_within_the_duration() -> None:
    database = Database("sqlite+aiosqlite://")
    with pytest.raises(ValueError, match="renew_interval"):
        LeaseManager(database, duration=10, renew_interval=5)
    with pytest.raises(ValueError, match="renew_interval"):
        LeaseManager(database, duration=10, renew_interval=0)


async def test_starting_never_waits_for_a_book_held_elsewhere(
    process: Processes, instrument_id: uuid.UUID
) -> None:
    """A restarted process serves at once; the book another process still holds (a crashed
    predecessor's lease) is taken over in the background as soon as it is free."""
    holder, successor = process(), process(duration=2.0, renew_interval=0.2)
    lease = await holder.leases.acquire(instrument_id)
    assert lease is not None
    await _write_book_state(holder.database, instrument_id, lease)

    trading = Trading(successor.database, leases=successor.leases)
    began = time.monotonic()
    await trading.start()
    try:
        assert time.monotonic() - began < 1.0  # not a lease duration
        assert instrument_id not in trading.writers()
        assert trading.held_elsewhere(instrument_id) and trading.taking_over() == 1
        await holder.leases.release(lease)
        for _ in range(100):
            if instrument_id in trading.writers():
                break
            await asyncio.sleep(0.05)
        assert instrument_id in trading.writers()
        assert not trading.held_elsewhere(instrument_id) and trading.taking_over() == 0
    finally:
        await trading.stop()


async def test_a_book_held_elsewhere_is_never_shown_empty(
    process: Processes, client: httpx.AsyncClient, app: FastAPI
) -> None:
    """Orders for a book another process writes are refused with 503, and so is its depth:
    this process cannot know what rests there, so it says so rather than show an empty book."""
    market = await list_bond(client, app)
    holder = process()
    lease = await holder.leases.acquire(uuid.UUID(market.id))
    assert lease is not None
    investor = await verified_investor(client)
    await fund_cash(app, investor, 20_000_00)

    refused = await order(client, investor, market, "buy", "100.00", 100)
    assert_problem(refused, 503, "trading.book_elsewhere")
    assert refused.headers["retry-after"] == "2"
    book = await client.get(f"/api/v1/instruments/{market.id}/book")
    assert_problem(book, 503, "trading.book_elsewhere")

    await holder.leases.release(lease)
    assert (await order(client, investor, market, "buy", "100.00", 100)).status_code == 201
    book = await client.get(f"/api/v1/instruments/{market.id}/book")
    assert book.status_code == 200 and book.json()["bids"][0]["quantity"] == 100
