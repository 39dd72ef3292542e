"""Invariants of the ledger under random traffic: a hypothesis state machine, and the bank test."""

from __future__ import annotations

import asyncio
import random
import shutil
import uuid
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from liquibond.ledger.entries import RAIL_IN_TRANSIT, AccountKey, Owner
from liquibond.ledger.models import Bucket
from liquibond.ledger.service import InsufficientFunds, LedgerService
from liquibond.platform.db import Database
from liquibond.platform.uow import UnitOfWork

USERS = [uuid.UUID(int=i + 1) for i in range(3)]
RAIL = AccountKey(RAIL_IN_TRANSIT, "INR", Bucket.SYSTEM)
amounts = st.integers(min_value=1, max_value=50_000)
users = st.sampled_from(USERS)


def key(user: uuid.UUID, bucket: Bucket) -> AccountKey:
    return AccountKey(Owner.user(user), "INR", bucket)


def test_ledger_state_machine(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Random posts, reserves and releases; the three invariants hold after every step."""

    class LedgerMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            path = tmp_path_factory.mktemp("ledger") / "l.db"
            shutil.copy(sqlite_template, path)
            self.loop = asyncio.new_event_loop()
            self.database = Database(f"sqlite+aiosqlite:///{path}")
            self.model: dict[AccountKey, int] = {}

        def _run(self, work):  # type: ignore[no-untyped-def]
            async def in_uow():  # type: ignore[no-untyped-def]
                async with UnitOfWork(self.database) as uow:
                    result = await work(LedgerService(uow.session))
                    await uow.commit()
                    return result

            return self.loop.run_until_complete(in_uow())

        def _apply(
            self, source: AccountKey, destination: AccountKey, amount: int, kind: str
        ) -> None:
            enough = source.owner.is_system or self.model.get(source, 0) >= amount
            try:
                self._run(
                    lambda ledger: ledger.move(
                        kind, kind, source=source, destination=destination, amount=amount
                    )
                )
            except InsufficientFunds:
                assert not enough, "refused although the balance was sufficient"
                return
            assert enough, "accepted an overdraft"
            self.model[source] = self.model.get(source, 0) - amount
            self.model[destination] = self.model.get(destination, 0) + amount

        @rule(user=users, amount=amounts)
        def deposit(self, user: uuid.UUID, amount: int) -> None:
            self._apply(RAIL, key(user, Bucket.AVAILABLE), amount, "deposit")

        @rule(payer=users, payee=users, amount=amounts)
        def transfer(self, payer: uuid.UUID, payee: uuid.UUID, amount: int) -> None:
            self._apply(
                key(payer, Bucket.AVAILABLE), key(payee, Bucket.AVAILABLE), amount, "transfer"
            )

        @rule(user=users, amount=amounts, bucket=st.sampled_from([Bucket.LOCKED, Bucket.ESCROW]))
        def reserve(self, user: uuid.UUID, amount: int, bucket: Bucket) -> None:
            self._apply(key(user, Bucket.AVAILABLE), key(user, bucket), amount, "reserve")

        @rule(user=users, amount=amounts, bucket=st.sampled_from([Bucket.LOCKED, Bucket.ESCROW]))
        def release(self, user: uuid.UUID, amount: int, bucket: Bucket) -> None:
            self._apply(key(user, bucket), key(user, Bucket.AVAILABLE), amount, "release")

        @precondition(
            lambda self: any(v > 0 for k, v in self.model.items() if not k.owner.is_system)
        )
        @rule(user=users, amount=amounts)
        def withdraw(self, user: uuid.UUID, amount: int) -> None:
            self._apply(key(user, Bucket.AVAILABLE), RAIL, amount, "withdrawal")

        @invariant()
        def ledger_invariants_hold(self) -> None:
            breaks = self._run(lambda ledger: ledger.verify())
            assert breaks == [], breaks

        @invariant()
        def balances_match_the_model(self) -> None:
            async def read(ledger: LedgerService) -> dict[AccountKey, int]:
                return {k: await ledger.balance(k) for k in self.model}

            assert self._run(read) == self.model

        def teardown(self) -> None:
            self.loop.run_until_complete(self.database.dispose())
            self.loop.close()

    run_state_machine_as_test(
        LedgerMachine, settings=settings(max_examples=15, stateful_step_count=15, deadline=None)
    )


async def test_bank_concurrent_transfers_and_withdrawals(database_url: str) -> None:
    """Many concurrent transfers and withdrawals on the same accounts: conserved, never negative,
    never deadlocked (run on PostgreSQL with real row locks, and on SQLite)."""
    database = Database(database_url, pool_size=8)
    people = [uuid.uuid4() for _ in range(6)]
    opening = 100_000
    try:
        async with UnitOfWork(database) as uow:
            ledger = LedgerService(uow.session)
            for person in people:
                await ledger.move(
                    "deposit",
                    "Opening",
                    source=RAIL,
                    destination=key(person, Bucket.AVAILABLE),
                    amount=opening,
                )
            await uow.commit()

        rng = random.Random(7)
        refused = 0

        async def one(n: int) -> None:
            nonlocal refused
            a, b = rng.sample(people, 2)
            amount = rng.randint(1_000, 60_000)
            destination = key(b, Bucket.AVAILABLE) if n % 4 else key(a, Bucket.PENDING_WITHDRAWAL)
            async with UnitOfWork(database) as uow:
                try:
                    # Two legs touching both parties: opposite directions race for the same rows.
                    await LedgerService(uow.session).move(
                        "transfer",
                        "Bank test",
                        source=key(a, Bucket.AVAILABLE),
                        destination=destination,
                        amount=amount,
                    )
                    await uow.commit()
                except InsufficientFunds:
                    refused += 1

        await asyncio.wait_for(asyncio.gather(*(one(n) for n in range(200))), timeout=120)

        async with UnitOfWork(database, write=False) as uow:
            ledger = LedgerService(uow.session)
            total = 0
            for person in people:
                for bucket in (Bucket.AVAILABLE, Bucket.PENDING_WITHDRAWAL):
                    balance = await ledger.balance(key(person, bucket))
                    assert balance >= 0
                    total += balance
            assert total == opening * len(people)
            assert await ledger.verify() == []
        assert 0 < refused < 200  # the test really exercised both outcomes
    finally:
        await database.dispose()
