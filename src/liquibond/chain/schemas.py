"""Chain API shapes: the venue's network, wallets and tokenized bonds."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from liquibond.chain.custody_lifecycle import DepositStatus, WithdrawalStatus
from liquibond.chain.lifecycle import SettlementStatus
from liquibond.chain.models import WalletCustody
from liquibond.platform.schemas import RequestModel, ResponseModel


class NetworkOut(ResponseModel):
    """The chain the venue runs on and its contracts there."""

    kind: str = Field(description="`embedded`, `anvil` or `rpc`")
    persistent: bool = Field(description="Whether the chain keeps its state across restarts")
    chain_id: int
    block: int = Field(description="The latest block (confirmed, on an RPC node)")
    operator: str = Field(description="The venue's agent address: deploys, lists, mints, settles")
    registry: str = Field(description="The identity registry every transfer is checked against")
    dvp: str = Field(description="The delivery-versus-payment contract")
    deployed_at: datetime
    reason: str = Field(description="Why the contracts were last deployed")
    wallets: int = Field(description="Wallets listed when it was deployed")
    tokens: int = Field(description="Tokens re-issued from the ledger when it was deployed")


class WalletOut(ResponseModel):
    """One of my wallets."""

    address: str
    custody: WalletCustody
    category: int = Field(description="The investor category the identity registry records")
    country: int = Field(description="ISO 3166-1 numeric")
    listed: bool = Field(description="Whether the current network's identity registry lists it")
    frozen_at: datetime | None = Field(
        description="When it was frozen and delisted (its owner's KYC was revoked); null: never"
    )
    created_at: datetime


class TokenOut(ResponseModel):
    """A tokenized bond."""

    instrument_id: uuid.UUID
    address: str = Field(description="The bond token's contract")
    standard: str = Field(default="ERC-20 (ERC-3643 controls)")
    decimals: int = Field(default=0, description="Units are whole: one token is one unit")
    deploy_tx: str
    deploy_block: int
    minted_units: int = Field(description="Units minted from the ledger's holdings")
    total_supply: int = Field(description="Units on chain now")
    offer_document_hash: str = Field(description="SHA-256 of the bond's canonical term sheet")
    offer_document_uri: str
    tokenized_at: datetime


class SettlementOut(ResponseModel):
    """A trade's token leg on chain."""

    trade_id: uuid.UUID
    instrument_id: uuid.UUID
    status: SettlementStatus
    attempts: int
    tx_hash: str | None = Field(description="The transaction that settled it (or last tried)")
    block: int | None
    last_error: str | None = Field(description="Why the last try failed")
    created_at: datetime
    settled_at: datetime | None


class BreakOut(ResponseModel):
    """A wallet whose tokens differ from what the ledger says it holds."""

    id: uuid.UUID
    instrument_id: uuid.UUID
    user_id: uuid.UUID | None
    wallet: str
    ledger_units: int = Field(description="What the ledger says, less trades still settling")
    chain_units: int
    created_at: datetime


class BreaksOut(ResponseModel):
    """The breaks queue: settlements out of tries, and reconciliation breaks still open."""

    failed_settlements: list[SettlementOut]
    reconciliation: list[BreakOut]


class SiweRequest(RequestModel):
    """Ask for the message to sign that links a wallet I control."""

    address: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$", description="The wallet to link")


class SiweChallenge(ResponseModel):
    """The Sign-In with Ethereum (EIP-4361) message to sign with the wallet, as it is."""

    message: str
    nonce: str
    expires_at: datetime


class WalletLink(RequestModel):
    """The signed message: it proves I control the wallet."""

    message: str = Field(max_length=4_000)
    signature: str = Field(max_length=200, description="The personal_sign signature, 0x-hex")


class TokenWithdrawalRequest(RequestModel):
    """Withdraw units of a tokenized bond from the venue's custody to a wallet I linked."""

    instrument_id: uuid.UUID
    wallet: str = Field(
        pattern=r"^0x[0-9a-fA-F]{40}$",
        description="A wallet I linked, once the identity registry lists it",
    )
    quantity: int = Field(gt=0, le=10**12, description="Units of the bond")


class TokenWithdrawalOut(ResponseModel):
    """A withdrawal of tokens to one of my linked wallets."""

    id: uuid.UUID
    instrument_id: uuid.UUID
    wallet: str = Field(description="The linked wallet the tokens go to")
    quantity: int
    status: WithdrawalStatus = Field(
        description="`pending` and `submitted` on the way, `confirmed` in the wallet, `failed`: "
        "the units are back in my available balance"
    )
    attempts: int
    tx_hash: str | None = Field(description="The transaction that delivered it (or last tried)")
    block: int | None
    last_error: str | None = Field(description="Why the last try failed")
    created_at: datetime
    completed_at: datetime | None


class TokenDepositRequest(RequestModel):
    """A transaction of mine that sent tokens from a linked wallet to my custodial wallet."""

    instrument_id: uuid.UUID
    tx_hash: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$", description="The transaction's hash")


class TokenDepositOut(ResponseModel):
    """Tokens sent from a linked wallet back to the venue's custody, and what was credited."""

    id: uuid.UUID
    user_id: uuid.UUID
    instrument_id: uuid.UUID
    tx_hash: str
    log_index: int = Field(description="The Transfer's position in the transaction's logs")
    block: int
    wallet: str = Field(description="The linked wallet the tokens came from")
    quantity: int = Field(description="Units transferred")
    credited: int = Field(description="Units back in the available balance")
    status: DepositStatus = Field(
        description="`flagged`: it brought more than was withdrawn; operations look at the rest"
    )
    created_at: datetime


class TransferOut(ResponseModel):
    """A Transfer of a tokenized bond's token, as the indexer read it from the chain."""

    block: int
    block_time: datetime = Field(description="When its block was mined")
    tx_hash: str
    log_index: int = Field(description="Its position in the block's logs")
    kind: str = Field(description="`mint`, `burn` or `transfer`")
    sender: str = Field(description="The wallet the units left (the zero address for a mint)")
    sender_user_id: uuid.UUID | None = Field(description="Whose wallet that is, if a user's")
    receiver: str = Field(description="The wallet the units reached (the zero address: a burn)")
    receiver_user_id: uuid.UUID | None = Field(description="Whose wallet that is, if a user's")
    amount: int = Field(description="Units moved")
