"""The batch ledger: entries posted to balances held in memory, refused there, written together."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from liquibond.ledger.entries import RAIL_IN_TRANSIT, AccountKey, Owner, move, release, reservation
from liquibond.ledger.models import Bucket
from liquibond.ledger.service import InsufficientFunds, LedgerBatch, LedgerService
from liquibond.platform.db import Database
from liquibond.platform.errors import Conflict
from liquibond.platform.outbox import Event, Outbox
from liquibond.platform.uow import UnitOfWork

RAIL = AccountKey(RAIL_IN_TRANSIT, "INR", Bucket.SYSTEM)


def cash(user: uuid.UUID, bucket: Bucket = Bucket.AVAILABLE) -> AccountKey:
    """A user's rupee account."""
    return AccountKey(Owner.user(user), "INR", bucket)


@pytest.fixture
async def database(database_url: str) -> Database:
    db = Database(database_url)
    yield db  # type: ignore[misc]
    await db.dispose()


async def deposit(database: Database, user: uuid.UUID, amount: int) -> None:
    async with UnitOfWork(database) as uow:
        await LedgerService(uow.session).move(
            "deposit", "Deposit", source=RAIL, destination=cash(user), amount=amount
        )
        await uow.commit()


async def balances(database: Database, *keys: AccountKey) -> list[int]:
    """The committed balances of `keys`."""
    async with UnitOfWork(database, write=False) as uow:
        ledger = LedgerService(uow.session)
        return [await ledger.balance(key) for key in keys]


async def test_a_batch_posts_in_memory_and_writes_once(database: Database) -> None:
    alice, bob = uuid.uuid4(), uuid.uuid4()
    await deposit(database, alice, 1_000)
    async with UnitOfWork(database) as uow:
        ledger = LedgerService(uow.session)
        batch = ledger.batch()
        await batch.hold([cash(alice), cash(alice, Bucket.LOCKED), cash(bob)])
        await batch.post(reservation(alice, "INR", 600))
        await batch.post(release(alice, "INR", 200))
        transfer = move("transfer", "To Bob", source=cash(alice), destination=cash(bob), amount=500)
        await batch.post(transfer)
        assert await ledger.balance(cash(alice)) == 1_000  # nothing written yet
        await batch.write()
        await uow.commit()
    assert await balances(database, cash(alice), cash(alice, Bucket.LOCKED), cash(bob)) == [
        100,
        400,
        500,
    ]
    async with UnitOfWork(database, write=False) as uow:
        ledger = LedgerService(uow.session)
        lines, _ = await ledger.statement(alice, limit=10, cursor=None)
        assert [(line.kind, line.amount, line.balance_after) for line in lines] == [
            ("transfer", -500, 100),
            ("release", 200, 600),
            ("release", -200, 400),
            ("reserve", 600, 600),
            ("reserve", -600, 400),
            ("deposit", 1_000, 1_000),
        ]
        assert await ledger.verify() == []  # every entry balances; balances equal postings


async def test_balance_events_follow_the_entries(database: Database) -> None:
    alice = uuid.uuid4()
    await deposit(database, alice, 1_000)
    events: list[Event] = []
    outbox = Outbox()

    def record(type_: str, data: dict[str, Any]) -> Event:
        events.append(outbox.record(type_, data))
        return events[-1]

    async with UnitOfWork(database) as uow:
        batch = LedgerBatch(uow.session, record)
        first = await batch.post(reservation(alice, "INR", 300))
        second = await batch.post(release(alice, "INR", 100))
    assert [
        (e.type, e.data["entry_id"], e.data["bucket"], e.data["delta"], e.data["balance"])
        for e in events
    ] == [
        ("ledger.balance_changed.v1", str(first), "available", -300, 700),
        ("ledger.balance_changed.v1", str(first), "locked", 300, 300),
        ("ledger.balance_changed.v1", str(second), "locked", -100, 200),
        ("ledger.balance_changed.v1", str(second), "available", 100, 800),
    ]


