"""Chain tables: the keystore, investors' wallets, the venue's contracts on each chain it ran
on, and the tokenized bonds."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

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
    until the registrar has listed it there). A frozen wallet (its owner's KYC was revoked:
    see :mod:`liquibond.chain.identity`) keeps the current network's id, so that the registrar
    leaves it alone, but is delisted there and frozen on every token since `frozen_at`."""

    __tablename__ = "chain_wallets"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    address: Mapped[str] = mapped_column(String(42), unique=True)
    custody: Mapped[str] = mapped_column(String(16))
    #: The investor category and country (ISO 3166-1 numeric) the registry holds for it.
    category: Mapped[int]
    country: Mapped[int]
    network_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("chain_networks.id"))
    frozen_at: Mapped[datetime | None]

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


class CashToken(CreatedAt, Base):
    """The permissioned cash token of a currency on a network, deployed when on-chain
    settlement first pays in that currency. It carries only the cash leg of a DvP batch: the
    settlement job mints it to the buyers for what they pay and burns it from every wallet
    of the batch afterwards, so between runs no wallet holds any (the cash is in the ledger)."""

    __tablename__ = "chain_cash_tokens"

    network_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chain_networks.id"), primary_key=True)
    currency: Mapped[str] = mapped_column(ForeignKey("assets.code"), primary_key=True)
    address: Mapped[str] = mapped_column(String(42), unique=True)
    deploy_tx: Mapped[str] = mapped_column(String(66))


class ChainSettlement(IdPrimaryKey, CreatedAt, Base):
    """A trade's token leg, to settle on chain (see :mod:`liquibond.chain.lifecycle`; `status`
    changes only through :func:`~liquibond.chain.cash_leg.advance`). Its DvP
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


class CustodyWithdrawal(IdPrimaryKey, CreatedAt, Base):
    """Units of a tokenized bond a user withdrew to a wallet they linked (see
    :mod:`liquibond.chain.custody_lifecycle`; `status` changes only through
    :func:`~liquibond.chain.custody_lifecycle.next_withdrawal_status`). The ledger holds them
    in self-custody from the start; the DvP delivers them free of payment under a settlement
    id derived from the withdrawal's id, so the chain delivers each withdrawal at most once."""

    __tablename__ = "chain_withdrawals"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    instrument_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instruments.id"))
    #: The linked wallet the tokens go to.
    wallet: Mapped[str] = mapped_column(String(42))
    quantity: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    #: The chain's block when its last try was sent (where to look for it if its answer is lost).
    submitted_block: Mapped[int | None] = mapped_column(BigInteger)
    tx_hash: Mapped[str | None] = mapped_column(String(66))
    block: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime | None]
    #: When it was confirmed, or failed and its units went back.
    completed_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_chain_withdrawals_user_id_id", "user_id", "id"),)


class CustodyDeposit(IdPrimaryKey, CreatedAt, Base):
    """A Transfer of a tokenized bond from a user's linked wallet to their custodial wallet,
    credited back to their available balance (up to what they held in self-custody; the rest
    is `flagged` for operations). One row per log, so no transfer is credited twice."""

    __tablename__ = "chain_deposits"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    instrument_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instruments.id"))
    tx_hash: Mapped[str] = mapped_column(String(66))
    log_index: Mapped[int]
    block: Mapped[int] = mapped_column(BigInteger)
    #: The linked wallet the tokens came from.
    wallet: Mapped[str] = mapped_column(String(42))
    quantity: Mapped[int] = mapped_column(BigInteger)
    #: Units moved from self-custody back to the available balance (at most `quantity`).
    credited: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), index=True)

    __table_args__ = (
        Index("uq_chain_deposits_tx_hash_log_index", "tx_hash", "log_index", unique=True),
        Index("ix_chain_deposits_user_id_id", "user_id", "id"),
    )


class TokenTransfer(IdPrimaryKey, Base):
    """A `Transfer` event of a tokenized bond's token, as the indexer read it from the chain
    (a mint comes from, a burn goes to, the zero address). One row per log: re-reading a
    block never stores it twice."""

    __tablename__ = "chain_transfers"

    network_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chain_networks.id"))
    token: Mapped[str] = mapped_column(String(42))
    block: Mapped[int] = mapped_column(BigInteger)
    #: When the block was mined (the node's timestamp).
    block_time: Mapped[datetime]
    tx_hash: Mapped[str] = mapped_column(String(66))
    log_index: Mapped[int]
    sender: Mapped[str] = mapped_column(String(42))
    receiver: Mapped[str] = mapped_column(String(42))
    amount: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index(
            "uq_chain_transfers_network_id_tx_hash_log_index",
            "network_id",
            "tx_hash",
            "log_index",
            unique=True,
        ),
        Index("ix_chain_transfers_network_id_token_block", "network_id", "token", "block"),
    )


class TransferCursor(Base):
    """How far the indexer has read a token's Transfer events on a network: every block up
    to `block` is indexed (a token starts at its deployment block, so its mints are in)."""

    __tablename__ = "chain_transfer_cursors"

    network_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chain_networks.id"), primary_key=True)
    token: Mapped[str] = mapped_column(String(42), primary_key=True)
    block: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime]


class FreezeStatus(StrEnum):
    """Where the chain is with a revoked investor's wallets (see :mod:`.identity`)."""

    FREEZING = "freezing"  # KYC revoked: to delist and freeze on chain
    FROZEN = "frozen"  # delisted from the registry and frozen on every token
    THAWING = "thawing"  # verified again: to unfreeze and list again
    THAWED = "thawed"  # listed and unfrozen again


class InvestorFreeze(CreatedAt, Base):
    """An investor whose KYC was revoked, and what the chain has done about it. `status`
    changes only through :func:`liquibond.chain.identity.advance`; `network_id` and `tokens`
    say where and on how many tokens the last freeze or thaw was applied."""

    __tablename__ = "chain_investor_freezes"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    revoked_at: Mapped[datetime]
    network_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("chain_networks.id"))
    tokens: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime | None]


class SupplyKind(StrEnum):
    """Which way a supply change moves a token's supply."""

    MINT = "mint"  # units issued in the ledger (an auction's allotments)
    BURN = "burn"  # units retired in the ledger (a redemption or call)


class SupplyStatus(StrEnum):
    """Where a supply change is (see :mod:`.supply`)."""

    PENDING = "pending"  # recorded from its cause; not yet looked at on chain
    SUBMITTED = "submitted"  # its mints or burns are being sent
    APPLIED = "applied"  # the token holds what the ledger says
    SKIPPED = "skipped"  # the bond was not tokenized: a later tokenization includes it


class SupplyChange(IdPrimaryKey, CreatedAt, Base):
    """Units of a bond that entered or left the ledger after (perhaps) its tokenization, and
    the mints or burns that made its token follow; one per cause (`auction:{id}`,
    `redemption:{corporate action id}`). `status` changes only through
    :func:`liquibond.chain.supply.advance`."""

    __tablename__ = "chain_supply_changes"

    cause: Mapped[str] = mapped_column(String(100), unique=True)
    instrument_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instruments.id"))
    kind: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), index=True)
    #: Units the cause moved in the ledger (a burn: those the chain held beyond the ledger).
    units: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Units the venue minted or burned for it (the rest a tokenization had minted already),
    #: and to or from which wallets.
    chain_units: Mapped[int] = mapped_column(BigInteger, default=0)
    deliveries: Mapped[dict[str, Any] | None]
    token: Mapped[str | None] = mapped_column(String(42))
    #: The block from which the token shows the change.
    block: Mapped[int | None] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime | None]
    applied_at: Mapped[datetime | None]
