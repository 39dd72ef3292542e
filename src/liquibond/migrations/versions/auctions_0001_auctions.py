"""auctions: primary auctions, their bids, rounds and allocations

Revision ID: auctions_0001
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from liquibond.platform.db import UTCDateTime

revision: str = "auctions_0001"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("auctions",)
depends_on: str | Sequence[str] | None = ("instruments_0003", "ledger_0001")


def upgrade() -> None:
    op.create_table(
        "auctions",
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column("isin", sa.String(length=12), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("basis", sa.String(length=8), nullable=False),
        sa.Column("pricing", sa.String(length=16), nullable=False),
        sa.Column("visibility", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.String(length=500), nullable=True),
        sa.Column("offering", sa.BigInteger(), nullable=False),
        sa.Column("lot", sa.BigInteger(), nullable=False),
        sa.Column("min_bid", sa.BigInteger(), nullable=False),
        sa.Column("bid_multiple", sa.BigInteger(), nullable=False),
        sa.Column("rounding", sa.String(length=24), nullable=False),
        sa.Column("non_competitive_share", sa.BigInteger(), nullable=False),
        sa.Column("non_competitive_max", sa.BigInteger(), nullable=True),
        sa.Column("bidder_cap_share", sa.BigInteger(), nullable=True),
        sa.Column("min_quote", sa.BigInteger(), nullable=True),
        sa.Column("max_quote", sa.BigInteger(), nullable=True),
        sa.Column("min_increment", sa.BigInteger(), nullable=True),
        sa.Column("soft_close_seconds", sa.Integer(), nullable=True),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.Column("round_seconds", sa.BigInteger(), nullable=True),
        sa.Column("current_round", sa.Integer(), nullable=False),
        sa.Column("round_offering", sa.BigInteger(), nullable=True),
        sa.Column("round_remaining", sa.BigInteger(), nullable=True),
        sa.Column("round_reference", sa.BigInteger(), nullable=True),
        sa.Column("announce_at", UTCDateTime(), nullable=False),
        sa.Column("opens_at", UTCDateTime(), nullable=False),
        sa.Column("closes_at", UTCDateTime(), nullable=False),
        sa.Column("scheduled_close_at", UTCDateTime(), nullable=False),
        sa.Column("settles_on", sa.Date(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("bid_seq", sa.BigInteger(), nullable=False),
        sa.Column("best_bid_id", sa.Uuid(), nullable=True),
        sa.Column("best_price", sa.BigInteger(), nullable=True),
        sa.Column("bid_count", sa.Integer(), nullable=False),
        sa.Column("cut_off", sa.BigInteger(), nullable=True),
        sa.Column("weighted_average", sa.BigInteger(), nullable=True),
        sa.Column("partial_allotment", sa.BigInteger(), nullable=True),
        sa.Column("bid_to_cover", sa.BigInteger(), nullable=True),
        sa.Column("total_bid", sa.BigInteger(), nullable=True),
        sa.Column("total_allotted", sa.BigInteger(), nullable=True),
        sa.Column("competitive_allotted", sa.BigInteger(), nullable=True),
        sa.Column("non_competitive_allotted", sa.BigInteger(), nullable=True),
        sa.Column("undersubscribed", sa.Boolean(), nullable=True),
        sa.Column("coupon_rate", sa.BigInteger(), nullable=True),
        sa.Column("amount_raised", sa.BigInteger(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("announced_at", UTCDateTime(), nullable=True),
        sa.Column("opened_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("cleared_at", UTCDateTime(), nullable=True),
        sa.Column("settled_at", UTCDateTime(), nullable=True),
        sa.Column("cancelled_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "announce_at <= opens_at AND opens_at <= closes_at",
            name=op.f("ck_auctions_times_in_order"),
        ),
        sa.CheckConstraint(
            "lot > 0 AND offering > 0 AND offering % lot = 0 AND min_bid > 0 AND bid_multiple > 0",
            name=op.f("ck_auctions_positive_sizes"),
        ),
        sa.CheckConstraint(
            "min_quote IS NULL OR max_quote IS NULL OR min_quote <= max_quote",
            name=op.f("ck_auctions_quote_range"),
        ),
        sa.CheckConstraint(
            "non_competitive_share >= 0 AND non_competitive_share <= 1000000",
            name=op.f("ck_auctions_non_competitive_share_range"),
        ),
        sa.CheckConstraint(
            "rounds >= 1 AND current_round BETWEEN 1 AND rounds", name=op.f("ck_auctions_rounds")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_auctions_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["currency"], ["assets.code"], name=op.f("fk_auctions_currency_assets")
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_auctions_instrument_id_instruments"),
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["users.id"], name=op.f("fk_auctions_issuer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auctions")),
    )
    op.create_index(op.f("ix_auctions_instrument_id"), "auctions", ["instrument_id"], unique=False)
    op.create_index(op.f("ix_auctions_issuer_id"), "auctions", ["issuer_id"], unique=False)
    op.create_index("ix_auctions_status_opens_at", "auctions", ["status", "opens_at"], unique=False)
    op.create_table(
        "auction_bids",
        sa.Column("auction_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("priority", sa.BigInteger(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("quote", sa.BigInteger(), nullable=True),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reserved", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "position IS NULL OR position >= 0", name=op.f("ck_auction_bids_position_not_negative")
        ),
        sa.CheckConstraint(
            "quantity > 0 AND reserved >= 0", name=op.f("ck_auction_bids_positive_quantity")
        ),
        sa.ForeignKeyConstraint(
            ["auction_id"], ["auctions.id"], name=op.f("fk_auction_bids_auction_id_auctions")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_auction_bids_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auction_bids")),
        sa.UniqueConstraint("auction_id", "number", name="uq_auction_bids_number"),
    )
    op.create_index(
        "ix_auction_bids_auction_id_user_id",
        "auction_bids",
        ["auction_id", "user_id"],
        unique=False,
    )
    op.create_index("ix_auction_bids_user_id", "auction_bids", ["user_id"], unique=False)
    op.create_table(
        "auction_rounds",
        sa.Column("auction_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("offering", sa.BigInteger(), nullable=False),
        sa.Column("remaining", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.BigInteger(), nullable=True),
        sa.Column("cut_off", sa.BigInteger(), nullable=True),
        sa.Column("weighted_average", sa.BigInteger(), nullable=True),
        sa.Column("partial_allotment", sa.BigInteger(), nullable=True),
        sa.Column("bid_to_cover", sa.BigInteger(), nullable=False),
        sa.Column("total_bid", sa.BigInteger(), nullable=False),
        sa.Column("total_allotted", sa.BigInteger(), nullable=False),
        sa.Column("competitive_allotted", sa.BigInteger(), nullable=False),
        sa.Column("non_competitive_allotted", sa.BigInteger(), nullable=False),
        sa.Column("undersubscribed", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["auction_id"], ["auctions.id"], name=op.f("fk_auction_rounds_auction_id_auctions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auction_rounds")),
        sa.UniqueConstraint("auction_id", "number", name="uq_auction_rounds_number"),
    )
    op.create_table(
        "auction_allocations",
        sa.Column("auction_id", sa.Uuid(), nullable=False),
        sa.Column("bid_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("requested", sa.BigInteger(), nullable=False),
        sa.Column("recognised", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("quote", sa.BigInteger(), nullable=True),
        sa.Column("price", sa.BigInteger(), nullable=True),
        sa.Column("principal", sa.BigInteger(), nullable=False),
        sa.Column("accrued", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reserved", sa.BigInteger(), nullable=False),
        sa.Column("refund", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=True),
        sa.Column("settled_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "(entry_id IS NULL) = (settled_at IS NULL)",
            name=op.f("ck_auction_allocations_settled_with_entry"),
        ),
        sa.CheckConstraint(
            "(quantity = 0) = (amount = 0)", name=op.f("ck_auction_allocations_paid_for_units")
        ),
        sa.CheckConstraint(
            "amount = principal + accrued AND amount >= 0 AND amount <= reserved AND refund = reserved - amount",
            name=op.f("ck_auction_allocations_amounts_add_up"),
        ),
        sa.CheckConstraint(
            "quantity >= 0 AND quantity <= recognised AND recognised <= requested",
            name=op.f("ck_auction_allocations_quantities"),
        ),
        sa.ForeignKeyConstraint(
            ["auction_id"], ["auctions.id"], name=op.f("fk_auction_allocations_auction_id_auctions")
        ),
        sa.ForeignKeyConstraint(
            ["bid_id"], ["auction_bids.id"], name=op.f("fk_auction_allocations_bid_id_auction_bids")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_auction_allocations_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_auction_allocations_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auction_allocations")),
        sa.UniqueConstraint("bid_id", name=op.f("uq_auction_allocations_bid_id")),
    )
    op.create_index(
        "ix_auction_allocations_auction_id_user_id",
        "auction_allocations",
        ["auction_id", "user_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("auction_allocations")
    op.drop_table("auction_rounds")
    op.drop_table("auction_bids")
    op.drop_table("auctions")
