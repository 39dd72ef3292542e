"""Chain tables: the keystore, investors' wallets, the venue's contracts on each chain it ran
on, and the tokenized bonds."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from liquibond.platform.db import Base, CreatedAt, IdPrimaryKey


class KeyPurpose(StrEnum):
    """What a key in the keystore signs for."""

    OPERATOR = "operator"  # the venue's agent: deploys, registers, mints, settles
    CUSTODY = "custody"  # an investor's custodial wallet


class ChainKey(CreatedAt, Base):
    """A private key of the local keystore, encrypted with the platform's field key (the
    address is the encryption context, so a ciphertext moved to another row cannot decrypt)."""

    __tablename__ = "chain_keys"

    address: Mapped[str] = mapped_column(String(42), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16), index=True)
    sealed_key: Mapped[bytes] = mapped_column(LargeBinary)


class WalletCustody(StrEnum):
    """Who holds a wallet's key."""

    CUSTODIAL = "custodial"  # the venue's keystore, on the investor's behalf
    LINKED = "linked"  # the investor (self-custody, proven by a signed message)


class Wallet(IdPrimaryKey, CreatedAt, Base):
    """A user's wallet; `network_id` is the network whose identity registry lists it (None
    until the registrar has listed it there)."""

    __tablename__ = "chain_wallets"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    address: Mapped[str] = mapped_column(String(42), unique=True)
    custody: Mapped[str] = mapped_column(String(16))
    #: The investor category and country (ISO 3166-1 numeric) the registry holds for it.
    category: Mapped[int]
    country: Mapped[int]
    network_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("chain_networks.id"))

    __table_args__ = (
        Index(
            "uq_chain_wallets_one_custodial_per_user",
            "user_id",
            unique=True,
            sqlite_where=custody == WalletCustody.CUSTODIAL.value,
            postgresql_where=custody == WalletCustody.CUSTODIAL.value,
        ),
    )


class Network(IdPrimaryKey, CreatedAt, Base):
    """The venue's contracts on one chain: recorded when they are deployed. The embedded
    chain forgets everything on restart, so each start deploys anew and adds a row saying so."""

    __tablename__ = "chain_networks"

    kind: Mapped[str] = mapped_column(String(16))
    chain_id: Mapped[int] = mapped_column(BigInteger)
    operator: Mapped[str] = mapped_column(String(42))
    registry_address: Mapped[str] = mapped_column(String(42))
    dvp_address: Mapped[str] = mapped_column(String(42))
    #: Why the contracts were deployed: "first start" or "embedded chain restarted".
    reason: Mapped[str] = mapped_column(String(64))
    #: Wallets registered and units re-issued from the ledger when it was built.
    wallets: Mapped[int] = mapped_column(default=0)
    tokens: Mapped[int] = mapped_column(default=0)


class TokenizedBond(CreatedAt, Base):
    """A bond whose units are a permissioned token. `network_id` is the network it lives on
    now (a rebuilt embedded chain re-deploys it and moves this row along)."""

    __tablename__ = "chain_tokens"

    instrument_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instruments.id"), primary_key=True)
    network_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chain_networks.id"))
    address: Mapped[str] = mapped_column(String(42), unique=True)
    deploy_tx: Mapped[str] = mapped_column(String(66))
    deploy_block: Mapped[int] = mapped_column(BigInteger)
    #: Units minted when it was (re)deployed: the ledger's holdings at that moment, which
    #: include every trade up to `minted_trade_seq` (later trades settle on chain).
    minted_units: Mapped[int] = mapped_column(BigInteger)
    minted_trade_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    #: The last trade given a settlement instruction (trades after it are still to be).
    instructed_trade_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    tokenized_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime | None]


class ChainSettlement(IdPrimaryKey, CreatedAt, Base):
    """A trade's token leg, to settle on chain (see :mod:`liquibond.chain.lifecycle`; `status`
    changes only through :func:`~liquibond.chain.lifecycle.next_settlement_status`). Its DvP
    settlement id is the trade id, so the chain settles each trade at most once."""

    __tablename__ = "chain_settlements"

    trade_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("trades.id"), unique=True)
    instrument_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instruments.id"))
    trade_seq: Mapped[int] = mapped_column(BigInteger)
    seller_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    buyer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    quantity: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    #: The netted batch of its last try (whose id that try spent), if it was netted, and the
    #: chain's block when it was sent (where to look for it if its answer is lost).
    batch_id: Mapped[str | None] = mapped_column(String(66))
    submitted_block: Mapped[int | None] = mapped_column(BigInteger)
    tx_hash: Mapped[str | None] = mapped_column(String(66))
    block: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime | None]
    settled_at: Mapped[datetime | None]

    __table_args__ = (
        Index(
            "ix_chain_settlements_status_instrument_id_trade_seq",
            "status",
            "instrument_id",
            "trade_seq",
        ),
    )


class ChainBreak(IdPrimaryKey, CreatedAt, Base):
    """A wallet whose token balance differs from what the ledger says it holds, found by
    reconciliation; `resolved_at` is set when a later reconciliation finds them agreeing."""

    __tablename__ = "chain_breaks"

    instrument_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instruments.id"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    wallet: Mapped[str] = mapped_column(String(42))
    ledger_units: Mapped[int] = mapped_column(BigInteger)
    chain_units: Mapped[int] = mapped_column(BigInteger)
    resolved_at: Mapped[datetime | None]

    __table_args__ = (
        Index(
            "uq_chain_breaks_one_open_per_wallet",
            "instrument_id",
            "wallet",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
    )


class SiweNonce(Base):
    """A Sign-In with Ethereum nonce issued to a user: it links at most one wallet, once,
    before it expires (`used_at` set when it does)."""

    __tablename__ = "chain_siwe_nonces"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    address: Mapped[str] = mapped_column(String(42))
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
