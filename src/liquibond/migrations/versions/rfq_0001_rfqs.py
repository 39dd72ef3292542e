"""rfq: requests for quote, the dealers asked, their quotes, the audit trail and the limits

Revision ID: rfq_0001
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from liquibond.platform.db import UTCDateTime

revision: str = "rfq_0001"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("rfq",)
depends_on: str | Sequence[str] | None = ("instruments_0001",)


def upgrade() -> None:
    op.create_table(
        "rfq_limits",
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("max_quantity", sa.BigInteger(), nullable=True),
        sa.Column("max_open", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "(max_quantity IS NULL OR max_quantity > 0) AND (max_open IS NULL OR max_open >= 0)",
            name=op.f("ck_rfq_limits_positive_limits"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_rfq_limits_updated_by_users")
        ),
        sa.PrimaryKeyConstraint("scope", "subject_id", name=op.f("pk_rfq_limits")),
    )
    op.create_table(
        "rfqs",
        sa.Column("requester_id", sa.Uuid(), nullable=False),
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("disclosed", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("held_quote_id", sa.Uuid(), nullable=True),
        sa.Column("hold_until", UTCDateTime(), nullable=True),
        sa.Column("done_quote_id", sa.Uuid(), nullable=True),
        sa.Column("trade_id", sa.Uuid(), nullable=True),
        sa.Column("price", sa.BigInteger(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_rfqs_positive_quantity")),
        sa.ForeignKeyConstraint(
            ["instrument_id"], ["instruments.id"], name=op.f("fk_rfqs_instrument_id_instruments")
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"], ["users.id"], name=op.f("fk_rfqs_requester_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rfqs")),
    )
    op.create_index("ix_rfqs_requester_id_id", "rfqs", ["requester_id", "id"], unique=False)
    op.create_index("ix_rfqs_status_expires_at", "rfqs", ["status", "expires_at"], unique=False)
    op.create_table(
        "rfq_dealers",
        sa.Column("rfq_id", sa.Uuid(), nullable=False),
        sa.Column("dealer_id", sa.Uuid(), nullable=False),
        sa.Column("asked_at", UTCDateTime(), nullable=False),
        sa.Column("first_quoted_at", UTCDateTime(), nullable=True),
        sa.Column("response_ms", sa.BigInteger(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["dealer_id"], ["users.id"], name=op.f("fk_rfq_dealers_dealer_id_users")
        ),
        sa.ForeignKeyConstraint(["rfq_id"], ["rfqs.id"], name=op.f("fk_rfq_dealers_rfq_id_rfqs")),
        sa.PrimaryKeyConstraint("rfq_id", "dealer_id", name=op.f("pk_rfq_dealers")),
    )
    op.create_index(
        "ix_rfq_dealers_dealer_id_rfq_id", "rfq_dealers", ["dealer_id", "rfq_id"], unique=False
    )
    op.create_table(
        "rfq_events",
        sa.Column("rfq_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("data", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_rfq_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(["rfq_id"], ["rfqs.id"], name=op.f("fk_rfq_events_rfq_id_rfqs")),
        sa.PrimaryKeyConstraint("rfq_id", "seq", name=op.f("pk_rfq_events")),
    )
    op.create_table(
        "rfq_quotes",
        sa.Column("rfq_id", sa.Uuid(), nullable=False),
        sa.Column("dealer_id", sa.Uuid(), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("price_ticks", sa.BigInteger(), nullable=False),
        sa.Column("firm", sa.Boolean(), nullable=False),
        sa.Column("valid_until", UTCDateTime(), nullable=False),
        sa.Column("last_look_ms", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("counter_price", sa.BigInteger(), nullable=True),
        sa.Column("countered_at", UTCDateTime(), nullable=True),
        sa.Column("held_at", UTCDateTime(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("decision_reason", sa.String(length=200), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("price_ticks > 0", name=op.f("ck_rfq_quotes_positive_price")),
        sa.ForeignKeyConstraint(
            ["dealer_id"], ["users.id"], name=op.f("fk_rfq_quotes_dealer_id_users")
        ),
        sa.ForeignKeyConstraint(["rfq_id"], ["rfqs.id"], name=op.f("fk_rfq_quotes_rfq_id_rfqs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rfq_quotes")),
    )
    op.create_index(
        "ix_rfq_quotes_rfq_id_dealer_id", "rfq_quotes", ["rfq_id", "dealer_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_rfq_quotes_rfq_id_dealer_id", table_name="rfq_quotes")
    op.drop_table("rfq_quotes")
    op.drop_table("rfq_events")
    op.drop_index("ix_rfq_dealers_dealer_id_rfq_id", table_name="rfq_dealers")
    op.drop_table("rfq_dealers")
    op.drop_index("ix_rfqs_status_expires_at", table_name="rfqs")
    op.drop_index("ix_rfqs_requester_id_id", table_name="rfqs")
    op.drop_table("rfqs")
    op.drop_table("rfq_limits")
