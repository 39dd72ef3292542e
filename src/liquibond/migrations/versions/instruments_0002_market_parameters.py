"""instruments: market parameters (fees, price band, order size, trading hours, reference curve)

Revision ID: instruments_0002
Revises: instruments_0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "instruments_0002"
down_revision: str | Sequence[str] | None = "instruments_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("instruments") as batch:
        batch.add_column(
            sa.Column("maker_fee_bps", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("taker_fee_bps", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("price_band_percent", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("max_order_notional", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("session_open", sa.Time(), nullable=True))
        batch.add_column(sa.Column("session_close", sa.Time(), nullable=True))
        batch.add_column(
            sa.Column(
                "queue_outside_hours", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch.add_column(sa.Column("reference_curve", sa.String(length=40), nullable=True))
        batch.create_check_constraint(
            "ck_instruments_fees_not_negative", "maker_fee_bps >= 0 AND taker_fee_bps >= 0"
        )
        batch.create_check_constraint(
            "ck_instruments_session_open_and_close",
            "(session_open IS NULL) = (session_close IS NULL)",
        )


def downgrade() -> None:
    with op.batch_alter_table("instruments") as batch:
        batch.drop_constraint("ck_instruments_session_open_and_close", type_="check")
        batch.drop_constraint("ck_instruments_fees_not_negative", type_="check")
        for column in (
            "reference_curve",
            "queue_outside_hours",
            "session_close",
            "session_open",
            "max_order_notional",
            "price_band_percent",
            "taker_fee_bps",
            "maker_fee_bps",
        ):
            batch.drop_column(column)
