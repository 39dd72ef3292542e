"""Ledger tables: assets, accounts, journal entries and their postings."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from liquibond.platform.db import Base, CreatedAt, IdPrimaryKey


class AssetKind(StrEnum):
    """What an asset is."""

    CURRENCY = "currency"
    BOND = "bond"
    CRYPTO = "crypto"
    TOKEN = "token"  # noqa: S105 - an asset kind


class Bucket(StrEnum):
    """Where within an owner's holding of an asset an amount sits."""

    AVAILABLE = "available"
    LOCKED = "locked"  # reserved for open orders and auction bids
    ESCROW = "escrow"  # held for a peer-to-peer deal
    PENDING_WITHDRAWAL = "pending_withdrawal"
    #: A seller's proceeds of a trade whose token leg settles on chain, released when the
    #: chain confirms the delivery (or returned to the buyer if it never happens).
    SETTLING = "settling"
    #: Units of a tokenized bond the owner withdrew to their own (linked) wallet: still
    #: theirs, but held on chain outside the venue's custody until deposited back.
    SELF_CUSTODY = "self_custody"
    SYSTEM = "system"  # the single bucket of a system account


class Asset(Base):
    """Anything held in the ledger, with the number of decimal places of its minor unit."""

    __tablename__ = "assets"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    scale: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))

    __table_args__ = (CheckConstraint("scale >= 0 AND scale <= 12", name="scale_range"),)


class Account(IdPrimaryKey, CreatedAt, Base):
    """One owner's balance of one asset in one bucket. Only the ledger service writes it."""

    __tablename__ = "ledger_accounts"

    #: `user:<uuid>` or `system:<name>`; unique with asset and bucket.
    owner_key: Mapped[str] = mapped_column(String(80))
    user_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    is_system: Mapped[bool]
    asset_code: Mapped[str] = mapped_column(ForeignKey("assets.code"))
    bucket: Mapped[str] = mapped_column(String(24))
    balance: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (
        UniqueConstraint(
            "owner_key", "asset_code", "bucket", name="uq_ledger_accounts_owner_asset_bucket"
        ),
        # The database refuses an overdraft even if code were to try one.
        CheckConstraint("is_system OR balance >= 0", name="non_negative_unless_system"),
    )


class JournalEntry(IdPrimaryKey, CreatedAt, Base):
    """One business movement: postings that sum to zero per asset. Append-only."""

    __tablename__ = "journal_entries"

    kind: Mapped[str] = mapped_column(String(32), index=True)
    description: Mapped[str] = mapped_column(String(200))
    #: What caused it (`payment:<id>`, `trade:<id>`); unique, so the same cause posts once.
    reference: Mapped[str | None] = mapped_column(String(120), unique=True)
    reverses_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("journal_entries.id"), unique=True
    )
    actor_id: Mapped[uuid.UUID | None]


class Posting(Base):
    """One leg of an entry on one account, with the account's balance after it."""

    __tablename__ = "postings"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("journal_entries.id"), index=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_accounts.id"))
    asset_code: Mapped[str] = mapped_column(ForeignKey("assets.code"))
    amount: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint("amount <> 0", name="non_zero"),
        Index("ix_postings_account_id_id", "account_id", "id"),
    )
