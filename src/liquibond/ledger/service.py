"""The ledger service: the only code that writes balances.

`post` applies a balanced entry atomically: it locks the entry's accounts in a fixed order
(account id), so concurrent posts on PostgreSQL neither overdraw nor deadlock (SQLite
serialises writers at BEGIN IMMEDIATE), refuses any leg that would drive a user account
negative (the database CHECK constraint refuses it too), appends the postings with running
balances and emits `ledger.balance_changed.v1` for every user account it touched.

A :class:`LedgerBatch` does the same for many entries in one transaction, set-based: it
locks the accounts it needs a few statements at a time, applies each entry to balances held
in memory (refusing an overdraft there), and writes all the entries, postings and new
balances with one statement each. `post` is a batch of one entry.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from liquibond.ledger.entries import (
    AccountKey,
    EntryDraft,
    Leg,
    Owner,
    UnbalancedEntry,
    move,
    release,
    reservation,
)
from liquibond.ledger.models import Account, Asset, AssetKind, Bucket, JournalEntry, Posting
from liquibond.platform.bulk import BulkInsert, BulkUpdate
from liquibond.platform.db import new_id, utcnow
from liquibond.platform.errors import Conflict, Unprocessable, not_found
from liquibond.platform.outbox import Recorder, record_event
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

    def batch(self) -> LedgerBatch:
        """A batch of entries posted in memory and written together, whose events go to this
        session's outbox; for one writer posting many entries in one transaction."""
        return LedgerBatch(self._session, partial(record_event, self._session))

    async def posted(self, references: Collection[str]) -> set[str]:
        """Which of `references` already have their entry."""
        if not references:
            return set()
        found = await self._session.scalars(
            select(JournalEntry.reference).where(JournalEntry.reference.in_(references))
        )
        return {reference for reference in found if reference is not None}

    async def post(self, draft: EntryDraft) -> JournalEntry:
        """Apply a balanced entry atomically (see module docstring)."""
        batch = self.batch()
        await batch.hold(leg.account for leg in draft.legs)
        if draft.reference is not None and await self._session.scalar(
            select(JournalEntry.id).where(JournalEntry.reference == draft.reference)
        ):
            raise duplicate_reference(draft.reference)
        entry_id = await batch.post(draft)
        try:
            await batch.write()
        except IntegrityError as exc:
            # Two first-time posts with the same reference raced; the loser sees the winner.
            raise duplicate_reference(draft.reference) from exc
        entry = await self._session.get(JournalEntry, entry_id)
        assert entry is not None
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
        return await self.post(
            reservation(user_id, asset, amount, to=to, reference=reference, description=description)
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
        return await self.post(
            release(
                user_id, asset, amount, from_=from_, reference=reference, description=description
            )
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


def duplicate_reference(reference: str | None) -> Conflict:
    """The 409 for an entry whose reference was already posted."""
    return Conflict(
        code="ledger.duplicate_reference",
        detail=f"An entry for {reference} was already posted.",
    )


_ENTRIES = BulkInsert(
    JournalEntry,
    ("id", "kind", "description", "reference", "reverses_id", "actor_id", "created_at"),
)
_REFERENCE = _ENTRIES.columns.index("reference")
_POSTINGS = BulkInsert(
    Posting, ("entry_id", "account_id", "asset_code", "amount", "balance_after", "created_at")
)
_BALANCES = BulkUpdate(Account, ("balance",))


@dataclass(slots=True)
class _Held:
    """An account a batch holds: its id, its balance now and its balance in the database."""

    id: uuid.UUID
    balance: int
    stored: int


class LedgerBatch:
    """Entries posted against balances held in memory, written together by :meth:`write`.

    An account is locked and read the first time the batch needs it (:meth:`hold` locks many
    with one statement, in account-id order), and opened if it does not exist, but only for
    an entry that is accepted. An entry that would overdraw a user account is refused before
    it changes anything, so a refusal needs no savepoint. Nothing reaches the database
    before :meth:`write`, except the accounts opened; events are recorded as entries are
    posted. While the batch is open it alone posts to the accounts it holds.
    """

    def __init__(self, session: AsyncSession, record: Recorder) -> None:
        self._session = session
        self._record = record
        self._held: dict[AccountKey, _Held] = {}
        self._absent: set[AccountKey] = set()  # not found when looked for
        self._entries: list[tuple[Any, ...]] = []  # rows of _ENTRIES
        self._postings: list[tuple[Any, ...]] = []  # rows of _POSTINGS
        self._references: set[str] = set()

    async def hold(self, keys: Iterable[AccountKey]) -> None:
        """Lock and read those of the accounts of `keys` the batch does not hold yet, with one
        statement, in account-id order (as every poster does, so none deadlocks); missing
        ones are noted. The statement selects by owner, asset and bucket, so it may lock
        (and the batch then holds) other accounts of the same owners, assets and buckets."""
        wanted = {key for key in keys if key not in self._held and key not in self._absent}
        if not wanted:
            return
        connection = await self._session.connection()
        rows = await connection.execute(
            select(
                Account.id, Account.owner_key, Account.asset_code, Account.bucket, Account.balance
            )
            .where(
                Account.owner_key.in_({key.owner.key for key in wanted}),
                Account.asset_code.in_({key.asset for key in wanted}),
                Account.bucket.in_({key.bucket.value for key in wanted}),
            )
            .order_by(Account.id)
            .with_for_update()
        )
        # The caller's own key objects, where it asked for them: its later lookups with them
        # need no comparison.
        asked = {(key.owner.key, key.asset, key.bucket.value): key for key in wanted}
        for account_id, owner_key, asset, bucket, balance in rows:
            key = asked.get((owner_key, asset, bucket))
            self._held.setdefault(
                AccountKey(Owner(owner_key), asset, Bucket(bucket)) if key is None else key,
                _Held(account_id, balance, balance),
            )
        self._absent |= wanted - self._held.keys()

    async def post(self, draft: EntryDraft) -> uuid.UUID:
        """Apply a balanced entry to the held balances; returns its id. Refuses an overdraft
        (:class:`InsufficientFunds`) or a reference already posted in the batch, changing
        nothing; a reference posted before is refused by :meth:`write`."""
        if draft.reference is not None and draft.reference in self._references:
            raise duplicate_reference(draft.reference)
        held = self._held
        for leg in draft.legs:
            if leg.account not in held:
                keys = list(dict.fromkeys(leg.account for leg in draft.legs))
                await self.hold(keys)
                missing = [key for key in keys if key not in held]
                if missing:
                    self._balances_after(draft)  # refused before any account is opened
                    await self._open(missing)
                break
        return self._apply(draft)

    @contextlib.contextmanager
    def savepoint(self) -> Iterator[None]:
        """Undo the entries posted in the block if it raises (the accounts stay held)."""
        entries, postings = len(self._entries), len(self._postings)
        balances = {key: held.balance for key, held in self._held.items()}
        try:
            yield
        except BaseException:
            for entry in self._entries[entries:]:
                self._references.discard(entry[_REFERENCE])
            del self._entries[entries:], self._postings[postings:]
            for key, held in self._held.items():
                held.balance = balances.get(key, held.stored)
            raise

    async def write(self) -> None:
        """Write what was posted since the last write: the entries, their postings and the
        accounts' new balances, one bulk statement each."""
        if not self._entries:
            return
        changed = [held for held in self._held.values() if held.balance != held.stored]
        connection = await self._session.connection()
        await _ENTRIES(connection, self._entries)
        await _POSTINGS(connection, self._postings)
        await _BALANCES(connection, [(held.id, held.balance) for held in changed])
        for held in changed:
            held.stored = held.balance
        self._entries, self._postings = [], []

    def _balances_after(self, draft: EntryDraft) -> list[tuple[Leg, int]]:
        """Each leg with its account's balance after it; :class:`InsufficientFunds` if one
        would take a user account below zero (an account not opened yet holds nothing)."""
        balances: dict[AccountKey, int] = {}
        held = self._held
        after: list[tuple[Leg, int]] = []
        for leg in draft.legs:
            key = leg.account
            balance = balances.get(key)
            if balance is None:
                account = held.get(key)
                balance = 0 if account is None else account.balance
            balance += leg.amount
            if balance < 0 and not key.owner.is_system:
                raise InsufficientFunds(
                    code="ledger.insufficient_funds",
                    detail=f"Not enough {key.asset} in {key.bucket.value}.",
                    extra={"asset": key.asset, "bucket": key.bucket.value},
                )
            balances[key] = balance
            after.append((leg, balance))
        return after

    def _apply(self, draft: EntryDraft) -> uuid.UUID:
        """Post `draft`, whose accounts are all held: queue its rows and record its events."""
        after = self._balances_after(draft)
        entry_id, now = new_id(), utcnow()
        self._entries.append(
            (
                entry_id,
                draft.kind,
                draft.description,
                draft.reference,
                draft.reverses_id,
                draft.actor_id,
                now,
            )
        )
        held, postings = self._held, self._postings
        deltas: dict[AccountKey, int] = {}
        for leg, balance in after:
            key = leg.account
            account = held[key]
            account.balance = balance
            postings.append((entry_id, account.id, key.asset, leg.amount, balance, now))
            deltas[key] = deltas.get(key, 0) + leg.amount
        if draft.reference is not None:
            self._references.add(draft.reference)
        entry = str(entry_id)
        for key, delta in deltas.items():
            if delta and not key.owner.is_system:
                self._record(
                    "ledger.balance_changed.v1",
                    {
                        "user_id": key.owner.key.removeprefix("user:"),
                        "asset": key.asset,
                        "bucket": key.bucket.value,
                        "balance": held[key].balance,
                        "delta": delta,
                        "entry_id": entry,
                        "kind": draft.kind,
                    },
                )
        return entry_id

    async def _open(self, keys: Sequence[AccountKey]) -> None:
        """Create the accounts of `keys` (race-safely: one may have appeared since) and hold
        them; 404 problem for an unknown asset."""
        assets = {key.asset for key in keys}
        connection = await self._session.connection()
        known = set(await connection.scalars(select(Asset.code).where(Asset.code.in_(assets))))
        if assets - known:
            raise not_found("asset")
        now = utcnow()
        insert_ = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
        await connection.execute(
            insert_(Account)
            .values(
                [
                    {
                        "id": new_id(),
                        "owner_key": key.owner.key,
                        "user_id": key.owner.user_id,
                        "is_system": key.owner.is_system,
                        "asset_code": key.asset,
                        "bucket": key.bucket.value,
                        "balance": 0,
                        "created_at": now,
                    }
                    for key in keys
                ]
            )
            .on_conflict_do_nothing(index_elements=["owner_key", "asset_code", "bucket"])
        )
        self._absent.difference_update(keys)
        await self.hold(keys)


__all__ = [
    "Balance",
    "InsufficientFunds",
    "LedgerBatch",
    "LedgerBreak",
    "LedgerService",
    "StatementLine",
    "UnbalancedEntry",
]
