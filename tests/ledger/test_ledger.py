"""The ledger service: balanced entries only, no overdraft, reversals, verification."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from liquibond.ledger.entries import (
    RAIL_IN_TRANSIT,
    AccountKey,
    EntryDraft,
    Leg,
    Owner,
    UnbalancedEntry,
    move,
)
from liquibond.ledger.models import Bucket
from liquibond.ledger.service import InsufficientFunds, LedgerService
from liquibond.platform.db import Database
from liquibond.platform.errors import Conflict
from liquibond.platform.uow import UnitOfWork


def cash(user: uuid.UUID, bucket: Bucket = Bucket.AVAILABLE) -> AccountKey:
    """A user's rupee account."""
    return AccountKey(Owner.user(user), "INR", bucket)


RAIL = AccountKey(RAIL_IN_TRANSIT, "INR", Bucket.SYSTEM)


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


def test_entries_must_balance_per_asset() -> None:
    alice = Owner.user(uuid.uuid4())
    with pytest.raises(UnbalancedEntry, match="sum to zero"):
        EntryDraft("x", "x", (Leg(AccountKey(alice, "INR", Bucket.AVAILABLE), 100), Leg(RAIL, -99)))
    with pytest.raises(UnbalancedEntry, match="sum to zero"):
        # Balanced in total but not per asset.
        EntryDraft(
            "x",
            "x",
            (
                Leg(AccountKey(alice, "INR", Bucket.AVAILABLE), 100),
                Leg(AccountKey(RAIL_IN_TRANSIT, "USD", Bucket.SYSTEM), -100),
            ),
        )
    with pytest.raises(UnbalancedEntry, match="integers"):
        EntryDraft("x", "x", (Leg(RAIL, 1.5), Leg(RAIL, -1.5)))  # type: ignore[arg-type]
    with pytest.raises(UnbalancedEntry):
        move("x", "x", source=RAIL, destination=RAIL, amount=0)
    with pytest.raises(UnbalancedEntry, match="system bucket"):
        AccountKey(alice, "INR", Bucket.SYSTEM)


async def test_post_moves_money_and_keeps_running_balances(database: Database) -> None:
    alice, bob = uuid.uuid4(), uuid.uuid4()
    await deposit(database, alice, 100_000)
    async with UnitOfWork(database) as uow:
        ledger = LedgerService(uow.session)
        await ledger.move(
            "transfer", "To Bob", source=cash(alice), destination=cash(bob), amount=30_000
        )
        await ledger.reserve(alice, "INR", 50_000)
        await uow.commit()
    async with UnitOfWork(database, write=False) as uow:
        ledger = LedgerService(uow.session)
        assert await ledger.balance(cash(alice)) == 20_000
        assert await ledger.balance(cash(alice, Bucket.LOCKED)) == 50_000
        assert await ledger.balance(cash(bob)) == 30_000
        assert await ledger.balance(RAIL) == -100_000
        lines, _ = await ledger.statement(alice, limit=10, cursor=None)
        assert [(line.kind, line.amount, line.balance_after) for line in lines] == [
            ("reserve", 50_000, 50_000),
            ("reserve", -50_000, 20_000),
            ("transfer", -30_000, 70_000),
            ("deposit", 100_000, 100_000),
        ]
        assert await ledger.verify() == []


async def test_overdraft_is_refused_and_nothing_is_half_written(database: Database) -> None:
    alice, bob = uuid.uuid4(), uuid.uuid4()
    await deposit(database, alice, 1_000)
    async with UnitOfWork(database) as uow:
        with pytest.raises(InsufficientFunds) as refused:
            await LedgerService(uow.session).move(
                "transfer", "Too much", source=cash(alice), destination=cash(bob), amount=1_001
            )
        assert refused.value.code == "ledger.insufficient_funds"
        await uow.rollback()
    async with UnitOfWork(database, write=False) as uow:
        ledger = LedgerService(uow.session)
        assert await ledger.balance(cash(alice)) == 1_000
        assert await ledger.balance(cash(bob)) == 0
        assert await ledger.verify() == []


async def test_database_refuses_a_negative_user_balance(database: Database) -> None:
    alice = uuid.uuid4()
    await deposit(database, alice, 10)
    async with UnitOfWork(database) as uow:
        with pytest.raises(IntegrityError):
            await uow.session.execute(
                text("UPDATE ledger_accounts SET balance = -1 WHERE owner_key = :k"),
                {"k": Owner.user(alice).key},
            )


async def test_reference_posts_once_and_reversal_corrects(database: Database) -> None:
    alice = uuid.uuid4()
    async with UnitOfWork(database) as uow:
        ledger = LedgerService(uow.session)
        entry = await ledger.move(
            "deposit",
            "D",
            source=RAIL,
            destination=cash(alice),
            amount=500,
            reference="payment:abc",
        )
        with pytest.raises(Conflict):
            await ledger.move(
                "deposit",
                "D",
                source=RAIL,
                destination=cash(alice),
                amount=500,
                reference="payment:abc",
            )
        await uow.commit()
    async with UnitOfWork(database) as uow:
        ledger = LedgerService(uow.session)
        await ledger.reverse(entry.id, reason="posted to the wrong user", actor_id=None)
        with pytest.raises(Conflict):
            await ledger.reverse(entry.id, reason="twice", actor_id=None)
        await uow.commit()
    async with UnitOfWork(database, write=False) as uow:
        ledger = LedgerService(uow.session)
        assert await ledger.balance(cash(alice)) == 0
        assert await ledger.verify() == []


async def test_unknown_asset_is_404(database: Database) -> None:
    async with UnitOfWork(database) as uow:
        with pytest.raises(Exception) as missing:
            await LedgerService(uow.session).move(
                "x",
                "x",
                source=AccountKey(RAIL_IN_TRANSIT, "XXX", Bucket.SYSTEM),
                destination=AccountKey(Owner.user(uuid.uuid4()), "XXX", Bucket.AVAILABLE),
                amount=1,
            )
        assert getattr(missing.value, "code", None) == "asset.not_found"


@pytest.mark.corrupts_ledger
async def test_verify_names_the_culprit(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    alice = uuid.uuid4()
    await deposit(database, alice, 700)
    env = {
        **os.environ,
        "LIQUIBOND_DATABASE_URL": database_url,
        "LIQUIBOND_DATA_DIR": str(tmp_path),
    }
    command = [sys.executable, "-m", "liquibond", "ledger", "verify"]
    ok = await asyncio.to_thread(subprocess.run, command, env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    async with UnitOfWork(database) as uow:  # a rogue edit behind the ledger's back
        await uow.session.execute(
            text("UPDATE ledger_accounts SET balance = 900 WHERE owner_key = :k"),
            {"k": Owner.user(alice).key},
        )
        await uow.commit()
    broken = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True
    )
    assert broken.returncode == 1
    assert "balance equals its postings" in broken.stdout and Owner.user(alice).key in broken.stdout
    assert "asset sums to zero: asset INR: accounts sum to 200" in broken.stdout
