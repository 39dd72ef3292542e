"""instruments

Revision ID: instruments_0001
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from liquibond.platform.db import UTCDateTime

revision: str = "instruments_0001"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("instruments",)
depends_on: str | Sequence[str] | None = "ledger_0001"


def upgrade() -> None:
    op.create_table(
        "instruments",
        sa.Column("isin", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=16), nullable=False),
        sa.Column("face_value", sa.BigInteger(), nullable=False),
        sa.Column("coupon_rate", sa.BigInteger(), nullable=False),
        sa.Column("coupon_frequency", sa.Integer(), nullable=False),
        sa.Column("day_count", sa.String(length=20), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("maturity_date", sa.Date(), nullable=False),
        sa.Column("first_coupon_date", sa.Date(), nullable=True),
        sa.Column("issue_size_units", sa.BigInteger(), nullable=False),
        sa.Column("min_lot", sa.BigInteger(), nullable=False),
        sa.Column("lot_increment", sa.BigInteger(), nullable=False),
        sa.Column("tick_size", sa.BigInteger(), nullable=False),
        sa.Column("settlement_cycle_days", sa.Integer(), nullable=False),
        sa.Column("credit_rating", sa.String(length=20), nullable=False),
        sa.Column("rating_agency", sa.String(length=50), nullable=True),
        sa.Column("calendar", sa.String(length=20), nullable=False),
        sa.Column("status_reason", sa.String(length=500), nullable=True),
        sa.Column("listed_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "face_value > 0 AND issue_size_units > 0", name=op.f("ck_instruments_positive_size")
        ),
        sa.CheckConstraint(
            "maturity_date > issue_date", name=op.f("ck_instruments_matures_after_issue")
        ),
        sa.CheckConstraint(
            "min_lot > 0 AND lot_increment > 0", name=op.f("ck_instruments_positive_lots")
        ),
        sa.CheckConstraint(
            "settlement_cycle_days IN (0, 1, 2)", name=op.f("ck_instruments_settlement_cycle")
        ),
        sa.ForeignKeyConstraint(
            ["currency"], ["assets.code"], name=op.f("fk_instruments_currency_assets")
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["users.id"], name=op.f("fk_instruments_issuer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instruments")),
        sa.UniqueConstraint("isin", name=op.f("uq_instruments_isin")),
    )
    with op.batch_alter_table("instruments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_instruments_issuer_id"), ["issuer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_instruments_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("instruments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_instruments_status"))
        batch_op.drop_index(batch_op.f("ix_instruments_issuer_id"))

    op.drop_table("instruments")
