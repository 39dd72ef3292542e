"""Auction tables: auctions, their bids, their rounds' results and each bid's allocation."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from liquibond.platform.db import Base, CreatedAt, ExactDecimal, IdPrimaryKey

#: Quotes (clean prices per 100, yields in percent) and shares of the offering.
QUOTE_SCALE = 6
SHARE_SCALE = 6
#: Published percentages and ratios (partial allotment, bid-to-cover).
RATIO_SCALE = 2


class AuctionFormat(StrEnum):
    """How an auction is run."""

    UNIFORM = "uniform"  # sealed bids, everyone pays the cut-off
    MULTIPLE = "multiple"  # sealed bids, each pays its own bid (discriminatory)
    ENGLISH = "english"  # open ascending: the whole offering to the highest bidder
    MULTI_ROUND = "multi_round"  # sealed rounds, each round's cut-off the next one's floor


class Visibility(StrEnum):
    """Who sees the bids while the auction runs."""

    SEALED = "sealed"  # each bidder only their own, until the close
    OPEN = "open"  # everybody, without the bidders' names


class BidStatus(StrEnum):
    """Where a bid is in its life."""

    ACTIVE = "active"  # in the auction, its cash reserved
    WITHDRAWN = "withdrawn"  # by its bidder, while bidding: released
    OUTBID = "outbid"  # English: a better bid came; released
    ALLOTTED = "allotted"  # cleared with an allocation
    NOT_ALLOTTED = "not_allotted"  # cleared without one
    CANCELLED = "cancelled"  # the auction was cancelled: released


#: The statuses of an auction still under way (:data:`.lifecycle.OPEN_STATUSES`), as SQL.
UNDER_WAY_SQL = "status IN ('draft', 'announced', 'bidding', 'closed', 'cleared')"


class Auction(IdPrimaryKey, CreatedAt, Base):
    """A primary auction of one instrument, from draft to settlement.

    `status` changes only through the transition table of :mod:`.lifecycle`. `seq` counts
    the public state's changes (what `auction:{id}` subscribers see); `bid_seq` numbers the
    bids (their number and time priority). A multi-round auction's current round is
    `current_round` with its tranche `round_offering`, what is unsold before it
    `round_remaining` and the quote its bids must match `round_reference`.
    """

    __tablename__ = "auctions"

    instrument_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instruments.id"), index=True)
    isin: Mapped[str] = mapped_column(String(12))
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    currency: Mapped[str] = mapped_column(ForeignKey("assets.code"))
    format: Mapped[str] = mapped_column(String(16))
    basis: Mapped[str] = mapped_column(String(8))
    pricing: Mapped[str] = mapped_column(String(16))
    visibility: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str | None] = mapped_column(String(500))
    # The rules (quantities in units of the bond).
    offering: Mapped[int] = mapped_column(BigInteger)
    lot: Mapped[int] = mapped_column(BigInteger)
    min_bid: Mapped[int] = mapped_column(BigInteger)
    bid_multiple: Mapped[int] = mapped_column(BigInteger)
    rounding: Mapped[str] = mapped_column(String(24))
    non_competitive_share: Mapped[Decimal] = mapped_column(ExactDecimal(SHARE_SCALE))
    non_competitive_max: Mapped[int | None] = mapped_column(BigInteger)
    bidder_cap_share: Mapped[Decimal | None] = mapped_column(ExactDecimal(SHARE_SCALE))
    #: The range of quotes accepted (prices, or yields in percent, per the basis).
    min_quote: Mapped[Decimal | None] = mapped_column(ExactDecimal(QUOTE_SCALE))
    max_quote: Mapped[Decimal | None] = mapped_column(ExactDecimal(QUOTE_SCALE))
    #: English: the least raise, and the soft close (a bid this close to the end extends it).
    min_increment: Mapped[Decimal | None] = mapped_column(ExactDecimal(QUOTE_SCALE))
    soft_close_seconds: Mapped[int | None] = mapped_column(Integer)
    # Multi-round (the others have one round).
    rounds: Mapped[int] = mapped_column(Integer)
    round_seconds: Mapped[int | None] = mapped_column(BigInteger)
    current_round: Mapped[int] = mapped_column(Integer)
    round_offering: Mapped[int | None] = mapped_column(BigInteger)
    round_remaining: Mapped[int | None] = mapped_column(BigInteger)
    round_reference: Mapped[Decimal | None] = mapped_column(ExactDecimal(QUOTE_SCALE))
    # The schedule (what actually happened moves these: an early close, a soft close).
    announce_at: Mapped[datetime]
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    scheduled_close_at: Mapped[datetime]
    settles_on: Mapped[date]
    # Public state.
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    bid_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    best_bid_id: Mapped[uuid.UUID | None]
    best_price: Mapped[Decimal | None] = mapped_column(ExactDecimal(QUOTE_SCALE))
    bid_count: Mapped[int] = mapped_column(Integer, default=0)
    # Results (of every round together), once cleared.
    cut_off: Mapped[Decimal | None] = mapped_column(ExactDecimal(QUOTE_SCALE))
    weighted_average: Mapped[Decimal | None] = mapped_column(ExactDecimal(QUOTE_SCALE))
    partial_allotment: Mapped[Decimal | None] = mapped_column(ExactDecimal(RATIO_SCALE))
    bid_to_cover: Mapped[Decimal | None] = mapped_column(ExactDecimal(RATIO_SCALE))
    total_bid: Mapped[int | None] = mapped_column(BigInteger)
    total_allotted: Mapped[int | None] = mapped_column(BigInteger)
    competitive_allotted: Mapped[int | None] = mapped_column(BigInteger)
    non_competitive_allotted: Mapped[int | None] = mapped_column(BigInteger)
    undersubscribed: Mapped[bool | None] = mapped_column(Boolean)
    #: A new issue's coupon: its cut-off yield.
    coupon_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal(QUOTE_SCALE))
    #: What the winners pay the issuer, in minor units of `currency`.
    amount_raised: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    announced_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    cleared_at: Mapped[datetime | None]
    settled_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_auctions_status_opens_at", "status", "opens_at"),
        # One auction under way per instrument, even when two are created at once.
        Index(
            "uq_auctions_instrument_open",
            "instrument_id",
            unique=True,
            postgresql_where=text(UNDER_WAY_SQL),
            sqlite_where=text(UNDER_WAY_SQL),
        ),
        CheckConstraint(
            "lot > 0 AND offering > 0 AND offering % lot = 0 AND min_bid > 0 AND bid_multiple > 0",
            name="positive_sizes",
        ),
        CheckConstraint("announce_at <= opens_at AND opens_at <= closes_at", name="times_in_order"),
        CheckConstraint(
            "non_competitive_share >= 0 AND non_competitive_share <= 1000000",
            name="non_competitive_share_range",
        ),
        CheckConstraint("rounds >= 1 AND current_round BETWEEN 1 AND rounds", name="rounds"),
        CheckConstraint(
            "min_quote IS NULL OR max_quote IS NULL OR min_quote <= max_quote", name="quote_range"
        ),
    )


class AuctionBid(IdPrimaryKey, CreatedAt, Base):
    """One bid: competitive with a `quote` (a price or a yield, per the auction's basis) or
    non-competitive without one. `reserved` is the cash it holds in the bidder's locked
    balance now; every change of it is a ledger entry (reference `auction-bid:{id}:...`)."""

    __tablename__ = "auction_bids"

    auction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auctions.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    #: 1, 2, ... within the auction: the bid's id in clearing and its public name.
    number: Mapped[int] = mapped_column(BigInteger)
    #: Time priority (renewed by an amendment): the tie-break at equal quotes.
    priority: Mapped[int] = mapped_column(BigInteger)
    round: Mapped[int] = mapped_column(Integer)
    quote: Mapped[Decimal | None] = mapped_column(ExactDecimal(QUOTE_SCALE))
    quantity: Mapped[int] = mapped_column(BigInteger)
    #: The bidder's reported holding of the instrument (net long), for the bidder cap.
    position: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    reserved: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("auction_id", "number", name="uq_auction_bids_number"),
        Index("ix_auction_bids_auction_id_user_id", "auction_id", "user_id"),
        Index("ix_auction_bids_user_id", "user_id"),
        CheckConstraint("quantity > 0 AND reserved >= 0", name="positive_quantity"),
        CheckConstraint("position IS NULL OR position >= 0", name="position_not_negative"),
    )


class AuctionRound(IdPrimaryKey, CreatedAt, Base):
    """A cleared round (an auction of one round has one): its tranche and its results."""

    __tablename__ = "auction_rounds"

    auction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auctions.id"))
    number: Mapped[int] = mapped_column(Integer)
    offering: Mapped[int] = mapped_column(BigInteger)
    remaining: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[Decimal | None] = mapped_column(ExactDecimal(QUOTE_SCALE))
    cut_off: Mapped[Decimal | None] = mapped_column(ExactDecimal(QUOTE_SCALE))
    weighted_average: Mapped[Decimal | None] = mapped_column(ExactDecimal(QUOTE_SCALE))
    partial_allotment: Mapped[Decimal | None] = mapped_column(ExactDecimal(RATIO_SCALE))
    bid_to_cover: Mapped[Decimal] = mapped_column(ExactDecimal(RATIO_SCALE))
    total_bid: Mapped[int] = mapped_column(BigInteger)
    total_allotted: Mapped[int] = mapped_column(BigInteger)
    competitive_allotted: Mapped[int] = mapped_column(BigInteger)
    non_competitive_allotted: Mapped[int] = mapped_column(BigInteger)
    undersubscribed: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (UniqueConstraint("auction_id", "number", name="uq_auction_rounds_number"),)


class AuctionAllocation(IdPrimaryKey, CreatedAt, Base):
    """What one cleared bid gets and pays (nothing, for a bid below the cut-off).

    `amount` (minor units) is what settlement moves from the bidder's reservation to the
    issuer, `refund` what it releases; `entry_id` and `settled_at` are set in the
    transaction that settles it, by the ledger entry `auction-bid:{bid_id}:final`.
    """

    __tablename__ = "auction_allocations"

    auction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auctions.id"))
    bid_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auction_bids.id"), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    round: Mapped[int] = mapped_column(Integer)
    requested: Mapped[int] = mapped_column(BigInteger)
    recognised: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(BigInteger)
    #: The quote paid (the bid's, the cut-off or the weighted average) and its clean price.
    quote: Mapped[Decimal | None] = mapped_column(ExactDecimal(QUOTE_SCALE))
    price: Mapped[Decimal | None] = mapped_column(ExactDecimal(QUOTE_SCALE))
    principal: Mapped[int] = mapped_column(BigInteger)
    accrued: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    reserved: Mapped[int] = mapped_column(BigInteger)
    refund: Mapped[int] = mapped_column(BigInteger)
    entry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("journal_entries.id"))
    settled_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_auction_allocations_auction_id_user_id", "auction_id", "user_id"),
        CheckConstraint(
            "quantity >= 0 AND quantity <= recognised AND recognised <= requested",
            name="quantities",
        ),
        CheckConstraint(
            "amount = principal + accrued AND amount >= 0 AND amount <= reserved "
            "AND refund = reserved - amount",
            name="amounts_add_up",
        ),
        CheckConstraint("(quantity = 0) = (amount = 0)", name="paid_for_units"),
        CheckConstraint("(entry_id IS NULL) = (settled_at IS NULL)", name="settled_with_entry"),
    )