async def test_an_overdraft_is_refused_in_memory_and_changes_nothing(database: Database) -> None:
    alice, carol = uuid.uuid4(), uuid.uuid4()
    await deposit(database, alice, 1_000)
    async with UnitOfWork(database) as uow:
        batch = LedgerService(uow.session).batch()
        await batch.post(reservation(alice, "INR", 600))
        with pytest.raises(InsufficientFunds) as refused:
            await batch.post(reservation(alice, "INR", 500))
        assert refused.value.code == "ledger.insufficient_funds"
        with pytest.raises(InsufficientFunds):  # carol has nothing: her account is not opened
            await batch.post(move("x", "x", source=cash(carol), destination=cash(alice), amount=1))
        await batch.post(reservation(alice, "INR", 400))  # exactly what is left
        await batch.write()
        await uow.commit()
    assert await balances(database, cash(alice), cash(alice, Bucket.LOCKED)) == [0, 1_000]
    async with UnitOfWork(database, write=False) as uow:
        ledger = LedgerService(uow.session)
        assert await ledger.balances(carol) == []
        assert await ledger.verify() == []


async def test_a_reference_posts_once(database: Database) -> None:
    alice = uuid.uuid4()
    credit = move(
        "deposit", "D", source=RAIL, destination=cash(alice), amount=500, reference="payment:1"
    )
    async with UnitOfWork(database) as uow:
        batch = LedgerService(uow.session).batch()
        await batch.post(credit)
        with pytest.raises(Conflict) as twice:
            await batch.post(credit)
        assert twice.value.code == "ledger.duplicate_reference"
        await batch.write()
        await uow.commit()
    async with UnitOfWork(database) as uow:
        with pytest.raises(Conflict):  # posted before: refused up front
            await LedgerService(uow.session).post(credit)
    async with UnitOfWork(database) as uow:
        batch = LedgerService(uow.session).batch()
        await batch.post(credit)
        with pytest.raises(IntegrityError):  # posted before: the database refuses it
            await batch.write()
    assert await balances(database, cash(alice)) == [500]


async def test_a_savepoint_undoes_what_it_posted(database: Database) -> None:
    alice = uuid.uuid4()
    await deposit(database, alice, 1_000)
    async with UnitOfWork(database) as uow:
        batch = LedgerService(uow.session).batch()
        await batch.post(reservation(alice, "INR", 100, reference="kept"))

        async def step() -> None:
            with batch.savepoint():
                await batch.post(reservation(alice, "INR", 800, reference="undone"))
                raise RuntimeError("the rest of the step failed")

        with pytest.raises(RuntimeError):
            await step()
        await batch.post(reservation(alice, "INR", 900, reference="undone"))  # room again
        await batch.write()
        await uow.commit()
    assert await balances(database, cash(alice), cash(alice, Bucket.LOCKED)) == [0, 1_000]


async def test_concurrent_batches_never_overdraw(database: Database) -> None:
    """A batch holding an account keeps every other writer of it waiting until it commits."""
    alice = uuid.uuid4()
    await deposit(database, alice, 1_000)
    holding = asyncio.Event()

    async def first() -> None:
        async with UnitOfWork(database) as uow:
            batch = LedgerService(uow.session).batch()
            await batch.post(reservation(alice, "INR", 600))
            holding.set()
            await asyncio.sleep(0.3)
            await batch.write()
            await uow.commit()

    async def second() -> None:
        await holding.wait()
        async with UnitOfWork(database) as uow:
            batch = LedgerService(uow.session).batch()
            with pytest.raises(InsufficientFunds):  # 400 left once the first committed
                await batch.post(reservation(alice, "INR", 600))

    await asyncio.gather(first(), second())
    assert await balances(database, cash(alice), cash(alice, Bucket.LOCKED)) == [400, 600]
