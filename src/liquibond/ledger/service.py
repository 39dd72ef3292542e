"""The ledger service: the only code that writes balances.

`post` applies a balanced entry atomically: it locks the entry's accounts in a fixed order
(account id), so concurrent posts on PostgreSQL neither overdraw nor deadlock (SQLite
serialises writers at BEGIN IMMEDIATE), refuses any leg that would drive a user account
negative (the database CHECK constraint refuses it too), appends the postings with running
balances and emits `ledger.balance_changed.v1` for every user account it touched.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.ledger.entries import AccountKey, EntryDraft, Leg, Owner, UnbalancedEntry, move
from liquibond.ledger.models import Account, Asset, AssetKind, Bucket, JournalEntry, Posting
from liquibond.platform.db import new_id, utcnow
from liquibond.platform.errors import Conflict, Unprocessable, not_found
from liquibond.platform.outbox import record_event
from liquibond.platform.schemas import as_int, cursor_value, encode_cursor


class InsufficientFunds(Unprocessable):
    """A leg would drive a user account below zero."""


@dataclass(frozen=True, slots=True)
class Balance:
    """One account's balance, for display."""

    asset: str
    bucket: Bucket
    balance: int
    scale: int


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One posting on one of a user's accounts."""

    posting_id: int
    entry_id: uuid.UUID
    kind: str
    description: str
    asset: str
    bucket: Bucket
    amount: int
    balance_after: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LedgerBreak:
    """A violated ledger invariant, naming the culprit."""

    invariant: str
    culprit: str
    detail: str


