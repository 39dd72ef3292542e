"""A large ledger batch goes to the database in bulk (COPY on PostgreSQL, one executemany on
SQLite): the same rows, events and refusals as a small one."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from liquibond.ledger.entries import move, reservation
from liquibond.ledger.models import Bucket, JournalEntry
from liquibond.ledger.service import LedgerBatch, LedgerService
from liquibond.platform.bulk import MIN_BULK_ROWS
from liquibond.platform.db import Database
from liquibond.platform.outbox import Outbox, OutboxRow
from liquibond.platform.uow import UnitOfWork
from tests.ledger.test_batch import RAIL, balances, cash, deposit

ENTRIES = 2 * MIN_BULK_ROWS  # each of them a reservation: two postings, two events


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    yield db
    await db.dispose()


async def test_a_large_batch_writes_every_entry_posting_and_event(database: Database) -> None:
    alice = uuid.uuid4()
    await deposit(database, alice, 10_000)
    outbox = Outbox()
    async with UnitOfWork(database) as uow:
        batch = LedgerBatch(uow.session, outbox.record)
        ids = [
            await batch.post(reservation(alice, "INR", 100 + i, reference=f"bulk:{i}"))
            for i in range(ENTRIES)
        ]
        await batch.write()
        await outbox.write(uow.session)
        await uow.commit()
    reserved = sum(100 + i for i in range(ENTRIES))
    assert await balances(database, cash(alice), cash(alice, Bucket.LOCKED)) == [
        10_000 - reserved,
        reserved,
    ]
    async with UnitOfWork(database, write=False) as uow:
        ledger = LedgerService(uow.session)
        assert await ledger.verify() == []
        lines, _ = await ledger.statement(alice, limit=2 * ENTRIES, cursor=None)
        assert [line.entry_id for line in lines[::2]] == ids[::-1]  # newest first, in pairs
        assert [(line.amount, line.balance_after) for line in lines[:2]] == [
            (100 + ENTRIES - 1, reserved),
            (-(100 + ENTRIES - 1), 10_000 - reserved),
        ]
        entries = await uow.session.scalars(select(JournalEntry).where(JournalEntry.id.in_(ids)))
        assert {(e.kind, e.reference, e.actor_id) for e in entries} == {
            ("reserve", f"bulk:{i}", alice) for i in range(ENTRIES)
        }
        rows = await uow.session.scalars(select(OutboxRow).order_by(OutboxRow.position))
        events = rows.all()[1:]  # after the deposit's
    assert [(e.data["entry_id"], e.data["bucket"]) for e in events] == [
        (str(entry), bucket) for entry in ids for bucket in ("available", "locked")
    ]
    assert {e.type for e in events} == {"ledger.balance_changed.v1"}
    assert events[-1].data == {
        "user_id": str(alice),
        "asset": "INR",
        "bucket": "locked",
        "balance": reserved,
        "delta": 100 + ENTRIES - 1,
        "entry_id": str(ids[-1]),
        "kind": "reserve",
    }


async def test_the_database_refuses_a_large_batch_with_a_reference_posted_before(
    database: Database,
) -> None:
    alice = uuid.uuid4()
    credit = move("deposit", "D", source=RAIL, destination=cash(alice), amount=500, reference="p:1")
    async with UnitOfWork(database) as uow:
        await LedgerService(uow.session).post(credit)
        await uow.commit()
    async with UnitOfWork(database) as uow:
        batch = LedgerService(uow.session).batch()
        for i in range(ENTRIES):
            await batch.post(
                move(
                    "deposit",
                    "D",
                    source=RAIL,
                    destination=cash(alice),
                    amount=1,
                    reference=f"q:{i}",
                )
            )
        await batch.post(credit)  # posted before: only the database knows
        with pytest.raises(IntegrityError):
            await batch.write()
    assert await balances(database, cash(alice)) == [500]


async def test_events_keep_their_order_and_their_data_in_bulk(database: Database) -> None:
    outbox = Outbox()
    recorded = [
        outbox.record("test.bulk.v1", {"n": n, "text": '₹ ü "q"', "list": [n, None, True]})
        for n in range(ENTRIES)
    ]
    async with UnitOfWork(database) as uow:
        await outbox.write(uow.session)
        await uow.commit()
    async with UnitOfWork(database, write=False) as uow:
        rows = list(await uow.session.scalars(select(OutboxRow).order_by(OutboxRow.position)))
    assert [
        (r.event_id, r.type, r.occurred_at, r.data, r.published_at, r.attempts) for r in rows
    ] == [(e.event_id, e.type, e.occurred_at, e.data, None, 0) for e in recorded]


async def test_a_large_batch_sets_every_balance_it_changed(database: Database) -> None:
    users = [uuid.uuid4() for _ in range(ENTRIES)]
    async with UnitOfWork(database) as uow:
        batch = LedgerService(uow.session).batch()
        for n, user in enumerate(users, 1):
            await batch.post(move("deposit", "D", source=RAIL, destination=cash(user), amount=n))
        await batch.write()  # the accounts were opened by the batch: their balances change
        for n, user in enumerate(users, 1):
            await batch.post(reservation(user, "INR", n // 2 + 1))
        await batch.write()  # a second write: only what changed since the first
        await uow.commit()
    assert await balances(database, *(cash(user) for user in users)) == [
        n - (n // 2 + 1) for n in range(1, ENTRIES + 1)
    ]
    assert await balances(database, *(cash(user, Bucket.LOCKED) for user in users)) == [
        n // 2 + 1 for n in range(1, ENTRIES + 1)
    ]
    async with UnitOfWork(database, write=False) as uow:
        assert await LedgerService(uow.session).verify() == []