class LedgerService:
    """Posts balanced entries and reads balances; never commits (the unit of work does)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # -- assets ----------------------------------------------------------------------------

    async def asset(self, code: str) -> Asset:
        """A registered asset; 404 problem if unknown."""
        asset = await self._session.get(Asset, code)
        if asset is None:
            raise not_found("asset")
        return asset

    async def register_asset(self, code: str, kind: AssetKind, scale: int, name: str) -> Asset:
        """Register an asset (e.g. a bond's units when it is listed); idempotent if identical."""
        existing = await self._session.get(Asset, code)
        if existing is not None:
            if (existing.kind, existing.scale) != (kind.value, scale):
                raise Conflict(
                    code="ledger.asset_exists", detail=f"Asset {code} exists with other terms."
                )
            return existing
        asset = Asset(code=code, kind=kind.value, scale=scale, name=name)
        self._session.add(asset)
        await self._session.flush()
        return asset

    # -- posting ---------------------------------------------------------------------------

    async def post(self, draft: EntryDraft) -> JournalEntry:
        """Apply a balanced entry atomically (see module docstring)."""
        keys = sorted({leg.account for leg in draft.legs}, key=_account_sort_key)
        accounts = {key: await self._ensure_account(key) for key in keys}
        locked = await self._lock(sorted(account_id for account_id in accounts.values()))
        if draft.reference is not None and await self._session.scalar(
            select(JournalEntry.id).where(JournalEntry.reference == draft.reference)
        ):
            raise Conflict(
                code="ledger.duplicate_reference",
                detail=f"An entry for {draft.reference} was already posted.",
            )
        entry = JournalEntry(
            id=new_id(),
            kind=draft.kind,
            description=draft.description,
            reference=draft.reference,
            reverses_id=draft.reverses_id,
            actor_id=draft.actor_id,
        )
        self._session.add(entry)
        now = utcnow()
        balances = {account_id: row.balance for account_id, row in locked.items()}
        postings: list[Posting] = []
        for leg in draft.legs:
            account_id = accounts[leg.account]
            balances[account_id] += leg.amount
            if balances[account_id] < 0 and not leg.account.owner.is_system:
                raise InsufficientFunds(
                    code="ledger.insufficient_funds",
                    detail=f"Not enough {leg.account.asset} in {leg.account.bucket.value}.",
                    extra={"asset": leg.account.asset, "bucket": leg.account.bucket.value},
                )
            postings.append(
                Posting(
                    entry_id=entry.id,
                    account_id=account_id,
                    asset_code=leg.account.asset,
                    amount=leg.amount,
                    balance_after=balances[account_id],
                    created_at=now,
                )
            )
        for account_id, balance in balances.items():
            if balance != locked[account_id].balance:
                await self._session.execute(
                    update(Account).where(Account.id == account_id).values(balance=balance)
                )
        self._session.add_all(postings)
        try:
            await self._session.flush()
        except IntegrityError as exc:
            # Two first-time posts with the same reference raced; the loser sees the winner.
            raise Conflict(
                code="ledger.duplicate_reference",
                detail=f"An entry for {draft.reference} was already posted.",
            ) from exc
        self._emit_balance_changes(draft, accounts, balances, entry.id)
        return entry

    async def move(
        self,
        kind: str,
        description: str,
        *,
        source: AccountKey,
        destination: AccountKey,
        amount: int,
        reference: str | None = None,
        actor_id: uuid.UUID | None = None,
    ) -> JournalEntry:
        """Post a two-leg entry moving `amount` from `source` to `destination`."""
        return await self.post(
            move(
                kind,
                description,
                source=source,
                destination=destination,
                amount=amount,
                reference=reference,
                actor_id=actor_id,
            )
        )

    async def reserve(
        self,
        user_id: uuid.UUID,
        asset: str,
        amount: int,
        *,
        to: Bucket = Bucket.LOCKED,
        reference: str | None = None,
        description: str = "Reserved",
    ) -> JournalEntry:
        """Move `amount` from the user's available balance into `to` (locked, escrow, ...)."""
        owner = Owner.user(user_id)
        return await self.move(
            "reserve",
            description,
            source=AccountKey(owner, asset, Bucket.AVAILABLE),
            destination=AccountKey(owner, asset, to),
            amount=amount,
            reference=reference,
            actor_id=user_id,
        )

    async def release(
        self,
        user_id: uuid.UUID,
        asset: str,
        amount: int,
        *,
        from_: Bucket = Bucket.LOCKED,
        reference: str | None = None,
        description: str = "Released",
    ) -> JournalEntry:
        """Move `amount` back from `from_` into the user's available balance."""
        owner = Owner.user(user_id)
        return await self.move(
            "release",
            description,
            source=AccountKey(owner, asset, from_),
            destination=AccountKey(owner, asset, Bucket.AVAILABLE),
            amount=amount,
            reference=reference,
            actor_id=user_id,
        )

    async def reverse(
        self, entry_id: uuid.UUID, *, reason: str, actor_id: uuid.UUID | None
    ) -> JournalEntry:
        """Correct a mistake by posting the opposite entry; an entry is reversed at most once."""
        original = await self._session.get(JournalEntry, entry_id)
        if original is None:
            raise not_found("journal_entry")
        if await self._session.scalar(
            select(JournalEntry.id).where(JournalEntry.reverses_id == entry_id)
        ):
            raise Conflict(
                code="ledger.already_reversed", detail="This entry was already reversed."
            )
        rows = (
            await self._session.execute(
                select(Posting.amount, Account.owner_key, Account.asset_code, Account.bucket)
                .join(Account, Account.id == Posting.account_id)
                .where(Posting.entry_id == entry_id)
                .order_by(Posting.id)
            )
        ).all()
        legs = tuple(
            Leg(AccountKey(Owner(row.owner_key), row.asset_code, Bucket(row.bucket)), -row.amount)
            for row in rows
        )
        return await self.post(
            EntryDraft(
                kind="reversal",
                description=f"Reversal: {reason}"[:200],
                legs=legs,
                reverses_id=entry_id,
                actor_id=actor_id,
            )
        )

    # -- reading ---------------------------------------------------------------------------

    async def balance(self, key: AccountKey) -> int:
        """The balance of one account (0 if it was never used)."""
        value = await self._session.scalar(
            select(Account.balance).where(
                Account.owner_key == key.owner.key,
                Account.asset_code == key.asset,
                Account.bucket == key.bucket.value,
            )
        )
        return int(value or 0)

    async def balances(self, user_id: uuid.UUID) -> list[Balance]:
        """A user's balances by asset and bucket."""
        rows = (
            await self._session.execute(
                select(Account.asset_code, Account.bucket, Account.balance, Asset.scale)
                .join(Asset, Asset.code == Account.asset_code)
                .where(Account.owner_key == Owner.user(user_id).key)
                .order_by(Account.asset_code, Account.bucket)
            )
        ).all()
        return [Balance(r.asset_code, Bucket(r.bucket), r.balance, r.scale) for r in rows]

    async def holders(
        self, asset: str, buckets: Collection[Bucket] = (Bucket.AVAILABLE, Bucket.LOCKED)
    ) -> list[tuple[uuid.UUID, int]]:
        """Every user holding some of `asset` in `buckets`, with the total, by user id."""
        rows = await self._session.execute(
            select(Account.user_id, func.sum(Account.balance))
            .where(
                Account.asset_code == asset,
                Account.is_system.is_(False),
                Account.bucket.in_([bucket.value for bucket in buckets]),
            )
            .group_by(Account.user_id)
            .having(func.sum(Account.balance) > 0)
            .order_by(Account.user_id)
        )
        return [(user_id, int(units)) for user_id, units in rows if user_id is not None]

    async def statement(
        self, user_id: uuid.UUID, *, limit: int, cursor: str | None, asset: str | None = None
    ) -> tuple[list[StatementLine], str | None]:
        """A user's postings, newest first, one page at a time."""
        query = (
            select(
                Posting.id,
                Posting.entry_id,
                JournalEntry.kind,
                JournalEntry.description,
                Posting.asset_code,
                Account.bucket,
                Posting.amount,
                Posting.balance_after,
                Posting.created_at,
            )
            .join(Account, Account.id == Posting.account_id)
            .join(JournalEntry, JournalEntry.id == Posting.entry_id)
            .where(Account.owner_key == Owner.user(user_id).key)
            .order_by(Posting.id.desc())
            .limit(limit + 1)
        )
        before = cursor_value(cursor, "before", as_int)
        if before is not None:
            query = query.where(Posting.id < before)
        if asset is not None:
            query = query.where(Posting.asset_code == asset)
        rows = (await self._session.execute(query)).all()
        lines = [
            StatementLine(
                r.id,
                r.entry_id,
                r.kind,
                r.description,
                r.asset_code,
                Bucket(r.bucket),
                r.amount,
                r.balance_after,
                r.created_at,
            )
            for r in rows[:limit]
        ]
        next_cursor = encode_cursor({"before": lines[-1].posting_id}) if len(rows) > limit else None
        return lines, next_cursor

    async def verify(self) -> list[LedgerBreak]:
        """Check the three invariants over the whole ledger; an empty list means it balances."""
        breaks: list[LedgerBreak] = []
        unbalanced = await self._session.execute(
            select(Posting.entry_id, Posting.asset_code, func.sum(Posting.amount))
            .group_by(Posting.entry_id, Posting.asset_code)
            .having(func.sum(Posting.amount) != 0)
        )
        breaks += [
            LedgerBreak("entry balances", f"entry {e}", f"{a} sums to {s}")
            for e, a, s in unbalanced
        ]
        by_asset = await self._session.execute(
            select(Account.asset_code, func.sum(Account.balance))
            .group_by(Account.asset_code)
            .having(func.sum(Account.balance) != 0)
        )
        breaks += [
            LedgerBreak("asset sums to zero", f"asset {a}", f"accounts sum to {s}")
            for a, s in by_asset
        ]
        posted = (
            select(Posting.account_id, func.sum(Posting.amount).label("total"))
            .group_by(Posting.account_id)
            .subquery()
        )
        drift = await self._session.execute(
            select(
                Account.id,
                Account.owner_key,
                Account.asset_code,
                Account.bucket,
                Account.balance,
                func.coalesce(posted.c.total, 0),
            )
            .outerjoin(posted, posted.c.account_id == Account.id)
            .where(Account.balance != func.coalesce(posted.c.total, 0))
        )
        breaks += [
            LedgerBreak(
                "balance equals its postings",
                f"account {i} ({o} {a} {b})",
                f"stored {bal}, postings sum to {tot}",
            )
            for i, o, a, b, bal, tot in drift
        ]
        negative = await self._session.execute(
            select(Account.id, Account.owner_key, Account.asset_code, Account.balance).where(
                Account.is_system.is_(False), Account.balance < 0
            )
        )
        breaks += [
            LedgerBreak("no negative user balance", f"account {i} ({o} {a})", f"balance {b}")
            for i, o, a, b in negative
        ]
        return breaks

    # -- internals -------------------------------------------------------------------------

    async def _ensure_account(self, key: AccountKey) -> uuid.UUID:
        """The account's id, creating it (race-safely) on first use."""
        found = await self._find_account(key)
        if found is not None:
            return found
        await self.asset(key.asset)
        values = {
            "id": new_id(),
            "owner_key": key.owner.key,
            "user_id": key.owner.user_id,
            "is_system": key.owner.is_system,
            "asset_code": key.asset,
            "bucket": key.bucket.value,
            "balance": 0,
            "created_at": utcnow(),
        }
        insert = (
            pg_insert if self._session.get_bind().dialect.name == "postgresql" else sqlite_insert
        )
        await self._session.execute(
            insert(Account)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["owner_key", "asset_code", "bucket"])
        )
        found = await self._find_account(key)
        assert found is not None
        return found

    async def _find_account(self, key: AccountKey) -> uuid.UUID | None:
        return await self._session.scalar(
            select(Account.id).where(
                Account.owner_key == key.owner.key,
                Account.asset_code == key.asset,
                Account.bucket == key.bucket.value,
            )
        )

    async def _lock(self, account_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Account]:
        """Lock the accounts (in the caller's order) and read their current balances."""
        locked: dict[uuid.UUID, Account] = {}
        for account_id in account_ids:
            # One row at a time, in id order: every transaction acquires locks in the same order.
            row = await self._session.scalar(
                select(Account)
                .where(Account.id == account_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
            assert row is not None
            locked[account_id] = row
        return locked

    def _emit_balance_changes(
        self,
        draft: EntryDraft,
        accounts: dict[AccountKey, uuid.UUID],
        balances: dict[uuid.UUID, int],
        entry_id: uuid.UUID,
    ) -> None:
        deltas: dict[AccountKey, int] = {}
        for leg in draft.legs:
            deltas[leg.account] = deltas.get(leg.account, 0) + leg.amount
        for key, delta in deltas.items():
            if key.owner.is_system or delta == 0:
                continue
            record_event(
                self._session,
                "ledger.balance_changed.v1",
                {
                    "user_id": str(key.owner.user_id),
                    "asset": key.asset,
                    "bucket": key.bucket.value,
                    "balance": balances[accounts[key]],
                    "delta": delta,
                    "entry_id": str(entry_id),
                    "kind": draft.kind,
                },
            )


def _account_sort_key(key: AccountKey) -> tuple[str, str, str]:
    return (key.owner.key, key.asset, key.bucket.value)


__all__ = [
    "Balance",
    "InsufficientFunds",
    "LedgerBreak",
    "LedgerService",
    "StatementLine",
    "UnbalancedEntry",
]
